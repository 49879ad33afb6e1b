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


@pytest.mark.parametrize("lifetime", [3600, 120], ids=["tokens-last", "every-call-refreshes"])
def test_the_kept_sign_in_is_let_go_when_its_work_is_done_and_the_session_keeps_working(sign_in, tenant, settings,
                                                                                         lifetime):
    # With short tokens the session's pages and the sweep refresh one rotating chain in turn: a token
    # redeemed twice would revoke it (sandbox.authority), and the session would be signed out.
    settings.SANDBOX_TOKEN_LIFETIME = lifetime
    group = tenant["helpdesk_group"].id
    newcomer = tenant["spare_users"][0].id
    desk = sign_in("helpdesk@contoso.example")
    add_until(desk, group, [newcomer])
    for path in ["/", f"/groups/{group}/"]:  # pages while the sign-in is kept
        assert desk.get(f"{desk.base_url}{path}", allow_redirects=False).status_code == 200
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


def kept_secrets() -> list[str]:
    """The refresh and access tokens in the kept sign-in, decrypted (what must never be found in clear)."""
    import json

    from accounts import tokencrypt

    cache = json.loads(tokencrypt.unseal(KeptSignIn.objects.get().sealed_cache))
    found = [item["secret"] for kind in ("RefreshToken", "AccessToken") for item in cache.get(kind, {}).values()]
    assert found
    return found


def test_the_kept_sign_in_is_sealed_in_the_database_and_never_logged(sign_in, tenant, caplog):
    from django.db import connection

    group = tenant["helpdesk_group"].id
    desk = sign_in("helpdesk@contoso.example")
    with caplog.at_level("DEBUG"):
        add_until(desk, group, [tenant["spare_users"][0].id])
        secrets = kept_secrets()
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM accounts_keptsignin")
            raw = " ".join(str(value) for row in cursor.fetchall() for value in row)
        make_due(*Expiry.objects.all())
        run_worker()  # the sweep refreshes nothing here, but uses the kept tokens
    assert raw and not any(secret in raw for secret in secrets)
    assert not any(secret in caplog.text for secret in secrets)
    assert "sealed_cache" not in repr(KeptSignIn.objects.first())


