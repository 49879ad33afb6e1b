"""The member views through Django's test client, with and without HX-Request, Graph faked at the seam."""

import json
import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from members.graph import GraphError
from members.directory import ContainerInfo, DirectoryItem
from members.models import AuditEntry
from members.permissions import GROUPS_ADMIN
from members.directory import Kind
from accounts.tokens import ReauthenticationRequired
from tests.fakes import DENIED, MAIL_ENABLED, NOT_FOUND, THROTTLED, FakeGraph, replace_graph

GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
USER = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"
USER2 = "c11b732b-0e16-46c1-b0fa-bd32c8a42455"
HX = {"HX-Request": "true", "HX-Current-URL": f"http://testserver/groups/{GROUP}/"}

pytestmark = pytest.mark.django_db


def a_group(**data) -> ContainerInfo:
    return ContainerInfo.from_graph(Kind.GROUPS, {"id": GROUP, "displayName": "Helpdesk Tier 1", "groupTypes": [],
                                                   "securityEnabled": True, "mailEnabled": False, **data})


ADELE = DirectoryItem(USER, "user", "Adele Vance", "adele@contoso.example")
BOB = DirectoryItem(USER2, "user", "Bob Kelly", "bob@contoso.example")


@pytest.fixture
def user():
    return get_user_model().objects.create(username="oid-1", email="helpdesk@contoso.example", first_name="Helpdesk")


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    session = client.session
    session["granted_scopes"] = ["GroupMember.ReadWrite.All", "Directory.Read.All"]
    session.save()
    return client


def use_graph(monkeypatch, fake: FakeGraph) -> FakeGraph:
    def graph_for(request):
        request.graph_stats = fake.stats  # as members.client.graph_for does: Server-Timing counts the fake's calls
        return fake
    replace_graph(monkeypatch, graph_for)
    return fake


def remove_url(member=USER, group=GROUP):
    return reverse("members:member-remove", args=["groups", group, member])


def test_remove_success_replaces_the_row_and_audits(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]},
                                            access={"roles": [GROUPS_ADMIN], "scoped": [], "owned_groups": [], "known": True}))
    response = signed_in.delete(remove_url(), headers=HX)
    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<tr id="removed-{USER}" class="removed"')
    assert "Removed." in html and "Undo" in html and 'aria-label="Remove Adele Vance"' not in html
    assert json.loads(response.headers["HX-Trigger-After-Settle"]) == {"membersChanged": {}}
    assert ("remove_member", GROUP, USER) in fake.calls
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.member_name, entry.container_name, entry.request_id) == (
        "remove", "done", "Adele Vance", "Helpdesk Tier 1", "rid-done")


def test_remove_denied_shows_inline_error_in_row(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]},
                                     errors={(GROUP, USER): DENIED}))
    response = signed_in.delete(remove_url(), headers=HX)
    html = unescape(response.content.decode())
    assert response.status_code == 200 and html.lstrip().startswith(f'<tr id="member-{USER}"')
    assert 'role="alert"' in html and "<html" not in html
    assert "You don't have the Groups Administrator role" in html
    assert 'aria-label="Remove Adele Vance"' in html  # the row stays, button and all
    assert DENIED.request_id in html
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.graph_status, entry.graph_code, entry.request_id) == (
        "refused", 403, "Authorization_RequestDenied", DENIED.request_id)


def test_remove_denied_for_missing_scope_names_the_scope(signed_in, monkeypatch):
    session = signed_in.session
    session["granted_scopes"] = ["GroupMember.Read.All"]
    session.save()
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]},
                                     errors={(GROUP, USER): DENIED}))
    html = unescape(signed_in.delete(remove_url(), headers=HX).content.decode())
    assert "not granted the GroupMember.ReadWrite.All permission" in html


def test_remove_from_a_mail_enabled_group_says_to_use_exchange(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group(mailEnabled=True)}, members={GROUP: [ADELE]},
                                     errors={(GROUP, USER): MAIL_ENABLED}))
    html = unescape(signed_in.delete(remove_url(), headers=HX).content.decode())
    assert 'role="alert"' in html and "Exchange admin center" in html


def test_remove_of_a_non_member_says_already_removed(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]},
                                     errors={(GROUP, USER): NOT_FOUND}))
    html = unescape(signed_in.delete(remove_url(), headers=HX).content.decode())
    assert "Already removed" in html and 'role="alert"' not in html
    assert AuditEntry.objects.get().outcome == "already"


