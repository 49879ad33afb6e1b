"""Who may change the members of what: Graph's documented rules (GRAPH.md §2, §8), as data.

Used twice: to disable buttons the user can't use when the app already knows (from the
container's traits, the user's roles read once per session, and the granted scopes), and by
``explain`` to name the likely reason when Graph answers 403. Graph stays the judge: when the
app cannot know (say, ownership of a group it has not looked up), the button stays enabled.
"""

from dataclasses import dataclass
from enum import StrEnum

from members.directory import PICKED_TYPES, Action, ContainerInfo, Kind, MemberType, MyAccess, Trait

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"
GROUPS_ADMIN = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
DIRECTORY_WRITERS = "9360feb5-f418-4baa-8175-e2a00bac4301"
IDENTITY_GOVERNANCE_ADMIN = "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e"
EXCHANGE_ADMIN = "29232cdf-9323-42fd-ade2-1d097af3e4de"
SHAREPOINT_ADMIN = "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"
TEAMS_ADMIN = "69091246-20e8-4a56-aa4d-066075b2a7a8"
INTUNE_ADMIN = "3a2c62db-5318-420d-8d74-23affee5d9d5"

ROLE_NAMES = {
    GLOBAL_ADMIN: "Global Administrator",
    PRIVILEGED_ROLE_ADMIN: "Privileged Role Administrator",
    GROUPS_ADMIN: "Groups Administrator",
    USER_ADMIN: "User Administrator",
    DIRECTORY_WRITERS: "Directory Writers",
    IDENTITY_GOVERNANCE_ADMIN: "Identity Governance Administrator",
    EXCHANGE_ADMIN: "Exchange Administrator",
    SHAREPOINT_ADMIN: "SharePoint Administrator",
    TEAMS_ADMIN: "Teams Administrator",
    INTUNE_ADMIN: "Intune Administrator",
}

# Roles whose holders may change any (unprotected) group's members, tenant-wide.
GROUP_MEMBER_ROLES = {GLOBAL_ADMIN, GROUPS_ADMIN, USER_ADMIN, DIRECTORY_WRITERS, IDENTITY_GOVERNANCE_ADMIN}
M365_ONLY_ROLES = {EXCHANGE_ADMIN, SHAREPOINT_ADMIN, TEAMS_ADMIN}
SECURITY_ONLY_ROLES = {INTUNE_ADMIN}
# AU-scoped roles that reach the groups inside the unit.
SCOPED_GROUP_ROLES = {GROUPS_ADMIN, USER_ADMIN}
PRIVILEGED_ROLES = {GLOBAL_ADMIN, PRIVILEGED_ROLE_ADMIN}

