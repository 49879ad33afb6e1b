"""THE service module: every Microsoft Graph call of Membership Desk goes through ``GraphClient``.

It knows nothing of Django requests or templates. It takes a delegated access token and a base
URL (Microsoft's, or the sandbox's), sets a timeout on every call, retries throttled or
unavailable calls a bounded number of times honouring ``Retry-After``, follows
``@odata.nextLink`` verbatim, and turns every failure into a ``GraphError`` carrying Graph's
status, code, message and request-id. Paths come only from ``members.refs``; results are the
plain types of ``members.directory``.

Changes never raise: every add or remove ends in one ``Result`` per member, also when an answer
is lost (then the membership is read back, never blindly resent).
"""

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from urllib.parse import urlencode, urlsplit

import requests
from django.views.decorators.debug import sensitive_variables

from members import refs
from members.directory import ContainerInfo, DirectoryItem, Kind, MyAccess, Outcome, Page
from members.refs import Container

__all__ = ["CallStats", "ContainerInfo", "ContainerRead", "DirectoryItem", "GraphClient", "GraphError", "Outcome", "Page",
           "Result"]

log = logging.getLogger(__name__)

MEMBER_FIELDS = "id,displayName,userPrincipalName,mail,jobTitle,operatingSystem,appId,groupTypes,securityEnabled,mailEnabled"
GROUP_FIELDS = (
    "id,displayName,description,groupTypes,mailEnabled,securityEnabled,mail,isAssignableToRole,"
    "onPremisesSyncEnabled,membershipRule,visibility,isManagementRestricted"
)
UNIT_FIELDS = "id,displayName,description,isMemberManagementRestricted,membershipType,membershipRule,visibility"
ROLE_FIELDS = "id,displayName,description,roleTemplateId"
CONTAINER_FIELDS = {Kind.UNITS: UNIT_FIELDS, Kind.GROUPS: GROUP_FIELDS, Kind.ROLES: ROLE_FIELDS}
PAGE_SIZE = 50
# A list page and each of its rows' member counts fill one $batch (20 requests): 1 + 19.
LIST_PAGE_SIZE = 19
PATCH_BIND_LIMIT = 20  # "A resource cannot contain more than 20 link changes"
BATCH_LIMIT = 20
CHANGE_CHUNK = 20  # members per write round trip, whichever way a kind is written
EVENTUAL = {"ConsistencyLevel": "eventual"}
# "When using the in operator, the request is limited to 15 expressions in the filter clause by
# default" (Graph's known issues, query parameters): each listed value is one expression.
IN_FILTER_LIMIT = 15
ADDRESSES_PER_LOOKUP = 7  # userPrincipalName in (7) or mail in (7): 14 expressions
GET_BY_IDS_LIMIT = 1000  # directoryObject: getByIds takes up to 1,000 ids
PERSON_FIELDS = "id,displayName,userPrincipalName,mail,jobTitle"
GROUP_HIT_FIELDS = "id,displayName,mail,groupTypes,securityEnabled,mailEnabled"
# A person's memberships: whatever decides who may change each container (groups, units, roles alike).
MEMBERSHIP_FIELDS = ",".join(dict.fromkeys(f"{GROUP_FIELDS},{UNIT_FIELDS},{ROLE_FIELDS}".split(",")))
PERSON_PATHS = {"user": "/users", "group": "/groups", "device": "/devices"}
CONTAINER_TYPES = {"group": Kind.GROUPS, "administrativeUnit": Kind.UNITS, "directoryRole": Kind.ROLES}
EXPORT_FIELDS = "id,displayName,userPrincipalName,mail"
EXPORT_PAGE_SIZE = 999  # Graph's largest page of members
NESTED_GROUPS_CHECKED = 10  # nested groups asked "is it yours?" per page of members (one $batch with 50 members)
MEMBERSHIP_PAGES = 10  # of 999: nobody is in more than 10,000 groups; the loop stays bounded
# The signed-in user's standing (my_access): tenant-wide roles, unit-scoped roles, owned groups.
ACCESS_PATHS = {
    "roles": "/me/transitiveMemberOf/microsoft.graph.directoryRole?$select=id,roleTemplateId",
    "scoped": "/me/scopedRoleMemberOf",
    "activated": "/directoryRoles?$select=id,roleTemplateId",
    "owned": "/me/ownedObjects/microsoft.graph.group?$select=id",
}
RETRYABLE_STATUSES = {429, 503, 504}
GUID_IN_PATH = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class GraphError(Exception):
    """A failed Graph call: HTTP status (0 when no answer came), Graph's error code, message and ids."""

    def __init__(self, status: int, code: str, message: str, request_id: str = "", client_request_id: str = "",
                 retry_after: float | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.request_id = request_id
        self.client_request_id = client_request_id
        self.retry_after = retry_after
        # A server error (503/504) an earlier send of this same idempotent call got: that send may
        # have been applied, so a "not found" now may be its doing rather than "already so".
        self.earlier: GraphError | None = None

    @classmethod
    def from_answer(cls, status: int, headers: dict, body: object, reason: str = "") -> "GraphError":
        """Graph's error body (GRAPH.md §1), from a response or a $batch item; tolerant of odd bodies."""
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        inner = error.get("innerError") if isinstance(error.get("innerError"), dict) else {}
        headers = {str(k).lower(): v for k, v in (headers or {}).items()}
        return cls(
            status=status,
            code=str(error.get("code") or (f"HTTP{status}" if status else "")),
            message=str(error.get("message") or reason or ""),
            request_id=headers.get("request-id") or inner.get("request-id", ""),
            client_request_id=headers.get("client-request-id") or inner.get("client-request-id", ""),
            retry_after=_retry_after(headers.get("retry-after")),
        )

    @property
    def is_busy(self) -> bool:
        return self.status in RETRYABLE_STATUSES or self.status == 0

    @property
    def is_uncertain(self) -> bool:
        """For a write: it may or may not have been applied (no answer, or any server error: a
        $batch answered 500 may have run some of its items before failing)."""
        return self.status == 0 or self.status >= 500

    @property
    def is_permission_denied(self) -> bool:
        return self.status == 403

    @property
    def is_already_member(self) -> bool:
        return self.status == 400 and "already exist" in self.message

    @property
    def is_not_found(self) -> bool:
        return self.status == 404


@dataclass(frozen=True)
class Result:
    """The outcome of one membership change, with Graph's error when there was one."""

    member_id: str
    outcome: Outcome
    error: GraphError | None = None
    request_id: str = ""


@dataclass
class CallStats:
    """Round trips and time spent in Graph, for the Server-Timing header and the benchmarks."""

    calls: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class ContainerRead:
    """What a container's page reads in one $batch (``GraphClient.read_container``).

    ``error`` is the container's own read failing (then nothing else matters); the other parts
    fail on their own: a members page refused shows its error, a count or units not read are None.
    """

    info: ContainerInfo | None = None
    error: GraphError | None = None
    members: Page | None = None
    members_error: GraphError | None = None
    member_count: int | None = None
    group_units: frozenset[str] | None = None  # for a group: the units holding it, when asked and read
    access: MyAccess | None = None  # the user's standing, when asked (known=False if it couldn't be read)


@dataclass(frozen=True)
class BatchAnswer:
    """One item's answer in a $batch response (status 0: the item had no answer)."""

    status: int
    headers: dict
    body: object

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def read(self) -> dict | GraphError:
        """A read's answer: its JSON object, or the GraphError (also for a success that isn't one)."""
        return self.body if self.ok and isinstance(self.body, dict) else self.error()

    def error(self) -> GraphError:
        if self.ok:  # a success whose body isn't the JSON object a GET answers with
            return GraphError(self.status, "UnreadableAnswer", "Graph's answer could not be read.",
                              {str(k).lower(): v for k, v in self.headers.items()}.get("request-id", ""))
        return GraphError.from_answer(self.status, self.headers, self.body)


def error_from(response: requests.Response) -> GraphError:
    """A failed response as a GraphError."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    return GraphError.from_answer(response.status_code, dict(response.headers), body, response.reason or "")


def _json_object(response: requests.Response) -> dict:
    """A successful answer's JSON object; anything else (a proxy's HTML page, a cut-off answer) is a
    GraphError, so a page says it couldn't load instead of failing with a 500."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise GraphError(response.status_code, "UnreadableAnswer", "Graph's answer could not be read.",
                         response.headers.get("request-id", ""), response.headers.get("client-request-id", ""))
    return body


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def path_template(url: str) -> str:
    """A Graph URL's path with ids replaced, for logs: no query string (it may carry a search)."""
    return GUID_IN_PATH.sub("{id}", urlsplit(url).path)


