"""The words pages say (issue 9, "Words"): plurals, counts said one way, thousands separators,
plain outcomes before Graph's codes, times with their zone, where a protected group is managed,
roles that are not activated, the journal's own page for a bad link, membership rules, whole
descriptions, and who can only look. Rendered through Django's test client, Graph faked at the seam.
"""

import re
from dataclasses import replace
from datetime import datetime, timezone
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from members.directory import ContainerInfo, DirectoryItem, Kind, Page
from members.models import AuditEntry
from members.permissions import GROUPS_ADMIN
from tests.fakes import DENIED, NOT_FOUND, FakeGraph, replace_graph

GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
UNIT = "5b0e6b4f-5a1e-4f0e-9c6a-0f1d2e3c4b5a"
ROLE = "8a3b6c1d-2e4f-4a5b-9c8d-7e6f5a4b3c2d"
TEMPLATE = "194ae4cb-b126-40b2-bd5b-6091b380977d"
HX = {"HX-Request": "true", "HX-Current-URL": f"http://testserver/groups/{GROUP}/"}
WRITE_SCOPES = ["GroupMember.ReadWrite.All", "AdministrativeUnit.ReadWrite.All", "RoleManagement.ReadWrite.Directory",
                "Directory.Read.All"]
READ_ONLY_SCOPES = ["User.Read", "Directory.Read.All", "GroupMember.Read.All", "AdministrativeUnit.Read.All",
                    "RoleManagement.Read.Directory"]
GROUPS_ADMINISTRATOR = {"roles": [GROUPS_ADMIN], "scoped": [], "owned_groups": [], "known": True}
NOBODY = {"roles": [], "scoped": [], "owned_groups": [], "known": True}

pytestmark = pytest.mark.django_db


def container(kind: Kind, container_id: str, name: str, **data) -> ContainerInfo:
    return ContainerInfo.from_graph(kind, {"id": container_id, "displayName": name, **data})


def people(count: int, start: int = 0) -> list[DirectoryItem]:
    return [DirectoryItem(f"00000000-0000-4000-8000-{n:012d}", "user", f"Person {n}", f"person{n}@contoso.example")
            for n in range(start, start + count)]


class BigGraph(FakeGraph):
    """A group of 5,000 members, 50 to a page, and a list of 300 groups, 25 to a page."""

    def list_members(self, container, *, search="", top=50):
        return Page(people(50), next_link="https://graph.sandbox.test/v1.0/next-members")

    def count_members(self, container):
        return 5000

    def next_page(self, link, parse, *, eventual=False):
        return Page(people(50, 50), next_link="https://graph.sandbox.test/v1.0/next-members-2")

    def list_containers(self, kind, *, search="", top=50):
        groups = [container(Kind.GROUPS, f"00000000-0000-4000-9000-{n:012d}", f"Group {n}", groupTypes=[],
                            securityEnabled=True) for n in range(25)]
        return Page([replace(groups[0], member_count=5000)] + groups[1:],
                    next_link="https://graph.sandbox.test/v1.0/next-groups", count=300)


@pytest.fixture
def user():
    return get_user_model().objects.create(username="oid-1", email="helpdesk@contoso.example", first_name="Helpdesk")


def signed_in_with(client, user, scopes):
    client.force_login(user)
    session = client.session
    session["granted_scopes"] = scopes
    session.save()
    return client


@pytest.fixture
def signed_in(client, user):
    return signed_in_with(client, user, WRITE_SCOPES)


def use_graph(monkeypatch, fake: FakeGraph) -> FakeGraph:
    replace_graph(monkeypatch, lambda request: fake)
    return fake


def page_text(response) -> str:
    """The page's HTML with entities decoded and whitespace folded, as a reader would meet it."""
    return " ".join(unescape(response.content.decode()).split())


def count_line(html: str) -> str:
    match = re.search(r'<p class="count" id="[a-z-]+"[^>]*>(.*?)</p>', html)
    assert match, "no count line"
    return match.group(1)


# --- plurals and counts ------------------------------------------------------------------------

