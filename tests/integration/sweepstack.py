"""The processes of expiring access at scale, as `make serve` runs them, for the sweep's tests and
``bench/sweep.py``: the sandbox tenant's own server (its logs readable: ``sandbox_log_server``), the
app's gunicorn, and any number of ``manage.py db_worker`` processes, sharing one PostgreSQL database
of their own (``desk_sweep_*``, dropped afterwards).

A person signs in over HTTP and adds members "until" a time through the picker's POST, as a browser
does (so their sign-in is kept, sealed, by the app itself); the ends are then made due in the
database, the one step no page offers.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from html import unescape
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# Not inherited from the caller's environment: each process gets exactly the configuration below.
STRIPPED = ("ENTRA_", "DJANGO_", "DEBUG", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "TOKEN_CACHE_KEY", "DEMO_SERVER", "SANDBOX_",
            "STATIC_ROOT", "LOG_FORMAT", "HOST", "PORT", "WEB_CONCURRENCY", "THREADS", "GUNICORN_CMD_ARGS", "EXPIRY_",
            "JOURNAL_", "GRAPH_", "SWEEP_EVERY")
DEADLINE = 120.0  # seconds for any one wait: generous, only a broken run reaches it
HELPDESK = "helpdesk@contoso.example"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def wait_for(condition, what: str, deadline: float = DEADLINE, poll: float = 0.1):
    """Poll ``condition`` until it returns something true (returned); fail with ``what`` at the deadline."""
    end = time.monotonic() + deadline
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > end:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(poll)  # a polling interval: the loop waits on the condition


class Process:
    """One server or worker in its own session (stopping it reaches its children), its output in a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name, self.log_path = name, log_dir / f"{name}.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as an OOM killer or a lost machine would: nothing runs after it."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, grace: float = 20) -> None:
        if not self.alive():
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class Stack:
    """A database, a seeded tenant, the sandbox's server, the app's server, workers; ``close`` undoes it all."""

    def __init__(self, workdir: Path, *, users: int, sandbox: dict[str, str] | None = None,
                 workers: dict[str, str] | None = None, static_root: str | None = None, sandbox_threads: int = 16) -> None:
        self.workdir = workdir
        self.database = f"desk_sweep_{uuid.uuid4().hex[:10]}"
        self.processes: list[Process] = []
        with psycopg.connect(self._url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        self.sandbox_port, self.app_port = free_port(), free_port()
        self.sandbox_url, self.app_url = f"http://127.0.0.1:{self.sandbox_port}", f"http://127.0.0.1:{self.app_port}"
        clean = {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED)}
        self.env = {**clean, "DATABASE_URL": self._url(self.database).replace("postgresql://", "postgres://"),
                    "DEMO_SERVER": "1", "DEBUG": "0", "SECRET_KEY": uuid.uuid4().hex * 2,
                    "STATIC_ROOT": static_root or str(workdir / "static"), "SANDBOX_LOOPBACK_URL": self.sandbox_url,
                    "SANDBOX_BATCH_ORDER": "as sent",
                    # The 1,000 ends are granted in the request (a larger change would be a background job).
                    "BACKGROUND_CHANGE_ABOVE": "1000"}
        self.worker_env = {**self.env, **(workers or {})}
        try:
            self.manage("migrate", "--no-input")
            if static_root is None:
                self.manage("collectstatic", "--no-input", "--verbosity", "0")
            self.manage("sandbox", "seed", "--users", str(users), "--groups", "20", "--big-group", "50")
            self.sandbox = self.serve("sandbox", self.sandbox_port, {
                "SANDBOX_SERVER": "1", "WEB_CONCURRENCY": "1", "THREADS": str(sandbox_threads), **(sandbox or {})},
                app="tests.integration.sandbox_log_server:application")
            self.app = self.serve("app", self.app_port, {"WEB_CONCURRENCY": "1", "THREADS": "4"})
        except BaseException:
            self.close()
            raise

    def _url(self, database: str) -> str:
        return PG_URL.replace("postgres://", "postgresql://").rsplit("/", 1)[0] + f"/{database}"

    # --- processes -------------------------------------------------------------------------------

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env or self.env, capture_output=True,
                              text=True, timeout=DEADLINE)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def serve(self, name: str, port: int, extra: dict[str, str], app: str | None = None) -> Process:
        env = {**self.env, "HOST": "127.0.0.1", "PORT": str(port), **extra}
        server = Process(name, ["-m", "gunicorn", *([app] if app else [])], env, self.workdir)
        self.processes.append(server)
        url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            if not server.alive():
                raise RuntimeError(f"the {name} server exited:\n{server.log()[-3000:]}")
            try:
                return requests.get(f"{url}/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_for(healthy, f"the {name} server to answer /healthz")
        return server

    def worker(self, name: str, **extra: str) -> Process:
        """``manage.py db_worker`` as the Procfile runs it (polling every 0.1 s here), named ``name``;
        returned once it says it has started (it polls for tasks from then on)."""
        worker = Process(name, ["manage.py", "db_worker", "--interval", "0.1", "--no-startup-delay", "--worker-id", name],
                         {**self.worker_env, **extra}, self.workdir)
        self.processes.append(worker)

        def started() -> bool:
            if not worker.alive():
                raise RuntimeError(f"the worker {name} exited:\n{worker.log()[-3000:]}")
            return f"Starting worker worker_id={name}" in worker.log()

        wait_for(started, f"the worker {name} to start", poll=0.05)
        return worker

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop(grace=10)
        with psycopg.connect(self._url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    # --- the database and the sandbox's logs ---------------------------------------------------------

    def sql(self, query: str, *args) -> list[tuple]:
        with psycopg.connect(self._url(self.database), autocommit=True) as conn:
            return conn.execute(query, args).fetchall()

    def sandbox_log(self) -> dict:
        return requests.get(f"{self.sandbox_url}/__sandbox-log__", timeout=30).json()

    def enqueue_sweeps(self, count: int) -> None:
        """``count`` sweeps enqueued at once (as several schedulers' ticks, or a tick and a backlog)."""
        self.manage("shell", "--no-imports", "-c",
                    f"from members.tasks import sweep\nfor _ in range({count}): sweep.enqueue()")

    def tasks(self) -> list[tuple]:
        """(status, worker ids, return value) of every task, oldest first."""
        return self.sql("SELECT status, worker_ids, return_value FROM django_tasks_database_dbtaskresult ORDER BY enqueued_at")

    def ends(self) -> dict[str, int]:
        return dict(self.sql("SELECT state, count(*) FROM members_expiry GROUP BY state"))

    # --- a person's work ---------------------------------------------------------------------------------

    def not_members(self, group: str, count: int) -> list[str]:
        """``count`` users of the tenant who are not members of ``group`` (by id, stable)."""
        rows = self.sql("SELECT id::text FROM sandbox_directoryobject WHERE kind = 'user' AND id NOT IN"
                        " (SELECT member_id FROM sandbox_link WHERE container_id = %s) ORDER BY id LIMIT %s",
                        uuid.UUID(group), count)
        assert len(rows) == count, f"the tenant has {len(rows)} users outside the group, not {count}"
        return [row[0] for row in rows]

    def members_of(self, group: str, members: list[str]) -> set[str]:
        rows = self.sql("SELECT member_id::text FROM sandbox_link WHERE container_id = %s AND relation = 'members'"
                        " AND member_id = ANY(%s)", uuid.UUID(group), [uuid.UUID(m) for m in members])
        return {row[0] for row in rows}

    def add_until(self, upn: str, group: str, members: list[str], ends: str = "1d"):
        """Sign in over HTTP as ``upn`` and add ``members`` with an end, by the picker's POST (up to 1,000 a
        change); returns the signed-in session. The app keeps the person's sign-in for the sweep."""
        from tests.conftest import sign_in_over_http

        desk = sign_in_over_http(self.app_url, upn)
        for start in range(0, len(members), 1_000):
            answer = desk.htmx("POST", f"/groups/{group}/members/", current=f"/groups/{group}/", timeout=DEADLINE,
                               data={"member": members[start:start + 1_000], "ends": ends}, headers={"HX-Target": "add-results"})
            assert answer.status_code == 200 and "Added" in unescape(answer.text), answer.text[:2000]
        return desk

    def make_due(self) -> int:
        """Every scheduled end's time is up (one second ago); how many."""
        return self.sql("WITH moved AS (UPDATE members_expiry SET expires_at = now() - interval '1 second'"
                        " WHERE state = 'scheduled' RETURNING 1) SELECT count(*) FROM moved")[0][0]


def removal_deletes(log: dict, group: str) -> dict[str, list[str]]:
    """The membership DELETEs of ``group`` the sandbox received, by member: the request-id of each call
    that carried one (a $batch's own: Graph gives its 204 items none, so that is what a journal keeps)."""
    calls_by_member: dict[str, list[str]] = {}
    prefix = f"/groups/{group}/members/"
    for entry in log["requests"]:
        calls = [(item[0], item[1]) for item in entry["items"]] or [(entry["method"], entry["path"])]
        for method, url in calls:
            path = url.split("/sandbox/graph/v1.0", 1)[-1]
            if method == "DELETE" and path.startswith(prefix) and path.endswith("/$ref"):
                calls_by_member.setdefault(path[len(prefix):-len("/$ref")], []).append(entry["request_id"])
    return calls_by_member


def removals_made(log: dict, group: str) -> Counter:
    """How many times the sandbox removed each member of ``group`` (its membership log, as committed)."""
    return Counter(change["member_id"] for change in log["memberships"]
                   if change["container_id"] == group and change["action"] == "remove")


def json_value(value):
    return json.loads(value) if isinstance(value, str) else value
