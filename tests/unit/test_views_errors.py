"""Never a 5xx for what a browser can send, never a token on a debug page, the right words on page loads."""

from html import unescape

import pytest
import requests
from django.contrib.auth import get_user_model

from members.graph import ContainerInfo, GraphClient
from members.refs import Kind
from tests.fakes import THROTTLED, FakeGraph

GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
TOKEN = "eyJ0eXAiOiJKV1QiLCJzZWNyZXQiOiJ0b2tlbiJ9.secret-access-token.signature"
HX = {"HX-Request": "true"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    client.force_login(get_user_model().objects.create(username="oid-1", email="helpdesk@contoso.example"))
    return client


@pytest.fixture
def fake(monkeypatch):
    graph = FakeGraph(containers={GROUP: ContainerInfo.from_graph(Kind.GROUPS, {"id": GROUP, "displayName": "Helpdesk"})})
    monkeypatch.setattr("members.views.graph_for", lambda request: graph)
    return graph


@pytest.mark.parametrize("path", [
    "/groups/not-a-guid/", "/groups/%00/", "/units/not-a-guid/", "/roles/not-a-guid/",
    "/groups/not-a-guid/members/?q=a", "/units/x/members/", "/roles/%00/members/?more=x",
    "/groups/not-a-guid/candidates/?q=ab", "/units/zz/candidates/?q=ab",
    "/roles/template/xyz/", "/roles/template/%00/",
    f"/groups/{GROUP}x/", f"/groups/{{{GROUP}}}/", "/people/x/", "/groups/not-a-guid/members/remove/",
])
@pytest.mark.parametrize("htmx", [False, True])
def test_a_malformed_id_in_any_page_or_fragment_url_is_a_404_before_graph(signed_in, fake, path, htmx):
    response = signed_in.get(path, headers=HX if htmx else {})
    assert response.status_code == 404 and fake.calls == []


def test_an_upper_case_guid_reaches_the_view_in_canonical_form(signed_in, fake):
    response = signed_in.get(f"/groups/{GROUP.upper()}/")
    assert response.status_code == 200 and ("get_container", GROUP) in fake.calls


def test_a_page_load_throttled_by_graph_says_load_not_remove(signed_in, monkeypatch):
    class Busy(FakeGraph):
        def list_containers(self, kind, *, search="", top=50):
            raise THROTTLED

    monkeypatch.setattr("members.views.graph_for", lambda request: Busy())
    html = unescape(signed_in.get("/groups/").content.decode())
    assert "Couldn't load groups: Graph is busy." in html and "Try again in 30 s" in html
    assert "not removed yet" not in html and "Couldn't remove" not in html


class Boom(requests.Session):
    def request(self, *args, **kwargs):
        raise RuntimeError("the transport broke")


def test_djangos_debug_page_never_shows_the_graph_token(signed_in, monkeypatch, settings):
    settings.DEBUG = True
    graph = GraphClient(TOKEN, base_url="https://graph.example.test/v1.0", session=Boom())
    monkeypatch.setattr("members.views.graph_for", lambda request: graph)
    signed_in.raise_request_exception = False
    response = signed_in.get(f"/groups/{GROUP}/")
    page = response.content.decode()
    assert response.status_code == 500 and "the transport broke" in page  # Django's technical 500 page
    assert "secret-access-token" not in page and f"Bearer {TOKEN}" not in page


def test_djangos_debug_page_never_shows_the_tokens_of_a_sign_in(client, monkeypatch, settings):
    settings.DEBUG = True
    tokens = {"access_token": TOKEN, "refresh_token": "0.refresh-token-secret", "id_token": "eyJid.token.secret",
              "scope": "User.Read", "id_token_claims": {"preferred_username": "a@contoso.example", "oid": "x"}}

    class App:
        def acquire_token_by_auth_code_flow(self, flow, response):
            return tokens

        def get_accounts(self, username=None):
            return [{"home_account_id": "x.y"}]

    def broken_user(claims):
        raise RuntimeError("the user table broke")

    monkeypatch.setattr("portal.auth._msal_app", lambda cache=None: App())
    monkeypatch.setattr("portal.auth._django_user", broken_user)
    session = client.session
    session["auth_flow"] = {"state": "s"}
    session.save()
    client.raise_request_exception = False
    response = client.get("/accounts/callback/?code=c&state=s")
    page = response.content.decode()
    assert response.status_code == 500 and "the user table broke" in page
    assert "secret-access-token" not in page and "refresh-token-secret" not in page and "token.secret" not in page
