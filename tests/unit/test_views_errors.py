"""Never a 5xx for what a browser can send, never a token on a debug page, the right words on page loads."""

from html import unescape

import pytest
import requests
from django.contrib.auth import get_user_model

from members.graph import GraphClient
from members.directory import ContainerInfo
from members.directory import Kind
from tests.fakes import THROTTLED, FakeGraph, replace_graph

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
    replace_graph(monkeypatch, lambda request: graph)
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

    replace_graph(monkeypatch, lambda request: Busy())
    html = unescape(signed_in.get("/groups/").content.decode())
    assert "Couldn't load groups: Graph is busy." in html and "Try again in 30 s" in html
    assert "not removed yet" not in html and "Couldn't remove" not in html


class Boom(requests.Session):
    def request(self, *args, **kwargs):
        raise RuntimeError("the transport broke")


def test_djangos_debug_page_never_shows_the_graph_token(signed_in, monkeypatch, settings):
    settings.DEBUG = True
    graph = GraphClient(TOKEN, base_url="https://graph.example.test/v1.0", session=Boom())
    replace_graph(monkeypatch, lambda request: graph)
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

    monkeypatch.setattr("accounts.tokens.msal_app", lambda cache=None: App())
    monkeypatch.setattr("accounts.views._django_user", broken_user)
    session = client.session
    session["auth_flow"] = {"state": "s"}
    session.save()
    client.raise_request_exception = False
    response = client.get("/accounts/callback/?code=c&state=s")
    page = response.content.decode()
    assert response.status_code == 500 and "the user table broke" in page
    assert "secret-access-token" not in page and "refresh-token-secret" not in page and "token.secret" not in page


class Unreachable(requests.adapters.BaseAdapter):
    """Every call fails as it does when Entra can't be reached (DNS, refused, timed out)."""

    def send(self, request, **kwargs):
        raise requests.ConnectionError(f"cannot reach {request.url}")

    def close(self):
        pass


@pytest.fixture
def entra_unreachable(monkeypatch):
    session = requests.Session()
    session.mount("https://", Unreachable())
    session.mount("http://", Unreachable())
    monkeypatch.setattr("accounts.tokens.http_session", lambda: session)
    monkeypatch.setattr("accounts.tokens._http_cache", {})  # no discovery document remembered from another test


@pytest.mark.parametrize("debug", [False, True])
def test_sign_in_when_entra_cant_be_reached_is_a_page_saying_so_not_a_500(client, entra_unreachable, settings, debug):
    settings.DEBUG = debug
    response = client.get("/accounts/sign-in/?next=/groups/")
    page = unescape(response.content.decode())
    assert response.status_code == 424 and "<html" in page and 'role="alert"' in page
    assert "can't be reached just now, so nobody can sign in" in page and "Traceback" not in page


def test_the_callback_when_entra_cant_be_reached_is_a_page_saying_so(client, entra_unreachable):
    session = client.session
    session["auth_flow"] = {"state": "s"}
    session.save()
    response = client.get("/accounts/callback/?code=c&state=s")
    assert response.status_code == 424 and "can't be reached just now" in unescape(response.content.decode())


def test_a_change_whose_token_refresh_cant_reach_entra_is_journaled_not_sent_and_goes_to_sign_in(signed_in, monkeypatch):
    from members.models import AuditEntry

    class App:
        def get_accounts(self):
            return [{"home_account_id": "oid-1.tid"}]

        def acquire_token_silent_with_error(self, scopes, account):
            raise requests.ConnectionError("the token endpoint can't be reached")

    monkeypatch.setattr("accounts.tokens._new_msal_app", lambda cache: App())
    session = signed_in.session
    session["home_account_id"] = "oid-1.tid"
    session.save()
    member = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"
    response = signed_in.delete(f"/groups/{GROUP}/members/{member}/", headers=HX)
    assert response.status_code == 200 and response["HX-Redirect"].startswith("/accounts/sign-in/")
    assert list(AuditEntry.objects.values_list("member_id", "outcome")) == [(member, "sign_in")]


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_a_change_sent_without_the_trailing_slash_is_a_404_not_a_500_nor_a_redirect(signed_in, fake, settings, method, debug):
    settings.DEBUG = debug
    member = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"
    for path in (f"/groups/{GROUP}/members/{member}", f"/groups/{GROUP}/members/paste", f"/groups/{GROUP}/members"):
        response = signed_in.generic(method, path, headers=HX)
        assert response.status_code == 404, (path, response.status_code)


def test_a_page_asked_for_without_its_trailing_slash_is_still_redirected(signed_in, fake):
    response = signed_in.get(f"/groups/{GROUP}")
    assert response.status_code == 301 and response["Location"] == f"/groups/{GROUP}/"


PASTE_OVER_THE_LIMIT = {"action": "add", "lines": "ada.lovelace@contoso.example\n" * 10_000}  # ~290 KB, over 256 KiB


@pytest.mark.parametrize("debug", [False, True])
def test_a_paste_larger_than_a_request_may_carry_says_so_in_the_paste_forms_place(signed_in, fake, settings, debug):
    settings.DEBUG = debug
    response = signed_in.post(f"/groups/{GROUP}/members/paste/", PASTE_OVER_THE_LIMIT, headers=HX)
    html = unescape(response.content.decode())
    assert response.status_code == 200 and "The pasted text is too long" in html and 'role="alert"' in html
    # the same answer, in the same place, as a paste over the form's own limit that the request could carry
    over_the_form = signed_in.post(f"/groups/{GROUP}/members/paste/", {"action": "add", "lines": "a" * 260_001}, headers=HX)
    assert response.content == over_the_form.content
    assert "<html" not in html and "RequestDataTooBig" not in html and "Traceback" not in html


def test_without_htmx_a_paste_larger_than_a_request_may_carry_is_a_page_saying_so(signed_in, fake):
    response = signed_in.post(f"/groups/{GROUP}/members/paste/", PASTE_OVER_THE_LIMIT)
    assert response.status_code == 400 and "The pasted text is too long" in unescape(response.content.decode())


def test_any_other_body_too_large_is_a_message_nothing_changed(signed_in, fake, settings):
    settings.DEBUG = True
    body = {"member": ["4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"], "note": "x" * 300_000}
    fragment = signed_in.post(f"/groups/{GROUP}/members/", body, headers=HX)
    page = signed_in.post(f"/groups/{GROUP}/members/", body)
    assert fragment.status_code == 200 and "too large to read, so nothing was read or changed" in unescape(fragment.content.decode())
    assert page.status_code == 413 and "<html" in page.content.decode()
