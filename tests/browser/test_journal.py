"""In Chromium: a ticket and reason typed once go with every change of the page into the journal,
which filters and downloads as CSV; a change of several members is one row that opens on them and
reverts as a whole; the Member filter tells what happened to one person; "Reverts entry N" goes to #N."""

import csv
import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from members.models import AuditEntry
from tests.browser.conftest import screenshot
from tests.browser.power_steps import open_page, sign_in
from tests.browser.steps import (a_user_member, check_pasted, member_rows, members_of, remove, remove_selected,
                                 revert_from_the_journal, user_members)

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


def journal_rows(page):
    """The journal's own rows (a change's members are rows of the table inside it)."""
    return page.locator("table.journal > tbody > tr")


def pasted_removal(page, group, leaving) -> None:
    """Remove ``leaving`` from ``group`` by a pasted list, run to its end."""
    check_pasted(page, [member.principal_name for member in leaving], f"remove them from {group.display_name}")
    page.get_by_role("button", name=f"Remove {len(leaving)} members").click()
    expect(page.locator("#paste-results p.message")).to_have_text(f"{len(leaving)} removed.")


@pytest.mark.parametrize(("viewport", "color_scheme"), [("desktop", "light"), ("desktop", "dark"), ("phone", "light"),
                                                        ("phone", "dark")], indirect=True)
def test_a_pasted_change_is_one_row_that_opens_by_keyboard_on_its_members(page, tenant, viewport, color_scheme):
    group = tenant["helpdesk_group"]
    leaving = user_members(group.id)[:4]
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    pasted_removal(page, group, leaving)

    open_page(page, "/activity/")
    expect(journal_rows(page)).to_have_count(1)
    row = journal_rows(page).first
    expect(row).to_contain_text(f"Remove 4 members from {group.display_name}")
    summary = row.locator("details.change-members > summary")
    expect(summary).to_have_text("4 members: 4 done")
    members = row.locator("table.change-entries > tbody > tr")
    expect(members.first).to_be_hidden()  # closed until asked
    summary.focus()
    page.keyboard.press("Enter")
    expect(members).to_have_count(4)
    entries = AuditEntry.objects.order_by("pk")
    for member, entry in zip(leaving, entries, strict=True):
        line = page.locator(f"#entry-{entry.pk}")
        expect(line).to_be_visible()
        expect(line).to_contain_text(f"#{entry.pk}")
        expect(line).to_contain_text(member.display_name)
        expect(line).to_contain_text("Done")
        expect(line).to_contain_text(entry.request_id)
    expect(page.get_by_text("Showing 1 of 1 change, newest first")).to_be_visible()
    assert len({entry.change_id for entry in entries}) == 1
    screenshot(page, f"journal-change-open-{viewport['width']}-{color_scheme}")
    axe = Axe().run(page)
    assert axe.violations_count == 0, axe.generate_report()


def test_revert_all_adds_back_a_bulk_removal_and_the_journal_then_agrees(page, tenant):
    group = tenant["helpdesk_group"]
    leaving = user_members(group.id)[:3]
    before = members_of(group.id)
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    remove_selected(page, *leaving)
    expect(page.locator("#bulk-results p.message")).to_contain_text("3 of 3 removed.")

    open_page(page, "/activity/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Revert all: add 3 members back to {group.display_name}").click()
    row = journal_rows(page).first
    outcome = row.locator(":scope > td.revert .revert-outcome")
    expect(outcome).to_contain_text("Reverted: all 3 members of this change.")
    expect(outcome).to_be_focused()
    expect(row.locator("details.change-members")).to_have_attribute("open", "")
    expect(row.locator("table.change-entries > tbody > tr")).to_have_count(3)
    for line in row.locator("table.change-entries > tbody > tr").all():
        expect(line).to_contain_text("Reverted: added back.")
    assert members_of(group.id) == before
    screenshot(page, "journal-revert-all")
    axe = Axe().run(page)
    assert axe.violations_count == 0, axe.generate_report()

    page.reload(wait_until="load")
    expect(journal_rows(page)).to_have_count(2)
    newest, removal = journal_rows(page).nth(0), journal_rows(page).nth(1)
    expect(newest).to_contain_text(f"Add 3 members to {group.display_name}")
    expect(newest.locator("summary")).to_have_text("3 members: 3 done")
    expect(removal.get_by_role("button", name="Revert all")).to_have_count(1)  # offered; each member would say why not
    page.once("dialog", lambda dialog: dialog.accept())
    removal.get_by_role("button", name="Revert all").click()
    expect(removal.locator(":scope > td.revert .revert-outcome")).to_contain_text("Reverted 0 of 3: 3 not reverted.")
    expect(removal.get_by_text("Already reverted by helpdesk@contoso.example")).to_have_count(3)
    assert AuditEntry.objects.count() == 6 and members_of(group.id) == before


