"""(Sandbox) the transport's Graph calls, bearer token included, go to this server's own port only.

A browser request's ``Host`` header names any port it likes; the loopback origin the sandbox
transport sends Graph calls to must come from configuration or from the port the server is bound to.
"""

import socket
import threading

import pytest
import requests
from django.test import RequestFactory

from sandbox import transport


class Listener:
    """A socket listening on another loopback port, as an attacker's server would: it records
    every connection made to it and what was sent, and answers nothing."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.1)
        self.port = self.socket.getsockname()[1]
        self.received: list[bytes] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            self._record(connection)

    def _record(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(2)
            try:
                self.received.append(connection.recv(65536))
            except OSError:
                self.received.append(b"")

    def close(self) -> list[bytes]:
        """Stop, record any connection still waiting in the backlog, and return what was received."""
        if self.stopping.is_set():
            return self.received
        self.stopping.set()
        self.thread.join()
        self.socket.setblocking(False)
        try:
            while True:
                self._record(self.socket.accept()[0])
        except BlockingIOError:
            pass
        self.socket.close()
        return self.received


@pytest.fixture
def attacker():
    listener = Listener()
    yield listener
    listener.close()


def test_a_host_header_naming_another_port_never_gets_the_bearer_token(sign_in, tenant, attacker, live_server):
    desk = sign_in("helpdesk@contoso.example")
    group = tenant["helpdesk_group"]
    # 127.0.0.1 is in ALLOWED_HOSTS (the demo runs there). The session cookie is set by hand:
    # requests would match cookies against the forged Host and send none.
    forged = {"Host": f"127.0.0.1:{attacker.port}", "Cookie": f"sessionid={desk.cookies['sessionid']}"}

    pages = {path: requests.get(f"{live_server.url}{path}", headers=forged, allow_redirects=False, timeout=30)
             for path in ("/", "/groups/", f"/groups/{group.id}/")}

    received = attacker.close()
    bearer = any(b"Authorization: Bearer " in request for request in received)
    assert received == [], f"the attacker's port received {len(received)} connection(s) (bearer token: {bearer})"
    assert all(page.status_code == 200 for page in pages.values()), {p: r.status_code for p, r in pages.items()}
    assert group.display_name in pages["/groups/"].text and group.display_name in pages[f"/groups/{group.id}/"].text


def origin_seen(meta: dict) -> str:
    """The loopback origin the transport would use while serving a request with this environ."""
    seen = []
    middleware = transport.LoopbackOriginMiddleware(lambda request: seen.append(transport.loopback_origin()))
    middleware(RequestFactory().get("/groups/", **meta))
    return seen[0]


def test_the_origin_is_the_configured_one_whatever_the_server_says(settings):
    settings.SANDBOX_LOOPBACK_URL = "http://127.0.0.1:8123"
    assert origin_seen({"SERVER_SOFTWARE": "WSGIServer/0.2", "SERVER_PORT": "9999"}) == "http://127.0.0.1:8123"


def test_a_server_port_taken_from_the_host_header_is_not_trusted(settings):
    """gunicorn derives SERVER_PORT from Host: without SANDBOX_LOOPBACK_URL the default port is used."""
    settings.SANDBOX_LOOPBACK_URL = ""
    forged = {"HTTP_HOST": "127.0.0.1:9999", "SERVER_PORT": "9999", "SERVER_SOFTWARE": "gunicorn/23.0.0"}
    assert origin_seen(forged) == transport.DEFAULT_LOOPBACK
    assert origin_seen({"HTTP_HOST": "127.0.0.1:9999", "SERVER_SOFTWARE": "WSGIServer/0.2", "SERVER_PORT": "8001"}) == "http://127.0.0.1:8001"