def test_throttled_remove_says_when_to_try_again(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]},
                                     errors={(GROUP, USER): THROTTLED}))
    html = unescape(signed_in.delete(remove_url(), headers=HX).content.decode())
    assert "Graph is busy" in html and "Try again in 30 s" in html and 'role="alert"' in html
    assert AuditEntry.objects.get().outcome == "busy"


def test_remove_without_htmx_redirects_back_with_a_message(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    response = signed_in.post(remove_url())
    assert response.status_code == 302 and response.url == f"/groups/{GROUP}/"


@pytest.mark.parametrize("bad", ["not-a-guid", f"{USER}x", USER.replace("-", "")])
def test_remove_with_an_invalid_id_is_refused_before_graph(signed_in, monkeypatch, bad):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}))
    response = signed_in.delete(remove_url(member=bad), headers=HX)
    assert response.status_code == 400 and fake.calls == []
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize("path", [f"/groups/{GROUP}/members/../../users/{USER}/", f"/groups/{GROUP}/members/x%2F$ref/"])
def test_traversal_shaped_paths_never_reach_graph(signed_in, monkeypatch, path):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}))
    response = signed_in.delete(path, headers=HX)
    assert response.status_code in {400, 404, 405} and fake.calls == []


def test_get_never_removes(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    assert signed_in.get(remove_url()).status_code == 405
    assert fake.calls == []


def test_tokenless_htmx_delete_is_refused_by_csrf_and_the_page_reloads(user, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    response = csrf_client.delete(remove_url(), headers=HX)
    assert response.status_code == 403 and fake.calls == [] and AuditEntry.objects.count() == 0
    assert response.headers["HX-Refresh"] == "true"  # htmx reloads: the row is visibly still there


def test_tokenless_plain_post_gets_djangos_refusal_page(user, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}))
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    response = csrf_client.post(remove_url())
    assert response.status_code == 403 and "HX-Refresh" not in response.headers


def test_htmx_delete_with_the_csrf_header_passes(user, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(user)
    page = csrf_client.get(reverse("members:container-detail", args=["groups", GROUP]))
    token = page.context["csrf_token"]
    response = csrf_client.delete(remove_url(), headers={**HX, "X-CSRFToken": str(token)})
    assert response.status_code == 200


def test_signed_out_htmx_request_gets_hx_redirect_to_sign_in(client):
    response = client.delete(remove_url(), headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/accounts/sign-in/?next=/groups/{GROUP}/"


def test_signed_out_page_request_redirects_to_sign_in(client):
    response = client.get(f"/groups/{GROUP}/")
    assert response.status_code == 302 and response.url.startswith("/accounts/sign-in/?next=")


def test_expired_sign_in_during_htmx_remove_redirects_and_audits_not_sent(signed_in, monkeypatch):
    def expired(request):
        raise ReauthenticationRequired("invalid_grant")

    replace_graph(monkeypatch, expired)
    response = signed_in.delete(remove_url(), headers=HX)
    assert response.headers["HX-Redirect"].startswith("/accounts/sign-in/?next=")
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.member_id) == ("sign_in", USER)


def test_container_page_lists_members_with_named_remove_buttons(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE, BOB]},
                                     access={"roles": [GROUPS_ADMIN], "scoped": [], "owned_groups": [], "known": True}))
    response = signed_in.get(reverse("members:container-detail", args=["groups", GROUP]))
    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert 'aria-label="Remove Adele Vance"' in html and 'aria-label="Remove Bob Kelly"' in html
    assert "Graph round trips" in response.headers["Server-Timing"]


def test_buttons_are_disabled_with_the_reason_for_a_dynamic_group(signed_in, monkeypatch):
    group = a_group(groupTypes=["DynamicMembership"], membershipRule='user.department -eq "Sales"')
    use_graph(monkeypatch, FakeGraph(containers={GROUP: group}, members={GROUP: [ADELE]},
                                     access={"roles": [GROUPS_ADMIN], "scoped": [], "owned_groups": [], "known": True}))
    html = unescape(signed_in.get(reverse("members:container-detail", args=["groups", GROUP])).content.decode())
    assert "Its members are set by a membership rule." in html
    assert ' aria-disabled="true" ' in button_tag(html, "Remove Adele Vance")


