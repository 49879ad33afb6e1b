"""Who may do what in the sandbox tenant, as Entra decides it (GRAPH.md §2, §8) — pure functions.

A delegated call's effect is the *intersection* of the token's scopes and the signed-in user's
own rights: tenant-wide roles, roles scoped to administrative units (AUs), group ownership. Some
targets are protected whatever the caller holds. Each check returns ``None`` when allowed, else
the ``Refusal`` Graph answers with; the handlers turn it into the catalogue's error body.
"""

from dataclasses import dataclass, field
from enum import Enum

# Real role template ids (Microsoft's built-in roles).
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814"
GROUPS_ADMINISTRATOR = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
USER_ADMINISTRATOR = "fe930be7-5e62-47db-91af-98c3a49a38b1"
HELPDESK_ADMINISTRATOR = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
DIRECTORY_WRITERS = "9360feb5-f418-4baa-8175-e2a00bac4301"
GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
IDENTITY_GOVERNANCE_ADMINISTRATOR = "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e"
INTUNE_ADMINISTRATOR = "3a2c62db-5318-420d-8d74-23affee5d9d5"
EXCHANGE_ADMINISTRATOR = "29232cdf-9323-42fd-ade2-1d097af3e4de"
SHAREPOINT_ADMINISTRATOR = "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"
TEAMS_ADMINISTRATOR = "69091246-20e8-4a56-aa4d-066075b2a7a8"

# Roles holding microsoft.directory/groups/members/update tenant-wide (group-post-members).
GROUP_MEMBER_ROLES = frozenset(
    {GLOBAL_ADMINISTRATOR, GROUPS_ADMINISTRATOR, USER_ADMINISTRATOR, DIRECTORY_WRITERS, IDENTITY_GOVERNANCE_ADMINISTRATOR}
)
M365_GROUP_MEMBER_ROLES = frozenset({EXCHANGE_ADMINISTRATOR, SHAREPOINT_ADMINISTRATOR, TEAMS_ADMINISTRATOR})
SECURITY_GROUP_MEMBER_ROLES = frozenset({INTUNE_ADMINISTRATOR})
# Roles that can be assigned over an AU and include group membership management.
UNIT_SCOPED_GROUP_ROLES = frozenset({GROUPS_ADMINISTRATOR, USER_ADMINISTRATOR})
PRIVILEGED_ROLES = frozenset({PRIVILEGED_ROLE_ADMINISTRATOR, GLOBAL_ADMINISTRATOR})

GROUP_WRITE_SCOPES = frozenset({"GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"})
UNIT_WRITE_SCOPES = frozenset({"AdministrativeUnit.ReadWrite.All"})  # "Higher: not available"
ROLE_WRITE_SCOPES = frozenset({"RoleManagement.ReadWrite.Directory"})  # nothing higher
ROLE_ASSIGNABLE_EXTRA_SCOPES = frozenset({"RoleManagement.ReadWrite.Directory"})
HIDDEN_MEMBERS_SCOPES = frozenset({"Member.Read.Hidden"})
# Roles that read an AU's members in full, hidden membership included: Global Reader ("read all
# properties of administrative units, including members", microsoft.directory/administrativeUnits/
# allProperties/read), Privileged Role Administrator (allProperties/allTasks) and Global
# Administrator [D DC:api-reference/v1.0/includes/rbac-for-apis/rbac-admin-units-apis-read.md].
# Directory Readers reads members through administrativeUnits/members/read, not hidden ones [U].
HIDDEN_MEMBERSHIP_ROLES = frozenset({GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR, GLOBAL_READER})
DIRECTORY_READ = frozenset({"Directory.Read.All", "Directory.ReadWrite.All"})

