"""Times in the reader's own zone: the browser says its IANA zone in a cookie (static/js/desk.js writes
it), and each request activates that zone, or UTC when there is none that reads as one.

The cookie is anyone's to write, so it is read strictly: a name of a zone's characters, short, that
``zoneinfo`` finds. Anything else (junk, a path, a megabyte) is UTC, never an error. The first page a
browser loads, before its script has run, shows UTC, and says "UTC".
"""

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest
from django.utils import timezone

COOKIE = "desk_tz"  # desk.js writes the same name
# IANA names are letters, digits, "_", "+", "-" in up to three "/"-separated parts, 32 characters at the
# longest today; this rules out paths (".." or a leading "/") before zoneinfo looks on disk.
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9][A-Za-z0-9_+-]*){0,2}")
_LONGEST = 64


def reader_zone(request: HttpRequest) -> ZoneInfo | None:
    """The zone the request's cookie names, if it names one."""
    name = request.COOKIES.get(COOKIE, "")
    if not name or len(name) > _LONGEST or not _ZONE_NAME.fullmatch(name):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # no such zone; a file there that isn't one
        return None


class LocalTimeMiddleware:
    """Activate the reader's zone for the request (every rendering of a time reads it), else UTC."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        # Set on every request, also to UTC: a worker thread keeps the zone its last request activated.
        # Not reset after the response: a streamed answer renders its times after this returns.
        if zone := reader_zone(request):
            timezone.activate(zone)
        else:
            timezone.deactivate()
        return self.get_response(request)
