"""Chaos: 1,000 random adds and removes through the app's HTTP interface, by four signed-in clients
at once, against the sandbox with 10% of Graph calls faulted (429 with Retry-After, 503, 504, lost
answers, slow answers) and a tenant-wide write throttle.

Each client owns its (container, member) pairs (its own slice of the member pool, on the containers
its account may change), so after each of its actions the sandbox's state of those pairs is that
action's doing, whatever the other clients do at the same time. Checked:

- nothing shown as done (or as already so) that isn't so in the sandbox right after the answer, and
  nothing shown as not done (busy, refused, failed) that changed;
- exactly one journal entry per attempt (per member of each action, however often it was repeated);
- once open entries are settled (``manage.py resolve_journal``), for every pair the journal's last
  entry that took effect (done or already so) says what the sandbox holds; with none, the seeded state;
- attempt by attempt, against the sandbox's own membership log (what Graph did, whatever answer
  the app got): an entry settled done made exactly that change, any other made none (an entry
  overtaken by a later change may have made either), and no change was made outside an attempt;
- that the run did what it is for: faults struck before and after writes, changes were made,
  "done" and "already so" and "not done" were all shown.

The counts are printed (``pytest -s`` or ``-rP`` shows them). Bounded in count (``CHAOS_ACTIONS``,
``CHAOS_SEED``) and in time: every answer within ``TIMEOUT``; the only waits are Graph calls, the
sandbox's slow answers and bounded retries, never a sleep of the test's own.
"""

import os
import random
import re
import time
from datetime import timedelta
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import unescape

from django.core.management import call_command
from django.utils import timezone
from django.db import connections

from members.models import AuditEntry
from sandbox import knobs
from sandbox.models import DirectoryObject, Link
from tests.conftest import DeskSession, sign_in_over_http

ACTIONS = int(os.environ.get("CHAOS_ACTIONS", "1000"))
SEED = int(os.environ.get("CHAOS_SEED", "20240607"))
MEMBERS_PER_CLIENT = 8
TIMEOUT = 30  # seconds for one action's answer: only a hung server reaches it
ROW = re.compile(r'<tr id="(removed|member)-([0-9a-f-]{36})".*?</tr>', re.S)
TEXT = re.compile(r'<span class="text">(.*?)</span>', re.S)
OUTCOME_ITEM = re.compile(r'<li class="outcome \w+">\s*<strong>(.*?)</strong>(.*?)</li>', re.S)
DONE = {"Removed.", "Added."}
ALREADY = ("Already removed", "Already a member.")
UNKNOWN = "we can't tell whether"
AS_ASKED = "or it was so already"  # the answer was lost and the read-back shows the membership as asked


@dataclass
class Client:
    """One signed-in session, its containers, the members it alone touches, and what it saw."""

    upn: str
    containers: list[tuple[str, str]]  # (kind, id)
    members: list[str] = field(default_factory=list)
    desk: DeskSession | None = None
    attempts: Counter = field(default_factory=Counter)  # (container, member, action) -> attempts sent
    actions: Counter = field(default_factory=Counter)  # kind of action -> count
    shown: Counter = field(default_factory=Counter)  # done / already / unknown / not done
    lies: list[str] = field(default_factory=list)


def members_now(container: str, member_ids: list[str]) -> set[str]:
    return {str(m) for m in Link.objects.filter(container_id=container, relation="members",
                                                 member_id__in=member_ids).values_list("member_id", flat=True)}


def shown_outcomes(kind: str, answer: str, ids: list[str], names: dict[str, str]) -> dict[str, str]:
    """Each member's message text as the answer shows it."""
    if kind == "add":  # one item per member, in the order sent; a name the read-back lost shows as unknown
        items = OUTCOME_ITEM.findall(answer)
        assert len(items) == len(ids), answer[:3000]
        assert all(unescape(name) in {names[m], "(unknown object)"} for m, (name, _) in zip(ids, items)), answer[:3000]
        return {m: unescape(TEXT.search(body).group(1)) for m, (_, body) in zip(ids, items)}
    shown = {}
    for row in ROW.finditer(answer):
        text = TEXT.search(row.group(0))
        if row.group(2) in ids and text:
            shown[row.group(2)] = unescape(text.group(1))
    assert set(shown) == set(ids), (ids, answer[:3000])
    return shown