# Scopes that let a caller read each resource (any one suffices).
READ_SCOPES = {
    "user": frozenset({"User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All"}) | DIRECTORY_READ,
    "group": frozenset({"GroupMember.Read.All", "Group.Read.All", "GroupMember.ReadWrite.All", "Group.ReadWrite.All"})
    | DIRECTORY_READ,
    "device": frozenset({"Device.Read.All", "Device.ReadWrite.All"}) | DIRECTORY_READ,
    "servicePrincipal": frozenset({"Application.Read.All", "Application.ReadWrite.All"}) | DIRECTORY_READ,
    "orgContact": frozenset({"OrgContact.Read.All"}) | DIRECTORY_READ,
    "administrativeUnit": frozenset({"AdministrativeUnit.Read.All", "AdministrativeUnit.ReadWrite.All"}) | DIRECTORY_READ,
    "directoryRole": frozenset({"RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory"}) | DIRECTORY_READ,
    "me": frozenset({"User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All"})
    | DIRECTORY_READ,
    "memberOf": frozenset({"User.Read", "GroupMember.Read.All", "Group.Read.All"}) | DIRECTORY_READ,
    # /me/scopedRoleMemberOf is documented (beta) with Directory.Read.All; RoleManagement.* accepted too [U].
    "scopedRoleMemberOf": frozenset({"RoleManagement.Read.Directory", "RoleManagement.ReadWrite.Directory"})
    | DIRECTORY_READ,
}

# Extra scopes to add a member of these types to a group (group-post-members).
MEMBER_TYPE_SCOPES = {
    "device": frozenset({"Device.Read.All", "Device.ReadWrite.All"}) | DIRECTORY_READ,
    "orgContact": frozenset({"OrgContact.Read.All"}) | DIRECTORY_READ,
    "servicePrincipal": frozenset({"Application.ReadWrite.All", "Directory.ReadWrite.All"}),
}

# Write scopes on the object itself: a DELETE without /$ref deletes the object (GRAPH.md E9).
OBJECT_WRITE_SCOPES = {
    "user": frozenset({"User.ReadWrite.All", "Directory.ReadWrite.All"}),
    "group": frozenset({"Group.ReadWrite.All", "Directory.ReadWrite.All"}),
    "device": frozenset({"Device.ReadWrite.All", "Directory.ReadWrite.All"}),
    "servicePrincipal": frozenset({"Application.ReadWrite.All", "Directory.ReadWrite.All"}),
    "orgContact": frozenset({"OrgContact.ReadWrite.All", "Directory.ReadWrite.All"}),
}

ALLOWED_MEMBER_KINDS = {
    "m365": frozenset({"user"}),
    "security": frozenset({"user", "group", "device", "servicePrincipal", "orgContact"}),
    "administrativeUnit": frozenset({"user", "group", "device"}),
    # Directory role: user, servicePrincipal, role-assignable group [D/U].
    "directoryRole": frozenset({"user", "servicePrincipal", "group"}),
}


class Refusal(Enum):
    """Why Graph refuses; each maps to one catalogue entry."""

    DENIED = "E1"  # 403 Authorization_RequestDenied
    MAIL_ENABLED = "E4"  # 400 mail-enabled security group / distribution list
    SYNCED = "E5"  # 400 on-premises mastered
    MEMBER_TYPE = "type"  # 400 member type not allowed [U text]


@dataclass(frozen=True)
class Actor:
    """The signed-in user as authorization sees them, with the token's scopes."""

    id: str
    scopes: frozenset[str]
    tenant_roles: frozenset[str] = frozenset()  # roleTemplateIds held tenant-wide (directly or via a group)
    unit_roles: dict[str, frozenset[str]] = field(default_factory=dict)  # AU id -> roleTemplateIds scoped to it
    owned_groups: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()  # AUs the user is a member of
    groups: frozenset[str] = frozenset()  # groups the user is a direct member of (roles reach through them)

    def has_scope(self, accepted: frozenset[str]) -> bool:
        return bool(self.scopes & accepted)

    def has_tenant_role(self, accepted: frozenset[str]) -> bool:
        return bool(self.tenant_roles & accepted)

    def has_unit_role(self, unit_ids, accepted: frozenset[str]) -> bool:
        return any(self.unit_roles.get(unit_id, frozenset()) & accepted for unit_id in unit_ids)


