"""Every Graph request the app sends, judged against Microsoft's v1.0 metadata (``graph-v1.0.json``).

``problems(method, url, headers, body)`` lists what Microsoft does not describe about one request
(a ``$batch``'s items are judged one by one): a path that does not resolve through entity sets,
singletons, keys, alternate keys, navigation properties, casts and bound actions; a ``$select``ed
property the (cast) type lacks; query options Microsoft does not document for the path; advanced
queries sent without ``ConsistencyLevel: eventual`` and ``$count=true``; more than 20 requests in a
``$batch`` or 20 ``@odata.bind`` links in a body.
"""

import json
import re
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

BATCH_LIMIT = 20
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ALTERNATE_KEY = re.compile(r"^(\w+)\((\w+)='([^']*)'\)$")
CAST = re.compile(r"^microsoft\.graph\.(\w+)$")
# Directory lists on which an OData cast, $filter or $orderby is an advanced query (aad-advanced-queries).
DIRECTORY_LISTS = {"members", "memberOf", "transitiveMembers", "transitiveMemberOf", "ownedObjects"}
# aad-advanced-queries, "Support for sorting by properties": what $orderby takes on each type; users'
# and groups' displayName (and users' userPrincipalName) sort by default, all else is an advanced query.
SORTABLE = {
    "user": {"displayName", "userPrincipalName", "createdDateTime", "deletedDateTime"},
    "group": {"displayName", "deletedDateTime"},
    "device": {"displayName", "approximateLastSignInDateTime", "createdDateTime", "deletedDateTime"},
    "administrativeUnit": {"displayName", "createdDateTime", "deletedDateTime"},
    "servicePrincipal": {"displayName", "createdDateTime", "deletedDateTime"},
    "orgContact": {"displayName", "createdDateTime"},
    "directoryObject": {"displayName"},  # a mixed list: what every directory object type sorts on
}
SORTED_BY_DEFAULT = {"user", "group"}
# directoryrole-list-members: $select is the one query option Microsoft documents on a role's members.
ROLE_MEMBER_OPTIONS = {"$select"}
MEMBER_BY_ID = "reading one member through the members navigation"


@cache
def metadata() -> dict:
    return json.loads(Path(__file__).with_name("graph-v1.0.json").read_text())


def _type(name: str) -> dict:
    return metadata()["types"][name]


def _is_a(name: str, ancestor: str) -> bool:
    while name:
        if name == ancestor:
            return True
        name = metadata()["types"].get(name, {}).get("base")
    return False


def _properties(name: str) -> set[str]:
    """A type's properties with its bases'; a directoryObject list's with every directory object type's:
    Microsoft's own examples select derived properties (displayName, mail) on members lists."""
    found = set()
    names = [name] if name != "directoryObject" else [n for n in metadata()["types"] if _is_a(n, "directoryObject")]
    for each in names:
        while each:
            found |= {"id", *_type(each)["properties"]}
            each = _type(each)["base"]
    return found


def _navigation(name: str, prop: str) -> dict | None:
    while name:
        if prop in _type(name)["navigation"]:
            return _type(name)["navigation"][prop]
        name = _type(name)["base"]
    return None


class Resolved:
    """Where a path lands: the type, whether a collection, the last navigation, the container set."""

    def __init__(self) -> None:
        self.type = ""
        self.many = False
        self.navigation = ""  # the last navigation property followed
        self.cast = False
        self.by_alternate_key = False
        self.owner = ""  # the type the last navigation belongs to
        self.count = False
        self.ref = False
        self.keyed_member = False  # a key segment after a navigation (…/members/{id})


def resolve(segments: list[str]) -> tuple[Resolved | None, str]:
    """The path's landing, or None and why it does not resolve."""
    meta, at = metadata(), Resolved()
    first, *rest = segments
    key = ALTERNATE_KEY.match(first)
    if key:
        name, prop, _ = key.groups()
        if name not in meta["entity_sets"] or prop not in _type(meta["entity_sets"][name])["alternate_keys"]:
            return None, f"{first!r} is no alternate key Microsoft declares"
        at.type, at.many, at.by_alternate_key = meta["entity_sets"][name], False, True
    elif first in meta["entity_sets"]:
        at.type, at.many = meta["entity_sets"][first], True
    elif first in meta["singletons"]:
        at.type, at.many = meta["singletons"][first], False
    else:
        return None, f"{first!r} is neither an entity set nor a singleton"
    for segment in rest:
        if segment == "$ref" and at.navigation and not at.ref:
            at.ref = True
        elif segment == "$count" and at.many:
            at.count = True
        elif GUID.fullmatch(segment) and at.many:
            at.many, at.keyed_member = False, bool(at.navigation)
        elif (cast := CAST.match(segment)) is not None:
            target = cast.group(1)
            if target not in meta["types"] or not _is_a(target, at.type):
                return None, f"a cast to {target!r} from {at.type!r}"
            at.type, at.cast = target, True
        elif segment in meta["actions"] and at.many and f"Collection({at.type})" in meta["actions"][segment]:
            at.navigation, at.many = "", True
            at.type = "directoryObject"
        elif not at.many and (nav := _navigation(at.type, segment)) is not None:
            at.owner, at.navigation = at.type, segment
            at.type, at.many, at.cast, at.keyed_member = nav["type"], nav["many"], False, False
        else:
            return None, f"segment {segment!r} after {at.type!r}"
    return at, ""


