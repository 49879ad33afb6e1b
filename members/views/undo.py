"""Undo a change just made, and Revert a journal entry later (thin views over ``members.undo``).

``POST /<kind>/<id>/members/undo/`` (field ``entry``, repeated: the viewer's own entries of this
container) answers what happened per member, and puts the member table right out of band.
``POST /activity/<entry>/revert/`` answers the journal row's Revert cell. Without htmx both go
back to the page they came from, with the outcome as a message.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from members import reads, undo
from members.graph import GraphError
from members.models import AuditEntry
from members.directory import Container
from accounts.tokens import granted_scopes
from members.forms import EntryIdsForm, first_error
from members.views.common import detail_url, graph_for, members_changed, note
from members.views.containers import detail_context


def _revert(request: HttpRequest, container: Container, entries: list[AuditEntry]):
    graph = graph_for(request)
    known = reads.known_for(request.session, container, [entry.member_id for entry in entries], graph=graph,
                            scopes=granted_scopes(request))
    return undo.revert(graph, request.user, container, entries, known, note(request))


def _as_messages(request: HttpRequest, reverted: list[undo.Reverted]) -> None:
    for r in reverted:
        name = r.entry.member_name or r.entry.member_id
        text = r.done_text if r.done else f"{r.message.text} {r.message.fix}".strip()
        messages.add_message(request, messages.SUCCESS if r.done else messages.ERROR, f"{name}: {text}")


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
        **context, "reverted": reverted, "restored": restored, "refused": any(not r.done for r in reverted)})
    if any(r.done for r in reverted):
        members_changed(response)
    return response


@require_POST
def entry_revert(request: HttpRequest, entry_id: int) -> HttpResponse:
    """Revert one journal entry the viewer may read, unless its membership has moved on since."""
    entry = get_object_or_404(AuditEntry.objects.visible_to(request.user), pk=entry_id)
    container = Container(entry.container_kind, entry.container_id)
    _, [reverted] = _revert(request, container, [entry])
    if not request.htmx:
        _as_messages(request, [reverted])
        return redirect(reverse("members:activity"))
    return render(request, "members/_journal_table.html#revert-cell", {"entry": entry, "reverted": reverted})
