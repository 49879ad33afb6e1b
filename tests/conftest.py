"""Fixtures shared by the integration and browser tests: a small seeded sandbox tenant and sign-in."""

import re
from pathlib import Path

import pytest
import requests
from django.core.servers.basehttp import WSGIRequestHandler

# The live server writes a response's head and body separately; with Nagle's algorithm on, the body
# waits for the client's delayed ACK (40 ms on Linux) on every keep-alive request, the app's loopback
# Graph calls included: a change took 120 ms instead of 20. Real servers (gunicorn) set TCP_NODELAY too.
WSGIRequestHandler.disable_nagle_algorithm = True

SMALL_TENANT = {"users": 60, "groups": 25, "big_group_members": 300}


def _remove_sqlite_sidecars(keep_database: bool) -> None:
    """The test database is deleted after a run but its WAL files stay (live-server threads never
    close their connections): ~5 MB a run, and a later run that gets the same process id would
    replay the stale WAL into its fresh database. Remove them (and a stale database) for this pid."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3" or not database.get("TEST", {}).get("NAME"):
        return
    name = Path(database["TEST"]["NAME"])
    for path in [name.with_name(name.name + "-wal"), name.with_name(name.name + "-shm")] + ([] if keep_database else [name]):
        path.unlink(missing_ok=True)


def pytest_sessionstart(session):
    from tests.ci import below_floors

    if wrong := below_floors():
        raise pytest.UsageError("; ".join(wrong))
    _remove_sqlite_sidecars(keep_database=False)


def pytest_sessionfinish(session):
    _remove_sqlite_sidecars(keep_database=True)


@pytest.fixture(autouse=True)
def replicated_at_once(settings):
    """The sandbox's reads see every write at once unless a test turns SANDBOX_REPLICATION_LAG_MS on
    (and sets GRAPH_REPLICATION_WINDOW with it): no test waits out a window no replica needs."""
    settings.GRAPH_REPLICATION_WINDOW = 0


@pytest.fixture
def tenant(transactional_db):
    """The seeded Contoso tenant (small sizes), re-seeded for each test; returns WELL_KNOWN."""
    from sandbox.seed import seed_tenant

    return seed_tenant(**SMALL_TENANT)


class DeskSession(requests.Session):
    """A signed-in browser stand-in: sends htmx's headers and the CSRF header like base.html does."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def htmx(self, method: str, path: str, *, current: str = "/", **kwargs) -> requests.Response:
        headers = {"HX-Request": "true", "HX-Current-URL": f"{self.base_url}{current}",
                   "X-CSRFToken": self.cookies.get("csrftoken", ""), **kwargs.pop("headers", {})}
        return self.request(method, f"{self.base_url}{path}", headers=headers, **kwargs)


def sign_in_over_http(base_url: str, upn: str) -> DeskSession:
    """Sign in the way a script can: follow the app to the sandbox's page, POST ``upn``, follow back."""
    session = DeskSession(base_url)
    page = session.get(f"{base_url}/accounts/sign-in/")
    assert page.status_code == 200 and "Pick an account" in page.text, page.text[:500]
    landed = session.post(page.url, data={"upn": upn})
    assert landed.status_code == 200, landed.text[:2000]
    assert landed.url == f"{base_url}/", landed.url
    session.get(f"{base_url}/groups/")  # sets the csrftoken cookie
    return session


@pytest.fixture
def sign_in(live_server, tenant):
    """``sign_in(upn)`` → a DeskSession signed in through msal against the live sandbox."""
    return lambda upn: sign_in_over_http(live_server.url, upn)


def row_html(page: str, member_id: str) -> str:
    """The <tr> of one member in a page or fragment ('' when absent)."""
    match = re.search(rf'<tr id="member-{member_id}".*?</tr>', page, re.S)
    return match.group(0) if match else ""
