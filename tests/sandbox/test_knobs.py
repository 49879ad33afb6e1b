"""Knobs: latency, faults (503/504/dropped answer), write throttling windows, the request log."""

import time

import pytest
import requests

from sandbox import knobs, transport
from sandbox.models import Link
from tests.sandbox.conftest import group_path, token_for


def test_it_sleeps_the_configured_latency_per_call(graph_as, settings):
    graph = graph_as("user")
    settings.SANDBOX_LATENCY_MS = 200
    started = time.monotonic()
    assert graph.get("me").status_code == 200
    assert time.monotonic() - started >= 0.2


def test_it_fails_calls_with_503_and_retry_after(graph_as, settings):
    graph = graph_as("user")
    settings.SANDBOX_FAULT_RATE = 1
    settings.SANDBOX_FAULTS = ["503"]
    response = graph.get("me")
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.json()["error"]["code"] == "UnknownError" and response.json()["error"]["message"] == ""


def test_it_fails_calls_with_504(graph_as, settings):
    graph = graph_as("user")
    settings.SANDBOX_FAULT_RATE = 1
    settings.SANDBOX_FAULTS = ["504"]
    assert graph.get("me").status_code == 504


def test_it_draws_the_same_faults_from_the_same_seed(settings):
    settings.SANDBOX_FAULT_RATE = 0.5
    settings.SANDBOX_FAULT_SEED = 7
    knobs.reset_faults()
    first = [knobs.draw_fault() for _ in range(40)]
    knobs.reset_faults()
    assert [knobs.draw_fault() for _ in range(40)] == first
    assert {None, "503", "504", "drop"} == set(first)


def test_it_drops_the_answer_after_doing_the_work_through_the_transport(live_server, sandbox_tenant, settings):
    """A dropped answer raises ConnectionError in the client although the removal happened."""
    known = sandbox_tenant
    settings.SANDBOX_LOOPBACK_URL = live_server.url
    settings.SANDBOX_FAULT_RATE = 1
    settings.SANDBOX_FAULTS = ["drop"]
    session = transport.mount(requests.Session())
    member = known["user"].id
    url = f"https://graph.sandbox.test/v1.0/{group_path(known, 'helpdesk_group')}/members/{member}/$ref"
    with pytest.raises(requests.ConnectionError):
        session.delete(url, headers={"Authorization": f"Bearer {token_for(known['helpdesk'].id)}"}, timeout=10)
    assert not Link.objects.filter(container_id=known["helpdesk_group"].id, member_id=member).exists()


def test_it_reaches_the_sandbox_through_the_transport_with_public_urls(live_server, sandbox_tenant, settings):
    known = sandbox_tenant
    settings.SANDBOX_LOOPBACK_URL = live_server.url
    session = transport.mount(requests.Session())
    response = session.get(f"https://graph.sandbox.test/v1.0/{group_path(known, 'big_group')}/members",
                           headers={"Authorization": f"Bearer {token_for(known['helpdesk'].id)}"}, timeout=10)
    assert response.json()["@odata.nextLink"].startswith("https://graph.sandbox.test/v1.0/groups/")


def test_it_opens_the_write_window_again_after_it_passes(settings):
    settings.SANDBOX_WRITE_LIMIT = 2
    settings.SANDBOX_WRITE_WINDOW = 10
    knobs.reset_throttle()
    knobs.check_write_throttle(now=100.0)
    knobs.check_write_throttle(now=101.0)
    with pytest.raises(Exception) as refused:
        knobs.check_write_throttle(now=102.0)
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "8"
    knobs.check_write_throttle(now=110.5)
    knobs.reset_throttle()


def test_it_does_not_throttle_reads(graph_as, settings):
    graph = graph_as("user")
    settings.SANDBOX_WRITE_LIMIT = 1
    assert all(graph.get("me").status_code == 200 for _ in range(3))