class GraphClient:
    """Delegated Graph calls for one signed-in user."""

    @sensitive_variables("token")
    def __init__(self, token: str, *, base_url: str, session: requests.Session | None = None,
                 timeout: float = 10.0, max_retries: int = 2, max_retry_wait: float = 5.0,
                 replication_window: float = 0.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.token = token
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        # Graph is eventually consistent (GRAPH.md §3): a write it applied may be missing from a read
        # for a while. A read-back that finds a write not landed reads again for up to this long
        # before calling it not done.
        self.replication_window = replication_window
        self.sleep = sleep
        self.stats = CallStats()

    def __repr__(self) -> str:  # never the token (debug pages show frame locals)
        return f"<GraphClient {self.base_url}>"

    # --- reading -------------------------------------------------------------------------

    def list_containers(self, kind: Kind, *, search: str = "", top: int = LIST_PAGE_SIZE) -> Page:
        """One page of AUs, groups or (activated) directory roles, optionally searched by name."""
        kind = refs.parse_kind(kind)
        path, params, headers = self._list_request(kind, search, top)
        page = self._page(path, params, headers, ContainerInfo.from_graph, kind)
        return _searched_roles(page, search) if kind is Kind.ROLES else page

    def read_list(self, kind: Kind, *, search: str = "", counted: Iterable[str] = (), top: int = LIST_PAGE_SIZE) -> Page:
        """A list page with each row's member count: the page and the counts of ``counted`` (the ids
        the session saw on this page before) in one $batch; rows not guessed are counted in a second."""
        kind = refs.parse_kind(kind)
        path, params, headers = self._list_request(kind, search, top)
        guessed = list(dict.fromkeys(refs.object_id(i) for i in counted))[:BATCH_LIMIT - 1]
        paths = {"page": f"{path}?{urlencode(params)}", **{f"count-{i}": self._count_path(kind, i) for i in guessed}}
        answers = self.batch_get(paths, headers_for={"page": headers, **{f"count-{i}": EVENTUAL for i in guessed}})
        if isinstance(answers["page"], GraphError):
            raise answers["page"]
        page = _page_of(answers["page"], lambda item: ContainerInfo.from_graph(kind, item))
        if kind is Kind.ROLES:
            page = _searched_roles(page, search)
        counts = {i: _count_of(answers[f"count-{i}"]) for i in guessed}
        counted_page = Page([replace(info, member_count=counts[info.id]) for info in page.items if info.id in counts],
                            page.next_link, page.count)
        rest = self.with_member_counts(Page([info for info in page.items if info.id not in counts]))
        by_id = {info.id: info for info in counted_page.items + rest.items}
        return Page([by_id[info.id] for info in page.items], page.next_link, page.count)

    def _list_request(self, kind: Kind, search: str, top: int) -> tuple[str, dict, dict]:
        """The path, query and headers of a list page (roles: all of them, searched here)."""
        params = {"$select": CONTAINER_FIELDS[kind]}
        if kind is Kind.ROLES:
            # /directoryRoles supports neither $top nor $search: a tenant has few activated roles.
            return refs.collection_path(kind, self.base_url), params, {}
        params["$top"] = str(top)
        params["$count"] = "true"
        if search:
            params["$search"] = search_clause(search, ["displayName", "description"])
        else:
            params["$orderby"] = "displayName"
        return refs.collection_path(kind, self.base_url), params, dict(EVENTUAL)

    def _count_path(self, kind: Kind, container_id: str) -> str:
        """A member count read as the list's @odata.count of a one-id page (ConsistencyLevel: eventual)."""
        return f"{refs.members_path(Container(kind, refs.object_id(container_id)), self.base_url)}?$count=true&$top=1&$select=id"

    def get_container(self, container: Container) -> ContainerInfo:
        path = refs.container_path(container, self.base_url)
        item = self._get_json(path, params={"$select": CONTAINER_FIELDS[container.kind]})
        return ContainerInfo.from_graph(container.kind, item)

    def read_container(self, container: Container, *, members: bool = True, units: bool = False,
                       access: bool = False, top: int = PAGE_SIZE) -> ContainerRead:
        """What a container's page needs, in one $batch of GETs: the container's facts and, as asked,
        the first page of its members and their count, the units holding a group (they decide a
        unit-scoped admin's reach), and the signed-in user's standing (``my_access``)."""
        base = refs.container_path(container, self.base_url)
        paths = {"container": f"{base}?$select={CONTAINER_FIELDS[container.kind]}"}
        headers = {}
        if members:
            paths["members"] = f"{base}/members?{urlencode({'$select': MEMBER_FIELDS, '$top': str(top)})}"
            paths["count"] = f"{base}/members?$count=true&$top=1&$select=id"
            headers["count"] = EVENTUAL
        if units and container.kind is Kind.GROUPS and not container.by_template:
            paths["units"] = f"{base}/memberOf/microsoft.graph.administrativeUnit?$select=id"
        if access:
            paths.update({f"access-{name}": path for name, path in ACCESS_PATHS.items()})
        answers = self.batch_get(paths, headers_for=headers)
        read = ContainerRead(access=self._access_from({n: answers[f"access-{n}"] for n in ACCESS_PATHS})
                             if access else None)
        if isinstance(answers["container"], GraphError):
            return replace(read, error=answers["container"])
        read = replace(read, info=ContainerInfo.from_graph(container.kind, answers["container"]))
        if members:
            if isinstance(answers["members"], GraphError):
                read = replace(read, members_error=answers["members"])
            else:
                read = replace(read, members=_page_of(answers["members"], DirectoryItem.from_graph))
            read = replace(read, member_count=_count_of(answers["count"]))
        if "units" in paths and not isinstance(answers["units"], GraphError):
            read = replace(read, group_units=frozenset(item["id"] for item in answers["units"].get("value", [])))
        return read

    def list_members(self, container: Container, *, search: str = "", top: int = PAGE_SIZE) -> Page:
        """The first page of a container's members (never the whole of a large group)."""
        params = {"$select": MEMBER_FIELDS, "$top": str(top)}
        headers = {}
        if search:
            params.update({"$search": search_clause(search, ["displayName", "userPrincipalName", "mail"]),
                           "$count": "true"})
            headers.update(EVENTUAL)
        return self._page(refs.members_path(container, self.base_url), params, headers, DirectoryItem.from_graph)

    def next_page(self, next_link: str, parse: Callable[[dict], object], *, eventual: bool = False) -> Page:
        """The page a nextLink points to, followed verbatim (it must be on our Graph origin)."""
        if not next_link.startswith(self.base_url + "/"):
            raise refs.InvalidId("A next-page link must point at the configured Graph service.")
        return _page_of(_json_object(self._request("GET", next_link, headers=EVENTUAL if eventual else {})), parse)

    def count_members(self, container: Container) -> int | None:
        """The member count (``/members/$count`` needs ConsistencyLevel: eventual); None if it can't be read."""
        try:
            response = self._request("GET", self._url(refs.members_path(container, self.base_url) + "/$count"),
                                     headers=EVENTUAL)
        except GraphError as error:
            # The count is a detail of the page: refused, unsupported, busy or lost, the page still shows.
            log.info("member count not read: %s %s", error.status, error.code)
            return None
        try:
            return int(response.text.strip())
        except ValueError:
            return None

    def search_directory(self, text: str, types: Iterable[str], *, top: int = 10) -> list[DirectoryItem]:
        """People-picker search over users, groups and devices (``$search`` with eventual consistency)."""
        # (path, searched properties, selected properties): a typed list rejects another type's properties.
        paths = {"user": ("/users", ["displayName", "userPrincipalName", "mail"], "id,displayName,userPrincipalName,mail,jobTitle"),
                 "group": ("/groups", ["displayName", "mail"], "id,displayName,mail,groupTypes,securityEnabled,mailEnabled"),
                 "device": ("/devices", ["displayName"], "id,displayName,operatingSystem")}
        requests_ = {}
        for kind in types:
            path, fields, select = paths[kind]
            query = urlencode({"$search": search_clause(text, fields), "$select": select, "$top": str(top), "$count": "true"})
            requests_[kind] = f"{path}?{query}"
        # One $batch for all the types (each item carries ConsistencyLevel: eventual for $search).
        answers = self.batch_get(requests_, headers=EVENTUAL)
        found: list[DirectoryItem] = []
        for kind in types:
            answer = answers[kind]
            if isinstance(answer, GraphError):
                raise answer
            for item in answer.get("value", []):
                item.setdefault("@odata.type", f"#microsoft.graph.{kind}")
                found.append(DirectoryItem.from_graph(item))
        return found

    def my_owned_groups(self) -> list[ContainerInfo]:
        """The groups the signed-in user owns (owners change members without an admin role)."""
        body = self._get_json("/me/ownedObjects/microsoft.graph.group", params={"$select": GROUP_FIELDS})
        return [ContainerInfo.from_graph(Kind.GROUPS, item) for item in body.get("value", [])]

    def my_access(self) -> MyAccess:
        """Roles (tenant-wide and per unit) and owned groups, in one $batch."""
        answers = self.batch_get(ACCESS_PATHS)
        if isinstance(answers["roles"], GraphError):
            raise answers["roles"]
        return self._access_from(answers)

    @staticmethod
    def _access_from(answers: dict[str, dict | GraphError]) -> MyAccess:
        """The user's standing from the answers to ``ACCESS_PATHS``; not known if the roles weren't read."""
        if isinstance(answers["roles"], GraphError):
            return MyAccess(known=False)
        template_of = {}
        if not isinstance(answers["activated"], GraphError):
            template_of = {r["id"]: r.get("roleTemplateId", "") for r in answers["activated"].get("value", [])}
        scoped = frozenset()
        if not isinstance(answers["scoped"], GraphError):
            scoped = frozenset((m["administrativeUnitId"], template_of.get(m["roleId"], m["roleId"]))
                               for m in answers["scoped"].get("value", []))
        owned = None
        if not isinstance(answers["owned"], GraphError):
            owned = frozenset(g["id"] for g in answers["owned"].get("value", []))
        return MyAccess(roles=frozenset(r.get("roleTemplateId", "") for r in answers["roles"].get("value", [])),
                        scoped=scoped, owned_groups=owned, known=True)

    def describe(self, container: Container, member_ids: list[str], *, with_container: bool = True
                 ) -> tuple[ContainerInfo | None, dict[str, DirectoryItem], frozenset[str]]:
        """A container and some directory objects by id, in one $batch (none when nothing is asked).

        Returns the container (None if not asked or not read), the objects found, and the ids Graph
        answered 404 for (the container's own id among them when it no longer exists).
        """
        paths = {}
        if with_container:
            paths["container"] = f"{refs.container_path(container, self.base_url)}?$select={CONTAINER_FIELDS[container.kind]}"
        for n, member_id in enumerate(member_ids):
            paths[f"m{n}"] = f"/directoryObjects/{refs.object_id(member_id)}?$select={MEMBER_FIELDS}"
        answers = self.batch_get(paths) if paths else {}
        gone = set()
        info = answers.get("container")
        if isinstance(info, GraphError):
            if info.is_not_found:
                gone.add(container.id)
            info = None
        elif info is not None:
            info = ContainerInfo.from_graph(container.kind, info)
        found = {}
        for n, member_id in enumerate(member_ids):
            item = answers[f"m{n}"]
            if isinstance(item, GraphError):
                if item.is_not_found:
                    gone.add(refs.object_id(member_id))
            else:
                found[refs.object_id(member_id)] = DirectoryItem.from_graph(item)
        return info, found, frozenset(gone)

    def units_with_groups(self, unit_ids: list[str]) -> list[tuple[str, ContainerInfo | None, list[ContainerInfo]]]:
        """Each unit's facts and the groups that are its members, in one $batch: (id, unit, groups)."""
        paths = {}
        for unit_id in unit_ids:
            unit = Container(Kind.UNITS, refs.object_id(unit_id))
            paths[f"unit-{unit.id}"] = f"{refs.container_path(unit, self.base_url)}?$select={UNIT_FIELDS}"
            paths[f"groups-{unit.id}"] = (f"{refs.members_path(unit, self.base_url)}/microsoft.graph.group"
                                          f"?$select={GROUP_FIELDS}&$top=50")
        answers = self.batch_get(paths)
        found = []
        for unit_id in unit_ids:
            unit, groups = answers[f"unit-{unit_id}"], answers[f"groups-{unit_id}"]
            found.append((unit_id,
                          None if isinstance(unit, GraphError) else ContainerInfo.from_graph(Kind.UNITS, unit),
                          [] if isinstance(groups, GraphError)
                          else [ContainerInfo.from_graph(Kind.GROUPS, g) for g in groups.get("value", [])]))
        return found

    def units_of_group(self, group_id: str) -> frozenset[str]:
        """The administrative units a group is a member of (they decide unit-scoped admins' reach)."""
        path = f"/groups/{refs.object_id(group_id)}/memberOf/microsoft.graph.administrativeUnit"
        body = self._get_json(path, params={"$select": "id"})
        return frozenset(item["id"] for item in body.get("value", []))

    def with_member_counts(self, page: Page) -> Page:
        """The page's containers with their member counts, read in one $batch per 20."""
        if not page.items:
            return page
        paths = {info.id: self._count_path(info.kind, info.id) for info in page.items}
        answers = self.batch_get(paths, headers=EVENTUAL)
        items = [replace(info, member_count=_count_of(answers[info.id])) for info in page.items]
        return Page(items, page.next_link, page.count)

    def batch_get(self, paths: dict[str, str], *, headers: dict | None = None,
                  headers_for: dict[str, dict] | None = None) -> dict[str, dict | GraphError]:
        """Several GETs in one $batch (<= 20 each); each answer is its JSON body or a GraphError.

        ``headers`` go with every item, ``headers_for`` with the named ones (ConsistencyLevel is per item).
        """
        names = list(paths)
        answers: dict[str, dict | GraphError] = {}
        for chunk in _chunks(names, BATCH_LIMIT):
            items = {}
            for n, name in enumerate(chunk):
                item_headers = {**(headers or {}), **(headers_for or {}).get(name, {})}
                items[str(n)] = {"method": "GET", "url": paths[name], **({"headers": item_headers} if item_headers else {})}
            batch, _ = self._batch(items, reads_only=True)
            answers.update((name, batch[str(n)].read()) for n, name in enumerate(chunk))
        return answers

    def read_membership(self, container: Container, member_ids: list[str]) -> dict[str, bool | None]:
        """Whether each id is a direct member now (None where the read failed too): one GET, or $batch."""
        ids = [refs.object_id(m) for m in member_ids]
        if len(ids) == 1:
            try:
                return {ids[0]: self.is_member(container, ids[0])}
            except GraphError:
                return {ids[0]: None}
        paths = {m: f"{refs.members_path(container, self.base_url)}/{m}?$select=id" for m in ids}
        try:
            answers = self.batch_get(paths)
        except GraphError:
            return dict.fromkeys(ids)
        return {m: (None if not answers[m].is_not_found else False) if isinstance(answers[m], GraphError) else True
                for m in ids}

    def is_member(self, container: Container, member_id: str) -> bool:
        """Whether ``member_id`` is a direct member now (GET .../members/{id}: 200 or 404)."""
        path = f"{refs.members_path(container, self.base_url)}/{refs.object_id(member_id)}"
        try:
            self._request("GET", self._url(path), params={"$select": "id"})
        except GraphError as error:
            if error.is_not_found:
                return False
            raise
        return True

    # --- resolving pasted entries, reading membership in bulk (issue 10) -----------------------

    def batch_requests(self, requests_: dict[str, dict]) -> dict[str, dict | GraphError]:
        """Reads (GETs, and POSTs that only read, like getByIds) in $batch of 20: each answer is its
        JSON body or a GraphError. Items Graph throttled (429) or found busy (503/504) are sent again
        in one more $batch after their Retry-After, within the client's bounds (SDKs don't retry
        batch items)."""
        answers: dict[str, dict | GraphError] = {}
        pending = list(requests_)
        for attempt in range(self.max_retries + 1):
            busy: list[str] = []
            wait = 0.0
            for chunk in _chunks(pending, BATCH_LIMIT):
                items = {str(n): requests_[name] for n, name in enumerate(chunk)}
                batch, _ = self._batch(items, reads_only=True)
                for n, name in enumerate(chunk):
                    answers[name] = error = batch[str(n)].read()
                    if isinstance(error, GraphError) and error.status in RETRYABLE_STATUSES:
                        busy.append(name)
                        wait = max(wait, error.retry_after if error.retry_after is not None else 2 ** (attempt + 1))
            if not busy or attempt == self.max_retries or wait > self.max_retry_wait:
                break
            self.sleep(wait)
            pending = busy
        return answers

    def resolve_entries(self, addresses: Iterable[str], ids: Iterable[str], *, groups_by_mail: bool = False
                        ) -> dict[str, list[DirectoryItem] | GraphError]:
        """The directory objects that sign-in names or mail addresses, and object ids, stand for.

        Keys are the addresses lower-cased and the ids in canonical form; each value lists what
        matched (none: not found; several: ambiguous) or is the GraphError that stopped its look-up.
        Users are found by ``userPrincipalName in (…) or mail in (…)``, 7 addresses a request (Graph
        takes 15 expressions in a filter); ids by ``POST /directoryObjects/getByIds`` (1,000 a
        request; it needs Directory.Read.All, else each id is read on its own). All of it in one
        $batch round trip for up to 140 addresses; a second one only for what is left: addresses
        no user has, as group mail addresses (``groups_by_mail``), and ids getByIds was refused.
        """
        addresses = list(dict.fromkeys(address.lower() for address in addresses))
        ids = list(dict.fromkeys(refs.object_id(value) for value in ids))
        requests_: dict[str, dict] = {}
        user_chunks = list(_chunks(addresses, ADDRESSES_PER_LOOKUP))
        for n, chunk in enumerate(user_chunks):
            listed = ",".join(_odata_string(address) for address in chunk)
            requests_[f"users{n}"] = _get("/users", {"$filter": f"userPrincipalName in ({listed}) or mail in ({listed})",
                                                     "$select": PERSON_FIELDS, "$top": "999"})
        id_chunks = list(_chunks(ids, GET_BY_IDS_LIMIT))
        for n, chunk in enumerate(id_chunks):
            requests_[f"ids{n}"] = {"method": "POST", "url": "/directoryObjects/getByIds",
                                    "headers": {"Content-Type": "application/json"}, "body": {"ids": chunk}}
        answers = self.batch_requests(requests_) if requests_ else {}
        found: dict[str, list[DirectoryItem] | GraphError] = {}
        for n, chunk in enumerate(user_chunks):
            answer = answers[f"users{n}"]
            for address in chunk:
                found[address] = answer if isinstance(answer, GraphError) else [
                    DirectoryItem.from_graph({**user, "@odata.type": "#microsoft.graph.user"})
                    for user in answer.get("value", [])
                    if address in {(user.get("userPrincipalName") or "").lower(), (user.get("mail") or "").lower()}]
        refused: list[str] = []
        for n, chunk in enumerate(id_chunks):
            answer = answers[f"ids{n}"]
            if isinstance(answer, GraphError) and answer.is_permission_denied:
                refused.extend(chunk)  # no Directory.Read.All: read each id on its own
                continue
            by_id = {} if isinstance(answer, GraphError) else {item.get("id"): item for item in answer.get("value", [])}
            for object_id_ in chunk:
                found[object_id_] = answer if isinstance(answer, GraphError) else (
                    [DirectoryItem.from_graph(by_id[object_id_])] if object_id_ in by_id else [])
        unmatched = [a for a in addresses if groups_by_mail and found.get(a) == []]
        found.update(self._second_look(unmatched, refused))
        return found

    def _second_look(self, addresses: list[str], ids: list[str]) -> dict[str, list[DirectoryItem] | GraphError]:
        """Addresses as group mail addresses, and ids one by one: one more $batch round trip, if any."""
        requests_: dict[str, dict] = {}
        mail_chunks = list(_chunks(addresses, IN_FILTER_LIMIT))
        for n, chunk in enumerate(mail_chunks):
            listed = ",".join(_odata_string(address) for address in chunk)
            requests_[f"groups{n}"] = _get("/groups", {"$filter": f"mail in ({listed})", "$select": GROUP_HIT_FIELDS})
        for object_id_ in ids:
            requests_[object_id_] = _get(f"/directoryObjects/{object_id_}", {"$select": MEMBER_FIELDS})
        answers = self.batch_requests(requests_) if requests_ else {}
        found: dict[str, list[DirectoryItem] | GraphError] = {}
        for n, chunk in enumerate(mail_chunks):
            answer = answers[f"groups{n}"]
            for address in chunk:
                found[address] = answer if isinstance(answer, GraphError) else [
                    DirectoryItem.from_graph({**group, "@odata.type": "#microsoft.graph.group"})
                    for group in answer.get("value", []) if (group.get("mail") or "").lower() == address]
        for object_id_ in ids:
            answer = answers[object_id_]
            if isinstance(answer, GraphError):
                found[object_id_] = [] if answer.is_not_found else answer
            else:
                found[object_id_] = [DirectoryItem.from_graph(answer)]
        return found

    def members_among(self, container: Container, member_ids: Iterable[str]) -> dict[str, bool | None]:
        """Which of ``member_ids`` are direct members now (None where it could not be read).

        ``…/members?$filter=id in (…)`` with advanced-query parameters, 15 ids a request, in $batch:
        300 ids a round trip, whatever the container's size. (Microsoft documents ``id in (…)`` with
        advanced queries on memberOf; members take the same filters [U].) A container that won't
        filter that way (400) is read id by id.
        """
        ids = list(dict.fromkeys(refs.object_id(m) for m in member_ids))
        chunks = list(_chunks(ids, IN_FILTER_LIMIT))
        path = refs.members_path(container, self.base_url)
        requests_ = {}
        for n, chunk in enumerate(chunks):
            listed = ",".join(_odata_string(m) for m in chunk)
            requests_[str(n)] = _get(path, {"$filter": f"id in ({listed})", "$select": "id", "$count": "true"}, EVENTUAL)
        answers = self.batch_requests(requests_) if requests_ else {}
        state: dict[str, bool | None] = {}
        unsupported: list[str] = []
        for n, chunk in enumerate(chunks):
            answer = answers[str(n)]
            if isinstance(answer, GraphError):
                if answer.status == 400:
                    unsupported.extend(chunk)
                state.update(dict.fromkeys(chunk))
                continue
            present = {item.get("id") for item in answer.get("value", [])}
            state.update((m, m in present) for m in chunk)
        if unsupported:
            state.update(self.read_membership(container, unsupported))
        return state

    def member_lists_readable(self, containers: list[Container]) -> dict[str, bool | None]:
        """Whether the signed-in user may list each container's members (a hidden-membership unit
        answers 403 to others): ``…/members?$top=1&$select=id`` in $batch. None: could not tell."""
        try:
            answers = self.batch_requests({c.id: _get(refs.members_path(c, self.base_url), {"$top": "1", "$select": "id"})
                                           for c in containers}) if containers else {}
        except GraphError:  # the batch itself failed: can't tell (the journal then keeps members hidden)
            return {c.id: None for c in containers}
        return {c.id: (None if not answers[c.id].is_permission_denied else False)
                if isinstance(answers[c.id], GraphError) else True for c in containers}

    def person_memberships(self, object_id_: str) -> tuple[DirectoryItem | None, list[ContainerInfo]]:
        """A user, group or device and the groups, units and roles it is a direct member of.

        One $batch: the object, and its ``memberOf`` read as a user's, a group's and a device's (the
        paths of the other types answer 404); further pages follow ``@odata.nextLink``. (None, [])
        when no such object exists; apps and contacts come back with no memberships read.
        """
        object_id_ = refs.object_id(object_id_)
        requests_ = {"object": _get(f"/directoryObjects/{object_id_}", {"$select": MEMBER_FIELDS})}
        for type_name, path in PERSON_PATHS.items():
            requests_[type_name] = _get(f"{path}/{object_id_}/memberOf", {"$select": MEMBERSHIP_FIELDS, "$top": "999"})
        answers = self.batch_requests(requests_)
        found = answers["object"]
        if isinstance(found, GraphError):
            if found.is_not_found:
                return None, []
            raise found
        person = DirectoryItem.from_graph(found)
        listing = answers.get(person.type)
        if listing is None:
            return person, []
        if isinstance(listing, GraphError):
            raise listing
        items, link = list(listing.get("value", [])), listing.get("@odata.nextLink")
        for _ in range(MEMBERSHIP_PAGES):
            if not link:
                break
            page = self.next_page(link, lambda item: item)
            items.extend(page.items)
            link = page.next_link
        containers = []
        for item in items:
            kind = CONTAINER_TYPES.get(item.get("@odata.type", "").rsplit(".", 1)[-1])
            if kind is not None:
                containers.append(ContainerInfo.from_graph(kind, item))
        return person, containers

    def member_pages(self, container: Container, *, top: int = EXPORT_PAGE_SIZE) -> Iterator[Page]:
        """Every member, page by page (``$top=999``, then ``@odata.nextLink``): one page in memory at a
        time, however large the container. Each page is read when the caller asks for it."""
        page = self._page(refs.members_path(container, self.base_url), {"$select": EXPORT_FIELDS, "$top": str(top)},
                          {}, DirectoryItem.from_graph)
        yield page
        while page.next_link:
            page = self.next_page(page.next_link, DirectoryItem.from_graph)
            yield page

    # --- what Entra shows on a group page: members by type, nested members (issue 10) ------------

    def list_members_of_type(self, container: Container, member_type: str, *, top: int = PAGE_SIZE) -> Page:
        """The first page of a container's direct members of one type (an OData cast, which the docs
        want with advanced-query parameters)."""
        path = f"{refs.members_path(container, self.base_url)}/{_cast(member_type)}"
        return self._page(path, {"$select": MEMBER_FIELDS, "$top": str(top), "$count": "true"}, dict(EVENTUAL),
                          DirectoryItem.from_graph)

    def transitive_page(self, container: Container, *, member_type: str = "", next_link: str | None = None,
                        top: int = PAGE_SIZE) -> tuple[Page, list[ContainerInfo]]:
        """A page of a group's members with the nested groups' members (``transitiveMembers``), and
        the group's nested groups (to tell through which one each member comes), in one $batch."""
        path = f"{refs.container_path(container, self.base_url)}/transitiveMembers"
        if next_link:
            if not next_link.startswith(self.base_url + "/"):
                raise refs.InvalidId("A next-page link must point at the configured Graph service.")
            page_item = {"method": "GET", "url": next_link[len(self.base_url):], "headers": dict(EVENTUAL)}
        else:
            typed = f"{path}/{_cast(member_type)}" if member_type else path
            page_item = _get(typed, {"$select": MEMBER_FIELDS, "$top": str(top), "$count": "true"}, EVENTUAL)
        groups_item = _get(f"{path}/{_cast('group')}", {"$select": "id,displayName", "$top": "999", "$count": "true"},
                           EVENTUAL)
        answers = self.batch_requests({"page": page_item, "groups": groups_item})
        if isinstance(answers["page"], GraphError):
            raise answers["page"]
        groups = answers["groups"]
        nested = [] if isinstance(groups, GraphError) else [ContainerInfo.from_graph(Kind.GROUPS, g)
                                                             for g in groups.get("value", [])]
        return _page_of(answers["page"], DirectoryItem.from_graph), nested

    def nesting(self, container: Container, member_ids: list[str], nested: list[ContainerInfo]) -> dict[str, str | None]:
        """For each member: "" when a direct member of the group, else the id of the nested group it is
        a direct member of (None: not among the first ``NESTED_GROUPS_CHECKED``, or unreadable).
        One $batch of ``members?$filter=id in (…)`` on the group and on each nested group."""
        groups = [container] + [Container(Kind.GROUPS, g.id) for g in nested[:NESTED_GROUPS_CHECKED]]
        ids = [refs.object_id(m) for m in member_ids]
        requests_ = {}
        for g, group in enumerate(groups):
            for n, chunk in enumerate(_chunks(ids, IN_FILTER_LIMIT)):
                listed = ",".join(_odata_string(m) for m in chunk)
                requests_[f"{g}:{n}"] = _get(refs.members_path(group, self.base_url),
                                             {"$filter": f"id in ({listed})", "$select": "id", "$count": "true"}, EVENTUAL)
        answers = self.batch_requests(requests_) if ids else {}
        where: dict[str, str | None] = dict.fromkeys(ids)
        for g, group in reversed(list(enumerate(groups))):  # the group itself last: "direct" wins
            for n, _ in enumerate(_chunks(ids, IN_FILTER_LIMIT)):
                answer = answers[f"{g}:{n}"]
                if isinstance(answer, GraphError):
                    continue
                for item in answer.get("value", []):
                    where[item["id"]] = "" if g == 0 else group.id
        return where

    # --- changing: never raises; one Result per member ------------------------------------

    def remove_member(self, container: Container, member_id: str) -> Result:
        """DELETE the member reference (``/$ref``); "not a member" is the outcome ALREADY."""
        member_id = refs.object_id(member_id)
        path = refs.member_ref_path(container, member_id, self.base_url)
        try:
            response = self._request("DELETE", self._url(path))
        except GraphError as error:
            retried = error.status in RETRYABLE_STATUSES  # a 503/504 was, to the bound: DELETE is idempotent
            if error.is_not_found and error.earlier is not None:
                return _as_asked_after_earlier_send(member_id, error.earlier)
            # No answer, or a server error, now or to an earlier send (which may have been applied):
            # read back, never guess.
            if (error.is_uncertain and not retried) or (error.earlier is not None and error.is_busy):
                return self._read_back(container, [member_id], error.earlier or error, want_member=False)[0]
            return _result_of_error(member_id, error, already=error.is_not_found)
        return Result(member_id, Outcome.DONE, request_id=response.headers.get("request-id", ""))

    def add_member(self, container: Container, member_id: str) -> Result:
        """POST one member reference; "already a member" is the outcome ALREADY."""
        member_id = refs.object_id(member_id)
        body = {"@odata.id": refs.directory_object_url(self.base_url, member_id)}
        try:
            response = self._request("POST", self._url(refs.members_ref_path(container, self.base_url)), json=body)
        except GraphError as error:
            if error.is_uncertain:
                return self._read_back(container, [member_id], error, want_member=True)[0]
            return _result_of_error(member_id, error, already=error.is_already_member)
        return Result(member_id, Outcome.DONE, request_id=response.headers.get("request-id", ""))

    def add_members(self, container: Container, member_ids: list[str]) -> list[Result]:
        """Add several members: groups one PATCH per 20 (all-or-nothing), others in $batch."""
        ids = list(dict.fromkeys(refs.object_id(m) for m in member_ids))
        if len(ids) == 1:
            return [self.add_member(container, ids[0])]
        results = []
        for chunk in _chunks(ids, CHANGE_CHUNK):
            if container.kind is Kind.GROUPS and not container.by_template:
                results.extend(self._bind_members(container, chunk))
            else:
                results.extend(self._batch_change(container, chunk, add=True))
        return results

    def remove_members(self, container: Container, member_ids: list[str]) -> list[Result]:
        """Remove several members: DELETEs of member references (each ending in /$ref) in $batch, 20 at a time."""
        ids = list(dict.fromkeys(refs.object_id(m) for m in member_ids))
        if len(ids) == 1:
            return [self.remove_member(container, ids[0])]
        results = []
        for chunk in _chunks(ids, CHANGE_CHUNK):
            results.extend(self._batch_change(container, chunk, add=False))
        return results

    def _bind_members(self, container: Container, ids: list[str]) -> list[Result]:
        body = {"members@odata.bind": [refs.directory_object_url(self.base_url, m) for m in ids]}
        try:
            response = self._request("PATCH", self._url(refs.container_path(container, self.base_url)), json=body)
        except GraphError as error:
            if error.is_uncertain:
                return self._read_back(container, ids, error, want_member=True)
            if error.status in {400, 404} and len(ids) > 1:
                # All-or-nothing: one bad or existing member fails the lot; learn which, each its own
                # item of one $batch (one more round trip, not one per member).
                return self._batch_change(container, ids, add=True)
            return [_result_of_error(m, error) for m in ids]
        request_id = response.headers.get("request-id", "")
        return [Result(m, Outcome.DONE, request_id=request_id) for m in ids]

    def _batch_change(self, container: Container, ids: list[str], *, add: bool) -> list[Result]:
        """One $batch of adds (POST .../members/$ref) or removes (DELETE .../members/{id}/$ref).

        Items throttled (429; for a remove, 503/504 too: a DELETE is idempotent) were not done: SDKs
        don't retry batch items, so they are sent again *together* in one more $batch after the
        longest Retry-After, within the retry budget (GRAPH.md §6); then the rest are reported busy.
        """
        results: dict[str, Result] = {}
        uncertain: dict[str, GraphError] = {}
        resent_after: dict[str, GraphError] = {}  # removes sent again after a 503/504 that may have been applied
        pending, attempt = list(ids), 0
        while pending:
            try:
                answers, batch_request_id = self._batch(self._change_items(container, pending, add=add))
            except GraphError as error:
                if error.is_uncertain:  # the $batch itself got no clear answer: any item may have run
                    results.update((r.member_id, r) for r in self._read_back(container, pending, error, want_member=add))
                else:
                    results.update((m, _result_of_error(m, error)) for m in pending)
                break
            throttled: dict[str, GraphError] = {}
            for n, member_id in enumerate(pending, start=1):
                answer = answers[str(n)]
                if answer.ok:
                    # A 204 item carries no request-id of its own (GRAPH.md §6): the batch's identifies it.
                    request_id = {k.lower(): v for k, v in answer.headers.items()}.get("request-id") or batch_request_id
                    results[member_id] = Result(member_id, Outcome.DONE, request_id=request_id)
                    continue
                error = answer.error()
                if error.status == 429 or (not add and error.is_busy):
                    if error.is_uncertain:
                        resent_after.setdefault(member_id, error)
                    throttled[member_id] = error
                elif error.is_uncertain:
                    uncertain[member_id] = error
                elif not add and error.is_not_found and member_id in resent_after:
                    results[member_id] = _as_asked_after_earlier_send(member_id, resent_after[member_id])
                else:
                    already = error.is_already_member if add else error.is_not_found
                    results[member_id] = _result_of_error(member_id, error, already=already)
            wait = max((e.retry_after if e.retry_after is not None else 2.0 ** (attempt + 1) for e in throttled.values()),
                       default=0.0)
            if throttled and (attempt >= self.max_retries or wait > self.max_retry_wait):
                # Not sent again: busy, unless an earlier send of it got a 503/504 (it may have been
                # applied): those are read back with the uncertain ones.
                uncertain.update((m, resent_after[m]) for m in throttled if m in resent_after)
                results.update((m, _result_of_error(m, e)) for m, e in throttled.items() if m not in resent_after)
                break
            if throttled:
                attempt += 1
                self.sleep(wait)
            pending = list(throttled)
        if uncertain:
            read = self._read_back(container, list(uncertain), None, want_member=add, errors=uncertain)
            results.update({result.member_id: result for result in read})
        return [results[m] for m in ids]

    def _change_items(self, container: Container, ids: list[str], *, add: bool) -> dict[str, dict]:
        """The $batch items of adds or removes, numbered from 1 in the order of ``ids``."""
        if add:
            path = refs.members_ref_path(container, self.base_url)
            return {str(n): {"method": "POST", "url": path, "headers": {"Content-Type": "application/json"},
                             "body": {"@odata.id": refs.directory_object_url(self.base_url, m)}}
                    for n, m in enumerate(ids, start=1)}
        items = {str(n): {"method": "DELETE", "url": refs.member_ref_path(container, m, self.base_url)}
                 for n, m in enumerate(ids, start=1)}
        return items

    def _read_until_landed(self, container: Container, ids: list[str], want_member: bool) -> dict[str, bool | None]:
        """The membership of ``ids``; those read as not landed are read again, a few times within
        ``replication_window``, as a replica may not have the write yet."""
        state = self.read_membership(container, ids)
        waited, step = 0.0, max(self.replication_window / 4, 0.05)
        while waited < self.replication_window:
            not_yet = [m for m in ids if state.get(m) is not None and state[m] != want_member]
            if not not_yet:
                break
            self.sleep(min(step, self.replication_window - waited))
            waited += step
            state.update((m, seen) for m, seen in self.read_membership(container, not_yet).items() if seen is not None)
        return state

    def _read_back(self, container: Container, ids: list[str], error: GraphError | None, *, want_member: bool,
                   errors: dict[str, GraphError] | None = None) -> list[Result]:
        """No clear answer to a write: read the membership back instead of resending.

        As asked: AS_ASKED (landed, or so already: a read can't tell). Not landed, still after the
        replication window: the error's outcome (busy: not done), except after a timeout, when Graph
        may still be working on the call (UNKNOWN: settled later). Read failed: UNKNOWN.
        """
        state = self._read_until_landed(container, ids, want_member)
        results = []
        for member_id in ids:
            cause = (errors or {}).get(member_id) or error
            is_member = state.get(member_id)
            if is_member is None:
                results.append(Result(member_id, Outcome.UNKNOWN, cause, cause.request_id))
            elif is_member == want_member:
                results.append(Result(member_id, Outcome.AS_ASKED, cause, cause.request_id))
            elif cause.code == "Timeout":  # sent, and perhaps still running: "not landed" means "not yet"
                results.append(Result(member_id, Outcome.UNKNOWN, cause, cause.request_id))
            else:
                results.append(_result_of_error(member_id, cause))
        return results

    # --- plumbing ------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _get_json(self, path: str, *, params: dict | None = None, headers: dict | None = None) -> dict:
        return _json_object(self._request("GET", self._url(path), params=params, headers=headers or {}))

    def _page(self, path: str, params: dict, headers: dict, parse: Callable, *args) -> Page:
        body = _json_object(self._request("GET", self._url(path), params=params, headers=headers))
        return _page_of(body, lambda item: parse(*args, item))

    def _batch(self, items: dict[str, dict], *, reads_only: bool = False) -> tuple[dict[str, BatchAnswer], str]:
        """The one $batch engine: ``items`` by their batch ids; each id's answer (status 0 if
        missing from the response), and the batch's own request-id. ``reads_only``: all GETs."""
        body = {"requests": [{"id": item_id, **item} for item_id, item in items.items()]}
        response = self._request("POST", self._url("/$batch"), json=body, reads_only=reads_only)
        try:
            listed = response.json().get("responses", [])
        except (ValueError, AttributeError):
            listed = []
        by_id = {str(item.get("id")): item for item in listed if isinstance(item, dict)}
        answers = {}
        for item_id in items:
            item = by_id.get(item_id, {})
            answers[item_id] = BatchAnswer(int(item.get("status") or 0), item.get("headers") or {}, item.get("body"))
        return answers, response.headers.get("request-id", "")

    @sensitive_variables()
    def _request(self, method: str, url: str, *, reads_only: bool = False, **kwargs) -> requests.Response:
        """Send with the bearer token and a timeout; retry 429/503/504 within bounds; raise GraphError.

        A read (a GET, or a ``$batch`` of GETs: ``reads_only``) whose connection broke before any
        answer is sent again at once, within the same bounds: a kept-alive connection the server
        had just closed. A write never is (its membership is read back instead).
        """
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json",
                   "client-request-id": str(uuid.uuid4()), **kwargs.pop("headers", {})}
        attempt, earlier = 0, None
        while True:
            try:
                response = self._send(method, url, headers, kwargs)
            except GraphError as lost:
                if lost.code != "ConnectionError" or not (reads_only or method == "GET") or attempt >= self.max_retries:
                    raise
                attempt += 1
                continue
            if response.ok:
                return response
            error = error_from(response)
            error.earlier = earlier
            if not self._should_retry(method, error, attempt):
                raise error
            if error.is_uncertain:
                earlier = earlier or error
            attempt += 1
            self.sleep(min(error.retry_after if error.retry_after is not None else 2 ** attempt, self.max_retry_wait))

    @sensitive_variables()
    def _send(self, method: str, url: str, headers: dict, kwargs: dict) -> requests.Response:
        started = time.perf_counter()
        status, request_id = 0, ""
        try:
            response = self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
            status, request_id = response.status_code, response.headers.get("request-id", "")
            return response
        except requests.Timeout:
            raise GraphError(0, "Timeout", "Graph did not answer in time.",
                             client_request_id=headers["client-request-id"]) from None
        except requests.RequestException as exc:
            raise GraphError(0, "ConnectionError", f"Graph could not be reached ({type(exc).__name__}).",
                             client_request_id=headers["client-request-id"]) from None
        finally:
            elapsed = time.perf_counter() - started
            self.stats.calls += 1
            self.stats.seconds += elapsed
            log.info("graph %s %s -> %s", method, path_template(url), status or "no answer", extra={"graph_call": {
                "method": method, "path": path_template(url), "status": status, "duration_ms": round(elapsed * 1000, 1),
                "request_id": request_id, "client_request_id": headers.get("client-request-id", "")}})

    def _should_retry(self, method: str, error: GraphError, attempt: int) -> bool:
        if attempt >= self.max_retries or error.status not in RETRYABLE_STATUSES:
            return False
        if error.retry_after is not None and error.retry_after > self.max_retry_wait:
            return False  # too long to hold the user's click: report "try again in N s" instead
        # 429 means "not done": safe to resend anything. A 503/504 on a POST/PATCH may have
        # been applied; never resend it blindly.
        return error.status == 429 or method in {"GET", "DELETE"}