def test_buttons_are_enabled_for_a_groups_administrator(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]},
                                     access={"roles": [GROUPS_ADMIN], "scoped": [], "owned_groups": [], "known": True}))
    html = unescape(signed_in.get(reverse("members:container-detail", args=["groups", GROUP])).content.decode())
    assert ' aria-disabled="true" ' not in button_tag(html, "Remove Adele Vance")


def button_tag(html: str, label: str) -> str:
    """The opening tag of the button with this accessible name, whitespace folded."""
    match = re.search(r"<button[^>]*aria-label=\"" + re.escape(label) + r"\"[^>]*>", html)
    assert match, f"no button {label!r}"
    return " ".join(match.group(0).split()) + " "


def test_add_reports_each_outcome_and_audits_each(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE, BOB]},
                                     errors={(GROUP, USER2): DENIED},
                                     access={"roles": [], "scoped": [], "owned_groups": [], "known": True}))
    response = signed_in.post(reverse("members:member-collection", args=["groups", GROUP]),
                              {"member": [USER, USER2]}, headers=HX)
    html = unescape(response.content.decode())
    assert "Added." in html and "Couldn't add this member." in html
    assert sorted(AuditEntry.objects.values_list("member_id", "outcome")) == sorted([(USER, "done"), (USER2, "refused")])


def test_undo_brings_the_member_row_back(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    response = signed_in.post(reverse("members:member-collection", args=["groups", GROUP]), {"member": [USER]},
                              headers={**HX, "HX-Target": f"removed-{USER}"})
    html = unescape(response.content.decode())
    assert html.lstrip().startswith(f'<tr id="member-{USER}" class="changed"')
    assert 'aria-label="Remove Adele Vance"' in html and "Added." in html
    assert AuditEntry.objects.get().action == "add"


def test_undo_refused_keeps_the_removed_row_with_the_reason(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}, errors={(GROUP, USER): DENIED}))
    response = signed_in.post(reverse("members:member-collection", args=["groups", GROUP]), {"member": [USER]},
                              headers={**HX, "HX-Target": f"removed-{USER}"})
    html = unescape(response.content.decode())
    assert html.lstrip().startswith(f'<tr id="removed-{USER}"') and 'role="alert"' in html


def test_picker_add_prepends_the_added_rows_out_of_band(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE, BOB]},
                                     errors={(GROUP, USER2): DENIED}))
    response = signed_in.post(reverse("members:member-collection", args=["groups", GROUP]),
                              {"member": [USER, USER2]}, headers={**HX, "HX-Target": "add-results"})
    html = unescape(response.content.decode())
    oob = html[html.index('<template><tbody hx-swap-oob="afterbegin:#member-rows">'):]
    assert f'<tr id="member-{USER}"' in oob and f'<tr id="member-{USER2}"' not in oob
    assert json.loads(response.headers["HX-Trigger-After-Settle"]) == {"membersChanged": {}}


@pytest.mark.parametrize("bad", ["nope", f"../../users/{USER}"])
def test_add_with_an_invalid_member_id_sends_nothing(signed_in, monkeypatch, bad):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}))
    response = signed_in.post(reverse("members:member-collection", args=["groups", GROUP]), {"member": [USER, bad]}, headers=HX)
    assert response.status_code == 400 and fake.calls == [] and AuditEntry.objects.count() == 0


def test_adding_an_app_to_a_group_names_the_missing_application_scope(signed_in, monkeypatch):
    app = DirectoryItem(USER2, "servicePrincipal", "Contoso Sync App", "8e53b9b1-0dc0-5905-852d-23a1884561a1")
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [app]}, errors={(GROUP, USER2): DENIED},
                                     access={"roles": [GROUPS_ADMIN], "scoped": [], "owned_groups": [], "known": True}))
    response = signed_in.post(reverse("members:member-collection", args=["groups", GROUP]), {"member": [USER2]},
                              headers={**HX, "HX-Target": f"removed-{USER2}"})
    html = unescape(response.content.decode())
    assert "Adding an app (service principal) to a group also needs the Application.ReadWrite.All permission" in html


