"""Screenshots of the everyday flow's states, at 1280 and 390 px, light and dark (var/screenshots/flow-*):
the picker with picks kept across searches, a removal with no way back, the expired-sign-in notice."""

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot, sign_in_as
from tests.browser.steps import a_user_member, pick, remove

pytestmark = pytest.mark.browser

WIDTHS = {1280: 900, 390: 844}


def shoot(page: Page, state: str, scheme: str) -> None:
    for width, height in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"flow-{state}-{width}-{scheme}")
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_the_flows_states_look_right(page, tenant, color_scheme):
    group, app = tenant["helpdesk_group"], tenant["service_principal"]
    adele, alex = tenant["spare_users"][:2]
    member = a_user_member(group.id)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")

    pick(page, "adele", adele.display_name)
    pick(page, "alex", alex.display_name)
    page.get_by_label("Find people, groups or devices").fill("Helpdesk")
    expect(page.locator("label.candidate.already")).not_to_have_count(0)
    expect(page.locator("#picked li")).to_have_count(2)
    shoot(page, "picker-picks", color_scheme)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Remove {app.display_name}", exact=True).click()
    expect(page.locator(f"#removed-{app.id} .no-undo")).to_be_visible()
    shoot(page, "no-undo", color_scheme)

    Session.objects.all().delete()
    remove(page, member.display_name)
    expect(page.get_by_role("heading", name="Pick an account")).to_be_visible()
    page.locator('input[name="upn"][value="helpdesk@contoso.example"]').check()
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#not-sent")).to_be_visible()
    shoot(page, "not-sent", color_scheme)
