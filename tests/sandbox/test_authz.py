"""The permission rules as pure functions (sandbox.authz), without HTTP or a database."""

from sandbox import authz
from sandbox.authz import Actor, GroupTarget, Refusal, UnitTarget

WRITE = frozenset({"GroupMember.ReadWrite.All"})


def actor(**kwargs) -> Actor:
    return Actor(id="me", scopes=kwargs.pop("scopes", WRITE), **kwargs)


def test_it_needs_scope_and_role_for_group_members():
    group = GroupTarget(id="g")
    assert authz.change_group_members(actor(tenant_roles=frozenset({authz.GROUPS_ADMINISTRATOR})), group) is None
    assert authz.change_group_members(actor(), group) is Refusal.DENIED
    no_scope = actor(scopes=frozenset({"GroupMember.Read.All"}), tenant_roles=frozenset({authz.GLOBAL_ADMINISTRATOR}))
    assert authz.change_group_members(no_scope, group) is Refusal.DENIED


def test_it_limits_service_admins_to_their_kind_of_group():
    exchange = actor(tenant_roles=frozenset({authz.EXCHANGE_ADMINISTRATOR}))
    intune = actor(tenant_roles=frozenset({authz.INTUNE_ADMINISTRATOR}))
    m365, security = GroupTarget(id="m", group_types=("Unified",), mail_enabled=True, security_enabled=False), GroupTarget(id="s")
    assert authz.change_group_members(exchange, m365) is None
    assert authz.change_group_members(exchange, security) is Refusal.DENIED
    assert authz.change_group_members(intune, security) is None
    assert authz.change_group_members(intune, m365) is Refusal.DENIED


def test_it_lets_owners_and_unit_scoped_admins_manage_their_groups():
    owner = actor(owned_groups=frozenset({"g"}))
    scoped = actor(unit_roles={"au": frozenset({authz.GROUPS_ADMINISTRATOR})})
    assert authz.change_group_members(owner, GroupTarget(id="g")) is None
    assert authz.change_group_members(scoped, GroupTarget(id="g", units=frozenset({"au"}))) is None
    assert authz.change_group_members(scoped, GroupTarget(id="g", units=frozenset({"other"}))) is Refusal.DENIED


def test_it_protects_dynamic_mail_enabled_and_synced_groups():
    admin = actor(tenant_roles=frozenset({authz.GLOBAL_ADMINISTRATOR}))
    assert authz.change_group_members(admin, GroupTarget(id="g", group_types=("DynamicMembership",))) is Refusal.DENIED
    assert authz.change_group_members(admin, GroupTarget(id="g", mail_enabled=True)) is Refusal.MAIL_ENABLED
    assert authz.change_group_members(admin, GroupTarget(id="g", mail_enabled=True, security_enabled=False)) is Refusal.MAIL_ENABLED
    assert authz.change_group_members(admin, GroupTarget(id="g", synced=True)) is Refusal.SYNCED


def test_it_needs_role_management_and_pra_for_role_assignable_groups():
    group = GroupTarget(id="g", role_assignable=True)
    pra = frozenset({authz.PRIVILEGED_ROLE_ADMINISTRATOR})
    assert authz.change_group_members(actor(tenant_roles=pra), group) is Refusal.DENIED
    full = WRITE | {"RoleManagement.ReadWrite.Directory"}
    assert authz.change_group_members(actor(scopes=full, tenant_roles=pra), group) is None
    groups_admin = actor(scopes=full, tenant_roles=frozenset({authz.GROUPS_ADMINISTRATOR}))
    assert authz.change_group_members(groups_admin, group) is Refusal.DENIED


def test_it_allows_only_unit_scoped_admins_on_groups_in_a_restricted_unit():
    group = GroupTarget(id="g", units=frozenset({"rm"}), restricted_units=frozenset({"rm"}))
    assert authz.change_group_members(actor(tenant_roles=frozenset({authz.GLOBAL_ADMINISTRATOR})), group) is Refusal.DENIED
    assert authz.change_group_members(actor(owned_groups=frozenset({"g"})), group) is Refusal.DENIED
    assert authz.change_group_members(actor(unit_roles={"rm": frozenset({authz.USER_ADMINISTRATOR})}), group) is None


def test_it_checks_member_types_per_kind_of_group():
    admin = actor(tenant_roles=frozenset({authz.GLOBAL_ADMINISTRATOR}), scopes=WRITE | {"Device.Read.All"})
    m365 = GroupTarget(id="m", group_types=("Unified",), mail_enabled=True, security_enabled=False)
    assert authz.change_group_members(admin, m365, "group") is Refusal.MEMBER_TYPE
    assert authz.change_group_members(admin, GroupTarget(id="s"), "device") is None


def test_it_needs_tenant_pra_and_the_unit_scope_for_unit_members():
    scopes = frozenset({"AdministrativeUnit.ReadWrite.All"})
    pra = actor(scopes=scopes, tenant_roles=frozenset({authz.PRIVILEGED_ROLE_ADMINISTRATOR}))
    assert authz.change_unit_members(pra, UnitTarget(id="au"), "user") is None
    assert authz.change_unit_members(pra, UnitTarget(id="au"), "servicePrincipal") is Refusal.MEMBER_TYPE
    assert authz.change_unit_members(pra, UnitTarget(id="au", dynamic=True)) is Refusal.DENIED
    scoped = actor(scopes=scopes, unit_roles={"au": frozenset({authz.GROUPS_ADMINISTRATOR})})
    assert authz.change_unit_members(scoped, UnitTarget(id="au")) is Refusal.DENIED


def test_it_needs_role_management_scope_and_pra_for_role_members():
    scopes = frozenset({"RoleManagement.ReadWrite.Directory"})
    pra = actor(scopes=scopes, tenant_roles=frozenset({authz.PRIVILEGED_ROLE_ADMINISTRATOR}))
    assert authz.change_role_members(pra, "user") is None
    assert authz.change_role_members(pra, "group", member_role_assignable=False) is Refusal.MEMBER_TYPE
    assert authz.change_role_members(actor(scopes=scopes, tenant_roles=frozenset({authz.GROUPS_ADMINISTRATOR}))) is Refusal.DENIED


def test_it_shows_hidden_unit_members_only_with_the_scope_and_a_user_who_may_see_them():
    hidden = UnitTarget(id="au", hidden=True)
    read = frozenset({"AdministrativeUnit.Read.All"})
    hidden_scope = read | {"Member.Read.Hidden"}
    assert not authz.can_list_unit_members(actor(scopes=read), hidden)
    assert not authz.can_list_unit_members(actor(scopes=hidden_scope), hidden)  # the scope alone: no
    assert not authz.can_list_unit_members(actor(scopes=read, units=frozenset({"au"})), hidden)  # membership alone: no
    assert authz.can_list_unit_members(actor(scopes=hidden_scope, units=frozenset({"au"})), hidden)
    for role in (authz.GLOBAL_ADMINISTRATOR, authz.PRIVILEGED_ROLE_ADMINISTRATOR, authz.GLOBAL_READER):
        assert authz.can_list_unit_members(actor(scopes=hidden_scope, tenant_roles=frozenset({role})), hidden)
    for role in (authz.GROUPS_ADMINISTRATOR, authz.DIRECTORY_READERS, authz.USER_ADMINISTRATOR):
        assert not authz.can_list_unit_members(actor(scopes=hidden_scope, tenant_roles=frozenset({role})), hidden)
    assert authz.can_list_unit_members(actor(scopes=read), UnitTarget(id="open"))
