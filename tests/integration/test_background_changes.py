"""Background changes against the live sandbox: a large paste run, bulk change or Undo answers at once and a
real ``db_worker`` makes it with the person's kept sign-in, journaled; the page follows its progress."""

import re
import uuid
from datetime import timedelta
from html import unescape

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import KeptSignIn
from members import changes
from members.directory import Action, Container, Kind
from members.models import AuditEntry, BackgroundChange, JobState
from members.tasks import run_change, sweep
from sandbox import knobs
from sandbox.models import DirectoryObject, Link
from sandbox.seed import seed_tenant
from tests.conftest import SMALL_TENANT


@pytest.fixture(autouse=True)
def worker_reaches_sandbox(settings, live_server):
    """A worker serves no request: it reaches the sandbox through the live server."""
    settings.SANDBOX_LOOPBACK_URL = live_server.url


def run_worker() -> None:
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)


def members_of(container_id: str) -> set[str]:
    return {str(m) for m in Link.objects.filter(container_id=container_id, relation="members").values_list("member_id", flat=True)}


def outside(container_id: str, count: int) -> list[str]:
    inside = members_of(container_id)
    found = DirectoryObject.objects.filter(kind__in=["device", "user"], deleted_at=None).exclude(id__in=inside)
    ids = [str(o.id) for o in found.order_by("kind", "id") if o.kind == "device" or "@contoso.example" in o.principal_name]
    assert len(ids) >= count, f"only {len(ids)} outside"
    return ids[:count]


def plan_key(html: str) -> str:
    return re.search(r'name="plan" value="([^"]+)"', html).group(1)


def job_url(html: str) -> str:
    return re.search(r'hx-get="(/jobs/[0-9a-f-]{36}/)', html).group(1)


def writes(log) -> list:
    """The membership writes among logged round trips (a $batch's items counted one by one)."""
    found = []
    for entry in log:
        if entry.items:
            found += [item for item in entry.items if item[0] in ("POST", "PATCH", "DELETE")]
        elif entry.method in ("POST", "PATCH", "DELETE") and "$batch" not in entry.path:
            found.append((entry.method, entry.path))
    return found


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_a_thousand_line_paste_answers_at_once_and_the_worker_makes_every_change(sign_in, tenant):
    tenant = seed_tenant(**{**SMALL_TENANT, "users": 1100})
    group = tenant["helpdesk_group"].id
    ids = outside(group, 1000)
    desk = sign_in("helpdesk@contoso.example")
    dry = desk.htmx("POST", f"/groups/{group}/members/paste/", data={"action": "add", "lines": "\n".join(ids)})
    assert "Add 1000 members" in dry.text

    knobs.clear_request_log()
    run = desk.htmx("POST", f"/groups/{group}/members/paste/run/", data={"plan": plan_key(dry.text)})
    assert run.status_code == 200 and run.elapsed.total_seconds() < 5
    assert not writes(knobs.request_log()), "the request sent a write itself"
    assert run.text.lstrip().startswith('<div id="paste-run"') and 'hx-trigger="every 1s"' in run.text
    assert "0 of 1,000" in text(run.text) and '<progress max="1000" value="0"' in run.text
    assert not members_of(group) & set(ids)
    job = BackgroundChange.objects.get()
    assert job.state == JobState.QUEUED and KeptSignIn.objects.exists()

    run_worker()

    assert set(ids) <= members_of(group)
    entries = AuditEntry.objects.filter(change_id=job.change_id)
    assert entries.count() == 1000 and {e.outcome for e in entries} == {"done"}
    assert all(e.request_id for e in entries) and {e.actor_upn for e in entries} == {"helpdesk@contoso.example"}
    assert len([w for w in writes(knobs.request_log())]) >= 50  # the worker's, not the request's
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.done == 1000
    assert not KeptSignIn.objects.exists()  # nothing left to do with it: let go

    # The progress fragment now answers the results, without the trigger: polling stops.
    done = desk.htmx("GET", job_url(run.text))
    assert done.status_code == 200 and "every 1s" not in done.text and "hx-get" not in done.text.split(">")[0]
    assert "1000 added." in text(done.text)
    assert len(re.findall(r'<tr id="paste-line-\d+" class="paste-done"', done.text)) == 1000
    assert "Undo this change (1000 members)" in text(done.text)


