"""How msal and ``members.graph`` reach the sandbox: one ``requests`` adapter (DESIGN.md).

msal insists on https authorities, so sandbox mode names two reserved hosts that never resolve,
``https://login.sandbox.test`` and ``https://graph.sandbox.test``. The adapter mounted for them
carries each call to the sandbox's views on the app's own loopback origin over plain http,
keeping the public ``Host`` so the sandbox answers with public URLs (nextLinks, endpoints).
msal, the Graph client and every URL builder run unchanged.

The loopback origin is never taken from a browser's ``Host`` header: those calls carry the
user's bearer token, and ``Host: 127.0.0.1:<any port>`` would send it to whatever listens
there. It is ``SANDBOX_LOOPBACK_URL`` when set, else 127.0.0.1 on the port the server itself
is bound to. Only wsgiref-based servers (runserver, Django's live server) report that port in
``SERVER_PORT``; others (gunicorn) derive ``SERVER_PORT`` from ``Host``, so under them
``SANDBOX_LOOPBACK_URL`` must be set.
"""

import logging
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.http import HttpResponseBadRequest
from requests.adapters import HTTPAdapter

LOGIN_HOST = "login.sandbox.test"
GRAPH_HOST = "graph.sandbox.test"
# Public host -> path prefix of the sandbox's views on the loopback origin.
PREFIXES = {LOGIN_HOST: "/sandbox", GRAPH_HOST: "/sandbox/graph"}
DEFAULT_LOOPBACK = "http://127.0.0.1:8000"
FAULT_HEADER = "X-Sandbox-Fault"  # set by sandbox.knobs on an answer to drop
# wsgiref's servers (runserver, Django's live server) name themselves so and set SERVER_PORT
# from the socket they are bound to, not from the request.
BOUND_PORT_SERVERS = ("WSGIServer/",)

log = logging.getLogger("sandbox.transport")

_request_origin: ContextVar[str | None] = ContextVar("sandbox_request_origin", default=None)


def loopback_origin() -> str:
    """The origin the sandbox's views answer on: configured, else the serving server's own port."""
    return settings.SANDBOX_LOOPBACK_URL or _request_origin.get() or DEFAULT_LOOPBACK


def bound_origin(meta: dict) -> str | None:
    """``http://127.0.0.1:<port>`` for the port this server is bound to, when the server says it
    truthfully (wsgiref); ``None`` for a server whose ``SERVER_PORT`` comes from ``Host``."""
    port = meta.get("SERVER_PORT", "")
    if not meta.get("SERVER_SOFTWARE", "").startswith(BOUND_PORT_SERVERS) or not port.isdigit():
        return None
    return f"http://127.0.0.1:{int(port)}"


class LoopbackOriginMiddleware:
    """Remember this server's own loopback origin (never the browser's Host) for the adapter's calls."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.warned = False

    def __call__(self, request):
        if refused := _public_host_off_its_paths(request):
            return refused
        origin = None if settings.SANDBOX_LOOPBACK_URL else bound_origin(request.META)
        if origin is None:
            self._warn_unconfigured(request.META)
            return self.get_response(request)
        token = _request_origin.set(origin)
        try:
            response = self.get_response(request)
        finally:
            _request_origin.reset(token)
        if getattr(response, "streaming", False) and not response.is_async:
            # A streamed answer may call Graph while it is being sent (an export's next pages).
            response.streaming_content = _with_origin(origin, response.streaming_content)
        return response

    def _warn_unconfigured(self, meta: dict) -> None:
        if settings.SANDBOX_LOOPBACK_URL or self.warned:
            return
        self.warned = True
        log.warning("SANDBOX_LOOPBACK_URL is not set and %s does not report its bound port: the sandbox "
                    "is reached on %s", meta.get("SERVER_SOFTWARE") or "this server", DEFAULT_LOOPBACK)


def _public_host_off_its_paths(request) -> HttpResponseBadRequest | None:
    """The reserved public hosts name the sandbox's endpoints only: a request with one of them as its
    Host for any other path (the app's pages, its sign-in, whose redirect URI is built from the Host)
    did not come through the adapter, and is refused as Django refuses a host it does not serve."""
    host = request.META.get("HTTP_HOST", "").rsplit(":", 1)[0].lower()
    if host in PREFIXES and not request.path_info.startswith(f"{PREFIXES[host]}/"):
        return HttpResponseBadRequest("This host name serves the sandbox tenant's endpoints only.",
                                      content_type="text/plain")
    return None


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
        kwargs["verify"] = False  # plain http on loopback: nothing to verify
        response = super().send(request, **kwargs)
        if response.headers.get(FAULT_HEADER) == "drop":
            # Fault injection (sandbox.knobs): the sandbox did the work but the answer is lost.
            response.close()
            raise requests.ConnectionError("Connection aborted: the sandbox dropped the answer.", request=request)
        return response


def mount(session: requests.Session) -> requests.Session:
    """Mount the adapter on a session for both sandbox hosts; returns the session."""
    # One kept-alive connection per thread that may wait on the sandbox at once (gunicorn THREADS).
    adapter = SandboxAdapter(pool_connections=2, pool_maxsize=64)
    for host in PREFIXES:
        session.mount(f"https://{host}/", adapter)
    session.trust_env = False  # no proxy between the app and its own loopback port
    return session
