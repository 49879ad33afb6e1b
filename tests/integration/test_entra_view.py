"""What Entra shows on a group page, against the live sandbox: direct or all members (nested groups'
too, read-only, saying through which group), filtered by type; in two Graph round trips."""

import re
from html import unescape

from sandbox import knobs
from sandbox.models import Link


def ids_of(container_id: str, kind: str | None = None) -> set[str]:
    links = Link.objects.filter(container_id=container_id, relation="members")
    if kind:
        links = links.filter(member__kind=kind)
    return {str(m) for m in links.values_list("member_id", flat=True)}


def rows(html: str) -> dict[str, str]:
    """Each member row's HTML, by member id."""
    return {m.group(2): unescape(m.group(0)) for m in re.finditer(r'<tr id="(member|nested)-([0-9a-f-]{36})".*?</tr>', html, re.S)}


def text(row: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", row).split())


def test_all_members_include_the_nested_groups_read_only_and_say_through_which(sign_in, tenant):
    group, leads = tenant["helpdesk_group"], tenant["helpdesk_leads_group"]
    desk = sign_in("helpdesk@contoso.example")
    desk.get(f"{desk.base_url}/groups/{group.id}/")
    knobs.clear_request_log()
    answer = desk.htmx("GET", f"/groups/{group.id}/members/view/?show=all")
    shown = rows(answer.text)
    nested = ids_of(leads.id) - ids_of(group.id)
    assert nested and set(shown) == ids_of(group.id) | nested
    for member in nested:
        assert f"Through {leads.display_name}" in text(shown[member]) and "Remove" not in shown[member]
        assert shown[member].startswith(f'<tr id="nested-{member}"')
    for member in ids_of(group.id):
        assert shown[member].startswith(f'<tr id="member-{member}"') and "aria-label=\"Remove" in shown[member]
    assert len(knobs.request_log()) == 2


def test_members_filtered_by_type_direct_or_all(sign_in, tenant):
    group = tenant["helpdesk_group"]
    desk = sign_in("helpdesk@contoso.example")
    desk.get(f"{desk.base_url}/groups/{group.id}/")
    devices = rows(desk.htmx("GET", f"/groups/{group.id}/members/view/?type=device").text)
    assert set(devices) == ids_of(group.id, "device")
    users = rows(desk.htmx("GET", f"/groups/{group.id}/members/view/?show=all&type=user").text)
    assert set(users) == ids_of(group.id, "user") | ids_of(tenant["helpdesk_leads_group"].id, "user")
    knobs.clear_request_log()
    none = desk.htmx("GET", f"/groups/{tenant['m365_group'].id}/members/view/?type=device").text
    assert "No device members." in none and 'role="alert"' not in none  # a Microsoft 365 group holds users only
    assert not [e for e in knobs.request_log() if "/members" in e.path]


def test_load_more_keeps_the_view(sign_in, tenant):
    group = tenant["big_group"]
    desk = sign_in("helpdesk@contoso.example")
    desk.get(f"{desk.base_url}/groups/{group.id}/")
    first = desk.htmx("GET", f"/groups/{group.id}/members/view/?type=device")
    more = re.search(r"more=([^&]+)&show=direct&type=device", first.text).group(1)
    second = desk.htmx("GET", f"/groups/{group.id}/members/view/?more={more}&show=direct&type=device")
    seen = set(rows(first.text)) | set(rows(second.text))
    assert len(seen) == 100 and seen <= ids_of(group.id, "device")


def test_a_unit_offers_the_type_filter_but_not_nesting(sign_in, tenant):
    unit = tenant["plain_unit"]
    desk = sign_in("pra@contoso.example")
    page = unescape(desk.get(f"{desk.base_url}/units/{unit.id}/").text)
    assert 'name="type"' in page and 'value="all"' not in page
    shown = rows(desk.htmx("GET", f"/units/{unit.id}/members/view/?show=all&type=group").text)
    assert set(shown) == ids_of(unit.id, "group")
    assert desk.get(f"{desk.base_url}/units/{unit.id}/members/view/").status_code == 200  # no htmx: back to the page
