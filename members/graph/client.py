"""``GraphClient``: the one face of every Graph call, for one signed-in user.

Reads return the plain types of ``members.directory``; a failed read raises ``GraphError``.
Changes never raise: every add or remove ends in one ``Result`` per member (``writes``), and the
bulk look-ups of pasted lists and membership live in ``lookups``. All of it goes through one
``Transport``: its retry policy and its ``$batch`` engine.
"""

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace

import requests
from django.views.decorators.debug import sensitive_variables

from members.directory import Container, ContainerInfo, DirectoryItem, InvalidId, Kind, MemberType, MyAccess, Page, Trait
from members.graph import lists, lookups, odata, owners, paths, roles, writes
from members.graph.errors import GraphError
from members.graph.odata import CONTAINER_FIELDS, EVENTUAL, LIST_PAGE_SIZE, MEMBER_FIELDS, PAGE_SIZE
from members.graph.answers import ContainerRead, access_from
from members.graph.paths import ACCESS_EVENTUAL, ACCESS_PATHS
from members.graph.transport import CallStats, Transport
from members.graph.writes import Result

log = logging.getLogger("members.graph")

# Each searchable type: the properties searched and those selected (a typed list rejects another
# type's properties).
PICKER_QUERIES = {MemberType.USER: (["displayName", "userPrincipalName", "mail"], odata.PERSON_FIELDS),
                  MemberType.GROUP: (["displayName", "mail"], odata.GROUP_HIT_FIELDS),
                  MemberType.DEVICE: (["displayName"], odata.DEVICE_FIELDS)}


