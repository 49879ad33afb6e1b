"""The routes of the sandbox's own server (``SANDBOX_SERVER=1``): its endpoints and nothing else.

The app's pages are not served there: the app reaches this server over loopback HTTP as it would
reach Microsoft, and a browser never needs it (the authorize page is served on the app's origin,
where the discovery document points). ``/healthz`` is answered before routing (portal.health).
The error answers are plain text: the app's error pages name the app's routes, which this server
does not have.
"""

from django.http import HttpResponse
from django.urls import include, path


def _plain(status: int, text: str):
    def answer(request, exception=None) -> HttpResponse:
        return HttpResponse(f"{text}\n", status=status, content_type="text/plain; charset=utf-8")

    return answer


handler400 = _plain(400, "Bad request.")
handler403 = _plain(403, "Forbidden.")
handler404 = _plain(404, "Not found: this server answers the sandbox tenant's endpoints only.")
handler500 = _plain(500, "The sandbox failed.")

urlpatterns = [
    path("sandbox/", include("sandbox.urls")),
]
