"""In Chromium: a person's memberships; add them to several groups at once, then remove them from several in one step."""

import pytest
from playwright.sync_api import expect

from members.models import AuditEntry
from sandbox.models import Link
from tests.browser.conftest import screenshot
from tests.browser.power_steps import sign_in

pytestmark = pytest.mark.browser


def groups_of(member_id: str) -> set[str]:
    return {str(c) for c in Link.objects.filter(member_id=member_id, relation="members", container__kind="group")
            .values_list("container_id", flat=True)}


def test_add_to_several_groups_then_remove_from_several_in_one_step(page, tenant):
    person = tenant["user"]  # Ulrich Berg: in Helpdesk Tier 1 and Contoso Marketing
    falcon, paris = tenant["owned_group"], tenant["group_outside_unit"]
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{tenant['helpdesk_group'].id}/")
    page.get_by_role("link", name=person.display_name, exact=True).click()  # members link to their person page
    expect(page.get_by_role("heading", level=1)).to_have_text(person.display_name)
    page.wait_for_load_state("load")
    memberships = page.locator("#memberships tbody tr")
    expect(memberships).to_have_count(2)

    page.get_by_label("Find groups").fill("Project Falcon")
    page.locator("#group-candidates label.candidate", has_text="Project Falcon").locator("input").check()
    page.get_by_label("Find groups").fill("Paris Helpdesk")
    page.locator("#group-candidates label.candidate", has_text="Paris Helpdesk").locator("input").check()
    page.get_by_role("button", name="Add to selected groups").click()
    expect(page.locator("#person-results")).to_contain_text("Paris Helpdesk")
    expect(memberships).to_have_count(3)  # the picker holds one search at a time: the last one ticked
    assert paris.id in groups_of(person.id)

    page.get_by_label("Find groups").fill("Project Falcon")
    page.locator("#group-candidates label.candidate", has_text="Project Falcon").locator("input").check()
    page.get_by_role("button", name="Add to selected groups").click()
    expect(memberships).to_have_count(4)
    before = groups_of(person.id)
    assert {falcon.id, paris.id} <= before

    page.get_by_role("checkbox", name="Select all").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove from selected").click()
    outcomes = page.locator("#person-results li")
    expect(outcomes).to_have_count(4)
    expect(page.locator("#person-results")).not_to_contain_text("Couldn't")
    expect(page.get_by_text("Not a direct member of any group, unit or role.")).to_be_visible()
    screenshot(page, "person-removed-from-several")
    assert groups_of(person.id) == set()
    removals = AuditEntry.objects.filter(action="remove", member_id=person.id)
    assert sorted(removals.values_list("container_id", "outcome")) == sorted((g, "done") for g in before)