class GraphClient:
    """Delegated Graph calls for one signed-in user."""

    @sensitive_variables("token")
    def __init__(self, token: str, *, base_url: str, session: requests.Session | None = None,
                 timeout: float = 10.0, max_retries: int = 2, max_retry_wait: float = 5.0,
                 replication_window: float = 0.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.transport = Transport(token, base_url=base_url, session=session, timeout=timeout,
                                   max_retries=max_retries, max_retry_wait=max_retry_wait,
                                   replication_window=replication_window, sleep=sleep)

    def __repr__(self) -> str:  # never the token (debug pages show frame locals)
        return f"<GraphClient {self.base_url}>"

    @property
    def base_url(self) -> str:
        return self.transport.base_url

    @property
    def session(self) -> requests.Session:
        return self.transport.session

    @property
    def stats(self) -> CallStats:
        return self.transport.stats

    # --- lists of containers (lists.py) ---------------------------------------------------

    def list_containers(self, kind: Kind, *, search: str = "", top: int = LIST_PAGE_SIZE) -> Page:
        return lists.list_containers(self.transport, kind, search=search, top=top)

    def read_list(self, kind: Kind, *, search: str = "", counted: Iterable[str] = (), top: int = LIST_PAGE_SIZE,
                  group_kind: Trait | None = None, descending: bool = False) -> Page:
        return lists.read_list(self.transport, kind, search=search, counted=counted, top=top, group_kind=group_kind,
                               descending=descending)

    def with_member_counts(self, page: Page) -> Page:
        return lists.with_member_counts(self.transport, page)

    # --- a container's page --------------------------------------------------------------

    def read_container(self, container: Container, *, members: bool = True, units: bool = False,
                       access: bool = False, top: int = PAGE_SIZE) -> ContainerRead:
        """What a container's page needs, in one $batch of GETs: the container's facts and, as asked,
        the first page of its members and their count, the units holding a group (they decide a
        unit-scoped admin's reach), and the signed-in user's standing (``my_access``)."""
        base = paths.container_path(container, self.base_url)
        members_path = paths.members_path(container, self.base_url)
        asked = {"container": odata.with_query(base, {"$select": CONTAINER_FIELDS[container.kind]}, encoded=False)}
        headers = {}
        if members and container.kind is Kind.ROLES:
            asked["members"] = roles.members_url(container, self.base_url)
        elif members:
            asked["members"] = odata.with_query(members_path, odata.by_name({"$select": MEMBER_FIELDS, "$top": str(top)}))
            headers["members"] = EVENTUAL
        if units and container.kind is Kind.GROUPS and not container.by_template:
            asked["units"] = odata.with_query(paths.units_holding_path(container, self.base_url),
                                              odata.advanced({"$select": "id"}), encoded=False)
            headers["units"] = EVENTUAL
        if access:
            asked.update({f"access-{name}": path for name, path in ACCESS_PATHS.items()})
            headers.update({f"access-{name}": EVENTUAL for name in ACCESS_EVENTUAL})
        answers = self.batch_get(asked, headers_for=headers)
        read = ContainerRead(access=access_from({n: answers[f"access-{n}"] for n in ACCESS_PATHS}) if access else None)
        if isinstance(answers["container"], GraphError):
            return replace(read, error=answers["container"])
        read = replace(read, info=ContainerInfo.from_graph(container.kind, answers["container"]))
        if members:
            if isinstance(answers["members"], GraphError):
                read = replace(read, members_error=answers["members"])
            elif container.kind is Kind.ROLES:  # counted here: all of a role's members are in the one read
                page = roles.page_of(answers["members"])
                read = replace(read, members=page, member_count=page.count)
            else:  # the page carries the count (it is an advanced query)
                page = odata.page_of(answers["members"], DirectoryItem.from_graph)
                read = replace(read, members=page, member_count=odata.count_of(answers["members"]))
        if "units" in asked and not isinstance(answers["units"], GraphError):
            read = replace(read, group_units=frozenset(item["id"] for item in answers["units"].get("value", [])))
        return read

    def list_members(self, container: Container, *, search: str = "", top: int = PAGE_SIZE, descending: bool = False) -> Page:
        """The first page of a container's members in name order (never the whole of a large group;
        a role's all, sorted here: a role's member list takes no ``$orderby``)."""
        if container.kind is Kind.ROLES:
            page = roles.all_members(self.transport, container)
            page = roles.searched(page, search) if search else page
            return replace(page, items=page.items[::-1]) if descending else page
        params = odata.by_name({"$select": MEMBER_FIELDS, "$top": str(top)}, descending=descending)
        if search:
            params["$search"] = odata.search_clause(search, ["displayName", "userPrincipalName", "mail"])
        return self._page(paths.members_path(container, self.base_url), params, EVENTUAL)

    def next_page(self, next_link: str, parse: Callable[[dict], object], *, eventual: bool = False) -> Page:
        return self.transport.next_page(next_link, parse, eventual=eventual)

    def next_members_of_type(self, next_link: str, member_type: str) -> Page:
        """The next page of a cast list of members (an advanced query, as its first page was)."""
        return self.transport.next_page(next_link, _of_type(_member_type(member_type)), eventual=True)

    def count_members(self, container: Container) -> int | None:
        """The member count (``/members/$count`` needs ConsistencyLevel: eventual); None if it can't be read."""
        try:
            if container.kind is Kind.ROLES:  # the number of its members in the one documented read
                return roles.all_members(self.transport, container, "id").count
            url = self.transport.url(paths.members_path(container, self.base_url) + "/$count")
            response = self.transport.request("GET", url, headers=EVENTUAL)
        except GraphError as error:
            # The count is a detail of the page: refused, unsupported, busy or lost, the page still shows.
            log.info("member count not read: %s %s", error.status, error.code)
            return None
        try:
            return int(response.text.strip())
        except ValueError:
            return None

    def member_pages(self, container: Container, *, top: int = odata.LARGEST_PAGE) -> Iterator[Page]:
        """Every member, page by page (``$top=999``, then ``@odata.nextLink``): one page in memory at a
        time, however large the container. Each page is read when the caller asks for it."""
        if container.kind is Kind.ROLES:
            yield roles.all_members(self.transport, container, odata.EXPORT_FIELDS)
            return
        page = self._page(paths.members_path(container, self.base_url),
                          odata.by_name({"$select": odata.EXPORT_FIELDS, "$top": str(top)}), EVENTUAL)
        yield page
        while page.next_link:
            page = self.next_page(page.next_link, DirectoryItem.from_graph)
            yield page

    def list_members_of_type(self, container: Container, member_type: str, *, top: int = PAGE_SIZE) -> Page:
        """The first page of a container's direct members of one type (an OData cast, which the docs
        want with advanced-query parameters)."""
        member_type = _member_type(member_type)
        if container.kind is Kind.ROLES:
            return roles.of_type(roles.all_members(self.transport, container), member_type)
        path = paths.members_of_type_path(container, member_type, self.base_url)
        body = self.transport.get_json(path, params=odata.by_name({"$select": odata.TYPE_FIELDS[member_type],
                                                                    "$top": str(top)}), headers=EVENTUAL)
        return odata.page_of(body, _of_type(member_type))

    def transitive_page(self, container: Container, *, member_type: str = "", next_link: str | None = None,
                        top: int = PAGE_SIZE) -> tuple[Page, list[ContainerInfo]]:
        """A page of a group's members with the nested groups' members (``transitiveMembers``), and
        the group's nested groups (to tell through which one each member comes), in one $batch."""
        cast = _member_type(member_type) if member_type else None
        if next_link:
            page_item = odata.get(paths.relative(next_link, self.base_url), headers=EVENTUAL)
        else:
            typed = paths.transitive_members_path(container, self.base_url, cast)
            fields = odata.TYPE_FIELDS[cast] if cast else MEMBER_FIELDS
            page_item = odata.get(typed, odata.by_name({"$select": fields, "$top": str(top)}), EVENTUAL)
        groups_item = odata.get(paths.transitive_members_path(container, self.base_url, MemberType.GROUP),
                                odata.by_name({"$select": "id,displayName", "$top": str(odata.LARGEST_PAGE)}), EVENTUAL)
        answers = self.batch_requests({"page": page_item, "groups": groups_item})
        if isinstance(answers["page"], GraphError):
            raise answers["page"]
        groups = answers["groups"]
        nested = [] if isinstance(groups, GraphError) else [ContainerInfo.from_graph(Kind.GROUPS, g)
                                                             for g in groups.get("value", [])]
        return odata.page_of(answers["page"], _of_type(cast) if cast else DirectoryItem.from_graph), nested

    # --- people, and the signed-in user ----------------------------------------------------

    def search_directory(self, text: str, types: Iterable[str], *, top: int = odata.PICKER_SIZE) -> list[DirectoryItem]:
        """People-picker search over users, groups and devices (``$search`` with eventual consistency)."""
        types = [_member_type(t) for t in types]
        asked = {}
        for member_type in types:
            fields, select = PICKER_QUERIES[member_type]
            asked[member_type] = odata.with_query(paths.TYPE_COLLECTIONS[member_type], odata.by_name({
                "$search": odata.search_clause(text, fields), "$select": select, "$top": str(top)}))
        # One $batch for all the types (each item carries ConsistencyLevel: eventual for $search).
        answers = self.batch_get(asked, headers=EVENTUAL)
        found: list[DirectoryItem] = []
        for member_type in types:
            answer = answers[member_type]
            if isinstance(answer, GraphError):
                raise answer
            for item in answer.get("value", []):
                item.setdefault("@odata.type", f"#{member_type.cast}")
                found.append(DirectoryItem.from_graph(item))
        return found

    def my_owned_groups(self) -> list[ContainerInfo]:
        """The groups the signed-in user owns (owners change members without an admin role)."""
        body = self.transport.get_json(paths.OWNED_GROUPS, params=odata.by_name({"$select": odata.GROUP_FIELDS}),
                                       headers=EVENTUAL)
        return [ContainerInfo.from_graph(Kind.GROUPS, item) for item in body.get("value", [])]

    def my_access(self) -> MyAccess:
        """Roles (tenant-wide and per unit) and owned groups, in one $batch."""
        answers = self.batch_get(ACCESS_PATHS, headers_for=dict.fromkeys(ACCESS_EVENTUAL, EVENTUAL))
        if isinstance(answers["roles"], GraphError):
            raise answers["roles"]
        return access_from(answers)

    def together(self, *calls):
        """``calls`` at once, as one round trip (``Transport.together``): a change's first writes and
        the read of the names it lacks, say."""
        return self.transport.together(*calls)

    def describe(self, container: Container, member_ids: list[str], *, with_container: bool = True
                 ) -> tuple[ContainerInfo | None, dict[str, DirectoryItem], frozenset[str]]:
        """A container and some directory objects by id, in one $batch (none when nothing is asked).

        Returns the container (None if not asked or not read), the objects found, and the ids Graph
        answered 404 for (the container's own id among them when it no longer exists).
        """
        asked = {}
        if with_container:
            asked["container"] = odata.get(paths.container_path(container, self.base_url),
                                           {"$select": CONTAINER_FIELDS[container.kind]}, encoded=False)
        answers, found, gone = lookups.objects_by_id(self.transport, list(member_ids), asked)
        info = answers.get("container")
        if isinstance(info, GraphError):
            if info.is_not_found:
                gone = gone | {container.id}
            info = None
        elif info is not None:
            info = ContainerInfo.from_graph(container.kind, info)
        return info, found, frozenset(gone)

    def units_with_groups(self, unit_ids: list[str]) -> list[tuple[str, ContainerInfo | None, list[ContainerInfo]]]:
        """Each unit's facts and the groups that are its members, in one $batch: (id, unit, groups)."""
        asked = {}
        for unit in (Container(Kind.UNITS, unit_id) for unit_id in unit_ids):
            asked[f"unit-{unit.id}"] = odata.with_query(paths.container_path(unit, self.base_url),
                                                        {"$select": odata.UNIT_FIELDS}, encoded=False)
            asked[f"groups-{unit.id}"] = odata.with_query(
                paths.members_of_type_path(unit, MemberType.GROUP, self.base_url),
                odata.by_name({"$select": odata.GROUP_FIELDS, "$top": str(PAGE_SIZE)}), encoded=False)
        answers = self.batch_get(asked, headers_for={name: EVENTUAL for name in asked if name.startswith("groups-")})
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
        body = self.transport.get_json(paths.units_holding_path(Container(Kind.GROUPS, group_id), self.base_url),
                                       params=odata.advanced({"$select": "id"}), headers=EVENTUAL)
        return frozenset(item["id"] for item in body.get("value", []))

    # --- $batch reads --------------------------------------------------------------------

    def batch_get(self, asked: dict[str, str], *, headers: dict | None = None,
                  headers_for: dict[str, dict] | None = None) -> dict[str, dict | GraphError]:
        return self.transport.batch_get(asked, headers=headers, headers_for=headers_for)

    def batch_requests(self, items: dict[str, dict]) -> dict[str, dict | GraphError]:
        return self.transport.batch_requests(items)

    # --- bulk look-ups (lookups.py) --------------------------------------------------------

    def resolve_entries(self, addresses: Iterable[str], ids: Iterable[str], *, groups_by_mail: bool = False
                        ) -> dict[str, list[DirectoryItem] | GraphError]:
        return lookups.resolve_entries(self.transport, addresses, ids, groups_by_mail=groups_by_mail)

    def members_among(self, container: Container, member_ids: Iterable[str]) -> dict[str, bool | None]:
        return lookups.members_among(self.transport, container, member_ids)

    def member_lists_readable(self, containers: list[Container]) -> dict[str, bool | None]:
        return lookups.member_lists_readable(self.transport, containers)

    def units_holding(self, group_ids: Iterable[str]) -> dict[str, frozenset[str] | None]:
        return lookups.units_holding(self.transport, group_ids)

    def person_memberships(self, person_id: str) -> tuple[DirectoryItem | None, list[ContainerInfo]]:
        return lookups.person_memberships(self.transport, person_id)

    def nesting(self, container: Container, member_ids: list[str], nested: list[ContainerInfo]) -> dict[str, str | None]:
        return lookups.nesting(self.transport, container, member_ids, nested)

    # --- changes (writes.py): never raise; one Result per member -----------------------------

    def read_membership(self, container: Container, member_ids: list[str]) -> dict[str, bool | None]:
        return writes.read_membership(self.transport, container, member_ids)

    def is_member(self, container: Container, member_id: str) -> bool:
        return writes.is_member(self.transport, container, member_id)

    def remove_member(self, container: Container, member_id: str) -> Result:
        return writes.remove_member(self.transport, container, member_id)

    def add_member(self, container: Container, member_id: str) -> Result:
        return writes.add_member(self.transport, container, member_id)

    def add_members(self, container: Container, member_ids: list[str]) -> list[Result]:
        return writes.add_members(self.transport, container, member_ids)

    def remove_members(self, container: Container, member_ids: list[str]) -> list[Result]:
        return writes.remove_members(self.transport, container, member_ids)

    # --- a group's owners (owners.py): changes never raise ------------------------------------

    def list_owners(self, container: Container) -> Page:
        return owners.list_owners(self.transport, container)

    def read_ownership(self, container: Container, owner_ids: list[str]) -> dict[str, bool | None]:
        return owners.read_ownership(self.transport, container, owner_ids)

    def add_owner(self, container: Container, owner_id: str) -> Result:
        return owners.add_owner(self.transport, container, owner_id)

    def remove_owner(self, container: Container, owner_id: str) -> Result:
        return owners.remove_owner(self.transport, container, owner_id)

    def search_owner_candidates(self, text: str) -> list[DirectoryItem]:
        return owners.search_owner_candidates(self.transport, text)

    def ownerless_groups(self, *, top: int = LIST_PAGE_SIZE) -> Page:
        return owners.ownerless_groups(self.transport, top=top)

    # --- plumbing ------------------------------------------------------------------------

    def _page(self, path: str, params: dict, headers: dict) -> Page:
        return odata.page_of(self.transport.get_json(path, params=params, headers=headers), DirectoryItem.from_graph)


def _member_type(value: str) -> MemberType:
    try:
        return MemberType(value)
    except ValueError:
        raise InvalidId(f"Not a member type: {str(value)[:20]!r}") from None


def _of_type(member_type: MemberType) -> Callable[[dict], DirectoryItem]:
    """Items of a cast list: Graph leaves out the ``@odata.type`` every item of it shares."""
    return lambda item: DirectoryItem.from_graph({"@odata.type": f"#{member_type.cast}", **item})
