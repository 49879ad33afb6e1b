"""When an add's access ends: the presets and a typed date read in the reader's own zone, checked."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from members.forms import EndForm
from members.schedule import BadEnd

NOW = datetime(2026, 12, 4, 21, 30, 15, tzinfo=UTC)  # 22:30 in Berlin, 08:30 next day in Sydney
BERLIN, SYDNEY = ZoneInfo("Europe/Berlin"), ZoneInfo("Australia/Sydney")


def until(data: dict, zone=BERLIN, now=NOW):
    with timezone.override(zone):
        form = EndForm(data)
        assert form.is_valid(), form.errors
        return form.until(now)


def test_no_end_is_none():
    assert until({}) is None and until({"ends": ""}) is None


def test_end_of_today_is_the_readers_day():
    assert until({"ends": "today"}, BERLIN) == datetime(2026, 12, 4, 23, 59, tzinfo=BERLIN)
    assert until({"ends": "today"}, SYDNEY) == datetime(2026, 12, 5, 23, 59, tzinfo=SYDNEY)


@pytest.mark.parametrize("preset, days", [("1d", 1), ("7d", 7), ("30d", 30)])
def test_presets_count_from_now_to_the_minute(preset, days):
    assert until({"ends": preset}) == (NOW + timedelta(days=days)).replace(second=0)


def test_a_typed_date_is_the_readers_local_time():
    assert until({"ends": "date", "ends_at": "2026-12-24T17:00"}, SYDNEY) == datetime(2026, 12, 24, 17, 0, tzinfo=SYDNEY)
    assert until({"ends": "date", "ends_at": "2026-12-24"}, BERLIN) == datetime(2026, 12, 24, 0, 0, tzinfo=BERLIN)


@pytest.mark.parametrize("data, said", [
    ({"ends": "date", "ends_at": "2026-12-04T22:00"}, "in the past"),  # earlier today, in Berlin
    ({"ends": "date"}, "choose the date"),
    ({"ends": "date", "ends_at": "2027-12-05T10:00"}, "at most 365 days ahead"),
])
def test_an_end_not_to_be_taken_says_why(data, said):
    with timezone.override(BERLIN), pytest.raises(BadEnd, match=said):
        form = EndForm(data)
        assert form.is_valid()
        form.until(NOW)


@pytest.mark.parametrize("data", [{"ends": "fortnight"}, {"ends": "date", "ends_at": "next friday"},
                                  {"ends": "date", "ends_at": "2026-13-01T10:00"}])
def test_unreadable_ends_are_the_forms_error(data):
    form = EndForm(data)
    assert not form.is_valid() and form.non_field_errors()


def test_a_longer_horizon_is_a_setting(settings):
    settings.EXPIRY_MAX_DAYS = 800
    assert until({"ends": "date", "ends_at": "2028-01-05T10:00"}) == datetime(2028, 1, 5, 10, 0, tzinfo=BERLIN)


@pytest.mark.parametrize("offset, said", [
    (timedelta(days=2, hours=3), "until 2026-12-07 01:30 CET (in 2 days)"),
    (timedelta(seconds=40), "until 2026-12-04 22:30 CET (in under a minute)"),
    (timedelta(seconds=-20), "was due 2026-12-04 22:29 CET (just now)"),
    (timedelta(hours=-5), "was due 2026-12-04 17:30 CET (5 hours ago)"),
])
def test_an_end_reads_in_the_readers_zone_with_how_far_off_it_is(offset, said):
    from members.explain.expiry import until_line

    with timezone.override(BERLIN):
        assert until_line(NOW + offset, NOW) == said
