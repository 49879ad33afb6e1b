"""The home page starts a delegated admin from their own roles, units and groups."""

from html import unescape


def test_unit_admin_sees_their_unit_and_the_groups_their_role_reaches(sign_in, tenant):
    desk = sign_in("unitadmin@contoso.example")
    page = unescape(desk.get(f"{desk.base_url}/").text)
    units = page[page.index("My units"):page.index("My recent changes")]
    assert tenant["unit_of_unitadmin"].display_name in units and "Groups Administrator for this unit" in units
    reachable = units[units.index("Groups whose members you can change"):]
    assert f'href="/groups/{tenant["group_in_unit"].id}/"' in reachable
    assert tenant["group_outside_unit"].display_name not in units


def test_owner_sees_the_group_they_own_and_no_admin_role(sign_in, tenant):
    desk = sign_in("owner@contoso.example")
    page = unescape(desk.get(f"{desk.base_url}/").text)
    assert "No tenant-wide admin role." in page and "Groups I own" in page
    assert f'href="/groups/{tenant["owned_group"].id}/">{tenant["owned_group"].display_name}</a>' in page


def test_privileged_role_administrator_sees_their_role(sign_in, tenant):
    desk = sign_in("pra@contoso.example")
    page = unescape(desk.get(f"{desk.base_url}/").text)
    roles = page[page.index("My roles"):page.index("My units")]
    assert "Privileged Role Administrator" in roles and "(whole tenant)" in roles
