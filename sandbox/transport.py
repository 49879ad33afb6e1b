"""How msal and ``members.graph`` reach the sandbox: one ``requests`` adapter (DESIGN.md).

msal insists on https authorities, so sandbox mode names two reserved hosts that never resolve,
``https://login.sandbox.test`` and ``https://graph.sandbox.test``. The adapter mounted for them
carries each call to the sandbox's views on the app's own loopback origin over plain http,
keeping the public ``Host`` so the sandbox answers with public URLs (nextLinks, endpoints).
msal, the Graph client and every URL builder run unchanged.
"""

from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

LOGIN_HOST = "login.sandbox.test"
GRAPH_HOST = "graph.sandbox.test"
# Public host -> path prefix of the sandbox's views on the loopback origin.
PREFIXES = {LOGIN_HOST: "/sandbox", GRAPH_HOST: "/sandbox/graph"}
ORIGIN_HEADER = "X-Sandbox-Origin"
DEFAULT_LOOPBACK = "http://127.0.0.1:8000"
FAULT_HEADER = "X-Sandbox-Fault"  # set by sandbox.knobs on an answer to drop

_request_origin: ContextVar[str | None] = ContextVar("sandbox_request_origin", default=None)


def loopback_origin() -> str:
    """The origin the sandbox's views answer on: configured, else that of the request being served."""
    return settings.SANDBOX_LOOPBACK_URL or _request_origin.get() or DEFAULT_LOOPBACK


class LoopbackOriginMiddleware:
    """Remember the origin of the browser request being served, for the adapter's loopback calls."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        host = request.get_host()
        if host.endswith(".sandbox.test"):
            return self.get_response(request)
        origin = f"{request.scheme}://{host}"
        token = _request_origin.set(origin)
        try:
            response = self.get_response(request)
        finally:
            _request_origin.reset(token)
        if response.streaming and not response.is_async:
            # A streamed answer may call Graph while it is being sent (an export's next pages).
            response.streaming_content = _with_origin(origin, response.streaming_content)
        return response


def _with_origin(origin: str, chunks: Iterable) -> Iterator:
    """The chunks of a streamed answer, each produced with the request's origin remembered."""
    iterator = iter(chunks)
    while True:
        token = _request_origin.set(origin)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _request_origin.reset(token)
        yield chunk


class SandboxAdapter(HTTPAdapter):
    """Send https://{login,graph}.sandbox.test/... to the sandbox's views over loopback http."""

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        parts = urlsplit(request.url)
        origin = loopback_origin()
        query = f"?{parts.query}" if parts.query else ""
        request.url = f"{origin}{PREFIXES[parts.hostname]}{parts.path}{query}"
        request.headers["Host"] = parts.hostname
        request.headers[ORIGIN_HEADER] = origin
        kwargs["verify"] = False  # plain http on loopback: nothing to verify
        response = super().send(request, **kwargs)
        if response.headers.get(FAULT_HEADER) == "drop":
            # Fault injection (sandbox.knobs): the sandbox did the work but the answer is lost.
            response.close()
            raise requests.ConnectionError("Connection aborted: the sandbox dropped the answer.", request=request)
        return response


def mount(session: requests.Session) -> requests.Session:
    """Mount the adapter on a session for both sandbox hosts; returns the session."""
    adapter = SandboxAdapter(pool_connections=2, pool_maxsize=16)
    for host in PREFIXES:
        session.mount(f"https://{host}/", adapter)
    session.trust_env = False  # no proxy between the app and its own loopback port
    return session
