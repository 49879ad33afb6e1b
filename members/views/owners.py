"""A group's owners, and the groups no one owns.

``GET /groups/<id>/owners/`` the Owners section (htmx; a page load asks for it), ``POST`` adds the
picked owners (field ``member``, repeated), ``DELETE /groups/<id>/owners/<owner-id>/`` removes one
(``POST`` too, for a form without htmx); ``GET /groups/<id>/owner-candidates/?q=`` the picker's users and
apps; ``GET /groups/ownerless/`` the groups with no owner. Every change goes through the journal
(``changes.apply(..., relation=OWNERS)``), is a ``$ref`` call, never a deletion, and the last owner of a
group is never removed by our hand: refused here, before anything is sent.
"""

from dataclasses import replace

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import trigger_client_event

from accounts.tokens import granted_scopes
from members import changes, explain, memo, reads
from members.directory import Action, Container, ContainerInfo, DirectoryItem, Kind, MemberType
from members.forms import MemberIdsForm, first_error
from members.graph import GraphClient, GraphError
from members.models import OWNERS
from members.permissions import OWNER_TYPES, is_last_owner, owner_verdict
from members.views.common import detail_url, graph_for, is_fragment, note, tally
from members.views.containers import detail_context

OWNERS_TEMPLATE = "members/_owners.html"
OWNERLESS_TEMPLATE = "members/ownerless.html"
MAX_OWNERS = 100  # owners per change: a group holds at most 100 ("Limited to 100 owners", group resource)


def _context(request: HttpRequest, graph: GraphClient, group: Container) -> dict:
    """The group's facts (the page's read, kept in the session) and who may change its owners, by owner type."""
    context = detail_context(request, graph, group, fresh=False)
    info, access = context["container"], context["access"]
    group_units = memo.recall_container(request.session, group)
    units = group_units[1] if group_units else None
    verdicts = {t.value: owner_verdict(info, access, granted_scopes(request), units, t) for t in OWNER_TYPES}
    return {"container": info, "address": context["address"], "kind": Kind.GROUPS, "owner_verdicts": verdicts,
            "owner_verdict": verdicts[MemberType.USER],
            "owners_disabled": explain.owners.disabled_reason(verdicts[MemberType.USER]),
            "ownerless_note": explain.owners.ownerless_note()}


def _owners(request: HttpRequest, graph: GraphClient, group: Container) -> tuple[list[DirectoryItem], explain.Message | None]:
    try:
        page = graph.list_owners(group)
    except GraphError as error:
        return [], explain.load_failed(error, "the owners of this group")
    memo.remember_items(request.session, page.items)
    return page.items, None


@require_http_methods(["GET", "POST"])
def owner_collection(request: HttpRequest, group_id: str) -> HttpResponse:
    """GET: the Owners section (a fragment; a full page goes to the group's page). POST: add the picked owners."""
    group = Container(Kind.GROUPS, group_id)
    if request.method == "POST":
        return _owner_add(request, group)
    if not is_fragment(request):
        return redirect(detail_url(group))
    graph = graph_for(request)
    try:
        context = _context(request, graph, group)
    except GraphError as error:
        return render(request, OWNERS_TEMPLATE + "#owners-section",
                      {"address": group, "owners_error": explain.container_load_failed(error, group)})
    owners, error = _owners(request, graph, group)
    return render(request, OWNERS_TEMPLATE + "#owners-section", {**context, "owners": owners, "owners_error": error})


def _apply(request: HttpRequest, graph: GraphClient, action: Action, group: Container, ids: list[str],
           reverts: dict[str, int] | None = None):
    """The change through the journal (write-ahead, settled with Graph's request-id), as owners.

    A sign-in that has ended raises before anything is written: the middleware signs in again and the
    click is visibly not done. (Not-sent entries are offered back on the page as member changes, so an
    owner change is not journaled as one.)"""
    known = reads.known_for(request.session, group, ids, graph=graph, scopes=granted_scopes(request))
    change_note = note(request)
    if reverts:
        change_note = replace(change_note, reverts=reverts)
    info, rows = changes.apply(graph, request.user, action, group, ids, known, change_note, relation=OWNERS)
    return info, rows


def _owner_add(request: HttpRequest, group: Container) -> HttpResponse:
    """Add the picked owners, one POST owners/$ref each; or, from a removed owner's row, its Undo."""
    form = MemberIdsForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(first_error(form))
    ids = form.cleaned_data["member"]
    graph = graph_for(request)
    try:
        context = _context(request, graph, group)
    except GraphError as error:
        return _unreadable(request, group, error)
    if not ids:
        return render(request, OWNERS_TEMPLATE + "#owner-add-results", {**context, "nothing_selected": True})
    if len(ids) > MAX_OWNERS:
        return HttpResponseBadRequest(f"At most {MAX_OWNERS} owners per change.")
    undo = bool(request.htmx) and (request.htmx.target or "").startswith("owner-removed-")
    info, rows = _apply(request, graph, Action.ADD, group, ids)
    context["container"] = info or context["container"]
    if not request.htmx:
        return redirect(detail_url(group))
    if undo and len(rows) == 1:
        row = rows[0]
        template = "#owner-row" if row.result.outcome.took_effect else "#owner-removed-row"
        return _changed(render(request, OWNERS_TEMPLATE + template,
                               {**context, "owner": row.member, "notice": row.message, "message": row.message,
                                "result": row.result}), row.result.outcome.took_effect)
    added = [row.member for row in rows if row.result.outcome.may_have_changed]
    response = render(request, OWNERS_TEMPLATE + "#owner-add-results", {**context, "rows": rows, "added": added})
    return _changed(response, bool(added))


