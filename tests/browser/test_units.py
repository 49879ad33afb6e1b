"""Administrative units in headless Chromium: only a tenant-level Privileged Role Administrator changes
a unit's own member list (GRAPH.md §2, §8) — restricted-management units included; everyone else is
refused inline. Each test ends on the sandbox's ``Link`` rows and the audit trail.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in_as
from tests.browser.steps import (
    a_user_member,
    add_anyway,
    add_selected,
    added_meanwhile,
    assert_done,
    assert_nothing_changed,
    assert_removed_then_added,
    audit_trail,
    members_of,
    outcome,
    pick,
    remove,
    remove_and_add,
    remove_anyway,
)

pytestmark = pytest.mark.browser

NEEDS_PRA = "You need the Privileged Role Administrator role to change the members of this administrative unit."
LACKS_PRA = "You don't have the Privileged Role Administrator role"


def test_privileged_role_administrator_removes_a_unit_member_and_adds_a_group(page, tenant):
    unit, printers, paris_helpdesk = tenant["plain_unit"], tenant["seattle_printers_group"], tenant["group_outside_unit"]
    member = a_user_member(unit.id)
    before = members_of(unit.id)
    sign_in_as(page, "pra@contoso.example", start=f"/units/{unit.id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(unit.display_name)
    expect(page.locator("#why-disabled")).to_have_count(0)

    remove(page, member.display_name)
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    pick(page, "Printers", printers.display_name)
    add_selected(page)
    expect(outcome(page, printers.display_name)).to_contain_text("Added.")
    with added_meanwhile(unit.id, paris_helpdesk.id):  # already in the Paris Office unit
        pick(page, "Paris", paris_helpdesk.display_name)
    add_selected(page)
    expect(outcome(page, paris_helpdesk.display_name)).to_contain_text("Already a member.")
    screenshot(page, "unit-pra-changed")

    assert paris_helpdesk.id in before
    assert members_of(unit.id) == (before - {str(member.id)}) | {printers.id}
    removed, added, already = audit_trail()
    assert_done(removed, "pra@contoso.example", "remove", member.id)
    assert_done(added, "pra@contoso.example", "add", printers.id)
    assert (already.action, already.outcome, already.member_id) == ("add", "already", paris_helpdesk.id)
    assert (already.graph_status, already.graph_code) == (400, "Request_BadRequest") and already.request_id


def test_several_members_added_to_a_unit_at_once_are_each_audited_with_a_request_id(page, tenant):
    unit, printers, engineering = tenant["plain_unit"], tenant["seattle_printers_group"], tenant["seattle_engineering_group"]
    sign_in_as(page, "pra@contoso.example", start=f"/units/{unit.id}/")

    pick(page, "Seattle", printers.display_name, engineering.display_name)
    add_selected(page)
    expect(outcome(page, printers.display_name)).to_contain_text("Added.")
    expect(outcome(page, engineering.display_name)).to_contain_text("Added.")

    assert {printers.id, engineering.id} <= members_of(unit.id)
    entries = audit_trail()
    assert sorted(entry.member_id for entry in entries) == sorted([printers.id, engineering.id])
    assert all((entry.action, entry.outcome) == ("add", "done") for entry in entries)
    assert all(entry.request_id for entry in entries)


def test_groups_administrator_is_refused_on_a_units_member_list(page, tenant):
    unit, newcomer = tenant["plain_unit"], tenant["spare_users"][0]
    member, before = a_user_member(unit.id), members_of(unit.id)
    refused = remove_anyway(page, "helpdesk@contoso.example", f"/units/{unit.id}/", member, NEEDS_PRA)
    assert "Couldn't remove this member." in refused and LACKS_PRA in refused and "Request id for support" in refused
    assert LACKS_PRA in add_anyway(page, "Adele", newcomer)
    screenshot(page, "unit-helpdesk-refused")

    assert_nothing_changed(unit.id, before, "helpdesk@contoso.example", ("remove", member.id), ("add", newcomer.id))


def test_privileged_role_administrator_changes_a_restricted_management_units_member_list(page, tenant):
    unit, newcomer = tenant["restricted_unit"], tenant["spare_users"][1]
    member, before = a_user_member(unit.id), members_of(unit.id)
    sign_in_as(page, "pra@contoso.example", start=f"/units/{unit.id}/")
    expect(page.locator(".trait-restricted")).to_have_text("Restricted management")
    remove_and_add(page, member, "Alex", newcomer)

    assert members_of(unit.id) == (before - {str(member.id)}) | {newcomer.id}
    assert_removed_then_added("pra@contoso.example", member.id, newcomer.id)


def test_the_sign_in_page_says_what_the_administrator_may_do_in_the_restricted_unit_and_it_holds(page, tenant):
    unit, newcomer = tenant["restricted_unit"], tenant["spare_users"][2]
    page.goto("/")
    admin = page.locator("li, tr, label").filter(has_text="admin@contoso.example").filter(has_text="Global Administrator").last
    expect(admin).to_contain_text("but those of the groups in the restricted-management Executive Office unit")
    expect(admin).to_contain_text("that unit's own member list it may change")
    sign_in_as(page, "admin@contoso.example", start=f"/units/{unit.id}/")
    member, before = a_user_member(unit.id), members_of(unit.id)
    remove_and_add(page, member, "Megan", newcomer)
    assert members_of(unit.id) == (before - {str(member.id)}) | {newcomer.id}


@pytest.mark.parametrize("kind, upn, reason, told", [
    # A Groups Administrator over Seattle Office manages the groups in it, not who is in it.
    pytest.param("unit_of_unitadmin", "unitadmin@contoso.example", NEEDS_PRA, LACKS_PRA, id="unit-admin-own-unit"),
    pytest.param("restricted_unit", "helpdesk@contoso.example", NEEDS_PRA, LACKS_PRA, id="restricted-unit-groups-admin"),
    pytest.param("dynamic_unit", "pra@contoso.example", "Its members are set by a membership rule.",
                 "Its members are set by a membership rule.", id="dynamic-unit-even-to-pra"),
    pytest.param("plain_unit", "noconsent@contoso.example", "This app was not granted AdministrativeUnit.ReadWrite.All for you",
                 "not granted the AdministrativeUnit.ReadWrite.All permission", id="no-consented-write-scope"),
])
def test_a_removal_from_a_unit_the_account_cannot_change_is_refused(page, tenant, kind, upn, reason, told):
    """The page says why changes are disabled, and Graph refuses the removal a stale page sends."""
    unit = tenant[kind]
    member, before = a_user_member(unit.id), members_of(unit.id)
    assert told in remove_anyway(page, upn, f"/units/{unit.id}/", member, reason)

    assert_nothing_changed(unit.id, before, upn, ("remove", member.id))
