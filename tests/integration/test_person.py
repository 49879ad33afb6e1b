"""A person's memberships against the live sandbox: what is listed, what may be removed, the round trips."""

import re
from html import unescape

from members.models import AuditEntry
from sandbox import knobs
from sandbox.models import Link


def row(html: str, container_id: str) -> str:
    match = re.search(rf'<tr id="membership-{container_id}".*?</tr>', html, re.S)
    return unescape(match.group(0)) if match else ""


def test_a_users_groups_units_and_roles_are_listed_in_one_round_trip_each_with_remove_as_allowed(sign_in, tenant):
    person = tenant["role_member"]  # Hugo Brandt holds the Helpdesk Administrator role
    Link.objects.create(container_id=tenant["plain_unit"].id, member_id=person.id, relation="members")
    Link.objects.create(container_id=tenant["group_outside_unit"].id, member_id=person.id, relation="members")
    desk = sign_in("helpdesk@contoso.example")
    knobs.clear_request_log()
    page = desk.get(f"{desk.base_url}/people/{person.id}/")
    assert page.status_code == 200 and len(knobs.request_log()) == 1
    group = row(page.text, tenant["group_outside_unit"].id)
    unit = row(page.text, tenant["plain_unit"].id)
    role = row(page.text, tenant["roles"]["729827e3-9c14-49f7-bb1b-9608f156bbb8"].id)
    assert "Paris Helpdesk" in group and " disabled" not in group
    assert "Paris Office" in unit and " disabled" in unit and "Privileged Role Administrator" in unit
    assert "Helpdesk Administrator" in role and " disabled" in role


def test_hidden_unit_memberships_are_not_shown_to_who_may_not_see_them(sign_in, tenant):
    person = tenant["hidden_unit_member"]
    helpdesk = sign_in("helpdesk@contoso.example")
    assert "HR Confidential" not in helpdesk.get(f"{helpdesk.base_url}/people/{person.id}/").text
    pra = sign_in("pra@contoso.example")
    assert "HR Confidential" in pra.get(f"{pra.base_url}/people/{person.id}/").text


def test_removing_from_several_is_one_journaled_change_each_and_lists_what_is_left(sign_in, tenant):
    person = tenant["user"]
    groups = [tenant["helpdesk_group"].id, tenant["m365_group"].id]
    desk = sign_in("helpdesk@contoso.example")
    desk.get(f"{desk.base_url}/people/{person.id}/")
    knobs.clear_request_log()
    answer = desk.htmx("POST", f"/people/{person.id}/remove/", data={"container": [f"groups:{g}" for g in groups]})
    html = unescape(answer.text)
    assert html.count("Removed.") == 2 and 'id="memberships" ' in answer.text and 'hx-swap-oob="true"' in answer.text
    assert "Not a direct member of any group, unit or role." in html
    assert [e.method for e in knobs.request_log()] == ["DELETE", "DELETE", "POST"]  # two removals, one read back
    assert sorted(AuditEntry.objects.values_list("container_id", "member_id", "outcome")) == sorted(
        (g, person.id, "done") for g in groups)


def test_adding_to_several_groups_says_each_outcome(sign_in, tenant):
    person = tenant["user"]
    desk = sign_in("helpdesk@contoso.example")
    answer = unescape(desk.htmx("POST", f"/people/{person.id}/add/", data={
        "group": [tenant["owned_group"].id, tenant["helpdesk_group"].id, tenant["dynamic_group"].id]}).text)
    assert "Added." in answer and "Already a member." in answer and "membership rule" in answer
    assert Link.objects.filter(container_id=tenant["owned_group"].id, member_id=person.id).exists()