@require_http_methods(["DELETE", "POST"])
def owner_remove(request: HttpRequest, group_id: str, owner_id: str) -> HttpResponse:
    """Remove one owner (DELETE owners/{id}/$ref). The last owner is refused before anything is sent."""
    group = Container(Kind.GROUPS, group_id)
    form = MemberIdsForm({"member": [owner_id]})
    if not form.is_valid():
        return HttpResponseBadRequest(first_error(form))
    owner_id = form.cleaned_data["member"][0]
    graph = graph_for(request)
    try:
        context = _context(request, graph, group)
    except GraphError as error:
        return _unreadable(request, group, error)
    owners, error = _owners(request, graph, group)
    owner = next((o for o in owners if o.id == owner_id), None) or memo.recall_items(request.session, [owner_id]).get(
        owner_id) or DirectoryItem.unknown(owner_id)
    if error is None and is_last_owner([o.id for o in owners], owner_id):
        refusal = explain.owners.last_owner(owner.display_name, context["container"].display_name)
        if not request.htmx:
            return HttpResponseBadRequest(refusal.text)
        return render(request, OWNERS_TEMPLATE + "#owner-row", {**context, "owner": owner, "notice": refusal,
                                                                   "owner_count": len(owners)})
    info, [row] = _apply(request, graph, Action.REMOVE, group, [owner_id])
    context["container"] = info or context["container"]
    if not request.htmx:
        return redirect(detail_url(group))
    if row.result.outcome.took_effect:
        response = render(request, OWNERS_TEMPLATE + "#owner-removed-row",
                          {**context, "owner": row.member, "message": row.message, "result": row.result})
        return _changed(response, True)
    return render(request, OWNERS_TEMPLATE + "#owner-row", {**context, "owner": row.member, "notice": row.message,
                                                               "owner_count": len(owners)})


def _unreadable(request: HttpRequest, group: Container, error: GraphError) -> HttpResponse:
    """The group could not be read (gone, not a group, Graph failing): said where its owners would be;
    nothing was sent."""
    if not request.htmx:
        return redirect(detail_url(group))
    return render(request, OWNERS_TEMPLATE + "#owners-section",
                  {"address": group, "owners_error": explain.container_load_failed(error, group)})


def _changed(response: HttpResponse, changed: bool) -> HttpResponse:
    """Tell the page its owners changed (the count and the recent changes follow)."""
    if changed:
        trigger_client_event(response, "ownersChanged", after="settle")
        trigger_client_event(response, "membersChanged", after="settle")  # the recent changes re-read themselves
    return response


@require_GET
def owner_candidates(request: HttpRequest, group_id: str) -> HttpResponse:
    """The owner picker's results: users and apps (service principals) matching ``q``."""
    group = Container(Kind.GROUPS, group_id)
    query = request.GET.get("q", "").strip()
    candidates, already, error = [], frozenset(), None
    if len(query) >= 2:
        graph = graph_for(request)
        try:
            candidates = graph.search_owner_candidates(query)
            memo.remember_items(request.session, candidates)
            already = frozenset(o.id for o in graph.list_owners(group).items)
        except GraphError as exc:
            error = explain.load_failed(exc, "the directory")
    return render(request, OWNERS_TEMPLATE + "#owner-candidates",
                  {"candidates": candidates, "already": already, "query": query, "error": error, "address": group})


@require_GET
def ownerless_list(request: HttpRequest) -> HttpResponse:
    """The groups no one owns (``$filter=owners/$count eq 0``, an advanced query), paged like the lists."""
    graph = graph_for(request)
    more = request.GET.get("more", "")
    page, error = None, None
    try:
        if link := memo.recall_next(request.session, more):
            page = graph.next_page(link, lambda item: ContainerInfo.from_graph(Kind.GROUPS, item), eventual=True)
        else:
            page = graph.ownerless_groups()
    except GraphError as exc:
        error = explain.load_failed(exc, "the groups without owners")
    shown, total = tally(request, page)
    context = {"kind": Kind.GROUPS, "page": page, "error": error, "shown": shown, "total": total,
               "count": explain.count_line(shown, total, "group without owners", "groups without owners"),
               "more": memo.remember_next(request.session, page.next_link if page else None), "next_page": bool(more)}
    template = OWNERLESS_TEMPLATE
    if is_fragment(request) and more:
        template += "#ownerless-rows"
    return render(request, template, context)