def _as_asked_after_earlier_send(member_id: str, earlier: GraphError) -> Result:
    """A removal sent again after a 503/504 found the member gone: the first send, answered with that
    server error, may have been applied (Graph can fail after committing) or may have found the member
    gone already. As asked either way; not "already so", which would deny the first send's doing."""
    return Result(member_id, Outcome.AS_ASKED, earlier, earlier.request_id)


def _result_of_error(member_id: str, error: GraphError, *, already: bool = False) -> Result:
    if already:
        outcome = Outcome.ALREADY
    elif error.is_busy:
        outcome = Outcome.BUSY
    elif 400 <= error.status < 500:
        outcome = Outcome.REFUSED
    else:
        outcome = Outcome.FAILED
    return Result(refs.object_id(member_id), outcome, error, error.request_id)


def _page_of(body: dict, parse: Callable[[dict], object]) -> Page:
    """A collection answer as a Page: its items parsed, its nextLink and count as Graph gave them."""
    return Page([parse(item) for item in body.get("value", [])], body.get("@odata.nextLink"), body.get("@odata.count"))


def _count_of(answer: dict | GraphError) -> int | None:
    """A collection's @odata.count, or None when it couldn't be read (a count is a detail of a page)."""
    if isinstance(answer, GraphError):
        return None
    count = answer.get("@odata.count")
    return count if isinstance(count, int) else None


