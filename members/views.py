"""Thin views: parse, call ``changes`` or ``graph``, render a page or a fragment.

Changes (DESIGN.md "Pages and the UI contract"): ``DELETE /<kind>/<id>/members/<member-id>/``
removes one member, ``POST /<kind>/<id>/members/`` (field ``member``, repeated) adds. Both
answer an htmx fragment to htmx and redirect back to the container page otherwise. Expected
Graph refusals are answered 200 with the row carrying a ``role="alert"`` message (htmx 2 does
not swap 4xx answers). Container ids are checked by the URLconf (``members.urls``): a bad one is
a 404 before any view runs.
"""

from collections.abc import Mapping
from dataclasses import replace

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import trigger_client_event

from members import changes, explain, journal, memo, notsent, pages
from members.access import access_for
from members.client import graph_for
from members.directory import Action, ContainerInfo, DirectoryItem, Kind, MyAccess, Outcome, Page, Trait
from members.graph import ContainerRead, GraphClient, GraphError
from members.models import AuditEntry
from members.permissions import ALLOWED, ROLE_NAMES, Verdict, change_verdict, picker_types, role_names
from members.refs import Container, InvalidId, object_id
from portal.auth import ReauthenticationRequired, granted_scopes

DETAIL = "members/container_detail.html"
LIST = "members/container_list.html"


def _is_fragment(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


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
    recent = journal.redact(lambda: graph, request.session, AuditEntry.objects.filter(actor=request.user)[:8])
    return render(request, "members/home.html", {"access": access, "role_names": role_names(access), "units": units,
                                                  "owned": owned, "recent": recent, "error": error,
                                                  "standing": explain.standing(access, granted_scopes(request))})


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
    error = None
    page = None
    try:
        if link := memo.recall_next(request.session, more):
            page = graph.next_page(link, lambda item: ContainerInfo.from_graph(kind, item), eventual=True)
            page = graph.with_member_counts(page)
        else:
            page = pages.read_list(request.session, graph, kind, query)  # one $batch when warm
    except GraphError as exc:
        error = explain.load_failed(exc, kind.plural_label.lower())
    shown, total = _tally(request, page)
    context = {"kind": kind, "query": query, "page": page, "error": error, "shown": shown, "total": total,
               "count": explain.count_line(shown, total, kind.label, kind.plural_label.lower(), query),
               "more": memo.remember_next(request.session, page.next_link if page else None), "next_page": bool(more)}
    template = LIST
    if _is_fragment(request):
        template += "#container-rows" if more else "#container-results"
    return render(request, template, context)


def _detail_context(request: HttpRequest, graph: GraphClient, container: Container, *, fresh: bool = True,
                    members: bool = False) -> dict:
    """The container's facts and whether the user may change it; fragments may reuse the page's read.
    ``members``: the first page of members and their count too, read in the same $batch."""
    read = pages.read_container(request.session, graph, container, members=members, fresh=fresh)
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
               "no_way_back": _no_way_back(request, resolved.kind)}
    if members:
        context["member_count"] = read.member_count
        context.update(_members_context(request, graph, resolved, read=read, member_count=read.member_count))
    return context


def _no_way_back(request: HttpRequest, kind: Kind) -> dict[str, str]:
    """Member types whose removal can't be undone here (their add-back would be refused), with why:
    their Remove asks with that warning, and their removed row offers no Undo."""
    return explain.no_way_back(kind, granted_scopes(request))


def _role_verdict(verdict: Verdict, info: ContainerInfo, access: MyAccess, group_units: frozenset[str] | None) -> Verdict | None:
    """When consent is missing: would the user's roles be enough once it is granted? (empty scopes: unknown grant)"""
    return change_verdict(info, access, frozenset(), group_units) if verdict.reason == "scope_missing" else None


def _tally(request: HttpRequest, page: Page | None, total: int | None = None) -> tuple[int, int | None]:
    """How many rows a list shows so far, and of how many (None: not counted). The rows of earlier
    pages and the total travel in the Load more link (``shown``, ``total``): they only feed words."""
    more = bool(request.GET.get("more"))
    shown = ((_count_param(request, "shown") or 0) if more else 0) + (len(page.items) if page else 0)
    if page is not None and page.count is not None:
        total = page.count
    elif total is None and more:
        total = _count_param(request, "total")
    if total is None and page is not None and not page.next_link:
        total = shown
    return shown, total


