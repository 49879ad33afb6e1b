"""`make serve` without a tenant, as one command: the app and the sandbox tenant's own server, two
processes on two ports, the app reaching the sandbox over HTTP as it would reach Microsoft; and the
task worker and scheduler beside them, which remove an expiring membership by themselves.

Runs the real command (make, honcho, two gunicorns) on a SQLite file and ports of its own, signs in
over HTTP, opens pages, and reads each process's log lines (honcho prefixes them with its name).
"""

import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from sandbox.seed import WELL_KNOWN
from tests.conftest import sign_in_over_http
from tests.integration.test_two_app_servers import STRIPPED

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 90  # seconds for the command to answer on both ports: generous, only a broken run reaches it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


class MakeServe:
    """`make serve` in its own process group, its output in a file."""

    def __init__(self, tmp_path: Path) -> None:
        self.port, self.sandbox_port = free_port(), free_port()
        self.url, self.sandbox_url = f"http://127.0.0.1:{self.port}", f"http://127.0.0.1:{self.sandbox_port}"
        self.log_path = tmp_path / "serve.log"
        self.database = tmp_path / "serve.sqlite3"
        clean = {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED)}
        env = {**clean, "PORT": str(self.port), "SANDBOX_PORT": str(self.sandbox_port),
               "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}", "STATIC_ROOT": str(tmp_path / "static"),
               "SECRET_KEY": "x" * 50, "SANDBOX_SEED_BIG_GROUP_MEMBERS": "60",
               "SWEEP_EVERY": "2"}  # a sweep every 2 s: an end made due goes within seconds
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(["make", "--no-print-directory", "serve"], cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def wait_until_both_answer(self) -> None:
        deadline = time.monotonic() + DEADLINE
        while not (healthy(self.url) and healthy(self.sandbox_url)):
            if self.process.poll() is not None:
                pytest.fail(f"make serve exited with {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"make serve did not answer on both ports in {DEADLINE} s:\n{self.log()}")
            time.sleep(0.1)  # a polling interval: the loop waits on the condition

    def wait_for_line(self, process: str, text: str) -> None:
        """Until ``process`` has logged a line with ``text``: honcho passes lines on after the answer has left."""
        deadline = time.monotonic() + DEADLINE
        while not any(text in line for line in self.lines_of(process)):
            if time.monotonic() > deadline:
                pytest.fail(f"no line with {text!r} from {process}:\n{self.log()}")
            time.sleep(0.05)  # a polling interval: the loop waits on the condition

    def wait_for(self, what: str, condition) -> object:
        """Until ``condition()`` answers something true (which is returned), or the deadline."""
        deadline = time.monotonic() + DEADLINE
        while not (found := condition()):
            if self.process.poll() is not None:
                pytest.fail(f"make serve exited with {self.process.returncode} waiting for {what}:\n{self.log()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{what}: not in {DEADLINE} s:\n{self.log()}")
            time.sleep(0.2)  # a polling interval: the loop waits on the condition
        return found

    def lines_of(self, process: str) -> list[str]:
        return [line for line in self.log().splitlines() if re.match(rf"^\S+ {process}\.1 +\| ", line)]

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def make_serve(tmp_path):
    server = MakeServe(tmp_path)
    try:
        server.wait_until_both_answer()
        yield server
    finally:
        server.stop()


def test_the_demo_servers_graph_and_token_calls_are_answered_by_the_sandboxs_own_server(make_serve):
    desk = sign_in_over_http(make_serve.url, "helpdesk@contoso.example")
    group = desk.get(f"{make_serve.url}/groups/{WELL_KNOWN['helpdesk_group'].id}/")
    assert group.status_code == 200 and "Helpdesk" in group.text

    make_serve.wait_for_line("web", "GET /<kind:kind>/<guid:container_id>/ 200")
    make_serve.wait_for_line("sandbox", "POST /sandbox/<uuid:tenant>/oauth2/v2.0/token 200")
    make_serve.wait_for_line("sandbox", "POST /sandbox/graph/")
    # The app's own server answers the browser (the sign-in page the discovery document names) and
    # nothing of Graph's or of the token endpoint's: no page waits on a thread of its own pool.
    web = make_serve.lines_of("web")
    assert any("/sandbox/<uuid:tenant>/oauth2/v2.0/authorize" in line for line in web)
    assert not any("/sandbox/graph/" in line or "oauth2/v2.0/token" in line for line in web)


def test_the_sandboxs_own_server_answers_its_endpoints_only_and_never_with_a_5xx(make_serve):
    for path in ["/", "/groups/", "/accounts/sign-in/", "/sandbox/nothing"]:
        answer = requests.get(f"{make_serve.sandbox_url}{path}", timeout=10)
        assert answer.status_code == 404, path
        assert answer.text == "Not found: this server answers the sandbox tenant's endpoints only.\n"
    posted = requests.post(f"{make_serve.sandbox_url}/groups/{WELL_KNOWN['helpdesk_group'].id}/members/", timeout=10)
    assert posted.status_code in (403, 404)
    foreign = requests.get(f"{make_serve.sandbox_url}/sandbox/graph/v1.0/me", headers={"Host": "evil.example"}, timeout=10)
    assert foreign.status_code == 400
    unsigned = requests.get(f"{make_serve.sandbox_url}/sandbox/graph/v1.0/me", headers={"Host": "graph.sandbox.test"},
                            timeout=10)
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "InvalidAuthenticationToken"
    make_serve.wait_for_line("sandbox", "\"status\": 401")
    assert not any(re.search(r'"status": 5\d\d', line) for line in make_serve.lines_of("sandbox"))


def test_one_command_stops_both_servers(make_serve):
    assert make_serve.stop() is not None
    assert not healthy(make_serve.url) and not healthy(make_serve.sandbox_url)


def health(url: str) -> dict:
    return requests.get(f"{url}/healthz", timeout=5).json()


def make_due(database: Path, member_id: str) -> int:
    """As if the end's time had come: its ``expires_at`` a second ago (in the file ``make serve`` uses)."""
    past = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(database, timeout=30) as db:
        return db.execute("UPDATE members_expiry SET expires_at = ? WHERE member_id = ? AND state = 'scheduled'",
                          (past, member_id)).rowcount


def test_the_worker_and_scheduler_start_and_remove_a_membership_whose_time_came(make_serve):
    log = make_serve.log
    make_serve.wait_for("the worker and the scheduler started", lambda: "worker.1 started" in log() and
                        "scheduler.1 started" in log())
    seen = make_serve.wait_for("/healthz seeing a worker after a sweep", lambda: health(make_serve.url).get("worker") == "seen")
    assert seen and health(make_serve.url)["status"] == "ok"

    group, newcomer = WELL_KNOWN["helpdesk_group"].id, WELL_KNOWN["spare_users"][0].id
    desk = sign_in_over_http(make_serve.url, "helpdesk@contoso.example")
    added = desk.htmx("POST", f"/groups/{group}/members/", data={"member": [newcomer], "ends": "1d"},
                      headers={"HX-Target": "add-results"}, current=f"/groups/{group}/")
    assert added.status_code == 200 and "Added." in added.text
    page = desk.get(f"{make_serve.url}/groups/{group}/").text
    assert f'id="member-{newcomer}"' in page and "Access until" in page

    assert make_due(make_serve.database, newcomer) == 1
    make_serve.wait_for("the sweep removing it", lambda: f'id="member-{newcomer}"' not in
                        desk.get(f"{make_serve.url}/groups/{group}/").text)
    activity = desk.get(f"{make_serve.url}/activity/?format=csv").text
    removal = next(line for line in activity.splitlines() if line.startswith(tuple("0123456789")) and ",remove," in line)
    assert removal.endswith(",yes") and "ran out" in removal  # journaled as expired, with its reason
    make_serve.wait_for_line("worker", "sweep: 1 removed")
    assert not any(re.search(r'"status": 5\d\d', line) for line in make_serve.lines_of("web"))
