"""``/healthz``: what a load balancer probes. It checks the database and, when ``REDIS_URL`` is
set, Redis; never Graph (an Entra or Graph outage must not take every app server out of the pool).

200 ``{"status": "ok", ...}`` when all answer; 503 naming the one that failed otherwise. It also says
whether a task worker was seen recently (``worker``), without failing for it. The check
runs in ``HealthCheckMiddleware``, first in the chain: a probe addresses the server by its own
address over plain HTTP, so it must be answered before host validation (``ALLOWED_HOSTS``), the
HTTPS redirect and the login gate see it. Probes are not written to the request log either.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

PATH = "/healthz"
log = logging.getLogger("portal.health")


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    cache.get("healthz")  # one round trip; the cache is Redis whenever REDIS_URL is set


def checks() -> dict:
    """The dependencies to probe, by the name a failing probe reports."""
    found = {"database": check_database}
    if settings.REDIS_URL:
        found["redis"] = check_redis
    return found


def worker_seen() -> dict:
    """When a task worker last finished a task (the periodic sweep runs every SWEEP_EVERY seconds), and
    whether that is recent. Said, not failed on: a web server without a worker still serves pages."""
    from django_tasks_db.models import DBTaskResult

    try:
        last = DBTaskResult.objects.exclude(finished_at=None).order_by("-finished_at").values_list(
            "finished_at", flat=True).first()
    except Exception as exc:  # the tasks' table not there yet (before migrate): not seen
        log.warning("health check of the task worker failed: %s", type(exc).__name__)
        last = None
    if last is None:
        return {"worker": "not seen"}
    recent = timezone.now() - last <= timedelta(seconds=settings.WORKER_SEEN_WITHIN)
    return {"worker": "seen" if recent else "not seen recently", "worker_seen_at": last.isoformat(timespec="seconds")}


def healthz(request: HttpRequest) -> JsonResponse:
    results = {}
    for name, check in checks().items():
        try:
            check()
        except Exception as exc:  # any failure means "not ready": say which, keep the details in the log
            log.warning("health check %s failed: %s", name, type(exc).__name__)
            results[name] = "failing"
        else:
            results[name] = "ok"
    healthy = all(result == "ok" for result in results.values())
    worker = worker_seen() if results.get("database") == "ok" else {}
    response = JsonResponse({"status": "ok" if healthy else "failing", **results, **worker},
                            status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    if request.method == "HEAD":
        response.content = b""  # the status is the answer (this answer skips the handlers that would drop it)
    return response


class HealthCheckMiddleware:
    """Answer ``GET``/``HEAD /healthz`` before anything else in the chain looks at the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.path_info == PATH and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)
