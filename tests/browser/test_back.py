"""In Chromium: Back shows membership as it is now, never a page the browser kept from before a change."""

import re

import pytest
from playwright.sync_api import expect

from sandbox.models import Link
from tests.browser.conftest import sign_in_as
from tests.browser.steps import a_user_member, members_of, remove

pytestmark = pytest.mark.browser


def test_back_after_a_removal_and_a_visit_to_activity_shows_the_true_list(page, tenant):
    group = tenant["helpdesk_group"]
    member = a_user_member(group.id)
    before = len(members_of(group.id))
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    expect(page.locator("#member-count")).to_have_text(str(before))

    remove(page, member.display_name)
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    expect(page.locator("#member-count")).to_have_text(str(before - 1))

    page.get_by_role("link", name="Activity", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Activity")
    page.go_back()

    expect(page.get_by_role("heading", level=1)).to_have_text(group.display_name)
    expect(page.locator("#member-count")).to_have_text(str(before - 1))
    expect(page.locator(f"#member-{member.id}")).to_have_count(0)
    expect(page.get_by_role("button", name=f"Remove {member.display_name}", exact=True)).to_have_count(0)
    expect(page.locator("#member-rows")).not_to_contain_text(member.display_name)


def test_pages_with_live_membership_are_not_stored_by_the_browser(page, tenant):
    group = tenant["helpdesk_group"]
    sign_in_as(page, "helpdesk@contoso.example")
    for path in ("/", "/groups/", f"/groups/{group.id}/", "/activity/"):
        response = page.goto(path)
        assert "no-store" in response.headers["cache-control"], path
    fragment = page.request.get(f"/groups/{group.id}/?part=count", headers={"HX-Request": "true"})
    assert "no-store" in fragment.headers["cache-control"]


def test_back_through_searches_refetches_the_list_instead_of_a_snapshot(page, tenant):
    """htmx keeps no snapshot of pushed searches: Back reloads the list, with today's member counts."""
    group = tenant["helpdesk_group"]
    before = len(members_of(group.id))
    sign_in_as(page, "helpdesk@contoso.example", start="/groups/?q=Helpdesk%20Tier")
    count = (page.get_by_role("row").filter(has=page.get_by_role("link", name=group.display_name, exact=True))
             .locator("td.num"))
    expect(count).to_have_text(str(before))

    page.get_by_label("Search groups by name").fill("Paris")
    expect(page).to_have_url(re.compile(r"q=Paris"))
    expect(page.get_by_role("link", name="Paris Helpdesk", exact=True)).to_be_visible()
    # Meanwhile someone else removes a member.
    Link.objects.filter(container_id=group.id, relation="members", member_id=a_user_member(group.id).id).delete()

    page.go_back()
    expect(page).to_have_url(re.compile(r"q=Helpdesk"))
    expect(count).to_have_text(str(before - 1))
