"""In Chromium: a ticket and reason typed once go with every change of the page into the journal,
which filters and downloads as CSV."""

import csv
import io

import pytest
from playwright.sync_api import expect

from members.models import AuditEntry
from tests.browser.power_steps import open_page, sign_in
from tests.browser.steps import a_user_member, remove

pytestmark = pytest.mark.browser


def test_the_ticket_and_reason_are_kept_with_each_change_and_shown_in_the_journal(page, tenant):
    group = tenant["helpdesk_group"]
    member = a_user_member(group.id)
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    page.get_by_label("Ticket").fill("INC0012345")
    page.get_by_label("Reason").fill("Leaver, approved by their manager")
    remove(page, member.display_name)
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    page.get_by_role("button", name=f"Undo: add {member.display_name} back").click()
    expect(page.get_by_role("button", name=f"Remove {member.display_name}", exact=True)).to_be_visible()
    assert sorted(AuditEntry.objects.values_list("action", "ticket", "reason")) == [
        ("add", "INC0012345", "Leaver, approved by their manager"), ("remove", "INC0012345", "Leaver, approved by their manager")]

    open_page(page, "/activity/")
    rows = page.locator("table.journal tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("INC0012345")
    expect(rows.first).to_contain_text("Leaver, approved by their manager")
    page.get_by_label("Outcome").select_option("refused")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No change matches these filters.")).to_be_visible()

    page.get_by_role("link", name="Clear the filters").click()
    expect(page.get_by_role("link", name="Clear the filters")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    with open(download.value.path(), newline="") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert [(r["action"], r["member"], r["ticket"]) for r in rows] == [
        ("add", member.display_name, "INC0012345"), ("remove", member.display_name, "INC0012345")]
