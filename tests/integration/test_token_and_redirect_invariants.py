"""DESIGN.md invariants 3 (tokens stay in the server-side session) and 7 (``next`` stays on this site)."""

import json
import logging
from urllib.parse import quote

from django.contrib.sessions.models import Session

from members.models import AuditEntry
from accounts import tokencrypt
from tests.conftest import DeskSession


def tokens_in_sessions() -> set[str]:
    """Every access and refresh token secret held in the server-side sessions' msal caches."""
    secrets = set()
    for session in Session.objects.all():
        sealed = session.get_decoded().get("token_cache")
        cache = json.loads(tokencrypt.unseal(sealed)) if sealed else {}
        for section in ("AccessToken", "RefreshToken", "IdToken"):
            secrets.update(entry["secret"] for entry in cache.get(section, {}).values())
    return secrets


def test_tokens_never_reach_pages_cookies_logs_or_audit_rows(sign_in, tenant, caplog):
    caplog.set_level(logging.DEBUG)
    desk = sign_in("helpdesk@contoso.example")
    group = tenant["helpdesk_group"].id
    seen = [desk.get(f"{desk.base_url}{path}") for path in ("/", "/groups/", f"/groups/{group}/", "/activity/")]
    member = tenant["spare_users"][0].id
    seen.append(desk.htmx("POST", f"/groups/{group}/members/", data={"member": member}))
    seen.append(desk.htmx("DELETE", f"/groups/{group}/members/{member}/"))
    seen.append(desk.get(f"{desk.base_url}/groups/not-a-guid/"))

    secrets = tokens_in_sessions()
    assert len(secrets) >= 3  # an access, a refresh and an id token exist...
    visible = [r.text + json.dumps(dict(r.headers)) for r in seen]
    visible += [f"{c.name}={c.value}" for c in desk.cookies]
    visible += [record.getMessage() + repr(record.__dict__.get("args")) for record in caplog.records]
    visible += [json.dumps(list(AuditEntry.objects.values()), default=str)]
    for secret in secrets:  # ...and none of them is anywhere a browser, a log or the audit log can see
        assert not any(secret in text for text in visible)
    assert {c.name for c in desk.cookies} == {"sessionid", "csrftoken"}


def test_next_after_sign_in_stays_on_this_site(live_server, tenant):
    for target, expected in [("/groups/", "/groups/"), ("https://evil.example/phish", "/"),
                             ("//evil.example/phish", "/"), ("/\\evil.example", "/"),
                             ("abc", "/"), ("members:home", "/"), ("javascript:alert(1)", "/")]:
        desk = DeskSession(live_server.url)
        page = desk.get(f"{live_server.url}/accounts/sign-in/?next={quote(target)}")
        landed = desk.post(page.url, data={"upn": "user@contoso.example"})
        assert landed.url == f"{live_server.url}{expected}", target


def test_a_replayed_callback_is_refused(live_server, tenant):
    desk = DeskSession(live_server.url)
    page = desk.get(f"{live_server.url}/accounts/sign-in/")
    redirect = desk.post(page.url, data={"upn": "user@contoso.example"}, allow_redirects=False)
    callback = redirect.headers["Location"]
    assert desk.get(callback).status_code == 200  # signs in, lands on /
    replay = DeskSession(live_server.url).get(callback)
    assert replay.status_code == 400 and "already been used or has expired" in replay.text


def test_sign_in_redirect_uri_comes_from_a_configured_host_never_a_made_up_sandbox_one(live_server, tenant):
    import requests
    from urllib.parse import parse_qs, urlsplit

    answer = requests.get(f"{live_server.url}/accounts/sign-in/", allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["redirect_uri"] == [f"{live_server.url}/accounts/callback/"]
    for host in ("evil.sandbox.test", "login.sandbox.test"):
        refused = requests.get(f"{live_server.url}/accounts/sign-in/", headers={"Host": host}, allow_redirects=False, timeout=30)
        assert refused.status_code == 400 and host not in refused.headers.get("Location", "")