def test_a_search_matching_one_unit_or_one_group_says_it_in_the_singular(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={UNIT: container(Kind.UNITS, UNIT, "Sales Department"),
                                                 GROUP: container(Kind.GROUPS, GROUP, "Sales Team", groupTypes=[])}))
    units = page_text(signed_in.get("/units/?q=sales"))
    groups = page_text(signed_in.get("/groups/?q=sales"))
    assert count_line(units) == "1 administrative unit matches “sales”"
    assert count_line(groups) == "1 group matches “sales”"
    assert "units match" not in units and "groups match" not in groups


def test_a_member_table_showing_everyone_leaves_the_count_to_the_pages_facts(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: container(Kind.GROUPS, GROUP, "Helpdesk", groupTypes=[])},
                                     members={GROUP: people(11)}, access=GROUPS_ADMINISTRATOR))
    html = page_text(signed_in.get(f"/groups/{GROUP}/"))
    assert count_line(html) == "" and "Showing" not in html
    assert re.search(r'<dd id="member-count"[^>]*>11</dd>', html)
    search = page_text(signed_in.get(reverse("members:member-collection", args=["groups", GROUP]) + "?q=person 1", headers=HX))
    assert count_line(search) == "2 members match “person 1”"  # Person 1 and Person 10


def test_a_search_matching_several_says_them_in_the_plural(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: container(Kind.GROUPS, GROUP, "Sales Team", groupTypes=[]),
                                                 UNIT: container(Kind.GROUPS, UNIT, "Sales Leads", groupTypes=[])}))
    assert count_line(page_text(signed_in.get("/groups/?q=sales"))) == "2 groups match “sales”"


def test_lists_and_member_tables_say_showing_n_of_total_with_thousands_separators(signed_in, monkeypatch):
    use_graph(monkeypatch, BigGraph(containers={GROUP: container(Kind.GROUPS, GROUP, "All Employees", groupTypes=[])},
                                    access=GROUPS_ADMINISTRATOR))
    groups = page_text(signed_in.get("/groups/"))
    assert count_line(groups) == "Showing 25 of 300 groups"
    assert '<td class="num">5,000</td>' in groups  # the member count of a listed group
    detail = page_text(signed_in.get(f"/groups/{GROUP}/"))
    assert count_line(detail) == "Showing 50 of 5,000 members"
    assert '<dd id="member-count"' in detail and ">5,000</dd>" in detail


def test_load_more_updates_how_many_are_shown(signed_in, monkeypatch):
    use_graph(monkeypatch, BigGraph(containers={GROUP: container(Kind.GROUPS, GROUP, "All Employees", groupTypes=[])},
                                    access=GROUPS_ADMINISTRATOR))
    for path in (f"/groups/{GROUP}/", "/groups/"):
        html = unescape(signed_in.get(path).content.decode())
        more_url = re.search(r'<button hx-get="([^"]+)"[^>]*>Load more', html).group(1)
        rows = page_text(signed_in.get(more_url, headers={**HX, "HX-Target": "members-more"}))
        assert 'hx-swap-oob="true"' in rows
        expected = "Showing 100 of 5,000 members" if "members" in more_url else "Showing 75 of 300 groups"
        assert count_line(rows) == expected


def test_a_count_that_travels_in_the_link_must_be_a_number(signed_in, monkeypatch):
    use_graph(monkeypatch, BigGraph(containers={GROUP: container(Kind.GROUPS, GROUP, "All Employees", groupTypes=[])},
                                    access=GROUPS_ADMINISTRATOR))
    html = unescape(signed_in.get(f"/groups/{GROUP}/").content.decode())
    more = re.search(r"more=([^&]+)&", html).group(1)
    url = reverse("members:member-collection", args=["groups", GROUP]) + f"?more={more}&shown=x{'9' * 5000}&total=-4"
    rows = page_text(signed_in.get(url, headers=HX))
    assert count_line(rows) == "Showing 50 members"  # only this answer's rows, of an unknown total


def test_a_3000_character_search_is_echoed_short(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph())
    html = page_text(signed_in.get("/groups/?q=" + "x" * 3000))
    assert "No groups match “" + "x" * 59 + "…”." in html
    assert "x" * 61 not in html.replace('value="' + "x" * 3000 + '"', "")  # only the search box holds it all


# --- the journal ------------------------------------------------------------------------------

