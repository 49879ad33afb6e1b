"""In Chromium: a person's memberships; add them to several groups at once, then remove them from several in one step."""

import re

import pytest
from playwright.sync_api import expect

from members.models import AuditEntry
from sandbox import knobs
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


# --- as careful as the container page: what this reader can't change is shown so, with why -----------------

OUTSIDE_UNITS = "Your administrator role is scoped to administrative units, and this group is in none of them."
FIND_GROUPS = "Find groups"


def a_person_in_and_outside_seattle(tenant: dict):
    """Ulrich Berg, put in Seattle Helpdesk (in unitadmin@'s unit) beside Helpdesk Tier 1 (outside it)."""
    person, inside = tenant["user"], tenant["group_in_unit"]
    Link.objects.create(container_id=inside.id, member_id=person.id, relation="members")
    return person, inside, tenant["helpdesk_group"]


def changes_sent(page) -> list[str]:
    """Every request but a GET the page sends from now on (filled as they go)."""
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.method != "GET" else None)
    return sent


def candidate(page, name: str):
    """The picker's line for the group called exactly ``name``."""
    return page.locator("#group-candidates label.candidate").filter(
        has=page.locator("span.name", has_text=re.compile(rf"^{re.escape(name)}$")))


def expect_within_width(page, locator, what: str) -> None:
    """Seen whole: not cut off at either side of the viewport."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"], f"{what} spans {box}"


@pytest.mark.parametrize("viewport", ["desktop", "phone"], indirect=True)
def test_a_unit_admin_finds_groups_outside_her_unit_disabled_with_the_reason_beside_them(page, tenant):
    person, inside, outside = a_person_in_and_outside_seattle(tenant)
    sign_in(page, "unitadmin@contoso.example", start=f"/people/{person.id}/")
    sent = changes_sent(page)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    mine = page.locator(f"#membership-{inside.id}")
    expect(mine.get_by_role("checkbox")).to_be_enabled()
    expect(mine.get_by_role("button", name=f"Remove from {inside.display_name}")).to_be_enabled()
    expect(mine.locator(".why")).to_have_count(0)

    theirs = page.locator(f"#membership-{outside.id}")
    box, remove = theirs.get_by_role("checkbox"), theirs.get_by_role("button", name=f"Remove from {outside.display_name}")
    expect(box).to_be_disabled()
    expect(remove).to_be_disabled()  # aria-disabled: still focusable, so it announces why
    expect(theirs.locator(".why")).to_be_visible()
    expect(theirs.locator(".why")).to_contain_text(OUTSIDE_UNITS)
    expect(remove).to_have_accessible_description(re.compile(re.escape(OUTSIDE_UNITS)))
    expect(box).to_have_accessible_description(re.compile(re.escape(OUTSIDE_UNITS)))
    for what, control in {"the name": theirs.locator("th"), "its box": box, "its Remove": remove, "the reason": theirs.locator(".why"),
                          "the other row's Remove": mine.get_by_role("button")}.items():
        expect_within_width(page, control, what)

    remove.focus()
    page.keyboard.press("Enter")
    remove.click(force=True)
    page.get_by_role("checkbox", name="Select all").check()
    expect(mine.get_by_role("checkbox")).to_be_checked()
    expect(box).not_to_be_checked()
    assert dialogs == [] and sent == [] and AuditEntry.objects.count() == 0
    screenshot(page, f"person-unitadmin-{page.viewport_size['width']}")


def test_the_picker_marks_groups_joined_or_out_of_reach_and_an_add_clears_the_ticks_that_worked(page, tenant, settings):
    """Keyboard only: Tab reaches only the tickable groups, Space ticks; after the add, the group added is
    a membership (no tick), the one Graph was busy for stays ticked with its error."""
    person, inside, _ = a_person_in_and_outside_seattle(tenant)
    sign_in(page, "unitadmin@contoso.example", start=f"/people/{person.id}/")

    page.get_by_label(FIND_GROUPS).focus()
    page.keyboard.type("Paris Helpdesk")
    paris = candidate(page, tenant["group_outside_unit"].display_name)
    expect(paris).to_contain_text(OUTSIDE_UNITS)
    expect(paris.get_by_role("checkbox")).to_be_disabled()

    page.get_by_label(FIND_GROUPS).fill("")
    page.keyboard.type("Seattle")
    joined = candidate(page, inside.display_name)
    expect(joined).to_contain_text("Already a member")
    expect(joined.get_by_role("checkbox")).to_be_disabled()
    tickable = page.locator("#group-candidates input[name=group]:enabled")
    expect(tickable).to_have_count(2)  # Seattle Printers and Seattle Engineering, in her unit
    first, second = tickable.evaluate_all("boxes => boxes.map(box => box.value)")

    reached = []
    while not page.evaluate("document.activeElement.matches('#join button[type=submit]')"):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "group":
            page.keyboard.press("Space")
            reached.append(page.evaluate("document.activeElement.value"))
        assert len(reached) <= 2, "Tab reached a group that can't be ticked"
    assert reached == [first, second]
    add = page.get_by_role("button", name="Add to selected groups")
    expect(add).to_be_focused()
    joined.get_by_role("checkbox").focus()  # not even a click's focus lands on it (a Space now would press Add)
    expect(add).to_be_focused()
    expect(joined.get_by_role("checkbox")).not_to_be_checked()

    settings.SANDBOX_WRITE_LIMIT, settings.SANDBOX_WRITE_WINDOW = 1, 120  # the second add is throttled
    knobs.reset_throttle()
    page.keyboard.press("Enter")
    expect(page.locator("#person-results")).to_contain_text("Added.")
    expect(page.locator("#person-results")).to_contain_text("Graph is busy")
    added = page.locator(f"#group-candidates input[value='{first}']")
    expect(added).to_be_disabled()
    expect(added).not_to_be_checked()
    expect(page.locator("#group-candidates label.candidate", has=page.locator(f"input[value='{first}']"))
           ).to_contain_text("Already a member")
    busy = page.locator(f"#group-candidates input[value='{second}']")
    expect(busy).to_be_enabled()
    expect(busy).to_be_checked()
    expect(busy).to_have_accessible_description(re.compile("Graph is busy"))
    expect(page.locator(f"#failed-{second}").get_by_role("alert")).to_contain_text("Graph is busy")
    assert first in groups_of(person.id) and second not in groups_of(person.id)


@pytest.mark.parametrize("color_scheme", ["light", "dark"], indirect=True)
@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_on_a_phone_the_memberships_fit_without_sideways_scroll(page, tenant, color_scheme):
    person, inside, outside = a_person_in_and_outside_seattle(tenant)
    sign_in(page, "unitadmin@contoso.example", start=f"/people/{person.id}/")
    rows = page.locator("#memberships tbody tr")
    expect(rows).to_have_count(3)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the person page is {width} px wide at 390 px"
    page.get_by_label(FIND_GROUPS).fill("Seattle")  # the picker's lines, with their reasons and marks, too
    expect(candidate(page, "Seattle Printers")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the person page with the picker's results is {width} px wide at 390 px"
    expect(page.get_by_role("checkbox", name="Select all")).to_be_visible()
    for n in range(rows.count()):
        row = rows.nth(n)
        for what, control in {"name": row.locator("th"), "box": row.get_by_role("checkbox"),
                              "Remove": row.get_by_role("button")}.items():
            expect(control).to_be_visible()
            expect_within_width(page, control, f"row {n}'s {what}")
        name, button = row.locator("th").bounding_box(), row.get_by_role("button").bounding_box()
        assert button["y"] < name["y"] + name["height"] and name["y"] < button["y"] + button["height"], "Remove is not beside its name"
    expect_within_width(page, page.locator(f"#membership-{outside.id} .why"), "the reason")
    expect_within_width(page, page.get_by_role("button", name="Add to selected groups"), "Add to selected groups")
    screenshot(page, f"person-unitadmin-390-{color_scheme}")
