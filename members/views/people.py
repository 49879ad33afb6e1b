"""A person's memberships (``/people/<id>/``): a user's, group's or device's direct groups, units and
roles, each with Remove as allowed; several (or all) removed in one step, the helpdesk's offboarding
task; and "add to several groups" at once. Every change goes through the journal (``change``).

``POST /people/<id>/remove/`` (field ``container``, repeated, ``<kind>:<id>``) and ``POST
/people/<id>/add/`` (field ``group``, repeated) answer each container's outcome (with Undo), and the
memberships read again out of band. ``GET /people/<id>/groups/?q=`` is the group picker.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from members import changes, explain, expiry, memo
from members.explain import Message
from members.reads import access_for, units_of_groups
from members.directory import PICKED_TYPES, Action, ContainerInfo, DirectoryItem, Kind
from members.graph import GraphClient, GraphError
from members.permissions import Verdict, change_verdict
from members.directory import Container
from accounts.tokens import granted_scopes
from members.forms import ContainersForm, GroupIdsForm, first_error
from members.schedule import BadEnd
from members.views.common import asked_end, bad_end, change, graph_for, is_fragment

PAGE = "members/person.html"
PERSON_TYPES = PICKED_TYPES
KIND_ORDER = {Kind.GROUPS: 0, Kind.UNITS: 1, Kind.ROLES: 2}

GROUP_PICKER_SIZE = 15  # groups a name search offers to add a person to


@dataclass(frozen=True)
class Membership:
    """One container the person is a direct member of, and whether this user may take them out."""

    container: ContainerInfo
    verdict: Verdict
    reason: str

    @property
    def value(self) -> str:
        return f"{self.container.kind.value}:{self.container.id}"


@dataclass(frozen=True)
class Candidate:
    """A group the picker offers: tickable unless the person is in it already or this user may not
    change it; ``failure``: what an add to it just met (it stays ticked, to be tried again)."""

    container: ContainerInfo
    verdict: Verdict
    reason: str
    already: bool = False
    failure: Message | None = None

    @property
    def tickable(self) -> bool:
        return self.verdict.allowed and not self.already


@dataclass(frozen=True)
class Change:
    """What became of the person in one container."""

    container: ContainerInfo | Container
    address: Container
    row: changes.Row

    @property
    def rows(self) -> list[changes.Row]:
        return [self.row]


def _memberships(request: HttpRequest, graph: GraphClient, person_id: str) -> tuple[DirectoryItem | None, list[Membership]]:
    """The person and their memberships, remembered for the clicks that follow (names, container facts)."""
    person, containers = graph.person_memberships(person_id)
    if person is None:
        return None, []
    memo.remember_items(request.session, [person])
    ordered = sorted(containers, key=lambda c: (KIND_ORDER[c.kind], c.display_name.lower()))
    return person, _judged(request, graph, ordered)


def _judged(request: HttpRequest, graph: GraphClient, containers: list[ContainerInfo]) -> list[Membership]:
    """Each container with whether this user may change its members (and remembered for the click).

    A unit-scoped admin's groups are judged by the units holding them, as the container page judges
    its group: remembered, or read for all of them in one $batch."""
    access, scopes = access_for(request.session, graph), granted_scopes(request)
    units = units_of_groups(request.session, graph, containers, access, scopes)
    rows = []
    for info in containers:
        group_units = units.get(info.id)
        memo.remember_container(request.session, Container(info.kind, info.id), info, group_units)
        verdict = change_verdict(info, access, scopes, group_units)
        rows.append(Membership(info, verdict, explain.disabled_reason(verdict, info.kind)))
    return rows


@require_GET
def person_detail(request: HttpRequest, person_id: str) -> HttpResponse:
    """The page (``?part=memberships``: just the memberships, which refresh after an Undo)."""
    graph = graph_for(request)
    try:
        person, rows = _memberships(request, graph, person_id)
    except GraphError as exc:
        return render(request, PAGE, {"load_error": explain.load_failed(exc, "this object and its memberships")})
    if person is None:
        return render(request, PAGE, {"load_error": explain.person_missing()}, status=404)
    context = {"person": person, "memberships": rows, "supported": person.type in PERSON_TYPES,
               "ends": expiry.open_ends_of_member(person.id)}
    if is_fragment(request) and request.GET.get("part") == "memberships":
        return render(request, PAGE + "#memberships", context)
    return render(request, PAGE, context)


@require_POST
def person_remove(request: HttpRequest, person_id: str) -> HttpResponse:
    """Take the person out of the selected containers (field ``container``), one journaled change each."""
    form = ContainersForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(first_error(form))
    return _change_all(request, person_id, Action.REMOVE, form.cleaned_data["container"])


@require_POST
def person_add(request: HttpRequest, person_id: str) -> HttpResponse:
    """Add the person to the selected groups (field ``group``), one journaled change each."""
    form = GroupIdsForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(first_error(form))
    return _change_all(request, person_id, Action.ADD, [Container(Kind.GROUPS, g) for g in form.cleaned_data["group"]])


def _change_all(request: HttpRequest, person_id: str, action: Action, targets: list[Container]) -> HttpResponse:
    if len(targets) > changes.MAX_MEMBERS_PER_CHANGE:
        return HttpResponseBadRequest("Too many containers at once.")
    try:
        until = asked_end(request) if action is Action.ADD else None
    except BadEnd as problem:
        if not request.htmx:
            return HttpResponseBadRequest(bad_end(problem).text)
        return render(request, PAGE + "#results", {"bad_end": bad_end(problem)})
    person = memo.recall_items(request.session, [person_id]).get(person_id)
    items = {person_id: person} if person else None
    done = []
    for address in targets:
        info, [row] = change(request, action, address, [person_id], items=items, until=until)
        done.append(Change(info or address, address, row))
    if not request.htmx:
        for made in done:
            name = getattr(made.container, "display_name", made.address.id)
            level = messages.ERROR if made.row.message.tone == "error" else messages.SUCCESS
            messages.add_message(request, level, f"{name}: {made.row.message.text} {made.row.message.fix}".strip())
        return redirect(reverse("members:person", args=[person_id]))
    context = {"action": action, "changes": done, "nothing_selected": not targets, "oob": True}
    graph = graph_for(request)
    try:
        person, rows = _memberships(request, graph, person_id)
        if person is None:  # no such object (any more): nothing to list, nor a link to its page
            context["memberships_error"] = explain.person_missing()
        else:
            context.update({"person": person, "memberships": rows, "supported": True,
                            "ends": expiry.open_ends_of_member(person.id)})
    except GraphError as exc:
        context["memberships_error"] = explain.load_failed(exc, "the memberships as they are now")
    if action is Action.ADD and targets and "person" in context:
        context["picker"] = _picker_after_add(request, graph, person_id, done, context["memberships"])
    return render(request, PAGE + "#results", context)


def _picker_after_add(request: HttpRequest, graph: GraphClient, person_id: str, done: list[Change],
                      rows: list[Membership]) -> dict:
    """The picker as the add left it: the groups added now marked as memberships (their ticks gone),
    those that failed still ticked with their error, so a second click retries only them."""
    failed = {made.address.id: made.row.message for made in done if not made.row.result.outcome.took_effect}
    already = frozenset(row.container.id for row in rows if row.container.kind is Kind.GROUPS)
    return _picker(request, graph, person_id, request.POST.get("q", "").strip(), already=already, failed=failed)


@require_GET
def person_groups(request: HttpRequest, person_id: str) -> HttpResponse:
    """The group picker of "add to several groups": groups whose name matches (two letters at least)."""
    query = request.GET.get("q", "").strip()
    return render(request, PAGE + "#group-candidates", _picker(request, graph_for(request), person_id, query))


def _picker(request: HttpRequest, graph: GraphClient, person_id: str, query: str, *,
            already: frozenset[str] | None = None, failed: dict[str, Message] | None = None) -> dict:
    """The picker's groups for ``query``, each judged, those the person is in already marked (read
    beside the search, in the same round trip, unless the caller just read them), and ``failed``:
    the groups an add just failed for, which stay ticked with what went wrong."""
    context = {"groups": [], "query": query, "error": None}
    if len(query) < 2:
        return context
    failed = failed or {}
    try:
        if already is None:
            found, already = graph.together(lambda: _search_groups(graph, query), lambda: _direct_groups(graph, person_id))
        else:
            found = _search_groups(graph, query)
        judged = _judged(request, graph, [g for g in found if g.id != person_id])
    except GraphError as exc:
        context["error"] = explain.load_failed(exc, "groups")
        return context
    context["groups"] = [Candidate(row.container, row.verdict, row.reason, row.container.id in already,
                                   failed.get(row.container.id)) for row in judged]
    return context


def _search_groups(graph: GraphClient, query: str) -> list[ContainerInfo]:
    return graph.list_containers(Kind.GROUPS, search=query, top=GROUP_PICKER_SIZE).items


def _direct_groups(graph: GraphClient, person_id: str) -> frozenset[str]:
    """The groups the person is a direct member of; none when they can't be read (every group then
    stays tickable, and an add to one they are in says "Already a member")."""
    try:
        _, containers = graph.person_memberships(person_id)
    except GraphError:
        return frozenset()
    return frozenset(c.id for c in containers if c.kind is Kind.GROUPS)