def _count_param(request: HttpRequest, name: str) -> int | None:
    try:
        value = int(request.GET.get(name, ""))
    except ValueError:  # also a number too long to convert
        return None
    return value if 0 <= value < 10**9 else None



def _members_context(request: HttpRequest, graph: GraphClient, container: Container, query: str = "",
                     more: str = "", *, read: ContainerRead | None = None, member_count: int | None = None) -> dict:
    """A page of members: the one ``read`` with the page, else searched or followed from ``more``."""
    page, failure = (read.members, read.members_error) if read is not None else (None, None)
    if read is None:
        try:
            if link := memo.recall_next(request.session, more):
                page = graph.next_page(link, DirectoryItem.from_graph, eventual=bool(query))
            else:
                page = graph.list_members(container, search=query)
        except GraphError as exc:
            failure = exc
    error = None
    if failure is not None:
        error = _hidden_members(request, graph, container, failure) or explain.load_failed(
            failure, f"the members of this {container.kind.label}")
    memo.remember_items(request.session, page.items if page else [])
    shown, total = _tally(request, page, None if query else member_count)
    return {"members": page.items if page else [], "members_error": error, "query": query,
            "shown": shown, "total": total, "count": explain.count_line(shown, total, "member", "members", query, say_all=False),
            "more": memo.remember_next(request.session, page.next_link if page else None), "next_page": bool(more)}


def _hidden_members(request: HttpRequest, graph: GraphClient, container: Container, error: GraphError):
    """A hidden-membership unit that refused its member list: say why (issue 10), else None."""
    remembered = memo.recall_container(request.session, container)
    if not error.is_permission_denied or remembered is None or Trait.HIDDEN not in remembered[0].traits:
        return None
    return explain.hidden_members(error, access_for(request.session, graph), granted_scopes(request))


@require_GET
def container_detail(request: HttpRequest, kind: Kind, container_id: str) -> HttpResponse:
    """A container's facts and the first page of its members (``?part=count``: just the count, for htmx;
    ``?part=recent``: just the recent changes, from the journal)."""
    container = Container(kind, container_id)
    if _is_fragment(request) and request.GET.get("part") == "count":
        graph = graph_for(request)
        return render(request, DETAIL + "#member-count", {"kind": container.kind, "address": container,
                                                           "member_count": graph.count_members(container)})
    if _is_fragment(request) and request.GET.get("part") == "recent":
        return render(request, DETAIL + "#recent-changes", {"kind": container.kind, "address": container,
                                                             "recent": _recent(request, container)})
    return _render_detail(request, container)


def _recent(request: HttpRequest, container: Container, *, hide_members: bool | None = None) -> list[AuditEntry]:
    """The container's last changes the viewer may read: the journal never shows what the page would
    not (others' entries to a reader of their own, members of a list Graph won't show them)."""
    recent = journal.visible_entries(request.user).filter(container_id=container.id)[:5]
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
        context = _detail_context(request, graph, container, members=True)  # one Graph round trip
    except GraphError as exc:
        status = 404 if exc.is_not_found else 200
        return render(request, DETAIL, {"kind": container.kind, "load_error": explain.container_load_failed(exc, container)},
                      status=status)
    notsent.journal_interrupted(request)  # a click made while the session was gone, before signing in
    context["not_sent"] = notsent.to_offer(request, graph, context["address"], context["container"].display_name)
    context["recent"] = _recent(request, context["address"], hide_members=bool(context["members_error"]))
    return render(request, DETAIL, context)


@require_http_methods(["GET", "POST"])
def member_collection(request: HttpRequest, kind: Kind, container_id: str) -> HttpResponse:
    """GET: the members fragment (search, next page). POST: add members."""
    if request.method == "POST":
        return member_add(request, kind, container_id)
    return member_table(request, kind, container_id)


