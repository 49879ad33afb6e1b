"""In Chromium: the people picker finds, adds, and the added member appears in the table."""

import pytest
from playwright.sync_api import expect

from members.models import AuditEntry
from sandbox.models import Link
from tests.browser.conftest import sign_in_as

pytestmark = pytest.mark.browser


def test_picked_member_is_added_and_appears_in_the_members_table(page, tenant):
    group = tenant["helpdesk_group"]
    newcomer = tenant["spare_users"][0]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    page.get_by_label("Find people, groups or devices").fill(newcomer.display_name.split()[0])
    page.get_by_role("checkbox", name=newcomer.display_name).check()
    page.get_by_role("button", name="Add selected").click()

    expect(page.locator("#add-results")).to_contain_text("Added.")
    row = page.locator(f"#member-rows > tr#member-{newcomer.id}")
    expect(row.get_by_role("button", name=f"Remove {newcomer.display_name}", exact=True)).to_be_visible()
    expect(page.locator("#add-results tr, #add-results button:not(.undo button)")).to_have_count(0)  # nothing spilled
    expect(page.locator("#add-results .undo button")).to_have_text("Undo this change (1 member)")
    expect(page.locator("#member-count")).to_have_text(str(Link.objects.filter(container_id=group.id, relation="members").count()))
    assert Link.objects.filter(container_id=group.id, relation="members", member_id=newcomer.id).exists()
    assert AuditEntry.objects.get().outcome == "done"
