"""Undo a change just made, and Revert a journal entry later (thin views over ``members.undo``).

``POST /<kind>/<id>/members/undo/`` (field ``entry``, repeated: the viewer's own entries of this
container) answers what happened per member, and puts the member table right out of band.
``POST /activity/<entry>/revert/`` answers the journal row's Revert cell, and
``POST /activity/change/<change>/revert/`` (Revert all) the change's row, each member's line saying
what its Revert did. More than ``BACKGROUND_CHANGE_ABOVE`` entries are reverted by a background change
(``members.views.jobs``), whose progress the answer shows. Without htmx they go back to the page they came from, with the outcome as a message.
"""

import uuid
from dataclasses import replace

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from members import changes, explain, journal, reads, undo
from members.directory import Action, Kind, Outcome
from members.graph import GraphError
from members.models import AuditEntry, JobKind
from members.directory import Container
from accounts.tokens import granted_scopes
from members.forms import EntryIdsForm, first_error
from members.views.common import detail_url, graph_for, members_changed, note
from members.views import jobs
from members.views.containers import detail_context


def _revert(request: HttpRequest, container: Container, entries: list[AuditEntry], with_note=None):
    graph = graph_for(request)
    known = reads.known_for(request.session, container, [entry.member_id for entry in entries], graph=graph,
                            scopes=granted_scopes(request))
    return undo.revert(graph, request.user, container, entries, known, with_note or note(request))


def _revert_later(request: HttpRequest, container: Container, entries: list[AuditEntry]):
    """A revert of many entries as a background change: one change of the viewer's, however many pieces."""
    name = next((entry.container_name for entry in entries if entry.container_name), "")
    items = reads.known_for(request.session, container, [entry.member_id for entry in entries]).items
    return jobs.launch(request, JobKind.REVERT, Action(entries[0].action).inverse, container, [], entries=entries,
                       items=items, container_name=name)


def _as_messages(request: HttpRequest, reverted: list[undo.Reverted]) -> None:
    repeated = undo.named_more_than_once(reverted)
    for r in reverted:
        text = r.done_text if r.done else f"{r.message.text} {r.message.fix}".strip()
        which = f" {r.undid}" if r.name in repeated else ""
        messages.add_message(request, messages.SUCCESS if r.done else messages.ERROR, f"{r.name}: {text}{which}")


@require_POST
def member_undo(request: HttpRequest, kind, container_id: str) -> HttpResponse:
    """Undo the listed changes of mine on this container (the inverse $ref calls, journaled)."""
    container = Container(kind, container_id)
    form = EntryIdsForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(first_error(form))
    ids = form.cleaned_data["entry"]
    entries = list(AuditEntry.objects.filter(pk__in=ids, actor=request.user, container_id=container.id).order_by("pk"))
    if not entries:
        return render(request, "members/_undo_results.html", {"nothing": True})
    if jobs.is_large(len(entries)):  # too many for one request: a task reverts them, the page follows it
        return jobs.answer(request, _revert_later(request, container, entries))
    info, reverted = _revert(request, container, entries)
    if not request.htmx:
        _as_messages(request, reverted)
        return redirect(detail_url(container))
    try:
        context = detail_context(request, graph_for(request), container, fresh=False)
    except GraphError:
        context = {"kind": container.kind, "address": container, "container": info}
    restored = [r.row.member for r in reverted if r.done and r.entry.action == "remove"]
    response = render(request, "members/_undo_results.html", {
        **context, "reverted": reverted, "restored": restored, "refused": any(not r.done for r in reverted),
        "repeated": undo.named_more_than_once(reverted)})
    if any(r.done for r in reverted):
        members_changed(response)
    return response


def _unless_hidden(request: HttpRequest, container: Container) -> None:
    """A unit whose members Graph won't list to the viewer: the journal hides its members from
    them, and so a Revert of them is no more there than their names (the button isn't shown either)."""
    if container.kind is Kind.UNITS and journal.hidden_containers(graph_for(request), request.session, [container.id]):
        raise Http404("No such entry.")


@require_POST
def entry_revert(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Revert one journal entry the viewer may read, unless its membership has moved on since."""
    entry = get_object_or_404(AuditEntry.objects.visible_to(request.user), pk=entry_id)
    container = Container(entry.container_kind, entry.container_id)
    _unless_hidden(request, container)
    _, [reverted] = _revert(request, container, [entry])
    if not request.htmx:
        _as_messages(request, [reverted])
        return redirect(reverse("members:activity"))
    return render(request, "members/_journal_table.html#revert-cell", {"entry": entry, "reverted": reverted})


@require_POST
def change_revert(request: HttpRequest, change_id: uuid.UUID) -> HttpResponse:
    """Revert all of one change the viewer may read: each done entry as its own Revert would (the
    journal, then Graph, judge each), as one change of the viewer's own."""
    visible = AuditEntry.objects.visible_to(request.user)
    first = visible.filter(change_id=change_id).first()
    if first is None:
        raise Http404("No such change.")
    container = Container(first.container_kind, first.container_id)
    _unless_hidden(request, container)
    entries = list(visible.filter(change_id=change_id, outcome=Outcome.DONE).order_by("pk"))
    if jobs.is_large(len(entries)):
        job = _revert_later(request, container, entries)
        return jobs.answer(request, job, "job-row", change_id=change_id)
    together = replace(note(request), change=uuid.uuid4())
    reverted = []
    for start in range(0, len(entries), changes.MAX_MEMBERS_PER_CHANGE):
        reverted += _revert(request, container, entries[start:start + changes.MAX_MEMBERS_PER_CHANGE], together)[1]
    summary = explain.revert_all_outcome(sum(r.done for r in reverted), len(reverted))
    if not request.htmx:
        _as_messages(request, reverted)
        messages.add_message(request, messages.SUCCESS if summary.tone != "error" else messages.ERROR, summary.text)
        return redirect(reverse("members:activity"))
    change = journal.one_change(visible, change_id)
    journal.redact(lambda: graph_for(request), request.session, change.entries)
    by_entry = {r.entry.pk: r for r in reverted}
    for entry in change.entries:
        entry.reverted = by_entry.get(entry.pk)
    return render(request, "members/_journal_table.html#change-row", {
        "change": change, "reverted_all": summary, "hidden_reason": explain.journal_hidden(), "on_page": set()})
