"""Expiring access against the live sandbox: an add "until" a time, removed by the sweep (run by a real
``db_worker``) with the granter's kept sign-in, journaled as expired; overdue when that sign-in can't."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import KeptSignIn
from members import expiry
from members.models import AuditEntry, Expiry, ExpiryState
from members.tasks import sweep
from sandbox.models import Link, RefreshToken
from tests.conftest import row_html


@pytest.fixture(autouse=True)
def worker_reaches_sandbox(settings, live_server):
    """A worker serves no request, so it reaches the sandbox where the demo tells it to (the Makefile
    sets ``SANDBOX_LOOPBACK_URL``): here, the live server."""
    settings.SANDBOX_LOOPBACK_URL = live_server.url


def is_member(container_id: str, member_id: str) -> bool:
    return Link.objects.filter(container_id=container_id, relation="members", member_id=member_id).exists()


def add_until(desk, group: str, members: list[str], ends: str = "1d", **extra):
    return desk.htmx("POST", f"/groups/{group}/members/", data={"member": members, "ends": ends, **extra},
                     headers={"HX-Target": "add-results"})


def run_worker() -> None:
    """The periodic sweep as ``crontask`` enqueues it, run by a real worker until the queue is empty."""
    sweep.enqueue()
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)


def make_due(*ends: Expiry) -> None:
    Expiry.objects.filter(pk__in=[e.pk for e in ends]).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_an_add_until_is_removed_by_the_sweep_and_journaled_as_expired(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    newcomers = [u.id for u in tenant["spare_users"][:3]]
    desk = sign_in("helpdesk@contoso.example")
    added = add_until(desk, group, newcomers, ends="7d")
    assert added.status_code == 200 and all(is_member(group, m) for m in newcomers)
    ends = list(Expiry.objects.filter(container_id=group))
    assert {e.member_id for e in ends} == set(newcomers) and {e.state for e in ends} == {ExpiryState.SCHEDULED}
    assert all(timedelta(days=6, hours=23) < e.expires_at - timezone.now() <= timedelta(days=7) for e in ends)
    assert {e.grant.outcome for e in ends} == {"done"} and {e.grant.until for e in ends} == {ends[0].expires_at}
    # The granter's sign-in is kept, sealed: no token in clear in the row.
    row = KeptSignIn.objects.get()
    live = RefreshToken.objects.filter(revoked=False).count()
    assert live and "refresh_token" not in row.sealed_cache and "secret" not in row.sealed_cache
    page = unescape(desk.get(f"{desk.base_url}/groups/{group}/").text)
    assert re.search(r"until \d{4}-\d\d-\d\d \d\d:\d\d \w+ \(in 6 days\)", row_html(page, newcomers[0]))

    run_worker()  # nothing due yet: nothing removed
    assert all(is_member(group, m) for m in newcomers)
    make_due(*ends[:2])
    run_worker()

    assert not is_member(group, newcomers[0]) and not is_member(group, newcomers[1]) and is_member(group, newcomers[2])
    removals = AuditEntry.objects.filter(action="remove").order_by("member_id")
    assert {r.member_id for r in removals} == set(newcomers[:2])
    for removal in removals:
        assert removal.expired and removal.outcome == "done" and removal.request_id
        assert removal.actor_upn == "helpdesk@contoso.example"  # on the granter's authority
        assert "granted by helpdesk@contoso.example until" in removal.reason
    assert set(Expiry.objects.filter(state=ExpiryState.REMOVED).values_list("member_id", flat=True)) == set(newcomers[:2])
    # Still one scheduled: the sign-in stays kept; the page no longer lists the removed ones.
    assert KeptSignIn.objects.exists()
    page = desk.get(f"{desk.base_url}/groups/{group}/").text
    assert not row_html(page, newcomers[0]) and row_html(page, newcomers[2])


def test_the_kept_sign_in_is_let_go_when_its_work_is_done_and_the_session_keeps_working(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    newcomer = tenant["spare_users"][0].id
    desk = sign_in("helpdesk@contoso.example")
    add_until(desk, group, [newcomer])
    make_due(*Expiry.objects.all())
    run_worker()
    assert not is_member(group, newcomer) and not KeptSignIn.objects.exists()
    # The cache moved back into the session: the same sign-in still changes things.
    again = desk.htmx("POST", f"/groups/{group}/members/", data={"member": [newcomer]}, headers={"HX-Target": "add-results"})
    assert "Added." in unescape(again.text) and is_member(group, newcomer)


def test_a_revoked_granter_makes_the_end_overdue_and_an_admin_removes_it(sign_in, tenant, settings):
    settings.SANDBOX_TOKEN_LIFETIME = 120  # every access token counts as expired: the sweep must refresh
    group = tenant["helpdesk_group"].id
    newcomer = tenant["spare_users"][0].id
    desk = sign_in("helpdesk@contoso.example")
    add_until(desk, group, [newcomer])
    RefreshToken.objects.update(revoked=True)  # an admin's "revoke sessions"
    make_due(*Expiry.objects.all())
    run_worker()

    end = Expiry.objects.get()
    assert end.state == ExpiryState.DUE and "sign-in can no longer do it" in end.note
    assert is_member(group, newcomer)  # nothing removed by anyone without the right
    assert not AuditEntry.objects.filter(action="remove").exists()
    admin = sign_in("admin@contoso.example")
    home = unescape(admin.get(f"{admin.base_url}/").text)
    assert "Overdue" in home and "sign-in can no longer do it" in home
    page = unescape(admin.get(f"{admin.base_url}/groups/{group}/").text)
    assert "Overdue" in row_html(page, newcomer)
    removed = admin.htmx("DELETE", f"/groups/{group}/members/{newcomer}/", current=f"/groups/{group}/")
    assert "Removed." in unescape(removed.text) and not is_member(group, newcomer)
    end.refresh_from_db()
    assert end.state == ExpiryState.ENDED and end.removal.actor_upn == "admin@contoso.example"


def test_an_end_whose_membership_was_removed_by_hand_is_settled_without_a_call(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    newcomer = tenant["spare_users"][0].id
    desk = sign_in("helpdesk@contoso.example")
    add_until(desk, group, [newcomer])
    desk.htmx("DELETE", f"/groups/{group}/members/{newcomer}/", current=f"/groups/{group}/")
    end = Expiry.objects.get()
    assert end.state == ExpiryState.ENDED and "before its time" in end.note
    make_due(end)
    run_worker()
    assert AuditEntry.objects.filter(action="remove").count() == 1  # the hand removal only


@pytest.mark.parametrize("ends, extra, said", [
    ("date", {"ends_at": "2020-01-01T10:00"}, "that end is in the past"),
    ("date", {"ends_at": "next friday"}, "isn't one this page can read"),
    ("date", {}, "choose the date"),
    ("date", {"ends_at": "2099-01-01T10:00"}, "at most 365 days ahead"),
    ("fortnight", {}, "isn't one of the choices"),
])
def test_a_bad_end_is_answered_inline_and_nothing_is_sent(sign_in, tenant, ends, extra, said):
    group = tenant["helpdesk_group"].id
    newcomer = tenant["spare_users"][0].id
    desk = sign_in("helpdesk@contoso.example")
    answer = add_until(desk, group, [newcomer], ends=ends, **extra)
    assert answer.status_code == 200 and 'role="alert"' in answer.text and said in unescape(answer.text)
    assert not is_member(group, newcomer) and not AuditEntry.objects.exists() and not Expiry.objects.exists()


def test_moving_an_end_extends_shortens_and_makes_permanent(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    newcomer = tenant["spare_users"][0].id
    desk = sign_in("helpdesk@contoso.example")
    add_until(desk, group, [newcomer])
    end = Expiry.objects.get()
    moved = desk.htmx("POST", f"/expiries/{end.pk}/", data={"ends": "30d"})
    assert moved.status_code == 200 and "(in 4 weeks)" in unescape(moved.text)
    assert 'id="end-' + newcomer + '"' in moved.text
    end.refresh_from_db()
    assert timedelta(days=29) < end.expires_at - timezone.now() <= timedelta(days=30)
    bad = desk.htmx("POST", f"/expiries/{end.pk}/", data={"ends": "date", "ends_at": "2001-01-01T00:00"})
    assert 'role="alert"' in bad.text and "in the past" in unescape(bad.text)
    permanent = desk.htmx("POST", f"/expiries/{end.pk}/", data={"ends": ""})
    assert permanent.status_code == 200
    end.refresh_from_db()
    assert end.state == ExpiryState.ENDED and "Made permanent by helpdesk@contoso.example" in end.note
    make_due(end)
    run_worker()
    assert is_member(group, newcomer)


def test_sweeping_twice_removes_once(tenant, sign_in):
    group = tenant["helpdesk_group"].id
    newcomers = [u.id for u in tenant["spare_users"][:4]]
    desk = sign_in("helpdesk@contoso.example")
    add_until(desk, group, newcomers)
    make_due(*Expiry.objects.all())
    first, second = expiry.sweep(), expiry.sweep()
    assert (first.removed, second.removed) == (4, 0)
    assert AuditEntry.objects.filter(action="remove").count() == 4


def test_a_near_end_polls_and_its_row_becomes_removed_on_time_after_the_sweep(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    newcomer, later = [u.id for u in tenant["spare_users"][:2]]
    desk = sign_in("helpdesk@contoso.example")
    add_until(desk, group, [newcomer, later])
    end, far = Expiry.objects.get(member_id=newcomer), Expiry.objects.get(member_id=later)
    page = desk.get(f"{desk.base_url}/groups/{group}/").text
    assert "every 15s" not in row_html(page, newcomer)  # a day away: no row asks
    Expiry.objects.filter(pk=end.pk).update(expires_at=timezone.now() + timedelta(minutes=2))
    row = row_html(desk.get(f"{desk.base_url}/groups/{group}/").text, newcomer)
    poll = unescape(re.search(r'hx-get="([^"]+)"[^>]*hx-trigger="every 15s"', row).group(1))
    assert poll.startswith(f"/expiries/{end.pk}/?at=") and "every 15s" not in row_html(page, later)

    waiting = desk.htmx("GET", poll, current=f"/groups/{group}/")
    assert waiting.status_code == 204 and not waiting.text  # nothing changed: nothing to swap, it polls on

    make_due(end)
    run_worker()
    removed = desk.htmx("GET", poll, current=f"/groups/{group}/")
    assert removed.status_code == 286  # htmx stops polling
    assert removed.headers["HX-Retarget"] == f"#member-{newcomer}" and removed.headers["HX-Reswap"] == "outerHTML"
    assert "membersChanged" in removed.headers["HX-Trigger-After-Settle"]
    html = unescape(removed.text)
    assert html.lstrip().startswith(f'<tr id="removed-{newcomer}"') and "Removed on time" in html
    assert "Undo" not in html


def test_a_polled_end_moved_elsewhere_is_redrawn_and_stops_polling_when_far(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    newcomer = tenant["spare_users"][0].id
    desk = sign_in("helpdesk@contoso.example")
    add_until(desk, group, [newcomer])
    end = Expiry.objects.get()
    answer = desk.htmx("GET", f"/expiries/{end.pk}/?at=1", current=f"/groups/{group}/")
    assert answer.status_code == 286 and f'id="end-{newcomer}"' in answer.text and "(in 23 hours)" in unescape(answer.text)
    assert "every 15s" not in answer.text


def test_reading_an_end_needs_a_readable_container_and_a_real_id(sign_in, tenant):
    desk = sign_in("helpdesk@contoso.example")
    assert desk.htmx("GET", "/expiries/999999/").status_code == 404
    assert desk.htmx("GET", "/expiries/abc/").status_code == 404
    assert desk.htmx("GET", "/expiries/99999999999999999999999/").status_code == 404
    group = tenant["helpdesk_group"].id
    add_until(desk, group, [tenant["spare_users"][0].id])
    end = Expiry.objects.get()
    assert desk.get(f"{desk.base_url}/expiries/{end.pk}/", allow_redirects=False).status_code == 302  # no htmx: the page
    assert desk.htmx("DELETE", f"/expiries/{end.pk}/").status_code == 405


def test_the_person_page_shows_each_memberships_end_and_moves_it(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    newcomer = tenant["spare_users"][0].id
    desk = sign_in("helpdesk@contoso.example")
    add_until(desk, group, [newcomer])
    end = Expiry.objects.get()
    page = unescape(desk.get(f"{desk.base_url}/people/{newcomer}/").text)
    row = re.search(rf'<tr id="membership-{group}".*?</tr>', page, re.S).group(0)
    assert f'id="end-{group}"' in row and "Access until" in row and "(in 23 hours)" in row and "Change end" in row
    assert 'name="on" value="person"' in row
    moved = desk.htmx("POST", f"/expiries/{end.pk}/", data={"ends": "30d", "on": "person"}, current=f"/people/{newcomer}/")
    assert moved.status_code == 200 and f'id="end-{group}"' in moved.text and "(in 4 weeks)" in unescape(moved.text)
    Expiry.objects.filter(pk=end.pk).update(expires_at=timezone.now() + timedelta(minutes=1))
    make_due(end)
    run_worker()
    gone = desk.htmx("GET", f"/expiries/{end.pk}/?on=person&at=0", current=f"/people/{newcomer}/")
    assert gone.status_code == 286 and gone.headers["HX-Retarget"] == f"#membership-{group}"
    assert "Removed on time" in unescape(gone.text)
