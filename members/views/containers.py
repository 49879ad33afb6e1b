"""The home page, the lists of containers and a container's page: its facts, its members (search,
next page, count), its recent changes, and the people picker's results.

Container ids are checked by the URLconf (``members.urls``): a bad one is a 404 before any view runs.
"""


from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from members import expiry, explain, journal, memo, notsent, reads
from accounts import kept
from members.reads import access_for
from members.directory import Container, ContainerInfo, DirectoryItem, Kind, MyAccess, Trait
from members.graph import ContainerRead, GraphClient, GraphError
from members.graph.lists import GROUP_KIND_FILTERS
from members.models import AuditEntry
from members.permissions import Reason, ALLOWED, ROLE_NAMES, Verdict, change_verdict, picker_types, role_names
from accounts.tokens import granted_scopes
from members.views.common import DETAIL, MEMBERS, LIST, count_param, detail_url, graph_for, is_fragment, no_way_back, tally
from members.views import jobs
from members.views.membership import member_add


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """My roles, my units (and the groups in each I can manage), my recent activity."""
    graph = graph_for(request)
    access = access_for(request.session, graph)
    units, owned = [], []
    error = None
    try:
        if access.units:
            units = _my_units(graph, access, granted_scopes(request))
        if access.owned_groups:
            owned = graph.my_owned_groups()
    except GraphError as exc:
        error = explain.load_failed(exc, "your units and groups")
    recent = journal.redact(lambda: graph, request.session, AuditEntry.objects.filter(actor=request.user)[:HOME_ACTIVITY])
    return render(request, "members/home.html", {"access": access, "role_names": role_names(access), "units": units,
                                                  "owned": owned, "recent": recent, "error": error,
                                                  "standing": explain.standing(access, granted_scopes(request)),
                                                  "jobs": jobs.shown_jobs(request),
                                                  **_scheduled(request, graph, access, units, owned)})


def _scheduled(request: HttpRequest, graph: GraphClient, access: MyAccess, units: list[dict], owned) -> dict:
    """What is overdue that this person may be able to remove (never a member of a unit whose members
    Graph hides from them), what they granted that ends soon, and until when their sign-in is kept."""
    managed = {unit["id"] for unit in units} | {g.id for unit in units for g in unit["groups"]} | {g.id for g in owned}
    overdue = expiry.overdue_for(request.user, everywhere=bool(access.roles), containers=managed)
    in_units = {end.container_id for end in overdue if end.container_kind == Kind.UNITS}
    hidden = journal.hidden_containers(graph, request.session, in_units) if in_units else set()
    kept_until = kept.kept_until(request.user)
    return {"overdue": [end for end in overdue if end.container_id not in hidden or end.granted_by_id == request.user.pk],
            "soon": expiry.granted_soon(request.user),
            "kept_note": explain.expiry.kept_sign_in(kept_until) if kept_until else ""}

HOME_ACTIVITY = 8  # my latest changes on the home page
RECENT_CHANGES = 5  # a container's latest changes on its page


def _my_units(graph: GraphClient, access: MyAccess, scopes: frozenset[str]) -> list[dict]:
    """Each unit where I hold a scoped role, with the groups in it my unit role reaches (others folded)."""
    units = []
    for unit_id, info, groups in graph.units_with_groups(sorted(access.units)):
        manageable = [g for g in groups if change_verdict(g, access, scopes, frozenset({unit_id})).allowed]
        units.append({
            "id": unit_id,
            "name": info.display_name if info else unit_id,
            "roles": sorted({ROLE_NAMES.get(role, "Administrator") for unit, role in access.scoped if unit == unit_id}),
            "groups": manageable,
            "others": [g for g in groups if g not in manageable],
        })
    return units


@require_GET
def container_list(request: HttpRequest, kind: Kind) -> HttpResponse:
    """Searchable, paged list of AUs, groups or directory roles ("Load more" follows nextLink)."""
    graph = graph_for(request)
    query = request.GET.get("q", "").strip()
    more = request.GET.get("more", "")
    group_kind = _group_kind(request, kind)
    descending = is_descending(request)
    error = None
    page = None
    try:
        if link := memo.recall_next(request.session, more):
            page = graph.next_page(link, lambda item: ContainerInfo.from_graph(kind, item), eventual=True)
            page = graph.with_member_counts(page)
        else:
            page = reads.read_list(request.session, graph, kind, query, group_kind, descending)  # one wave of $batch when warm
    except GraphError as exc:
        error = explain.load_failed(exc, kind.plural_label.lower())
    shown, total = tally(request, page)
    noun, nouns = explain.list_nouns(kind, group_kind)
    context = {"kind": kind, "query": query, "page": page, "error": error, "shown": shown, "total": total,
               "group_kind": group_kind, "count_nouns": nouns, "descending": descending, "group_kinds": [(t.value, t.label_for(Kind.GROUPS)) for t in GROUP_KIND_FILTERS],
               "count": explain.count_line(shown, total, noun, nouns, query),
               "more": memo.remember_next(request.session, page.next_link if page else None), "next_page": bool(more)}
    template = LIST
    if is_fragment(request):
        template += "#container-rows" if more else "#container-results"
    return render(request, template, context)


