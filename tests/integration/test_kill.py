"""A server killed in the middle of a change leaves pending journal rows, never silent changes,
and ``manage.py resolve_journal`` settles each one to what the tenant really holds.

Runs the app as a real process (runserver, the sandbox tenant, a SQLite file of its own), signs in
over HTTP, starts a 100-member add to a group (five PATCHes of 20), and SIGKILLs the server at a
point the test chooses: the sandbox holds the third PATCH once it has made its change and before
its answer leaves (``SANDBOX_HOLD_WRITE``), and says so in a file. Not a moment hoped for: the
kill always lands with 40 members added and settled, 20 added but unanswered, 40 never sent.
"""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import requests

from tests.conftest import sign_in_over_http

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 90  # seconds for any one wait below: generous, only a broken run reaches it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(db: Path, port: int, **extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("ENTRA_", "DJANGO_", "DEBUG", "DATABASE_URL", "REDIS_URL", "SANDBOX_"))}
    return {**clean, "DATABASE_URL": f"sqlite:///{db}", "SANDBOX_LOOPBACK_URL": f"http://127.0.0.1:{port}",
            "GRAPH_REPLICATION_WINDOW": "0", **extra}  # the sandbox replicates at once: no window to wait out


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=DEADLINE)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def serve(env: dict[str, str], port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for(lambda: answers(f"http://127.0.0.1:{port}/accounts/signed-out/"), "the server to answer")
    return server


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)  # a polling interval, not a wait for time to pass: the loop waits on the condition


def outcomes(db: Path) -> dict[str, int]:
    with sqlite3.connect(db, timeout=10) as connection:
        return dict(connection.execute("SELECT outcome, COUNT(*) FROM members_auditentry GROUP BY outcome").fetchall())


def kill(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=DEADLINE)


TENANT_FACTS = """
import json
from sandbox.models import DirectoryObject, Link
from sandbox.seed import WELL_KNOWN
group = WELL_KNOWN["helpdesk_group"].id
inside = set(Link.objects.filter(container_id=group, relation="members").values_list("member_id", flat=True))
users = [str(u) for u in DirectoryObject.objects.filter(kind="user").exclude(id__in=inside).order_by("id").values_list("id", flat=True)[:100]]
print(json.dumps({"group": str(group), "users": users}))
"""

JOURNAL_VS_TENANT = """
import json
from members.models import AuditEntry
from sandbox.models import Link
rows = []
for entry in AuditEntry.objects.all():
    member = Link.objects.filter(container_id=entry.container_id, relation="members", member_id=entry.member_id).exists()
    rows.append([entry.member_id, entry.outcome, member])
print(json.dumps(rows))
"""


def test_a_killed_server_leaves_pending_rows_that_the_resolver_settles_to_the_truth(tmp_path):
    db = tmp_path / "desk.sqlite3"
    held = tmp_path / "held"
    port = free_port()
    env = environment(db, port, SANDBOX_HOLD_WRITE="3", SANDBOX_HOLD_WHEN="after", SANDBOX_HOLD_FILE=str(held))
    manage(env, "migrate", "--no-input")
    manage(env, "sandbox", "seed", "--users", "150", "--groups", "12", "--big-group", "20")
    facts = json.loads(manage(env, "shell", "--no-imports", "-c", TENANT_FACTS))
    server = serve(env, port)
    try:
        desk = sign_in_over_http(f"http://127.0.0.1:{port}", "helpdesk@contoso.example")
        adding = threading.Thread(target=lambda: _post_quietly(desk, facts["group"], facts["users"]), daemon=True)
        adding.start()
        wait_for(held.exists, "the sandbox to hold the third write")
    finally:
        kill(server)
    adding.join(timeout=DEADLINE)
    left = outcomes(db)
    assert left == {"done": 40, "pending": 60}  # every attempt has its row; the killed ones are pending

    port = free_port()
    env = environment(db, port)
    server = serve(env, port)
    try:
        report = manage(env, "resolve_journal", "--older-than", "0")
    finally:
        kill(server)
    assert "still open" in report and outcomes(db).get("pending", 0) == 0
    rows = json.loads(manage(env, "shell", "--no-imports", "-c", JOURNAL_VS_TENANT))
    assert len(rows) == len(facts["users"])
    # Settled before the kill: done. Left pending and read back: as asked (made, but its answer never
    # came: a read can't tell it from "so already") when a member, else interrupted (never sent).
    for member_id, outcome, is_member in rows:
        assert outcome in ({"done", "as_asked"} if is_member else {"interrupted"}), (member_id, outcome, is_member)
    assert Counter(outcome for _, outcome, _ in rows) == {"done": 40, "as_asked": 20, "interrupted": 40}


def _post_quietly(desk, group: str, users: list[str]) -> None:
    try:
        desk.htmx("POST", f"/groups/{group}/members/", data={"member": users}, headers={"HX-Target": "add-results"},
                  timeout=DEADLINE)
    except requests.RequestException:
        pass  # the server was killed under this request: that is the point
