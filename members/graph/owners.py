"""A group's owners: the list, an owner added or removed (``$ref``), the groups that have none.

Like membership changes, an owner change never raises: it ends in one ``Result``. An answer that
was lost is read back from the owner list (a group has at most 100 owners: one read), never resent.
Owners of a group (group-list-owners, v1.0): users and service principals, "limited to 100 owners";
``$select`` and ``$top`` are supported. Writes need Group.ReadWrite.All (or Directory.ReadWrite.All):
GroupMember.ReadWrite.All, enough for members, is not (group-post-owners, group-delete-owners).
"""

from members.directory import Container, DirectoryItem, Kind, ContainerInfo, Outcome, Page
from members.graph import odata, paths
from members.graph.errors import GraphError
from members.graph.odata import EVENTUAL, GROUP_FIELDS
from members.graph.transport import Transport
from members.graph.writes import Result, read_back_result, result_of_error

OWNER_FIELDS = "id,displayName,userPrincipalName,mail,jobTitle,appId,accountEnabled,userType"
OWNER_LIMIT = 100  # "The owners of the group. Limited to 100 owners." (group resource)
# Groups no one owns: the group resource documents owners as supporting "$filter (/$count eq 0, …)", an
# advanced query: ConsistencyLevel: eventual with $count=true (aad-advanced-queries).
OWNERLESS_FILTER = "owners/$count eq 0"


def list_owners(transport: Transport, container: Container) -> Page:
    """All of a group's owners (at most 100: one page), in name order (Graph's order is unspecified)."""
    body = transport.get_json(paths.owners_path(container, transport.base_url),
                              params={"$select": OWNER_FIELDS, "$top": str(OWNER_LIMIT)})
    page = odata.page_of(body, DirectoryItem.from_graph)
    items = list(page.items)
    while page.next_link:  # not expected under 100 owners; followed all the same, never dropped
        page = transport.next_page(page.next_link, DirectoryItem.from_graph)
        items.extend(page.items)
    items.sort(key=lambda item: (item.display_name.casefold(), item.id))
    return Page(items, None, len(items))


def read_ownership(transport: Transport, container: Container, ids: list[str]) -> dict[str, bool | None]:
    """Whether each id owns the group now (None for all when the list can't be read)."""
    try:
        owners = {item.id for item in list_owners(transport, container).items}
    except GraphError:
        return dict.fromkeys(ids)
    return {owner_id: owner_id in owners for owner_id in ids}


def add_owner(transport: Transport, container: Container, owner_id: str) -> Result:
    """POST one owner reference; "already an owner" (400, 'owners') is the outcome ALREADY."""
    body = {"@odata.id": paths.directory_object_url(transport.base_url, owner_id)}
    url = transport.url(paths.owners_ref_path(container, transport.base_url))
    try:
        response = transport.request("POST", url, json=body)
    except GraphError as error:
        if error.is_uncertain:
            return _read_back(transport, container, owner_id, error, want_owner=True)
        return result_of_error(owner_id, error, already=error.is_already_member)
    return Result(owner_id, Outcome.DONE, request_id=response.headers.get("request-id", ""))


def remove_owner(transport: Transport, container: Container, owner_id: str) -> Result:
    """DELETE the owner reference (``/$ref``); "not an owner" (404) is the outcome ALREADY."""
    url = transport.url(paths.owner_ref_path(container, owner_id, transport.base_url))
    try:
        response = transport.request("DELETE", url)
    except GraphError as error:
        if error.is_uncertain or (error.earlier is not None and error.is_not_found):
            return _read_back(transport, container, owner_id, error.earlier or error, want_owner=False)
        return result_of_error(owner_id, error, already=error.is_not_found)
    return Result(owner_id, Outcome.DONE, request_id=response.headers.get("request-id", ""))


def _read_back(transport: Transport, container: Container, owner_id: str, error: GraphError, *,
               want_owner: bool) -> Result:
    return read_back_result(owner_id, read_ownership(transport, container, [owner_id]).get(owner_id), want_owner, error)


def ownerless_groups(transport: Transport, *, top: int = odata.LIST_PAGE_SIZE) -> Page:
    """A page of the groups with no owner, in name order, counted (an advanced query)."""
    params = odata.by_name({"$filter": OWNERLESS_FILTER, "$select": GROUP_FIELDS, "$top": str(top)})
    body = transport.get_json(paths.collection_path(Kind.GROUPS, transport.base_url), params=params, headers=EVENTUAL)
    return odata.page_of(body, lambda item: ContainerInfo.from_graph(Kind.GROUPS, item))


# What can own a group, and how each is searched: "a user or service principal" (group-post-owners).
CANDIDATE_QUERIES = {
    "user": ("/users", ["displayName", "userPrincipalName", "mail"], "id,displayName,userPrincipalName,mail,jobTitle,accountEnabled,userType"),
    "servicePrincipal": ("/servicePrincipals", ["displayName"], "id,displayName,appId,accountEnabled"),
}


def search_owner_candidates(transport: Transport, text: str, *, top: int = odata.PICKER_SIZE) -> list[DirectoryItem]:
    """The owner picker: users and service principals matching ``text`` (``$search``, ConsistencyLevel:
    eventual), in one $batch."""
    asked = {kind: odata.with_query(path, odata.by_name({"$search": odata.search_clause(text, fields),
                                                          "$select": select, "$top": str(top)}))
             for kind, (path, fields, select) in CANDIDATE_QUERIES.items()}
    answers = transport.batch_get(asked, headers=EVENTUAL)
    found: list[DirectoryItem] = []
    for kind in CANDIDATE_QUERIES:
        answer = answers[kind]
        if isinstance(answer, GraphError):
            raise answer
        found.extend(DirectoryItem.from_graph({"@odata.type": f"#microsoft.graph.{kind}", **item})
                     for item in answer.get("value", []))
    return found