def test_unit_admin_outside_their_unit_is_told_the_group_is_outside_it(signed_in, monkeypatch):
    unit = "9f0c1d2e-3b4a-4c5d-8e6f-7a8b9c0d1e2f"
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}, errors={(GROUP, USER): DENIED},
                                     access={"roles": [], "scoped": [[unit, GROUPS_ADMIN]], "owned_groups": [], "known": True}))
    page = unescape(signed_in.get(reverse("members:container-detail", args=["groups", GROUP])).content.decode())
    assert "Your administrator role is scoped to administrative units, and this group is in none of them." in page
    html = unescape(signed_in.delete(remove_url(), headers=HX).content.decode())
    assert 'role="alert"' in html and "this group is in none of them" in html


def test_home_lists_the_groups_i_own(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group(displayName="Project Falcon")},
                                     access={"roles": [], "scoped": [], "owned_groups": [GROUP], "known": True}))
    html = unescape(signed_in.get(reverse("members:home")).content.decode())
    assert "Groups I own" in html and f'href="/groups/{GROUP}/">Project Falcon</a>' in html


def test_member_search_fragment_reuses_the_pages_read_of_the_container(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE, BOB]}))
    signed_in.get(reverse("members:container-detail", args=["groups", GROUP]))
    fake.calls.clear()
    html = unescape(signed_in.get(reverse("members:member-collection", args=["groups", GROUP]) + "?q=bob", headers=HX).content.decode())
    assert fake.calls == [("list_members", GROUP, "bob")]
    assert 'aria-label="Remove Bob Kelly"' in html and "Adele Vance" not in html


def test_member_fragment_without_htmx_goes_to_the_page(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}))
    response = signed_in.get(reverse("members:member-collection", args=["groups", GROUP]) + "?q=bob")
    assert response.status_code == 302 and response.url == f"/groups/{GROUP}/" and fake.calls == []


def test_tenant_groups_administrator_sees_why_a_group_in_a_restricted_unit_is_locked(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group(isManagementRestricted=True)}, members={GROUP: [ADELE]},
                                     access={"roles": [GROUPS_ADMIN], "scoped": [], "owned_groups": [], "known": True}))
    html = unescape(signed_in.get(reverse("members:container-detail", args=["groups", GROUP])).content.decode())
    assert "only administrators assigned to that unit may change its members" in html
    assert ' aria-disabled="true" ' in button_tag(html, "Remove Adele Vance")


def test_container_page_shows_its_recent_changes_and_links_to_all(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    signed_in.delete(remove_url(), headers=HX)
    html = unescape(signed_in.get(reverse("members:container-detail", args=["groups", GROUP])).content.decode())
    recent = html[html.index("Recent changes here"):]
    assert "Remove <strong>Adele Vance</strong> from" in recent and "Done" in recent
    activity = unescape(signed_in.get(f"/activity/?container={GROUP}").content.decode())
    assert "Adele Vance" in activity
    assert "Adele Vance" not in unescape(signed_in.get(f"/activity/?container={USER}").content.decode())
    assert signed_in.get("/activity/?container=../x").status_code == 400


def test_bulk_remove_reports_the_count_and_updates_each_row_out_of_band(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE, BOB]},
                                            errors={(GROUP, USER2): DENIED}))
    response = signed_in.post(reverse("members:member-bulk-remove", args=["groups", GROUP]), {"member": [USER, USER2]},
                              headers={**HX, "HX-Target": "bulk-results"})
    html = unescape(response.content.decode())
    assert ("remove_members", GROUP, (USER, USER2)) in fake.calls
    assert "1 of 2 removed. 1 could not be: the reason is on its row." in html
    assert f'<tr id="removed-{USER}" class="removed" hx-swap-oob="outerHTML:#member-{USER}">' in html
    refused = html[html.index(f'<tr id="member-{USER2}"'):]
    assert refused.split(">")[0].endswith('hx-swap-oob="true"') and 'role="alert"' in refused
    assert sorted(AuditEntry.objects.values_list("member_id", "outcome")) == sorted([(USER, "done"), (USER2, "refused")])


def test_bulk_remove_with_nothing_selected_asks_to_select(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}))
    response = signed_in.post(reverse("members:member-bulk-remove", args=["groups", GROUP]), {}, headers=HX)
    assert response.status_code == 200 and "Select the members to remove first" in response.content.decode()
    assert fake.calls == [] and AuditEntry.objects.count() == 0


def test_bulk_remove_is_post_only_and_validates_every_id(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}))
    url = reverse("members:member-bulk-remove", args=["groups", GROUP])
    assert signed_in.get(url).status_code == 405
    assert signed_in.post(url, {"member": [USER, "../x"]}, headers=HX).status_code == 400
    assert fake.calls == []


