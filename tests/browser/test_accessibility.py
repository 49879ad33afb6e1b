"""axe-core on every page and main state, light and dark (and the lists and containers on a phone
too): zero violations. axe-core comes inside the axe-playwright-python wheel (nothing downloaded);
it is injected through Playwright's evaluate, which the page's CSP does not govern.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from members.models import AuditEntry
from sandbox.models import Link
from tests.browser.look import DESKTOP, PHONE, close, person_page, sign_in, sign_out, visit
from tests.browser.steps import (ENABLE_EVERYTHING, PICKER, a_user_member, check_sign_in_page_then_sign_in_as_admin, every_page, open_panel,
                                 outcome, pick, remove)

pytestmark = pytest.mark.browser

AXE = Axe()
ACCOUNTS = ["admin", "pra", "helpdesk", "unitadmin", "owner", "user", "noconsent"]
SCHEMES = ["light", "dark"]


def expect_accessible(page: Page, what: str) -> None:
    results = AXE.run(page)
    assert results.violations_count == 0, f"{what}:\n{results.generate_report()}"


@pytest.fixture
def person(browser, live_server, tenant, request):
    """A page as a person's, in the colour scheme and viewport the test is parametrized with."""
    scheme, viewport = request.param
    page = person_page(browser, live_server.url, viewport=viewport, color_scheme=scheme)
    yield page
    close(page)


@pytest.mark.parametrize("person", [("light", DESKTOP), ("dark", DESKTOP), ("light", PHONE), ("dark", PHONE)],
                         ids=["light", "dark", "phone-light", "phone-dark"], indirect=True)
def test_lists_containers_and_activity_have_no_violations(person, tenant):
    page = person
    check_sign_in_page_then_sign_in_as_admin(page, expect_accessible)

    pages = {**every_page(tenant), "a group search": "/groups/?q=Helpdesk"}
    for what, path in pages.items():
        visit(page, path)
        expect_accessible(page, what)


@pytest.mark.parametrize("person", [(scheme, DESKTOP) for scheme in SCHEMES], ids=SCHEMES, indirect=True)
def test_the_picker_an_add_and_a_removal_have_no_violations(person, tenant):
    page = person
    group, newcomer = tenant["helpdesk_group"], tenant["spare_users"][0]
    member = a_user_member(group.id)
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")

    pick(page, "Adele", newcomer.display_name)
    expect_accessible(page, "the picker open with results, one ticked")
    page.get_by_role("button", name="Add selected").click()
    expect(outcome(page, newcomer.display_name)).to_contain_text("Added.")
    expect_accessible(page, "the picker's outcome and the added row")

    remove(page, member.display_name)
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    expect_accessible(page, "a removed row with its Undo")
    visit(page, f"/groups/{group.id}/")
    expect(page.locator("#recent-changes table tbody tr")).to_have_count(2)
    expect_accessible(page, "a container page with its recent changes")


@pytest.mark.parametrize("person", [(scheme, DESKTOP) for scheme in SCHEMES], ids=SCHEMES, indirect=True)
def test_disabled_buttons_and_a_refusal_shown_inline_have_no_violations(person, tenant):
    page = person
    group = tenant["helpdesk_group"]
    member = a_user_member(group.id)
    sign_in(page, "noconsent@contoso.example", start=f"/groups/{group.id}/")
    expect(page.locator("#why-disabled")).to_be_visible()
    expect_accessible(page, "a group whose buttons are disabled, with the reason")

    page.evaluate(ENABLE_EVERYTHING)  # as a stale page would: Graph refuses
    remove(page, member.display_name)
    expect(page.locator(f"#member-{member.id}").get_by_role("alert")).to_contain_text("not granted")
    expect_accessible(page, "a refusal shown in its row")
    visit(page, "/activity/")
    expect(page.locator("td.outcome").first).to_contain_text("Refused")
    expect_accessible(page, "activity with a refusal and Graph's answer folded")


@pytest.mark.parametrize("person", [(scheme, DESKTOP) for scheme in SCHEMES], ids=SCHEMES, indirect=True)
def test_every_accounts_home_and_the_signed_out_page_have_no_violations(person, tenant):
    page = person
    for account in ACCOUNTS:
        sign_in(page, f"{account}@contoso.example")
        expect(page.locator("main h1")).to_contain_text("Hello")
        expect_accessible(page, f"{account}@'s home")
        sign_out(page)
    expect(page.get_by_role("heading", name="You're signed out")).to_be_visible()
    expect_accessible(page, "the signed-out page")


@pytest.mark.parametrize("person", [("light", DESKTOP)], ids=["light"], indirect=True)
def test_a_button_you_cannot_use_takes_the_focus_says_why_and_does_nothing(person, tenant):
    page = person
    group = tenant["helpdesk_group"]
    member = a_user_member(group.id)
    sign_in(page, "user@contoso.example", start=f"/groups/{group.id}/")
    reason = page.locator("#why-disabled").inner_text()
    assert "You need the Groups Administrator role" in reason
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.method != "GET" else None)
    open_panel(page, "Add members")

    for button in (page.get_by_role("button", name=f"Remove {member.display_name}", exact=True),
                   page.get_by_role("button", name="Remove selected"), page.get_by_role("button", name="Add selected")):
        expect(button).to_be_disabled()  # aria-disabled: disabled to assistive technology and to Playwright
        button.focus()
        expect(button).to_be_focused()
        expect(button).to_have_accessible_description(reason)
        page.keyboard.press("Enter")
        page.keyboard.press("Space")
        expect(button).to_be_focused()

    # htmx asks its confirmation (both Remove buttons have one) and sends its request within the
    # key's click handler, so either would have been seen before press() returned.
    assert dialogs == [] and sent == [] and AuditEntry.objects.count() == 0
    expect(page.locator("#add-results, #bulk-results")).to_have_text(["", ""])


@pytest.mark.parametrize("person", [("light", DESKTOP), ("dark", DESKTOP), ("light", PHONE), ("dark", PHONE)],
                         ids=["light", "dark", "phone-light", "phone-dark"], indirect=True)
def test_a_person_page_with_rows_and_picks_a_unit_admin_cant_change_has_no_violations(person, tenant):
    page = person
    member, inside = tenant["user"], tenant["group_in_unit"]
    Link.objects.create(container_id=inside.id, member_id=member.id, relation="members")
    sign_in(page, "unitadmin@contoso.example", start=f"/people/{member.id}/")
    expect(page.locator("#memberships .why").first).to_be_visible()
    expect_accessible(page, "a person's memberships, some disabled with the reason")
    page.get_by_label("Find groups").fill("Helpdesk")
    expect(page.locator("#group-candidates label.candidate.already")).not_to_have_count(0)
    expect_accessible(page, "the group picker with groups joined already and out of reach")
