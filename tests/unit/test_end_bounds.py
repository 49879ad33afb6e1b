"""The date picker of an end offers what the server takes: from the next minute to EXPIRY_MAX_DAYS ahead,
in the reader's own zone (as ``EndForm`` reads a datetime-local value back)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from members import expiry
from members.models import Expiry, ExpiryState
from members.templatetags.desk_power import end_bounds


def test_the_bounds_are_now_to_the_furthest_end_in_the_readers_zone(settings):
    settings.EXPIRY_MAX_DAYS = 30
    paris = ZoneInfo("Europe/Paris")
    with timezone.override(paris):
        bounds = end_bounds()
    now = timezone.now().astimezone(paris).replace(tzinfo=None)
    low, high = (datetime.strptime(bounds[k], "%Y-%m-%dT%H:%M") for k in ("min", "max"))
    assert timedelta(0) <= low - now.replace(second=0, microsecond=0) <= timedelta(minutes=2)
    assert timedelta(days=29, hours=23) < high - now <= timedelta(days=30)


def test_only_a_scheduled_end_within_ten_minutes_polls():
    now = timezone.now()
    near = Expiry(expires_at=now + timedelta(minutes=9), state=ExpiryState.SCHEDULED)
    past = Expiry(expires_at=now - timedelta(minutes=1), state=ExpiryState.SCHEDULED)
    far = Expiry(expires_at=now + timedelta(minutes=11), state=ExpiryState.SCHEDULED)
    due = Expiry(expires_at=now - timedelta(minutes=1), state=ExpiryState.DUE)
    assert [expiry.polls(end, now) for end in (near, past, far, due)] == [True, True, False, False]