def journal_entry(**fields) -> AuditEntry:
    # The signed-in helpdesk@'s own entry: a person reads their own journal (issue 10).
    values = {"actor": get_user_model().objects.get(username="oid-1"), "actor_upn": "helpdesk@contoso.example", "action": "add", "container_kind": "groups",
              "container_id": GROUP, "container_name": "Helpdesk Tier 1", "member_id": people(1)[0].id,
              "member_name": "Person 0", "outcome": "already", "graph_status": 400, "graph_code": "Request_BadRequest",
              "message": "Already a member.", "request_id": "rid-1", **fields}
    entry = AuditEntry.objects.create(**values)
    AuditEntry.objects.filter(pk=entry.pk).update(created_at=datetime(2026, 11, 24, 14, 5, 9, tzinfo=timezone.utc))
    return entry


def test_activity_says_the_outcome_in_plain_words_and_keeps_graphs_code_in_the_details(signed_in):
    journal_entry()
    html = page_text(signed_in.get("/activity/"))
    outcome = re.search(r'<td class="outcome">(.*?)</td>', html).group(1)
    assert outcome.startswith("No change needed<br><span class=\"muted\">Already a member.</span>")
    assert re.search(r"<details class=\"graph-answer\"><summary>Graph's answer</summary><code>400 Request_BadRequest</code></details>", outcome)
    assert "No change needed (400" not in html


def test_times_carry_their_time_zone(signed_in):
    journal_entry()
    html = page_text(signed_in.get("/activity/"))
    assert '<time datetime="2026-11-24T14:05:09+00:00">2026-11-24 14:05 UTC</time>' in html


def test_a_filtered_activity_page_names_its_container(signed_in):
    journal_entry()
    html = page_text(signed_in.get(f"/activity/?container={GROUP}"))
    assert "<h1>Activity: Helpdesk Tier 1</h1>" in html
    assert f'<a href="/groups/{GROUP}/">Helpdesk Tier 1</a>' in html


def test_activity_for_something_that_is_not_a_container_id_is_a_page_that_says_so(signed_in):
    response = signed_in.get("/activity/?container=zzz")
    html = page_text(response)
    assert response.status_code == 400
    assert "<main id=\"main\">" in html and "<h1>Activity</h1>" in html and 'role="alert"' in html
    assert "not a container's object id" in html and '<a href="/activity/">Show all activity</a>' in html


# --- containers -------------------------------------------------------------------------------

@pytest.mark.parametrize("flags, kind", [({"mailEnabled": True, "securityEnabled": False}, "distribution list"),
                                         ({"mailEnabled": True, "securityEnabled": True}, "mail-enabled security group")])
def test_a_group_only_exchange_can_change_says_it_is_managed_in_the_exchange_admin_center(signed_in, monkeypatch, flags, kind):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: container(Kind.GROUPS, GROUP, "Announcements", groupTypes=[], **flags)},
                                     access=GROUPS_ADMINISTRATOR))
    html = page_text(signed_in.get(f"/groups/{GROUP}/"))
    reason = re.search(r'<p class="notice" id="why-disabled">(.*?)</p>', html).group(1)
    assert reason == f"It is a {kind}, which Graph cannot change: its members are managed in the Exchange admin center."


def test_a_role_template_that_is_not_activated_says_so_and_that_it_has_no_members(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph())  # Graph: 404 for /directoryRoles(roleTemplateId='...')
    response = signed_in.get(f"/roles/template/{TEMPLATE}/")
    html = page_text(response)
    assert response.status_code == 404
    assert "This directory role is not activated in this tenant, so it has no members." in html
    assert "exist" not in html


def test_a_missing_role_by_object_id_still_says_it_does_not_exist(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph())
    html = page_text(signed_in.get(f"/roles/{ROLE}/"))
    assert "doesn't exist" in html and "not activated" not in html


@pytest.mark.parametrize("kind, container_id, data", [
    (Kind.GROUPS, GROUP, {"groupTypes": ["DynamicMembership"], "securityEnabled": True,
                          "membershipRule": '(user.department -eq "Sales")'}),
    (Kind.UNITS, UNIT, {"membershipType": "Dynamic", "membershipRule": '(user.department -eq "Sales")'}),
])
def test_dynamic_groups_and_units_show_their_membership_rule(signed_in, monkeypatch, kind, container_id, data):
    use_graph(monkeypatch, FakeGraph(containers={container_id: container(kind, container_id, "Sales", **data)},
                                     access=GROUPS_ADMINISTRATOR))
    html = page_text(signed_in.get(f"/{kind.value}/{container_id}/"))
    assert '<dt>Membership rule</dt><dd><code class="rule">(user.department -eq "Sales")</code></dd>' in html


