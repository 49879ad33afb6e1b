"""Graph GETs: /me and its memberships, collections, single objects, member lists, $count."""

import re

from sandbox import authz, knobs, odata
from sandbox.graph import directory, errors, shapes
from sandbox.graph.call import Call, Result
from sandbox.models import DirectoryObject, Kind, Link, ScopedRoleMembership

# OData casts on member lists: segment -> (kind, entity set for @odata.context).
CASTS = {
    "microsoft.graph.user": (Kind.USER, "users"),
    "microsoft.graph.group": (Kind.GROUP, "groups"),
    "microsoft.graph.device": (Kind.DEVICE, "devices"),
    "microsoft.graph.serviceprincipal": (Kind.SERVICE_PRINCIPAL, "servicePrincipals"),
    "microsoft.graph.orgcontact": (Kind.ORG_CONTACT, "contacts"),
    "microsoft.graph.directoryrole": (Kind.DIRECTORY_ROLE, "directoryRoles"),
    "microsoft.graph.administrativeunit": (Kind.ADMINISTRATIVE_UNIT, "administrativeUnits"),
}
RESOURCE_NAMES = {
    Kind.USER: "User", Kind.GROUP: "Group", Kind.DEVICE: "Device", Kind.SERVICE_PRINCIPAL: "ServicePrincipal",
    Kind.ADMINISTRATIVE_UNIT: "AdministrativeUnit", Kind.DIRECTORY_ROLE: "DirectoryRole",
}


def require(allowed: bool) -> None:
    if not allowed:
        raise errors.denied()


def parse_cast(segment: str | None) -> tuple[str, str] | None:
    """``microsoft.graph.user`` -> (kind, entity set); unknown type -> 400 (segment not found)."""
    if segment is None:
        return None
    cast = CASTS.get(segment.lower())
    if cast is None:
        raise errors.segment_not_found(segment)
    return cast


# ---------------------------------------------------------------- collections and objects


def list_objects(call: Call, actor: authz.Actor, kind: str, entity_set: str) -> Result:
    """``GET /users``, ``/groups``, ``/devices``, ``/directory/administrativeUnits``, ``/directoryRoles``."""
    require(authz.can_read(actor, kind))
    query = odata.parse_list_query(call.query, eventual=call.eventual, resource=RESOURCE_NAMES[kind])
    shapes.check_select(query.select, kind)
    context = shapes.context(call.base_url, entity_set, query.select)
    queryset = directory.live_objects().filter(kind=kind)
    return directory.page_result(call, queryset, query, context,
                                 lambda obj: shapes.render(obj, select=query.select, typed=False))


def get_one(call: Call, actor: authz.Actor, obj: DirectoryObject, entity_set: str) -> Result:
    """``GET /groups/{id}`` and friends, with ``$select``."""
    require(authz.can_read(actor, obj.kind))
    select = shapes.parse_select(call.query.get("$select"))
    shapes.check_select(select, obj.kind)
    body = {"@odata.context": shapes.context(call.base_url, entity_set, select, entity=True)}
    body.update(shapes.render(obj, select=select, typed=False))
    return Result(body=body)


def get_directory_object(call: Call, actor: authz.Actor, raw_id: str) -> Result:
    """``GET /directoryObjects/{id}`` (what ``@odata.id`` values point at)."""
    obj = directory.get_object(raw_id)
    require(authz.can_read(actor, obj.kind) or authz.can_read(actor, "user"))
    select = shapes.parse_select(call.query.get("$select"))
    body = {"@odata.context": shapes.context(call.base_url, "directoryObjects", select, entity=True)}
    body.update(shapes.render_for(obj, actor, select=select))
    return Result(body=body)


