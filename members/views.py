"""Thin views: parse and validate ids, call the Graph service, audit, render a page or a fragment.

Changes (DESIGN.md "Pages and the UI contract"): ``DELETE /<kind>/<id>/members/<member-id>/``
removes one member, ``POST /<kind>/<id>/members/`` (field ``member``, repeated) adds. Both
answer an htmx fragment to htmx and redirect back to the container page otherwise. Expected
Graph refusals are answered 200 with the row carrying a ``role="alert"`` message (htmx 2 does
not swap 4xx answers).
"""

import secrets
import time

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import trigger_client_event

from members import explain
from members.access import access_for
from members.graph import ContainerInfo, DirectoryItem, GraphClient, GraphError, Outcome, Result
from members.models import AuditEntry
from members.permissions import ALLOWED, ROLE_NAMES, change_verdict, picker_types
from members.refs import Container, InvalidId, Kind, object_id, parse_kind
from portal.auth import ReauthenticationRequired, graph_for, granted_scopes

DETAIL = "members/container_detail.html"
LIST = "members/container_list.html"
PAGES_KEY = "next_links"
CONTAINERS_KEY = "containers_seen"
CONTAINER_MEMO_SECONDS = 300
MAX_REMEMBERED_PAGES = 40
ITEMS_KEY = "items_seen"
MAX_REMEMBERED_ITEMS = 500


def _container(kind: str, container_id: str) -> Container:
    return Container.of(parse_kind(kind), container_id)


def _remember_next(request: HttpRequest, next_link: str | None) -> str:
    """Keep a Graph nextLink server-side; the browser only sees an opaque key (ids-only URLs)."""
    if not next_link:
        return ""
    links = request.session.get(PAGES_KEY, {})
    key = secrets.token_urlsafe(9)
    links[key] = next_link
    request.session[PAGES_KEY] = dict(list(links.items())[-MAX_REMEMBERED_PAGES:])
    return key


def _recall_next(request: HttpRequest, key: str) -> str | None:
    return request.session.get(PAGES_KEY, {}).get(key)