def _group_kind(request: HttpRequest, kind: Kind) -> Trait | None:
    """The kind of group a groups list is narrowed to (``?type=``); anything else lists every kind."""
    asked = request.GET.get("type", "")
    if kind is not Kind.GROUPS or asked not in {t.value for t in GROUP_KIND_FILTERS}:
        return None
    return Trait(asked)


def detail_context(request: HttpRequest, graph: GraphClient, container: Container, *, fresh: bool = True,
                    members: bool = False) -> dict:
    """The container's facts and whether the user may change it; fragments may reuse the page's read.
    ``members``: the first page of members and their count too, read in the same $batch."""
    read = reads.read_container(request.session, graph, container, members=members, fresh=fresh)
    if read.error is not None:
        raise read.error
    info, access = read.info, read.access
    resolved = Container(container.kind, info.id)  # a role addressed by template id has an object id too
    verdict = change_verdict(info, access, granted_scopes(request), read.group_units)
    context = {"kind": resolved.kind, "container": info, "address": resolved, "verdict": verdict,
               "disabled_reason": explain.disabled_reason(verdict, resolved.kind,
                                                          _role_verdict(verdict, info, access, read.group_units)),
               "access": access,
               "strong_confirm": resolved.kind is Kind.ROLES or "role_assignable" in info.traits,
               "no_way_back": no_way_back(request, resolved.kind)}
    if members:
        context["member_count"] = read.member_count
        context.update(_members_context(request, graph, resolved, read=read, member_count=read.member_count))
    return context


def _role_verdict(verdict: Verdict, info: ContainerInfo, access: MyAccess, group_units: frozenset[str] | None) -> Verdict | None:
    """When consent is missing: would the user's roles be enough once it is granted? (empty scopes: unknown grant)"""
    return change_verdict(info, access, frozenset(), group_units) if verdict.reason is Reason.SCOPE_MISSING else None


def _members_context(request: HttpRequest, graph: GraphClient, container: Container, query: str = "",
                     more: str = "", *, read: ContainerRead | None = None, member_count: int | None = None,
                     descending: bool = False) -> dict:
    """A page of members: the one ``read`` with the page, else searched (or sorted Z to A) or followed
    from ``more``."""
    page, failure = (read.members, read.members_error) if read is not None else (None, None)
    if read is None:
        try:
            if link := memo.recall_next(request.session, more):
                page = graph.next_page(link, DirectoryItem.from_graph, eventual=bool(query) or descending)
            else:
                page = graph.list_members(container, search=query, descending=descending)
        except GraphError as exc:
            failure = exc
    error = None
    if failure is not None:
        error = hidden_members(request, graph, container, failure) or explain.load_failed(
            failure, f"the members of this {container.kind.label}")
    memo.remember_items(request.session, page.items if page else [])
    shown, total = tally(request, page, None if query else member_count)
    return {"members": page.items if page else [], "members_error": error, "query": query,
            "ends": expiry.ends_of(container.id, [m.id for m in page.items] if page else []),
            "shown": shown, "total": total, "count": explain.count_line(shown, total, "member", "members", query, say_all=False),
            "more": memo.remember_next(request.session, page.next_link if page else None), "next_page": bool(more),
            "descending": descending}


def is_descending(request: HttpRequest) -> bool:
    """A list sorted Z to A (``?sort=desc``); anything else is A to Z, the lists' own order."""
    return request.GET.get("sort") == "desc"


def hidden_members(request: HttpRequest, graph: GraphClient, container: Container, error: GraphError):
    """A hidden-membership unit that refused its member list: say why, else None."""
    remembered = memo.recall_container(request.session, container)
    if not error.is_permission_denied or remembered is None or Trait.HIDDEN not in remembered[0].traits:
        return None
    return explain.hidden_members(error, access_for(request.session, graph), granted_scopes(request))


@require_GET
def container_detail(request: HttpRequest, kind: Kind, container_id: str) -> HttpResponse:
    """A container's facts and the first page of its members (``?part=count``: just the count, for htmx;
    ``?part=recent``: just the recent changes, from the journal)."""
    container = Container(kind, container_id)
    if is_fragment(request) and request.GET.get("part") == "count":
        return _member_count(request, container)
    if is_fragment(request) and request.GET.get("part") == "recent":
        return render(request, DETAIL + "#recent-changes", {"kind": container.kind, "address": container,
                                                             "recent": _recent(request, container)})
    return _render_detail(request, container)


