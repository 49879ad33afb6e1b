"""Database access for the Graph handlers: look-ups with Graph's 400/404, the actor, paging."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

from django.db.models import Q, QuerySet

from sandbox import authz, odata
from sandbox.graph import errors
from sandbox.graph.call import Call, Result
from sandbox.models import DirectoryObject, Kind, Link, ScopedRoleMembership

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_id(raw: str) -> str:
    """A path id must be a GUID (E6); returns its canonical form."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise errors.invalid_id(raw) from None


def live_objects() -> QuerySet:
    return DirectoryObject.objects.filter(deleted_at=None)


def get_object(raw_id: str, kind: str | None = None) -> DirectoryObject:
    """The live object with this id (of this kind), else E6 (not a GUID) or E3 (unknown)."""
    object_id = parse_id(raw_id)
    objects = live_objects() if kind is None else live_objects().filter(kind=kind)
    obj = objects.filter(id=object_id).first()
    if obj is None:
        raise errors.not_found(object_id)
    return obj


def get_user(raw: str) -> DirectoryObject:
    """``/users/{id | userPrincipalName}``."""
    if "@" in raw:
        obj = live_objects().filter(kind=Kind.USER, principal_name=raw.lower()).first()
        if obj is None:
            raise errors.not_found(raw)
        return obj
    return get_object(raw, Kind.USER)


def member_links(container: DirectoryObject, relation: str = Link.MEMBERS, kind: str | None = None) -> QuerySet:
    """The container's links to its live members (of one kind, for a cast), their members joined."""
    links = Link.objects.filter(container=container, relation=relation, member__deleted_at=None).select_related("member")
    return links if kind is None else links.filter(member__kind=kind)


def transitive_members_of(group: DirectoryObject) -> QuerySet:
    """A group's members and, through nested groups, theirs (``transitiveMembers``): each once."""
    found: set[str] = set()
    frontier = {str(group.id)}
    while frontier:  # ends: each round adds only objects not seen before
        links = Link.objects.filter(container_id__in=frontier, relation=Link.MEMBERS).values_list("member_id", "member__kind")
        new = {str(member) for member, _ in links} - found - {str(group.id)}
        found |= new
        frontier = {str(member) for member, kind in links if kind == Kind.GROUP and str(member) in new}
    return live_objects().filter(id__in=found)


def containers_of(member_id: str, kind: str | None = None) -> QuerySet:
    objects = live_objects().filter(links__member_id=member_id, links__relation=Link.MEMBERS)
    return objects if kind is None else objects.filter(kind=kind)


def is_member(container: DirectoryObject, member_id: str, relation: str = Link.MEMBERS) -> bool:
    return Link.objects.filter(container=container, member_id=member_id, relation=relation).exists()


def actor_for(call: Call) -> authz.Actor:
    """The signed-in user's roles (direct or via role-assignable groups), scoped roles, groups owned, units."""
    user_id = call.claims.oid
    group_ids = list(Link.objects.filter(member_id=user_id, relation=Link.MEMBERS, container__kind=Kind.GROUP)
                     .values_list("container_id", flat=True))
    role_links = Link.objects.filter(
        member_id__in=[user_id, *group_ids], relation=Link.MEMBERS, container__kind=Kind.DIRECTORY_ROLE,
        container__deleted_at=None,
    )
    tenant_roles = frozenset(link.container.data.get("roleTemplateId") for link in role_links.select_related("container"))
    unit_roles: dict[str, set[str]] = {}
    for scoped in ScopedRoleMembership.objects.filter(principal_id=user_id).select_related("role"):
        unit_roles.setdefault(str(scoped.unit_id), set()).add(scoped.role.data.get("roleTemplateId"))
    owned = Link.objects.filter(member_id=user_id, relation=Link.OWNERS).values_list("container_id", flat=True)
    units = Link.objects.filter(member_id=user_id, relation=Link.MEMBERS,
                                container__kind=Kind.ADMINISTRATIVE_UNIT).values_list("container_id", flat=True)
    return authz.Actor(
        id=user_id,
        scopes=call.claims.scopes,
        tenant_roles=tenant_roles,
        unit_roles={unit: frozenset(roles) for unit, roles in unit_roles.items()},
        owned_groups=frozenset(str(group_id) for group_id in owned),
        units=frozenset(str(unit_id) for unit_id in units),
        groups=frozenset(str(group_id) for group_id in group_ids),
    )


def group_target(group: DirectoryObject) -> authz.GroupTarget:
    units = list(containers_of(str(group.id), Kind.ADMINISTRATIVE_UNIT))
    return authz.GroupTarget(
        id=str(group.id),
        group_types=tuple(group.data.get("groupTypes") or ()),
        mail_enabled=bool(group.data.get("mailEnabled")),
        security_enabled=bool(group.data.get("securityEnabled")),
        role_assignable=bool(group.data.get("isAssignableToRole")),
        synced=bool(group.data.get("onPremisesSyncEnabled")),
        units=frozenset(str(unit.id) for unit in units),
        restricted_units=frozenset(str(unit.id) for unit in units if unit.data.get("isMemberManagementRestricted")),
    )


