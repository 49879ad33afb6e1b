"""From a ``Call`` to its handler, and from a handler's outcome (or ``GraphError``) to a ``Result``.

Graph paths don't fit Django's URL patterns well (``$ref``, ``(roleTemplateId='…')``, casts), and
``$batch`` items need the same dispatch without HTTP, so the routing lives here, as regexes over
the path below the version.
"""

import re
from collections.abc import Callable

from sandbox import authz, knobs
from sandbox.graph import directory, errors, reads, writes
from sandbox.graph.call import Call, Result
from sandbox.models import DirectoryObject, Kind, Link

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
GUID_OR_RAW = r"[^/]+"

COLLECTIONS = {
    "users": (Kind.USER, "users"),
    "groups": (Kind.GROUP, "groups"),
    "devices": (Kind.DEVICE, "devices"),
    "servicePrincipals": (Kind.SERVICE_PRINCIPAL, "servicePrincipals"),  # the owner picker's apps
    "directoryRoles": (Kind.DIRECTORY_ROLE, "directoryRoles"),
    "directory/administrativeUnits": (Kind.ADMINISTRATIVE_UNIT, "directory/administrativeUnits"),
    "administrativeUnits": (Kind.ADMINISTRATIVE_UNIT, "administrativeUnits"),  # beta only
}
CONTAINER_PATHS = [
    (Kind.GROUP, "groups", re.compile(r"^groups/(?P<key>[^/]+)(?P<tail>/.*)?$")),
    (Kind.ADMINISTRATIVE_UNIT, "directory/administrativeUnits",
     re.compile(r"^directory/administrativeUnits/(?P<key>[^/]+)(?P<tail>/.*)?$")),
    (Kind.ADMINISTRATIVE_UNIT, "administrativeUnits", re.compile(r"^administrativeUnits/(?P<key>[^/]+)(?P<tail>/.*)?$")),
    # Both alternate-key syntaxes (GRAPH.md §2): key-in-parentheses and key-as-segment.
    (Kind.DIRECTORY_ROLE, "directoryRoles",
     re.compile(r"^directoryRoles\(roleTemplateId=(?P<q>'?)(?P<template>[^')]*)(?P=q)\)(?P<tail>/.*)?$")),
    (Kind.DIRECTORY_ROLE, "directoryRoles", re.compile(r"^directoryRoles/roleTemplateId=(?P<template>[^/]+)(?P<tail>/.*)?$")),
    (Kind.DIRECTORY_ROLE, "directoryRoles", re.compile(r"^directoryRoles/(?P<key>[^/]+)(?P<tail>/.*)?$")),
]


class SharedActor:
    """The signed-in user of a ``$batch``, worked out once for all its items (a few queries each
    time otherwise), and again after an item changed the user's own memberships."""

    def __init__(self) -> None:
        self.actor: authz.Actor | None = None

    def get(self, call: Call) -> authz.Actor:
        if self.actor is None:
            self.actor = directory.actor_for(call)
        return self.actor

    def written(self, members: set[str] | None) -> None:
        """A write changed these members' links (None: unknown which)."""
        if self.actor is not None and (members is None or members & ({self.actor.id} | self.actor.groups)):
            self.actor = None


def dispatch(call: Call, shared: SharedActor | None = None) -> Result:
    """Answer one Graph request (HTTP or $batch item): throttling, routing, errors as bodies."""
    units = knobs.resource_units(call.method, call.path, call.query)
    try:
        knobs.check_read_throttle(units)
        if call.method in WRITE_METHODS:
            knobs.check_write_throttle()
        result = route(call, shared)()
    except errors.GraphError as error:
        body = errors.error_body(error, call.request_id, call.client_request_id)
        result = Result(status=error.status, body=body, headers=dict(error.headers))
    result.headers.setdefault("x-ms-resource-unit", str(units))
    return result


def route(call: Call, shared: SharedActor | None = None) -> Callable[[], Result]:
    """The handler for the call's method and path, or raise the 400/404/405 Graph would."""
    path = call.path.strip("/")
    if path.startswith("administrativeUnits") and call.version == "v1.0":
        raise errors.segment_not_found("administrativeUnits")  # v1.0 has only directory/administrativeUnits (E8)
    actor = (lambda: shared.get(call)) if shared is not None else _lazy_actor(call)
    if path in COLLECTIONS:
        kind, entity_set = COLLECTIONS[path]
        _only(call, "GET")
        return lambda: reads.list_objects(call, actor(), kind, entity_set)
    simple = _simple_route(call, path, actor)
    if simple is not None:
        return simple
    for kind, entity_set, pattern in CONTAINER_PATHS:
        match = pattern.match(path)
        if match:
            container = _container(kind, match.groupdict())
            return _container_route(call, actor, container, entity_set, match.group("tail") or "")
    raise errors.segment_not_found(path.split("/")[0] or path)