def member_table(request: HttpRequest, kind: Kind, container_id: str) -> HttpResponse:
    container = Container(kind, container_id)
    if not _is_fragment(request):
        return redirect(_detail_url(container))
    graph = graph_for(request)
    more = request.GET.get("more", "")
    try:
        context = _detail_context(request, graph, container, fresh=False)
    except GraphError as exc:
        error = explain.load_failed(exc, f"this {container.kind.label}")
        return render(request, DETAIL + "#member-table", {"kind": container.kind, "address": container,
                                                           "verdict": ALLOWED, "members_error": error})
    context.update(_members_context(request, graph, container, request.GET.get("q", "").strip(), more))
    return render(request, DETAIL + ("#member-rows" if more else "#member-table"), context)


def _detail_url(container: Container) -> str:
    return reverse("members:container-detail", args=[container.kind.value, container.id])


def _known(request: HttpRequest, graph: GraphClient, container: Container, ids: list[str]) -> changes.Known:
    """What this session's pages already read: the container, its units, the names of the members."""
    remembered = memo.recall_container(request.session, container)
    info, group_units = remembered if remembered else (None, None)
    return changes.Known(info=info, group_units=group_units, items=memo.recall_items(request.session, ids),
                         access=access_for(request.session, graph), scopes=granted_scopes(request))


def _change(request: HttpRequest, action: Action, container: Container, member_ids: list[str], *,
            items: Mapping[str, DirectoryItem] | None = None) -> tuple[ContainerInfo | None, list[changes.Row]]:
    """Make the change through the journal; if the sign-in has expired, journal it as not sent, then re-login.

    ``items``: names the caller already holds (a pasted list's plan), beside those the pages showed.
    """
    try:
        graph = graph_for(request)
    except ReauthenticationRequired:
        changes.record_not_sent(request.user, action, container, member_ids,
                                notsent.remembered(request, container, member_ids))
        raise
    known = _known(request, graph, container, member_ids)
    if items:
        known = replace(known, items={**items, **known.items})
    info, rows = changes.apply(graph, request.user, action, container, member_ids, known, _note(request))
    pages.forget_contradicted(request.session, container, known, rows)
    return info, rows


def _note(request: HttpRequest) -> changes.Note:
    """The ticket reference and reason sent with a change (fields ``ticket``, ``reason``; htmx sends a
    DELETE's in the query string), trimmed to what the journal keeps."""
    fields = request.POST if request.method == "POST" else request.GET
    return changes.Note(ticket=" ".join(fields.get("ticket", "").split())[:64],
                        reason=" ".join(fields.get("reason", "").split())[:500])


def _back_to_page(request: HttpRequest, container: Container, rows: list[changes.Row]) -> HttpResponse:
    """Without htmx: each outcome as a message on the container page."""
    for row in rows:
        level = messages.ERROR if row.message.tone == "error" else messages.SUCCESS
        messages.add_message(request, level, f"{row.member.display_name}: {row.message.text} {row.message.fix}".strip())
    return redirect(_detail_url(container))


def _row_context(row: changes.Row) -> dict:
    return {"member": row.member, "result": row.result, "message": row.message}


@require_http_methods(["DELETE", "POST"])
def member_remove(request: HttpRequest, kind: Kind, container_id: str, member_id: str) -> HttpResponse:
    """Remove one member (DELETE .../members/{id}/$ref). Success: the row goes; refusal: it stays with the reason."""
    container = Container(kind, container_id)
    try:
        member_id = object_id(member_id)
    except InvalidId as exc:
        return HttpResponseBadRequest(str(exc))
    info, rows = _change(request, Action.REMOVE, container, [member_id])
    row = rows[0]
    if not request.htmx:
        return _back_to_page(request, container, rows)
    context = {**_row_context(row), "kind": container.kind, "container": info, "address": container,
               "no_way_back": _no_way_back(request, container.kind)}
    if row.result.outcome.took_effect:
        response = render(request, DETAIL + "#removed-row", context)
        return trigger_client_event(response, "membersChanged")
    return render(request, DETAIL + "#member-row", {**context, "verdict": ALLOWED, "notice": row.message})


