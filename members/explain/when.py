"""How a moment reads, wherever a person reads one: the reader's own time with its zone's name,
to the minute ("2026-12-03 07:54 CET"). The reader's zone is the one ``portal.localtime`` activated
for the request (UTC, said as such, until the browser has told its own).
"""

from datetime import datetime, tzinfo

from django.utils import timezone


def said_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """"2026-12-03 07:54 CET": ``moment`` in ``zone``, or in the reader's zone."""
    local = timezone.localtime(moment, zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def machine_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """The same moment for a ``<time datetime>``: ISO 8601 with its offset, to the second (HTML
    allows at most three digits of a second's fraction; Python writes six)."""
    return timezone.localtime(moment, zone).isoformat(timespec="seconds")