def test_it_logs_each_round_trip_and_can_be_cleared(graph_as, known):
    graph = graph_as("user")
    knobs.clear_request_log()
    response = graph.get("groups?$top=2")
    graph.get("groups/not-a-guid")
    first, second = knobs.request_log()
    assert (first.method, first.path, first.query, first.status) == ("GET", "/sandbox/graph/v1.0/groups", "$top=2", 200)
    assert first.request_id == response.headers["request-id"] and first.time <= time.time()
    assert second.status == 400
    knobs.clear_request_log()
    assert knobs.request_log() == []


def test_it_throttles_calls_with_429_and_retry_after_as_a_fault_without_doing_them(graph_as, known, settings):
    graph = graph_as("helpdesk")
    member = known["spare_users"][0].id
    settings.SANDBOX_FAULT_RATE = 1
    settings.SANDBOX_FAULTS = ["429"]
    settings.SANDBOX_FAULT_RETRY_AFTER = 3
    knobs.clear_request_log()
    response = graph.add(group_path(known, "helpdesk_group"), member)
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"
    assert response.json()["error"]["code"] == "TooManyRequests"
    assert not Link.objects.filter(container_id=known["helpdesk_group"].id, member_id=member).exists()
    assert [entry.fault for entry in knobs.request_log()] == ["429"]


def test_a_slow_fault_answers_normally_after_the_configured_delay(graph_as, known, settings, monkeypatch):
    graph = graph_as("helpdesk")
    member = known["spare_users"][0].id
    delays = []
    monkeypatch.setattr(knobs.time, "sleep", delays.append)  # record the delay instead of waiting it
    settings.SANDBOX_FAULT_RATE = 1
    settings.SANDBOX_FAULTS = ["slow"]
    settings.SANDBOX_SLOW_MS = 1500
    knobs.clear_request_log()
    assert graph.add(group_path(known, "helpdesk_group"), member).status_code == 204
    assert Link.objects.filter(container_id=known["helpdesk_group"].id, member_id=member).exists()
    assert delays == [1.5] and [entry.fault for entry in knobs.request_log()] == ["slow"]


def test_the_default_faults_are_still_503_504_and_drop(settings):
    settings.SANDBOX_FAULT_RATE = 1
    settings.SANDBOX_FAULT_SEED = 3
    knobs.reset_faults()
    assert {knobs.draw_fault() for _ in range(60)} == {"503", "504", "drop"}
    knobs.reset_faults()


def _add_with_fault(graph_as, known, settings, fault: str, when: str):
    graph = graph_as("helpdesk")
    member = known["spare_users"][0].id
    settings.SANDBOX_FAULT_RATE = 1
    settings.SANDBOX_FAULTS = [fault]
    settings.SANDBOX_FAULT_WHEN = when
    knobs.reset_faults()
    knobs.clear_request_log()
    response = graph.add(group_path(known, "helpdesk_group"), member)
    made = Link.objects.filter(container_id=known["helpdesk_group"].id, member_id=member).exists()
    return response, made


