"""Every Graph path the app sends, relative to the version (``/groups/{id}/members``), built from
validated types only (``Container``, ``ObjectId``, ``MemberType``).

Every removal path is built by ``member_ref_path``, which always ends in ``/$ref`` (DESIGN.md
invariant 2): a DELETE on a member *reference* removes a membership; without ``/$ref`` it would
delete the user or group from the tenant.
"""

from members.directory import Container, InvalidId, Kind, MemberType, ObjectId

BATCH = "/$batch"
GET_BY_IDS = "/directoryObjects/getByIds"
OWNED_GROUPS = "/me/ownedObjects/microsoft.graph.group"
MY_ROLES = "/me/transitiveMemberOf/microsoft.graph.directoryRole"
MY_SCOPED_ROLES = "/me/scopedRoleMemberOf"
ACTIVATED_ROLES = "/directoryRoles"
# The signed-in user's standing: tenant-wide roles, unit-scoped roles, owned groups (GRAPH.md §2).
# The casts among them are advanced queries: $count=true here, ConsistencyLevel: eventual (ACCESS_EVENTUAL) sent.
ACCESS_PATHS = {
    "roles": f"{MY_ROLES}?$select=id,roleTemplateId&$count=true",
    "scoped": MY_SCOPED_ROLES,
    "activated": f"{ACTIVATED_ROLES}?$select=id,roleTemplateId",
    "owned": f"{OWNED_GROUPS}?$select=id&$count=true",
}
ACCESS_EVENTUAL = ("roles", "owned")
# Where each searchable type of directory object is listed.
TYPE_COLLECTIONS = {MemberType.USER: "/users", MemberType.GROUP: "/groups", MemberType.DEVICE: "/devices"}


def is_beta(base_url: str) -> bool:
    return base_url.rstrip("/").endswith("/beta")


def collection_path(kind: Kind, base_url: str) -> str:
    """The list path of a kind. AUs live under /directory on v1.0; /administrativeUnits is beta-only."""
    if kind is Kind.UNITS:
        return "/administrativeUnits" if is_beta(base_url) else "/directory/administrativeUnits"
    if kind is Kind.GROUPS:
        return "/groups"
    return "/directoryRoles"


def container_path(container: Container, base_url: str) -> str:
    if container.by_template:
        return f"/directoryRoles(roleTemplateId='{container.id}')"
    return f"{collection_path(container.kind, base_url)}/{container.id}"


def members_path(container: Container, base_url: str) -> str:
    return f"{container_path(container, base_url)}/members"


def member_path(container: Container, member_id: ObjectId, base_url: str) -> str:
    """One member of a container (200 if a direct member, else 404)."""
    return f"{members_path(container, base_url)}/{ObjectId(member_id)}"


def members_of_type_path(container: Container, member_type: MemberType, base_url: str) -> str:
    return f"{members_path(container, base_url)}/{MemberType(member_type).cast}"


def transitive_members_path(container: Container, base_url: str, member_type: MemberType | None = None) -> str:
    path = f"{container_path(container, base_url)}/transitiveMembers"
    return f"{path}/{MemberType(member_type).cast}" if member_type else path


def units_holding_path(container: Container, base_url: str) -> str:
    """The administrative units a group is a member of."""
    return f"{container_path(container, base_url)}/memberOf/microsoft.graph.administrativeUnit"


def members_ref_path(container: Container, base_url: str) -> str:
    """Where a member reference is POSTed (one per call)."""
    return f"{members_path(container, base_url)}/$ref"


def member_ref_path(container: Container, member_id: ObjectId, base_url: str) -> str:
    """The one path a removal may DELETE: the member *reference*, ending in /$ref."""
    path = f"{member_path(container, member_id, base_url)}/$ref"
    assert path.endswith("/$ref")
    return path


def directory_object_path(object_id: ObjectId) -> str:
    return f"/directoryObjects/{ObjectId(object_id)}"


def member_of_path(member_type: MemberType, object_id: ObjectId) -> str:
    """The direct memberships of a user, group or device (read as that type)."""
    return f"{TYPE_COLLECTIONS[MemberType(member_type)]}/{ObjectId(object_id)}/memberOf"


def directory_object_url(base_url: str, member_id: ObjectId) -> str:
    """The ``@odata.id`` of a directory object, as add-member bodies carry it."""
    return f"{base_url.rstrip('/')}{directory_object_path(member_id)}"


def relative(link: str, base_url: str) -> str:
    """A nextLink as a path relative to the version: it must point at the configured Graph service."""
    base = base_url.rstrip("/")
    if not link.startswith(base + "/"):
        raise InvalidId("A next-page link must point at the configured Graph service.")
    return link[len(base):]


# --- a group's owners (group-list-owners, group-post-owners, group-delete-owners) ---------------

def owners_path(container: Container, base_url: str) -> str:
    if container.kind is not Kind.GROUPS or container.by_template:
        raise InvalidId("Only groups have owners here.")
    return f"{container_path(container, base_url)}/owners"


def owners_ref_path(container: Container, base_url: str) -> str:
    """Where an owner reference is POSTed."""
    return f"{owners_path(container, base_url)}/$ref"


def owner_ref_path(container: Container, owner_id: ObjectId, base_url: str) -> str:
    """The one path an owner removal may DELETE: the owner *reference*, ending in /$ref (never the object)."""
    path = f"{owners_path(container, base_url)}/{ObjectId(owner_id)}/$ref"
    assert path.endswith("/$ref")
    return path