def _lazy_actor(call: Call) -> Callable:
    """Build the actor (a few queries) only when a handler needs it, once per call (or read-only $batch)."""
    cache = call.actor_cache

    def actor():
        if not cache:
            cache.append(directory.actor_for(call))
        return cache[0]

    return actor


def _only(call: Call, *methods: str) -> None:
    if call.method not in methods:
        raise errors.method_not_allowed()


def _simple_route(call: Call, path: str, actor) -> Callable[[], Result] | None:
    """/me…, /users/{id}, /devices/{id}, /directoryObjects/{id}, /directoryObjects/getByIds."""
    if path == "me":
        _only(call, "GET")
        return lambda: reads.me(call, actor())
    match = re.match(r"^me/(memberOf|transitiveMemberOf)(?:/([^/]+))?$", path)
    if match:
        _only(call, "GET")
        transitive = match.group(1) == "transitiveMemberOf"
        return lambda: reads.my_memberships(call, actor(), cast=match.group(2), transitive=transitive)
    if path == "me/scopedRoleMemberOf":
        _only(call, "GET")
        return lambda: reads.my_scoped_roles(call, actor())
    match = re.match(r"^me/ownedObjects(?:/([^/]+))?$", path)
    if match:
        _only(call, "GET")
        return lambda: reads.my_owned_objects(call, actor(), cast=match.group(1))
    match = re.match(r"^users/([^/]+)$", path)
    if match:
        _only(call, "GET")
        return lambda: reads.get_one(call, actor(), directory.get_user(match.group(1)), "users")
    match = re.match(r"^users/([^/]+)/(memberOf|transitiveMemberOf)(?:/([^/]+))?$", path)
    if match:
        _only(call, "GET")
        user = directory.get_user(match.group(1))
        transitive = match.group(2) == "transitiveMemberOf"
        return lambda: reads.memberships(call, actor(), str(user.id), cast=match.group(3), transitive=transitive,
                                         read_resource="user")
    match = re.match(r"^devices/([^/]+)/(memberOf|transitiveMemberOf)(?:/([^/]+))?$", path)
    if match:
        _only(call, "GET")
        device = directory.get_object(match.group(1), Kind.DEVICE)
        transitive = match.group(2) == "transitiveMemberOf"
        return lambda: reads.memberships(call, actor(), str(device.id), cast=match.group(3), transitive=transitive,
                                         read_resource="device")
    match = re.match(r"^devices/([^/]+)$", path)
    if match:
        _only(call, "GET")
        return lambda: reads.get_one(call, actor(), directory.get_object(match.group(1), Kind.DEVICE), "devices")
    if path == "directoryObjects/getByIds":
        _only(call, "POST")
        return lambda: reads.get_by_ids(call, actor())
    match = re.match(r"^directoryObjects/([^/]+)$", path)
    if match:
        _only(call, "GET")
        return lambda: reads.get_directory_object(call, actor(), match.group(1))
    return None


def _container(kind: str, groups: dict) -> DirectoryObject:
    """The addressed group/AU/role: E6 for a malformed id, E3 when unknown (or a role not activated)."""
    if groups.get("template") is not None:
        template_id = directory.parse_id(groups["template"])
        role = directory.live_objects().filter(kind=Kind.DIRECTORY_ROLE, data__roleTemplateId=template_id).first()
        if role is None:
            # A real template of a role that isn't activated: 404 Request_ResourceNotFound (GRAPH.md §11, [U] text).
            raise errors.not_found(template_id)
        return role
    return directory.get_object(groups["key"], kind)


def _container_route(call: Call, actor, container: DirectoryObject, entity_set: str, tail: str) -> Callable[[], Result]:
    """The sub-paths of a group, AU or role."""
    segments = [segment for segment in tail.split("/") if segment]
    method = call.method
    if not segments:
        if method == "PATCH" and container.kind == Kind.GROUP:
            return lambda: writes.patch_group(call, actor(), container)
        _only(call, "GET")
        return lambda: reads.get_one(call, actor(), container, entity_set)
    head, rest = segments[0], segments[1:]
    if head == "members":
        return _members_route(call, actor, container, rest)
    if head == "transitiveMembers" and container.kind == Kind.GROUP:
        _only(call, "GET")
        cast = rest[0] if rest and rest[0].lower().startswith("microsoft.graph.") else None
        tail = rest[1:] if cast else rest
        if tail not in ([], ["$count"], ["$ref"]):
            raise errors.segment_not_found(tail[0])
        return lambda: reads.list_members(call, actor(), container, cast=cast, count_only=tail == ["$count"],
                                          as_ref=tail == ["$ref"], transitive=True)
    if head == "owners" and container.kind == Kind.GROUP:
        return _owners_route(call, actor, container, rest)
    if head in {"memberOf", "transitiveMemberOf"} and container.kind == Kind.GROUP and len(rest) <= 1:
        _only(call, "GET")
        cast, transitive = (rest[0] if rest else None), head == "transitiveMemberOf"
        return lambda: reads.memberships(call, actor(), str(container.id), cast=cast, transitive=transitive,
                                         read_resource="group")
    if head == "scopedRoleMembers" and container.kind == Kind.ADMINISTRATIVE_UNIT and not rest:
        _only(call, "GET")
        unit_set = entity_set
        return lambda: reads.list_scoped_role_members(call, actor(), container, unit_set)
    raise errors.segment_not_found(head)