@pytest.mark.parametrize("fault", ["503", "504"])
def test_a_fault_after_the_write_makes_the_write_and_answers_the_error(graph_as, known, settings, fault,
                                                                       django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response, made = _add_with_fault(graph_as, known, settings, fault, "after")
    assert response.status_code == int(fault) and made
    (logged,) = knobs.request_log()
    assert (logged.status, logged.processed_status, logged.fault) == (int(fault), 204, fault)
    assert [(method, status) for method, _, status in logged.writes] == [("POST", 204)]
    (change,) = knobs.membership_log()
    assert (change.container_id, change.member_id, change.action, change.request_id) == (
        str(known["helpdesk_group"].id), str(known["spare_users"][0].id), "add", logged.request_id)


@pytest.mark.parametrize("fault", ["503", "504"])
def test_a_fault_before_the_write_changes_nothing_and_logs_no_write(graph_as, known, settings, fault):
    response, made = _add_with_fault(graph_as, known, settings, fault, "before")
    assert response.status_code == int(fault) and not made
    assert [entry.writes for entry in knobs.request_log()] == [()] and knobs.membership_log() == []


def test_a_throttle_always_strikes_before_even_when_faults_strike_after(graph_as, known, settings):
    response, made = _add_with_fault(graph_as, known, settings, "429", "after")
    assert response.status_code == 429 and not made and [entry.writes for entry in knobs.request_log()] == [()]


def test_faults_strike_before_and_after_when_asked_for_both(settings):
    settings.SANDBOX_FAULT_RATE = 1
    settings.SANDBOX_FAULTS = ["503"]
    settings.SANDBOX_FAULT_WHEN = "both"
    knobs.reset_faults()
    when = {knobs.draw_fault() and knobs.fault_strikes_after("503") for _ in range(40)}
    assert when == {True, False}


@pytest.mark.parametrize("when", ["before", "after"])
def test_it_holds_the_nth_write_and_says_so_in_a_file(graph_as, known, settings, tmp_path, monkeypatch, when):
    held_at = []
    monkeypatch.setattr(knobs, "wait_while_held", lambda: held_at.append(
        Link.objects.filter(container_id=known["helpdesk_group"].id, member_id=known["spare_users"][1].id).exists()))
    monkeypatch.setattr(knobs, "_writes_seen", 0)
    settings.SANDBOX_HOLD_WRITE, settings.SANDBOX_HOLD_WHEN = 2, when
    settings.SANDBOX_HOLD_FILE = str(tmp_path / "held")
    graph = graph_as("helpdesk")
    assert graph.get("me").status_code == 200  # a read is no write
    graph.add(group_path(known, "helpdesk_group"), known["spare_users"][0].id)
    assert not (tmp_path / "held").exists() and held_at == []
    graph.add(group_path(known, "helpdesk_group"), known["spare_users"][1].id)
    assert (tmp_path / "held").read_text() == when
    assert held_at == [when == "after"]  # the change made (after) or not yet (before) while it is held


def test_a_lagging_replica_misses_a_fresh_membership_change_until_the_lag_has_passed(
        graph_as, known, settings, django_capture_on_commit_callbacks):
    graph = graph_as("helpdesk")
    group, newcomer = known["helpdesk_group"].id, known["spare_users"][0].id
    # A group's membership read as Microsoft documents it: its members filtered by id (an advanced query).
    member_path = f"{group_path(known, 'helpdesk_group')}/members?$filter=id in ('{newcomer}')&$select=id&$count=true"
    eventual = {"ConsistencyLevel": "eventual"}
    settings.SANDBOX_REPLICATION_LAG_MS = 60_000
    knobs.clear_request_log()
    with django_capture_on_commit_callbacks(execute=True):
        assert graph.add(group_path(known, "helpdesk_group"), newcomer).status_code == 204
    assert Link.objects.filter(container_id=group, member_id=newcomer).exists()
    assert graph.get(member_path, headers=eventual).json()["value"] == []  # a replica that has not seen the add yet
    assert not knobs.replicated()
    (change,) = knobs.membership_log()
    assert knobs.replica_membership(group, newcomer, now=change.time + 61) is None  # caught up
    settings.SANDBOX_REPLICATION_LAG_MS = 0
    assert graph.get(member_path, headers=eventual).json()["value"] == [{"@odata.type": "#microsoft.graph.user", "id": newcomer}]
    assert knobs.replicated()


@pytest.mark.parametrize(("method", "path", "query", "units"), [
    ("GET", "groups/g/members", {}, 3),
    ("GET", "groups/g/members", {"$select": "id"}, 2),
    ("GET", "groups/g/members", {"$select": "id", "$top": "1"}, 1),
    ("GET", "groups/g/transitiveMembers/microsoft.graph.user", {"$select": "id"}, 4),
    ("GET", "me/transitiveMemberOf/microsoft.graph.directoryRole", {}, 2),
    ("GET", "users", {"$top": "50"}, 2),
    ("GET", "users/u", {}, 1),
    ("GET", "groups/g", {"$select": "id", "$expand": "members"}, 1),
    ("POST", "groups/g/members/$ref", {}, 1),
    ("DELETE", "groups/g/members/u/$ref", {}, 1),
])
def test_resource_units_are_what_graph_says_each_call_costs(method, path, query, units):
    assert knobs.resource_units(method, path, query) == units