GET_BY_IDS_LIMIT = 1000
# The types getByIds takes (its "types" parameter names resource collections by type) [D].
GET_BY_IDS_TYPES = {"user": Kind.USER, "group": Kind.GROUP, "device": Kind.DEVICE,
                    "serviceprincipal": Kind.SERVICE_PRINCIPAL, "orgcontact": Kind.ORG_CONTACT,
                    "administrativeunit": Kind.ADMINISTRATIVE_UNIT, "directoryrole": Kind.DIRECTORY_ROLE}


def get_by_ids(call: Call, actor: authz.Actor) -> Result:
    """``POST /directoryObjects/getByIds`` ``{"ids": [...], "types": [...]}``: the objects found, typed.

    Directory.Read.All is the least privileged delegated scope [D directoryobject-getbyids]; up to
    1,000 ids; ids that match nothing are left out (no error). A POST that only reads. Bodies it
    can't use are a 400 (texts [U]).
    """
    require(actor.has_scope(authz.DIRECTORY_READ))
    body = call.body if isinstance(call.body, dict) else {}
    ids, types = body.get("ids"), body.get("types")
    if not isinstance(ids, list) or not all(isinstance(value, str) for value in ids):
        raise errors.GraphError(400, "Request_BadRequest", "The 'ids' parameter is required: a collection of ids.")
    if len(ids) > GET_BY_IDS_LIMIT:
        raise errors.GraphError(400, "Request_BadRequest",
                                f"The number of ids exceeds the limit of {GET_BY_IDS_LIMIT}.")
    kinds = None
    if types is not None:
        if not isinstance(types, list) or any(str(t).lower() not in GET_BY_IDS_TYPES for t in types):
            raise errors.GraphError(400, "Request_BadRequest", "Invalid value in the 'types' parameter.")
        kinds = {GET_BY_IDS_TYPES[str(t).lower()] for t in types}
    wanted = [directory.parse_id(value) for value in ids]  # E6 for an id that isn't a GUID
    found = {str(obj.id): obj for obj in directory.live_objects().filter(id__in=wanted)
             if kinds is None or obj.kind in kinds}
    context = shapes.context(call.base_url, "directoryObjects")
    return Result(body={"@odata.context": context,
                        "value": [shapes.render_for(found[i], actor) for i in dict.fromkeys(wanted) if i in found]})


# ---------------------------------------------------------------- member lists


def may_list_members(actor: authz.Actor, container: DirectoryObject) -> bool:
    if container.kind == Kind.ADMINISTRATIVE_UNIT:
        return authz.can_list_unit_members(actor, directory.unit_target(container))
    return authz.can_read(actor, container.kind)


# What Microsoft documents for a directory role's members: $select, nothing else (directoryrole-list-members;
# $count and $search were dropped from the page, microsoft-graph-docs#22071; the directoryRoles set is
# TopSupported=false in the v1.0 CSDL). GRAPH.md §12.
ROLE_MEMBER_OPTIONS = {"$select"}


def check_role_members_query(call: Call, *, cast: str | None, count_only: bool) -> None:
    """A directory role's members answer ``$select`` alone; any other option, a cast or ``/$count`` is
    ``400 Request_UnsupportedQuery`` (the text as a tenant answers it)."""
    asked = {name for name in call.query if name.startswith("$")}
    if cast or count_only or asked - ROLE_MEMBER_OPTIONS:
        raise errors.unsupported_query("Unsupported Query.")


def check_cast_query(call: Call, parsed_cast: tuple[str, str] | None, *, count_only: bool = False) -> None:
    """An OData cast on a member, memberOf or ownedObjects list: the docs call it an advanced query
    ("This header and $count are required when using $search, $filter, $orderby, or OData cast",
    group-list-members, user-list-memberof), and a ``$select`` on it names the cast type's
    properties only (GRAPH.md §12). What Graph answers a cast without them is not documented: the
    stricter answer, a 400, so the app can't come to rely on a kindness [U text]."""
    if not parsed_cast:
        return
    advanced = call.eventual and (count_only or call.query.get("$count", "").lower() == "true")
    if not advanced:
        raise errors.unsupported_query(f"The type cast to 'microsoft.graph.{parsed_cast[0]}' needs advanced query "
                                       "parameters: the ConsistencyLevel header set to eventual, and $count=true.")
    shapes.check_select(shapes.parse_select(call.query.get("$select")), parsed_cast[0])


