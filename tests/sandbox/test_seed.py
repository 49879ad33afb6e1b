"""The seeded tenant: deterministic, complete, and restored by ``manage.py sandbox reset``."""

import hashlib

from django.core.management import call_command

from sandbox import authz, seed
from sandbox.models import Consent, DemoAccount, DirectoryObject, Link, ScopedRoleMembership
from tests.sandbox.conftest import TEST_SIZES

SIZE_ARGS = ["--users", "60", "--groups", "25", "--big-group", "300"]


def tenant_digest() -> str:
    """A fingerprint of every object, link and scoped role."""
    digest = hashlib.sha256()
    for row in DirectoryObject.objects.order_by("id").values_list("id", "kind", "display_name", "data", "deleted_at"):
        digest.update(repr(row).encode())
    for row in Link.objects.order_by("container_id", "relation", "member_id").values_list("container_id", "relation", "member_id"):
        digest.update(repr(row).encode())
    for row in ScopedRoleMembership.objects.order_by("id").values_list("id", "unit_id", "role_id", "principal_id"):
        digest.update(repr(row).encode())
    return digest.hexdigest()


def test_it_seeds_the_same_tenant_twice(transactional_db):
    seed.seed_tenant(**TEST_SIZES)
    first = tenant_digest()
    seed.seed_tenant(**TEST_SIZES)
    assert tenant_digest() == first


def test_it_seeds_every_well_known_object_under_its_id(sandbox_tenant):
    for key, value in sandbox_tenant.items():
        values = value if isinstance(value, list) else value.values() if isinstance(value, dict) else [value]
        for known in values:
            if isinstance(known, seed.Known):
                assert DirectoryObject.objects.get(id=known.id).display_name == known.display_name, key


def test_it_offers_the_demo_accounts_in_order_with_descriptions(sandbox_tenant):
    upns = [account.user.data["userPrincipalName"] for account in DemoAccount.objects.select_related("user")]
    assert upns == [f"{name}@contoso.example" for name in
                    ("admin", "pra", "helpdesk", "unitadmin", "owner", "user", "noconsent")]
    assert all(account.description for account in DemoAccount.objects.all())
    assert Consent.objects.get(user_id=sandbox_tenant["noconsent"].id).scope_set() == set(seed.READ_ONLY_SCOPES.split())


def test_it_seeds_every_kind_of_group_and_unit(sandbox_tenant):
    data = {key: DirectoryObject.objects.get(id=sandbox_tenant[key].id).data for key in (
        "m365_group", "role_assignable_group", "dynamic_group", "distribution_list", "mail_enabled_security_group",
        "synced_group", "restricted_unit", "dynamic_unit", "hidden_unit")}
    assert data["m365_group"]["groupTypes"] == ["Unified"] and data["m365_group"]["mailEnabled"]
    assert data["role_assignable_group"]["isAssignableToRole"] is True
    assert "DynamicMembership" in data["dynamic_group"]["groupTypes"]
    assert (data["distribution_list"]["mailEnabled"], data["distribution_list"]["securityEnabled"]) == (True, False)
    assert (data["mail_enabled_security_group"]["mailEnabled"], data["mail_enabled_security_group"]["securityEnabled"]) == (True, True)
    assert data["synced_group"]["onPremisesSyncEnabled"] is True
    assert data["restricted_unit"]["isMemberManagementRestricted"] is True
    assert data["dynamic_unit"]["membershipType"] == "Dynamic"
    assert data["hidden_unit"]["visibility"] == "HiddenMembership"
    assert DirectoryObject.objects.filter(kind="administrativeUnit").count() == 15
    assert Link.objects.filter(container_id=sandbox_tenant["unit_of_unitadmin"].id, member__kind="group").count() >= 3


def test_it_keeps_spare_users_out_of_the_well_known_groups(sandbox_tenant):
    spare_ids = {spare.id for spare in sandbox_tenant["spare_users"]}
    assert not Link.objects.filter(member_id__in=spare_ids).exists()


def test_it_activates_real_roles_and_leaves_some_templates_inactive(sandbox_tenant):
    roles = {role.data["roleTemplateId"]: role.display_name for role in DirectoryObject.objects.filter(kind="directoryRole")}
    assert roles[authz.GLOBAL_ADMINISTRATOR] == "Global Administrator"
    assert roles[authz.PRIVILEGED_ROLE_ADMINISTRATOR] == "Privileged Role Administrator"
    assert not set(sandbox_tenant["not_activated_role_templates"]) & set(roles)


def test_it_seeds_the_default_size(transactional_db):
    # How long it takes is bench/'s to measure, not a test's: a wall-clock bound fails on a busy machine.
    seed.seed_tenant()
    assert Link.objects.filter(container_id=seed.WELL_KNOWN["big_group"].id, relation="members").count() == 5000
    assert DirectoryObject.objects.filter(kind="group").count() == 300


def test_reset_restores_the_seeded_state(transactional_db):
    call_command("sandbox", "seed", *SIZE_ARGS)
    seeded = tenant_digest()
    Link.objects.filter(container_id=seed.WELL_KNOWN["helpdesk_group"].id).delete()
    DirectoryObject.objects.filter(id=seed.WELL_KNOWN["spare_users"][0].id).delete()
    assert tenant_digest() != seeded
    call_command("sandbox", "reset", *SIZE_ARGS)
    assert tenant_digest() == seeded


def test_seed_if_empty_leaves_a_seeded_tenant_alone(transactional_db):
    call_command("sandbox", "seed", *SIZE_ARGS)
    Link.objects.filter(container_id=seed.WELL_KNOWN["helpdesk_group"].id).delete()
    changed = tenant_digest()
    call_command("sandbox", "seed", "--if-empty")
    assert tenant_digest() == changed
