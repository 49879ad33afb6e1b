"""In headless Chromium: a Groups Administrator removes a member; a user without a role is refused inline."""

import pytest
from playwright.sync_api import expect

from members.models import AuditEntry
from sandbox.models import Link
from tests.browser.conftest import screenshot, sign_in_as, wait_until_ready

pytestmark = pytest.mark.browser


def first_user_member(group_id: str):
    link = (Link.objects.filter(container_id=group_id, relation="members", member__kind="user")
            .select_related("member").order_by("member__display_name").first())
    return link.member


def is_member(group_id: str, member_id) -> bool:
    return Link.objects.filter(container_id=group_id, relation="members", member_id=member_id).exists()


def test_groups_administrator_removes_a_member_and_sees_the_row_go(page, tenant):
    group = tenant["helpdesk_group"]
    member = first_user_member(group.id)
    sign_in_as(page, "helpdesk@contoso.example", start="/groups/")

    page.get_by_label("Search groups by name").fill("Helpdesk Tier")
    page.get_by_role("link", name=group.display_name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(group.display_name)
    wait_until_ready(page)
    remove = page.get_by_role("button", name=f"Remove {member.display_name}", exact=True)
    expect(remove).to_be_enabled()
    screenshot(page, "group-detail-helpdesk")

    page.once("dialog", lambda dialog: dialog.accept())
    remove.click()
    expect(remove).to_have_count(0)
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    expect(page.get_by_role("button", name=f"Undo: add {member.display_name} back")).to_be_visible()
    screenshot(page, "group-detail-removed")

    assert not is_member(group.id, member.id)
    entry = AuditEntry.objects.get()
    assert (entry.actor_upn, entry.outcome, entry.member_id) == ("helpdesk@contoso.example", "done", str(member.id))


def test_user_without_a_role_is_refused_inline_and_the_row_stays(page, tenant):
    group = tenant["helpdesk_group"]
    member = first_user_member(group.id)
    sign_in_as(page, "user@contoso.example", start=f"/groups/{group.id}/")

    remove = page.get_by_role("button", name=f"Remove {member.display_name}", exact=True)
    # The app knows this user has no role that reaches the group: the button says so up front.
    expect(remove).to_be_disabled()
    expect(page.locator("#why-disabled")).to_contain_text("You need the Groups Administrator role")

    # Graph stays the judge: sending the request anyway (as a stale page would) is refused inline.
    page.evaluate("document.querySelectorAll('button.remove').forEach(b => b.removeAttribute('aria-disabled'))")
    page.once("dialog", lambda dialog: dialog.accept())
    remove.click()
    row = page.locator(f"#member-{member.id}")
    alert = row.get_by_role("alert")
    expect(alert).to_contain_text("You don't have the Groups Administrator role")
    expect(alert).to_contain_text("Request id for support")
    expect(row.get_by_role("button", name=f"Remove {member.display_name}", exact=True)).to_be_visible()
    screenshot(page, "group-detail-refused")

    assert is_member(group.id, member.id)
    entry = AuditEntry.objects.get()
    assert (entry.actor_upn, entry.outcome, entry.graph_status) == ("user@contoso.example", "refused", 403)