def _picked_change(request: HttpRequest, action: Action, kind: Kind, container_id: str,
                   results_fragment: str) -> HttpResponse | tuple[dict, list[changes.Row]]:
    """Add or remove the picked members (field ``member``, repeated) through the journal.

    Returns the answer when it ends here (bad id, nothing picked or too many, no htmx), else the
    fragment's context and the rows.
    """
    container = Container(kind, container_id)
    try:
        member_ids = list(dict.fromkeys(object_id(value) for value in request.POST.getlist("member")))
    except InvalidId as exc:
        return HttpResponseBadRequest(str(exc))
    context = {"kind": container.kind, "address": container, "verdict": ALLOWED,
               "no_way_back": _no_way_back(request, container.kind)}
    if not member_ids:
        return render(request, DETAIL + results_fragment, {**context, "nothing_selected": True})
    if len(member_ids) > changes.MAX_MEMBERS_PER_CHANGE:  # checked before anything is sent
        if not request.htmx:
            return HttpResponseBadRequest(f"At most {changes.MAX_MEMBERS_PER_CHANGE:,} members per change.")
        return render(request, DETAIL + results_fragment, {**context, "too_many": len(member_ids),
                                                           "limit": changes.MAX_MEMBERS_PER_CHANGE})
    info, rows = _change(request, action, container, member_ids)
    if not request.htmx:
        return _back_to_page(request, container, rows)
    return {**context, "container": info}, rows


@require_http_methods(["POST"])
def member_bulk_remove(request: HttpRequest, kind: Kind, container_id: str) -> HttpResponse:
    """Remove the selected members (field ``member``, repeated) in $batch; each row shows its own outcome."""
    applied = _picked_change(request, Action.REMOVE, kind, container_id, "#bulk-results")
    if isinstance(applied, HttpResponse):
        return applied
    context, rows = applied
    gone = [_row_context(row) for row in rows if row.result.outcome.took_effect]
    kept = [_row_context(row) for row in rows if not row.result.outcome.took_effect]
    response = render(request, DETAIL + "#bulk-results", {**context, "rows": rows, "gone": gone, "kept": kept})
    if gone:
        trigger_client_event(response, "membersChanged")
    return response


def member_add(request: HttpRequest, kind: Kind, container_id: str) -> HttpResponse:
    """Add the picked members (field ``member``, repeated): groups by PATCH per 20, others by $batch."""
    applied = _picked_change(request, Action.ADD, kind, container_id, "#add-results")
    if isinstance(applied, HttpResponse):
        return applied
    context, rows = applied
    if (request.htmx.target or "").startswith("removed-") and len(rows) == 1:
        return _undo_answer(request, context, rows[0])
    context["rows"] = rows
    context["added"] = [row.member for row in rows if row.result.outcome.may_have_changed]
    response = render(request, DETAIL + "#add-results", context)
    if context["added"]:
        trigger_client_event(response, "membersChanged")
    return response


def _undo_answer(request: HttpRequest, context: dict, row: changes.Row) -> HttpResponse:
    """Undo of a removal: the member's row comes back, or the removed row says why it could not."""
    if row.result.outcome.took_effect:
        response = render(request, DETAIL + "#member-row", {**context, "member": row.member, "notice": row.message})
        return trigger_client_event(response, "membersChanged")
    return render(request, DETAIL + "#removed-row", {**context, **_row_context(row)})


@require_GET
def member_candidates(request: HttpRequest, kind: Kind, container_id: str) -> HttpResponse:
    """The people picker's results: users, groups and devices as the container allows."""
    container = Container(kind, container_id)
    query = request.GET.get("q", "").strip()
    candidates, already, error = [], frozenset(), None
    if len(query) >= 2:
        graph = graph_for(request)
        try:
            info = _detail_context(request, graph, container, fresh=False)["container"]
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


def _settle_my_open_entries(request: HttpRequest) -> None:
    """Entries of mine left pending or unknown (a lost answer, a stopped server) for longer than a
    request can take: read back, so the journal shows what really happened."""
    entries = list(changes.open_entries(actor=request.user, older_than=settings.JOURNAL_SETTLE_AFTER)
                   [:changes.SETTLE_PER_VISIT])
    if not entries:
        return
    try:
        graph = graph_for(request)
    except ReauthenticationRequired:
        return  # the journal still shows them as open; the next visit after signing in settles them
    changes.settle_open(graph, entries)
