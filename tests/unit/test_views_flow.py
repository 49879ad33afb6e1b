"""The member page's flow through Django's test client: picker marks, picks cleared, no-undo words,
the not-sent notice, the recent-changes fragment. Graph is faked at the seam."""

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from members.directory import DirectoryItem
from members.models import AuditEntry
from accounts.tokens import ReauthenticationRequired
from tests.fakes import FakeGraph, replace_graph
from tests.unit.test_views_members import (  # noqa: F401 (fixtures)
    ADELE,
    BOB,
    GROUP,
    HX,
    USER,
    USER2,
    a_group,
    signed_in,
    use_graph,
    user,
)

pytestmark = pytest.mark.django_db

CANDIDATES = reverse("members:member-candidates", args=["groups", GROUP])
LEADS = DirectoryItem("7b0b3a54-6a43-4c55-9d1f-1b8f3c0f2a11", "group", "Helpdesk Leads", "leads@contoso.example")


def candidate_line(html: str, name: str) -> str:
    start = html.index(f'<span class="name">{name}</span>')
    return html[html.rindex("<label", 0, start):html.index("</label>", start)]


def test_picker_marks_members_already_there_with_one_read_for_all_hits(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE], "elsewhere": [BOB, LEADS]}))
    html = unescape(signed_in.get(CANDIDATES + "?q=el", headers=HX).content.decode())
    already = candidate_line(html, "Adele Vance")
    assert "Already a member" in already and " disabled" in already
    for name in ("Bob Kelly", "Helpdesk Leads"):
        line = candidate_line(html, name)
        assert "Already a member" not in line and " disabled" not in line
    reads = [call for call in fake.calls if call[0] == "read_membership"]
    assert len(reads) == 1 and sorted(reads[0][2]) == sorted([USER, USER2, LEADS.id])


def test_picker_with_no_hit_reads_no_membership(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    html = unescape(signed_in.get(CANDIDATES + "?q=zz", headers=HX).content.decode())
    assert "No match for “zz”." in html
    assert not [call for call in fake.calls if call[0] == "read_membership"]


def test_every_result_carries_its_line_for_selected(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={"elsewhere": [BOB]}))
    html = unescape(signed_in.get(CANDIDATES + "?q=bob", headers=HX).content.decode())
    line = html[html.index(f'<template id="pick-{USER2}">'):]
    line = line[:line.index("</template>")]
    assert f'name="member" value="{USER2}" checked' in line and "Bob Kelly" in line


def test_an_add_empties_selected_out_of_band(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [], "elsewhere": [ADELE]}))
    response = signed_in.post(reverse("members:member-collection", args=["groups", GROUP]), {"member": [USER]},
                              headers={**HX, "HX-Target": "add-results"})
    html = unescape(response.content.decode())
    picked = html[html.index('<fieldset id="picked"'):]
    assert picked.startswith('<fieldset id="picked" class="picked" hx-swap-oob="true">')
    assert '<ul class="picked-list"></ul>' in picked[:picked.index("</fieldset>")]


def test_nothing_picked_leaves_selected_alone(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}))
    html = signed_in.post(reverse("members:member-collection", args=["groups", GROUP]), {}, headers=HX).content.decode()
    assert "tick the people to add first" in html and 'id="picked"' not in html


def test_recent_changes_fragment_reads_the_journal_only(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    signed_in.delete(reverse("members:member-remove", args=["groups", GROUP, USER]), headers=HX)
    fake.calls.clear()
    response = signed_in.get(reverse("members:container-detail", args=["groups", GROUP]) + "?part=recent", headers=HX)
    html = unescape(response.content.decode())
    assert html.strip().startswith('<div id="recent-changes"') and "Adele Vance" in html
    assert 'hx-trigger="membersChanged from:body"' in html and "<html" not in html
    assert fake.calls == [] and response["Server-Timing"].split(", ")[0].endswith('"0 Graph round trips"')


APP = DirectoryItem("5f3a8a7e-2d4b-4b8e-9b1c-0c2d3e4f5a6b", "servicePrincipal", "Contoso Sync App", "8e53b9b1-0dc0-5905-852d-23a1884561a1")
NO_WAY_BACK = ("adding an app (service principal) to a group also needs the Application.ReadWrite.All permission, "
               "which this app was not granted")


def attribute(tag: str, name: str) -> str:
    start = tag.index(f'{name}="') + len(name) + 2
    return tag[start:tag.index('"', start)]


def remove_button(html: str, name: str) -> str:
    start = html.index(f'aria-label="Remove {name}"')
    return html[html.rindex("<button", 0, start):html.index(">", start)]


def test_removing_an_app_warns_before_the_click_that_it_cant_be_added_back(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE, APP]}))
    html = unescape(signed_in.get(reverse("members:container-detail", args=["groups", GROUP])).content.decode())
    assert attribute(remove_button(html, "Contoso Sync App"), "hx-confirm") == (
        f"Remove Contoso Sync App from Helpdesk Tier 1? You won't be able to add it back here: {NO_WAY_BACK}.")
    assert attribute(remove_button(html, "Adele Vance"), "hx-confirm") == "Remove Adele Vance from Helpdesk Tier 1?"
    assert "{#" not in html and "#}" not in html  # template comments stay out of the page
    box = html[html.index(f'value="{APP.id}" form="bulk-remove"'):]
    assert attribute(box[:box.index(">")], "data-no-undo") == (
        f"You won't be able to add Contoso Sync App back here: {NO_WAY_BACK}.")


