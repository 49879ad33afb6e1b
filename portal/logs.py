"""Structured logs: a JSON line per request, and the signed-in user's object id on every record.

``RequestLogMiddleware`` logs each request on ``portal.requests`` with ``extra={"http_request":
{"method", "path", "status", "duration_ms"}}``, where ``path`` is the URL pattern's route
(``/groups/<str:container_id>/``), never the raw path nor its query string (a sign-in callback's
carries an authorization code). While a request is served, ``RequestContextFilter`` adds
``user_oid`` (the user's Entra object id, ``request.user.username``) to every record, such as the
``members.graph`` records that carry ``extra={"graph_call": {...}}``. ``JsonFormatter`` prints
a record's ``extra`` fields beside time, level, logger and message (``LOG_FORMAT=json``).
"""

import logging
import re
import time
from contextvars import ContextVar

from django.core.signals import request_finished
from django.dispatch import receiver
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

log = logging.getLogger("portal.requests")

_user_oid: ContextVar[str | None] = ContextVar("user_oid", default=None)

# Defence in depth: whatever a message or a traceback quotes, a JWT or a bearer credential is cut out.
_CREDENTIAL = re.compile(r"eyJ[\w-]{8,}\.[\w-]+\.[\w-]*|(?i:bearer)\s+[\w.~+/-]+=*")


def user_oid(request) -> str | None:
    """The signed-in user's object id, or None (also when authentication has not run for this request)."""
    user = getattr(request, "user", None)
    return user.username if user is not None and user.is_authenticated else None


class RequestContextFilter(logging.Filter):
    """Put the object id of the user being served on each record (when the record has none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        oid = _user_oid.get()
        if oid is not None and not hasattr(record, "user_oid"):
            record.user_oid = oid
        return True


class JsonFormatter(BaseJsonFormatter):
    """python-json-logger's formatter: ``time``, ``level``, ``logger``, ``message``, then the extras."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        # django.request's records carry the HttpRequest, whose text is the full path with its query.
        kwargs.setdefault("reserved_attrs", [*RESERVED_ATTRS, "request"])
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        return _CREDENTIAL.sub("[redacted]", super().format(record))


def route(request) -> str | None:
    """The URL pattern that matched, as written in the URLconf (None when nothing matched)."""
    match = getattr(request, "resolver_match", None)
    return f"/{match.route}" if match is not None else None


@receiver(request_finished, dispatch_uid="portal.logs.forget_user")
def forget_user(**kwargs) -> None:
    """The request is over (django.request has logged its 4xx by now, after the middleware)."""
    _user_oid.set(None)


class RequestLogMiddleware:
    """One ``portal.requests`` record per request, and the user's object id for what is logged meanwhile."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        _user_oid.set(None)  # until process_view knows; forgotten again when the request finishes
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        path = route(request)
        # Read after the view, which may have signed the user in or out. A request that matched
        # no route never reached process_view: don't load its session just to log it.
        oid = user_oid(request) if path is not None else None
        log.info("%s %s %s", request.method, path, response.status_code, extra={
            "user_oid": oid,
            "http_request": {"method": request.method, "path": path, "status": response.status_code,
                             "duration_ms": duration_ms},
        })
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Authentication has run by now (process_view follows every middleware's request phase).
        _user_oid.set(user_oid(request))
        return None