@dataclass(frozen=True)
class GroupTarget:
    """What authorization needs to know about a group whose members change."""

    id: str
    group_types: tuple[str, ...] = ()
    mail_enabled: bool = False
    security_enabled: bool = True
    role_assignable: bool = False
    synced: bool = False
    units: frozenset[str] = frozenset()  # AUs containing the group
    restricted_units: frozenset[str] = frozenset()  # those with isMemberManagementRestricted

    @property
    def unified(self) -> bool:
        return "Unified" in self.group_types

    @property
    def dynamic(self) -> bool:
        return "DynamicMembership" in self.group_types

    @property
    def mail_enabled_security_or_distribution(self) -> bool:
        return self.mail_enabled and not self.unified

    @property
    def allowed_member_kinds(self) -> frozenset[str]:
        return ALLOWED_MEMBER_KINDS["m365" if self.unified else "security"]


@dataclass(frozen=True)
class UnitTarget:
    """An administrative unit whose members change."""

    id: str
    dynamic: bool = False
    restricted: bool = False
    hidden: bool = False


def can_read(actor: Actor, resource: str) -> bool:
    """Reads need only a read scope: any member user may read (GRAPH.md §2)."""
    return actor.has_scope(READ_SCOPES[resource])


def can_see_all_properties(actor: Actor, kind: str) -> bool:
    """Without a read scope for a member's type Graph returns only its id and type ("limited information")."""
    return actor.has_scope(READ_SCOPES.get(kind, DIRECTORY_READ))


def can_list_unit_members(actor: Actor, unit: UnitTarget) -> bool:
    """A hidden-membership AU lists its members only when the delegated call has both: the
    Member.Read.Hidden scope, and a user who may see hidden membership, a member of the unit or a
    holder of a role that reads unit members in full (GRAPH.md §2, §8; ``HIDDEN_MEMBERSHIP_ROLES``)."""
    if not can_read(actor, "administrativeUnit"):
        return False
    if not unit.hidden:
        return True
    may_see = unit.id in actor.units or actor.has_tenant_role(HIDDEN_MEMBERSHIP_ROLES)
    return actor.has_scope(HIDDEN_MEMBERS_SCOPES) and may_see


def change_group_members(actor: Actor, group: GroupTarget, member_kind: str | None = None) -> Refusal | None:
    """Add (``member_kind`` given) or remove a member of a group.

    Order of checks [U]: the scope, then the target's kind (dynamic, mail-enabled, synced), then
    role-assignable rules, then the caller's role or ownership, then the member's type. GRAPH.md
    doesn't say which refusal wins when several apply; this order gives the most specific reason.
    """
    if not actor.has_scope(GROUP_WRITE_SCOPES):
        return Refusal.DENIED
    if member_kind in MEMBER_TYPE_SCOPES and not actor.has_scope(MEMBER_TYPE_SCOPES[member_kind]):
        return Refusal.DENIED
    protected = _protected_group(group)
    if protected is not None:
        return protected
    if group.role_assignable:
        # Privileged Role Administrator is the least role here, and it is enough (group-post-members).
        if not _may_manage_role_assignable(actor):
            return Refusal.DENIED
    elif not _holds_group_right(actor, group):
        return Refusal.DENIED
    if member_kind is not None and member_kind not in group.allowed_member_kinds:
        return Refusal.MEMBER_TYPE
    return None


def _protected_group(group: GroupTarget) -> Refusal | None:
    """Groups Graph won't let anyone change by hand."""
    if group.dynamic:
        return Refusal.DENIED  # observed 403 for DynamicMembership groups (GRAPH.md E1)
    if group.mail_enabled_security_or_distribution:
        return Refusal.MAIL_ENABLED
    if group.synced:
        return Refusal.SYNCED
    return None


