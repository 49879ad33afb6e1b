"""Tokens expiring mid-session: silent refresh keeps the session working; a revoked refresh token means sign in again.

``SANDBOX_TOKEN_LIFETIME`` under 300 s makes every access token count as expired for msal, so every
request that needs Graph redeems the refresh token at the sandbox (which rotates it: one new
``RefreshToken`` row per refresh, the used one revoked).
"""

import re
from html import unescape
from urllib.parse import quote

import pytest
from cryptography.fernet import Fernet

from members.models import AuditEntry
from sandbox import knobs
from sandbox.models import DirectoryObject, Link, RefreshToken
from tests.conftest import row_html

PAGES = ["/", "/groups/", "/units/", "/roles/"]


@pytest.fixture
def short_tokens(settings):
    settings.SANDBOX_TOKEN_LIFETIME = 120


def is_member(container_id: str, member_id: str) -> bool:
    return Link.objects.filter(container_id=container_id, relation="members", member_id=member_id).exists()


def a_user_member(group_id: str) -> str:
    return str(Link.objects.filter(container_id=group_id, relation="members", member__kind="user")
               .order_by("member__display_name").values_list("member_id", flat=True).first())


def revoke_refresh_tokens() -> None:
    """What an admin's "revoke sessions" (or a password reset) does to the user's refresh tokens."""
    RefreshToken.objects.update(revoked=True)


def test_a_session_keeps_working_across_pages_by_refreshing_silently(sign_in, tenant, short_tokens):
    desk = sign_in("helpdesk@contoso.example")
    group = tenant["helpdesk_group"]
    member = a_user_member(group.id)
    refreshes_before = RefreshToken.objects.count()

    for path in [*PAGES, f"/groups/{group.id}/"]:
        page = desk.get(f"{desk.base_url}{path}", allow_redirects=False)
        assert page.status_code == 200, (path, page.status_code, page.headers.get("Location"))
    assert 'aria-label="Remove' in row_html(page.text, member)
    removed = desk.htmx("DELETE", f"/groups/{group.id}/members/{member}/", current=f"/groups/{group.id}/")
    assert "Removed." in removed.text and not is_member(group.id, member)

    # One refresh grant per request that needed Graph, each rotating the refresh token: one left usable.
    assert RefreshToken.objects.count() - refreshes_before == len(PAGES) + 2
    assert RefreshToken.objects.filter(revoked=False).count() == 1
    assert AuditEntry.objects.get(member_id=member).outcome == "done"


