"""Groups in headless Chromium: who may add and remove members, and what the others are told inline.

Each test ends on the sandbox's own state (its ``Link`` rows) and on the audit trail. When the app
already knows a change can't work, its buttons are disabled and say why; the tests then send the
request anyway (as a stale page would) so that Graph itself refuses.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot, sign_in_as
from tests.browser.steps import (
    members_of,
    a_user_member,
    audit_trail,
    remove,
    pick,
    add_selected,
    added_meanwhile,
    outcome,
    assert_done,
    remove_anyway,
    add_anyway,
    assert_nothing_changed,
    remove_and_add,
    assert_removed_then_added,
)

pytestmark = pytest.mark.browser

def test_groups_administrator_removes_a_member_and_adds_a_group_and_one_already_there(page, tenant):
    group, leads, paris = tenant["helpdesk_group"], tenant["helpdesk_leads_group"], tenant["group_outside_unit"]
    member = a_user_member(group.id)
    before = members_of(group.id)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    expect(page.get_by_role("button", name=f"Remove {member.display_name}", exact=True)).to_be_enabled()
    expect(page.locator("#why-disabled")).to_have_count(0)

    remove(page, member.display_name)
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")

    with added_meanwhile(group.id, leads.id):
        pick(page, "Helpdesk", leads.display_name, paris.display_name)
    add_selected(page)
    expect(outcome(page, paris.display_name)).to_contain_text("Added.")
    expect(outcome(page, leads.display_name)).to_contain_text("Already a member.")
    expect(page.locator("#add-results").get_by_role("alert")).to_have_count(0)
    screenshot(page, "group-helpdesk-added")

    assert leads.id in before and members_of(group.id) == (before - {str(member.id)}) | {paris.id}
    removed, *added = audit_trail()
    assert_done(removed, "helpdesk@contoso.example", "remove", member.id)
    by_member = {entry.member_id: entry for entry in added}
    assert set(by_member) == {paris.id, leads.id}
    assert_done(by_member[paris.id], "helpdesk@contoso.example", "add", paris.id)
    already = by_member[leads.id]
    assert (already.outcome, already.graph_status, already.graph_code) == ("already", 400, "Request_BadRequest")
    assert already.request_id


@pytest.mark.parametrize("kind, upn, spare, search", [
    pytest.param("group_in_unit", "unitadmin@contoso.example", 0, "Adele", id="unit-scoped-administrator-inside-their-unit"),
    pytest.param("owned_group", "owner@contoso.example", 2, "Megan", id="group-owner-without-a-role"),
])
def test_an_account_allowed_to_change_a_group_removes_and_adds_a_member(page, tenant, kind, upn, spare, search):
    """A unit-scoped Groups Administrator in their unit's group, and a group's owner who holds no role."""
    group, newcomer = tenant[kind], tenant["spare_users"][spare]
    member = a_user_member(group.id)
    sign_in_as(page, upn, start=f"/groups/{group.id}/")
    remove_and_add(page, member, search, newcomer)

    assert str(member.id) not in members_of(group.id) and newcomer.id in members_of(group.id)
    assert_removed_then_added(upn, member.id, newcomer.id)


def test_added_members_appear_at_the_top_of_the_members_table(page, tenant):
    group, newcomer = tenant["group_in_unit"], tenant["spare_users"][0]
    sign_in_as(page, "unitadmin@contoso.example", start=f"/groups/{group.id}/")

    pick(page, "Adele", newcomer.display_name)
    add_selected(page)
    expect(outcome(page, newcomer.display_name)).to_contain_text("Added.")
    assert newcomer.id in members_of(group.id)
    # htmx swaps out-of-band content in the same step as the outcome: no waiting needed.
    new_row = page.locator("#member-rows tr[id^='member-']").first
    assert new_row.get_attribute("id") == f"member-{newcomer.id}"
    expect(new_row.get_by_role("button", name=f"Remove {newcomer.display_name}", exact=True)).to_be_enabled()
    expect(page.locator("#member-count")).to_have_text(str(len(members_of(group.id))))


def test_unit_scoped_administrator_is_refused_on_a_group_outside_their_unit(page, tenant):
    group, newcomer = tenant["group_outside_unit"], tenant["spare_users"][0]
    member, before = a_user_member(group.id), members_of(group.id)
    refused = remove_anyway(page, "unitadmin@contoso.example", f"/groups/{group.id}/", member,
                            "Your administrator role is scoped to administrative units, and this group is in none of them.")
    assert "Couldn't remove this member." in refused and "this group is in none of them" in refused
    assert "Request id for support" in refused
    assert "this group is in none of them" in add_anyway(page, "Adele", newcomer)
    screenshot(page, "group-outside-unit-refused")

    assert_nothing_changed(group.id, before, "unitadmin@contoso.example", ("remove", member.id), ("add", newcomer.id))


def test_groups_administrator_without_consented_write_scope_is_refused(page, tenant):
    group, newcomer = tenant["helpdesk_group"], tenant["spare_users"][0]
    member, before = a_user_member(group.id), members_of(group.id)
    refused = remove_anyway(page, "noconsent@contoso.example", f"/groups/{group.id}/", member,
                            "This app was not granted GroupMember.ReadWrite.All for you")
    assert "not granted the GroupMember.ReadWrite.All permission" in refused
    assert "not granted the GroupMember.ReadWrite.All permission" in add_anyway(page, "Adele", newcomer)

    assert_nothing_changed(group.id, before, "noconsent@contoso.example", ("remove", member.id), ("add", newcomer.id))


def test_privileged_role_administrator_changes_a_role_assignable_group(page, tenant):
    group, newcomer = tenant["role_assignable_group"], tenant["spare_users"][0]
    member = a_user_member(group.id)
    sign_in_as(page, "pra@contoso.example", start=f"/groups/{group.id}/")
    expect(page.locator(".trait-role_assignable")).to_have_text("Role-assignable")
    expect(page.locator("#why-disabled")).to_have_count(0)

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name=f"Remove {member.display_name}", exact=True).click()
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    pick(page, "Adele", newcomer.display_name)
    page.get_by_role("button", name="Add selected").click()
    expect(outcome(page, newcomer.display_name)).to_contain_text("Added.")
    # Both changes take away or hand out privileges at once: each is confirmed first, and says so.
    assert dialogs[0].startswith(f"Remove {member.display_name} from the group {group.display_name}?")
    assert dialogs[-1].startswith(f"Add the picked members to {group.display_name}?")
    assert all("privileges at once" in message for message in dialogs)

    assert str(member.id) not in members_of(group.id) and newcomer.id in members_of(group.id)
    assert_removed_then_added("pra@contoso.example", member.id, newcomer.id)


DISTRIBUTION_LIST = "It is a distribution list, which Graph cannot change: its members are managed in the Exchange admin center."


@pytest.mark.parametrize("kind, trait, reason, told, graph", [
    pytest.param("role_assignable_group", None, "only a Privileged Role Administrator may change it",
                 ["only a Privileged Role Administrator may change it", "Ask a Privileged Role Administrator."], {},
                 id="role-assignable"),
    pytest.param("dynamic_group", (".trait-dynamic", "Dynamic"), "Its members are set by a membership rule.",
                 ["Its members are set by a membership rule.", "Change the rule"], {}, id="dynamic"),
    pytest.param("distribution_list", (".trait-distribution", "Distribution list"), DISTRIBUTION_LIST, [DISTRIBUTION_LIST],
                 {"status": 400, "code": "Request_BadRequest"}, id="distribution-list"),
    pytest.param("restricted_group", (".trait-restricted", "In a restricted unit"), "restricted-management administrative unit",
                 ["only administrators assigned to that unit may change its members"], {}, id="restricted-management-unit"),
])
def test_groups_administrator_is_refused_on_a_group_graph_lets_no_one_of_them_change(page, tenant, kind, trait, reason, told, graph):
    """Role-assignable, dynamic, distribution-list and restricted groups: the page says why, and Graph refuses a stale removal."""
    group = tenant[kind]
    member, before = a_user_member(group.id), members_of(group.id)
    refused = remove_anyway(page, "helpdesk@contoso.example", f"/groups/{group.id}/", member, reason)
    if trait:
        expect(page.locator(trait[0])).to_have_text(trait[1])
    assert all(text in refused for text in told)

    assert_nothing_changed(group.id, before, "helpdesk@contoso.example", ("remove", member.id), **graph)


@pytest.mark.parametrize("viewport", ["desktop", "phone"], indirect=True)
def test_the_member_list_says_whose_account_is_disabled_and_who_is_a_guest(page, tenant, viewport):
    from sandbox.models import DirectoryObject, Link

    group = tenant["helpdesk_group"]
    users = DirectoryObject.objects.filter(kind="user")
    guest = next(u for u in users if u.data.get("userType") == "Guest")
    disabled = next(u for u in users if u.data.get("accountEnabled") is False and u.data.get("userType") != "Guest")
    for member in (guest, disabled):
        Link.objects.get_or_create(container_id=group.id, member=member, relation="members")
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")

    guest_row, disabled_row = page.locator(f"#member-{guest.id}"), page.locator(f"#member-{disabled.id}")
    expect(guest_row.locator("td.user-type")).to_have_text("Guest")
    expect(guest_row.locator("td.principal")).to_contain_text("#EXT#")
    expect(disabled_row.locator("td.account")).to_have_text("Disabled")
    expect(disabled_row.locator("td.user-type")).to_have_text("Member")
    for cell in (guest_row.locator("td.user-type"), disabled_row.locator("td.account")):
        expect(cell).to_be_visible()  # on a phone's card too
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    screenshot(page, f"member-columns-{viewport['width']}")


@pytest.mark.parametrize("viewport", ["desktop", "phone"], indirect=True)
def test_the_groups_list_narrows_to_one_kind_and_keeps_it_in_the_address(page, tenant, viewport):
    from sandbox.models import DirectoryObject
    from members.directory import Trait, group_kind

    distribution = sorted(g.display_name for g in DirectoryObject.objects.filter(kind="group") if group_kind(g.data) is Trait.DISTRIBUTION)
    sign_in_as(page, "helpdesk@contoso.example", start="/groups/")
    with page.expect_response(lambda response: "type=distribution" in response.url):
        page.get_by_label("Kind").select_option(label="Distribution list")
    names = page.locator("table.containers tbody td.name")
    expect(names).to_have_text(distribution)
    expect(page.locator("table.containers tbody td.kind").first).to_contain_text("Distribution list")
    expect(page.locator("#container-count")).to_contain_text("distribution list")
    assert "type=distribution" in page.url
    page.reload()  # the address keeps the choice
    expect(page.get_by_label("Kind")).to_have_value("distribution")
    expect(names).to_have_text(distribution)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    screenshot(page, f"groups-by-kind-{viewport['width']}")


def test_the_line_over_the_member_table_follows_a_removal_and_an_add(page, tenant):
    from sandbox.models import Link

    group, newcomer = tenant["big_group"], tenant["spare_users"][0]
    total = Link.objects.filter(container_id=group.id, relation="members").count()
    sign_in_as(page, "admin@contoso.example", start=f"/groups/{group.id}/")
    shown, count = page.locator("#member-shown"), page.locator("#member-count")
    expect(shown).to_have_text(f"Showing 50 of {total:,} members")

    first = page.locator("#member-rows > tr[id^=member-]").first
    name = first.locator("th").inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    first.get_by_role("button", name=f"Remove {name}", exact=True).click()
    expect(count).to_have_text(f"{total - 1:,}")
    expect(shown).to_have_text(f"Showing 49 of {total - 1:,} members")

    pick(page, "Adele", newcomer.display_name)
    add_selected(page, confirm=False)
    expect(outcome(page, newcomer.display_name)).to_contain_text("Added.")
    expect(count).to_have_text(f"{total:,}")
    expect(shown).to_have_text(f"Showing 50 of {total:,} members")


def test_a_member_removed_then_added_again_leaves_one_row_and_no_dead_undo(page, tenant):
    group, member = tenant["helpdesk_group"], a_user_member(tenant["helpdesk_group"].id)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    remove(page, member.display_name)
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    pick(page, member.display_name, member.display_name)
    add_selected(page)
    expect(outcome(page, member.display_name)).to_contain_text("Added.")
    expect(page.locator(f"#member-{member.id}")).to_have_count(1)
    expect(page.locator(f"#removed-{member.id}")).to_have_count(0)
    expect(page.get_by_role("button", name=f"Undo: add {member.display_name} back")).to_have_count(0)


@pytest.mark.parametrize("where", ["members", "groups"])
def test_a_list_sorts_z_to_a_and_back_and_keeps_its_order_through_a_search_and_load_more(page, tenant, where):
    from sandbox.models import DirectoryObject, Link

    group = tenant["big_group"]
    if where == "members":
        names = list(Link.objects.filter(container_id=group.id, relation="members").values_list("member__display_name", flat=True))
        sign_in_as(page, "admin@contoso.example", start=f"/groups/{group.id}/")
        rows = page.locator("#member-rows > tr[id^=member-] th[scope=row]")
        header = page.locator("#member-table").get_by_role("columnheader", name="Name", exact=True)  # not the owners'

    else:
        seed_more_groups()
        names = list(DirectoryObject.objects.filter(kind="group").values_list("display_name", flat=True))
        sign_in_as(page, "admin@contoso.example", start="/groups/")
        rows = page.locator("table.containers tbody td.name")
        header = page.get_by_role("columnheader", name="Name", exact=True)
    backwards = sorted(names, reverse=True)
    header.get_by_role("button", name="Name").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(rows.first).to_have_text(backwards[0])
    assert [rows.nth(i).inner_text() for i in range(3)] == backwards[:3]
    page.get_by_role("button", name="Load more").click()
    expect(rows).to_have_count(100 if where == "members" else min(100, len(names)))
    assert rows.nth(50).inner_text() == backwards[50]  # the next page goes on backwards
    if where == "members":  # a search answers in the order chosen
        with page.expect_response(lambda response: "q=an" in response.url and "sort=desc" in response.url):
            page.get_by_label(f"Search members of {group.display_name}").fill("an")
        expect(page.locator("#member-shown")).to_contain_text("“an”")  # the answer is in place
        found = rows.all_inner_texts()
        assert len(found) > 1 and found == sorted(found, reverse=True)
        expect(header).to_have_attribute("aria-sort", "descending")
    else:
        page.get_by_label("Search groups by name").fill("seattle")
        expect(rows).to_have_text(sorted((n for n in names if n.lower().startswith("seattle")), reverse=True))
        assert "sort=desc" in page.url  # the address keeps the order
    header.get_by_role("button", name="Name").click()  # back to A to Z, the search kept
    expect(header).to_have_attribute("aria-sort", "ascending")
    shown = rows.all_inner_texts()
    assert len(shown) > 1 and shown == sorted(shown)


def seed_more_groups():
    from members.graph import LIST_PAGE_SIZE
    from sandbox.seed import seed_tenant
    from tests.conftest import SMALL_TENANT

    seed_tenant(**{**SMALL_TENANT, "groups": 2 * LIST_PAGE_SIZE + 10})
