"""What every view shares: the Graph seam, fragment or page, the change made through the journal
and its answer without htmx, and the counts a list shows."""

import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import trigger_client_event

from members import changes, client, explain, reads
from members.forms import EndForm, NoteForm
from members.schedule import BadEnd
from members.directory import Action, Container, ContainerInfo, DirectoryItem, Kind, Page
from members.graph import GraphClient
from accounts import kept
from accounts.tokens import ReauthenticationRequired, granted_scopes


DETAIL = "members/container_detail.html"
# A count carried in a link only feeds words: one past any directory collection is nonsense.
COUNT_LIMIT = 10**9
MEMBERS = "members/_members.html"  # the member table, its rows, and the row a removal leaves
LIST = "members/container_list.html"


def graph_for(request: HttpRequest) -> GraphClient:
    """The request's GraphClient through the one seam, ``members.client.graph_for`` (looked up at
    each call, so a test that replaces the seam replaces it for every view)."""
    return client.graph_for(request)


def is_fragment(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def detail_url(container: Container) -> str:
    return reverse("members:container-detail", args=[container.kind.value, container.id])


def no_way_back(request: HttpRequest, kind: Kind) -> dict[str, str]:
    """Member types whose removal can't be undone here (their add-back would be refused), with why:
    their Remove asks with that warning, and their removed row offers no Undo."""
    return explain.no_way_back(kind, granted_scopes(request))


def tally(request: HttpRequest, page: Page | None, total: int | None = None) -> tuple[int, int | None]:
    """How many rows a list shows so far, and of how many (None: not counted). The rows of earlier
    pages and the total travel in the Load more link (``shown``, ``total``): they only feed words."""
    more = bool(request.GET.get("more"))
    shown = ((count_param(request, "shown") or 0) if more else 0) + (len(page.items) if page else 0)
    if page is not None and page.count is not None:
        total = page.count
    elif total is None and more:
        total = count_param(request, "total")
    if total is None and page is not None and not page.next_link:
        total = shown
    return shown, total


def count_param(request: HttpRequest, name: str) -> int | None:
    """A count the page sent back (a number of rows it shows); None when absent or not a count."""
    try:
        value = int(request.GET.get(name, ""))
    except ValueError:  # also a number too long to convert
        return None
    return value if 0 <= value < COUNT_LIMIT else None


def change(request: HttpRequest, action: Action, container: Container, member_ids: list[str], *,
            items: Mapping[str, DirectoryItem] | None = None, change_id: uuid.UUID | None = None,
            until: datetime | None = None) -> tuple[ContainerInfo | None, list[changes.Row]]:
    """Make the change through the journal; if the sign-in has expired, journal it as not sent, then re-login.

    ``items``: names the caller already holds (a pasted list's plan), beside those the pages showed.
    ``change_id``: the journal's change these attempts belong to, when it spans requests (a paste's run).
    ``until``: an add's end (``asked_end``); the person's sign-in is kept for its removal first.
    """
    try:
        graph = graph_for(request)
    except ReauthenticationRequired:
        changes.record_not_sent(request.user, action, container, member_ids,
                                reads.known_for(request.session, container, member_ids), change_id)
        raise
    known = reads.known_for(request.session, container, member_ids, graph=graph, scopes=granted_scopes(request))
    if items:
        known = replace(known, items={**items, **known.items})
    if until is not None:
        kept.keep(request.session, request.user, until)
    info, rows = changes.apply(graph, request.user, action, container, member_ids, known,
                               replace(note(request), change=change_id, until=until))
    reads.forget_contradicted(request.session, container, known, rows)
    return info, rows


def note(request: HttpRequest) -> changes.Note:
    """The ticket reference and reason sent with a change (fields ``ticket``, ``reason``; htmx sends a
    DELETE's in the query string), trimmed to what the journal keeps."""
    form = NoteForm(request.POST if request.method == "POST" else request.GET)
    form.is_valid()  # never invalid: each field is trimmed to what the journal keeps
    return changes.Note(ticket=form.cleaned_data["ticket"], reason=form.cleaned_data["reason"])


def asked_end(request: HttpRequest) -> datetime | None:
    """The end an add asked for (fields ``ends``, ``ends_at``), checked; None: the access doesn't end.
    ``schedule.BadEnd`` (its message says why) when it can't be taken: nothing is to be sent then."""
    form = EndForm(request.POST)
    if not form.is_valid():
        raise BadEnd(form.non_field_errors()[0])
    return form.until()


def bad_end(problem: BadEnd) -> explain.Message:
    return explain.expiry.bad_until(str(problem))


def back_to_page(request: HttpRequest, container: Container, rows: list[changes.Row]) -> HttpResponse:
    """Without htmx: each outcome as a message on the container page."""
    for row in rows:
        level = messages.ERROR if row.message.tone == "error" else messages.SUCCESS
        messages.add_message(request, level, f"{row.member.display_name}: {row.message.text} {row.message.fix}".strip())
    return redirect(detail_url(container))


def row_context(row: changes.Row) -> dict:
    return {"member": row.member, "result": row.result, "message": row.message}


def members_changed(response: HttpResponse) -> HttpResponse:
    """Tell the page its member list changed, once this answer is in place: what follows the list
    (the count, "Showing 50 of N", the picker's marks, recent changes) then reads the page as the
    change left it."""
    return trigger_client_event(response, "membersChanged", after="settle")