def _searched_roles(page: Page, search: str) -> Page:
    """Directory roles filtered by name here (/directoryRoles supports no $search)."""
    if not search:
        return page
    needle = search.lower()
    return Page([c for c in page.items if needle in c.display_name.lower()], None, None)


def search_clause(text: str, fields: list[str]) -> str:
    """A Graph ``$search`` value: each field's clause in double quotes, OR-ed (quotes in text dropped)."""
    cleaned = " ".join(text.replace('"', " ").replace("\\", " ").split())[:100]
    return " OR ".join(f'"{name}:{cleaned}"' for name in fields)


def _get(path: str, params: dict, headers: dict | None = None) -> dict:
    """A GET item of a $batch: a URL relative to the version, its query encoded."""
    item = {"method": "GET", "url": f"{path}?{urlencode(params)}"}
    if headers:
        item["headers"] = headers
    return item


def _cast(member_type: str) -> str:
    """The OData cast segment of a member type: user -> microsoft.graph.user."""
    if member_type not in {"user", "group", "device", "servicePrincipal", "orgContact"}:
        raise refs.InvalidId(f"Not a member type: {member_type[:20]!r}")
    return f"microsoft.graph.{member_type}"


def _odata_string(value: str) -> str:
    """An OData string literal: in single quotes, a quote inside doubled."""
    return "'" + value.replace("'", "''") + "'"


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
