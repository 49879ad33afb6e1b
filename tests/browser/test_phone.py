"""On a 390×844 phone: no page scrolls sideways, each member's name sits beside its button, long
unbroken strings wrap, and the member table is still a table to assistive technology.

Widths are read with ``page.evaluate`` of an expression: Playwright evaluates through the DevTools
protocol, which the page's CSP (no 'unsafe-eval') does not govern, so no ``bypass_csp`` is needed;
the page's own string evaluation stays blocked.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from members.graph import LIST_PAGE_SIZE
from sandbox.models import DirectoryObject, Link
from sandbox.seed import seed_tenant
from tests.browser.look import DESKTOP, PHONE, close, person_page, sign_in, visit
from tests.conftest import SMALL_TENANT
from tests.browser.steps import ENABLE_EVERYTHING, PICKER, a_user_member, check_sign_in_page_then_sign_in_as_admin, every_page, open_panel, remove

pytestmark = pytest.mark.browser

LONG_QUERY = "x" * 3000
ACCOUNTS = ["admin", "pra", "helpdesk", "unitadmin", "owner", "user", "noconsent"]
LONG_NAME = "Maximiliana Wolfeschlegelsteinhausenbergerdorffvoralternwarengewissenhaftschaferswessenschafewarenwohlgepflegeundsorgfaltigkeitbeschutzenvonangreifendurchihrraubgierigfeinde"
LONG_UPN = "maximiliana.wolfeschlegelsteinhausenbergerdorff.external.contractor.account.with.a.long.name@contoso.example"


@pytest.fixture
def phone(browser, live_server, tenant):
    page = person_page(browser, live_server.url, viewport=PHONE)
    yield page
    close(page)


def expect_no_sideways_scroll(page: Page, what: str) -> None:
    width, viewport = page.evaluate("document.documentElement.scrollWidth"), page.viewport_size["width"]
    assert width <= viewport, f"{what} is {width} px wide at {viewport} px"


MEMBER_ROWS = """() => [...document.querySelectorAll('#member-rows > tr[id^="member-"]')].map(row => {
  const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; };
  return {id: row.id, name: box(row.querySelector('th[scope=row]')), button: box(row.querySelector('button.remove'))};
})"""


def expect_names_beside_their_buttons(page: Page, what: str) -> int:
    """Every member row: its name and its Remove button inside the viewport, on the same line."""
    rows = page.evaluate(MEMBER_ROWS)
    assert rows, f"{what}: no member rows"
    for row in rows:
        for part in ("name", "button"):
            left, right, _, _ = row[part]
            assert 0 <= left and right <= page.viewport_size["width"], f"{what}: {row['id']}'s {part} spans {left}..{right} px"
        name_top, name_bottom = row["name"][2:]
        button_top, button_bottom = row["button"][2:]
        assert button_top < name_bottom and name_top < button_bottom, f"{what}: {row['id']}'s button is not beside its name"
    return len(rows)


def a_member_with_a_long_name(group_id: str) -> DirectoryObject:
    member = DirectoryObject.objects.create(
        id="0d6f0c4e-3b9a-4c55-9a7e-2f1b8c7d6e5f", kind="user", display_name=LONG_NAME, principal_name=LONG_UPN.lower(), mail=LONG_UPN.lower(),
        data={"displayName": LONG_NAME, "userPrincipalName": LONG_UPN, "mail": LONG_UPN,
              "jobTitle": "Contractor" * 12, "accountEnabled": True, "userType": "Member"})
    Link.objects.create(container_id=group_id, member=member, relation="members")
    return member


def test_no_page_scrolls_sideways_and_every_member_keeps_its_button_beside_it(phone, tenant):
    group = tenant["helpdesk_group"]
    long_named = a_member_with_a_long_name(group.id)
    check_sign_in_page_then_sign_in_as_admin(phone, expect_no_sideways_scroll)

    pages = {**every_page(tenant), "a 3,000-character search": f"/groups/?q={LONG_QUERY}"}
    for what, path in pages.items():
        visit(phone, path)
        expect_no_sideways_scroll(phone, what)
        if phone.locator("#member-rows button.remove").count():
            expect_names_beside_their_buttons(phone, what)

    visit(phone, f"/groups/{group.id}/")
    expect(phone.locator(f"#member-{long_named.id} th")).to_contain_text(LONG_NAME)
    expect_names_beside_their_buttons(phone, "a group with a long-named member")
    phone.get_by_label(f"Search members of {group.display_name}").fill(LONG_QUERY)
    expect(phone.locator("#member-table")).to_contain_text("No member matches")
    expect_no_sideways_scroll(phone, "a 3,000-character member search")
    open_panel(phone, "Add members")
    phone.get_by_label(PICKER).fill(LONG_QUERY)
    expect(phone.locator("#candidates")).to_contain_text("No match for")
    expect_no_sideways_scroll(phone, "a 3,000-character picker search")


def test_a_refusal_stays_in_its_card_under_the_name_and_its_button(phone, tenant):
    group = tenant["helpdesk_group"]
    member = a_user_member(group.id)
    sign_in(phone, "noconsent@contoso.example", start=f"/groups/{group.id}/")
    phone.evaluate(ENABLE_EVERYTHING)
    remove(phone, member.display_name)
    row = phone.locator(f"#member-{member.id}")
    expect(row.get_by_role("alert")).to_contain_text("not granted")
    expect_no_sideways_scroll(phone, "a group page with a refusal")
    expect_names_beside_their_buttons(phone, "a group page with a refusal")
    name, alert = row.locator("th").bounding_box(), row.get_by_role("alert").bounding_box()
    assert alert["y"] >= name["y"] + name["height"] and alert["x"] + alert["width"] <= PHONE["width"]


@pytest.mark.parametrize("account", ACCOUNTS)
def test_every_accounts_home_fits_a_phone(phone, tenant, account):
    sign_in(phone, f"{account}@contoso.example")
    expect(phone.locator("main h1")).to_contain_text("Hello")
    expect_no_sideways_scroll(phone, f"{account}@'s home")


def test_times_in_the_journal_never_wrap(phone, tenant):
    group = tenant["helpdesk_group"]
    member = a_user_member(group.id)
    sign_in(phone, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    remove(phone, member.display_name)
    expect(phone.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    visit(phone, "/activity/")
    time = phone.locator("td.when time").first
    expect(time).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d [A-Z+\-0-9]{2,5}$"))
    expect(time).to_have_css("white-space", "nowrap")
    box = time.bounding_box()
    line = float(time.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
    assert box["height"] < 1.5 * line, "the time wrapped onto a second line"


def test_the_journals_filters_are_one_line_high(phone, tenant):
    sign_in(phone, "helpdesk@contoso.example")
    visit(phone, "/activity/")
    where, outcome = phone.get_by_role("searchbox", name="Container"), phone.get_by_label("Outcome")
    expect(where).to_be_visible()
    assert where.bounding_box()["height"] <= outcome.bounding_box()["height"] * 1.25, "the container box grew tall"
    expect_no_sideways_scroll(phone, "the journal")


def test_the_member_table_is_still_a_table_to_assistive_technology(phone, tenant):
    """Chromium's own accessibility tree (not Playwright's reading of the markup) at 390 px."""
    group = tenant["helpdesk_group"]
    sign_in(phone, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    expect(phone.locator("#member-rows button.remove").first).to_be_visible()
    expect(phone.locator("#owner-count")).to_be_visible()  # the owners' table, loaded after the page, is in too
    shown = phone.locator("#member-rows > tr").count() + phone.locator(".owners th[scope=row]").count()
    cdp = phone.context.new_cdp_session(phone)
    nodes = [node for node in cdp.send("Accessibility.getFullAXTree")["nodes"] if not node.get("ignored")]
    roles = {}
    for node in nodes:
        roles.setdefault(node.get("role", {}).get("value"), []).append(node.get("name", {}).get("value", ""))
    assert f"Members of {group.display_name}" in roles.get("table", [])
    assert {"Select all shown", "Type", "Name", "Sign-in name or mail", "Details", "Actions"} <= set(roles.get("columnheader", []))
    # The order the list is in, told (the tree Chromium gives over CDP leaves aria-sort out).
    expect(phone.locator("#member-table").get_by_role("columnheader", name="Name", exact=True)).to_have_attribute(
        "aria-sort", "ascending")  # the member table's (the owners' table below it is not sorted)
    assert len(roles.get("rowheader", [])) == shown
    assert len(roles.get("row", [])) >= shown + 1  # the rows of both tables, and the member table's header row


def test_long_strings_wrap_in_a_desktop_window_too(browser, live_server, tenant):
    group = tenant["helpdesk_group"]
    a_member_with_a_long_name(group.id)
    page = person_page(browser, live_server.url, viewport=DESKTOP)
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    expect_no_sideways_scroll(page, "a group with a long-named member")
    expect_names_beside_their_buttons(page, "a group with a long-named member")
    open_panel(page, "Add members")
    page.get_by_label(PICKER).fill(LONG_QUERY)
    expect(page.locator("#candidates")).to_contain_text("No match for")
    expect_no_sideways_scroll(page, "a 3,000-character picker search")
    visit(page, f"/groups/?q={LONG_QUERY}")
    expect_no_sideways_scroll(page, "a 3,000-character group search")
    close(page)


def test_load_more_adds_cards_and_says_how_many_are_shown(phone, tenant):
    seed_tenant(**{**SMALL_TENANT, "groups": 2 * LIST_PAGE_SIZE})  # more groups than one page
    sign_in(phone, "helpdesk@contoso.example", start="/groups/")
    count = phone.locator("#container-count")
    shown, total = map(int, re.fullmatch(r"Showing (\d+) of (\d+) groups", count.inner_text()).groups())
    phone.get_by_role("button", name="Load more").click()
    more = min(2 * shown, total)
    expect(count).to_have_text(f"Showing {more} of {total} groups" if more < total else f"Showing all {total} groups")
    expect(phone.locator("table.containers tbody tr:not(#containers-more)")).to_have_count(more)
    expect_no_sideways_scroll(phone, "the groups after Load more")


# Each row of the member table, direct or nested: its name cell's box and its text's line count.
ROW_NAMES = """() => [...document.querySelectorAll('#member-rows > tr[id^="member-"], #member-rows > tr[id^="nested-"]')].map(row => {
  const name = row.querySelector('th[scope=row]'), r = name.getBoundingClientRect();
  const line = parseFloat(getComputedStyle(name).lineHeight) || 20;
  return {id: row.id, width: r.width, lines: Math.round(r.height / line), right: r.right};
})"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("show", ["All members, including nested groups' members", "type:Users"])
def test_the_nested_and_by_type_views_are_cards_as_whole_as_the_direct_one(browser, live_server, tenant, scheme, show):
    group = tenant["helpdesk_group"]  # holds a group, whose members show as nested
    page = person_page(browser, live_server.url, viewport=PHONE, color_scheme=scheme)
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    if show.startswith("type:"):
        page.get_by_label("Type").select_option(label=show.removeprefix("type:"))
        expect(page.locator("#member-rows tr.nested")).to_have_count(0)
    else:
        page.get_by_role("radio", name=show).check()
        expect(page.locator("#member-rows tr.nested").first).to_be_visible()
    expect(page.locator("#member-rows > tr[id^=member-]").first).to_be_visible()
    rows = page.evaluate(ROW_NAMES)
    for row in rows:
        assert row["width"] > 150 and row["lines"] <= 2 and row["right"] <= PHONE["width"], f"{show}: {row['id']}'s name is {row}"
    expect(page.locator(".select-all-label")).to_be_visible()
    expect(page.locator(".select-all-label")).to_have_text("Select all shown")
    expect_no_sideways_scroll(page, f"the {show} view")
    close(page)
