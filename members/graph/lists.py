"""The lists of containers: a page of units, groups or roles, each row with its member count."""

from collections.abc import Iterable
from dataclasses import replace

from members.directory import Container, ContainerInfo, Kind, Page, Trait
from members.graph import odata, paths, roles
from members.graph.errors import GraphError
from members.graph.odata import CONTAINER_FIELDS, EVENTUAL, LIST_PAGE_SIZE
from members.graph.transport import Transport


# A group's kind (as directory.group_kind reads it from the same flags) as a $filter. ``not`` and a
# lambda are advanced queries (aad-advanced-queries): the list asks ConsistencyLevel eventual and
# $count already; Graph lets $filter and $search go together on such a request (group-list).
NOT_M365 = "not groupTypes/any(c:c eq 'Unified')"
GROUP_KIND_FILTERS = {
    Trait.SECURITY: "securityEnabled eq true and mailEnabled eq false",
    Trait.M365: "groupTypes/any(c:c eq 'Unified')",
    Trait.MAIL_ENABLED_SECURITY: f"securityEnabled eq true and mailEnabled eq true and {NOT_M365}",
    Trait.DISTRIBUTION: f"securityEnabled eq false and mailEnabled eq true and {NOT_M365}",
}


def list_containers(transport: Transport, kind: Kind, *, search: str = "", top: int = LIST_PAGE_SIZE) -> Page:
    """One page of AUs, groups or (activated) directory roles, optionally searched by name."""
    kind = Kind(kind)
    path, params, headers = _list_request(transport.base_url, kind, search, top)
    body = transport.get_json(path, params=params, headers=headers)
    page = odata.page_of(body, lambda item: ContainerInfo.from_graph(kind, item))
    return _searched_roles(page, search) if kind is Kind.ROLES else page


def read_list(transport: Transport, kind: Kind, *, search: str = "", counted: Iterable[str] = (), top: int = LIST_PAGE_SIZE,
              group_kind: Trait | None = None, descending: bool = False) -> Page:
    """A list page with each row's member count: the page and the counts of ``counted`` (the ids
    the session saw on this page before) in one wave of $batch; rows not guessed are counted in a second."""
    kind = Kind(kind)
    path, params, headers = _list_request(transport.base_url, kind, search, top, group_kind, descending)
    guessed = list(dict.fromkeys(counted))[:top]
    paths_ = {"page": odata.with_query(path, params), **{f"count-{i}": _count_path(transport.base_url, kind, i) for i in guessed}}
    answers = transport.batch_get(paths_, headers_for={"page": headers, **{f"count-{i}": EVENTUAL for i in guessed}})
    if isinstance(answers["page"], GraphError):
        raise answers["page"]
    page = odata.page_of(answers["page"], lambda item: ContainerInfo.from_graph(kind, item))
    if kind is Kind.ROLES:
        page = _searched_roles(page, search)
        page = replace(page, items=page.items[::-1]) if descending else page
    counts = {i: _count_of(kind, answers[f"count-{i}"]) for i in guessed}
    counted_page = Page([replace(info, member_count=counts[info.id]) for info in page.items if info.id in counts],
                        page.next_link, page.count)
    rest = with_member_counts(transport, Page([info for info in page.items if info.id not in counts]))
    by_id = {info.id: info for info in counted_page.items + rest.items}
    return Page([by_id[info.id] for info in page.items], page.next_link, page.count)


def _list_request(base_url: str, kind: Kind, search: str, top: int, group_kind: Trait | None = None,
                  descending: bool = False) -> tuple[str, dict, dict]:
    """The path, query and headers of a list page (roles: all of them, searched here); groups of one
    kind only when ``group_kind`` is given."""
    params = {"$select": CONTAINER_FIELDS[kind]}
    if kind is Kind.ROLES:
        # /directoryRoles supports neither $top nor $search: a tenant has few activated roles.
        return paths.collection_path(kind, base_url), params, {}
    params = odata.by_name({**params, "$top": str(top)}, descending=descending)
    if search:
        params["$search"] = odata.search_clause(search, ["displayName", "description"])
    if kind is Kind.GROUPS and group_kind in GROUP_KIND_FILTERS:
        params["$filter"] = GROUP_KIND_FILTERS[group_kind]
    return paths.collection_path(kind, base_url), params, dict(EVENTUAL)


def _count_path(base_url: str, kind: Kind, container_id: str) -> str:
    """A member count read as the list's @odata.count of a one-id page (ConsistencyLevel: eventual);
    a role's, as the number of its members (the one documented read)."""
    container = Container(kind, container_id)
    if kind is Kind.ROLES:
        return roles.members_url(container, base_url, "id")
    return odata.with_query(paths.members_path(container, base_url), odata.counted(), encoded=False)


def with_member_counts(transport: Transport, page: Page) -> Page:
    """The page's containers with their member counts, read in one $batch per 20."""
    if not page.items:
        return page
    answers = transport.batch_get({info.id: _count_path(transport.base_url, info.kind, info.id) for info in page.items}, headers=EVENTUAL)
    items = [replace(info, member_count=_count_of(info.kind, answers[info.id])) for info in page.items]
    return Page(items, page.next_link, page.count)


def _count_of(kind: Kind, answer: dict | GraphError) -> int | None:
    """A member count from its read: @odata.count, or for a role the number of members listed."""
    if kind is Kind.ROLES:
        return None if isinstance(answer, GraphError) else len(answer.get("value", []))
    return odata.count_of(answer)


def _searched_roles(page: Page, search: str) -> Page:
    """Directory roles by name, filtered by name here (/directoryRoles supports neither $search nor $orderby)."""
    needle = search.lower()
    roles_ = sorted((c for c in page.items if needle in c.display_name.lower()), key=lambda c: (c.display_name.lower(), c.id))
    return Page(roles_, None, None) if search else Page(roles_, page.next_link, page.count)
