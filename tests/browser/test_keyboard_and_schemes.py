"""Keyboard-only use of the member page, and the light and dark colour schemes, in headless Chromium."""

import pytest
from playwright.sync_api import Page, expect

from sandbox.models import Link
from tests.browser.conftest import sign_in_as

pytestmark = pytest.mark.browser

FOCUS_LIMIT = 150  # Tab presses before giving up: the page has far fewer stops than this


def focused(page: Page, attribute: str, value: str) -> bool:
    return page.evaluate("([a, v]) => document.activeElement?.getAttribute(a) === v", [attribute, value])


def tab_until(page: Page, attribute: str, value: str, key: str = "Tab") -> None:
    """Press Tab (or Shift+Tab) until the element whose ``attribute`` is ``value`` has the focus."""
    for _ in range(FOCUS_LIMIT):
        page.keyboard.press(key)
        if focused(page, attribute, value):
            return
    pytest.fail(f"{key} never reached the element with {attribute}={value!r}")


def is_member(container_id: str, member_id) -> bool:
    return Link.objects.filter(container_id=container_id, relation="members", member_id=member_id).exists()


def test_a_member_is_removed_and_another_added_with_the_keyboard_alone(page, tenant):
    group, newcomer = tenant["helpdesk_group"], tenant["spare_users"][0]
    member = (Link.objects.filter(container_id=group.id, relation="members", member__kind="user")
              .select_related("member").order_by("member__display_name").first().member)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    page.once("dialog", lambda dialog: dialog.accept())

    tab_until(page, "aria-label", f"Remove {member.display_name}")
    page.keyboard.press("Enter")
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")

    tab_until(page, "id", "add-toggle", key="Shift+Tab")  # the closed "Add members" panel: one stop
    page.keyboard.press("Enter")
    tab_until(page, "id", "picker-q")
    page.keyboard.type("Adele")
    candidate = page.locator(f"#candidates input[value='{newcomer.id}']")
    expect(candidate).to_be_visible()
    tab_until(page, "value", newcomer.id)
    page.keyboard.press("Space")
    expect(candidate).to_be_checked()
    tab_until(page, "type", "submit")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Add selected"
    page.keyboard.press("Enter")
    expect(page.locator("#add-results")).to_contain_text("Added.")

    assert not is_member(group.id, member.id) and is_member(group.id, newcomer.id)


def luminance(css_colour: str) -> float:
    """Relative luminance (0 black .. 1 white) of an ``rgb(r, g, b)`` or ``rgba(...)`` colour."""
    channels = [int(float(part)) / 255 for part in css_colour[css_colour.index("(") + 1:-1].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_pages_follow_the_browsers_colour_scheme(page, tenant, color_scheme):
    group = tenant["helpdesk_group"]
    sign_in_as(page, "helpdesk@contoso.example")
    for path in ("/", "/groups/", f"/groups/{group.id}/"):
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        background = luminance(page.evaluate("getComputedStyle(document.body).backgroundColor"))
        text = luminance(page.evaluate("getComputedStyle(document.body).color"))
        if color_scheme == "dark":
            assert background < 0.05 and text > 0.7, (path, background, text)
        else:
            assert background > 0.85 and text < 0.05, (path, background, text)
