"""Error answers that htmx can act on (htmx 2 swaps no 4xx/5xx: a bare error page would be silent)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.views import debug
from django.views.csrf import csrf_failure as django_csrf_failure

from members import explain


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Refused as Django refuses it; an htmx click also reloads the page, so the user sees a fresh
    page with a valid token and the member still there (nothing was sent to Graph)."""
    response = django_csrf_failure(request, reason=reason)
    if request.headers.get("HX-Request") == "true":
        response["HX-Refresh"] = "true"
        if hasattr(request, "_messages"):  # the refreshed page says why the click did nothing
            messages.error(request, explain.stale_page_not_sent())
    return response


class SafeExceptionReporterFilter(debug.SafeExceptionReporterFilter):
    """Hide what ``sensitive_variables`` marks on every error page and report, also with DEBUG on.

    Django's filter stands down when DEBUG is on; the sandbox demo runs with DEBUG on and a real
    tenant may too, and the frames of sign-in and of Graph calls hold tokens (DESIGN.md invariant 3).
    """

    def is_active(self, request) -> bool:
        return True