def check_cast_allowed(container: DirectoryObject, cast_kind: str) -> None:
    """A cast to a type the container can't contain is a 400 (GRAPH.md §3)."""
    if container.kind == Kind.GROUP:
        allowed = directory.group_target(container).allowed_member_kinds
    elif container.kind == Kind.ADMINISTRATIVE_UNIT:
        allowed = authz.ALLOWED_MEMBER_KINDS["administrativeUnit"]
    else:
        allowed = authz.ALLOWED_MEMBER_KINDS["directoryRole"]
    if cast_kind not in allowed:
        # 400 Request_UnsupportedQuery is documented; the text is [U].
        raise errors.unsupported_query(f"The type cast to 'microsoft.graph.{cast_kind}' is not supported on this collection.")


def list_members(
    call: Call,
    actor: authz.Actor,
    container: DirectoryObject,
    *,
    cast: str | None = None,
    as_ref: bool = False,
    count_only: bool = False,
    relation: str = Link.MEMBERS,
    transitive: bool = False,
) -> Result:
    """``…/members[/cast][/$ref|/$count]`` and ``…/owners`` of a group, AU or role.

    A cast is an advanced query (``check_cast_query``), as are ``$filter``/``$search``; ``/$count``
    needs the header.
    """
    require(may_list_members(actor, container))
    if container.kind == Kind.DIRECTORY_ROLE and relation == Link.MEMBERS:
        check_role_members_query(call, cast=cast, count_only=count_only)
    parsed_cast = parse_cast(cast)
    if parsed_cast and relation == Link.MEMBERS:
        check_cast_allowed(container, parsed_cast[0])
    check_cast_query(call, parsed_cast, count_only=count_only)
    kind = parsed_cast[0] if parsed_cast else None
    if transitive:
        return _transitive_members(call, actor, container, parsed_cast, count_only=count_only)
    if count_only:
        return count_result(call, container, relation, kind)
    links = directory.member_links(container, relation, kind)
    query = odata.parse_list_query(call.query, eventual=call.eventual, resource=_member_resource(parsed_cast),
                                   filter_needs_advanced=True)
    # A page costs the same in a 100-member and a 100,000-member container (directory.select_member_page).
    paging = {"select": directory.select_member_page,
              "count": lambda predicate: directory.count_members(container, relation, kind, predicate)}
    if as_ref:
        context = f"{call.base_url}/$metadata#Collection($ref)"
        return directory.page_result(call, links, query, context, lambda obj: shapes.reference(call.base_url, obj),
                                     **paging)
    entity_set = parsed_cast[1] if parsed_cast else "directoryObjects"
    context = shapes.context(call.base_url, entity_set, query.select)
    result = directory.page_result(call, links, query, context,
                                   lambda obj: shapes.render_for(obj, actor, select=query.select), **paging)
    return _as_a_replica_sees(call, actor, container, query, result)


ID_IN_FILTER = re.compile(r"^\s*id\s+in\s*\((?P<ids>[^)]*)\)\s*$", re.IGNORECASE)


