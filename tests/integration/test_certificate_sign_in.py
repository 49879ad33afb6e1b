"""Certificate credentials end to end: the real msal signs client assertions, the live sandbox checks them."""

from html import unescape

import pytest

from sandbox.models import RefreshToken
from tests.certs import make_certificate
from tests.conftest import DeskSession, sign_in_over_http


@pytest.fixture
def app_certificate(settings, tmp_path):
    """The app holds a key and certificate; the sandbox's app registration knows the certificate.

    The app's client secret is wrong on purpose: only the certificate can sign it in.
    """
    certificate = make_certificate("Membership Desk")
    settings.ENTRA_CLIENT_CERTIFICATE = str(certificate.write(tmp_path / "desk.pem"))
    settings.ENTRA_CLIENT_CERTIFICATE_THUMBPRINT = ""
    settings.ENTRA_CLIENT_SECRET = "not-the-sandbox-secret"
    settings.SANDBOX_CLIENT_CERTIFICATE = str(certificate.write(tmp_path / "registered.pem", with_key=False))
    return certificate


@pytest.mark.parametrize("thumbprint", ["sha256", "sha1"], ids=["msal-computes-x5t#S256", "given-sha1-x5t"])
def test_signing_in_with_a_certificate_reaches_graph_and_refreshes_silently(live_server, tenant, settings,
                                                                             app_certificate, thumbprint):
    if thumbprint == "sha1":
        settings.ENTRA_CLIENT_CERTIFICATE_THUMBPRINT = app_certificate.sha1
    settings.SANDBOX_TOKEN_LIFETIME = 120  # under msal's 300 s margin: every page refreshes, with a new assertion
    desk = sign_in_over_http(live_server.url, "helpdesk@contoso.example")
    group = tenant["helpdesk_group"]
    page = desk.get(f"{live_server.url}/groups/{group.id}/")
    assert page.status_code == 200 and group.display_name in unescape(page.text)
    assert RefreshToken.objects.filter(revoked=True).exists()  # the refresh grant authenticated with the certificate too


def test_a_certificate_the_sandbox_does_not_know_is_refused_with_a_clear_message(live_server, tenant, settings,
                                                                               app_certificate, tmp_path):
    stranger = make_certificate("not registered")
    settings.ENTRA_CLIENT_CERTIFICATE = str(stranger.write(tmp_path / "stranger.pem"))
    desk = DeskSession(live_server.url)
    page = desk.get(f"{live_server.url}/accounts/sign-in/")
    landed = desk.post(page.url, data={"upn": "helpdesk@contoso.example"})
    text = unescape(landed.text)
    assert landed.status_code == 400 and landed.url.startswith(f"{live_server.url}/accounts/callback/")
    assert "Entra refused this app's own credential" in text and "tell whoever runs Membership Desk" in text
    assert "AADSTS700027" in text and "The key was not found" in text
    assert stranger.sha256 in text  # msal signed with the SHA-256 thumbprint (x5t#S256) it computed
    again = desk.get(f"{live_server.url}/groups/", allow_redirects=False)
    assert again.status_code == 302 and again.headers["Location"].startswith("/accounts/sign-in/")
