"""Which Host names the app answers in sandbox mode: the configured ones, and the sandbox's two public
names for the sandbox's own endpoints only (a sign-in redirect URI is built from the Host)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("host", ["evil.sandbox.test", "login.sandbox.test", "graph.sandbox.test:443"])
def test_sign_in_refuses_a_sandbox_host_name_so_no_redirect_uri_is_built_from_it(client, host):
    response = client.get("/accounts/sign-in/", HTTP_HOST=host)
    assert response.status_code == 400
    assert host.split(":")[0] not in response.headers.get("Location", "")


def test_the_sandbox_endpoints_still_answer_on_their_public_host_name(client, settings):
    tenant = settings.SANDBOX_TENANT_ID
    response = client.get(f"/sandbox/{tenant}/v2.0/.well-known/openid-configuration", HTTP_HOST="login.sandbox.test")
    assert response.status_code == 200 and response.json()["token_endpoint"].startswith("https://login.sandbox.test/")