def _may_manage_role_assignable(actor: Actor) -> bool:
    """Role-assignable groups: + RoleManagement.ReadWrite.Directory and Privileged Role Administrator."""
    return actor.has_scope(ROLE_ASSIGNABLE_EXTRA_SCOPES) and actor.has_tenant_role(PRIVILEGED_ROLES)


def _holds_group_right(actor: Actor, group: GroupTarget) -> bool:
    """A tenant role, ownership, or an AU-scoped role over an AU containing the group.

    A group inside a restricted-management AU can be changed only by admins whose role is scoped
    to that AU; tenant-level admins, even Global Administrator, are refused (GRAPH.md §8). Owners
    are refused there too: the docs list only AU-scoped admins [U].
    """
    if group.restricted_units:
        return actor.has_unit_role(group.restricted_units, UNIT_SCOPED_GROUP_ROLES)
    if actor.has_tenant_role(GROUP_MEMBER_ROLES):
        return True
    if group.unified and actor.has_tenant_role(M365_GROUP_MEMBER_ROLES):
        return True
    if not group.unified and group.security_enabled and actor.has_tenant_role(SECURITY_GROUP_MEMBER_ROLES):
        return True
    if group.id in actor.owned_groups:
        return True
    return actor.has_unit_role(group.units, UNIT_SCOPED_GROUP_ROLES)


def change_unit_members(actor: Actor, unit: UnitTarget, member_kind: str | None = None) -> Refusal | None:
    """Add or remove a member of an AU: AdministrativeUnit.ReadWrite.All and tenant-level PRA (or GA).

    AU-scoped admins can't change the AU's own member list. For a restricted-management AU the
    same rule holds: the restriction protects the *objects in* the AU, and "adding/removing objects
    to/from an RMAU still needs PRA" (GRAPH.md §8) — the documented-closest reading.
    """
    if not actor.has_scope(UNIT_WRITE_SCOPES):
        return Refusal.DENIED
    if unit.dynamic:
        return Refusal.DENIED  # dynamic AU: manual changes refused; exact error unknown, emulated as E1 [U]
    if not actor.has_tenant_role(PRIVILEGED_ROLES):
        return Refusal.DENIED
    if member_kind is not None and member_kind not in ALLOWED_MEMBER_KINDS["administrativeUnit"]:
        return Refusal.MEMBER_TYPE
    return None


def change_role_members(actor: Actor, member_kind: str | None = None, member_role_assignable: bool = True) -> Refusal | None:
    """Add or remove a directory role member: RoleManagement.ReadWrite.Directory and PRA (or GA)."""
    if not actor.has_scope(ROLE_WRITE_SCOPES):
        return Refusal.DENIED
    if not actor.has_tenant_role(PRIVILEGED_ROLES):
        return Refusal.DENIED
    if member_kind is not None and member_kind not in ALLOWED_MEMBER_KINDS["directoryRole"]:
        return Refusal.MEMBER_TYPE
    if member_kind == "group" and not member_role_assignable:
        return Refusal.MEMBER_TYPE  # only role-assignable groups can hold roles [D/U]
    return None


def can_delete_object(actor: Actor, kind: str) -> bool:
    """A DELETE without /$ref deletes the member object itself when the app may write that type (E9)."""
    return actor.has_scope(OBJECT_WRITE_SCOPES.get(kind, frozenset()))