def test_signing_out_deletes_the_kept_sign_in_and_the_end_waits_as_overdue(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    newcomer = tenant["spare_users"][0].id
    desk = sign_in("helpdesk@contoso.example")
    add_until(desk, group, [newcomer])
    assert KeptSignIn.objects.exists()
    desk.post(f"{desk.base_url}/accounts/sign-out/", headers={"X-CSRFToken": desk.cookies.get("csrftoken", "")})
    assert not KeptSignIn.objects.exists()
    make_due(*Expiry.objects.all())
    run_worker()
    assert Expiry.objects.get().state == ExpiryState.DUE and is_member(group, newcomer)


def test_revoking_the_kept_sign_in_keeps_the_session_signed_in(sign_in, tenant, settings):
    settings.SANDBOX_TOKEN_LIFETIME = 120  # each page refreshes: the chain must have moved back whole
    group = tenant["helpdesk_group"].id
    newcomer, other = tenant["spare_users"][0].id, tenant["spare_users"][1].id
    desk = sign_in("helpdesk@contoso.example")
    add_until(desk, group, [newcomer])
    home = unescape(desk.get(f"{desk.base_url}/").text)
    assert "Scheduled removals use your sign-in until" in home and "Expiring soon" in home
    revoked = desk.post(f"{desk.base_url}/accounts/kept/revoke/", headers={"X-CSRFToken": desk.cookies.get("csrftoken", "")})
    assert revoked.status_code == 200 and "no longer kept" in unescape(revoked.text)
    assert not KeptSignIn.objects.exists()
    again = desk.htmx("POST", f"/groups/{group}/members/", data={"member": [other]}, headers={"HX-Target": "add-results"})
    assert "Added." in unescape(again.text) and is_member(group, other)
    make_due(*Expiry.objects.all())
    run_worker()
    assert Expiry.objects.get().state == ExpiryState.DUE and is_member(group, newcomer)


def test_a_refused_add_until_leaves_no_end_and_lets_the_sign_in_go(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    newcomer = tenant["spare_users"][0].id
    reader = sign_in("user@contoso.example")
    answer = add_until(reader, group, [newcomer])
    assert 'role="alert"' in answer.text and not is_member(group, newcomer)
    assert Expiry.objects.get().state == ExpiryState.ENDED
    run_worker()
    assert not KeptSignIn.objects.exists()


def test_a_pasted_list_and_a_persons_groups_can_be_added_until_a_time(sign_in, tenant):
    from tests.integration.test_paste import plan_key, upn

    group = tenant["helpdesk_group"].id
    newcomers = tenant["spare_users"][:3]
    desk = sign_in("helpdesk@contoso.example")
    dry = desk.htmx("POST", f"/groups/{group}/members/paste/",
                    data={"action": "add", "lines": " ".join(upn(u.id) for u in newcomers)})
    run = desk.htmx("POST", f"/groups/{group}/members/paste/run/", data={"plan": plan_key(dry.text), "ends": "30d"})
    assert "3 added." in unescape(run.text)
    ends = Expiry.objects.filter(container_id=group)
    assert {e.member_id for e in ends} == {u.id for u in newcomers}
    assert {e.expires_at for e in ends} == {AuditEntry.objects.filter(action="add").first().until}

    person = tenant["user"]
    answer = unescape(desk.htmx("POST", f"/people/{person.id}/add/", data={
        "group": [tenant["owned_group"].id], "ends": "today"}).text)
    assert "Added." in answer
    end = Expiry.objects.get(member_id=person.id)
    assert end.container_id == tenant["owned_group"].id and end.expires_at.minute == 59
    bad = unescape(desk.htmx("POST", f"/people/{person.id}/add/", data={
        "group": [tenant["helpdesk_group"].id], "ends": "date", "ends_at": "1999-01-01T00:00"}).text)
    assert 'role="alert"' in bad and "in the past" in bad
    assert not AuditEntry.objects.filter(container_id=tenant["helpdesk_group"].id, member_id=person.id).exists()


def test_adding_again_until_a_later_time_moves_the_end_and_undo_of_a_removal_sets_none(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    newcomer = tenant["spare_users"][0].id
    desk = sign_in("helpdesk@contoso.example")
    add_until(desk, group, [newcomer], ends="1d")
    again = add_until(desk, group, [newcomer], ends="7d")
    assert "Already a member." in unescape(again.text)
    end = Expiry.objects.get()  # one open end per membership: moved, not a second
    assert end.state == ExpiryState.SCHEDULED and end.expires_at - timezone.now() > timedelta(days=6)
    # A permanent member added "until" keeps their permanent membership: no end is set on it.
    member = next(iter(Link.objects.filter(container_id=group, relation="members", member__kind="user")
                       .exclude(member_id=newcomer).values_list("member_id", flat=True)))
    add_until(desk, group, [str(member)], ends="1d")
    assert not Expiry.objects.open().filter(member_id=str(member)).exists()
    # Removed by hand, then put back by the removed row's Undo: back as it was, with no new end.
    desk.htmx("DELETE", f"/groups/{group}/members/{newcomer}/", current=f"/groups/{group}/")
    undo = desk.htmx("POST", f"/groups/{group}/members/", data={"member": [newcomer], "ends": "1d"},
                     headers={"HX-Target": f"removed-{newcomer}"})
    assert undo.status_code == 200 and is_member(group, newcomer)
    assert not Expiry.objects.open().exists()


def test_a_granter_who_lost_the_right_leaves_the_end_overdue_with_graphs_refusal_journaled(sign_in, tenant):
    group = tenant["owned_group"].id
    newcomer = tenant["spare_users"][0].id
    owner = sign_in("owner@contoso.example")
    add_until(owner, group, [newcomer])
    assert is_member(group, newcomer)
    Link.objects.filter(container_id=group, relation="owners").delete()  # no longer an owner
    make_due(*Expiry.objects.all())
    run_worker()
    end = Expiry.objects.get()
    assert end.state == ExpiryState.DUE and "refused the removal" in end.note and is_member(group, newcomer)
    assert end.removal.outcome == "refused" and end.removal.graph_status == 403 and end.removal.request_id
    assert end.removal.expired and end.removal.actor_upn == "owner@contoso.example"


def test_healthz_says_when_a_worker_was_last_seen(live_server, tenant, settings):
    import requests

    assert requests.get(f"{live_server.url}/healthz", timeout=10).json()["worker"] == "not seen"
    run_worker()
    seen = requests.get(f"{live_server.url}/healthz", timeout=10).json()
    assert seen["status"] == "ok" and seen["worker"] == "seen" and seen["worker_seen_at"]
    settings.WORKER_SEEN_WITHIN = 0
    assert requests.get(f"{live_server.url}/healthz", timeout=10).json()["worker"] == "not seen recently"


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


def test_the_sweep_forgets_the_engines_records_of_tasks_finished_over_a_day_ago(tenant):
    from django_tasks_db.models import DBTaskResult

    run_worker()
    run_worker()
    old, recent = DBTaskResult.objects.order_by("finished_at")
    DBTaskResult.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=2))
    run_worker()
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) >= {recent.pk} and not DBTaskResult.objects.filter(
        pk=old.pk).exists()