def test_role_descriptions_are_shown_whole(signed_in, monkeypatch):
    description = ("Members of this role can create/manage groups, create/manage groups settings like naming and "
                   "expiration policies, and view groups activity and audit reports.")
    assert len(description) > 90
    use_graph(monkeypatch, FakeGraph(containers={ROLE: container(Kind.ROLES, ROLE, "Groups Administrator",
                                                                 description=description, roleTemplateId=GROUPS_ADMIN)}))
    html = page_text(signed_in.get("/roles/"))
    assert f'<td class="description muted">{description}</td>' in html


# --- who can only look ------------------------------------------------------------------------

def test_read_only_consent_on_a_unit_names_both_the_consent_and_the_missing_role(client, user, monkeypatch):
    unit = container(Kind.UNITS, UNIT, "Paris Office")
    member = people(1)[0]
    use_graph(monkeypatch, FakeGraph(containers={UNIT: unit}, members={UNIT: [member]}, access=GROUPS_ADMINISTRATOR,
                                     errors={(UNIT, member.id): DENIED}))
    desk = signed_in_with(client, user, READ_ONLY_SCOPES)
    html = page_text(desk.get(f"/units/{UNIT}/"))
    reason = re.search(r'<p class="notice" id="why-disabled">(.*?)</p>', html).group(1)
    assert "This app was not granted AdministrativeUnit.ReadWrite.All for you" in reason
    assert "You also don't have the Privileged Role Administrator role" in reason
    refused = page_text(desk.delete(reverse("members:member-remove", args=["units", UNIT, member.id]),
                                    headers={**HX, "HX-Current-URL": f"http://testserver/units/{UNIT}/"}))
    assert "not granted the AdministrativeUnit.ReadWrite.All permission" in refused
    assert "You also don't have the Privileged Role Administrator role" in refused


def test_read_only_consent_with_the_role_names_only_the_consent(client, user, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: container(Kind.GROUPS, GROUP, "Helpdesk", groupTypes=[])},
                                     access=GROUPS_ADMINISTRATOR))
    html = page_text(signed_in_with(client, user, READ_ONLY_SCOPES).get(f"/groups/{GROUP}/"))
    assert "This app was not granted GroupMember.ReadWrite.All for you" in html and "You also don't have" not in html


def test_home_tells_someone_without_a_role_that_they_can_look_but_not_change(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(access=NOBODY))
    html = page_text(signed_in.get("/"))
    assert "You can look, but not change: you hold no administrator role and own no group" in html


def test_home_tells_someone_granted_only_read_scopes_that_they_can_look_but_not_change(client, user, monkeypatch):
    use_graph(monkeypatch, FakeGraph(access=GROUPS_ADMINISTRATOR))
    html = page_text(signed_in_with(client, user, READ_ONLY_SCOPES).get("/"))
    assert "You can look, but not change: this app was granted only read permissions for you" in html


@pytest.mark.parametrize("access", [GROUPS_ADMINISTRATOR, {**NOBODY, "owned_groups": [GROUP]}, {**NOBODY, "known": False}])
def test_home_says_nothing_of_the_kind_to_someone_who_can_change(signed_in, monkeypatch, access):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: container(Kind.GROUPS, GROUP, "Project Falcon", groupTypes=[])},
                                     access=access))
    assert "You can look, but not change" not in page_text(signed_in.get("/"))


def test_a_missing_group_is_still_a_404_that_says_it_does_not_exist(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph())
    response = signed_in.get(f"/groups/{GROUP}/")
    assert response.status_code == 404 and NOT_FOUND.code not in page_text(response)


def test_numbers_in_sentences_carry_thousands_separators(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: container(Kind.GROUPS, GROUP, "All Employees", groupTypes=[])}))
    picked = [person.id for person in people(1001)]
    html = page_text(signed_in.post(reverse("members:member-bulk-remove", args=["groups", GROUP]), {"member": picked},
                                    headers={**HX, "HX-Target": "bulk-results"}))
    assert "at most 1,000 members per change, and 1,001 were selected. Nothing was sent." in html