def _members_route(call: Call, actor, container: DirectoryObject, rest: list[str]) -> Callable[[], Result]:
    """members, members/$ref, members/$count, members/{cast}[/$count|/$ref], members/{id}[/$ref]."""
    method = call.method
    if not rest:
        if method == "POST":
            raise errors.write_on_collection()  # E8: writes need /$ref
        _only(call, "GET")
        return lambda: reads.list_members(call, actor(), container)
    if rest == ["$ref"]:
        if method == "POST":
            return lambda: writes.add_member(call, actor(), container)
        if method in {"PATCH", "PUT"}:
            raise errors.unsupported_on_entity_set()  # E8
        _only(call, "GET")
        return lambda: reads.list_members(call, actor(), container, as_ref=True)
    if rest == ["$count"]:
        _only(call, "GET")
        return lambda: reads.list_members(call, actor(), container, count_only=True)
    if rest[0].lower().startswith("microsoft.graph."):
        cast = rest[0]
        _only(call, "GET")
        if rest[1:] == ["$count"]:
            return lambda: reads.list_members(call, actor(), container, cast=cast, count_only=True)
        if rest[1:] in ([], ["$ref"]):
            return lambda: reads.list_members(call, actor(), container, cast=cast, as_ref=bool(rest[1:]))
        raise errors.segment_not_found(rest[1])
    member_key = rest[0]
    if rest[1:] == ["$ref"]:
        _only(call, "DELETE")
        return lambda: writes.remove_member(call, actor(), container, member_key)
    if rest[1:] == []:
        if method == "DELETE":
            return lambda: writes.delete_member_object(call, actor(), container, member_key)
        _only(call, "GET")
        return lambda: _get_member(call, actor(), container, member_key)
    raise errors.segment_not_found(rest[1])


def _owners_route(call: Call, actor, group: DirectoryObject, rest: list[str]) -> Callable[[], Result]:
    """owners, owners/$ref (GET, POST), owners/{id}/$ref (DELETE) of a group (group-list-owners,
    group-post-owners, group-delete-owners)."""
    method = call.method
    if not rest:
        if method == "POST":
            raise errors.write_on_collection()  # E8: writes need /$ref
        _only(call, "GET")
        return lambda: reads.list_members(call, actor(), group, relation=Link.OWNERS)
    if rest == ["$ref"]:
        if method == "POST":
            return lambda: writes.add_owner(call, actor(), group)
        if method in {"PATCH", "PUT"}:
            raise errors.unsupported_on_entity_set()  # E8
        _only(call, "GET")
        return lambda: reads.list_members(call, actor(), group, as_ref=True, relation=Link.OWNERS)
    if rest[1:] == ["$ref"]:
        _only(call, "DELETE")
        owner_key = rest[0]
        return lambda: writes.remove_owner(call, actor(), group, owner_key)
    if rest[1:] == [] and method == "DELETE":
        # Without /$ref a DELETE addresses the object itself (E9 for members); what Graph does through the
        # owners navigation is not documented: refused, the stricter answer, never a deletion [U].
        raise errors.denied()
    raise errors.segment_not_found(rest[-1])


def _get_member(call: Call, actor, container: DirectoryObject, member_key: str) -> Result:
    """``GET …/members/{id}``: the member, if it is one. Microsoft documents it for administrative
    units only (administrativeunit-get-members; GRAPH.md §12): of a group or a role it is refused,
    a 400 rather than a 404 a client would read as "not a member" [U text]."""
    if container.kind != Kind.ADMINISTRATIVE_UNIT:
        raise errors.unsupported_query("Reading one member through the members navigation is not supported "
                                       "on this resource.")
    member_id = directory.parse_id(member_key)
    reads.require(reads.may_list_members(actor, container))
    lagging = knobs.replica_membership(container.id, member_id)
    if not (directory.is_member(container, member_id) if lagging is None else lagging):
        raise errors.not_found(member_id)
    member = directory.get_object(member_id)
    return reads.get_one(call, actor, member, "directoryObjects")
