"""What the session remembers for the pages (the user's standing, a container's facts, a list's rows),
and how it is forgotten when Graph contradicts it."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from members.directory import ContainerInfo, DirectoryItem
from members.permissions import GROUPS_ADMIN
from members.directory import Kind
from tests.fakes import DENIED, FakeGraph, replace_graph

GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
USER = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"
HX = {"HX-Request": "true", "HX-Current-URL": f"http://testserver/groups/{GROUP}/"}
ADMIN = {"roles": [GROUPS_ADMIN], "scoped": [], "owned_groups": [], "known": True}
NOBODY = {"roles": [], "scoped": [], "owned_groups": [], "known": True}
pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    client.force_login(get_user_model().objects.create(username="oid-1", email="helpdesk@contoso.example"))
    session = client.session
    session["granted_scopes"] = ["GroupMember.ReadWrite.All", "Directory.Read.All"]
    session.save()
    return client


def graph_with(monkeypatch, access: dict, **kwargs) -> FakeGraph:
    group = ContainerInfo.from_graph(Kind.GROUPS, {"id": GROUP, "displayName": "Helpdesk Tier 1", "groupTypes": [],
                                                   "securityEnabled": True})
    fake = FakeGraph(containers={GROUP: group}, members={GROUP: [DirectoryItem(USER, "user", "Adele Vance")]},
                     access=access, **kwargs)
    replace_graph(monkeypatch, lambda request: fake)
    return fake


def page(client):
    return client.get(reverse("members:container-detail", args=["groups", GROUP]))


def remove(client):
    return client.delete(reverse("members:member-remove", args=["groups", GROUP, USER]), headers=HX)


def test_the_page_reads_the_users_standing_once_then_remembers_it(signed_in, monkeypatch):
    fake = graph_with(monkeypatch, ADMIN)
    reads = []
    fake.my_access = lambda original=fake.my_access: reads.append(1) or original()
    page(signed_in)
    page(signed_in)
    assert len(reads) == 1 and "memo:access" in signed_in.session


def test_a_refusal_the_remembered_roles_said_was_allowed_forgets_them_and_the_container(signed_in, monkeypatch):
    graph_with(monkeypatch, ADMIN, errors={(GROUP, USER): DENIED})
    page(signed_in)
    assert "memo:access" in signed_in.session and signed_in.session["memo:containers"]
    assert 'role="alert"' in remove(signed_in).content.decode()
    assert "memo:access" not in signed_in.session and not signed_in.session.get("memo:containers")


def test_a_refusal_the_remembered_roles_foretold_keeps_them(signed_in, monkeypatch):
    graph_with(monkeypatch, NOBODY, errors={(GROUP, USER): DENIED})
    page(signed_in)
    remove(signed_in)
    assert "memo:access" in signed_in.session and signed_in.session["memo:containers"]


def test_a_change_the_remembered_roles_said_was_refused_but_graph_made_forgets_them(signed_in, monkeypatch):
    graph_with(monkeypatch, NOBODY)
    page(signed_in)
    remove(signed_in)
    assert "memo:access" not in signed_in.session


def test_the_users_standing_is_read_again_after_its_lifetime(signed_in, monkeypatch):
    fake = graph_with(monkeypatch, ADMIN)
    reads = []
    fake.my_access = lambda original=fake.my_access: reads.append(1) or original()
    page(signed_in)
    now = time.time()
    monkeypatch.setattr("members.memo.time.time", lambda: now + 301)
    page(signed_in)
    assert len(reads) == 2


def test_a_page_seen_again_does_not_rewrite_the_session(signed_in, monkeypatch):
    from django.contrib.sessions.models import Session

    graph_with(monkeypatch, ADMIN)
    page(signed_in)
    stored = Session.objects.get(session_key=signed_in.session.session_key).session_data
    page(signed_in)
    assert Session.objects.get(session_key=signed_in.session.session_key).session_data == stored
