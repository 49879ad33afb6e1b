"""Sign in once under production settings, Microsoft's endpoints answered by ``responses``.

Run by tests/integration/test_production_settings.py in a fresh process with a production
environment (``python -m tests.integration.production_sign_in [session engine]``). The session is
stored by the real session middleware and engine; prints JSON with its key and the tokens the
token endpoint handed out, so the caller can look for them in the raw session store.
"""

import base64
import json
import secrets
import sys
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import django

TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
HOST = "desk.contoso.example"


def b64url(data: dict | bytes) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned_jwt(claims: dict) -> str:
    """msal doesn't check id_token signatures; a JWT-shaped token is all it needs."""
    return f"{b64url({'typ': 'JWT', 'alg': 'RS256', 'kid': 'k1'})}.{b64url(claims)}.{b64url(secrets.token_bytes(64))}"


def main() -> None:
    if len(sys.argv) > 1:
        from django.conf import settings

        settings.SESSION_ENGINE = sys.argv[1]
    django.setup()
    import responses
    from django.conf import settings
    from django.test import Client

    authority, client_id = settings.ENTRA_AUTHORITY, settings.ENTRA_CLIENT_ID
    endpoints = f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0"
    oid, now = str(uuid.uuid4()), int(time.time())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as entra:
        entra.get("https://login.microsoftonline.com/common/discovery/instance", json={
            "tenant_discovery_endpoint": f"{authority}/v2.0/.well-known/openid-configuration",
            "api-version": "1.1", "metadata": []})
        entra.get(f"{authority}/v2.0/.well-known/openid-configuration", json={
            "issuer": f"https://login.microsoftonline.com/{TENANT_ID}/v2.0",
            "authorization_endpoint": f"{endpoints}/authorize", "token_endpoint": f"{endpoints}/token",
            "end_session_endpoint": f"{endpoints}/logout"})
        browser = Client(headers={"Host": HOST})
        started = browser.get("/accounts/sign-in/", secure=True)
        assert started.status_code == 302, started.status_code
        query = parse_qs(urlsplit(started["Location"]).query)
        tokens = {
            "access_token": unsigned_jwt({"aud": "00000003-0000-0000-c000-000000000000", "oid": oid, "tid": TENANT_ID,
                                          "scp": " ".join(settings.GRAPH_SCOPES), "exp": now + 3600}),
            "refresh_token": "0.AXoA" + secrets.token_urlsafe(300),
            "id_token": unsigned_jwt({"aud": client_id, "iss": f"https://login.microsoftonline.com/{TENANT_ID}/v2.0",
                                      "iat": now, "nbf": now, "exp": now + 3600, "oid": oid, "sub": oid, "tid": TENANT_ID,
                                      "name": "Helpdesk Operator", "preferred_username": "helpdesk@contoso.example",
                                      "nonce": query["nonce"][0]}),
        }
        entra.post(f"{endpoints}/token", json={
            "token_type": "Bearer", "scope": " ".join(settings.GRAPH_SCOPES + ["openid", "profile", "email"]),
            "expires_in": 3600, "ext_expires_in": 3600, **tokens,
            "client_info": b64url({"uid": oid, "utid": TENANT_ID})})
        landed = browser.get("/accounts/callback/", {"code": "0.code", "state": query["state"][0]}, secure=True)
        assert landed.status_code == 302 and landed["Location"] == "/", (landed.status_code, landed.content[:500])
    print(json.dumps({"session_key": browser.cookies[settings.SESSION_COOKIE_NAME].value,
                      "engine": settings.SESSION_ENGINE, **tokens}))


if __name__ == "__main__":
    main()
