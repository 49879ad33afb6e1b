"""Changes of membership: ``DELETE /<kind>/<id>/members/<member-id>/`` removes one member,
``POST /<kind>/<id>/members/`` (field ``member``, repeated) adds, ``POST …/members/remove/`` removes
the selected. More than ``BACKGROUND_CHANGE_ABOVE`` members at once run as a background change
(``members.views.jobs``), whose progress the answer shows. Each answers an htmx fragment to htmx and redirects back to the container page
otherwise. Expected Graph refusals are answered 200 with the row carrying a ``role="alert"``
message (htmx 2 does not swap 4xx answers).
"""


from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from members import changes, expiry, reads
from members.directory import Action, Container, Kind
from members.forms import MemberIdsForm, first_error
from members.models import JobKind
from members.views import jobs
from members.permissions import ALLOWED
from members.schedule import BadEnd
from members.views.common import (DETAIL, MEMBERS, asked_end, back_to_page, bad_end, change, members_changed, no_way_back,
                                  row_context)


@require_http_methods(["DELETE", "POST"])
def member_remove(request: HttpRequest, kind: Kind, container_id: str, member_id: str) -> HttpResponse:
    """Remove one member (DELETE .../members/{id}/$ref). Success: the row goes; refusal: it stays with the reason."""
    container = Container(kind, container_id)
    form = MemberIdsForm({"member": [member_id]})
    if not form.is_valid():
        return HttpResponseBadRequest(first_error(form))
    info, rows = change(request, Action.REMOVE, container, form.cleaned_data["member"])
    row = rows[0]
    if not request.htmx:
        return back_to_page(request, container, rows)
    context = {**row_context(row), "kind": container.kind, "container": info, "address": container,
               "no_way_back": no_way_back(request, container.kind)}
    if row.result.outcome.took_effect:
        response = render(request, MEMBERS + "#removed-row", context)
        return members_changed(response)
    return render(request, MEMBERS + "#member-row", {**context, "verdict": ALLOWED, "notice": row.message})


def _picked_change(request: HttpRequest, action: Action, kind: Kind, container_id: str,
                   results_fragment: str) -> HttpResponse | tuple[dict, list[changes.Row]]:
    """Add or remove the picked members (field ``member``, repeated) through the journal.

    Returns the answer when it ends here (bad id, nothing picked or too many, no htmx), else the
    fragment's context and the rows.
    """
    container = Container(kind, container_id)
    form = MemberIdsForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(first_error(form))
    member_ids = form.cleaned_data["member"]
    context = {"kind": container.kind, "address": container, "verdict": ALLOWED,
               "no_way_back": no_way_back(request, container.kind)}
    if not member_ids:
        return render(request, DETAIL + results_fragment, {**context, "nothing_selected": True})
    if len(member_ids) > changes.MAX_MEMBERS_PER_CHANGE:  # checked before anything is sent
        if not request.htmx:
            return HttpResponseBadRequest(f"At most {changes.MAX_MEMBERS_PER_CHANGE:,} members per change.")
        return render(request, DETAIL + results_fragment, {**context, "too_many": len(member_ids),
                                                           "limit": changes.MAX_MEMBERS_PER_CHANGE})
    try:
        until = asked_end(request) if action is Action.ADD and not _is_undo(request) else None
    except BadEnd as problem:
        if not request.htmx:
            return HttpResponseBadRequest(bad_end(problem).text)
        return render(request, DETAIL + results_fragment, {**context, "bad_end": bad_end(problem)})
    if jobs.is_large(len(member_ids)):  # too many for one request: a task makes it, the page follows it
        known = reads.known_for(request.session, container, member_ids)
        job = jobs.launch(request, JobKind.CHANGE, action, container, member_ids, items=known.items, until=until,
                          container_name=known.info.display_name if known.info else "")
        return jobs.answer(request, job, "job-in", wrapper_id=results_fragment.removeprefix("#"))
    info, rows = change(request, action, container, member_ids, until=until)
    if not request.htmx:
        return back_to_page(request, container, rows)
    return {**context, "container": info}, rows


@require_http_methods(["POST"])
def member_bulk_remove(request: HttpRequest, kind: Kind, container_id: str) -> HttpResponse:
    """Remove the selected members (field ``member``, repeated) in $batch; each row shows its own outcome."""
    applied = _picked_change(request, Action.REMOVE, kind, container_id, "#bulk-results")
    if isinstance(applied, HttpResponse):
        return applied
    context, rows = applied
    gone = [row_context(row) for row in rows if row.result.outcome.took_effect]
    kept = [row_context(row) for row in rows if not row.result.outcome.took_effect]
    response = render(request, DETAIL + "#bulk-results", {**context, "rows": rows, "gone": gone, "kept": kept})
    if gone:
        members_changed(response)
    return response


def member_add(request: HttpRequest, kind: Kind, container_id: str) -> HttpResponse:
    """Add the picked members (field ``member``, repeated): groups by PATCH per 20, others by $batch."""
    applied = _picked_change(request, Action.ADD, kind, container_id, "#add-results")
    if isinstance(applied, HttpResponse):
        return applied
    context, rows = applied
    if _is_undo(request) and len(rows) == 1:
        return _undo_answer(request, context, rows[0])
    context["rows"] = rows
    context["added"] = [row.member for row in rows if row.result.outcome.may_have_changed]
    context["ends"] = expiry.ends_of(container_id, [member.id for member in context["added"]])
    response = render(request, DETAIL + "#add-results", context)
    if context["added"]:
        members_changed(response)
    return response


def _is_undo(request: HttpRequest) -> bool:
    """The Undo of a removal (it targets the removed row): it puts back what was, with no new end."""
    return bool(request.htmx) and (request.htmx.target or "").startswith("removed-")


def _undo_answer(request: HttpRequest, context: dict, row: changes.Row) -> HttpResponse:
    """Undo of a removal: the member's row comes back, or the removed row says why it could not."""
    if row.result.outcome.took_effect:
        response = render(request, MEMBERS + "#member-row", {**context, "member": row.member, "notice": row.message})
        return members_changed(response)
    return render(request, MEMBERS + "#removed-row", {**context, **row_context(row)})
