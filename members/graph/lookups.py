"""Bulk look-ups: what pasted sign-in names, addresses and ids stand for, which of many ids are
members, whose member lists may be read, a person's memberships, and nesting. Each is a few
``$batch`` round trips, whatever the number of entries."""

from collections.abc import Iterable

from members.directory import Container, ContainerInfo, DirectoryItem, Kind, MemberType, ObjectId, object_ids
from members.graph import odata, paths, roles, writes
from members.graph.errors import GraphError
from members.graph.odata import EVENTUAL, IN_FILTER_LIMIT, MEMBER_FIELDS, chunks
from members.graph.transport import Transport


NESTED_GROUPS_CHECKED = 10  # nested groups asked "is it yours?" per page of members (one $batch with 50 members)
MEMBERSHIP_PAGES = 10  # of 999: nobody is in more than 10,000 groups; the loop stays bounded
CONTAINER_TYPES = {"group": Kind.GROUPS, "administrativeUnit": Kind.UNITS, "directoryRole": Kind.ROLES}


def resolve_entries(transport: Transport, addresses: Iterable[str], ids: Iterable[str], *, groups_by_mail: bool = False
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
    ids = object_ids(ids)  # they go into a body, not a path: checked here
    asked: dict[str, dict] = {}
    user_chunks = list(chunks(addresses, odata.ADDRESSES_PER_LOOKUP))
    for n, chunk in enumerate(user_chunks):
        listed = odata.listed(chunk)
        asked[f"users{n}"] = odata.get(paths.TYPE_COLLECTIONS[MemberType.USER], {
            "$filter": f"userPrincipalName in ({listed}) or mail in ({listed})", "$select": odata.PERSON_FIELDS,
            "$top": str(odata.LARGEST_PAGE)})
    id_chunks = list(chunks(ids, odata.GET_BY_IDS_LIMIT))
    for n, chunk in enumerate(id_chunks):
        asked[f"ids{n}"] = odata.post_json(paths.GET_BY_IDS, {"ids": chunk})
    answers = transport.batch_requests(asked) if asked else {}
    found: dict[str, list[DirectoryItem] | GraphError] = {}
    for n, chunk in enumerate(user_chunks):
        found.update(_by_address(answers[f"users{n}"], chunk, MemberType.USER, ("userPrincipalName", "mail")))
    refused: list[str] = []
    for n, chunk in enumerate(id_chunks):
        answer = answers[f"ids{n}"]
        if isinstance(answer, GraphError) and answer.is_permission_denied:
            refused.extend(chunk)  # no Directory.Read.All: read each id on its own
            continue
        by_id = {} if isinstance(answer, GraphError) else {item.get("id"): item for item in answer.get("value", [])}
        for id_ in chunk:
            found[id_] = answer if isinstance(answer, GraphError) else (
                [DirectoryItem.from_graph(by_id[id_])] if id_ in by_id else [])
    unmatched = [a for a in addresses if groups_by_mail and found.get(a) == []]
    found.update(_second_look(transport, unmatched, refused))
    return found


def objects_by_id(transport: Transport, ids: list[str], also: dict[str, dict] | None = None
                  ) -> tuple[dict[str, dict | GraphError], dict[str, DirectoryItem], frozenset[str]]:
    """Directory objects by id, with the reads of ``also``, in one $batch whatever their number:
    ``POST /directoryObjects/getByIds`` takes 1,000 ids an item, so the names of a change of any size
    cost one round trip. Without Directory.Read.All (getByIds refused) each id is read on its own in
    one more round trip. Returns the answers of ``also``, the objects found, and the ids no object has
    (getByIds leaves them out; a read of one answers 404)."""
    ids = object_ids(dict.fromkeys(ids))  # they go into a body, not a path: checked here
    chunked = list(chunks(ids, odata.GET_BY_IDS_LIMIT))
    asked = {**(also or {}), **{f"ids{n}": odata.post_json(paths.GET_BY_IDS, {"ids": chunk}) for n, chunk in enumerate(chunked)}}
    answers = transport.batch_requests(asked) if asked else {}
    found: dict[str, DirectoryItem] = {}
    gone: set[str] = set()
    refused: list[str] = []
    for n, chunk in enumerate(chunked):
        answer = answers[f"ids{n}"]
        if isinstance(answer, GraphError):
            if answer.is_permission_denied:
                refused.extend(chunk)
            continue  # unreadable for now: neither found nor gone
        by_id = {item.get("id"): item for item in answer.get("value", [])}
        for id_ in chunk:
            if id_ in by_id:
                found[id_] = DirectoryItem.from_graph(by_id[id_])
            else:
                gone.add(id_)
    for id_, answer in _second_look(transport, [], refused).items():
        if answer == []:
            gone.add(id_)
        elif not isinstance(answer, GraphError):
            found[id_] = answer[0]
    return {name: answers[name] for name in (also or {})}, found, frozenset(gone)


def _second_look(transport: Transport, addresses: list[str], ids: list[str]
                 ) -> dict[str, list[DirectoryItem] | GraphError]:
    """Addresses as group mail addresses, and ids one by one: one more $batch round trip, if any."""
    asked: dict[str, dict] = {}
    mail_chunks = list(chunks(addresses, IN_FILTER_LIMIT))
    for n, chunk in enumerate(mail_chunks):
        asked[f"groups{n}"] = odata.get(paths.TYPE_COLLECTIONS[MemberType.GROUP],
                                        {"$filter": f"mail in ({odata.listed(chunk)})", "$select": odata.GROUP_HIT_FIELDS})
    for id_ in ids:
        asked[id_] = odata.get(paths.directory_object_path(id_), {"$select": MEMBER_FIELDS})
    answers = transport.batch_requests(asked) if asked else {}
    found: dict[str, list[DirectoryItem] | GraphError] = {}
    for n, chunk in enumerate(mail_chunks):
        found.update(_by_address(answers[f"groups{n}"], chunk, MemberType.GROUP, ("mail",)))
    for id_ in ids:
        answer = answers[id_]
        if isinstance(answer, GraphError):
            found[id_] = [] if answer.is_not_found else answer
        else:
            found[id_] = [DirectoryItem.from_graph(answer)]
    return found


def _by_address(answer: dict | GraphError, addresses: list[str], member_type: MemberType, fields: tuple[str, ...]
                ) -> dict[str, list[DirectoryItem] | GraphError]:
    """Each of ``addresses``: the objects of ``answer`` one of whose ``fields`` is it (or the look-up's error)."""
    if isinstance(answer, GraphError):
        return dict.fromkeys(addresses, answer)
    items = [(item, {(item.get(f) or "").lower() for f in fields}) for item in answer.get("value", [])]
    return {address: [DirectoryItem.from_graph({**item, "@odata.type": f"#{member_type.cast}"})
                      for item, keys in items if address in keys] for address in addresses}


def members_among(transport: Transport, container: Container, member_ids: Iterable[str]) -> dict[str, bool | None]:
    """Which of ``member_ids`` are direct members now (None where it could not be read).

    ``…/members?$filter=id in (…)`` with advanced-query parameters, 15 ids a request, in $batch:
    300 ids a round trip, whatever the container's size; a role's from its one read. A unit that won't
    filter that way (400) is read id by id (``members/{id}`` is documented for units only).
    """
    ids = object_ids(member_ids)  # they go into a filter, not a path: checked here
    if container.kind is Kind.ROLES:  # a role's members take no $filter: its one read tells
        return roles.membership(transport, container, ids)
    state, unsupported = writes.filtered_membership(transport, container, ids)
    if unsupported and container.kind is Kind.UNITS:  # a unit's members/{id} is documented: read those so
        state.update(writes.read_membership(transport, container, unsupported))
    return state


def member_lists_readable(transport: Transport, containers: list[Container]) -> dict[str, bool | None]:
    """Whether the signed-in user may list each container's members (a hidden-membership unit
    answers 403 to others): ``…/members?$top=1&$select=id`` in $batch. None: could not tell."""
    try:
        answers = transport.batch_requests({c.id: odata.get(paths.members_path(c, transport.base_url),
                                                         {"$top": "1", "$select": "id"}) for c in containers}
                                        ) if containers else {}
    except GraphError:  # the batch itself failed: can't tell (the journal then keeps members hidden)
        return {c.id: None for c in containers}
    return {c.id: (None if not answers[c.id].is_permission_denied else False)
            if isinstance(answers[c.id], GraphError) else True for c in containers}


def units_holding(transport: Transport, group_ids: Iterable[str]) -> dict[str, frozenset[str] | None]:
    """The administrative units each group is a direct member of (they decide a unit-scoped admin's
    reach), in one $batch round trip for up to 160 groups; None where a group's read failed."""
    groups = [Container(Kind.GROUPS, group_id) for group_id in dict.fromkeys(group_ids)]
    asked = {group.id: odata.get(paths.units_holding_path(group, transport.base_url),
                                 odata.advanced({"$select": "id"}), EVENTUAL, encoded=False) for group in groups}
    answers = transport.batch_requests(asked) if asked else {}
    return {group_id: None if isinstance(answer, GraphError) else frozenset(item["id"] for item in answer.get("value", []))
            for group_id, answer in answers.items()}


def person_memberships(transport: Transport, person_id: str) -> tuple[DirectoryItem | None, list[ContainerInfo]]:
    """A user, group or device and the groups, units and roles it is a direct member of.

    One $batch: the object, and its ``memberOf`` read as a user's, a group's and a device's (the
    paths of the other types answer 404); further pages follow ``@odata.nextLink``. (None, [])
    when no such object exists; apps and contacts come back with no memberships read.
    """
    asked = {"object": odata.get(paths.directory_object_path(person_id), {"$select": MEMBER_FIELDS})}
    for member_type in paths.TYPE_COLLECTIONS:
        asked[member_type.value] = odata.get(paths.member_of_path(member_type, person_id), odata.by_name(
            {"$select": odata.MEMBERSHIP_FIELDS, "$top": str(odata.LARGEST_PAGE)}), EVENTUAL)
    answers = transport.batch_requests(asked)
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
        page = transport.next_page(link, lambda item: item)
        items.extend(page.items)
        link = page.next_link
    containers = []
    for item in items:
        kind = CONTAINER_TYPES.get(item.get("@odata.type", "").rsplit(".", 1)[-1])
        if kind is not None:
            containers.append(ContainerInfo.from_graph(kind, item))
    return person, containers


def nesting(transport: Transport, container: Container, member_ids: list[str], nested: list[ContainerInfo]
            ) -> dict[str, str | None]:
    """For each member: "" when a direct member of the group, else the id of the nested group it is
    a direct member of (None: not among the first ``NESTED_GROUPS_CHECKED``, or unreadable).
    One $batch of ``members?$filter=id in (…)`` on the group and on each nested group."""
    groups = [container] + [Container(Kind.GROUPS, g.id) for g in nested[:NESTED_GROUPS_CHECKED]]
    ids = [ObjectId(m) for m in member_ids]  # they go into a filter, not a path: checked here
    asked = {}
    for g, group in enumerate(groups):
        for n, chunk in enumerate(chunks(ids, IN_FILTER_LIMIT)):
            asked[f"{g}:{n}"] = odata.get(paths.members_path(group, transport.base_url), odata.id_in(chunk), EVENTUAL)
    answers = transport.batch_requests(asked) if ids else {}
    where: dict[str, str | None] = dict.fromkeys(ids)
    for g, group in reversed(list(enumerate(groups))):  # the group itself last: "direct" wins
        for n, _ in enumerate(chunks(ids, IN_FILTER_LIMIT)):
            answer = answers[f"{g}:{n}"]
            if isinstance(answer, GraphError):
                continue
            for item in answer.get("value", []):
                where[item["id"]] = "" if g == 0 else group.id
    return where
