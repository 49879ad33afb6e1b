"""Sign-in against a real tenant's authority (msal's HTTP mocked with responses) and the sign-out round."""

import importlib
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.contrib.auth import get_user_model
from django.urls import clear_url_caches

AUTHORITY = "https://login.microsoftonline.com/contoso.onmicrosoft.com"
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"

pytestmark = pytest.mark.django_db


def reload_urls() -> None:
    """portal/urls.py routes the sandbox by mode at import: import it again for the mode in force."""
    import portal.urls

    importlib.reload(portal.urls)
    clear_url_caches()


@pytest.fixture
def real_tenant(settings):
    was_sandbox = settings.SANDBOX_MODE
    settings.SANDBOX_MODE = False
    reload_urls()
    settings.ENTRA_AUTHORITY = AUTHORITY
    settings.ENTRA_CLIENT_ID = "11111111-2222-4333-8444-555555555555"
    settings.ENTRA_CLIENT_SECRET = "not-a-real-secret"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{AUTHORITY}/v2.0/.well-known/openid-configuration", json={
            "issuer": f"https://login.microsoftonline.com/{TENANT_ID}/v2.0",
            "authorization_endpoint": f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/authorize",
            "token_endpoint": f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token",
            "end_session_endpoint": f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/logout",
        })
        rsps.get("https://login.microsoftonline.com/common/discovery/instance", json={
            "tenant_discovery_endpoint": f"{AUTHORITY}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1", "metadata": []})
        yield rsps
    settings.SANDBOX_MODE = was_sandbox
    reload_urls()


def test_sign_in_sends_the_browser_to_microsoft_with_pkce_and_the_graph_scopes(client, real_tenant, settings):
    response = client.get("/accounts/sign-in/?next=/groups/")
    target = urlsplit(response.url)
    query = parse_qs(target.query)
    assert response.status_code == 302
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/authorize"
    assert query["client_id"] == [settings.ENTRA_CLIENT_ID] and query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == ["http://testserver/accounts/callback/"]
    assert set(settings.GRAPH_SCOPES) <= set(query["scope"][0].split())
    assert client.session["auth_next"] == "/groups/"


def test_sign_out_forgets_the_session_and_ends_the_entra_session(client, real_tenant):
    user = get_user_model().objects.create(username="oid-1")
    client.force_login(user)
    session = client.session
    session["token_cache"] = '{"AccessToken": {}}'
    session.save()
    response = client.post("/accounts/sign-out/")
    assert response.url == f"{AUTHORITY}/oauth2/v2.0/logout?post_logout_redirect_uri=http%3A%2F%2Ftestserver%2Faccounts%2Fsigned-out%2F"
    assert "token_cache" not in client.session and "_auth_user_id" not in client.session


def test_sign_out_is_post_only(client):
    user = get_user_model().objects.create(username="oid-2")
    client.force_login(user)
    assert client.get("/accounts/sign-out/").status_code == 405
