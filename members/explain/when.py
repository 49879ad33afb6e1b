"""How a moment reads, wherever a person reads one: the reader's own time with its zone's name,
to the minute ("2026-12-03 07:54 CET"). The reader's zone is the one ``portal.localtime`` activated
for the request (UTC, said as such, until the browser has told its own). A downloaded file keeps
ISO 8601 in UTC, whoever downloads it: a file travels, and its reader may be somewhere else.
"""

from datetime import UTC, datetime, tzinfo

from django.utils import timezone


def said_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """"2026-12-03 07:54 CET": ``moment`` in ``zone``, or in the reader's zone."""
    local = timezone.localtime(moment, zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def machine_time(moment: datetime, zone: tzinfo | None = None) -> str:
    """The same moment for a ``<time datetime>``: ISO 8601 with its offset, to the second (HTML
    allows at most three digits of a second's fraction; Python writes six)."""
    return timezone.localtime(moment, zone).isoformat(timespec="seconds")


def file_time(moment: datetime) -> str:
    """A moment in a CSV: ISO 8601 in UTC with its offset, to the second."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def file_stamp() -> str:
    """Now, in a downloaded file's name: UTC, as the file's contents are ("20261203-0654Z")."""
    return f"{timezone.now().astimezone(UTC):%Y%m%d-%H%M}Z"