def _member_count(request: HttpRequest, container: Container) -> HttpResponse:
    """The member count read anew after a change; with ``rows`` (the member rows the page shows, sent
    by desk.js when the list is neither searched nor viewed another way) the line over the table too."""
    count = graph_for(request).count_members(container)
    rows = count_param(request, "rows")
    shown = None if rows is None else explain.count_line(rows, count, "member", "members", say_all=False)
    return render(request, DETAIL + "#member-count", {"kind": container.kind, "address": container,
                                                       "member_count": count, "follows_shown": rows is not None,
                                                       "shown_line": shown})


def _recent(request: HttpRequest, container: Container, *, hide_members: bool | None = None) -> list[AuditEntry]:
    """The container's last changes the viewer may read: the journal never shows what the page would
    not (others' entries to a reader of their own, members of a list Graph won't show them)."""
    recent = AuditEntry.objects.visible_to(request.user).for_container(container.id)[:RECENT_CHANGES]
    if hide_members is None:  # the fragment alone: ask (units only, remembered a few minutes)
        return journal.redact(lambda: graph_for(request), request.session, recent)
    return journal.hide_all(recent) if hide_members else list(recent)


@require_GET
def role_by_template(request: HttpRequest, template_id: str) -> HttpResponse:
    """A directory role addressed by its roleTemplateId (stable across tenants: good for bookmarks)."""
    return _render_detail(request, Container.role_template(template_id))


def _render_detail(request: HttpRequest, container: Container) -> HttpResponse:
    graph = graph_for(request)
    try:
        context = detail_context(request, graph, container, members=True)  # one Graph round trip
    except GraphError as exc:
        status = 404 if exc.is_not_found else 200
        return render(request, DETAIL, {"kind": container.kind, "load_error": explain.container_load_failed(exc, container)},
                      status=status)
    context["not_sent"] = notsent.to_offer(request, graph, context["address"], context["container"].display_name)
    context["recent"] = _recent(request, context["address"], hide_members=bool(context["members_error"]))
    context["jobs"] = jobs.shown_jobs(request, context["address"].id)
    return render(request, DETAIL, context)


@require_http_methods(["GET", "POST"])
def member_collection(request: HttpRequest, kind: Kind, container_id: str) -> HttpResponse:
    """GET: the members fragment (search, next page). POST: add members."""
    if request.method == "POST":
        return member_add(request, kind, container_id)
    return member_table(request, kind, container_id)


def member_table(request: HttpRequest, kind: Kind, container_id: str) -> HttpResponse:
    container = Container(kind, container_id)
    if not is_fragment(request):
        return redirect(detail_url(container))
    graph = graph_for(request)
    more = request.GET.get("more", "")
    try:
        context = detail_context(request, graph, container, fresh=False)
    except GraphError as exc:
        error = explain.load_failed(exc, f"this {container.kind.label}")
        return render(request, MEMBERS + "#member-table", {"kind": container.kind, "address": container,
                                                           "verdict": ALLOWED, "members_error": error})
    context.update(_members_context(request, graph, container, request.GET.get("q", "").strip(), more,
                                    descending=is_descending(request)))
    return render(request, MEMBERS + ("#member-rows" if more else "#member-table"), context)


@require_GET
def member_candidates(request: HttpRequest, kind: Kind, container_id: str) -> HttpResponse:
    """The people picker's results: users, groups and devices as the container allows."""
    container = Container(kind, container_id)
    query = request.GET.get("q", "").strip()
    candidates, already, error = [], frozenset(), None
    if len(query) >= 2:
        graph = graph_for(request)
        try:
            info = detail_context(request, graph, container, fresh=False)["container"]
            candidates = [c for c in graph.search_directory(query, picker_types(info)) if c.id != container.id]
            memo.remember_items(request.session, candidates)
            already = _already_members(graph, container, candidates)
        except GraphError as exc:
            error = explain.load_failed(exc, "the directory")
    return render(request, DETAIL + "#candidates", {"candidates": candidates, "already": already, "query": query,
                                                     "error": error, "kind": container.kind, "address": container})


def _already_members(graph: GraphClient, container: Container, hits: list[DirectoryItem]) -> frozenset[str]:
    """The hits that are members already: read for all of them at once (one $batch per 20), never
    one call per hit. A hit whose membership can't be read stays tickable: Graph will tell."""
    if not hits:
        return frozenset()
    state = graph.read_membership(container, [hit.id for hit in hits])
    return frozenset(member_id for member_id, is_member in state.items() if is_member)
