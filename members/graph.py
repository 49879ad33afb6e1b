"""THE service module: every Microsoft Graph call of Membership Desk goes through ``GraphClient``.

It knows nothing of Django requests or templates. It takes a delegated access token and a base
URL (Microsoft's, or the sandbox's), sets a timeout on every call, retries throttled or
unavailable calls a bounded number of times honouring ``Retry-After``, follows
``@odata.nextLink`` verbatim, and turns every failure into a ``GraphError`` carrying Graph's
status, code, message and request-id. Paths come only from ``members.refs``.
"""

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from urllib.parse import urlencode, urlsplit

import requests

from members import refs
from members.refs import Container, Kind

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
LIST_PAGE_SIZE = 20  # one $batch counts a whole page's members
PATCH_BIND_LIMIT = 20  # "A resource cannot contain more than 20 link changes"
BATCH_LIMIT = 20
EVENTUAL = {"ConsistencyLevel": "eventual"}
RETRYABLE_STATUSES = {429, 503, 504}
UNCERTAIN_STATUSES = {0, 503, 504}  # a write may or may not have happened


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

    @property
    def is_busy(self) -> bool:
        return self.status in RETRYABLE_STATUSES or self.status == 0

    @property
    def is_permission_denied(self) -> bool:
        return self.status == 403

    @property
    def is_already_member(self) -> bool:
        return self.status == 400 and "already exist" in self.message

    @property
    def is_not_found(self) -> bool:
        return self.status == 404


class Outcome(StrEnum):
    """What happened to one add or remove."""

    DONE = "done"
    ALREADY = "already"  # already a member / already removed: not an error
    REFUSED = "refused"  # Graph said no (permission, protected target, bad request)
    BUSY = "busy"  # throttled or unavailable after the bounded retries: not done
    UNKNOWN = "unknown"  # no answer, and reading back failed too: may or may not be done
    FAILED = "failed"  # anything else


@dataclass(frozen=True)
class Result:
    """The outcome of one membership change, with Graph's error when there was one."""

    member_id: str
    outcome: Outcome
    error: GraphError | None = None
    request_id: str = ""


@dataclass(frozen=True)
class DirectoryItem:
    """A member or a people-picker hit: a user, group, device, service principal or contact."""

    id: str
    type: str
    display_name: str
    principal: str = ""
    detail: str = ""

    @classmethod
    def from_graph(cls, item: dict) -> "DirectoryItem":
        kind = item.get("@odata.type", "#microsoft.graph.directoryObject").rsplit(".", 1)[-1]
        principal = item.get("userPrincipalName") or item.get("mail") or item.get("appId") or ""
        detail = item.get("jobTitle") or item.get("operatingSystem") or ""
        if kind == "group":
            detail = group_kind_label(item)
        return cls(id=item["id"], type=kind, display_name=item.get("displayName") or "(no name)",
                   principal=principal, detail=detail)


def group_kind_label(group: dict) -> str:
    """Security / Microsoft 365 / Mail-enabled security / Distribution, from the group's flags."""
    if "Unified" in (group.get("groupTypes") or []):
        return "Microsoft 365"
    if group.get("mailEnabled"):
        return "Mail-enabled security" if group.get("securityEnabled") else "Distribution"
    return "Security"


@dataclass(frozen=True)
class ContainerInfo:
    """An AU, group or directory role, with the traits that decide who may change its members."""

    kind: Kind
    id: str
    display_name: str
    description: str = ""
    data: dict = field(default_factory=dict, compare=False, hash=False)
    member_count: int | None = None

    @classmethod
    def from_graph(cls, kind: Kind, item: dict) -> "ContainerInfo":
        return cls(kind=kind, id=item["id"], display_name=item.get("displayName") or "(no name)",
                   description=item.get("description") or "", data=item)

    @property
    def role_template_id(self) -> str:
        return self.data.get("roleTemplateId") or ""

    @property
    def traits(self) -> tuple[str, ...]:
        """Machine names of what makes this container special (see ``labels``)."""
        d = self.data
        found = []
        if self.kind is Kind.GROUPS:
            label = group_kind_label(d)
            found.append({"Microsoft 365": "m365", "Mail-enabled security": "mail_enabled_security",
                          "Distribution": "distribution", "Security": "security"}[label])
            if "DynamicMembership" in (d.get("groupTypes") or []):
                found.append("dynamic")
            if d.get("onPremisesSyncEnabled"):
                found.append("synced")
            if d.get("isAssignableToRole"):
                found.append("role_assignable")
            if d.get("isManagementRestricted"):
                found.append("restricted")  # in a restricted-management AU
        elif self.kind is Kind.UNITS:
            if d.get("isMemberManagementRestricted"):
                found.append("restricted")
            if (d.get("membershipType") or "").lower() == "dynamic":
                found.append("dynamic")
            if d.get("visibility") == "HiddenMembership":
                found.append("hidden")
        return tuple(found)