def problems(method: str, url: str, headers: dict, body: object, *, base_path: str = "/v1.0") -> list[str]:
    """What Microsoft does not describe about this request (empty: all of it is described)."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if path.startswith(base_path):
        path = path[len(base_path):]
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    headers = {str(k).lower(): v for k, v in (headers or {}).items()}
    where = f"{method} {path}{'?' + parts.query if parts.query else ''}"
    if path == "/$batch":
        items = (body or {}).get("requests", []) if isinstance(body, dict) else []
        found = [f"{where}: {len(items)} requests in one $batch (Graph takes {BATCH_LIMIT})"] if len(items) > BATCH_LIMIT else []
        for item in items:
            found += problems(item.get("method", ""), f"{base_path}/{item.get('url', '').lstrip('/')}",
                              item.get("headers") or {}, item.get("body"), base_path=base_path)
        return found
    at, why = resolve([s for s in path.strip("/").split("/") if s])
    if at is None:
        return [f"{where}: the path does not resolve in the metadata ({why})"]
    found = []
    binds = body.get("members@odata.bind") if isinstance(body, dict) else None
    if isinstance(binds, list) and len(binds) > BATCH_LIMIT:
        found.append(f"{where}: {len(binds)} @odata.bind links (Graph takes {BATCH_LIMIT})")
    found += _select_problems(where, at, query)
    found += _option_problems(where, at, query, method)
    found += _advanced_query_problems(where, at, query, headers)
    return found


def _select_problems(where: str, at: Resolved, query: dict) -> list[str]:
    if "$select" not in query:
        return []
    known = _properties(at.type)
    return [f"{where}: $select names {name!r}, which {at.type!r} does not have"
            for name in query["$select"].split(",") if name and name not in known]


def _option_problems(where: str, at: Resolved, query: dict, method: str) -> list[str]:
    options = {name for name in query if name.startswith("$")}
    found = []
    for clause in filter(None, (c.strip() for c in query.get("$orderby", "").split(","))):
        prop = clause.split()[0]
        if prop not in SORTABLE.get(at.type, SORTABLE["directoryObject"]):
            found.append(f"{where}: $orderby on {prop!r} of {at.type!r} is not documented (aad-advanced-queries)")
    if at.owner == "directoryRole" and at.navigation == "members":
        if options - ROLE_MEMBER_OPTIONS or at.cast or at.count:
            found.append(f"{where}: a directory role's members take $select only (directoryrole-list-members)")
        if at.by_alternate_key and method == "POST":
            found.append(f"{where}: adding a role member through the alternate key is not documented "
                         "(only /directoryRoles/roleTemplateId={id}/members/$ref)")
    if at.keyed_member and method == "GET" and at.owner in {"group", "directoryRole"}:
        found.append(f"{where}: {MEMBER_BY_ID} is documented for administrative units only "
                     "(administrativeunit-get-members)")
    if "$top" in query and at.type in metadata()["top_unsupported"] and not at.navigation:
        found.append(f"{where}: {at.type!r} is TopSupported=false in the metadata")
    return found


def _advanced_query_problems(where: str, at: Resolved, query: dict, headers: dict) -> list[str]:
    eventual = headers.get("consistencylevel", "").lower() == "eventual"
    counted = query.get("$count", "").lower() == "true"
    on_list = at.navigation in DIRECTORY_LISTS
    needs = []
    if "$search" in query:
        needs.append(("$search", False))
    if at.count:
        needs.append(("/$count", False))
    if at.cast and on_list:
        needs.append(("an OData cast", True))
    if "$filter" in query and on_list:
        needs.append(("$filter on a directory list", True))
    if "$orderby" in query and (on_list or "$filter" in query or at.type not in SORTED_BY_DEFAULT):
        needs.append(("$orderby here", True))
    return [f"{where}: {what} is an advanced query: send ConsistencyLevel: eventual"
            + (" and $count=true" if with_count else "")
            for what, with_count in needs if not eventual or (with_count and not counted)]
