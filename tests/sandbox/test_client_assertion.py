"""The sandbox's token endpoint authenticates the app as Entra does: its secret, or a certificate's client assertion."""

import base64
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from django.conf import settings as django_settings

from sandbox.tokens import CLIENT_ASSERTION_TYPE
from tests.certs import make_certificate

TENANT = "8f7e6d5c-4b3a-4291-8877-665544332211"
CLIENT_ID = "5d3c2b1a-0f9e-4d8c-b7a6-958473625140"
AUDIENCE = f"https://login.sandbox.test/{TENANT}/oauth2/v2.0/token"
REGISTERED = make_certificate("registered")
STRANGER = make_certificate("not registered")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def authority_routes(settings, tmp_path):
    """The sandbox's own routes at the root, and REGISTERED uploaded to the app registration (public part only)."""
    settings.ROOT_URLCONF = "sandbox.urls"
    settings.SANDBOX_CLIENT_CERTIFICATE = str(REGISTERED.write(tmp_path / "registered.pem", with_key=False))


def redeem(client, **credentials):
    """A refresh grant with an unknown refresh token: past client authentication it fails with invalid_grant."""
    body = {"grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": "not-a-refresh-token", **credentials}
    return client.post(f"/{TENANT}/oauth2/v2.0/token", body)


def with_assertion(assertion: str) -> dict:
    return {"client_assertion": assertion, "client_assertion_type": CLIENT_ASSERTION_TYPE}


def refusal(answer) -> tuple[int, str, list[int], str]:
    body = answer.json()
    return answer.status_code, body["error"], body["error_codes"], body["error_description"]


def test_it_accepts_an_assertion_signed_by_a_registered_certificate(client):
    answer = redeem(client, **with_assertion(REGISTERED.assertion(CLIENT_ID, AUDIENCE)))
    assert refusal(answer)[:3] == (400, "invalid_grant", [70000])  # the client was accepted; the grant wasn't


def test_it_accepts_msals_sha256_form(client):
    """msal without a thumbprint signs PS256 with an x5t#S256 header."""
    thumbprint = base64.urlsafe_b64encode(REGISTERED.certificate.fingerprint(hashes.SHA256())).decode()
    assertion = REGISTERED.assertion(CLIENT_ID, AUDIENCE, algorithm="PS256", header={"x5t#S256": thumbprint})
    assert refusal(redeem(client, **with_assertion(assertion)))[1] == "invalid_grant"


def test_it_still_accepts_the_client_secret(client):
    answer = redeem(client, client_secret=django_settings.SANDBOX_CLIENT_SECRET)
    assert refusal(answer)[1] == "invalid_grant"


def test_it_refuses_a_certificate_it_does_not_know(client):
    status, error, codes, description = refusal(redeem(client, **with_assertion(STRANGER.assertion(CLIENT_ID, AUDIENCE))))
    assert (status, error, codes) == (401, "invalid_client", [700027])
    assert "The key was not found" in description and STRANGER.sha1 in description


def test_it_refuses_a_registered_thumbprint_signed_by_another_key(client):
    assertion = REGISTERED.assertion(CLIENT_ID, AUDIENCE, signer=STRANGER.key)
    status, error, codes, description = refusal(redeem(client, **with_assertion(assertion)))
    assert (status, error, codes) == (401, "invalid_client", [700027])
    assert "did not match the expected signature value" in description and REGISTERED.sha1 in description


def test_it_refuses_an_expired_assertion(client):
    an_hour_ago = time.time() - 3600
    assertion = REGISTERED.assertion(CLIENT_ID, AUDIENCE, iat=an_hour_ago - 600, exp=an_hour_ago)
    status, error, codes, description = refusal(redeem(client, **with_assertion(assertion)))
    assert (status, error, codes) == (401, "invalid_client", [700024])
    assert description.startswith("AADSTS700024: Client assertion is not within its valid time range.")


def test_it_refuses_an_assertion_not_yet_valid(client):
    assertion = REGISTERED.assertion(CLIENT_ID, AUDIENCE, nbf=time.time() + 3600, exp=time.time() + 7200)
    assert refusal(redeem(client, **with_assertion(assertion)))[2] == [700024]


def test_it_refuses_an_assertion_for_another_token_endpoint(client):
    other = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    status, error, codes, _ = refusal(redeem(client, **with_assertion(REGISTERED.assertion(CLIENT_ID, other))))
    assert (status, error, codes) == (401, "invalid_client", [700023])


def test_it_refuses_an_assertion_about_another_app(client):
    assertion = REGISTERED.assertion(CLIENT_ID, AUDIENCE, iss="11111111-2222-4333-8444-555555555555",
                                     sub="11111111-2222-4333-8444-555555555555")
    assert refusal(redeem(client, **with_assertion(assertion)))[:3] == (401, "invalid_client", [700021])


def test_it_refuses_an_assertion_without_a_jti(client):
    answer = redeem(client, **with_assertion(REGISTERED.assertion(CLIENT_ID, AUDIENCE, jti=None)))
    assert refusal(answer)[2] == [90014] and "'jti'" in refusal(answer)[3]


def test_it_refuses_an_assertion_without_a_thumbprint(client):
    answer = redeem(client, **with_assertion(REGISTERED.assertion(CLIENT_ID, AUDIENCE, header={})))
    assert refusal(answer)[2:] == ([50027], "AADSTS50027: Invalid JWT token. No certificate thumbprint specified in token header.")


def test_it_refuses_an_expired_registered_certificate(client, settings, tmp_path):
    lapsed = make_certificate("lapsed", valid_from=datetime.now(UTC) - timedelta(days=3), days=1)
    settings.SANDBOX_CLIENT_CERTIFICATE = str(lapsed.write(tmp_path / "lapsed.pem", with_key=False))
    answer = redeem(client, **with_assertion(lapsed.assertion(CLIENT_ID, AUDIENCE)))
    assert refusal(answer)[2] == [700027] and "The key was not found" in refusal(answer)[3]


@pytest.mark.parametrize("assertion", ["", "not.a.jwt", "a.b"], ids=["empty-type-only", "garbage", "two-parts"])
def test_it_refuses_malformed_assertions_without_an_error_page(client, assertion):
    answer = redeem(client, client_assertion=assertion, client_assertion_type=CLIENT_ASSERTION_TYPE)
    assert answer.status_code in {400, 401} and answer.json()["error"] in {"invalid_client", "invalid_request"}


def test_it_wants_the_jwt_bearer_assertion_type(client):
    answer = redeem(client, client_assertion=REGISTERED.assertion(CLIENT_ID, AUDIENCE), client_assertion_type="jwt")
    assert refusal(answer)[:3] == (400, "invalid_request", [900144])


def test_it_wants_a_secret_or_an_assertion(client):
    assert refusal(redeem(client))[:3] == (401, "invalid_client", [7000218])


def test_it_refuses_everything_signed_when_no_certificate_is_registered(client, settings):
    settings.SANDBOX_CLIENT_CERTIFICATE = ""
    assert refusal(redeem(client, **with_assertion(REGISTERED.assertion(CLIENT_ID, AUDIENCE))))[2] == [700027]


def test_discovery_offers_private_key_jwt(client):
    document = client.get(f"/{TENANT}/v2.0/.well-known/openid-configuration").json()
    assert "private_key_jwt" in document["token_endpoint_auth_methods_supported"]
