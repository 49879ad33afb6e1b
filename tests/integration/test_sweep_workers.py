"""The sweep at scale, as production runs it: two ``manage.py db_worker`` processes on one PostgreSQL
database remove 1,000 due ends, each exactly once; and a worker SIGKILLed while its removals are in
flight leaves pending entries that the next sweep settles to the truth before it removes the rest.

Real processes (``sweepstack``): the sandbox tenant's own server, the app's gunicorn (a person signs
in over HTTP and adds members "until", so the app keeps their sign-in), and the workers. What Graph
received is the sandbox's own request and membership logs; what the journal says is the database.
Skipped outside CI when PostgreSQL is not on loopback (``make test`` sets REQUIRE_SERVICES).
"""

import os
from collections import Counter

import pytest

from sandbox.seed import WELL_KNOWN
from tests.integration.sweepstack import (HELPDESK, Stack, json_value, postgres_reachable, removal_deletes, removals_made,
                                          wait_for)

GROUP = WELL_KNOWN["helpdesk_group"].id


def require_postgres() -> None:
    if postgres_reachable():
        return
    if os.environ.get("CI") or os.environ.get("REQUIRE_SERVICES"):
        pytest.fail("PostgreSQL (5432) must be running on loopback for CI and make test.")
    pytest.skip("PostgreSQL is not running on loopback")


@pytest.fixture
def stack_for(tmp_path, collected_static):
    require_postgres()
    made = []

    def start(**options) -> Stack:
        stack = Stack(tmp_path, static_root=collected_static, **options)
        made.append(stack)
        return stack

    yield start
    for stack in made:
        stack.close()


def removal_entries(stack: Stack) -> list[tuple]:
    """(member, outcome, request-id, actor) of every removal the journal holds."""
    return stack.sql("SELECT member_id, outcome, request_id, actor_upn, expired FROM members_auditentry"
                     " WHERE action = 'remove' ORDER BY id")


def test_two_workers_sweep_1000_due_ends_and_remove_each_exactly_once(stack_for):
    stack = stack_for(users=1_100)
    members = stack.not_members(GROUP, 1_000)
    stack.add_until(HELPDESK, GROUP, members, ends="1d")
    assert stack.members_of(GROUP, members) == set(members)
    assert stack.ends() == {"scheduled": 1_000}
    assert stack.sql("SELECT count(*) FROM accounts_keptsignin")[0][0] == 1  # the granter's sign-in, kept
    assert stack.make_due() == 1_000

    workers = [stack.worker("worker-a"), stack.worker("worker-b")]
    stack.enqueue_sweeps(6)  # several at once, both workers polling: each runs one at the same time
    wait_for(lambda: stack.ends().get("removed") == 1_000 or any(not w.alive() for w in workers),
             "every due end removed", deadline=180)
    wait_for(lambda: all(status == "SUCCESSFUL" for status, _, _ in stack.tasks()), "every sweep to finish")
    for worker in workers:
        assert worker.alive(), worker.log()[-3000:]
        worker.stop()

    # Graph's state: every one of them removed.
    assert stack.members_of(GROUP, members) == set()
    assert stack.ends() == {"removed": 1_000}
    # The journal: exactly one removal entry per end, expired, done, with Graph's request-id, on the
    # granter's authority; each end points at its own.
    entries = removal_entries(stack)
    assert sorted(member for member, *_ in entries) == sorted(members)
    assert {(outcome, actor, expired) for _, outcome, _, actor, expired in entries} == {("done", HELPDESK, True)}
    assert all(request_id for _, _, request_id, _, _ in entries)
    linked = stack.sql("SELECT e.member_id, a.member_id FROM members_expiry e JOIN members_auditentry a ON a.id = e.removal_id")
    assert len(linked) == 1_000 and all(end == entry for end, entry in linked)
    # What the sandbox received: one DELETE per member, in the call whose request-id the journal keeps;
    # and it removed each once.
    log = stack.sandbox_log()
    assert removal_deletes(log, GROUP) == {member: [request_id] for member, _, request_id, _, _ in entries}
    assert removals_made(log, GROUP) == Counter(members)
    # Both workers did work: each ran sweeps, and each removed some of the ends.
    tasks = [(json_value(ids), json_value(value)) for _, ids, value in stack.tasks()]
    assert all(len(ids) == 1 for ids, _ in tasks)  # no sweep was run twice
    removed_by = Counter()
    for ids, value in tasks:
        removed_by[ids[0]] += value["removed"]
    assert sum(removed_by.values()) == 1_000 and set(removed_by) == {"worker-a", "worker-b"}, removed_by
    assert all(removed_by[name] > 0 for name in ("worker-a", "worker-b")), removed_by
    # ... at the same time: a sweep of one ran while a sweep of the other that removed some did.
    spans = stack.sql("SELECT worker_ids->>0, started_at, finished_at FROM django_tasks_database_dbtaskresult"
                      " WHERE (return_value->>'removed')::int > 0")
    assert any(a[0] != b[0] and a[1] < b[2] and b[1] < a[2] for a in spans for b in spans), spans