def test_add_with_nothing_picked_says_so_where_htmx_shows_it(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}))
    response = signed_in.post(reverse("members:member-collection", args=["groups", GROUP]), {}, headers=HX)
    assert response.status_code == 200 and "tick the people to add first" in response.content.decode()
    assert fake.calls == []


def test_member_count_fragment_reads_only_the_count(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE, BOB]}))
    response = signed_in.get(reverse("members:container-detail", args=["groups", GROUP]) + "?part=count", headers=HX)
    assert response.content.decode().strip().startswith('<dd id="member-count"') and ">2</dd>" in response.content.decode()
    assert fake.calls == [("count_members", GROUP)]  # the count only: no container read, no member page


def test_graph_no_longer_accepting_the_token_says_sign_in_again(signed_in, monkeypatch):
    expired = GraphError(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.", "rid-401")
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}, errors={(GROUP, USER): expired}))
    html = unescape(signed_in.delete(remove_url(), headers=HX).content.decode())
    assert "Graph no longer accepts your sign-in." in html and "Sign out and sign in again" in html


def test_members_that_cannot_be_listed_are_not_called_none(signed_in, monkeypatch):
    fake = FakeGraph(containers={GROUP: a_group()})

    def refuse(container, *, search="", top=50):
        raise DENIED

    fake.list_members = refuse
    use_graph(monkeypatch, fake)
    html = unescape(signed_in.get(reverse("members:container-detail", args=["groups", GROUP])).content.decode())
    assert "Graph refused to list it." in html and "No members." not in html


@pytest.mark.parametrize(("flags", "types"), [
    ({"groupTypes": ["Unified"], "mailEnabled": True}, ["user"]),
    ({}, ["user", "group", "device"]),
])
def test_picker_offers_only_the_member_types_the_group_takes(signed_in, monkeypatch, flags, types):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group(**flags)}, members={GROUP: [ADELE]}))
    searched = []
    fake.search_directory = lambda text, kinds, top=10: searched.append(list(kinds)) or []
    signed_in.get(reverse("members:member-candidates", args=["groups", GROUP]) + "?q=ad", headers=HX)
    assert searched == [types]


def test_every_page_says_how_many_graph_round_trips_it_cost(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}))
    header = signed_in.get("/activity/")["Server-Timing"]
    graph, calls, sent, own = header.split(", ")
    assert fake.calls == [] and fake.stats.calls == 0
    assert graph == 'graph;dur=0.0;desc="0 Graph round trips"' and calls == 'graph-calls;desc="0"'
    assert sent == 'graph-requests;desc="0"'
    assert re.fullmatch(r'app;dur=\d+\.\d;desc="Our own time"', own)
    header = signed_in.get(reverse("members:container-detail", args=["groups", GROUP]))["Server-Timing"]
    assert fake.stats.calls > 0 and f'graph-calls;desc="{fake.stats.calls}"' in header


def test_removing_a_member_the_page_showed_needs_no_second_read(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE, BOB]}))
    signed_in.get(reverse("members:container-detail", args=["groups", GROUP]))
    fake.calls.clear()
    html = unescape(signed_in.delete(remove_url(), headers=HX).content.decode())
    assert fake.calls == [("remove_member", GROUP, USER), ("describe", GROUP, (), False)]
    assert "Adele Vance" in html
    entry = AuditEntry.objects.get()
    assert (entry.member_name, entry.container_name) == ("Adele Vance", "Helpdesk Tier 1")