def test_a_removed_app_gets_no_undo_and_says_why(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE, APP]}))
    html = unescape(signed_in.delete(reverse("members:member-remove", args=["groups", GROUP, APP.id]), headers=HX).content.decode())
    assert "Removed." in html and f"No undo here: {NO_WAY_BACK}." in html and "Undo:" not in html
    html = unescape(signed_in.delete(reverse("members:member-remove", args=["groups", GROUP, USER]), headers=HX).content.decode())
    assert 'aria-label="Undo: add Adele Vance back"' in html and "No undo here" not in html


def test_a_bulk_removed_app_gets_no_undo(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE, APP]}))
    html = unescape(signed_in.post(reverse("members:member-bulk-remove", args=["groups", GROUP]), {"member": [USER, APP.id]},
                                   headers={**HX, "HX-Target": "bulk-results"}).content.decode())
    app_row = html[html.index(f'<tr id="removed-{APP.id}"'):]
    app_row = app_row[:app_row.index("</tr>")]
    assert "No undo here" in app_row and "Undo:" not in app_row
    assert 'aria-label="Undo: add Adele Vance back"' in html


def test_with_the_application_scope_an_app_removal_is_ordinary(signed_in, monkeypatch):
    session = signed_in.session
    session["granted_scopes"] = ["GroupMember.ReadWrite.All", "Directory.Read.All", "Application.ReadWrite.All"]
    session.save()
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [APP]}))
    html = unescape(signed_in.get(reverse("members:container-detail", args=["groups", GROUP])).content.decode())
    assert attribute(remove_button(html, "Contoso Sync App"), "hx-confirm") == "Remove Contoso Sync App from Helpdesk Tier 1?"
    html = unescape(signed_in.delete(reverse("members:member-remove", args=["groups", GROUP, APP.id]), headers=HX).content.decode())
    assert 'aria-label="Undo: add Contoso Sync App back"' in html


# --- changes not made for an expired sign-in ------------------------------------------------

PAGE = reverse("members:container-detail", args=["groups", GROUP])


def expired(request):
    raise ReauthenticationRequired("invalid_grant")


def notice(html: str) -> str:
    return html[html.index('<section id="not-sent"'):html.index("</section>", html.index('<section id="not-sent"'))]


def test_a_removal_not_sent_is_named_once_on_the_page_after_signing_in(signed_in, monkeypatch):
    fake = FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE, BOB]})
    use_graph(monkeypatch, fake)
    signed_in.get(PAGE)  # the page showed Adele
    replace_graph(monkeypatch, expired)
    response = signed_in.delete(reverse("members:member-remove", args=["groups", GROUP, USER]), headers=HX)
    assert response["HX-Redirect"].startswith("/accounts/sign-in/")
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.member_name, entry.container_name) == ("sign_in", "Adele Vance", "Helpdesk Tier 1")

    use_graph(monkeypatch, fake)  # signed in again
    fake.calls.clear()
    html = unescape(signed_in.get(PAGE).content.decode())
    offered = notice(html)
    assert "Not made: remove Adele Vance from Helpdesk Tier 1." in offered
    assert f'hx-post="/groups/{GROUP}/members/remove/"' in offered and 'hx-target="#bulk-results"' in offered
    assert f'<input type="hidden" name="member" value="{USER}">' in offered and ">Remove now</button>" in offered
    assert not [call for call in fake.calls if call[0] == "describe"]  # the journal had the name
    assert 'id="not-sent"' not in signed_in.get(PAGE).content.decode()  # once


