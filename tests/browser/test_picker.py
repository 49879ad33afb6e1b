"""In Chromium: the people picker finds, keeps picks across searches, marks members already there, adds,
and the added members appear in the table."""

import re

import pytest
from playwright.sync_api import expect

from members.models import AuditEntry
from sandbox.models import Link
from tests.browser.conftest import sign_in_as
from tests.browser.steps import PICKER, add_selected, members_of, open_panel, outcome, pick

pytestmark = pytest.mark.browser


def posts_sent(page) -> list[str]:
    """The URLs of every POST the page sends from now on (filled as they go)."""
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    return posts


def test_picked_member_is_added_and_appears_in_the_members_table(page, tenant):
    group = tenant["helpdesk_group"]
    newcomer = tenant["spare_users"][0]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    open_panel(page, "Add members")
    page.get_by_label("Find people, groups or devices").fill(newcomer.display_name.split()[0])
    page.get_by_role("checkbox", name=newcomer.display_name).check()
    page.get_by_role("button", name="Add selected").click()

    expect(page.locator("#add-results")).to_contain_text("Added.")
    row = page.locator(f"#member-rows > tr#member-{newcomer.id}")
    expect(row.get_by_role("button", name=f"Remove {newcomer.display_name}", exact=True)).to_be_visible()
    expect(page.locator("#add-results tr, #add-results button:not(.undo button)")).to_have_count(0)  # nothing spilled
    expect(page.locator("#add-results .undo button")).to_have_text("Undo this change (1 member)")
    expect(page.locator("#member-count")).to_have_text(str(Link.objects.filter(container_id=group.id, relation="members").count()))
    assert Link.objects.filter(container_id=group.id, relation="members", member_id=newcomer.id).exists()
    assert AuditEntry.objects.get().outcome == "done"


def result(page, name: str):
    """The picker's result line for ``name`` (exactly)."""
    return page.locator("label.candidate").filter(has=page.locator("span.name", has_text=re.compile(rf"^{re.escape(name)}$")))


def selected(page):
    return page.locator("#picked li")


def test_picks_survive_new_searches_and_are_added_together(page, tenant):
    group = tenant["helpdesk_group"]
    adele, alex = tenant["spare_users"][:2]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")

    pick(page, "adele", adele.display_name)
    pick(page, "alex", alex.display_name)
    expect(result(page, adele.display_name)).to_have_count(0)  # the results moved on...
    expect(selected(page)).to_have_count(2)  # ...the picks did not
    expect(selected(page).nth(0)).to_contain_text(adele.display_name)
    expect(selected(page).nth(1)).to_contain_text(alex.display_name)
    add_selected(page)

    for person in (adele, alex):
        expect(outcome(page, person.display_name)).to_contain_text("Added.")
        expect(page.locator(f"#member-rows > tr#member-{person.id}")).to_be_visible()
    # After the add: nothing is left ticked or selected, and Alex is now marked in the results.
    expect(selected(page)).to_have_count(0)
    expect(page.locator("#picked .picked-empty")).to_be_visible()
    expect(result(page, alex.display_name)).to_contain_text("Already a member")
    expect(result(page, alex.display_name).get_by_role("checkbox")).to_be_disabled()
    expect(page.locator("#picker input[name=member]:checked")).to_have_count(0)
    assert {adele.id, alex.id} <= members_of(group.id)
    assert sorted(AuditEntry.objects.values_list("member_id", "outcome")) == sorted([(adele.id, "done"), (alex.id, "done")])


def test_unticking_a_pick_in_selected_drops_it(page, tenant):
    group = tenant["helpdesk_group"]
    adele, alex = tenant["spare_users"][:2]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    add_selected(page)
    expect(page.locator("#add-results")).to_contain_text("tick the people to add first")

    pick(page, "adele", adele.display_name)
    pick(page, "alex", alex.display_name)
    selected(page).filter(has_text=adele.display_name).get_by_role("checkbox").click()  # unticked: it leaves the list
    expect(selected(page)).to_have_count(1)
    expect(page.locator("#picked li input")).to_be_focused()  # the keyboard stays in the list
    page.get_by_label(PICKER).fill("adele")
    expect(result(page, adele.display_name).get_by_role("checkbox")).not_to_be_checked()
    add_selected(page)

    expect(outcome(page, alex.display_name)).to_contain_text("Added.")
    expect(outcome(page, adele.display_name)).to_have_count(0)
    expect(page.locator("#add-results")).not_to_contain_text("tick the people to add first")
    assert alex.id in members_of(group.id) and adele.id not in members_of(group.id)