def classify(text: str) -> str:
    if text in DONE:
        return "done"
    if text.startswith(ALREADY):
        return "already"
    if UNKNOWN in text:
        return "unknown"
    if AS_ASKED in text:
        return "as asked"
    return "not done"


def act(client: Client, rng: random.Random, state: dict[tuple[str, str], bool], names: dict[str, str]) -> None:
    """One random action: a single remove, a bulk remove or an add of several members; then check
    what the answer shows against the sandbox right after it."""
    kind_name, container = rng.choice(client.containers)
    kind = rng.choice(["remove", "bulk", "add", "add"])
    picked = rng.sample(client.members, 1 if kind == "remove" else rng.randint(2 if kind == "bulk" else 1, 5))
    fields = picked + ([rng.choice(picked)] if rng.random() < 0.2 else [])  # now and then a repeated field
    page = f"/{kind_name}/{container}/"
    if kind == "remove":
        answer = client.desk.htmx("DELETE", f"{page}members/{picked[0]}/", current=page, timeout=TIMEOUT)
    elif kind == "bulk":
        answer = client.desk.htmx("POST", f"{page}members/remove/", data={"member": fields}, current=page,
                                  headers={"HX-Target": "bulk-results"}, timeout=TIMEOUT)
    else:
        answer = client.desk.htmx("POST", f"{page}members/", data={"member": fields}, current=page,
                                  headers={"HX-Target": "add-results"}, timeout=TIMEOUT)
    assert answer.status_code == 200, (answer.status_code, answer.text[:2000])
    action = "add" if kind == "add" else "remove"
    client.actions[kind] += 1
    for member in picked:
        client.attempts[(container, member, action)] += 1
    now = members_now(container, picked)
    for member, text in shown_outcomes("add" if kind == "add" else "remove", answer.text, picked, names).items():
        said = classify(text)
        client.shown[said] += 1
        before, after = state[(container, member)], member in now
        if said in {"done", "already", "as asked"} and after != (action == "add"):
            client.lies.append(f"{action} {member} in {container}: shown {text!r} but member={after}")
        if said == "not done" and after != before:
            client.lies.append(f"{action} {member} in {container}: shown {text!r} but it changed to member={after}")
        state[(container, member)] = after


def run(client: Client, count: int, seed: int, state: dict, names: dict) -> None:
    rng = random.Random(seed)
    try:
        for _ in range(count):
            act(client, rng, state, names)
    finally:
        connections.close_all()  # this thread's own database connections


def attempt_by_attempt(entries: list[AuditEntry], made: list[knobs.MembershipChange], run_end: float) -> dict:
    """Each journal entry against the membership changes the sandbox committed while it was the
    latest attempt on its (container, member): per pair, attempts are one after another (one client
    owns a pair), so that stretch is from its writing to the next attempt's (or the run's end)."""
    changes = defaultdict(list)
    for change in made:
        changes[(change.container_id, change.member_id)].append(change)
    by_pair = defaultdict(list)
    for entry in entries:
        by_pair[(entry.container_id, entry.member_id)].append(entry)
    wrong, claimed = [], 0
    for pair, attempts in by_pair.items():
        for n, entry in enumerate(attempts):
            start = entry.created_at.timestamp()
            end = attempts[n + 1].created_at.timestamp() if n + 1 < len(attempts) else run_end
            its = [change for change in changes[pair] if start <= change.time < end]
            claimed += len(its)
            # Overtaken, or read back as asked after a lost answer: the journal claims neither way.
            expected = None if entry.outcome in {"superseded", "as_asked"} else int(entry.outcome == "done")
            if any(change.action != entry.action for change in its) or expected not in (None, len(its)):
                wrong.append(f"entry {entry.pk} {entry.action} {pair}: journal {entry.outcome!r}, "
                             f"sandbox made {[change.action for change in its]}")
    return {"wrong": wrong, "unclaimed": len(made) - claimed}


