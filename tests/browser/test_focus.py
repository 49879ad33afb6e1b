"""In Chromium: after "Load more" the focus lands on the first new row, and the next Tab goes into it; after
a change (an Undo, a Revert, a person's removals, an add with nothing picked) it lands on what the change says."""

from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from members.graph import LIST_PAGE_SIZE
from sandbox.seed import seed_tenant
from tests.browser.conftest import sign_in_as
from tests.conftest import SMALL_TENANT
from tests.browser.steps import (add_selected, member_rows, members_of, remove_selected, removed_as_helpdesk,
                                 revert_from_the_journal, user_members)

pytestmark = pytest.mark.browser


def test_load_more_members_focuses_the_first_new_row(page, tenant):
    group = tenant["big_group"]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    rows = page.locator("#member-rows > tr[id^=member-]")
    expect(rows).to_have_count(50)
    with htmx_settles(page):
        page.get_by_role("button", name="Load more").click()
    expect(rows).to_have_count(100)

    first_new = rows.nth(50)
    expect(first_new).to_be_focused()
    page.keyboard.press("Tab")
    expect(first_new.get_by_role("checkbox")).to_be_focused()


def test_load_more_containers_focuses_the_first_new_row(page, tenant):
    seed_tenant(**{**SMALL_TENANT, "groups": 2 * LIST_PAGE_SIZE})  # more groups than one page
    sign_in_as(page, "helpdesk@contoso.example", start="/groups/")
    rows = page.locator("table.containers tbody > tr").filter(has=page.get_by_role("link"))
    expect(rows).to_have_count(LIST_PAGE_SIZE)
    with htmx_settles(page):
        page.get_by_role("button", name="Load more").click()
    first_new = rows.nth(LIST_PAGE_SIZE)
    expect(first_new).to_be_visible()
    expect(first_new).to_be_focused()
    page.keyboard.press("Tab")
    expect(first_new.get_by_role("link")).to_be_focused()


@pytest.mark.parametrize(("viewport", "color_scheme"), [("desktop", "light"), ("phone", "dark")], indirect=True)
def test_undo_of_a_bulk_removal_focuses_its_outcome_in_place_of_the_removal(page, tenant):
    group = tenant["helpdesk_group"]
    leaving = user_members(group.id)[:3]
    before = members_of(group.id)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    remove_selected(page, *leaving)
    results = page.locator("#bulk-results")
    expect(results).to_contain_text("3 of 3 removed.")

    page.get_by_role("button", name="Undo this change (3 members)").click()
    focused = page.locator(":focus")
    for member in leaving:
        expect(focused).to_contain_text(f"{member.display_name} Added back.")
    expect(results).not_to_contain_text("3 of 3 removed.")  # the Undo's outcome replaced the removal's
    expect(member_rows(page)).to_have_count(len(before))


def test_a_revert_in_the_journal_focuses_its_outcome(page, tenant):
    group = tenant["helpdesk_group"]
    member = user_members(group.id)[0]
    removal = removed_as_helpdesk(page, group, member)
    revert_from_the_journal(page, group, member)
    expect(page.locator(f"#revert-{removal.pk}")).to_contain_text("Reverted: added back.")
    expect(page.locator(":focus")).to_have_text("Reverted: added back.")


@pytest.mark.parametrize("viewport", ["desktop", "phone"], indirect=True)
def test_remove_from_selected_on_a_person_page_focuses_the_outcomes(page, tenant):
    person, group = tenant["user"], tenant["helpdesk_group"]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/people/{person.id}/")
    page.get_by_role("checkbox", name=f"Select {group.display_name}").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove from selected").click()
    expect(page.locator("#person-results")).to_contain_text("Removed.")
    expect(page.locator(":focus")).to_contain_text(f"{group.display_name} Removed.")


def test_add_or_remove_selected_with_nothing_ticked_focuses_what_to_do_first(page, tenant):
    group = tenant["helpdesk_group"]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    add_selected(page)
    expect(page.locator(":focus")).to_have_text("Search, then tick the people to add first.")
    page.get_by_role("button", name="Remove selected").click()  # nothing ticked: no question asked
    expect(page.locator(":focus")).to_have_text("Select the members to remove first (the boxes at the start of each row).")


@contextmanager
def htmx_settles(page):
    """htmx focuses an autofocus element when it settles the swap: a Tab pressed before that would be
    undone by it on a busy machine. Wait for the settle of the swap the block's click starts: a
    promise armed before the click, resolved by htmx's own ``htmx:afterSettle`` (a positive event,
    not the absence of htmx's classes, which also holds before the request has begun)."""
    page.evaluate("""() => { window.deskSettled = new Promise(resolve => {
        const settled = event => {
            if (event.detail.requestConfig?.triggeringEvent?.type !== "click") return;  // another swap's settle
            document.body.removeEventListener("htmx:afterSettle", settled);
            resolve(true);
        };
        document.body.addEventListener("htmx:afterSettle", settled);
        setTimeout(() => resolve(false), 30000);  // a failure that says so, not a hang
    }); }""")
    yield
    assert page.evaluate("() => window.deskSettled") is True, "the click's swap never settled"