@dataclass(frozen=True)
class Page:
    items: list
    next_link: str | None = None
    count: int | None = None


@dataclass
class CallStats:
    """Round trips and time spent in Graph, for the Server-Timing header and the benchmarks."""

    calls: int = 0
    seconds: float = 0.0


def error_from(response: requests.Response) -> GraphError:
    """Graph's error body (GRAPH.md §1) as a GraphError; tolerant of non-JSON answers."""
    try:
        body = response.json().get("error", {})
    except ValueError:
        body = {}
    inner = body.get("innerError") or {}
    return GraphError(
        status=response.status_code,
        code=body.get("code") or f"HTTP{response.status_code}",
        message=body.get("message") or response.reason or "",
        request_id=response.headers.get("request-id") or inner.get("request-id", ""),
        client_request_id=response.headers.get("client-request-id") or inner.get("client-request-id", ""),
        retry_after=_retry_after(response.headers.get("Retry-After")),
    )


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class GraphClient:
    """Delegated Graph calls for one signed-in user."""

    def __init__(self, token: str, *, base_url: str, session: requests.Session | None = None,
                 timeout: float = 10.0, max_retries: int = 2, max_retry_wait: float = 5.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.token = token
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self.sleep = sleep
        self.stats = CallStats()

    # --- reading -------------------------------------------------------------------------

    def list_containers(self, kind: Kind, *, search: str = "", top: int = LIST_PAGE_SIZE) -> Page:
        """One page of AUs, groups or (activated) directory roles, optionally searched by name."""
        kind = refs.parse_kind(kind)
        params = {"$select": CONTAINER_FIELDS[kind]}
        headers = {}
        if kind is Kind.ROLES:
            # /directoryRoles supports neither $top nor $search: a tenant has few activated roles.
            page = self._page(refs.collection_path(kind, self.base_url), params, headers, ContainerInfo.from_graph, kind)
            if search:
                needle = search.lower()
                page = Page([c for c in page.items if needle in c.display_name.lower()], None, None)
            return page
        params["$top"] = str(top)
        params["$count"] = "true"
        headers.update(EVENTUAL)
        if search:
            params["$search"] = search_clause(search, ["displayName", "description"])
        else:
            params["$orderby"] = "displayName"
        return self._page(refs.collection_path(kind, self.base_url), params, headers, ContainerInfo.from_graph, kind)

    def get_container(self, container: Container) -> ContainerInfo:
        path = refs.container_path(container, self.base_url)
        item = self._get_json(path, params={"$select": CONTAINER_FIELDS[container.kind]})
        return ContainerInfo.from_graph(container.kind, item)

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
        return _page_of(self._request("GET", next_link, headers=EVENTUAL if eventual else {}).json(), parse)

    def count_members(self, container: Container) -> int | None:
        """The member count (``/members/$count`` needs ConsistencyLevel: eventual)."""
        try:
            response = self._request("GET", self._url(refs.members_path(container, self.base_url) + "/$count"),
                                     headers=EVENTUAL)
        except GraphError as error:
            if error.is_permission_denied or error.status == 400:
                return None
            raise
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

    def my_access(self) -> dict:
        """Roles (tenant-wide and per unit) and owned groups, in one $batch; JSON-ready for the session."""
        answers = self.batch_get({
            "roles": "/me/transitiveMemberOf/microsoft.graph.directoryRole?$select=id,roleTemplateId",
            "scoped": "/me/scopedRoleMemberOf",
            "activated": "/directoryRoles?$select=id,roleTemplateId",
            "owned": "/me/ownedObjects/microsoft.graph.group?$select=id",
        })
        if isinstance(answers["roles"], GraphError):
            raise answers["roles"]
        template_of = {}
        if not isinstance(answers["activated"], GraphError):
            template_of = {r["id"]: r.get("roleTemplateId", "") for r in answers["activated"].get("value", [])}
        scoped = []
        if not isinstance(answers["scoped"], GraphError):
            scoped = [[m["administrativeUnitId"], template_of.get(m["roleId"], m["roleId"])]
                      for m in answers["scoped"].get("value", [])]
        owned = None
        if not isinstance(answers["owned"], GraphError):
            owned = [g["id"] for g in answers["owned"].get("value", [])]
        return {"roles": [r.get("roleTemplateId", "") for r in answers["roles"].get("value", [])],
                "scoped": scoped, "owned_groups": owned, "known": True}

    def describe(self, container: Container, member_ids: list[str], *,
                 with_container: bool = True) -> tuple[ContainerInfo | None, dict[str, DirectoryItem]]:
        """A container and some directory objects by id, in one $batch (none when nothing is asked)."""
        paths = {}
        if with_container:
            paths["container"] = f"{refs.container_path(container, self.base_url)}?$select={CONTAINER_FIELDS[container.kind]}"
        for n, member_id in enumerate(member_ids):
            paths[f"m{n}"] = f"/directoryObjects/{refs.object_id(member_id)}?$select={MEMBER_FIELDS}"
        answers = self.batch_get(paths) if paths else {}
        info = answers.get("container")
        info = None if info is None or isinstance(info, GraphError) else ContainerInfo.from_graph(container.kind, info)
        found = {}
        for n, member_id in enumerate(member_ids):
            item = answers[f"m{n}"]
            if not isinstance(item, GraphError):
                found[refs.object_id(member_id)] = DirectoryItem.from_graph(item)
        return info, found

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
        paths = {info.id: f"{refs.members_path(Container(info.kind, info.id), self.base_url)}?$count=true&$top=1&$select=id"
                 for info in page.items}
        answers = self.batch_get(paths, headers=EVENTUAL)
        items = [replace(info, member_count=None if isinstance(answers[info.id], GraphError)
                         else answers[info.id].get("@odata.count")) for info in page.items]
        return Page(items, page.next_link, page.count)

    def batch_get(self, paths: dict[str, str], *, headers: dict | None = None) -> dict[str, dict | GraphError]:
        """Several GETs in one $batch (<= 20 each); each answer is its JSON body or a GraphError."""
        names = list(paths)
        answers: dict[str, dict | GraphError] = {}
        for chunk in _chunks(names, BATCH_LIMIT):
            body = {"requests": [{"id": str(n), "method": "GET", "url": paths[name], **({"headers": headers} if headers else {})}
                                 for n, name in enumerate(chunk)]}
            response = self._request("POST", self._url("/$batch"), json=body).json()
            by_id = {item["id"]: item for item in response.get("responses", [])}
            for n, name in enumerate(chunk):
                item = by_id.get(str(n), {"status": 0})
                ok = 200 <= item.get("status", 0) < 300
                answers[name] = (item.get("body") or {}) if ok else _batch_item_error(item)
        return answers

    # --- changing ------------------------------------------------------------------------

    def remove_member(self, container: Container, member_id: str) -> Result:
        """DELETE the member reference (``/$ref``); "not a member" is the outcome ALREADY."""
        path = refs.member_ref_path(container, member_id, self.base_url)
        try:
            response = self._request("DELETE", self._url(path))
        except GraphError as error:
            if error.status == 0:  # no answer at all (a 503/504 was already retried: DELETE is idempotent)
                return self._settle_uncertain(container, member_id, error, done_if_member=False)
            return self._result_of_error(member_id, error, already=error.is_not_found)
        return Result(refs.object_id(member_id), Outcome.DONE, request_id=response.headers.get("request-id", ""))

    def add_member(self, container: Container, member_id: str) -> Result:
        """POST one member reference; "already a member" is the outcome ALREADY."""
        body = {"@odata.id": refs.directory_object_url(self.base_url, member_id)}
        try:
            response = self._request("POST", self._url(refs.members_ref_path(container, self.base_url)), json=body)
        except GraphError as error:
            if error.status in UNCERTAIN_STATUSES:
                return self._settle_uncertain(container, member_id, error, done_if_member=True)
            return self._result_of_error(member_id, error, already=error.is_already_member)
        return Result(refs.object_id(member_id), Outcome.DONE, request_id=response.headers.get("request-id", ""))

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

    def _settle_uncertain(self, container: Container, member_id: str, error: GraphError, *, done_if_member: bool) -> Result:
        """No clear answer to a write (no answer, 503/504): read the membership back instead of resending."""
        try:
            landed = self.is_member(container, member_id) == done_if_member
        except GraphError:
            return Result(refs.object_id(member_id), Outcome.UNKNOWN, error, error.request_id)
        if landed:
            return Result(refs.object_id(member_id), Outcome.DONE, request_id=error.request_id)
        return self._result_of_error(member_id, error)

    def add_members(self, container: Container, member_ids: list[str]) -> list[Result]:
        """Add several members: groups one PATCH per 20 (all-or-nothing), others in $batch."""
        ids = list(dict.fromkeys(refs.object_id(m) for m in member_ids))
        if len(ids) == 1:
            return [self.add_member(container, ids[0])]
        if container.kind is Kind.GROUPS and not container.by_template:
            results = []
            for chunk in _chunks(ids, PATCH_BIND_LIMIT):
                results.extend(self._bind_members(container, chunk))
            return results
        results = []
        for chunk in _chunks(ids, BATCH_LIMIT):
            results.extend(self._batch_add(container, chunk))
        return results

    def _bind_members(self, container: Container, ids: list[str]) -> list[Result]:
        body = {"members@odata.bind": [refs.directory_object_url(self.base_url, m) for m in ids]}
        try:
            response = self._request("PATCH", self._url(refs.container_path(container, self.base_url)), json=body)
        except GraphError as error:
            if error.status in {400, 404} and len(ids) > 1:
                # All-or-nothing: one bad or existing member fails the lot; learn which, one by one.
                return [self.add_member(container, m) for m in ids]
            return [self._result_of_error(m, error) for m in ids]
        request_id = response.headers.get("request-id", "")
        return [Result(m, Outcome.DONE, request_id=request_id) for m in ids]

    def remove_members(self, container: Container, member_ids: list[str]) -> list[Result]:
        """Remove several members: DELETEs of member references (each ending in /$ref) in $batch, 20 at a time."""
        ids = list(dict.fromkeys(refs.object_id(m) for m in member_ids))
        if len(ids) == 1:
            return [self.remove_member(container, ids[0])]
        results = []
        for chunk in _chunks(ids, BATCH_LIMIT):
            results.extend(self._batch_remove(container, chunk))
        return results

    def _batch_add(self, container: Container, ids: list[str]) -> list[Result]:
        path = refs.members_ref_path(container, self.base_url)
        answers = self._batch(ids, lambda m: {"method": "POST", "url": path, "headers": {"Content-Type": "application/json"},
                                              "body": {"@odata.id": refs.directory_object_url(self.base_url, m)}})
        results = []
        for member_id, item, error in answers:
            if error is None:
                results.append(Result(member_id, Outcome.DONE, request_id=item))
            elif error.status == 429:
                # Throttled items are retried alone (SDKs don't retry batch items for us), until
                # one stays throttled: then the rest are reported busy at once (one click, bounded wait).
                results.append(self._result_of_error(member_id, error) if _gave_up(results)
                               else self.add_member(container, member_id))
            elif error.status in UNCERTAIN_STATUSES:
                results.append(self._settle_uncertain(container, member_id, error, done_if_member=True))
            else:
                results.append(self._result_of_error(member_id, error, already=error.is_already_member))
        return results

    def _batch_remove(self, container: Container, ids: list[str]) -> list[Result]:
        answers = self._batch(ids, lambda m: {"method": "DELETE", "url": refs.member_ref_path(container, m, self.base_url)})
        results = []
        for member_id, item, error in answers:
            if error is None:
                results.append(Result(member_id, Outcome.DONE, request_id=item))
            elif error.status in RETRYABLE_STATUSES or error.status == 0:
                # Idempotent: retried alone, until one stays busy (then the rest are reported busy).
                results.append(self._result_of_error(member_id, error) if _gave_up(results)
                               else self.remove_member(container, member_id))
            else:
                results.append(self._result_of_error(member_id, error, already=error.is_not_found))
        return results

    def _batch(self, ids: list[str], build: Callable[[str], dict]) -> list[tuple[str, str, GraphError | None]]:
        """One $batch of one request per id: (id, request-id, error or None) for each, in order."""
        requests_ = [{"id": str(n), **build(member_id)} for n, member_id in enumerate(ids, start=1)]
        response = self._request("POST", self._url("/$batch"), json={"requests": requests_})
        batch_request_id = response.headers.get("request-id", "")
        by_id = {item["id"]: item for item in response.json().get("responses", [])}
        answers = []
        for n, member_id in enumerate(ids, start=1):
            item = by_id.get(str(n), {"status": 0, "headers": {}, "body": {}})
            if 200 <= item["status"] < 300:
                # A 204 item carries no request-id of its own (GRAPH.md §6): the batch's identifies it.
                answers.append((member_id, (item.get("headers") or {}).get("request-id", "") or batch_request_id, None))
            else:
                answers.append((member_id, "", _batch_item_error(item)))
        return answers

    @staticmethod
    def _result_of_error(member_id: str, error: GraphError, *, already: bool = False) -> Result:
        if already:
            return Result(refs.object_id(member_id), Outcome.ALREADY, error, error.request_id)
        if error.is_busy:
            outcome = Outcome.BUSY
        elif 400 <= error.status < 500:
            outcome = Outcome.REFUSED
        else:
            outcome = Outcome.FAILED
        return Result(refs.object_id(member_id), outcome, error, error.request_id)

    # --- plumbing ------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def _get_json(self, path: str, *, params: dict | None = None, headers: dict | None = None) -> dict:
        return self._request("GET", self._url(path), params=params, headers=headers or {}).json()

    def _page(self, path: str, params: dict, headers: dict, parse: Callable, *args) -> Page:
        body = self._request("GET", self._url(path), params=params, headers=headers).json()
        return _page_of(body, lambda item: parse(*args, item))

    def _request(self, method: str, url: str, **kwargs) -> requests.Response:
        """Send with the bearer token and a timeout; retry 429/503/504 within bounds; raise GraphError."""
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json",
                   "client-request-id": str(uuid.uuid4()), **kwargs.pop("headers", {})}
        attempt = 0
        while True:
            response = self._send(method, url, headers, kwargs)
            if response.ok:
                return response
            error = error_from(response)
            if not self._should_retry(method, error, attempt):
                log.info("graph %s %s -> %s %s request-id=%s", method, urlsplit(url).path, error.status,
                         error.code, error.request_id)
                raise error
            attempt += 1
            self.sleep(min(error.retry_after if error.retry_after is not None else 2 ** attempt, self.max_retry_wait))

    def _send(self, method: str, url: str, headers: dict, kwargs: dict) -> requests.Response:
        started = time.perf_counter()
        try:
            return self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise GraphError(0, "Timeout", "Graph did not answer in time.",
                             client_request_id=headers["client-request-id"]) from None
        except requests.RequestException as exc:
            raise GraphError(0, "ConnectionError", f"Graph could not be reached ({type(exc).__name__}).",
                             client_request_id=headers["client-request-id"]) from None
        finally:
            self.stats.calls += 1
            self.stats.seconds += time.perf_counter() - started

    def _should_retry(self, method: str, error: GraphError, attempt: int) -> bool:
        if attempt >= self.max_retries or error.status not in RETRYABLE_STATUSES:
            return False
        if error.retry_after is not None and error.retry_after > self.max_retry_wait:
            return False  # too long to hold the user's click: report "try again in N s" instead
        # 429 means "not done": safe to resend anything. A 503/504 on a POST/PATCH may have
        # been applied; never resend it blindly.
        return error.status == 429 or method in {"GET", "DELETE"}


