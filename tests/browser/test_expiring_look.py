"""Expiring access as a person sees it, at 1280 px and 390 px, light and dark: the end chosen with a
change, a row with its end and its "Change end" open, an overdue row, Home's "Expiring soon" with its
Revoke, and "Overdue removals" for an administrator. Each state screenshotted and checked by axe."""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from members import expiry
from members.models import Expiry, ExpiryState
from tests.browser.conftest import screenshot
from tests.browser.look import DESKTOP, PHONE, close, person_page, sign_in, sign_out, visit
from tests.browser.steps import add_selected, outcome, pick

pytestmark = pytest.mark.browser

AXE = Axe()
LOOKS = [("light", DESKTOP), ("dark", DESKTOP), ("light", PHONE), ("dark", PHONE)]
LOOK_IDS = ["light", "dark", "phone-light", "phone-dark"]


def expect_accessible(page: Page, what: str) -> None:
    results = AXE.run(page)
    assert results.violations_count == 0, f"{what}:\n{results.generate_report()}"


def fits(page: Page) -> None:
    """Nothing wider than the window: no sideways scrolling."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.fixture
def person(browser, live_server, tenant, request):
    scheme, viewport = request.param
    page = person_page(browser, live_server.url, viewport=viewport, color_scheme=scheme)
    page.look = f"expiring-{request.node.callspec.id}"
    yield page
    close(page)


@pytest.mark.parametrize("person", LOOKS, ids=LOOK_IDS, indirect=True)
def test_expiring_access_looks_right_and_has_no_violations(person, tenant):
    page, look = person, person.look
    group, newcomers = tenant["helpdesk_group"], tenant["spare_users"][:2]
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")

    note = page.locator("#change-note")
    ends_at = note.get_by_label("On", exact=True)
    expect(ends_at).to_be_hidden()  # until "On a date…" is chosen
    note.get_by_label("Access added ends").select_option("date")
    expect(ends_at).to_be_visible()
    assert ends_at.get_attribute("min") and ends_at.get_attribute("max")
    note.screenshot(path=str(screenshot(page, f"{look}-note-date")))
    note.get_by_label("Access added ends").select_option("1d")
    expect(ends_at).to_be_hidden()

    pick(page, "adele", newcomers[0].display_name)
    pick(page, "alex", newcomers[1].display_name)
    add_selected(page)
    expect(outcome(page, newcomers[0].display_name)).to_contain_text("Added")
    row = page.locator(f"#member-{newcomers[0].id}")
    expect(row.locator(".member-end")).to_contain_text("(in 23 hours)")
    fits(page)
    screenshot(page, f"{look}-added-with-end")
    expect_accessible(page, "rows with their ends")

    row.get_by_text("Change end").click()
    expect(row.get_by_role("button", name="Save end")).to_be_visible()
    fits(page)
    row.screenshot(path=str(screenshot(page, f"{look}-change-end")))
    expect_accessible(page, "Change end open")
    row.locator("select[name=ends]").select_option("30d")
    row.get_by_role("button", name="Save end").click()
    expect(row.locator(".member-end .message")).to_contain_text("Now until")
    expect(row.locator(".member-end .end-notice")).to_be_focused()  # the keyboard lands on what was done

    other = Expiry.objects.get(member_id=newcomers[1].id)
    Expiry.objects.filter(pk=other.pk).update(state=ExpiryState.DUE, expires_at=timezone.now() - timedelta(hours=1),
                                              note="Its time came, but the sign-in can no longer do it.")
    visit(page, f"/groups/{group.id}/")
    overdue = page.locator(f"#member-{newcomers[1].id}")
    expect(overdue.locator(".member-end.overdue")).to_contain_text("Overdue")
    fits(page)
    overdue.screenshot(path=str(screenshot(page, f"{look}-overdue-row")))
    screenshot(page, f"{look}-group")
    expect_accessible(page, "an overdue row")

    visit(page, "/")
    expect(page.get_by_role("heading", name="Expiring soon")).to_be_visible()
    expect(page.get_by_role("button", name="Revoke")).to_be_visible()
    fits(page)
    screenshot(page, f"{look}-home-helpdesk")
    expect_accessible(page, "Home with expiring soon and Revoke")

    sign_out(page)
    sign_in(page, "admin@contoso.example")
    expect(page.get_by_role("heading", name="Overdue removals")).to_be_visible()
    fits(page)
    screenshot(page, f"{look}-home-admin")
    expect_accessible(page, "Home with overdue removals")


@pytest.fixture
def worker_reaches_sandbox(settings, live_server):
    """The sweep runs here, in the test, as a worker would: it reaches the sandbox at the live server."""
    settings.SANDBOX_LOOPBACK_URL = live_server.url


@pytest.mark.parametrize("person", [("light", DESKTOP), ("dark", PHONE)], ids=["light", "phone-dark"], indirect=True)
def test_a_row_whose_end_comes_turns_removed_on_time_by_itself_and_the_count_follows(person, tenant,
                                                                                      worker_reaches_sandbox):
    page, look = person, person.look
    group, newcomer = tenant["helpdesk_group"], tenant["spare_users"][0]
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    page.locator("#change-note").get_by_label("Access added ends").select_option("1d")
    pick(page, "adele", newcomer.display_name)
    add_selected(page)
    expect(outcome(page, newcomer.display_name)).to_contain_text("Added")
    Expiry.objects.filter(member_id=newcomer.id).update(expires_at=timezone.now() + timedelta(minutes=2))
    visit(page, f"/groups/{group.id}/")
    count = page.locator("#member-count").inner_text()
    expect(page.locator(f"#end-{newcomer.id}")).to_have_attribute("hx-trigger", "every 15s")

    Expiry.objects.filter(member_id=newcomer.id).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert expiry.sweep().removed == 1  # what the worker's next sweep does
    removed = page.locator(f"#removed-{newcomer.id}")
    expect(removed).to_contain_text("Removed on time", timeout=25_000)  # the next poll, within 15 s
    expect(removed.get_by_role("button", name="Undo")).to_have_count(0)
    expect(page.locator("#member-count")).to_have_text(str(int(count) - 1))
    removed.screenshot(path=str(screenshot(page, f"{look}-removed-on-time")))
    expect_accessible(page, "a row removed on time")


@pytest.mark.parametrize("person", LOOKS, ids=LOOK_IDS, indirect=True)
def test_the_person_page_shows_a_memberships_end_and_changes_it_by_keyboard(person, tenant):
    page, look = person, person.look
    group, newcomer = tenant["helpdesk_group"], tenant["spare_users"][0]
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    page.locator("#change-note").get_by_label("Access added ends").select_option("7d")
    pick(page, "adele", newcomer.display_name)
    add_selected(page)
    expect(outcome(page, newcomer.display_name)).to_contain_text("Added")
    visit(page, f"/people/{newcomer.id}/")
    row = page.locator(f"#membership-{group.id}")
    expect(row.locator(".member-end")).to_contain_text("Access until")
    fits(page)
    screenshot(page, f"{look}-person")
    expect_accessible(page, "a person's page with an end")

    summary = row.locator("summary", has_text="Change end")
    summary.focus()
    page.keyboard.press("Enter")  # opens the <details>
    make_permanent = row.get_by_role("button", name="Make permanent")
    expect(make_permanent).to_be_visible()
    row.screenshot(path=str(screenshot(page, f"{look}-person-change-end")))
    make_permanent.focus()
    page.keyboard.press("Enter")
    notice = row.locator(".end-notice")
    expect(notice).to_contain_text("Made permanent")
    expect(notice).to_be_focused()
    assert Expiry.objects.get(member_id=newcomer.id).state == ExpiryState.ENDED
