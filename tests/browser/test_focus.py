"""In Chromium: after "Load more" the focus lands on the first new row, and the next Tab goes into it."""

from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from members.graph import LIST_PAGE_SIZE
from tests.browser.conftest import sign_in_as

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
