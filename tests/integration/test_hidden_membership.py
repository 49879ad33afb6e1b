"""Hidden membership as Entra does it, through the app: the scope and a user who may see it; the app
says why a list is hidden; the journal never shows what the unit's page would not."""

import csv
import io
from html import unescape

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from sandbox.models import Link


def make_auditor(upn: str) -> None:
    group, _ = Group.objects.get_or_create(name="journal-auditors")
    get_user_model().objects.get(email=upn).groups.add(group)


def test_the_unit_page_says_why_its_members_are_hidden(sign_in, tenant):
    unit = tenant["hidden_unit"].id
    member = tenant["hidden_unit_member"]
    desk = sign_in("user@contoso.example")
    page = unescape(desk.get(f"{desk.base_url}/units/{unit}/").text)
    assert ("The members of this unit are hidden: Entra lists them only to the unit's own members and to holders of "
            "the Global Administrator, Privileged Role Administrator or Global Reader role, and only through an app "
            "granted Member.Read.Hidden.") in page
    assert "You are not a member of this unit and hold none of those roles." in page
    assert member.display_name not in page
    pra = sign_in("pra@contoso.example")
    assert member.display_name in unescape(pra.get(f"{pra.base_url}/units/{unit}/").text)
    noconsent = unescape(sign_in("noconsent@contoso.example").get(f"{desk.base_url}/units/{unit}/").text)
    assert "This app was not granted Member.Read.Hidden for you." in noconsent


def test_the_journal_hides_the_member_where_the_units_page_would(sign_in, tenant):
    unit = tenant["hidden_unit"].id
    newcomer = tenant["spare_users"][0]
    pra = sign_in("pra@contoso.example")
    pra.get(f"{pra.base_url}/units/{unit}/")
    added = pra.htmx("POST", f"/units/{unit}/members/", data={"member": [newcomer.id]}, headers={"HX-Target": "add-results"})
    assert "Added." in added.text and Link.objects.filter(container_id=unit, member_id=newcomer.id).exists()

    user = sign_in("user@contoso.example")
    make_auditor("user@contoso.example")
    journal = unescape(user.get(f"{user.base_url}/activity/").text)
    assert "(hidden member)" in journal and newcomer.display_name not in journal and newcomer.id not in journal
    assert "Graph doesn't show you the members of this unit" in journal
    rows = list(csv.DictReader(io.StringIO(user.get(f"{user.base_url}/activity/?format=csv").text)))
    assert [(r["member"], r["member_id"], r["container"]) for r in rows] == [("(hidden member)", "", "HR Confidential")]
    unit_page = unescape(user.get(f"{user.base_url}/units/{unit}/").text)
    assert newcomer.display_name not in unit_page and "(hidden member)" in unit_page

    make_auditor("pra@contoso.example")
    assert newcomer.display_name in unescape(pra.get(f"{pra.base_url}/activity/").text)