@pytest.mark.parametrize("viewport", ["desktop", "phone"], indirect=True)
def test_the_member_filter_tells_what_happened_to_one_person(page, tenant, viewport):
    group = tenant["helpdesk_group"]
    diego, other, third = user_members(group.id)[:3]
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    remove_selected(page, diego, other, third)
    expect(page.locator("#bulk-results p.message")).to_contain_text("3 of 3 removed.")
    page.get_by_role("button", name="Undo this change (3 members)").click()
    expect(page.locator(".undo-results")).to_contain_text(f"{diego.display_name} Added back.")

    open_page(page, "/activity/")
    expect(journal_rows(page)).to_have_count(2)  # the removal of three, its Undo of three
    page.get_by_role("searchbox", name="Member", exact=True).fill(diego.display_name)
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("searchbox", name="Member", exact=True)).to_have_value(diego.display_name)
    rows = journal_rows(page)
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(f"Add {diego.display_name} to {group.display_name}")
    expect(rows.nth(1)).to_contain_text(f"Remove {diego.display_name} from {group.display_name}")
    expect(page.locator("table.journal")).not_to_contain_text(other.display_name)
    screenshot(page, f"journal-member-filter-{viewport['width']}")

    page.get_by_role("searchbox", name="Member", exact=True).fill(diego.principal_name)  # by sign-in name, as the helpdesk has it
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    with open(download.value.path(), newline="") as handle:
        lines = list(csv.DictReader(io.StringIO(handle.read())))
    assert [(r["action"], r["member"]) for r in lines] == [("add", diego.display_name), ("remove", diego.display_name)]


@pytest.mark.parametrize("viewport", ["desktop", "phone"], indirect=True)
def test_reverts_entry_n_links_to_the_entry_numbered_n(page, tenant, viewport):
    group = tenant["helpdesk_group"]
    member = user_members(group.id)[0]
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    remove(page, member.display_name)
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    removal = AuditEntry.objects.get()
    revert_from_the_journal(page, group, member)
    expect(page.locator(f"#revert-{removal.pk}")).to_contain_text("Reverted: added back.")

    open_page(page, "/activity/")
    page.get_by_role("link", name=f"Reverts entry #{removal.pk}").click()
    target = page.locator(f"#entry-{removal.pk}")
    expect(page).to_have_url(f"{page.url.split('#')[0]}#entry-{removal.pk}")
    expect(target).to_be_visible()
    expect(target).to_be_in_viewport()
    expect(target.locator(".entry-no")).to_have_text(f"#{removal.pk}")
    expect(target).to_contain_text(f"Remove {member.display_name} from {group.display_name}")


def test_reverts_entry_n_inside_a_change_opens_the_change_it_is_in(page, tenant):
    group = tenant["helpdesk_group"]
    leaving = user_members(group.id)[:2]
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    remove_selected(page, *leaving)
    expect(page.locator("#bulk-results p.message")).to_contain_text("2 of 2 removed.")
    page.get_by_role("button", name="Undo this change (2 members)").click()
    expect(page.locator(".undo-results")).to_contain_text(f"{leaving[0].display_name} Added back.")
    first = AuditEntry.objects.order_by("pk").first()

    open_page(page, "/activity/")
    undo = journal_rows(page).first
    undo.locator("summary").click()
    undo.get_by_role("link", name=f"Reverts entry #{first.pk}").click()
    target = page.locator(f"#entry-{first.pk}")
    expect(target).to_be_visible()  # its change's row opened on it
    expect(target).to_contain_text(leaving[0].display_name)