# Delegated scopes that allow the write (the first is the least privileged).
WRITE_SCOPES = {
    Kind.GROUPS: ("GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"),
    Kind.UNITS: ("AdministrativeUnit.ReadWrite.All",),
    Kind.ROLES: ("RoleManagement.ReadWrite.Directory",),
}
ROLE_MANAGEMENT_SCOPE = "RoleManagement.ReadWrite.Directory"
# Adding these member types to a group also needs a scope on the member's own type (group-post-members).
GROUP_MEMBER_TYPE_SCOPES = {
    MemberType.DEVICE: ("Device.Read.All", "Device.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    MemberType.ORG_CONTACT: ("OrgContact.Read.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    MemberType.SERVICE_PRINCIPAL: ("Application.ReadWrite.All", "Directory.ReadWrite.All"),
}
MEMBER_TYPE_NAMES = {t: t.noun for t in GROUP_MEMBER_TYPE_SCOPES}


def member_type_scope_missing(action: Action, kind: Kind, member_type: str, scopes: frozenset[str]) -> str:
    """The scope an add of this member type to a group also needs, when the grant lacks it ('' otherwise)."""
    options = GROUP_MEMBER_TYPE_SCOPES.get(member_type)
    if action is not Action.ADD or kind is not Kind.GROUPS or not options or not scopes:
        return ""
    return "" if any(scope in scopes for scope in options) else options[0]


def role_names(access: MyAccess) -> list[str]:
    """The names of the user's tenant-wide roles, for the home page."""
    return sorted(ROLE_NAMES.get(tid, tid) for tid in access.roles)


@dataclass(frozen=True)
class Verdict:
    """Whether a change is expected to work, and if not, why (a key ``explain`` words)."""

    allowed: bool
    reason: "Reason | None" = None
    needed_role: str = ""
    needed_scope: str = ""


class Reason(StrEnum):
    """Why a change is expected to be refused: a trait no role gets past here, a trait only some
    roles get past, or what the user lacks."""

    DYNAMIC = Trait.DYNAMIC.value
    SYNCED = Trait.SYNCED.value
    MAIL_ENABLED_SECURITY = Trait.MAIL_ENABLED_SECURITY.value
    DISTRIBUTION = Trait.DISTRIBUTION.value
    ROLE_ASSIGNABLE = Trait.ROLE_ASSIGNABLE.value
    RESTRICTED = Trait.RESTRICTED.value
    SCOPE_MISSING = "scope_missing"  # the app was not granted the scope the change needs
    OUTSIDE_UNITS = "outside_units"  # a unit-scoped role, and the group is in none of its units
    ROLE_MISSING = "role_missing"  # no role that reaches this container


ALLOWED = Verdict(True)
# Traits no role gets past through Graph: the change must be made elsewhere.
PROTECTED_TRAITS = (Trait.DYNAMIC, Trait.SYNCED, Trait.MAIL_ENABLED_SECURITY, Trait.DISTRIBUTION)


def protected_reason(container: ContainerInfo) -> Reason | None:
    """A trait that no role can get past through Graph (the change must be made elsewhere)."""
    traits = container.traits
    for trait in PROTECTED_TRAITS:
        if trait in traits:
            return Reason(trait)
    return None


def change_verdict(container: ContainerInfo, access: MyAccess, scopes: frozenset[str],
                   group_units: frozenset[str] | None = None) -> Verdict:
    """Can this user add or remove members of ``container``? ``group_units``: AUs the group is in."""
    if reason := protected_reason(container):
        return Verdict(False, reason)
    needed_scope = _needed_scope(container, scopes)
    if needed_scope:
        return Verdict(False, Reason.SCOPE_MISSING, needed_scope=needed_scope)
    if not access.known:
        return ALLOWED
    if container.kind is Kind.GROUPS:
        return _group_verdict(container, access, group_units)
    if container.kind is Kind.UNITS:
        return _unit_verdict(container, access)
    return _privileged_verdict(access, Reason.ROLE_MISSING)


def turns_on_units(container: ContainerInfo, access: MyAccess, scopes: frozenset[str]) -> bool:
    """Whether the verdict on ``container`` depends on the units holding it (a group, judged for a
    unit-scoped admin): only then are they worth reading before its buttons are drawn."""
    if container.kind is not Kind.GROUPS or not access.scoped:
        return False
    return change_verdict(container, access, scopes, None) != change_verdict(container, access, scopes, frozenset())


def _needed_scope(container: ContainerInfo, scopes: frozenset[str]) -> str:
    if not scopes:
        return ""  # unknown grant: let Graph decide
    options = WRITE_SCOPES[container.kind]
    if not any(scope in scopes for scope in options):
        return options[0]
    if Trait.ROLE_ASSIGNABLE in container.traits and ROLE_MANAGEMENT_SCOPE not in scopes:
        return ROLE_MANAGEMENT_SCOPE
    return ""


def _privileged_verdict(access: MyAccess, reason: Reason) -> Verdict:
    if access.roles & PRIVILEGED_ROLES:
        return ALLOWED
    return Verdict(False, reason, needed_role=ROLE_NAMES[PRIVILEGED_ROLE_ADMIN])


def _group_verdict(container: ContainerInfo, access: MyAccess, group_units: frozenset[str] | None) -> Verdict:
    if Trait.ROLE_ASSIGNABLE in container.traits:
        return _privileged_verdict(access, Reason.ROLE_ASSIGNABLE)
    if Trait.RESTRICTED in container.traits:
        return _restricted_group_verdict(access, group_units)
    if access.owned_groups is None or container.id in access.owned_groups or access.roles & GROUP_MEMBER_ROLES:
        return ALLOWED
    traits = container.traits
    if Trait.M365 in traits and access.roles & M365_ONLY_ROLES:
        return ALLOWED
    if Trait.SECURITY in traits and access.roles & SECURITY_ONLY_ROLES:
        return ALLOWED
    if group_units is None and access.scoped:
        return ALLOWED  # the group may be in one of the user's units: Graph will tell
    if group_units and any((unit, role) in access.scoped for unit in group_units for role in SCOPED_GROUP_ROLES):
        return ALLOWED
    if any(role in SCOPED_GROUP_ROLES for _, role in access.scoped):
        return Verdict(False, Reason.OUTSIDE_UNITS, needed_role=ROLE_NAMES[GROUPS_ADMIN])
    return Verdict(False, Reason.ROLE_MISSING, needed_role=ROLE_NAMES[GROUPS_ADMIN])


def _restricted_group_verdict(access: MyAccess, group_units: frozenset[str] | None) -> Verdict:
    """A group in a restricted-management AU: only admins scoped to that unit; tenant roles and owners are refused (GRAPH.md §8)."""
    if group_units is None and access.scoped:
        return ALLOWED  # which units the group is in is not known here: Graph will tell
    if group_units and any((unit, role) in access.scoped for unit in group_units for role in SCOPED_GROUP_ROLES):
        return ALLOWED
    return Verdict(False, Reason.RESTRICTED, needed_role=ROLE_NAMES[GROUPS_ADMIN])


def _unit_verdict(container: ContainerInfo, access: MyAccess) -> Verdict:
    # Adding or removing objects to or from a unit, restricted-management or not, needs a
    # tenant-level Privileged Role Administrator (GRAPH.md §8): unit-scoped roles don't reach it.
    return _privileged_verdict(access, Reason.ROLE_MISSING)


def picker_types(container: ContainerInfo) -> tuple[str, ...]:
    """What the people picker offers for a container: the member types Graph accepts there.

    Microsoft 365 groups take users only; security groups and units users, groups and devices;
    directory roles users (service principals and role-assignable groups are rare there).
    """
    if container.kind is Kind.ROLES or Trait.M365 in container.traits:
        return (MemberType.USER,)
    return PICKED_TYPES


# --- what a container accepts as a member (a pasted list is checked before it is sent) ---

def accepted_member_types(container: ContainerInfo) -> frozenset[str]:
    """The member types Graph accepts in this container (GRAPH.md §2, "Members allowed").

    Units: users, groups, devices. Microsoft 365 groups: users only. Other groups: users, groups,
    devices, service principals, contacts. Directory roles: users, service principals and
    (role-assignable) groups.
    """
    if container.kind is Kind.UNITS:
        return frozenset(PICKED_TYPES)
    if container.kind is Kind.ROLES:
        return frozenset({MemberType.USER, MemberType.SERVICE_PRINCIPAL, MemberType.GROUP})
    if Trait.M365 in container.traits:
        return frozenset({MemberType.USER})
    return frozenset(MemberType)


# --- who may list a hidden-membership unit's members (GRAPH.md §2, §8) ----------------

GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
HIDDEN_SCOPE = "Member.Read.Hidden"
# Besides the unit's own members: the roles that read units' members in full (rbac-admin-units-apis-read).
HIDDEN_MEMBERSHIP_ROLES = (GLOBAL_ADMIN, PRIVILEGED_ROLE_ADMIN, GLOBAL_READER)
HIDDEN_MEMBERSHIP_ROLE_NAMES = ("Global Administrator", "Privileged Role Administrator", "Global Reader")


def hidden_members_missing(access: MyAccess, scopes: frozenset[str]) -> str:
    """What keeps this user from a hidden unit's member list: "scope" (the app lacks
    Member.Read.Hidden), "role" (none of the roles, and not a member: as far as the app knows), or ''."""
    if scopes and HIDDEN_SCOPE not in scopes:
        return "scope"
    if access.known and not set(access.roles) & set(HIDDEN_MEMBERSHIP_ROLES):
        return "role"
    return ""


# --- who may change a group's owners (group-post-owners, group-delete-owners, v1.0) --------------

YAMMER_ADMIN = "810a2642-a034-447f-a5e8-41beaa378541"
KNOWLEDGE_ADMIN = "b5a8dcf3-09d5-43a9-a639-8e29ef291470"
KNOWLEDGE_MANAGER = "744ec460-397e-42ad-a462-8b3f9747a02c"
WINDOWS_365_ADMIN = "11451d60-acb2-45eb-a7d6-43d0f0125c13"
# Delegated scopes that allow an owner write (the first is the least privileged). GroupMember.ReadWrite.All,
# which changes members, does not change owners.
OWNER_WRITE_SCOPES = ("Group.ReadWrite.All", "Directory.ReadWrite.All")
# The pages' role table: all owner types / user owners only / Microsoft 365 groups only / security groups only.
ALL_OWNER_ROLES = {GLOBAL_ADMIN, GROUPS_ADMIN}
USER_OWNER_ROLES = {USER_ADMIN, DIRECTORY_WRITERS}
M365_OWNER_ROLES = {EXCHANGE_ADMIN, SHAREPOINT_ADMIN, TEAMS_ADMIN, YAMMER_ADMIN}
SECURITY_OWNER_ROLES = {INTUNE_ADMIN, KNOWLEDGE_ADMIN, KNOWLEDGE_MANAGER, WINDOWS_365_ADMIN}
# Owners are not available through Graph for groups made in Exchange or synced from on-premises (group-list-owners).
OWNER_PROTECTED_TRAITS = (Trait.SYNCED, Trait.MAIL_ENABLED_SECURITY, Trait.DISTRIBUTION)
# What an owner can be: "a user or service principal" (group-post-owners).
OWNER_TYPES = (MemberType.USER, MemberType.SERVICE_PRINCIPAL)


def owner_verdict(container: ContainerInfo, access: MyAccess, scopes: frozenset[str],
                  group_units: frozenset[str] | None = None, owner_type: str = MemberType.USER) -> Verdict:
    """Can this user add or remove an owner (of ``owner_type``) of the group ``container``?"""
    for trait in OWNER_PROTECTED_TRAITS:
        if trait in container.traits:
            return Verdict(False, Reason(trait))
    if scopes:
        if not any(scope in scopes for scope in OWNER_WRITE_SCOPES):
            return Verdict(False, Reason.SCOPE_MISSING, needed_scope=OWNER_WRITE_SCOPES[0])
        if Trait.ROLE_ASSIGNABLE in container.traits and ROLE_MANAGEMENT_SCOPE not in scopes:
            return Verdict(False, Reason.SCOPE_MISSING, needed_scope=ROLE_MANAGEMENT_SCOPE)
    if not access.known:
        return ALLOWED
    if Trait.ROLE_ASSIGNABLE in container.traits:
        return _privileged_verdict(access, Reason.ROLE_ASSIGNABLE)
    if Trait.RESTRICTED in container.traits:
        return _restricted_group_verdict(access, group_units)
    roles = access.roles
    if access.owned_groups is None or container.id in access.owned_groups or roles & ALL_OWNER_ROLES:
        return ALLOWED
    if owner_type == MemberType.USER and roles & USER_OWNER_ROLES:
        return ALLOWED
    if Trait.M365 in container.traits and roles & M365_OWNER_ROLES:
        return ALLOWED
    if Trait.SECURITY in container.traits and roles & SECURITY_OWNER_ROLES:
        return ALLOWED
    scoped_roles = SCOPED_GROUP_ROLES if owner_type == MemberType.USER else {GROUPS_ADMIN}
    if group_units is None and access.scoped:
        return ALLOWED  # the group may be in one of the user's units: Graph will tell
    if group_units and any((unit, role) in access.scoped for unit in group_units for role in scoped_roles):
        return ALLOWED
    if any(role in scoped_roles for _, role in access.scoped):
        return Verdict(False, Reason.OUTSIDE_UNITS, needed_role=ROLE_NAMES[GROUPS_ADMIN])
    return Verdict(False, Reason.ROLE_MISSING, needed_role=ROLE_NAMES[GROUPS_ADMIN])


def is_last_owner(owner_ids: list[str], owner_id: str) -> bool:
    """Removing ``owner_id`` would leave a group that has owners without any: we never do that
    ("Once owners are assigned to a group, the last owner … cannot be removed", group-delete-owners)."""
    return list(owner_ids) == [owner_id]
