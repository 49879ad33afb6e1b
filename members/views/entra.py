"""See what Entra shows on a container page: members of one type, and for a group all its
members with the nested groups' (``transitiveMembers``), read-only for the nested ones, each saying
through which group it comes. ``GET /<kind>/<id>/members/view/?show=direct|all&type=user|group|device``
answers the member table (htmx); "Load more" follows Graph's next link kept in the session.
"""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from members import expiry, explain, memo
from members.directory import PICKED_TYPES, DirectoryItem, Kind
from members.graph import GraphClient, GraphError
from members.permissions import ALLOWED, accepted_member_types
from members.directory import Container
from members.views.common import MEMBERS, detail_url, graph_for, is_fragment
from members.views.containers import detail_context, hidden_members


TYPES = PICKED_TYPES


@dataclass(frozen=True)
class ViewRow:
    """A member as Entra shows it: direct (changeable here), or nested, through a group of the group."""

    member: DirectoryItem
    direct: bool = True
    via_id: str | None = None
    via_name: str = ""


@require_GET
def member_view(request: HttpRequest, kind, container_id: str) -> HttpResponse:
    """The member table as asked: direct or all (groups), of one type or all types."""
    container = Container(kind, container_id)
    if not is_fragment(request):
        return redirect(detail_url(container))
    show = "all" if request.GET.get("show") == "all" and container.kind is Kind.GROUPS else "direct"
    member_type = request.GET.get("type", "") if request.GET.get("type", "") in TYPES else ""
    more = request.GET.get("more", "")
    graph = graph_for(request)
    try:
        context = detail_context(request, graph, container, fresh=False)
    except GraphError as exc:
        return render(request, MEMBERS + "#member-table", {"kind": container.kind, "address": container, "verdict": ALLOWED,
                                       "members_error": explain.load_failed(exc, f"this {container.kind.label}")})
    rows, next_link, error = [], None, None
    try:
        if not member_type or member_type in accepted_member_types(context["container"]):  # else: none, no need to ask
            rows, next_link = _rows(request, graph, context["address"], show, member_type,
                                    memo.recall_next(request.session, more))
    except GraphError as exc:
        error = hidden_members(request, graph, container, exc) or explain.load_failed(
            exc, f"the members of this {container.kind.label}")
    memo.remember_items(request.session, [row.member for row in rows])
    context.update({"view_rows": rows, "show": show, "member_type": member_type, "members_error": error,
                    "ends": expiry.ends_of(context["address"].id, [row.member.id for row in rows if row.direct]),
                    "more": memo.remember_next(request.session, next_link), "explain_nested": explain.nested_member()})
    return render(request, MEMBERS + ("#view-rows" if more else "#member-table"), context)


def _rows(request: HttpRequest, graph: GraphClient, container: Container, show: str, member_type: str,
          next_link: str | None) -> tuple[list[ViewRow], str | None]:
    if show == "all":
        page, nested = graph.transitive_page(container, member_type=member_type, next_link=next_link)
        where = graph.nesting(container, [m.id for m in page.items], nested)
        names = {g.id: g.display_name for g in nested}
        return [ViewRow(m, where.get(m.id) == "", where.get(m.id) or None, names.get(where.get(m.id) or "", ""))
                for m in page.items], page.next_link
    if next_link and member_type:
        page = graph.next_members_of_type(next_link, member_type)
    elif next_link:
        page = graph.next_page(next_link, DirectoryItem.from_graph)
    elif member_type:
        page = graph.list_members_of_type(container, member_type)
    else:
        page = graph.list_members(container)
    return [ViewRow(m) for m in page.items], page.next_link