# --- group owners (group-post-owners, group-delete-owners, v1.0) ---------------------------------
# Delegated: Group.ReadWrite.All (least), Directory.ReadWrite.All; GroupMember.ReadWrite.All is not enough.
OWNER_WRITE_SCOPES = frozenset({"Group.ReadWrite.All", "Directory.ReadWrite.All"})
# The pages' role table: Groups Administrator "can modify all types of group owners"; User Administrator and
# Directory Writers "can modify user owners only"; Exchange, SharePoint, Teams and Yammer Administrators owners
# of Microsoft 365 groups only; Intune, Knowledge Administrator, Knowledge Manager and Windows 365 Administrator
# owners of security groups only; and the group's own owners. Global Administrator holds every permission.
# Identity Governance Administrator, which may change members, is not in the owners' table: refused here.
KNOWLEDGE_ADMINISTRATOR = "b5a8dcf3-09d5-43a9-a639-8e29ef291470"
KNOWLEDGE_MANAGER = "744ec460-397e-42ad-a462-8b3f9747a02c"
WINDOWS_365_ADMINISTRATOR = "11451d60-acb2-45eb-a7d6-43d0f0125c13"
YAMMER_ADMINISTRATOR = "810a2642-a034-447f-a5e8-41beaa378541"
ALL_OWNER_ROLES = frozenset({GLOBAL_ADMINISTRATOR, GROUPS_ADMINISTRATOR})
USER_OWNER_ROLES = frozenset({USER_ADMINISTRATOR, DIRECTORY_WRITERS})
M365_OWNER_ROLES = frozenset({EXCHANGE_ADMINISTRATOR, SHAREPOINT_ADMINISTRATOR, TEAMS_ADMINISTRATOR, YAMMER_ADMINISTRATOR})
SECURITY_OWNER_ROLES = frozenset({INTUNE_ADMINISTRATOR, KNOWLEDGE_ADMINISTRATOR, KNOWLEDGE_MANAGER,
                                  WINDOWS_365_ADMINISTRATOR})
# "Add a user or service principal to a Microsoft 365 or security group's owners" (group-post-owners).
OWNER_KINDS = frozenset({"user", "servicePrincipal"})


def change_group_owners(actor: Actor, group: GroupTarget, owner_kind: str) -> Refusal | None:
    """Add or remove an owner (of ``owner_kind``) of a group.

    Owners "are currently not available in Microsoft Graph for groups that were created in Exchange or
    groups that are synchronized from an on-premises environment" (group-list-owners): mail-enabled
    security groups, distribution lists and synced groups are refused with the errors their member
    changes get (the owner texts are undocumented [U]: the same refusal, never a kinder one). A dynamic
    group's rule sets its members, not its owners: its owners change as any group's.
    Role-assignable groups: the members' rule (RoleManagement.ReadWrite.Directory and Privileged Role
    Administrator), which the owners' pages don't state but never loosen [U]. A group in a
    restricted-management unit: only admins scoped to that unit, as for members [U].
    """
    if not actor.has_scope(OWNER_WRITE_SCOPES):
        return Refusal.DENIED
    if group.mail_enabled_security_or_distribution:
        return Refusal.MAIL_ENABLED
    if group.synced:
        return Refusal.SYNCED
    if owner_kind not in OWNER_KINDS:
        return Refusal.MEMBER_TYPE
    if group.role_assignable:
        return None if _may_manage_role_assignable(actor) else Refusal.DENIED
    if group.restricted_units:
        return None if actor.has_unit_role(group.restricted_units, UNIT_SCOPED_GROUP_ROLES) else Refusal.DENIED
    return None if _holds_owner_right(actor, group, owner_kind) else Refusal.DENIED


def _holds_owner_right(actor: Actor, group: GroupTarget, owner_kind: str) -> bool:
    if actor.has_tenant_role(ALL_OWNER_ROLES) or group.id in actor.owned_groups:
        return True
    if owner_kind == "user" and actor.has_tenant_role(USER_OWNER_ROLES):
        return True
    if group.unified and actor.has_tenant_role(M365_OWNER_ROLES):
        return True
    if not group.unified and group.security_enabled and actor.has_tenant_role(SECURITY_OWNER_ROLES):
        return True
    # An AU-scoped Groups Administrator manages the groups in its unit (GRAPH.md §2), owners included;
    # an AU-scoped User Administrator, user owners only (as tenant-wide) [U].
    scoped = UNIT_SCOPED_GROUP_ROLES if owner_kind == "user" else frozenset({GROUPS_ADMINISTRATOR})
    return actor.has_unit_role(group.units, scoped)