def _is_fragment(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """My roles, my units (and the groups in each I can manage), my recent activity."""
    graph = graph_for(request)
    access = access_for(request, graph)
    units, owned = [], []
    error = None
    try:
        if access.units:
            units = _my_units(graph, access, granted_scopes(request))
        if access.owned_groups:
            owned = graph.my_owned_groups()
    except GraphError as exc:
        error = explain.load_failed(exc, "your units and groups")
    recent = AuditEntry.objects.filter(actor=request.user)[:8]
    return render(request, "members/home.html", {"access": access, "units": units, "owned": owned, "recent": recent,
                                                  "error": error})


def _my_units(graph: GraphClient, access, scopes: frozenset[str]) -> list[dict]:
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
def container_list(request: HttpRequest, kind: str) -> HttpResponse:
    """Searchable, paged list of AUs, groups or directory roles ("Load more" follows nextLink)."""
    kind = parse_kind(kind)
    graph = graph_for(request)
    query = request.GET.get("q", "").strip()
    more = request.GET.get("more", "")
    error = None
    page = None
    try:
        if more and (link := _recall_next(request, more)):
            page = graph.next_page(link, lambda item: ContainerInfo.from_graph(kind, item), eventual=True)
        else:
            page = graph.list_containers(kind, search=query)
        page = graph.with_member_counts(page)
    except GraphError as exc:
        error = explain.load_failed(exc, kind.plural_label.lower())
    context = {"kind": kind, "query": query, "page": page, "error": error,
               "more": _remember_next(request, page.next_link if page else None)}
    template = LIST
    if _is_fragment(request):
        template += "#container-rows" if more else "#container-results"
    return render(request, template, context)


def _detail_context(request: HttpRequest, graph: GraphClient, container: Container, *, fresh: bool = True) -> dict:
    """The container's facts and whether the user may change it; fragments may reuse the page's read."""
    access = access_for(request, graph)
    memo = None if fresh else _recall_container(request, container)
    if memo is None:
        info, group_units = _read_container(graph, container, access)
        _remember_container(request, container, info, group_units)
    else:
        info, group_units = memo
    resolved = Container(container.kind, info.id)  # a role addressed by template id has an object id too
    verdict = change_verdict(info, access, granted_scopes(request), group_units)
    return {"kind": resolved.kind, "container": info, "address": resolved, "verdict": verdict,
            "disabled_reason": explain.disabled_reason(verdict, resolved.kind), "access": access,
            "strong_confirm": resolved.kind is Kind.ROLES or "role_assignable" in info.traits}


def _read_container(graph: GraphClient, container: Container, access) -> tuple[ContainerInfo, frozenset[str] | None]:
    info = graph.get_container(container)
    group_units = None
    if container.kind is Kind.GROUPS and access.scoped:
        try:
            group_units = graph.units_of_group(info.id)
        except GraphError:
            group_units = None
    return info, group_units


def _remember_container(request: HttpRequest, container: Container, info: ContainerInfo,
                        group_units: frozenset[str] | None) -> None:
    """What the page read, for its own fragments (Load more, search) for a few minutes."""
    memo = {key: value for key, value in request.session.get(CONTAINERS_KEY, {}).items()
            if time.time() - value["at"] < CONTAINER_MEMO_SECONDS}
    memo[f"{container.kind}:{info.id}"] = {"data": info.data, "units": sorted(group_units) if group_units is not None else None,
                                           "at": time.time()}
    request.session[CONTAINERS_KEY] = dict(list(memo.items())[-MAX_REMEMBERED_PAGES:])


def _remember_items(request: HttpRequest, items: list[DirectoryItem]) -> None:
    """The members and candidates a page showed, so a click on them needs no second read."""
    if not items:
        return
    seen = request.session.get(ITEMS_KEY, {})
    for item in items:
        seen.pop(item.id, None)
        seen[item.id] = [item.type, item.display_name, item.principal, item.detail]
    request.session[ITEMS_KEY] = dict(list(seen.items())[-MAX_REMEMBERED_ITEMS:])


def _recall_items(request: HttpRequest, ids: list[str]) -> dict[str, DirectoryItem]:
    seen = request.session.get(ITEMS_KEY, {})
    return {i: DirectoryItem(i, *seen[i]) for i in ids if i in seen}


def _recall_container(request: HttpRequest, container: Container) -> tuple[ContainerInfo, frozenset[str] | None] | None:
    memo = request.session.get(CONTAINERS_KEY, {}).get(f"{container.kind}:{container.id}")
    if memo is None or container.by_template or time.time() - memo["at"] >= CONTAINER_MEMO_SECONDS:
        return None
    units = frozenset(memo["units"]) if memo["units"] is not None else None
    return ContainerInfo.from_graph(container.kind, memo["data"]), units


def _members_context(request: HttpRequest, graph: GraphClient, container: Container, query: str = "",
                     more: str = "") -> dict:
    error = None
    page = None
    try:
        if more and (link := _recall_next(request, more)):
            page = graph.next_page(link, DirectoryItem.from_graph, eventual=bool(query))
        else:
            page = graph.list_members(container, search=query)
    except GraphError as exc:
        error = explain.load_failed(exc, f"the members of this {container.kind.label}")
    _remember_items(request, page.items if page else [])
    return {"members": page.items if page else [], "members_error": error, "query": query,
            "more": _remember_next(request, page.next_link if page else None)}


@require_GET
def container_detail(request: HttpRequest, kind: str, container_id: str) -> HttpResponse:
    """A container's facts and the first page of its members (``?part=count``: just the count, for htmx)."""
    container = _container(kind, container_id)
    if _is_fragment(request) and request.GET.get("part") == "count":
        graph = graph_for(request)
        return render(request, DETAIL + "#member-count", {"kind": container.kind, "address": container,
                                                           "member_count": graph.count_members(container)})
    return _render_detail(request, container)


@require_GET
def role_by_template(request: HttpRequest, template_id: str) -> HttpResponse:
    """A directory role addressed by its roleTemplateId (stable across tenants: good for bookmarks)."""
    return _render_detail(request, Container.role_template(template_id))


def _render_detail(request: HttpRequest, container: Container) -> HttpResponse:
    graph = graph_for(request)
    try:
        context = _detail_context(request, graph, container)
    except GraphError as exc:
        status = 404 if exc.is_not_found else 200
        return render(request, DETAIL, {"kind": container.kind, "load_error": explain.load_failed(exc, f"this {container.kind.label}")}, status=status)
    context["member_count"] = graph.count_members(context["address"])
    context.update(_members_context(request, graph, context["address"]))
    context["recent"] = AuditEntry.objects.filter(container_id=context["address"].id)[:5]
    return render(request, DETAIL, context)


@require_http_methods(["GET", "POST"])
def member_collection(request: HttpRequest, kind: str, container_id: str) -> HttpResponse:
    """GET: the members fragment (search, next page). POST: add members."""
    if request.method == "POST":
        return member_add(request, kind, container_id)
    return member_table(request, kind, container_id)


def member_table(request: HttpRequest, kind: str, container_id: str) -> HttpResponse:
    container = _container(kind, container_id)
    if not _is_fragment(request):
        return redirect(_detail_url(container))
    graph = graph_for(request)
    more = request.GET.get("more", "")
    context = _detail_context(request, graph, container, fresh=False)
    context.update(_members_context(request, graph, container, request.GET.get("q", "").strip(), more))
    return render(request, DETAIL + ("#member-rows" if more else "#member-table"), context)


def _detail_url(container: Container) -> str:
    return reverse("members:container-detail", args=[container.kind.value, container.id])


def _audit(request: HttpRequest, action: str, container: Container, info: ContainerInfo | None,
           member_id: str, member: DirectoryItem | None, result: Result | None, message: str,
           outcome: str | None = None) -> AuditEntry:
    error = result.error if result else None
    return AuditEntry.objects.create(
        actor=request.user, actor_upn=request.user.email or request.user.username, action=action,
        container_kind=container.kind.value, container_id=container.id,
        container_name=info.display_name if info else "", member_id=member_id,
        member_name=member.display_name if member else "", outcome=outcome or result.outcome.value,
        graph_status=error.status if error and error.status else None, graph_code=error.code if error else "",
        message=message, request_id=(result.request_id if result else "") or (error.request_id if error else ""),
        client_request_id=error.client_request_id if error else "",
    )


def _graph_or_audit(request: HttpRequest, action: str, container: Container, member_ids: list[str]) -> GraphClient:
    """The Graph client; if sign-in has expired, the attempt is audited as not sent before re-login."""
    try:
        return graph_for(request)
    except ReauthenticationRequired:
        for member_id in member_ids:
            _audit(request, action, container, None, member_id, None, None,
                   "Not sent: the sign-in had expired.", outcome=AuditEntry.Result.SIGN_IN)
        raise


def _change_context(request: HttpRequest, graph: GraphClient, action: str, container: Container,
                    results: list[Result]) -> tuple[ContainerInfo | None, list[dict]]:
    """Describe, explain and audit each result; the rows to render.

    Names come from what this session's pages already showed; Graph is asked only for the rest.
    """
    memo = _recall_container(request, container)
    items = _recall_items(request, [r.member_id for r in results])
    missing = [r.member_id for r in results if r.member_id not in items]
    try:
        info, found = graph.describe(container, missing, with_container=memo is None)
    except GraphError:
        info, found = None, {}
    items |= found
    access = access_for(request, graph)
    scopes = granted_scopes(request)
    if memo:  # the page already read the container and which units hold it
        info, group_units = memo
    else:
        group_units = _units_if_refused(graph, container, access, results)
    rows = []
    for result in results:
        member = items.get(result.member_id) or DirectoryItem(result.member_id, "directoryObject", "(unknown object)")
        message = explain.outcome_message(action, result, info, access, scopes, member.type, group_units)
        _audit(request, action, container, info, result.member_id, member, result, message.text)
        rows.append({"member": member, "result": result, "message": message})
    return info, rows


def _picked(kind: str, container_id: str, values: list[str]) -> tuple[Container, list[str]]:
    """The container and the picked member ids, every one validated (or InvalidId)."""
    container = _container(kind, container_id)
    return container, [object_id(value) for value in values]


def _back_to_page(request: HttpRequest, container: Container, rows: list[dict]) -> HttpResponse:
    """Without htmx: each outcome as a message on the container page."""
    for row in rows:
        level = messages.ERROR if row["message"].tone == "error" else messages.SUCCESS
        messages.add_message(request, level, f"{row['member'].display_name}: {row['message'].text} {row['message'].fix}".strip())
    return redirect(_detail_url(container))


def _units_if_refused(graph: GraphClient, container: Container, access, results: list[Result]) -> frozenset[str] | None:
    """A refused unit-scoped admin: which units the group is in decides the reason we give."""
    refused = any(r.outcome is Outcome.REFUSED for r in results)
    if not (refused and access.scoped and container.kind is Kind.GROUPS and not container.by_template):
        return None
    try:
        return graph.units_of_group(container.id)
    except GraphError:
        return None


@require_http_methods(["DELETE", "POST"])
def member_remove(request: HttpRequest, kind: str, container_id: str, member_id: str) -> HttpResponse:
    """Remove one member (DELETE .../members/{id}/$ref). Success: the row goes; refusal: it stays with the reason."""
    try:
        container, [member_id] = _picked(kind, container_id, [member_id])
    except InvalidId as exc:
        return HttpResponseBadRequest(str(exc))
    graph = _graph_or_audit(request, "remove", container, [member_id])
    result = graph.remove_member(container, member_id)
    info, rows = _change_context(request, graph, "remove", container, [result])
    row = rows[0]
    if not request.htmx:
        return _back_to_page(request, container, rows)
    if result.outcome in {Outcome.DONE, Outcome.ALREADY}:
        response = render(request, DETAIL + "#removed-row", {**row, "kind": container.kind, "container": info, "address": container})
        return trigger_client_event(response, "membersChanged")
    context = {**row, "kind": container.kind, "container": info, "address": container, "verdict": ALLOWED,
               "notice": row["message"]}
    return render(request, DETAIL + "#member-row", context)


def _apply_change(request: HttpRequest, action: str, kind: str, container_id: str,
                  results_fragment: str) -> HttpResponse | tuple[dict, list[dict]]:
    """Add or remove the picked members (field ``member``, repeated) and audit each.

    Returns the answer when it ends here (bad id, nothing picked, no htmx), else the fragment's
    context and the rows.
    """
    try:
        container, member_ids = _picked(kind, container_id, request.POST.getlist("member"))
    except InvalidId as exc:
        return HttpResponseBadRequest(str(exc))
    context = {"kind": container.kind, "address": container, "verdict": ALLOWED}
    if not member_ids:
        return render(request, DETAIL + results_fragment, {**context, "nothing_selected": True})
    graph = _graph_or_audit(request, action, container, member_ids)
    change = graph.add_members if action == "add" else graph.remove_members
    info, rows = _change_context(request, graph, action, container, change(container, member_ids))
    if not request.htmx:
        return _back_to_page(request, container, rows)
    return {**context, "container": info}, rows


@require_http_methods(["POST"])
def member_bulk_remove(request: HttpRequest, kind: str, container_id: str) -> HttpResponse:
    """Remove the selected members (field ``member``, repeated) in $batch; each row shows its own outcome."""
    applied = _apply_change(request, "remove", kind, container_id, "#bulk-results")
    if isinstance(applied, HttpResponse):
        return applied
    context, rows = applied
    gone = [row for row in rows if row["result"].outcome in {Outcome.DONE, Outcome.ALREADY}]
    response = render(request, DETAIL + "#bulk-results", {**context, "rows": rows, "gone": gone,
                                                          "kept": [row for row in rows if row not in gone]})
    if gone:
        trigger_client_event(response, "membersChanged")
    return response


def member_add(request: HttpRequest, kind: str, container_id: str) -> HttpResponse:
    """Add the picked members (field ``member``, repeated): groups by PATCH per 20, others by $batch."""
    applied = _apply_change(request, "add", kind, container_id, "#add-results")
    if isinstance(applied, HttpResponse):
        return applied
    context, rows = applied
    if (request.htmx.target or "").startswith("removed-") and len(rows) == 1:
        return _undo_answer(request, context, rows[0])
    context["rows"] = rows
    context["added"] = [row["member"] for row in rows if row["result"].outcome is Outcome.DONE]
    response = render(request, DETAIL + "#add-results", context)
    if context["added"]:
        trigger_client_event(response, "membersChanged")
    return response


def _undo_answer(request: HttpRequest, context: dict, row: dict) -> HttpResponse:
    """Undo of a removal: the member's row comes back, or the removed row says why it could not."""
    if row["result"].outcome in {Outcome.DONE, Outcome.ALREADY}:
        response = render(request, DETAIL + "#member-row", {**context, "member": row["member"], "notice": row["message"]})
        return trigger_client_event(response, "membersChanged")
    return render(request, DETAIL + "#removed-row", {**context, **row})


@require_GET
def member_candidates(request: HttpRequest, kind: str, container_id: str) -> HttpResponse:
    """The people picker's results: users, groups and devices as the container allows."""
    container = _container(kind, container_id)
    query = request.GET.get("q", "").strip()
    candidates, error = [], None
    if len(query) >= 2:
        graph = graph_for(request)
        try:
            info = _detail_context(request, graph, container, fresh=False)["container"]
            candidates = [c for c in graph.search_directory(query, picker_types(info)) if c.id != container.id]
            _remember_items(request, candidates)
        except GraphError as exc:
            error = explain.load_failed(exc, "the directory")
    return render(request, DETAIL + "#candidates", {"candidates": candidates, "query": query, "error": error,
                                                     "kind": container.kind, "address": container})


@require_GET
def activity(request: HttpRequest) -> HttpResponse:
    """The audit log: every add/remove attempt, newest first."""
    entries = AuditEntry.objects.all()
    if request.GET.get("mine"):
        entries = entries.filter(actor=request.user)
    container = request.GET.get("container", "")
    if container:
        try:
            entries = entries.filter(container_id=object_id(container))
        except InvalidId:
            return HttpResponseBadRequest("Not a container id.")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "members/activity.html", {"page": page, "mine": bool(request.GET.get("mine")),
                                                     "container": container})
