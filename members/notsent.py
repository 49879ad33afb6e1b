"""Changes not made because the sign-in had expired: named on the container's page after signing in
again, once, and offered again.

Two ways a click meets an expired sign-in, both ending in the journal as ``Outcome.SIGN_IN``:
the session is alive but its tokens are not (``views.common.change`` journals it before sending the
user to sign in), or the session itself is gone (the login gate keeps the request unsent,
``accounts.interrupted.take_interrupted_change``, and the page the user returns to journals it here).
Nothing is ever re-sent by itself: the page offers a button that sends the same change through
the normal change workflow (a CSRF-protected POST, journaled like any other).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone

from members import changes, explain, memo, reads
from members.directory import Action, Container, DirectoryItem, Outcome
from members.explain import Message
from members.forms import MemberIdsForm
from members.graph import GraphClient, GraphError
from members.models import AuditEntry
from accounts.interrupted import take_interrupted_change

# The change URLs (members.urls names) and the action each asks for.
CHANGE_URLS = {("member-remove", "DELETE"): Action.REMOVE, ("member-remove", "POST"): Action.REMOVE,
               ("member-bulk-remove", "POST"): Action.REMOVE, ("member-collection", "POST"): Action.ADD}
# The other changes a click may ask for: what each is called when it was not made. They name no
# members the journal could keep (a paste's plan was in the session that ended), so they are said.
OTHER_CHANGES = {"member-paste-run": "running a pasted list", "member-paste": "checking a pasted list",
                 "member-undo": "an Undo", "entry-revert": "a Revert", "change-revert": "a Revert all",
                 "person-remove": "a removal from a person's page", "person-add": "an add from a person's page"}


@dataclass(frozen=True)
class NotSent:
    """One action not made on a container, for the members it named, in words."""

    action: Action
    members: list[DirectoryItem]
    message: Message


def journal_interrupted(request: HttpRequest) -> None:
    """The change the login gate kept while the session was gone, journaled as not sent (once)."""
    asked = take_interrupted_change(request.session)
    if not asked:
        return
    try:
        match = resolve(asked["path"])
    except Resolver404:
        return
    if match.app_name != "members":
        return
    action = CHANGE_URLS.get((match.url_name, asked["method"]))
    if action is None:
        if match.url_name in OTHER_CHANGES:
            messages.error(request, explain.not_made_signed_out(OTHER_CHANGES[match.url_name]))
        return
    container = Container(match.kwargs["kind"], match.kwargs["container_id"])
    raw = [match.kwargs["member_id"]] if "member_id" in match.kwargs else asked["fields"].get("member", [])
    form = MemberIdsForm({"member": raw})
    if not form.is_valid():
        return
    ids = form.cleaned_data["member"][:changes.MAX_MEMBERS_PER_CHANGE]
    if ids:
        changes.record_not_sent(request.user, action, container, ids, reads.known_for(request.session, container, ids))


def to_offer(request: HttpRequest, graph: GraphClient, container: Container, container_name: str) -> list[NotSent]:
    """The user's own changes to this container not sent for an expired sign-in, not shown on a page
    of this session yet and not tried again since, from the last ``SESSION_COOKIE_AGE`` (older ones
    belong to an earlier working day); named now, so shown once."""
    since = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    entries = list(AuditEntry.objects.filter(actor=request.user, container_id=container.id, outcome=Outcome.SIGN_IN,
                                             created_at__gte=since).order_by("id"))
    if not entries:
        return []
    shown = memo.not_sent_shown(request.session, [entry.id for entry in entries])
    entries = [entry for entry in _not_tried_again(entries) if entry.id not in shown]
    memo.remember_not_sent_shown(request.session, [entry.id for entry in entries])
    if not entries:
        return []
    names = _names(request, graph, container, entries)
    offers = []
    for action in (Action.REMOVE, Action.ADD):
        ids = list(dict.fromkeys(entry.member_id for entry in entries if entry.action == action))
        if ids:
            members = [names.get(m) or DirectoryItem.unknown(m) for m in ids]
            text = explain.not_sent_change(action, [m.display_name for m in members], container_name)
            offers.append(NotSent(action, members, text))
    return offers


def _not_tried_again(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Drop the entries whose change the user tried again afterwards (whatever came of it)."""
    first = entries[0]
    later = AuditEntry.objects.filter(actor=first.actor, container_id=first.container_id, id__gt=first.id,
                                      member_id__in={entry.member_id for entry in entries}).exclude(outcome=Outcome.SIGN_IN)
    last_try = {}
    for member_id, action, entry_id in later.values_list("member_id", "action", "id"):
        last_try[(member_id, action)] = max(entry_id, last_try.get((member_id, action), 0))
    return [entry for entry in entries if last_try.get((entry.member_id, entry.action), 0) < entry.id]


def _names(request: HttpRequest, graph: GraphClient, container: Container,
           entries: list[AuditEntry]) -> dict[str, DirectoryItem]:
    """Who each entry names: from the journal, the session's pages, or one read of the rest."""
    names = {entry.member_id: DirectoryItem(entry.member_id, "directoryObject", entry.member_name)
             for entry in entries if entry.member_name}
    names.update(memo.recall_items(request.session, [e.member_id for e in entries if e.member_id not in names]))
    missing = [entry.member_id for entry in entries if entry.member_id not in names]
    if missing:
        try:
            names.update(graph.describe(container, list(dict.fromkeys(missing)), with_container=False)[1])
        except GraphError:
            pass  # the notice says "(unknown object)" and still offers the change
    return names


class InterruptedChangeMiddleware:
    """The first page after signing in again, whichever it is, says what the login gate kept unsent:
    an add or remove journaled as not sent (the container's page offers it again), anything else in
    a line at the top. Nothing is re-sent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and request.user.is_authenticated and not getattr(request, "htmx", False):
            journal_interrupted(request)
        return self.get_response(request)
