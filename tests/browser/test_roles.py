"""Directory roles in headless Chromium: a Privileged Role Administrator adds and removes members (by the
role's object id and on its bookmarkable roleTemplateId page), everyone else is refused inline. Every
change to a role hands out or takes away privileges at once, so each is confirmed first.
"""

import pytest
from playwright.sync_api import Page, expect

from sandbox import authz
from tests.browser.conftest import screenshot, sign_in_as
from tests.browser.steps import (
    ENABLE_EVERYTHING,
    a_user_member,
    assert_done,
    assert_refused,
    audit_trail,
    expect_changes_disabled,
    members_of,
    outcome,
    pick,
    refusal_in_outcomes,
    refusal_in_row,
)

pytestmark = pytest.mark.browser

PICKER = "Find people"
LACKS_PRA = "You don't have the Privileged Role Administrator role"


def confirm_all(page: Page) -> list[str]:
    """Accept every confirmation; the list fills with their messages."""
    messages: list[str] = []
    page.on("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept()))
    return messages


def test_privileged_role_administrator_removes_and_adds_a_role_member(page, tenant):
    role = tenant["roles"][authz.HELPDESK_ADMINISTRATOR]
    member, newcomer = tenant["role_member"], tenant["spare_users"][0]
    before = members_of(role.id)
    sign_in_as(page, "pra@contoso.example", start=f"/roles/{role.id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(role.display_name)
    expect(page.locator("#why-disabled")).to_have_count(0)
    dialogs = confirm_all(page)

    page.get_by_role("button", name=f"Remove {member.display_name}", exact=True).click()
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    pick(page, "Adele", newcomer.display_name, label=PICKER)
    page.get_by_role("button", name="Add selected").click()
    expect(outcome(page, newcomer.display_name)).to_contain_text("Added.")
    expect(page.locator(f"#member-rows > tr#member-{newcomer.id}")).to_be_visible()
    screenshot(page, "role-pra-changed")

    assert dialogs[0] == (f"Remove {member.display_name} from the directory role {role.display_name}? "
                          "This takes away privileges at once.")
    assert dialogs[-1] == (f"Add the picked members to {role.display_name}? "
                           "They gain this directory role's privileges at once.")
    assert members_of(role.id) == (before - {member.id}) | {newcomer.id}
    removed, added = audit_trail()
    assert_done(removed, "pra@contoso.example", "remove", member.id)
    assert_done(added, "pra@contoso.example", "add", newcomer.id)
    assert removed.container_kind == added.container_kind == "roles"


def test_privileged_role_administrator_changes_a_role_from_its_template_id_page(page, tenant):
    template = authz.GLOBAL_READER
    role, newcomer = tenant["roles"][template], tenant["spare_users"][3]
    member = a_user_member(role.id)
    before = members_of(role.id)
    sign_in_as(page, "pra@contoso.example", start=f"/roles/template/{template}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(role.display_name)
    expect(page.get_by_role("link", name="bookmarkable link")).to_have_attribute("href", f"/roles/template/{template}/")
    confirm_all(page)

    page.get_by_role("button", name=f"Remove {member.display_name}", exact=True).click()
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    pick(page, "Lynne", newcomer.display_name, label=PICKER)
    page.get_by_role("button", name="Add selected").click()
    expect(outcome(page, newcomer.display_name)).to_contain_text("Added.")

    assert members_of(role.id) == (before - {str(member.id)}) | {newcomer.id}
    removed, added = audit_trail()
    assert_done(removed, "pra@contoso.example", "remove", member.id)
    assert_done(added, "pra@contoso.example", "add", newcomer.id)
    assert removed.container_id == added.container_id == role.id


def test_groups_administrator_is_refused_on_a_directory_role(page, tenant):
    role = tenant["roles"][authz.HELPDESK_ADMINISTRATOR]
    member, newcomer = tenant["role_member"], tenant["spare_users"][0]
    before = members_of(role.id)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/roles/{role.id}/")
    expect_changes_disabled(page, "You need the Privileged Role Administrator role to change the members of this directory role.",
                            label=PICKER)

    page.evaluate(ENABLE_EVERYTHING)
    confirm_all(page)
    page.get_by_role("button", name=f"Remove {member.display_name}", exact=True).click()
    refused = refusal_in_row(page, member)
    assert "Couldn't remove this member." in refused and LACKS_PRA in refused and "Request id for support" in refused
    pick(page, "Adele", newcomer.display_name, label=PICKER)
    page.get_by_role("button", name="Add selected").click()
    assert LACKS_PRA in refusal_in_outcomes(page, newcomer.display_name)
    screenshot(page, "role-helpdesk-refused")

    assert members_of(role.id) == before
    refused_remove, refused_add = audit_trail()
    assert_refused(refused_remove, "helpdesk@contoso.example", "remove", member.id)
    assert_refused(refused_add, "helpdesk@contoso.example", "add", newcomer.id)


def test_account_without_consented_role_write_scope_is_refused(page, tenant):
    role = tenant["roles"][authz.HELPDESK_ADMINISTRATOR]
    member = tenant["role_member"]
    before = members_of(role.id)
    sign_in_as(page, "noconsent@contoso.example", start=f"/roles/{role.id}/")
    expect_changes_disabled(page, "This app was not granted RoleManagement.ReadWrite.Directory for you", label=PICKER)

    page.evaluate(ENABLE_EVERYTHING)
    confirm_all(page)
    page.get_by_role("button", name=f"Remove {member.display_name}", exact=True).click()
    assert "not granted the RoleManagement.ReadWrite.Directory permission" in refusal_in_row(page, member)

    assert members_of(role.id) == before
    (entry,) = audit_trail()
    assert_refused(entry, "noconsent@contoso.example", "remove", member.id)


def test_searching_the_people_picker_asks_for_no_confirmation(page, tenant):
    role, newcomer = tenant["roles"][authz.HELPDESK_ADMINISTRATOR], tenant["spare_users"][0]
    sign_in_as(page, "pra@contoso.example", start=f"/roles/{role.id}/")
    dialogs = confirm_all(page)

    pick(page, "Adele", newcomer.display_name, label=PICKER)
    expect(page.get_by_role("button", name="Add selected")).to_be_enabled()
    assert dialogs == []
