"""In Chromium: the bulk confirmation says how many and from what; nothing ticked means no question;
"Recent changes here" follows each change without a reload."""

import pytest
from playwright.sync_api import Page, expect

from members.models import AuditEntry
from sandbox import authz
from tests.browser.conftest import sign_in_as
from tests.browser.steps import a_user_member, members_of, remove

pytestmark = pytest.mark.browser


def answer_dialogs(page: Page, accept: bool) -> list[str]:
    """Accept (or dismiss) every confirmation; the list fills with their messages."""
    messages: list[str] = []
    page.on("dialog", lambda dialog: (messages.append(dialog.message), dialog.accept() if accept else dialog.dismiss()))
    return messages


def test_the_bulk_confirmation_counts_the_ticked_members_and_names_the_group(page, tenant):
    group = tenant["big_group"]
    before = members_of(group.id)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    dialogs = answer_dialogs(page, accept=False)
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)

    page.get_by_role("checkbox", name="Select all shown").check()
    page.get_by_role("button", name="Remove selected").click()
    expect(page.get_by_role("button", name="Remove selected")).to_be_enabled()
    page.get_by_role("checkbox", name="Select all shown").uncheck()
    one = page.locator("#member-rows input[name=member]").first
    one.check()
    page.get_by_role("button", name="Remove selected").click()

    name = one.get_attribute("data-name")
    assert dialogs == [f"Remove 50 members from {group.display_name}?", f"Remove {name} from {group.display_name}?"]
    assert posts == [] and members_of(group.id) == before and AuditEntry.objects.count() == 0


def test_nothing_ticked_means_no_question_just_what_to_do(page, tenant):
    group = tenant["helpdesk_group"]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    dialogs = answer_dialogs(page, accept=True)
    page.get_by_role("button", name="Remove selected").click()
    expect(page.locator("#bulk-results")).to_contain_text("Select the members to remove first")
    assert dialogs == [] and AuditEntry.objects.count() == 0


def test_a_directory_roles_bulk_confirmation_warns_of_privileges(page, tenant):
    role = tenant["roles"][authz.HELPDESK_ADMINISTRATOR]
    sign_in_as(page, "pra@contoso.example", start=f"/roles/{role.id}/")
    dialogs = answer_dialogs(page, accept=True)
    page.get_by_role("checkbox", name="Select all shown").check()
    page.get_by_role("button", name="Remove selected").click()
    expect(page.locator("#bulk-results")).to_contain_text("2 of 2 removed.")
    assert dialogs == [f"Remove 2 members from the directory role {role.display_name}? This takes away privileges at once."]
    assert members_of(role.id) == set()


def test_recent_changes_here_follow_a_removal_without_a_reload(page, tenant):
    group = tenant["helpdesk_group"]
    member = a_user_member(group.id)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    recent = page.locator("section.recent")
    expect(recent.get_by_role("row").filter(has_text=member.display_name)).to_have_count(0)

    remove(page, member.display_name)
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    expect(recent.get_by_role("row").filter(has_text=member.display_name)).to_contain_text("Done")
