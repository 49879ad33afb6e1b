"""The walking skeleton end to end: the real msal and requests against the live sandbox, over real HTTP."""

from html import unescape

from members.models import AuditEntry
from sandbox import knobs
from sandbox.models import Link
from tests.conftest import row_html


def members_of(group_id: str) -> set[str]:
    return {str(m) for m in Link.objects.filter(container_id=group_id, relation="members").values_list("member_id", flat=True)}


def a_user_member(group_id: str) -> str:
    return str(Link.objects.filter(container_id=group_id, relation="members", member__kind="user")
               .order_by("member__display_name").values_list("member_id", flat=True).first())


def test_helpdesk_signs_in_and_removes_a_group_member(sign_in, tenant):
    group = tenant["helpdesk_group"]
    member = a_user_member(group.id)
    desk = sign_in("helpdesk@contoso.example")

    listing = desk.get(f"{desk.base_url}/groups/?q=Helpdesk")
    assert listing.status_code == 200 and group.display_name in unescape(listing.text)
    page = desk.get(f"{desk.base_url}/groups/{group.id}/")
    assert page.status_code == 200 and "Graph round trips" in page.headers["Server-Timing"]
    assert 'aria-label="Remove' in row_html(page.text, member)

    answer = desk.htmx("DELETE", f"/groups/{group.id}/members/{member}/", current=f"/groups/{group.id}/")
    assert answer.status_code == 200 and 'desc="1 Graph round trips"' in answer.headers["Server-Timing"]
    assert answer.text.lstrip().startswith(f'<tr id="removed-{member}" class="removed"') and "Removed." in answer.text
    assert member not in members_of(group.id)

    entry = AuditEntry.objects.get()
    assert (entry.actor_upn, entry.action, entry.outcome, entry.container_id, entry.member_id) == (
        "helpdesk@contoso.example", "remove", "done", group.id, member)
    assert entry.request_id and entry.request_id in {e.request_id for e in knobs.request_log()}
    assert "access_token" not in answer.text and "refresh_token" not in answer.text


def test_user_without_a_role_is_refused_inline_and_the_member_stays(sign_in, tenant):
    group = tenant["helpdesk_group"]
    member = a_user_member(group.id)
    desk = sign_in("user@contoso.example")

    answer = desk.htmx("DELETE", f"/groups/{group.id}/members/{member}/", current=f"/groups/{group.id}/")
    row = unescape(row_html(answer.text, member))
    assert answer.status_code == 200 and 'role="alert"' in row
    assert "Groups Administrator" in row and 'aria-label="Remove' in row
    assert member in members_of(group.id)
    entry = AuditEntry.objects.get()
    assert (entry.outcome, entry.graph_status, entry.graph_code) == ("refused", 403, "Authorization_RequestDenied")
    assert entry.request_id


def test_removing_a_non_member_says_already_removed(sign_in, tenant):
    group = tenant["helpdesk_group"]
    outsider = tenant["spare_users"][0].id
    assert outsider not in members_of(group.id)
    desk = sign_in("helpdesk@contoso.example")
    answer = desk.htmx("DELETE", f"/groups/{group.id}/members/{outsider}/")
    assert "Already removed" in unescape(answer.text) and 'role="alert"' not in answer.text
    assert AuditEntry.objects.get().outcome == "already"


def test_signed_out_user_cannot_use_the_old_session(sign_in, tenant):
    desk = sign_in("helpdesk@contoso.example")
    out = desk.post(f"{desk.base_url}/accounts/sign-out/", headers={"X-CSRFToken": desk.cookies.get("csrftoken")})
    assert out.url.endswith("/accounts/signed-out/")
    again = desk.get(f"{desk.base_url}/groups/", allow_redirects=False)
    assert again.status_code == 302 and again.headers["Location"].startswith("/accounts/sign-in/")
