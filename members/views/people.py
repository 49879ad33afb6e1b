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

from members import changes, explain, memo
from members.reads import access_for
from members.directory import PICKED_TYPES, Action, ContainerInfo, DirectoryItem, Kind
from members.graph import GraphClient, GraphError
from members.permissions import Verdict, change_verdict
from members.directory import Container
from accounts.tokens import granted_scopes
from members.forms import ContainersForm, GroupIdsForm, first_error
from members.views.common import change, graph_for, is_fragment

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
    """Each container with whether this user may change its members (and remembered for the click)."""
    access, scopes = access_for(request.session, graph), granted_scopes(request)
    rows = []
    for info in containers:
        memo.remember_container(request.session, Container(info.kind, info.id), info, None)
        verdict = change_verdict(info, access, scopes)
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
    context = {"person": person, "memberships": rows, "supported": person.type in PERSON_TYPES}
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
    person = memo.recall_items(request.session, [person_id]).get(person_id)
    items = {person_id: person} if person else None
    done = []
    for address in targets:
        info, [row] = change(request, action, address, [person_id], items=items)
        done.append(Change(info or address, address, row))
    if not request.htmx:
        for made in done:
            name = getattr(made.container, "display_name", made.address.id)
            level = messages.ERROR if made.row.message.tone == "error" else messages.SUCCESS
            messages.add_message(request, level, f"{name}: {made.row.message.text} {made.row.message.fix}".strip())
        return redirect(reverse("members:person", args=[person_id]))
    context = {"action": action, "changes": done, "nothing_selected": not targets, "oob": True}
    try:
        person, rows = _memberships(request, graph_for(request), person_id)
        if person is None:  # no such object (any more): nothing to list, nor a link to its page
            context["memberships_error"] = explain.person_missing()
        else:
            context.update({"person": person, "memberships": rows, "supported": True})
    except GraphError as exc:
        context["memberships_error"] = explain.load_failed(exc, "the memberships as they are now")
    return render(request, PAGE + "#results", context)


@require_GET
def person_groups(request: HttpRequest, person_id: str) -> HttpResponse:
    """The group picker of "add to several groups": groups whose name matches (two letters at least)."""
    query = request.GET.get("q", "").strip()
    groups, error = [], None
    if len(query) >= 2:
        graph = graph_for(request)
        try:
            found = graph.list_containers(Kind.GROUPS, search=query, top=GROUP_PICKER_SIZE).items
            groups = _judged(request, graph, [g for g in found if g.id != person_id])
        except GraphError as exc:
            error = explain.load_failed(exc, "groups")
    return render(request, PAGE + "#group-candidates", {"groups": groups, "query": query, "error": error})