def test_removing_without_having_seen_the_page_reads_the_names(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    signed_in.delete(remove_url(), headers=HX)
    assert ("describe", GROUP, (USER,), True) in fake.calls
    assert AuditEntry.objects.get().member_name == "Adele Vance"


def test_the_fake_records_every_graph_client_method_a_view_may_call():
    """``fake.calls == []`` then means no Graph call at all: each public method of GraphClient leaves
    a record (its own, or those of the fake's methods it is made of), answered or not."""
    from members.graph import GraphClient
    from members.directory import Container, Kind
    from tests.fakes import _public_methods
    fake = FakeGraph(containers={GROUP: a_group()})
    unrecorded = []
    for name in _public_methods(GraphClient):
        before = len(fake.calls)
        try:
            getattr(fake, name)(*([] if name == "my_access" else [Container(Kind.GROUPS, GROUP)]))
        except (AssertionError, TypeError, AttributeError, KeyError):  # not told what to answer, or called oddly
            pass
        if len(fake.calls) == before:
            unrecorded.append(name)
    assert unrecorded == []


def member_cells(html: str, member_id: str) -> dict[str, str]:
    """The Account and User type cells of one member's row, as text."""
    row = re.search(rf'<tr id="member-{member_id}".*?</tr>', html, re.S).group(0)
    cell = lambda name: unescape(re.sub(r"<[^>]+>", "", re.search(rf'<td class="{name}[^"]*">(.*?)</td>', row, re.S).group(1))).strip()
    return {"account": cell("account"), "user type": cell("user-type")}


def test_the_member_table_says_whose_account_is_disabled_and_who_is_a_guest(signed_in, monkeypatch):
    guest = DirectoryItem.from_graph({"@odata.type": "#microsoft.graph.user", "id": USER, "displayName": "Adele Vance",
                                      "userPrincipalName": "adele_fabrikam.example#EXT#@contoso.example",
                                      "accountEnabled": False, "userType": "Guest"})
    device = DirectoryItem.from_graph({"@odata.type": "#microsoft.graph.device", "id": USER2, "displayName": "SEA-LAPTOP-1",
                                       "operatingSystem": "Windows", "accountEnabled": True})
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [guest, device]}))
    html = signed_in.get(reverse("members:container-detail", args=["groups", GROUP])).content.decode()
    assert "<th scope=\"col\">Account</th><th scope=\"col\">User type</th>" in html
    assert member_cells(html, USER) == {"account": "Disabled", "user type": "Guest"}
    assert member_cells(html, USER2) == {"account": "Enabled", "user type": ""}  # a device has an account, no user type


def test_a_member_read_without_the_two_facts_shows_neither():
    item = DirectoryItem.from_graph({"@odata.type": "#microsoft.graph.group", "id": GROUP, "displayName": "Leads",
                                     "userType": "Member", "accountEnabled": "yes"})
    assert (item.enabled, item.user_type) == (None, "")  # a group has neither; junk is not taken for a fact
    assert DirectoryItem.from_json(GROUP, item.to_json()) == item
    assert DirectoryItem.from_json(GROUP, ["user", "Adele", "adele@contoso.example", ""]).enabled is None  # remembered before


def test_the_groups_list_narrows_to_one_kind_and_says_so(signed_in, monkeypatch):
    m365 = ContainerInfo.from_graph(Kind.GROUPS, {"id": USER2, "displayName": "Contoso Marketing", "groupTypes": ["Unified"],
                                                  "securityEnabled": False, "mailEnabled": True})
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group(), USER2: m365}))
    html = unescape(signed_in.get(reverse("members:container-list", args=["groups"]), {"type": "m365"}).content.decode())
    assert "Contoso Marketing" in html and "Helpdesk Tier 1" not in html
    assert "Showing 1 Microsoft 365 group" in html and '<option value="m365" selected>' in html
    junk = unescape(signed_in.get(reverse("members:container-list", args=["groups"]), {"type": "x" * 5000}).content.decode())
    assert "Contoso Marketing" in junk and "Helpdesk Tier 1" in junk  # an unknown kind lists them all
    units = signed_in.get(reverse("members:container-list", args=["units"]), {"type": "m365"})
    assert units.status_code == 200 and 'id="container-type"' not in units.content.decode()  # only groups have kinds


@pytest.mark.parametrize(("rows", "line"), [("1", "Showing 1 of 2 members"), ("2", ""), ("junk", None), ("9" * 40, None), (None, None)])
def test_the_count_read_after_a_change_rewrites_the_line_over_the_table_only_when_told_the_rows(signed_in, monkeypatch, rows, line):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE, BOB]}))
    asked = {"part": "count", **({"rows": rows} if rows is not None else {})}
    html = signed_in.get(reverse("members:container-detail", args=["groups", GROUP]), asked, headers=HX).content.decode()
    assert re.search(r'<dd id="member-count"[^>]*>2</dd>', html)
    shown = re.search(r'<p class="count" id="member-shown" hx-swap-oob="true">(.*?)</p>', html)
    assert (shown.group(1) if shown else None) == line  # all shown: the line empties, as on the page
