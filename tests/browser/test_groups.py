"""Groups in headless Chromium: who may add and remove members, and what the others are told inline.

Each test ends on the sandbox's own state (its ``Link`` rows) and on the audit trail. When the app
already knows a change can't work, its buttons are disabled and say why; the tests then send the
request anyway (as a stale page would) so that Graph itself refuses.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in_as
from tests.browser.steps import (
    ENABLE_EVERYTHING,
    members_of,
    a_user_member,
    audit_trail,
    remove,
    pick,
    add_selected,
    added_meanwhile,
    outcome,
    expect_changes_disabled,
    refusal_in_row,
    refusal_in_outcomes,
    assert_refused,
    assert_done,
)

pytestmark = pytest.mark.browser

def test_groups_administrator_removes_a_member_and_adds_a_group_and_one_already_there(page, tenant):
    group, leads, paris = tenant["helpdesk_group"], tenant["helpdesk_leads_group"], tenant["group_outside_unit"]
    member = a_user_member(group.id)
    before = members_of(group.id)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    expect(page.get_by_role("button", name=f"Remove {member.display_name}", exact=True)).to_be_enabled()
    expect(page.locator("#why-disabled")).to_have_count(0)

    remove(page, member.display_name)
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")

    with added_meanwhile(group.id, leads.id):
        pick(page, "Helpdesk", leads.display_name, paris.display_name)
    add_selected(page)
    expect(outcome(page, paris.display_name)).to_contain_text("Added.")
    expect(outcome(page, leads.display_name)).to_contain_text("Already a member.")
    expect(page.locator("#add-results").get_by_role("alert")).to_have_count(0)
    screenshot(page, "group-helpdesk-added")

    assert leads.id in before and members_of(group.id) == (before - {str(member.id)}) | {paris.id}
    removed, *added = audit_trail()
    assert_done(removed, "helpdesk@contoso.example", "remove", member.id)
    by_member = {entry.member_id: entry for entry in added}
    assert set(by_member) == {paris.id, leads.id}
    assert_done(by_member[paris.id], "helpdesk@contoso.example", "add", paris.id)
    already = by_member[leads.id]
    assert (already.outcome, already.graph_status, already.graph_code) == ("already", 400, "Request_BadRequest")
    assert already.request_id


def test_unit_scoped_administrator_changes_a_group_inside_their_unit(page, tenant):
    group, newcomer = tenant["group_in_unit"], tenant["spare_users"][0]
    member = a_user_member(group.id)
    sign_in_as(page, "unitadmin@contoso.example", start=f"/groups/{group.id}/")
    expect(page.locator("#why-disabled")).to_have_count(0)

    remove(page, member.display_name)
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    pick(page, "Adele", newcomer.display_name)
    add_selected(page)
    expect(outcome(page, newcomer.display_name)).to_contain_text("Added.")

    assert str(member.id) not in members_of(group.id) and newcomer.id in members_of(group.id)
    removed, added = audit_trail()
    assert_done(removed, "unitadmin@contoso.example", "remove", member.id)
    assert_done(added, "unitadmin@contoso.example", "add", newcomer.id)


def test_added_members_appear_at_the_top_of_the_members_table(page, tenant):
    group, newcomer = tenant["group_in_unit"], tenant["spare_users"][0]
    sign_in_as(page, "unitadmin@contoso.example", start=f"/groups/{group.id}/")

    pick(page, "Adele", newcomer.display_name)
    add_selected(page)
    expect(outcome(page, newcomer.display_name)).to_contain_text("Added.")
    assert newcomer.id in members_of(group.id)
    # htmx swaps out-of-band content in the same step as the outcome: no waiting needed.
    new_row = page.locator("#member-rows tr[id^='member-']").first
    assert new_row.get_attribute("id") == f"member-{newcomer.id}"
    expect(new_row.get_by_role("button", name=f"Remove {newcomer.display_name}", exact=True)).to_be_enabled()
    expect(page.locator("#member-count")).to_have_text(str(len(members_of(group.id))))


def test_unit_scoped_administrator_is_refused_on_a_group_outside_their_unit(page, tenant):
    group, newcomer = tenant["group_outside_unit"], tenant["spare_users"][0]
    member = a_user_member(group.id)
    before = members_of(group.id)
    sign_in_as(page, "unitadmin@contoso.example", start=f"/groups/{group.id}/")
    expect_changes_disabled(page, "Your administrator role is scoped to administrative units, and this group is in none of them.")

    page.evaluate(ENABLE_EVERYTHING)
    remove(page, member.display_name)
    refused = refusal_in_row(page, member)
    assert "Couldn't remove this member." in refused and "this group is in none of them" in refused
    assert "Request id for support" in refused
    pick(page, "Adele", newcomer.display_name)
    add_selected(page)
    assert "this group is in none of them" in refusal_in_outcomes(page, newcomer.display_name)
    screenshot(page, "group-outside-unit-refused")

    assert members_of(group.id) == before
    refused_remove, refused_add = audit_trail()
    assert_refused(refused_remove, "unitadmin@contoso.example", "remove", member.id)
    assert_refused(refused_add, "unitadmin@contoso.example", "add", newcomer.id)


def test_group_owner_without_a_role_changes_the_group_they_own(page, tenant):
    group, newcomer = tenant["owned_group"], tenant["spare_users"][2]
    member = a_user_member(group.id)
    sign_in_as(page, "owner@contoso.example", start=f"/groups/{group.id}/")
    expect(page.locator("#why-disabled")).to_have_count(0)

    remove(page, member.display_name)
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    pick(page, "Megan", newcomer.display_name)
    add_selected(page)
    expect(outcome(page, newcomer.display_name)).to_contain_text("Added.")

    assert str(member.id) not in members_of(group.id) and newcomer.id in members_of(group.id)
    removed, added = audit_trail()
    assert_done(removed, "owner@contoso.example", "remove", member.id)
    assert_done(added, "owner@contoso.example", "add", newcomer.id)


def test_groups_administrator_without_consented_write_scope_is_refused(page, tenant):
    group, newcomer = tenant["helpdesk_group"], tenant["spare_users"][0]
    member = a_user_member(group.id)
    before = members_of(group.id)
    sign_in_as(page, "noconsent@contoso.example", start=f"/groups/{group.id}/")
    expect_changes_disabled(page, "This app was not granted GroupMember.ReadWrite.All for you")

    page.evaluate(ENABLE_EVERYTHING)
    remove(page, member.display_name)
    assert "not granted the GroupMember.ReadWrite.All permission" in refusal_in_row(page, member)
    pick(page, "Adele", newcomer.display_name)
    add_selected(page)
    assert "not granted the GroupMember.ReadWrite.All permission" in refusal_in_outcomes(page, newcomer.display_name)

    assert members_of(group.id) == before
    refused_remove, refused_add = audit_trail()
    assert_refused(refused_remove, "noconsent@contoso.example", "remove", member.id)
    assert_refused(refused_add, "noconsent@contoso.example", "add", newcomer.id)


def test_privileged_role_administrator_changes_a_role_assignable_group(page, tenant):
    group, newcomer = tenant["role_assignable_group"], tenant["spare_users"][0]
    member = a_user_member(group.id)
    sign_in_as(page, "pra@contoso.example", start=f"/groups/{group.id}/")
    expect(page.locator(".trait-role_assignable")).to_have_text("Role-assignable")
    expect(page.locator("#why-disabled")).to_have_count(0)

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name=f"Remove {member.display_name}", exact=True).click()
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    pick(page, "Adele", newcomer.display_name)
    page.get_by_role("button", name="Add selected").click()
    expect(outcome(page, newcomer.display_name)).to_contain_text("Added.")
    # Both changes take away or hand out privileges at once: each is confirmed first, and says so.
    assert dialogs[0].startswith(f"Remove {member.display_name} from the group {group.display_name}?")
    assert dialogs[-1].startswith(f"Add the picked members to {group.display_name}?")
    assert all("privileges at once" in message for message in dialogs)

    assert str(member.id) not in members_of(group.id) and newcomer.id in members_of(group.id)
    removed, added = audit_trail()
    assert_done(removed, "pra@contoso.example", "remove", member.id)
    assert_done(added, "pra@contoso.example", "add", newcomer.id)


def test_groups_administrator_is_refused_on_a_role_assignable_group(page, tenant):
    group = tenant["role_assignable_group"]
    member = a_user_member(group.id)
    before = members_of(group.id)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    expect_changes_disabled(page, "only a Privileged Role Administrator may change it")

    page.evaluate(ENABLE_EVERYTHING)
    remove(page, member.display_name)
    refused = refusal_in_row(page, member)
    assert "only a Privileged Role Administrator may change it" in refused and "Ask a Privileged Role Administrator." in refused

    assert members_of(group.id) == before
    (entry,) = audit_trail()
    assert_refused(entry, "helpdesk@contoso.example", "remove", member.id)


def test_dynamic_group_refuses_manual_changes_even_to_a_groups_administrator(page, tenant):
    group = tenant["dynamic_group"]
    member = a_user_member(group.id)
    before = members_of(group.id)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    expect(page.locator(".trait-dynamic")).to_have_text("Dynamic")
    expect_changes_disabled(page, "Its members are set by a membership rule.")

    page.evaluate(ENABLE_EVERYTHING)
    remove(page, member.display_name)
    refused = refusal_in_row(page, member)
    assert "Its members are set by a membership rule." in refused and "Change the rule" in refused

    assert members_of(group.id) == before
    (entry,) = audit_trail()
    assert_refused(entry, "helpdesk@contoso.example", "remove", member.id)


def test_distribution_list_refuses_changes_and_points_to_exchange(page, tenant):
    group = tenant["distribution_list"]
    member = a_user_member(group.id)
    before = members_of(group.id)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    expect(page.locator(".trait-distribution")).to_have_text("Distribution list")
    expect_changes_disabled(page, "It is a distribution list, which Graph cannot change: its members are managed in the Exchange admin center.")

    page.evaluate(ENABLE_EVERYTHING)
    remove(page, member.display_name)
    refused = refusal_in_row(page, member)
    assert members_of(group.id) == before
    (entry,) = audit_trail()
    assert_refused(entry, "helpdesk@contoso.example", "remove", member.id, status=400, code="Request_BadRequest")
    assert "It is a distribution list, which Graph cannot change: its members are managed in the Exchange admin center." in refused


def test_group_in_a_restricted_management_unit_refuses_a_tenant_wide_groups_administrator(page, tenant):
    group = tenant["restricted_group"]
    member = a_user_member(group.id)
    before = members_of(group.id)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    expect(page.locator(".trait-restricted")).to_have_text("In a restricted unit")
    expect_changes_disabled(page, "restricted-management administrative unit")

    page.evaluate(ENABLE_EVERYTHING)
    remove(page, member.display_name)
    refused = refusal_in_row(page, member)
    assert "only administrators assigned to that unit may change its members" in refused

    assert members_of(group.id) == before
    (entry,) = audit_trail()
    assert_refused(entry, "helpdesk@contoso.example", "remove", member.id)