def test_progress_shows_counts_while_running_and_the_job_page_shows_it_reopened(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    ids = outside(group, 150)
    desk = sign_in("helpdesk@contoso.example")
    dry = desk.htmx("POST", f"/groups/{group}/members/paste/", data={"action": "add", "lines": " ".join(ids)})
    run = desk.htmx("POST", f"/groups/{group}/members/paste/run/", data={"plan": plan_key(dry.text)})
    url = job_url(run.text)
    job = BackgroundChange.objects.get()
    BackgroundChange.objects.filter(pk=job.pk).update(state=JobState.RUNNING, done=60)
    polled = desk.htmx("GET", url)
    assert 'hx-trigger="every 1s"' in polled.text and "60 of 150" in text(polled.text)
    assert '<progress max="150" value="60"' in polled.text
    # The page closed and opened again: the container page and Home list the job, polling it.
    for page in (desk.get(f"{desk.base_url}/groups/{group}/").text, desk.get(f"{desk.base_url}/").text):
        assert "Your changes in progress" in page and f'hx-get="{url}?compact=1"' in page
    BackgroundChange.objects.filter(pk=job.pk).update(state=JobState.QUEUED, done=0)

    run_worker()

    page = desk.get(f"{desk.base_url}{url}")
    assert page.status_code == 200 and "<html" in page.text and "150 added." in text(page.text)
    assert "every 1s" not in page.text
    assert "Your changes in progress" not in desk.get(f"{desk.base_url}/groups/{group}/").text
    # Someone else, and an id that is no job: 404.
    other = sign_in("admin@contoso.example")
    assert other.get(f"{other.base_url}{url}").status_code == 404
    assert other.htmx("GET", url).status_code == 404
    assert desk.get(f"{desk.base_url}/jobs/{uuid.uuid4()}/").status_code == 404
    assert desk.get(f"{desk.base_url}/jobs/not-a-job/").status_code == 404


def test_a_large_bulk_remove_runs_as_a_job_and_a_small_one_in_the_request(sign_in, tenant, settings):
    settings.BACKGROUND_CHANGE_ABOVE = 5
    big = tenant["big_group"].id
    inside = sorted(members_of(big))
    desk = sign_in("admin@contoso.example")
    knobs.clear_request_log()
    small = desk.htmx("POST", f"/groups/{big}/members/remove/", data={"member": inside[:3]})
    assert "3 of 3 removed." in text(small.text) and not BackgroundChange.objects.exists()
    assert not set(inside[:3]) & members_of(big)

    knobs.clear_request_log()
    large = desk.htmx("POST", f"/groups/{big}/members/remove/", data={"member": inside[3:23]})
    assert large.text.lstrip().startswith('<div id="bulk-results"') and "0 of 20" in text(large.text)
    assert not writes(knobs.request_log()) and set(inside[3:23]) <= members_of(big)
    run_worker()
    assert not set(inside[3:23]) & members_of(big)
    done = desk.htmx("GET", job_url(large.text))
    assert "20 removed." in text(done.text) and len(re.findall(r'<li class="outcome ok" id="job-line-', done.text)) == 20


def test_a_large_undo_runs_as_a_job_with_progress(sign_in, tenant, settings):
    settings.BACKGROUND_CHANGE_ABOVE = 120
    group = tenant["helpdesk_group"].id
    ids = outside(group, 150)
    desk = sign_in("helpdesk@contoso.example")
    dry = desk.htmx("POST", f"/groups/{group}/members/paste/", data={"action": "add", "lines": " ".join(ids)})
    run = desk.htmx("POST", f"/groups/{group}/members/paste/run/", data={"plan": plan_key(dry.text)})
    run_worker()
    done = desk.htmx("GET", job_url(run.text))
    entry_ids = re.findall(r'name="entry" value="(\d+)"', done.text)
    assert len(entry_ids) == 150 and set(ids) <= members_of(group)

    knobs.clear_request_log()
    undo = desk.htmx("POST", f"/groups/{group}/members/undo/", data={"entry": entry_ids})
    assert undo.status_code == 200 and 'hx-trigger="every 1s"' in undo.text and "0 of 150" in text(undo.text)
    assert "Undoing 150 changes" in text(undo.text)
    assert not writes(knobs.request_log()) and set(ids) <= members_of(group)
    run_worker()
    assert not set(ids) & members_of(group)
    undone = desk.htmx("GET", job_url(undo.text))
    assert "Reverted: all 150 members of this change." in text(undone.text) and "every 1s" not in undone.text
    reverts = AuditEntry.objects.filter(action="remove", container_id=group)
    assert reverts.count() == 150 and {r.outcome for r in reverts} == {"done"} and all(r.reverts_id for r in reverts)
    assert len({r.change_id for r in reverts}) == 1


def test_a_job_whose_worker_was_killed_is_resumed_by_the_sweep_each_member_changed_once(sign_in, tenant, settings):
    group = tenant["helpdesk_group"].id
    ids = outside(group, 250)
    desk = sign_in("helpdesk@contoso.example")
    dry = desk.htmx("POST", f"/groups/{group}/members/paste/", data={"action": "add", "lines": " ".join(ids)})
    desk.htmx("POST", f"/groups/{group}/members/paste/run/", data={"plan": plan_key(dry.text)})
    job = BackgroundChange.objects.get()
    # The killed worker had sent its first piece, and lost the answers of its last 20 before settling them.
    from members import client

    actor = job.actor
    changes.apply(client.graph_for_kept(actor), actor, Action.ADD, Container(Kind.GROUPS, group), ids[:100],
                  changes.Known(), changes.Note(change=job.change_id))
    lost = AuditEntry.objects.filter(change_id=job.change_id, member_id__in=ids[80:100])
    long_ago = timezone.now() - timedelta(hours=1)
    lost.update(outcome="pending", settled_at=None, created_at=long_ago)
    BackgroundChange.objects.filter(pk=job.pk).update(state=JobState.RUNNING, done=100, updated_at=long_ago)
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()  # the killed worker's task is gone with it
    knobs.clear_request_log()

    sweep.enqueue()
    run_worker()

    job.refresh_from_db()
    assert job.state == JobState.DONE and job.done == 250
    assert set(ids) <= members_of(group)
    entries = list(AuditEntry.objects.filter(change_id=job.change_id))
    assert sorted(e.member_id for e in entries) == sorted(ids)  # one attempt per member
    assert {e.outcome for e in entries if e.member_id in ids[80:100]} == {"as_asked"}  # read back, not re-sent
    sent = [item for item in writes(knobs.request_log())]
    assert len(sent) <= 150 // 20 + 2  # PATCHes of 20 for the 150 left, none for the first 100


def test_a_job_whose_kept_sign_in_is_gone_stops_and_journals_the_rest_as_not_sent(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    ids = outside(group, 150)
    desk = sign_in("helpdesk@contoso.example")
    dry = desk.htmx("POST", f"/groups/{group}/members/paste/", data={"action": "add", "lines": " ".join(ids)})
    run = desk.htmx("POST", f"/groups/{group}/members/paste/run/", data={"plan": plan_key(dry.text)})
    KeptSignIn.objects.all().delete()
    knobs.clear_request_log()
    run_worker()
    assert not writes(knobs.request_log()) and not set(ids) & members_of(group)
    job = BackgroundChange.objects.get()
    assert job.state == JobState.INTERRUPTED
    assert {e.outcome for e in AuditEntry.objects.filter(change_id=job.change_id)} == {"sign_in"}
    assert AuditEntry.objects.filter(change_id=job.change_id).count() == 150
    shown = text(desk.htmx("GET", job_url(run.text)).text)
    assert "your sign-in could not be used any more, so 150 members were not sent" in shown
    # Signed in again, the group's page lists the job as stopped and offers to make what was not sent.
    again = sign_in("helpdesk@contoso.example")
    page = text(again.get(f"{again.base_url}/groups/{group}/").text)
    assert "Your changes in progress" in page and "150 members were not sent" in page
    assert "Not made while you were not signed in" in page


def test_run_twice_changed_once(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    ids = outside(group, 120)
    desk = sign_in("helpdesk@contoso.example")
    dry = desk.htmx("POST", f"/groups/{group}/members/paste/", data={"action": "add", "lines": " ".join(ids)})
    desk.htmx("POST", f"/groups/{group}/members/paste/run/", data={"plan": plan_key(dry.text)})
    again = desk.htmx("POST", f"/groups/{group}/members/paste/run/", data={"plan": plan_key(dry.text)})
    assert again.status_code == 200 and BackgroundChange.objects.count() == 1  # the second click follows the first
    job = BackgroundChange.objects.get()
    run_change.enqueue(str(job.id))
    run_worker()
    assert AuditEntry.objects.filter(change_id=job.change_id).count() == 120 and set(ids) <= members_of(group)


def test_a_large_revert_all_runs_as_a_job_in_the_change_row(sign_in, tenant, settings):
    settings.BACKGROUND_CHANGE_ABOVE = 10
    group = tenant["helpdesk_group"].id
    ids = outside(group, 30)
    desk = sign_in("helpdesk@contoso.example")
    added = desk.htmx("POST", f"/groups/{group}/members/", data={"member": ids}, headers={"HX-Target": "add-results"})
    assert added.text.lstrip().startswith('<div id="add-results"') and "0 of 30" in text(added.text)
    run_worker()
    assert set(ids) <= members_of(group)
    job = BackgroundChange.objects.get()
    assert "30 added." in text(desk.htmx("GET", job_url(added.text)).text)

    knobs.clear_request_log()
    revert = desk.htmx("POST", f"/activity/change/{job.change_id}/revert/")
    assert revert.text.lstrip().startswith(f'<tr class="change-group" id="change-{job.change_id}"')
    assert 'hx-trigger="every 1s"' in revert.text and not writes(knobs.request_log())
    run_worker()
    assert not set(ids) & members_of(group)
    reverted = desk.htmx("GET", job_url(revert.text))
    assert "Reverted: all 30 members of this change." in text(reverted.text)


def test_a_large_change_without_htmx_goes_to_the_jobs_page(sign_in, tenant, settings):
    settings.BACKGROUND_CHANGE_ABOVE = 5
    big = tenant["big_group"].id
    inside = sorted(members_of(big))[:8]
    desk = sign_in("admin@contoso.example")
    answer = desk.post(f"{desk.base_url}/groups/{big}/members/remove/", data={"member": inside},
                       headers={"X-CSRFToken": desk.cookies["csrftoken"]})
    job = BackgroundChange.objects.get()
    assert answer.status_code == 200 and answer.url.endswith(f"/jobs/{job.id}/") and "0 of 8" in text(answer.text)
    run_worker()
    page = desk.get(answer.url)
    assert "8 removed." in text(page.text) and not set(inside) & members_of(big)
