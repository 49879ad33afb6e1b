"""In Chromium: select several members (or all shown) and remove them in one go."""

import pytest
from playwright.sync_api import expect

from members.models import AuditEntry
from sandbox.models import Link
from tests.browser.conftest import screenshot, sign_in_as
from tests.browser.steps import remove_selected, user_members

pytestmark = pytest.mark.browser


def test_selected_members_are_removed_together_and_each_row_says_so(page, tenant):
    group = tenant["helpdesk_group"]
    first, second = user_members(group.id)[:2]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    remove_selected(page, first, second)

    expect(page.locator("#bulk-results")).to_contain_text("2 of 2 removed.")
    for member in (first, second):
        expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
        expect(page.get_by_role("button", name=f"Remove {member.display_name}", exact=True)).to_have_count(0)
    screenshot(page, "group-bulk-removed")
    remaining = {str(m) for m in Link.objects.filter(container_id=group.id, relation="members").values_list("member_id", flat=True)}
    assert str(first.id) not in remaining and str(second.id) not in remaining
    assert sorted(AuditEntry.objects.values_list("member_id", "outcome")) == sorted([(str(first.id), "done"), (str(second.id), "done")])


def test_select_all_then_refused_rows_keep_their_reason(page, tenant):
    group = tenant["helpdesk_group"]
    before = Link.objects.filter(container_id=group.id, relation="members").count()
    sign_in_as(page, "noconsent@contoso.example", start=f"/groups/{group.id}/")
    # The app already knows: no write scope for this account, so the selection is disabled...
    expect(page.get_by_role("checkbox", name="Select all shown")).to_be_disabled()
    expect(page.get_by_role("button", name="Remove selected")).to_be_disabled()
    # ...and Graph refuses anyway when a stale page sends it.
    page.evaluate("document.querySelectorAll('#member-table input, #bulk-remove button')"
                  ".forEach(e => { e.disabled = false; e.removeAttribute('aria-disabled'); })")
    page.get_by_role("checkbox", name="Select all shown").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove selected").click()
    expect(page.locator("#bulk-results")).to_contain_text(f"0 of {before} removed.")
    expect(page.locator("#member-rows [role=alert]")).to_have_count(before)
    assert Link.objects.filter(container_id=group.id, relation="members").count() == before
    assert set(AuditEntry.objects.values_list("outcome", flat=True)) == {"refused"}