def test_a_worker_killed_mid_sweep_leaves_pending_entries_the_next_sweep_settles_to_the_truth(stack_for, tmp_path):
    """100 due ends: five $batches of 20 removals. The sandbox holds the third removal batch once it has
    made its changes, before its answer leaves (``SANDBOX_HOLD_WRITE``: the add was five PATCHes, so
    write 8), and the worker is SIGKILLed then: 40 removed and their entries settled, 20 removed with
    their entries pending, 40 pending and never sent. The next sweep removes none of the 60 made a
    second time: it reads the pending ones back first."""
    held = tmp_path / "held"
    stack = stack_for(users=200, sandbox={"SANDBOX_HOLD_WRITE": "8", "SANDBOX_HOLD_WHEN": "after",
                                          "SANDBOX_HOLD_FILE": str(held)},
                      workers={"EXPIRY_CLAIM_TIMEOUT": "2", "JOURNAL_SETTLE_AFTER": "1", "GRAPH_REPLICATION_WINDOW": "1"})
    members = stack.not_members(GROUP, 100)
    stack.add_until(HELPDESK, GROUP, members, ends="1d")
    assert stack.make_due() == 100
    stack.enqueue_sweeps(1)
    first = stack.worker("worker-killed")
    wait_for(held.exists, "the sandbox to hold the third removal batch")
    first.kill()

    assert Counter(outcome for _, outcome, *_ in removal_entries(stack)) == {"done": 40, "pending": 60}
    # An end is settled once its whole change has returned: all 100 are still scheduled, claimed.
    assert stack.ends() == {"scheduled": 100}
    assert stack.sql("SELECT count(*) FROM members_expiry WHERE claimed_at IS NOT NULL")[0][0] == 100
    in_flight = {member for member, outcome, *_ in removal_entries(stack) if outcome == "pending"}
    removed_before = set(removals_made(stack.sandbox_log(), GROUP))
    assert len(removed_before) == 60 and len(in_flight - removed_before) == 40  # 20 made, unanswered

    # A new worker, its claims taken over after 2 s and the journal settled after 1 s; the scheduler's
    # ticks stand in: a sweep is enqueued whenever none is waiting.
    second = stack.worker("worker-next")

    def settled() -> bool:
        if not second.alive():
            raise AssertionError(second.log()[-3000:])
        if not any(status == "READY" for status, _, _ in stack.tasks()):
            stack.enqueue_sweeps(1)
        entries = removal_entries(stack)
        return stack.ends().get("scheduled", 0) == 0 and all(outcome != "pending" for _, outcome, *_ in entries)

    wait_for(settled, "the ends and the pending entries to be settled", poll=0.5)
    second.stop()

    log = stack.sandbox_log()
    assert stack.members_of(GROUP, members) == set()
    made_unanswered = removed_before & in_flight
    never_sent = in_flight - removed_before
    # One DELETE per membership, none sent twice: the sandbox removed each member once, and its request
    # log has one DELETE for each but the 20 of the held call (logged when answered: it never was).
    assert removals_made(log, GROUP) == Counter(members)
    assert {member: len(calls) for member, calls in removal_deletes(log, GROUP).items()} == \
        dict.fromkeys(set(members) - made_unanswered, 1)
    # The pending entries were read back, never guessed: the 20 made but unanswered are "as asked",
    # the 40 never sent "interrupted", and those 40 were then removed by the next sweep, once each.
    entries = removal_entries(stack)
    by_member: dict[str, list[str]] = {}
    for member, outcome, *_ in entries:
        by_member.setdefault(member, []).append(outcome)
    assert {m: by_member[m] for m in made_unanswered} == {m: ["as_asked"] for m in made_unanswered}
    assert {m: by_member[m] for m in never_sent} == {m: ["interrupted", "done"] for m in never_sent}
    assert {m: by_member[m] for m in set(members) - in_flight} == {m: ["done"] for m in set(members) - in_flight}
    # Every end is removed, by the entry that removed it (the read-back's, for the 20).
    ends = dict(stack.sql("SELECT e.member_id, a.outcome FROM members_expiry e JOIN members_auditentry a ON a.id = e.removal_id"
                          " WHERE e.state = 'removed'"))
    assert ends == {m: ("as_asked" if m in made_unanswered else "done") for m in members}