def unit_target(unit: DirectoryObject) -> authz.UnitTarget:
    return authz.UnitTarget(
        id=str(unit.id),
        dynamic=str(unit.data.get("membershipType") or "").lower() == "dynamic",  # observed casing varies
        restricted=bool(unit.data.get("isMemberManagementRestricted")),
        hidden=unit.data.get("visibility") == "HiddenMembership",
    )


# ---------------------------------------------------------------- paging

def in_order(rows: QuerySet, query: odata.Query, name: str = "display_name", key: str = "id") -> QuerySet:
    """The rows after the page token's, in the list's order: by ``name`` then ``key`` when
    ``$orderby=displayName`` was asked (both backwards for ``desc``), else by ``key`` (Graph's order
    is unspecified; odata.parse_orderby). Keyset paging: stable while the set changes."""
    if not query.by_name:
        rows = rows.order_by(key)
        return rows if query.after is None else rows.filter(**{f"{key}__gt": query.after[1]})
    past = "lt" if query.descending else "gt"
    rows = rows.order_by(*((f"-{name}", f"-{key}") if query.descending else (name, key)))
    if query.after is None:
        return rows
    after_name, after_key = query.after
    return rows.filter(Q(**{f"{name}__{past}": after_name}) | Q(**{name: after_name, f"{key}__{past}": after_key}))


def narrowed(queryset: QuerySet, predicate, prefix: str = "") -> QuerySet:
    """Only the rows a search could match are read (odata.narrowing); the predicate still decides."""
    condition = odata.narrowing(predicate, prefix)
    return queryset if condition is None else queryset.filter(condition)


def select_page(queryset: QuerySet, query: odata.Query) -> tuple[list[DirectoryObject], bool]:
    """The next ``$top`` matching rows and whether more follow."""
    rows = narrowed(in_order(queryset, query), query.predicate)
    if query.predicate is None:
        found = list(rows[: query.top + 1])
    else:
        found = []
        for obj in rows.iterator(chunk_size=500):
            if query.predicate(obj):
                found.append(obj)
                if len(found) > query.top:
                    break
    return found[: query.top], len(found) > query.top


def count_matching(queryset: QuerySet, predicate) -> int:
    if predicate is None:
        return queryset.count()
    return sum(1 for obj in narrowed(queryset, predicate).iterator(chunk_size=500) if predicate(obj))


def select_member_page(links: QuerySet, query: odata.Query) -> tuple[list[DirectoryObject], bool]:
    """A page of members, read in the list's order from the links' indexes (by name through
    ``Link.member_name``, by id through the unique link): about ``$top`` rows whatever the
    container's size (a search still scans its members)."""
    rows = narrowed(in_order(links, query, "member_name", "member_id"), query.predicate, "member__")
    if query.predicate is None:
        found = [link.member for link in rows[: query.top + 1]]
    else:
        found = []
        for link in rows.iterator(chunk_size=500):
            if query.predicate(link.member):
                found.append(link.member)
                if len(found) > query.top:
                    break
    return found[: query.top], len(found) > query.top


def count_members(container: DirectoryObject, relation: str = Link.MEMBERS, kind: str | None = None,
                  predicate=None) -> int:
    """How many live members (of ``kind``, matching ``predicate``). Plain counts come from the
    index alone: every link, less the links to the few deleted objects (found from their side)."""
    if predicate is not None:
        links = narrowed(member_links(container, relation, kind), predicate, "member__")
        return sum(1 for link in links.iterator(chunk_size=500) if predicate(link.member))
    if kind is not None:
        return member_links(container, relation, kind).count()
    every = Link.objects.filter(container=container, relation=relation)
    # A range, not IS NOT NULL: SQLite reads the few deleted objects from the index on deleted_at.
    deleted = DirectoryObject.objects.filter(deleted_at__gt=EPOCH).values("id")
    return every.count() - every.filter(member_id__in=deleted).count()


def next_link(call: Call, last: DirectoryObject) -> str:
    """The same request with a ``$skiptoken`` naming the last row; other options kept."""
    params = [(key, value) for key, value in call.query.items() if key != "$skiptoken"]
    params.append(("$skiptoken", odata.encode_skiptoken(last.display_name, str(last.id))))
    encoded = urlencode(params, safe="$,'():\"*", quote_via=quote)
    return f"{call.url(call.path)}?{encoded}"


def page_result(
    call: Call,
    queryset: QuerySet,
    query: odata.Query,
    context: str,
    render_item: Callable[[DirectoryObject], dict],
    *,
    select: Callable = select_page,
    count: Callable | None = None,
) -> Result:
    """A collection page: context, count, nextLink (before value, as Graph emits it), value.

    ``select(queryset, query)`` picks the page and ``count(predicate)`` counts (defaults: over
    directory objects; member lists pass their own, over the links' index).
    """
    items, more = select(queryset, query)
    body: dict = {"@odata.context": context}
    if query.count:
        body["@odata.count"] = count(query.predicate) if count else count_matching(queryset, query.predicate)
    if more:
        body["@odata.nextLink"] = next_link(call, items[-1])
    body["value"] = [render_item(obj) for obj in items]
    return Result(body=body)
