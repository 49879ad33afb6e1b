"""Directory role members as Microsoft documents them: one ``GET …/members`` with ``$select`` only.

A role has few members (Microsoft answers up to 1,000 in one page, and documents no ``$top``,
paging, ``$count``, ``$search``, ``$filter``, ``$orderby`` or cast on it: GRAPH.md §12), so the
app reads them all in that one call and counts, searches, filters by type and orders them itself.
"""

from members.directory import Container, DirectoryItem, MemberType, Page
from members.graph import odata, paths
from members.graph.errors import GraphError
from members.graph.odata import MEMBER_FIELDS
from members.graph.transport import Transport

ROLE_MEMBER_PAGES = 2  # Microsoft answers up to 1,000 in one; a nextLink, if ever, is followed once


def members_url(container: Container, base_url: str, fields: str = MEMBER_FIELDS) -> str:
    """The one documented read of a role's members (a $batch item, or a call of its own)."""
    return odata.with_query(paths.members_path(container, base_url), {"$select": fields})


def page_of(body: dict) -> Page:
    """All of a role's members from the answer to ``members_url``, by name, counted here."""
    items = sorted((DirectoryItem.from_graph(item) for item in body.get("value", [])),
                   key=lambda item: (item.display_name.lower(), item.id))
    return Page(items, None, len(items))


def all_members(transport: Transport, container: Container, fields: str = MEMBER_FIELDS) -> Page:
    body = transport.get_json(members_url(container, transport.base_url, fields))
    values, link = list(body.get("value", [])), body.get("@odata.nextLink")
    for _ in range(ROLE_MEMBER_PAGES - 1):
        if not link:
            break
        more = transport.next_page(link, lambda item: item)
        values.extend(more.items)
        link = more.next_link
    return page_of({"value": values})


def searched(page: Page, text: str) -> Page:
    """Members whose name, sign-in name or mail holds ``text`` (what ``$search`` would have matched)."""
    needle = " ".join(text.split()).lower()
    items = [m for m in page.items if needle in m.display_name.lower() or needle in m.principal.lower()]
    return Page(items, None, len(items))


def of_type(page: Page, member_type: MemberType) -> Page:
    items = [m for m in page.items if m.type == member_type]
    return Page(items, None, len(items))


def membership(transport: Transport, container: Container, member_ids: list[str]) -> dict[str, bool | None]:
    """Whether each id is a member now, from the one read (None for all when it fails)."""
    try:
        present = {m.id for m in all_members(transport, container, "id").items}
    except GraphError:
        return dict.fromkeys(member_ids)
    return {m: m in present for m in member_ids}