def _as_a_replica_sees(call: Call, actor: authz.Actor, container: DirectoryObject, query, result: Result) -> Result:
    """A members list filtered by ids (what a read-back asks) as a lagging replica answers it
    (``knobs.replica_membership``): a fresh change of one of those memberships is not seen yet."""
    match = ID_IN_FILTER.match(call.query.get("$filter", ""))
    if match is None or not isinstance(result.body, dict):
        return result
    shown = {item.get("id"): item for item in result.body.get("value", [])}
    for member_id in re.findall(r"'([^']*)'", match.group("ids")):
        seen = knobs.replica_membership(container.id, member_id)
        if seen is False:
            shown.pop(member_id, None)
        elif seen and member_id not in shown and directory.live_objects().filter(id=member_id).exists():
            shown[member_id] = shapes.render_for(directory.get_object(member_id), actor, select=query.select)
    body = {**result.body, "value": list(shown.values())}
    if "@odata.count" in body:
        body["@odata.count"] = len(shown)
    return Result(body=body)


def _transitive_members(call: Call, actor: authz.Actor, container: DirectoryObject, parsed_cast, *,
                        count_only: bool) -> Result:
    """``…/transitiveMembers[/cast][/$count]`` (groups): nested groups' members too, each once
    [D group-list-transitivemembers]. Paged over directory objects, not the direct links' index."""
    queryset = directory.transitive_members_of(container)
    check_cast_query(call, parsed_cast, count_only=count_only)
    if parsed_cast:
        queryset = queryset.filter(kind=parsed_cast[0])
    if count_only:
        if not call.eventual:
            raise errors.count_not_supported()
        predicate = odata.parse_search(call.query["$search"]) if call.query.get("$search") else None
        return Result(body=str(directory.count_matching(queryset, predicate)))
    query = odata.parse_list_query(call.query, eventual=call.eventual, resource=_member_resource(parsed_cast),
                                   filter_needs_advanced=True)
    entity_set = parsed_cast[1] if parsed_cast else "directoryObjects"
    context = shapes.context(call.base_url, entity_set, query.select)
    return directory.page_result(call, queryset, query, context,
                                 lambda obj: shapes.render_for(obj, actor, select=query.select))


def _member_resource(cast: tuple[str, str] | None) -> str:
    return RESOURCE_NAMES.get(cast[0], "DirectoryObject") if cast else "DirectoryObject"


def count_result(call: Call, container: DirectoryObject, relation: str, kind: str | None) -> Result:
    """``/$count``: text/plain; needs ``ConsistencyLevel: eventual`` (E12b without)."""
    if not call.eventual:
        raise errors.count_not_supported()
    predicate = None
    if call.query.get("$search"):
        predicate = odata.parse_search(call.query["$search"])
    return Result(body=str(directory.count_members(container, relation, kind, predicate)))


# ---------------------------------------------------------------- AU scoped roles


def scoped_membership(scoped: ScopedRoleMembership) -> dict:
    principal = scoped.principal
    return {
        "id": str(scoped.id),
        "roleId": str(scoped.role_id),
        "administrativeUnitId": str(scoped.unit_id),
        "roleMemberInfo": {
            "id": str(principal.id),
            "displayName": principal.display_name,
            "userPrincipalName": principal.data.get("userPrincipalName"),
        },
    }


def list_scoped_role_members(call: Call, actor: authz.Actor, unit: DirectoryObject, unit_set: str) -> Result:
    """``GET …/administrativeUnits/{id}/scopedRoleMembers``."""
    require(authz.can_read(actor, "directoryRole"))
    rows = ScopedRoleMembership.objects.filter(unit=unit).select_related("principal").order_by("id")
    context = f"{call.base_url}/$metadata#{unit_set}('{unit.id}')/scopedRoleMembers"
    return Result(body={"@odata.context": context, "value": [scoped_membership(row) for row in rows]})


# ---------------------------------------------------------------- /me


def me(call: Call, actor: authz.Actor) -> Result:
    user = directory.get_object(actor.id, Kind.USER)
    require(authz.can_read(actor, "me"))
    select = shapes.parse_select(call.query.get("$select"))
    body = {"@odata.context": shapes.context(call.base_url, "users", select, entity=True)}
    body.update(shapes.render(user, select=select, typed=False))
    return Result(body=body)