def test_a_revoked_refresh_token_sends_a_page_to_sign_in_and_back(sign_in, tenant, short_tokens):
    desk = sign_in("helpdesk@contoso.example")
    group = tenant["helpdesk_group"]
    revoke_refresh_tokens()

    answer = desk.get(f"{desk.base_url}/groups/{group.id}/?q=a", allow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/accounts/sign-in/?next={quote(f'/groups/{group.id}/?q=a')}"

    again = desk.get(f"{desk.base_url}{answer.headers['Location']}")  # the sandbox's account picker
    landed = desk.post(again.url, data={"upn": "helpdesk@contoso.example"})
    assert landed.status_code == 200 and landed.url == f"{desk.base_url}/groups/{group.id}/?q=a"


def test_a_revoked_refresh_token_sends_htmx_to_sign_in_with_hx_redirect(sign_in, tenant, short_tokens):
    desk = sign_in("helpdesk@contoso.example")
    revoke_refresh_tokens()
    answer = desk.htmx("GET", "/groups/?q=help", current="/groups/", allow_redirects=False)
    assert answer.status_code == 200 and answer.headers["HX-Redirect"] == "/accounts/sign-in/?next=/groups/"
    assert answer.text == ""  # nothing swapped into the page


def test_a_remove_clicked_after_revocation_is_visibly_not_done_and_audited(sign_in, tenant, short_tokens):
    desk = sign_in("helpdesk@contoso.example")
    group = tenant["helpdesk_group"]
    member = a_user_member(group.id)
    revoke_refresh_tokens()
    knobs.clear_request_log()

    answer = desk.htmx("DELETE", f"/groups/{group.id}/members/{member}/", current=f"/groups/{group.id}/",
                       allow_redirects=False)
    assert answer.headers["HX-Redirect"] == f"/accounts/sign-in/?next=/groups/{group.id}/"
    assert "Removed." not in answer.text
    assert is_member(group.id, member)
    assert not any(entry.method == "DELETE" for entry in knobs.request_log())  # never sent
    entry = AuditEntry.objects.get(member_id=member)
    assert (entry.action, entry.outcome, entry.container_id) == ("remove", "sign_in", group.id)
    assert entry.get_outcome_display() == "Not sent: not signed in"

    # Back from signing in, the member is still listed with its Remove button: nothing pretended.
    again = desk.get(f"{desk.base_url}{answer.headers['HX-Redirect']}")
    page = desk.post(again.url, data={"upn": "helpdesk@contoso.example"})
    assert page.url == f"{desk.base_url}/groups/{group.id}/"
    assert 'aria-label="Remove' in row_html(page.text, member)
    activity = unescape(desk.get(f"{desk.base_url}/activity/").text)
    row = re.search(r'<tr id="entry-\d+" class="outcome-sign_in">.*?</tr>', activity, re.S).group(0)
    assert member in row and "Not sent: not signed in" in row
    # The cause beside the outcome, not the outcome said twice.
    assert "the sign-in had ended (it expired, or you signed out)" in row and row.count("Not sent") == 1


def test_an_add_clicked_after_revocation_is_not_done_and_audited(sign_in, tenant, short_tokens):
    desk = sign_in("helpdesk@contoso.example")
    group = tenant["helpdesk_group"]
    newcomer = tenant["spare_users"][0].id
    revoke_refresh_tokens()

    answer = desk.htmx("POST", f"/groups/{group.id}/members/", data={"member": newcomer},
                       current=f"/groups/{group.id}/", headers={"HX-Target": "add-results"}, allow_redirects=False)
    assert answer.headers["HX-Redirect"] == f"/accounts/sign-in/?next=/groups/{group.id}/"
    assert not is_member(group.id, newcomer)
    assert AuditEntry.objects.get(member_id=newcomer).outcome == "sign_in"


def test_rotating_the_token_cache_key_keeps_sessions_signed_in(sign_in, tenant, short_tokens, settings):
    """New key first, old one kept: a refresh re-encrypts the cache under the new key, so the old can go."""
    old, new = settings.TOKEN_CACHE_KEYS[0], Fernet.generate_key().decode()
    desk = sign_in("helpdesk@contoso.example")
    settings.TOKEN_CACHE_KEYS = [new, old]
    assert desk.get(f"{desk.base_url}/groups/", allow_redirects=False).status_code == 200
    settings.TOKEN_CACHE_KEYS = [new]
    assert desk.get(f"{desk.base_url}/groups/", allow_redirects=False).status_code == 200
    settings.TOKEN_CACHE_KEYS = [Fernet.generate_key().decode()]  # a key the cache was never sealed with
    answer = desk.get(f"{desk.base_url}/groups/", allow_redirects=False)
    assert answer.status_code == 302 and answer.headers["Location"] == "/accounts/sign-in/?next=/groups/"


def test_parallel_requests_of_one_session_with_short_lived_tokens_never_bounce(sign_in, tenant, settings):
    """6 at a time, 50 pages and 10 changes, every access token counting as expired for msal: one
    refresh at a time per session, the others using the token it got; none sent to sign-in, none "not sent"."""
    from concurrent.futures import ThreadPoolExecutor

    settings.SANDBOX_TOKEN_LIFETIME = 60
    group = tenant["helpdesk_group"].id
    inside = {str(m) for m in Link.objects.filter(container_id=group, relation="members").values_list("member_id", flat=True)}
    devices = DirectoryObject.objects.filter(kind="device").exclude(id__in=inside).order_by("id")
    newcomers = ([str(user.id) for user in tenant["spare_users"]] + [str(d.id) for d in devices])[:10]
    desk = sign_in("helpdesk@contoso.example")
    refreshes_before = RefreshToken.objects.count()
    pages = [PAGES[n % len(PAGES)] for n in range(50)]
    work = [("page", path) for path in pages] + [("add", member) for member in newcomers]
    work = work[::5] + work[1::5] + work[2::5] + work[3::5] + work[4::5]  # changes among the pages

    def do(item):
        kind, value = item
        if kind == "page":
            return desk.htmx("GET", value, current=value)
        return desk.htmx("POST", f"/groups/{group}/members/", current=f"/groups/{group}/", data={"member": value},
                         headers={"HX-Target": "add-results"})

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(do, work))

    bounced = [(item, a.status_code, a.headers.get("HX-Redirect") or a.headers.get("Location"))
               for item, a in zip(work, answers) if a.status_code != 200 or "HX-Redirect" in a.headers]
    assert bounced == []
    assert AuditEntry.objects.filter(outcome="sign_in").count() == 0
    assert sorted(AuditEntry.objects.filter(outcome="done").values_list("member_id", flat=True)) == sorted(newcomers)
    assert all(is_member(group, member) for member in newcomers)
    refreshes = RefreshToken.objects.count() - refreshes_before
    print(f"{len(work)} requests, {refreshes} refreshes")
    assert refreshes < len(work)  # a request that waited used the token another got (most of them)
    # Each refresh redeemed the newest token, in turn: one chain, no fork from a token redeemed twice.
    assert RefreshToken.objects.filter(revoked=False).count() == 1
