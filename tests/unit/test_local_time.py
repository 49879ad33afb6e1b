"""Times in the reader's zone: the browser's cookie names it, the middleware reads it strictly (anything
else is UTC, never an error), and every page says a time one way ("2026-11-24 15:05 CET" in a <time>
with the full ISO moment), while the journal's CSV stays ISO 8601 in UTC whoever downloads it."""

import csv
import io
from datetime import UTC, datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template
from django.utils import timezone

from members import explain
from members.directory import Action
from members.models import AuditEntry
from portal.localtime import COOKIE
from tests.fakes import FakeGraph, replace_graph

GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
ADELE = "5b0e6b4f-5a1e-4f0e-9c6a-0f1d2e3c4b5a"
MOMENT = datetime(2026, 11, 24, 14, 5, 9, 123456, tzinfo=UTC)
IN_UTC = '<time datetime="2026-11-24T14:05:09+00:00">2026-11-24 14:05 UTC</time>'

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(client, monkeypatch):
    """A signed-in helpdesk user with one journal entry, made at ``MOMENT``."""
    user = get_user_model().objects.create(username="oid-1", email="helpdesk@contoso.example")
    entry = AuditEntry.objects.create(actor=user, actor_upn=user.email, action="remove", container_kind="groups",
                                      container_id=GROUP, container_name="Helpdesk Tier 1", member_id=ADELE,
                                      member_name="Adele Vance", outcome="done")
    AuditEntry.objects.filter(pk=entry.pk).update(created_at=MOMENT)
    replace_graph(monkeypatch, lambda request: FakeGraph())
    client.force_login(user)
    return client


def activity(client, zone: str | None = None) -> tuple[int, str]:
    if zone is None:
        client.cookies.pop(COOKIE, None)
    else:
        client.cookies[COOKIE] = zone
    response = client.get("/activity/")
    return response.status_code, unescape(response.content.decode())


def test_the_journal_says_a_time_in_the_readers_zone_with_the_zones_name(reader):
    status, html = activity(reader, "Europe/Paris")
    assert status == 200 and '<time datetime="2026-11-24T15:05:09+01:00">2026-11-24 15:05 CET</time>' in html
    status, html = activity(reader, "America/New_York")
    assert status == 200 and '<time datetime="2026-11-24T09:05:09-05:00">2026-11-24 09:05 EST</time>' in html


def test_without_the_cookie_the_journal_says_utc(reader):
    status, html = activity(reader)
    assert status == 200 and IN_UTC in html


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("junk", [
    "", "Europe/Nowhere", "Europe", "Etc/Unknown", "zone.tab", "tzdata.zi", "../../etc/passwd", "/etc/localtime",
    "Europe//Paris", "Europe/Paris/", "Europe/Paris\\", "<script>alert(1)</script>", "Europe/Pärïs",
    "Europe/Paris; Secure", "x" * 65, "Europe/" + "Paris" * 2_000, "%2e%2e%2fetc%2fpasswd",
])
def test_a_cookie_naming_no_zone_is_utc_never_an_error(reader, settings, junk, debug):
    settings.DEBUG = debug
    reader.raise_request_exception = False
    status, html = activity(reader, junk)
    assert status == 200 and IN_UTC in html


def test_a_zone_is_never_kept_for_the_next_request(reader):
    """Django keeps the active zone per thread: a request without a zone of its own is UTC again."""
    activity(reader, "Asia/Tokyo")
    status, html = activity(reader)
    assert status == 200 and IN_UTC in html


def render_when(moment) -> str:
    return Template("{% load desk_power %}{{ moment|when }}").render(Context({"moment": moment}))


def test_the_filter_says_summer_time_by_its_own_name():
    with timezone.override(ZoneInfo("Europe/Paris")):
        assert render_when(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == (
            '<time datetime="2026-07-01T14:00:00+02:00">2026-07-01 14:00 CEST</time>')


def test_the_filter_says_nothing_of_no_time():
    assert render_when(None) == ""


def test_the_undo_words_say_the_time_as_the_pages_do():
    with timezone.override(ZoneInfo("Europe/Paris")):
        assert explain.revert_already("admin@contoso.example", MOMENT).text == (
            "Already reverted by admin@contoso.example on 2026-11-24 15:05 CET.")
        assert "(removed by admin@contoso.example on 2026-11-24 15:05 CET)" in explain.revert_changed_since(
            Action.REMOVE, "admin@contoso.example", MOMENT).text


def test_words_kept_in_the_journal_say_utc_whoever_settled_them():
    """An overtaken entry's message is written once and read later by anyone: in UTC, not the settler's zone."""
    later = AuditEntry(pk=7, created_at=MOMENT)
    with timezone.override(ZoneInfo("Europe/Paris")):
        assert "(entry 7, 2026-11-24 14:05 UTC)" in explain.superseded(Action.ADD, later).text


def test_the_csv_says_times_in_utc_iso_8601_whatever_the_readers_zone(reader):
    reader.cookies[COOKIE] = "Pacific/Auckland"
    response = reader.get("/activity/?format=csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('Z.csv"')  # the file's name is stamped in UTC too
    header, row = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert header[0] == "when_utc" and row[0] == "2026-11-24T14:05:09+00:00"
    assert datetime.fromisoformat(row[0]) == MOMENT.replace(microsecond=0)


def test_the_journals_days_are_the_readers_days(reader):
    """"From 2026-11-25" in Paris begins at its midnight there, as the times the rows show do."""
    AuditEntry.objects.update(created_at=datetime(2026, 11, 24, 23, 30, tzinfo=UTC))  # 00:30 on the 25th in Paris

    def shown(query: str) -> bool:
        html = unescape(reader.get(f"/activity/?{query}").content.decode())
        assert ("Adele Vance" in html) != ("No change matches these filters." in html)
        return "Adele Vance" in html

    reader.cookies[COOKIE] = "Europe/Paris"
    assert shown("since=2026-11-25") and not shown("until=2026-11-24")
    reader.cookies.pop(COOKIE)
    assert not shown("since=2026-11-25") and shown("until=2026-11-24")
