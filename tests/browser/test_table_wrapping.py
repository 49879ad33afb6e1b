"""In Chromium at 1,280 px: a long sign-in name, member name or detail wraps between its words (after a
hyphen, at a space), never inside one, and a request id takes at most two lines; at 390 px the same
pages still never scroll sideways."""

import uuid

import pytest
from playwright.sync_api import Locator, Page, expect

from sandbox.models import DirectoryObject, Link
from tests.browser.conftest import screenshot, sign_in_as
from tests.browser.steps import remove, user_members

pytestmark = pytest.mark.browser

LONG_UPN = "maximiliana.featherstonehaugh-worthington.contractor@emea.contoso.example"
LONG_NAME = "Maximiliana Featherstonehaugh-Worthington"

# Where a cell's text goes on to a new line, as "before|after" around each such place, when it is not a
# space or just after a hyphen (a break inside a word).
SPLIT_INSIDE_WORDS = """cell => {
  const splits = [], chars = [];
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.data.length; i++) {
      if (/\\s/.test(node.data[i])) { chars.push({char: " ", top: null}); continue; }
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      chars.push({char: node.data[i], top: range.getBoundingClientRect().top});
    }
  }
  let last = null;
  chars.forEach((c, i) => {
    if (c.top === null) return;
    if (last !== null && c.top > last.top + 1 && chars[i - 1].char !== " " && chars[i - 1].char !== "-") {
      splits.push(chars.slice(Math.max(0, i - 6), i).map(x => x.char).join("") + "|" + chars.slice(i, i + 6).map(x => x.char).join(""));
    }
    last = c;
  });
  return splits;
}"""
LINES = "el => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight))"


@pytest.fixture
def long_named_member(tenant) -> DirectoryObject:
    """A member of the helpdesk group with a long hyphenated name, sign-in name and job title."""
    group = tenant["helpdesk_group"]
    like = user_members(group.id)[0]
    member = DirectoryObject.objects.create(
        id=uuid.uuid4(), kind="user", display_name=LONG_NAME, principal_name=LONG_UPN, mail=LONG_UPN,
        data={**like.data, "displayName": LONG_NAME, "userPrincipalName": LONG_UPN, "mail": LONG_UPN,
              "jobTitle": "Senior Regional Infrastructure Programme Coordinator (EMEA)"})
    Link.objects.create(container_id=group.id, member=member, relation=Link.MEMBERS)
    return member


def splits_inside_words(cells: Locator) -> list[str]:
    return [split for n in range(cells.count()) for split in cells.nth(n).evaluate(SPLIT_INSIDE_WORDS)]


def a_removal_on_the_group_page(page: Page, tenant) -> None:
    group = tenant["helpdesk_group"]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    gone = user_members(group.id)[1]
    remove(page, gone.display_name)
    expect(page.locator(f"#removed-{gone.id}")).to_contain_text("Removed.")


def test_at_1280_px_names_wrap_between_words_and_a_request_id_takes_two_lines_at_most(page, tenant, long_named_member):
    a_removal_on_the_group_page(page, tenant)
    row = page.locator(f"#member-{long_named_member.id}")
    expect(row.locator("td.principal")).to_have_text(LONG_UPN)
    assert splits_inside_words(page.locator("#member-rows td.principal")) == []
    assert splits_inside_words(page.locator("#member-rows th.name")) == []
    assert splits_inside_words(page.locator("#member-rows td.detail")) == []
    recent = page.locator("table.audit td.request-id code").first
    expect(recent).not_to_be_empty()
    assert recent.evaluate(LINES) <= 2
    said = recent.inner_text()
    screenshot(page, "members-long-names-1280")

    page.goto("/activity/", wait_until="load")
    request_id = page.locator("table.journal td.request-id code").first
    expect(request_id).to_have_text(said)
    assert request_id.evaluate(LINES) <= 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_at_390_px_the_same_pages_never_scroll_sideways(page, tenant, long_named_member):
    a_removal_on_the_group_page(page, tenant)
    expect(page.locator(f"#member-{long_named_member.id} td.principal")).to_have_text(LONG_UPN)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto("/activity/", wait_until="load")
    expect(page.locator("table.journal td.request-id code").first).not_to_be_empty()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
