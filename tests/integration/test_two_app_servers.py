"""Two app servers, as `make serve` runs them (gunicorn, DEBUG off, demo-server mode on the sandbox
tenant), sharing one PostgreSQL database and one Redis: sign in on one, change a membership on the
other, and both journals agree.

Production-configuration style (see test_production_settings.py): fresh processes with their own
environment; skipped outside CI when PostgreSQL or Redis is not on loopback.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from html import unescape
from pathlib import Path

import psycopg
import pytest
import redis
import requests

from sandbox.seed import WELL_KNOWN
from tests.conftest import SMALL_TENANT, DeskSession, sign_in_over_http
from tests.integration.test_production_settings import PG_URL, ROOT, require_services, run

REDIS_DB = 12  # this test's own Redis database (others use 11 and 15), flushed before and after
START_DEADLINE = 60  # seconds for a server to answer /healthz
STRIPPED = ("ENTRA_", "DJANGO_", "DEBUG", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "TOKEN_CACHE_KEY", "DEMO_SERVER", "SANDBOX_",
            "STATIC_ROOT", "LOG_FORMAT", "HOST", "PORT", "WEB_CONCURRENCY", "THREADS", "GUNICORN_CMD_ARGS")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin_url(database: str) -> str:
    return PG_URL.replace("postgres://", "postgresql://").rsplit("/", 1)[0] + f"/{database}"


class AppServer:
    """One gunicorn (gunicorn.conf.py, as `make serve` starts it) on its own loopback port."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{name}.log"
        clean = {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED)}
        self.env = {**clean, **env, "HOST": "127.0.0.1", "PORT": str(self.port), "SANDBOX_LOOPBACK_URL": self.url}
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            # Its own session: stopping it reaches the workers too, whatever state they are in.
            self.process = subprocess.Popen([sys.executable, "-m", "gunicorn"], cwd=ROOT, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_healthy(self) -> None:
        """Poll /healthz until 200; fail at the deadline or as soon as the server exits."""
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):  # not up yet, or slow on a loaded machine
                pass
            try:
                self.process.wait(timeout=0.2)  # the pause between polls, and a check that it still runs
            except subprocess.TimeoutExpired:
                continue
            pytest.fail(f"gunicorn on {self.url} exited with {self.process.returncode}:\n{self.log()}")
        pytest.fail(f"gunicorn on {self.url} did not answer /healthz in {START_DEADLINE} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # gunicorn's graceful shutdown
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def shared_services(tmp_path):
    """A uniquely named PostgreSQL database and this test's Redis database; dropped and flushed after."""
    require_services()
    name = f"desk_serve_{uuid.uuid4().hex[:10]}"
    redis_url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    with psycopg.connect(admin_url("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    redis.Redis.from_url(redis_url).flushdb()
    try:
        yield {"DATABASE_URL": admin_url(name).replace("postgresql://", "postgres://"), "REDIS_URL": redis_url}
    finally:
        redis.Redis.from_url(redis_url).flushdb()
        with psycopg.connect(admin_url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def two_servers(shared_services, collected_static, tmp_path):
    """Migrate and seed the shared database once, then start two demo servers on it."""
    yield from started_servers(shared_services, collected_static, tmp_path, {})


@pytest.fixture
def two_servers_short_tokens(shared_services, collected_static, tmp_path):
    """The same, with two workers each and access tokens msal counts as expired (every call refreshes).

    Each demo server's sandbox answers its token calls from the server's own threads: a request
    that holds the session's refresh lock needs a free thread of its worker for its token call,
    while up to 6 requests wait for the lock in that worker. Entra is outside any app server, so
    that is the test's set-up, not the app's: 8 threads leave the token call one."""
    yield from started_servers(shared_services, collected_static, tmp_path,
                               {"SANDBOX_TOKEN_LIFETIME": "60", "WEB_CONCURRENCY": "2", "THREADS": "8"})


def started_servers(shared_services: dict, collected_static: str, tmp_path: Path, extra: dict):
    env = {**shared_services, "DEMO_SERVER": "1", "SECRET_KEY": uuid.uuid4().hex * 2, "LOG_FORMAT": "json",
           "STATIC_ROOT": collected_static, "WEB_CONCURRENCY": "1", "THREADS": "4",
           "SANDBOX_LOOPBACK_URL": "http://127.0.0.1:9", **extra}  # each server names its own below
    for command in (["manage.py", "migrate", "--no-input"],
                    ["manage.py", "sandbox", "seed", "--users", str(SMALL_TENANT["users"]),
                     "--groups", str(SMALL_TENANT["groups"]), "--big-group", str(SMALL_TENANT["big_group_members"])]):
        done = run(command, env)
        assert done.returncode == 0, done.stderr
    servers = [AppServer(name, env, tmp_path) for name in ("a", "b")]
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_healthy()
        yield servers
    finally:
        for server in servers:
            server.stop()


def sandbox_rows(database_url: str, query: str, *args) -> list[tuple]:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        return conn.execute(query, args).fetchall()


def audit_table(page: str) -> str:
    match = re.search(r'<table class="audit[^"]*">.*?</table>', page, re.S)
    assert match, page[:2000]
    # Each answer masks its CSRF token anew (the Revert forms carry one): not part of the journal.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken"', match.group(0))


def test_sign_in_on_one_server_and_remove_on_the_other_both_journals_agree(two_servers, shared_services):
    a, b = two_servers
    database = shared_services["DATABASE_URL"]
    group = WELL_KNOWN["helpdesk_group"]
    (member, member_name), = sandbox_rows(
        database, "SELECT o.id::text, o.display_name FROM sandbox_link l JOIN sandbox_directoryobject o ON o.id = l.member_id"
                  " WHERE l.container_id = %s AND l.relation = 'members' AND o.kind = 'user' ORDER BY o.display_name LIMIT 1",
        uuid.UUID(group.id))
    members_before = sandbox_rows(database, "SELECT count(*) FROM sandbox_link WHERE container_id = %s AND relation = 'members'",
                                  uuid.UUID(group.id))[0][0]

    probe = requests.head(f"{b.url}/healthz", timeout=5)  # a load balancer's probe may be a HEAD
    assert probe.status_code == 200 and probe.headers["Cache-Control"] == "no-store"

    on_a = sign_in_over_http(a.url, "helpdesk@contoso.example")  # msal's tokens are minted by A's sandbox
    refresh_tokens = sandbox_rows(database, "SELECT token_hash, revoked FROM sandbox_refreshtoken ORDER BY 1")
    on_b = DeskSession(b.url)
    on_b.cookies.update(on_a.cookies)  # the same browser, sent to the other server by the load balancer

    page = on_b.get(f"{b.url}/groups/{group.id}/")
    assert page.status_code == 200 and f'id="member-{member}"' in page.text
    answer = on_b.htmx("DELETE", f"/groups/{group.id}/members/{member}/", current=f"/groups/{group.id}/")
    assert answer.status_code == 200 and "Removed." in answer.text, answer.text[:2000]

    # B's Graph accepted A's access token: no refresh was needed (a refresh rotates its token).
    assert sandbox_rows(database, "SELECT token_hash, revoked FROM sandbox_refreshtoken ORDER BY 1") == refresh_tokens
    # The sandbox changed once: that member, and only that one, left the group.
    assert sandbox_rows(database, "SELECT count(*) FROM sandbox_link WHERE container_id = %s AND relation = 'members'",
                        uuid.UUID(group.id))[0][0] == members_before - 1
    assert not sandbox_rows(database, "SELECT 1 FROM sandbox_link WHERE container_id = %s AND member_id = %s",
                            uuid.UUID(group.id), uuid.UUID(member))

    journals = [audit_table(session.get(f"{server.url}/activity/").text) for session, server in ((on_a, a), (on_b, b))]
    assert journals[0] == journals[1]
    rows = re.findall(r"<tr id=\"entry-\d+\" class=\"outcome-(\w+)\">(.*?)</tr>", journals[0], re.S)
    assert len(rows) == 1 and rows[0][0] == "done"
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", rows[0][1])).split())
    assert f"helpdesk@contoso.example Remove {member_name} from {group.display_name} Done" in text

    for server in two_servers:
        server.stop()  # flush and close their logs before reading them
    assert_json_logs_without_secrets(a.log(), b.log(), member)


def test_parallel_requests_of_one_session_on_two_servers_refresh_once_at_a_time_and_never_bounce(
        two_servers_short_tokens, shared_services):
    """One browser's requests spread over two servers (two workers each), 6 at a time, every one
    needing a refresh: the refresh lock (Redis) holds across them all; none is sent to sign-in."""
    from concurrent.futures import ThreadPoolExecutor

    a, b = two_servers_short_tokens
    database = shared_services["DATABASE_URL"]
    group = WELL_KNOWN["helpdesk_group"]
    newcomers = [row[0] for row in sandbox_rows(
        database, "SELECT o.id::text FROM sandbox_directoryobject o WHERE o.kind = 'device' AND o.id NOT IN"
                  " (SELECT member_id FROM sandbox_link WHERE container_id = %s) ORDER BY o.id LIMIT 6", uuid.UUID(group.id))]
    on_a = sign_in_over_http(a.url, "helpdesk@contoso.example")
    desks = [on_a, DeskSession(b.url)]
    desks[1].cookies.update(on_a.cookies)
    work = [("page", path) for path in ["/", "/groups/", "/units/", "/roles/"] * 10] + [("add", m) for m in newcomers]
    work = work[::4] + work[1::4] + work[2::4] + work[3::4]

    def do(numbered):
        n, (kind, value) = numbered
        desk = desks[n % 2]
        if kind == "page":
            return desk.htmx("GET", value, current=value)
        return desk.htmx("POST", f"/groups/{group.id}/members/", current=f"/groups/{group.id}/", data={"member": value},
                         headers={"HX-Target": "add-results"})

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(do, enumerate(work)))

    bounced = [(item, answer.status_code, answer.headers.get("HX-Redirect"))
               for item, answer in zip(work, answers) if answer.status_code != 200 or "HX-Redirect" in answer.headers]
    assert bounced == [], [json.loads(line).get("exc_info", line)[-3000:] for server in (a, b)
                           for line in server.log().splitlines() if '"level": "ERROR"' in line][-3:]
    outcomes = sandbox_rows(database, "SELECT member_id, outcome FROM members_auditentry ORDER BY member_id")
    assert outcomes == sorted((m, "done") for m in newcomers)
    # Every refresh token but the newest was redeemed once, in turn: none refused, no chain revoked.
    chain = sandbox_rows(database, "SELECT count(*), count(*) FILTER (WHERE NOT revoked) FROM sandbox_refreshtoken")
    assert chain[0][1] == 1, chain


def assert_json_logs_without_secrets(log_a: str, log_b: str, member: str) -> None:
    """Every line both servers wrote is JSON; a request's line names its route and user; no secret."""
    lines = [json.loads(line) for text in (log_a, log_b) for line in text.splitlines()]
    assert not [line for line in lines if line["level"] not in ("DEBUG", "INFO")]  # nothing went wrong
    requests_logged = [line for line in lines if line["logger"] == "portal.requests"]
    removal = [line for line in requests_logged if line["http_request"]["method"] == "DELETE"
               and line["http_request"]["path"] == "/<kind:kind>/<guid:container_id>/members/<str:member_id>/"]
    assert len(removal) == 1 and removal[0]["http_request"]["status"] == 200
    assert removal[0]["user_oid"] == WELL_KNOWN["helpdesk"].id
    callback = [line for line in requests_logged if line["http_request"]["path"] == "/accounts/callback/"]
    assert len(callback) == 1 and callback[0]["user_oid"] == WELL_KNOWN["helpdesk"].id
    for line in requests_logged:  # routes, not paths: no query string (a regex route's "(?P<" aside)
        assert "?" not in (line["http_request"]["path"] or "").replace("(?P<", ""), line
    for text in (log_a, log_b):
        for leak in ("Bearer", "eyJ", "code=", "state=", "$select", member):
            assert leak not in text, leak