def test_a_change_made_again_since_is_not_offered(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    replace_graph(monkeypatch, expired)
    signed_in.delete(reverse("members:member-remove", args=["groups", GROUP, USER]), headers=HX)
    use_graph(monkeypatch, fake)
    signed_in.post(reverse("members:member-bulk-remove", args=["groups", GROUP]), {"member": [USER]}, headers=HX)
    assert 'id="not-sent"' not in signed_in.get(PAGE).content.decode()


def test_an_old_not_sent_change_is_not_offered(signed_in, monkeypatch, settings):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    replace_graph(monkeypatch, expired)
    signed_in.delete(reverse("members:member-remove", args=["groups", GROUP, USER]), headers=HX)
    AuditEntry.objects.update(created_at=timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE + 60))
    use_graph(monkeypatch, fake)
    assert 'id="not-sent"' not in signed_in.get(PAGE).content.decode()


def test_names_missing_from_the_journal_are_read_in_one_batch(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE], "elsewhere": [BOB]}))
    replace_graph(monkeypatch, expired)
    signed_in.post(reverse("members:member-collection", args=["groups", GROUP]), {"member": [USER2]}, headers=HX)
    assert AuditEntry.objects.get().member_name == ""  # no page had shown Bob
    use_graph(monkeypatch, fake)
    html = unescape(signed_in.get(PAGE).content.decode())
    assert "Not made: add Bob Kelly to Helpdesk Tier 1." in notice(html) and ">Add now</button>" in notice(html)
    assert [call for call in fake.calls if call[0] == "describe"] == [("describe", GROUP, (USER2,), False)]


def test_a_change_asked_for_after_the_session_was_gone_is_kept_unsent_and_named_after_signing_in(client, user, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE, BOB]}))
    response = client.post(reverse("members:member-bulk-remove", args=["groups", GROUP]), {"member": [USER, USER2]},
                           headers=HX)
    assert response["HX-Redirect"] == f"/accounts/sign-in/?next=/groups/{GROUP}/"
    assert fake.calls == [] and AuditEntry.objects.count() == 0  # nothing sent, nobody to journal it for yet

    client.force_login(user)  # signing in keeps the session's data (a new key)
    html = unescape(client.get(PAGE).content.decode())
    assert "Not made: remove Adele Vance and Bob Kelly from Helpdesk Tier 1." in notice(html)
    assert not [call for call in fake.calls if call[0] in {"remove_member", "remove_members"}]
    assert sorted(AuditEntry.objects.values_list("member_id", "outcome", "actor_upn")) == sorted(
        [(USER, "sign_in", user.email), (USER2, "sign_in", user.email)])


@pytest.mark.parametrize("asked", [
    {"method": "POST", "path": "/accounts/sign-out/", "fields": {}},
    {"method": "POST", "path": "/nowhere/", "fields": {}},
    {"method": "POST", "path": f"/groups/{GROUP}/members/", "fields": {"member": ["../x"]}},
    {"method": "GET", "path": f"/groups/{GROUP}/members/{USER}/", "fields": {}},
])
def test_a_kept_request_that_is_no_change_is_dropped(signed_in, monkeypatch, asked):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    session = signed_in.session
    session["auth_interrupted"] = asked
    session.save()
    html = signed_in.get(PAGE).content.decode()
    assert 'id="not-sent"' not in html and AuditEntry.objects.count() == 0
    assert "auth_interrupted" not in signed_in.session


@pytest.mark.parametrize(("asked", "said"), [
    ({"method": "POST", "path": f"/groups/{GROUP}/members/paste/run/", "fields": {"plan": ["p1"]}}, "running a pasted list"),
    ({"method": "POST", "path": "/activity/7/revert/", "fields": {}}, "a Revert"),
    ({"method": "POST", "path": f"/people/{USER}/remove/", "fields": {"group": [GROUP]}}, "a removal from a person's page"),
])
def test_a_kept_change_the_journal_cannot_name_is_said_on_whichever_page_comes_next(signed_in, monkeypatch, asked, said):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    session = signed_in.session
    session["auth_interrupted"] = asked
    session.save()
    html = unescape(signed_in.get("/activity/").content.decode())  # not the container's page
    assert f"Not done: {said}, asked for while you were not signed in" in html and "Nothing was sent to Graph" in html
    assert AuditEntry.objects.count() == 0 and not [c for c in fake.calls if "remove" in c[0] or "add" in c[0]]
    assert "Not done:" not in signed_in.get("/activity/").content.decode()  # said once


def test_a_click_from_a_page_of_an_earlier_sign_in_reloads_and_says_it_was_not_sent(user, monkeypatch):
    from django.test import Client

    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    refused = browser.delete(reverse("members:member-remove", args=["groups", GROUP, USER]),
                             headers={**HX, "X-CSRFToken": "a" * 32})
    assert refused.status_code == 403 and refused["HX-Refresh"] == "true" and fake.calls == []
    page = unescape(browser.get(PAGE).content.decode())
    assert "Your last click was not sent: that page was from an earlier sign-in, so nothing was changed." in page