def transitive_container_ids(user_id: str) -> set[str]:
    """Groups (through nesting), roles (directly or via groups) and AUs the user is in."""
    found: set[str] = set()
    frontier = {user_id}
    while frontier:
        links = Link.objects.filter(member_id__in=frontier, relation=Link.MEMBERS).values_list("container_id", flat=True)
        new = {str(container_id) for container_id in links} - found
        found |= new
        # Only groups nest: being in a group that is in an AU doesn't put the user in the AU.
        frontier = {str(pk) for pk in DirectoryObject.objects.filter(id__in=new, kind=Kind.GROUP).values_list("id", flat=True)}
    return found


def memberships(
    call: Call,
    actor: authz.Actor,
    subject_id: str,
    *,
    cast: str | None = None,
    transitive: bool = False,
    read_resource: str = "memberOf",
) -> Result:
    """``…/memberOf[/cast]``, ``…/transitiveMemberOf[/cast]`` of me, a user or a group."""
    require(authz.can_read(actor, read_resource))
    parsed_cast = parse_cast(cast)
    if transitive:
        queryset = directory.live_objects().filter(id__in=transitive_container_ids(subject_id))
    else:
        queryset = directory.containers_of(subject_id)
    if subject_id != actor.id:
        queryset = _without_hidden_units(actor, queryset)
    return _typed_page(call, actor, queryset, parsed_cast)


def _without_hidden_units(actor: authz.Actor, queryset):
    """Someone else's memberships leave out the hidden-membership units whose members the caller
    may not list: the membership is what those units hide [U: the docs say it of member lists]."""
    hidden = directory.live_objects().filter(kind=Kind.ADMINISTRATIVE_UNIT, data__visibility="HiddenMembership")
    concealed = [unit.id for unit in hidden if not authz.can_list_unit_members(actor, directory.unit_target(unit))]
    return queryset.exclude(id__in=concealed) if concealed else queryset


def my_memberships(call: Call, actor: authz.Actor, *, cast: str | None = None, transitive: bool = False) -> Result:
    """``/me/memberOf[/cast]``, ``/me/transitiveMemberOf[/cast]``: groups, directoryRoles, AUs."""
    return memberships(call, actor, actor.id, cast=cast, transitive=transitive)


def my_owned_objects(call: Call, actor: authz.Actor, *, cast: str | None = None) -> Result:
    """``/me/ownedObjects[/cast]``: the groups (and other objects) I own."""
    require(authz.can_read(actor, "memberOf"))
    queryset = directory.live_objects().filter(links__member_id=actor.id, links__relation=Link.OWNERS)
    return _typed_page(call, actor, queryset, parse_cast(cast))


def _typed_page(call: Call, actor: authz.Actor, queryset, parsed_cast) -> Result:
    """A page of a polymorphic list, optionally cast to one type."""
    check_cast_query(call, parsed_cast)
    if parsed_cast:
        queryset = queryset.filter(kind=parsed_cast[0])
    query = odata.parse_list_query(call.query, eventual=call.eventual, resource=_member_resource(parsed_cast),
                                   filter_needs_advanced=True)
    entity_set = parsed_cast[1] if parsed_cast else "directoryObjects"
    context = shapes.context(call.base_url, entity_set, query.select)
    return directory.page_result(call, queryset, query, context,
                                 lambda obj: shapes.render_for(obj, actor, select=query.select))


def my_scoped_roles(call: Call, actor: authz.Actor) -> Result:
    """``/me/scopedRoleMemberOf`` (documented on beta, present in v1.0 metadata [U])."""
    require(authz.can_read(actor, "scopedRoleMemberOf"))
    rows = ScopedRoleMembership.objects.filter(principal_id=actor.id).select_related("principal").order_by("id")
    context = f"{call.base_url}/$metadata#users('{actor.id}')/scopedRoleMemberOf"
    return Result(body={"@odata.context": context, "value": [scoped_membership(row) for row in rows]})