def test_a_thousand_random_changes_under_faults_tell_the_truth_and_journal_every_attempt(live_server, tenant, settings):
    known = tenant
    groups = [("groups", known[key].id) for key in ("helpdesk_group", "helpdesk_leads_group", "owned_group")]
    units = [("units", known[key].id) for key in ("plain_unit", "unit_of_unitadmin")]
    clients = [Client("admin@contoso.example", groups[:2] + units[:1]),
               Client("admin@contoso.example", groups[1:] + units[1:]),
               Client("helpdesk@contoso.example", groups),
               Client("pra@contoso.example", units)]
    staff = {known[key].id for key in ("admin", "pra", "helpdesk", "unitadmin", "owner", "user", "noconsent")}
    pool = [str(o.id) for o in DirectoryObject.objects.filter(kind="user").order_by("id") if str(o.id) not in staff]
    assert len(pool) >= MEMBERS_PER_CLIENT * len(clients)
    names = {str(o.id): o.display_name for o in DirectoryObject.objects.filter(kind="user")}
    for n, client in enumerate(clients):
        client.members = pool[n * MEMBERS_PER_CLIENT:(n + 1) * MEMBERS_PER_CLIENT]
        client.desk = sign_in_over_http(live_server.url, client.upn)
        for kind_name, container in client.containers:  # as a person would: open the page, then change
            assert client.desk.get(f"{live_server.url}/{kind_name}/{container}/").status_code == 200
    state = {}
    for client in clients:
        for _, container in client.containers:
            now = members_now(container, client.members)
            state.update({(container, m): m in now for m in client.members})
    seeded = dict(state)

    # Faults on 10% of Graph calls (reads and writes), a small write throttle, a little latency.
    settings.SANDBOX_FAULT_RATE = 0.1
    settings.SANDBOX_FAULTS = ["503", "504", "drop", "429", "slow"]
    settings.SANDBOX_FAULT_SEED = SEED
    # A 503/504 strikes after the call was processed: the write made, its answer an error (a 429, the
    # write throttle's included, still strikes before: those are the faults that leave nothing done).
    settings.SANDBOX_FAULT_WHEN = "after"
    # And reads of a membership lag its changes (Graph is eventually consistent): a read-back made at
    # once may not see a write Graph applied. The app reads again within its replication window.
    settings.SANDBOX_REPLICATION_LAG_MS = 100
    settings.GRAPH_REPLICATION_WINDOW = 0.5
    settings.SANDBOX_FAULT_RETRY_AFTER = 0  # a faulted 503/429 is retried at once ...
    settings.SANDBOX_SLOW_MS = 100
    settings.SANDBOX_LATENCY_MS = 1
    settings.SANDBOX_WRITE_LIMIT = 60
    settings.SANDBOX_WRITE_WINDOW = 1
    settings.GRAPH_MAX_RETRY_WAIT = 0.1  # ... but the throttle's Retry-After (>= 1 s) is too long: busy at once
    knobs.reset_all()
    started = time.monotonic()
    with ThreadPoolExecutor(len(clients)) as pool_:
        share = [ACTIONS // len(clients) + (n < ACTIONS % len(clients)) for n in range(len(clients))]
        futures = [pool_.submit(run, client, share[n], SEED + n, state, names) for n, client in enumerate(clients)]
        for future in futures:
            future.result()
    elapsed = time.monotonic() - started
    log = knobs.request_log()
    settings.SANDBOX_FAULT_RATE = 0.0
    settings.SANDBOX_WRITE_LIMIT = 0

    # Settle what was left open, as an operator would (reads back each membership), once every
    # change has replicated and every open entry is older than the app's replication window.
    settings.SANDBOX_LOOPBACK_URL = live_server.url
    wait_for(lambda: knobs.replicated() and not AuditEntry.objects.filter(
        outcome__in=["pending", "unknown"], created_at__gt=timezone.now() - timedelta(seconds=0.5)).exists(),
        "the changes to replicate")
    left_open = AuditEntry.objects.filter(outcome__in=["pending", "unknown"]).count()
    outcomes_before = Counter(AuditEntry.objects.values_list("outcome", flat=True))
    call_command("resolve_journal", "--older-than", "0")
    outcomes_after = Counter(AuditEntry.objects.values_list("outcome", flat=True))
    story = attempt_by_attempt(list(AuditEntry.objects.order_by("id")), knobs.membership_log(), time.time())
    lies = [lie for client in clients for lie in client.lies]

    attempts = sum((client.attempts for client in clients), Counter())
    journaled = Counter(AuditEntry.objects.values_list("container_id", "member_id", "action"))
    faults = Counter(entry.fault for entry in log if entry.fault)
    faults_after_writes = sum(1 for entry in log if entry.fault in {"503", "504"} and entry.writes)
    throttled = sum(1 for entry in log if entry.status == 429 and not entry.fault) + sum(
        1 for entry in log for item in entry.items if len(item) > 2 and item[2] == 429)
    shown = sum((client.shown for client in clients), Counter())
    print(f"\nchaos: {sum(sum(c.actions.values()) for c in clients)} actions in {elapsed:.1f} s by {len(clients)} clients "
          f"({dict(sum((c.actions for c in clients), Counter()))}), {sum(attempts.values())} attempts, "
          f"{len(log)} Graph round trips")
    print(f"chaos: faults injected {dict(faults)} ({sum(faults.values())}; {faults_after_writes} after a write), "
          f"write-throttled {throttled}")
    print(f"chaos: shown {dict(shown)}")
    print(f"chaos: journal {dict(outcomes_before)}; {left_open} left open, settled later -> {dict(outcomes_after)}")
    print(f"chaos: against the sandbox's membership log ({len(knobs.membership_log())} changes): "
          f"{len(story['wrong'])} entries wrong, {story['unclaimed']} changes no attempt accounts for, "
          f"{len(lies)} answers untrue")

    # The run did what it is for: an app that never writes, or always says "busy", fails here.
    assert set(faults) == {"503", "504", "drop", "429", "slow"} and faults_after_writes > 0
    assert shown["done"] > 0 and shown["already"] > 0 and shown["not done"] > 0
    assert knobs.membership_log() and len(knobs.membership_log()) < knobs.LOG_SIZE
    assert lies == []
    assert story["wrong"] == [], "\n".join(story["wrong"])
    assert story["unclaimed"] == 0
    assert len(log) < knobs.LOG_SIZE  # every call of the run was counted
    assert journaled == attempts  # exactly one entry per attempt
    assert outcomes_after["pending"] == outcomes_after["unknown"] == 0
    final = {}
    for client in clients:
        for _, container in client.containers:
            now = members_now(container, client.members)
            final.update({(container, m): m in now for m in client.members})
    expected = dict(seeded)
    for entry in AuditEntry.objects.filter(outcome__in=["done", "as_asked", "already"]).order_by("id"):
        expected[(entry.container_id, entry.member_id)] = entry.action == "add"
    assert final == expected


def wait_for(condition, what: str, deadline: float = 30.0) -> None:
    """Wait until ``condition()`` holds (polling), failing after ``deadline`` seconds."""
    until = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < until, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_write_graph_finishes_after_the_app_stopped_waiting_is_never_called_not_done(sign_in, tenant, settings,
                                                                                         live_server):
    """A slow answer past the app's timeout: the add lands after the app read the membership back.
    The answer and the journal must not say "not added" (they say unknown), and the journal settles
    to done once it has landed."""
    group = tenant["helpdesk_group"].id
    newcomer = tenant["spare_users"][0].id
    desk = sign_in("helpdesk@contoso.example")
    settings.GRAPH_TIMEOUT = 0.5
    settings.SANDBOX_FAULT_RATE = 1.0
    settings.SANDBOX_FAULTS = ["slow"]
    settings.SANDBOX_FAULT_ON = "writes"  # the read-back answers at once
    settings.SANDBOX_SLOW_MS = 2500
    knobs.reset_all()
    answer = unescape(desk.htmx("POST", f"/groups/{group}/members/", data={"member": newcomer},
                                headers={"HX-Target": "add-results"}, timeout=TIMEOUT).text)
    settings.SANDBOX_FAULT_RATE = 0.0
    text = unescape(TEXT.search(answer).group(1))
    # "as asked" only if the read-back came after the add landed
    assert classify(text) in {"unknown", "as asked"}, text
    assert AuditEntry.objects.get(member_id=newcomer).outcome in {"unknown", "as_asked"}
    wait_for(lambda: members_now(group, [newcomer]), "the slow add to land")
    settings.SANDBOX_LOOPBACK_URL = live_server.url
    call_command("resolve_journal", "--older-than", "0")
    assert AuditEntry.objects.get(member_id=newcomer).outcome == "as_asked"
