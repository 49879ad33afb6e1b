"""Graph's query language as the app uses it: the fields each list selects, ``$search`` and
``$filter`` values, Graph's limits, and collection answers read as ``Page``s."""

from collections.abc import Callable, Iterable, Iterator
from urllib.parse import urlencode

from members.directory import Kind, MemberType, Page

MEMBER_FIELDS = "id,displayName,userPrincipalName,mail,jobTitle,operatingSystem,appId,groupTypes,securityEnabled,mailEnabled,accountEnabled,userType"
GROUP_FIELDS = (
    "id,displayName,description,groupTypes,mailEnabled,securityEnabled,mail,isAssignableToRole,"
    "onPremisesSyncEnabled,membershipRule,visibility,isManagementRestricted"
)
UNIT_FIELDS = "id,displayName,description,isMemberManagementRestricted,membershipType,membershipRule,visibility"
ROLE_FIELDS = "id,displayName,description,roleTemplateId"
CONTAINER_FIELDS = {Kind.UNITS: UNIT_FIELDS, Kind.GROUPS: GROUP_FIELDS, Kind.ROLES: ROLE_FIELDS}
PERSON_FIELDS = "id,displayName,userPrincipalName,mail,jobTitle,accountEnabled,userType"
GROUP_HIT_FIELDS = "id,displayName,mail,groupTypes,securityEnabled,mailEnabled"
DEVICE_FIELDS = "id,displayName,operatingSystem,accountEnabled"
# What a cast to one type may select: that type's own properties only (GRAPH.md §12).
TYPE_FIELDS = {MemberType.USER: PERSON_FIELDS, MemberType.GROUP: GROUP_HIT_FIELDS, MemberType.DEVICE: DEVICE_FIELDS,
               MemberType.SERVICE_PRINCIPAL: "id,displayName,appId,accountEnabled", MemberType.ORG_CONTACT: "id,displayName,mail"}
# A person's memberships: whatever decides who may change each container (groups, units, roles alike).
MEMBERSHIP_FIELDS = ",".join(dict.fromkeys(f"{GROUP_FIELDS},{UNIT_FIELDS},{ROLE_FIELDS}".split(",")))
EXPORT_FIELDS = "id,displayName,userPrincipalName,mail"

PAGE_SIZE = 50  # members shown on a page
# A list page as long as a member page; its rows' member counts (one read each) go in $batch of 20
# at once, beside the page itself when the session has seen the page's rows before.
LIST_PAGE_SIZE = PAGE_SIZE
PICKER_SIZE = 10  # people-picker hits per type
BATCH_LIMIT = 20  # requests in one $batch; also "A resource cannot contain more than 20 link changes"
CHANGE_CHUNK = BATCH_LIMIT  # members per write round trip, whichever way a kind is written
LARGEST_PAGE = 999  # Graph's largest page of a directory collection
EVENTUAL = {"ConsistencyLevel": "eventual"}
# "When using the in operator, the request is limited to 15 expressions in the filter clause by
# default" (Graph's known issues, query parameters): each listed value is one expression.
IN_FILTER_LIMIT = 15
ADDRESSES_PER_LOOKUP = 7  # userPrincipalName in (7) or mail in (7): 14 expressions
GET_BY_IDS_LIMIT = 1000  # directoryObject: getByIds takes up to 1,000 ids
SEARCH_LENGTH = 100  # characters of a search kept


def search_clause(text: str, fields: list[str]) -> str:
    """A Graph ``$search`` value: each field's clause in double quotes, OR-ed (quotes in text dropped)."""
    cleaned = " ".join(text.replace('"', " ").replace("\\", " ").split())[:SEARCH_LENGTH]
    return " OR ".join(f'"{name}:{cleaned}"' for name in fields)


def string(value: str) -> str:
    """An OData string literal: in single quotes, a quote inside doubled."""
    return "'" + value.replace("'", "''") + "'"


def listed(values: Iterable[str]) -> str:
    """The inside of an ``in (…)`` filter: OData string literals, comma-separated."""
    return ",".join(string(value) for value in values)


def id_in(ids: Iterable[str]) -> dict:
    """Which of ``ids`` are in a collection: an advanced query (``$count`` with ConsistencyLevel)."""
    return {"$filter": f"id in ({listed(ids)})", "$select": "id", "$count": "true"}


def advanced(params: dict | None = None) -> dict:
    """An OData cast on a directory list is an advanced query: ``$count=true`` with it (and the
    ``ConsistencyLevel: eventual`` header, ``EVENTUAL``), GRAPH.md §3 and §12."""
    return {**(params or {}), "$count": "true"}


def by_name(params: dict | None = None, *, descending: bool = False) -> dict:
    """A directory list in name order (Z to A when ``descending``), asked as Microsoft documents it:
    Graph's order is unspecified otherwise, and ``$orderby`` on a member or memberOf list is an
    advanced query (``$count=true`` with ``ConsistencyLevel: eventual``, ``EVENTUAL``), GRAPH.md §12.
    The page then carries its count."""
    return {**(params or {}), "$orderby": "displayName desc" if descending else "displayName", "$count": "true"}


def counted(top: int = 1) -> dict:
    """A collection's @odata.count on a page of ``top`` ids (needs ConsistencyLevel: eventual)."""
    return {"$count": "true", "$top": str(top), "$select": "id"}


def with_query(path: str, params: dict | None = None, *, encoded: bool = True) -> str:
    """``path`` with its query; ``encoded=False`` keeps OData's own punctuation ($, commas) as written."""
    if not params:
        return path
    query = urlencode(params) if encoded else "&".join(f"{name}={value}" for name, value in params.items())
    return f"{path}?{query}"


def get(path: str, params: dict | None = None, headers: dict | None = None, *, encoded: bool = True) -> dict:
    """A GET item of a $batch: a URL relative to the version, with its query."""
    item = {"method": "GET", "url": with_query(path, params, encoded=encoded)}
    if headers:
        item["headers"] = dict(headers)
    return item


def post_json(path: str, body: object) -> dict:
    """A POST item of a $batch with a JSON body."""
    return {"method": "POST", "url": path, "headers": {"Content-Type": "application/json"}, "body": body}


def page_of(body: dict, parse: Callable[[dict], object]) -> Page:
    """A collection answer as a Page: its items parsed, its nextLink and count as Graph gave them."""
    return Page([parse(item) for item in body.get("value", [])], body.get("@odata.nextLink"), body.get("@odata.count"))


def count_of(answer: object) -> int | None:
    """A collection's @odata.count, or None when it couldn't be read (a count is a detail of a page)."""
    if not isinstance(answer, dict):
        return None
    count = answer.get("@odata.count")
    return count if isinstance(count, int) else None


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