def _page_of(body: dict, parse: Callable[[dict], object]) -> Page:
    """A collection answer as a Page: its items parsed, its nextLink and count as Graph gave them."""
    return Page([parse(item) for item in body.get("value", [])], body.get("@odata.nextLink"), body.get("@odata.count"))


def _gave_up(results: list[Result]) -> bool:
    """An item of this batch already stayed busy after its own retries."""
    return any(result.outcome is Outcome.BUSY for result in results)


def _batch_item_error(item: dict) -> GraphError:
    body = (item.get("body") or {}).get("error", {}) if isinstance(item.get("body"), dict) else {}
    headers = {k.lower(): v for k, v in (item.get("headers") or {}).items()}
    inner = body.get("innerError") or {}
    return GraphError(item.get("status", 0), body.get("code", ""), body.get("message", ""),
                      headers.get("request-id") or inner.get("request-id", ""),
                      headers.get("client-request-id") or inner.get("client-request-id", ""),
                      _retry_after(headers.get("retry-after")))


def search_clause(text: str, fields: list[str]) -> str:
    """A Graph ``$search`` value: each field's clause in double quotes, OR-ed (quotes in text dropped)."""
    cleaned = " ".join(text.replace('"', " ").replace("\\", " ").split())[:100]
    return " OR ".join(f'"{name}:{cleaned}"' for name in fields)


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