def test_bad_requests_are_400_and_an_unknown_person_404(sign_in, tenant):
    desk = sign_in("helpdesk@contoso.example")
    person = tenant["user"].id
    assert desk.htmx("POST", f"/people/{person}/remove/", data={"container": "groups:nope"}).status_code == 400
    assert desk.htmx("POST", f"/people/{person}/remove/", data={"container": "planets:" + person}).status_code == 400
    assert desk.htmx("POST", f"/people/{person}/add/", data={"group": "../x"}).status_code == 400
    assert desk.get(f"{desk.base_url}/people/00000000-1111-4222-8333-444444444444/").status_code == 404
    assert desk.get(f"{desk.base_url}/people/not-a-guid/").status_code == 404
    nothing = desk.htmx("POST", f"/people/{person}/remove/", data={})
    assert nothing.status_code == 200 and "Select at least one first." in nothing.text
    assert not AuditEntry.objects.exists()


def test_a_devices_memberships_and_the_group_picker(sign_in, tenant):
    device = tenant["device"]
    desk = sign_in("helpdesk@contoso.example")
    page = unescape(desk.get(f"{desk.base_url}/people/{device.id}/").text)
    assert "Helpdesk Tier 1" in page and "SEA-LAPTOP-0042" in page
    picked = unescape(desk.htmx("GET", f"/people/{device.id}/groups/?q=Project Falcon").text)
    assert f'value="{tenant["owned_group"].id}"' in picked


OUTSIDE_UNITS = "Your administrator role is scoped to administrative units, and this group is in none of them."


def candidate(html: str, group_id: str) -> str:
    match = re.search(rf'<label class="candidate[^"]*">\s*<input type="checkbox" name="group" value="{group_id}".*?</label>', html, re.S)
    return unescape(match.group(0)) if match else ""


def test_a_unit_admins_groups_are_judged_by_their_units_read_in_one_more_round_trip_then_remembered(sign_in, tenant):
    person, inside, outside = tenant["user"], tenant["group_in_unit"], tenant["helpdesk_group"]
    Link.objects.create(container_id=inside.id, member_id=person.id, relation="members")
    uma = sign_in("unitadmin@contoso.example")
    knobs.clear_request_log()
    page = uma.get(f"{uma.base_url}/people/{person.id}/")
    assert page.status_code == 200 and len(knobs.request_log()) == 2  # the memberships, then the units of their groups
    mine, theirs = row(page.text, inside.id), row(page.text, outside.id)
    assert " disabled" not in mine and "aria-disabled" not in mine
    assert 'disabled aria-describedby="why-' in theirs and 'aria-disabled="true"' in theirs and OUTSIDE_UNITS in theirs
    knobs.clear_request_log()
    uma.get(f"{uma.base_url}/people/{person.id}/")
    assert len(knobs.request_log()) == 1  # the units are what the session already knows


def test_the_group_picker_marks_memberships_and_groups_out_of_reach_and_an_add_redraws_it(sign_in, tenant):
    person, inside = tenant["user"], tenant["group_in_unit"]
    printers, paris = tenant["seattle_printers_group"], tenant["group_outside_unit"]
    Link.objects.create(container_id=inside.id, member_id=person.id, relation="members")
    uma = sign_in("unitadmin@contoso.example")
    uma.get(f"{uma.base_url}/people/{person.id}/")
    searched = uma.htmx("GET", f"/people/{person.id}/groups/?q=Seattle")
    # the search and the person's memberships at once, then the units of the groups the page had not shown
    assert searched.headers["Server-Timing"].split(", ")[0].endswith('"2 Graph round trips"')
    picked = searched.text
    assert "Already a member" in candidate(picked, inside.id) and " disabled" in candidate(picked, inside.id)
    assert " disabled" not in candidate(picked, printers.id) and "Already a member" not in candidate(picked, printers.id)
    outside = candidate(uma.htmx("GET", f"/people/{person.id}/groups/?q=Paris Helpdesk").text, paris.id)
    assert " disabled" in outside and OUTSIDE_UNITS in outside

    answer = uma.htmx("POST", f"/people/{person.id}/add/", data={"group": [printers.id], "q": "Seattle"}).text
    assert '<fieldset id="group-candidates" class="candidates" hx-swap-oob="true">' in answer
    assert "Already a member" in candidate(answer, printers.id) and " checked" not in candidate(answer, printers.id)
    assert Link.objects.filter(container_id=printers.id, member_id=person.id).exists()