def test_members_already_there_are_marked_and_cannot_be_ticked_for_one_read_of_all_hits(page, tenant):
    group, leads, paris = tenant["helpdesk_group"], tenant["helpdesk_leads_group"], tenant["group_outside_unit"]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    open_panel(page, "Add members")
    with page.expect_response(lambda response: "/candidates/?q=Helpdesk" in response.url) as searched:
        page.get_by_label(PICKER).fill("Helpdesk")
    expect(result(page, leads.display_name)).to_contain_text("Already a member")
    expect(result(page, leads.display_name).get_by_role("checkbox")).to_be_disabled()
    expect(result(page, paris.display_name)).not_to_contain_text("Already a member")
    expect(result(page, paris.display_name).get_by_role("checkbox")).to_be_enabled()
    assert page.locator("label.candidate").count() >= 4  # several hits...
    # ...cost the search and one read of their memberships: two round trips, whatever their number.
    assert searched.value.headers["server-timing"].split(", ")[0].endswith('"2 Graph round trips"')


def test_enter_in_the_search_box_searches_and_sends_nothing(page, tenant):
    group = tenant["helpdesk_group"]
    adele, alex = tenant["spare_users"][:2]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    posts = posts_sent(page)
    pick(page, "adele", adele.display_name)

    box = page.get_by_label(PICKER)
    box.fill("alex")
    expect(result(page, alex.display_name)).to_be_visible()
    with page.expect_response(lambda response: "/candidates/?q=alex" in response.url):
        box.press("Enter")
    expect(result(page, alex.display_name)).to_be_visible()
    expect(selected(page)).to_have_count(1)
    assert posts == [] and AuditEntry.objects.count() == 0 and adele.id not in members_of(group.id)


@pytest.mark.parametrize("where", ["results", "selected"])
def test_enter_on_a_ticked_box_sends_nothing(page, tenant, where):
    group = tenant["helpdesk_group"]
    adele, alex = tenant["spare_users"][:2]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    posts = posts_sent(page)
    pick(page, "adele", adele.display_name)
    expect(selected(page)).to_have_count(1)

    box = (result(page, adele.display_name) if where == "results" else selected(page)).get_by_role("checkbox")
    box.press("Enter")
    # A search asked after the Enter: had the Enter submitted the add, its POST would have gone first.
    with page.expect_response(lambda response: "/candidates/?q=alex" in response.url):
        page.get_by_label(PICKER).fill("alex")
    expect(selected(page)).to_have_count(1)
    assert posts == [] and AuditEntry.objects.count() == 0 and adele.id not in members_of(group.id)


def test_focus_moves_to_the_outcomes_after_an_add(page, tenant):
    group, adele = tenant["helpdesk_group"], tenant["spare_users"][0]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    pick(page, "adele", adele.display_name)
    page.get_by_role("button", name="Add selected").focus()
    page.keyboard.press("Enter")
    expect(outcome(page, adele.display_name)).to_contain_text("Added.")
    expect(page.locator("#add-results .outcomes")).to_be_focused()


def test_a_very_long_search_is_not_echoed_in_full(page, tenant):
    group = tenant["helpdesk_group"]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    open_panel(page, "Add members")
    page.get_by_label(PICKER).fill("zq" * 2_500)
    said = page.get_by_text("No match for")
    expect(said).to_be_visible()
    assert len(said.inner_text()) < 100 and said.inner_text().endswith("…”.")


def test_the_picker_marks_a_disabled_account_and_a_guest(page, tenant):
    from sandbox.models import DirectoryObject

    group = tenant["helpdesk_group"]
    users = list(DirectoryObject.objects.filter(kind="user"))
    guest = next(u for u in users if u.data.get("userType") == "Guest")
    disabled = next(u for u in users if u.data.get("accountEnabled") is False and u.data.get("userType") != "Guest")
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    pick(page, guest.display_name)
    expect(result(page, guest.display_name)).to_contain_text("· Guest")
    expect(result(page, guest.display_name)).not_to_contain_text("Account disabled")
    pick(page, disabled.display_name)
    expect(result(page, disabled.display_name).locator(".account.disabled")).to_have_text("Account disabled")
