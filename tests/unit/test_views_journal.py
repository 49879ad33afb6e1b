"""The journal (/activity/ and its CSV) through Django's test client, Graph faked at the seam."""

import csv
import re
import io
from datetime import UTC, timedelta
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from members.models import AuditEntry
from tests.fakes import FakeGraph, replace_graph

GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
UNIT = "4d7ea995-bc0f-45c0-8c3e-132e93bf95f8"
ADELE = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"
BOB = "c11b732b-0e16-46c1-b0fa-bd32c8a42455"

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    users = get_user_model().objects
    return {"me": users.create(username="oid-me", email="helpdesk@contoso.example"),
            "other": users.create(username="oid-other", email="admin@contoso.example")}


def entry(actor, member=ADELE, name="Adele Vance", container=GROUP, kind="groups", outcome="done", days_ago=0, **fields):
    fields.setdefault("container_name", "Helpdesk Tier 1" if kind == "groups" else "HR Confidential")
    fields.setdefault("action", "remove")
    made = AuditEntry.objects.create(actor=actor, actor_upn=actor.email, container_kind=kind,
                                     container_id=container, member_id=member, member_name=name, outcome=outcome, **fields)
    if days_ago:
        AuditEntry.objects.filter(pk=made.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return made


class Probe(FakeGraph):
    """Says which units' members the viewer may list."""

    def __init__(self, readable: dict[str, bool]) -> None:
        super().__init__()
        self.readable = readable
        self.probed: list[list[str]] = []

    def member_lists_readable(self, containers):
        self.probed.append([c.id for c in containers])
        return {c.id: self.readable.get(c.id) for c in containers}


@pytest.fixture
def graph(monkeypatch):
    fake = Probe({UNIT: False})
    replace_graph(monkeypatch, lambda request: fake)
    return fake


def page_of(client, query: str = "") -> str:
    return unescape(client.get(f"/activity/{query}").content.decode())


def csv_of(client, query: str = "") -> list[list[str]]:
    response = client.get(f"/activity/?format=csv{query}")
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_a_person_reads_only_their_own_entries(client, people, graph):
    entry(people["me"], name="Mine Only")
    entry(people["other"], name="Someone Else's")
    client.force_login(people["me"])
    html = page_of(client)
    assert "Mine Only" in html and "Someone Else's" not in html and "You read your own changes." in html
    assert [row[7] for row in csv_of(client)[1:]] == ["Mine Only"]


@pytest.mark.parametrize("how", ["auditor", "staff"])
def test_auditors_and_staff_read_the_whole_journal(client, people, graph, how):
    entry(people["me"], name="Mine")
    entry(people["other"], name="Theirs")
    if how == "auditor":
        people["me"].groups.add(Group.objects.create(name="journal-auditors"))
    else:
        people["me"].is_staff = True
        people["me"].save()
    client.force_login(people["me"])
    html = page_of(client)
    assert "Mine" in html and "Theirs" in html and "You read the whole journal." in html
    assert "Theirs" not in page_of(client, "?mine=1")
    assert [row[1] for row in csv_of(client, "&who=admin@")[1:]] == ["admin@contoso.example"]


def test_the_group_is_named_by_a_setting(client, people, graph, settings):
    settings.JOURNAL_AUDITORS_GROUP = "desk-auditors"
    entry(people["other"], name="Theirs")
    people["me"].groups.add(Group.objects.create(name="journal-auditors"))
    client.force_login(people["me"])
    assert "Theirs" not in page_of(client)
    people["me"].groups.add(Group.objects.create(name="desk-auditors"))
    assert "Theirs" in page_of(client)


def test_filters_by_container_outcome_and_date_range_in_the_page_and_the_csv(client, people, graph):
    me = people["me"]
    entry(me, name="Old Done", days_ago=10)
    entry(me, name="Recent Refused", outcome="refused", days_ago=1)
    entry(me, name="Other Container", container=BOB, container_name="Paris Helpdesk")
    client.force_login(me)
    since = (timezone.localdate() - timedelta(days=3)).isoformat()
    assert "Old Done" not in page_of(client, f"?since={since}") and "Recent Refused" in page_of(client, f"?since={since}")
    until = (timezone.localdate() - timedelta(days=5)).isoformat()
    assert [r[7] for r in csv_of(client, f"&until={until}")[1:]] == ["Old Done"]
    assert [r[7] for r in csv_of(client, "&outcome=refused")[1:]] == ["Recent Refused"]
    assert [r[7] for r in csv_of(client, f"&container={GROUP}")[1:]] == ["Recent Refused", "Old Done"]
    assert [r[7] for r in csv_of(client, "&where=helpdesk tier")[1:]] == ["Recent Refused", "Old Done"]
    assert client.get("/activity/?since=yesterday").status_code == 400
    assert client.get("/activity/?outcome=exploded").status_code == 400


def test_the_csv_has_every_column_the_page_has_and_neutralises_formulas(client, people, graph):
    entry(people["me"], name="=HYPERLINK(\"http://evil\")", ticket="INC42", reason="Leaver", request_id="rid-1",
          graph_status=403, graph_code="Authorization_RequestDenied", outcome="refused")
    client.force_login(people["me"])
    header, row = csv_of(client)
    record = dict(zip(header, row, strict=True))
    assert (record["who"], record["action"], record["container"], record["member_id"]) == (
        "helpdesk@contoso.example", "remove", "Helpdesk Tier 1", ADELE)
    assert (record["outcome"], record["graph_status"], record["request_id"], record["ticket"], record["reason"]) == (
        "refused", "403", "rid-1", "INC42", "Leaver")
    assert record["member"] == "'=HYPERLINK(\"http://evil\")"


def test_the_journal_never_names_a_member_the_units_page_would_not(client, people, graph):
    entry(people["me"], name="Secret Person", member=BOB, container=UNIT, kind="units")
    entry(people["me"], name="Visible Person")
    client.force_login(people["me"])
    html = page_of(client)
    assert "Secret Person" not in html and BOB not in html and "(hidden member)" in html and "Visible Person" in html
    assert "Revert: add (hidden" not in html and "Revert: add Secret" not in html
    rows = {r[7]: r for r in csv_of(client)[1:]}
    assert "(hidden member)" in rows and rows["(hidden member)"][6] == "" and "Secret Person" not in rows
    assert graph.probed == [[UNIT]]  # asked once, then remembered for the session
    graph.readable[UNIT] = True
    assert "Secret Person" not in page_of(client)


def test_a_unit_whose_members_can_be_listed_shows_them(client, people, monkeypatch):
    replace_graph(monkeypatch, lambda request: Probe({UNIT: True}))
    entry(people["me"], name="Listed Person", container=UNIT, kind="units")
    client.force_login(people["me"])
    assert "Listed Person" in page_of(client)


def test_a_page_without_units_asks_graph_nothing(client, people, graph):
    entry(people["me"])
    client.force_login(people["me"])
    response = client.get("/activity/")
    assert response["Server-Timing"].split(", ")[0] == 'graph;dur=0.0;desc="0 Graph round trips"' and graph.probed == []


def test_a_change_keeps_the_ticket_and_reason_it_was_sent_with_trimmed_to_size(client, people, monkeypatch):
    from members.directory import ContainerInfo, DirectoryItem
    from members.directory import Kind
    group = ContainerInfo.from_graph(Kind.GROUPS, {"id": GROUP, "displayName": "Helpdesk Tier 1", "groupTypes": [],
                                                   "securityEnabled": True})
    fake = FakeGraph(containers={GROUP: group}, members={GROUP: [DirectoryItem(ADELE, "user", "Adele Vance")]})
    replace_graph(monkeypatch, lambda request: fake)
    client.force_login(people["me"])
    client.delete(f"/groups/{GROUP}/members/{ADELE}/?ticket=INC-{'9' * 100}&reason=%20Leaver%0A%20%20today%20",
                  headers={"HX-Request": "true"})
    saved = AuditEntry.objects.get()
    assert (saved.ticket, saved.reason) == ("INC-" + "9" * 60, "Leaver today")


def names_on(html: str) -> list[str]:
    return re.findall(r"<strong>(Member \d+)</strong>", html)


def link(html: str, text: str) -> str | None:
    found = re.search(rf'<a href="([^"]*)"[^>]*>{text}</a>', html)
    return found.group(1) if found else None


def test_paging_walks_the_whole_journal_older_then_newer_with_no_entry_twice_or_missing(client, people, graph):
    # 120 entries, many of one instant (bulk changes write them so): ties are broken by the entry.
    made = [entry(people["me"], name=f"Member {n}") for n in range(120)]
    instant = timezone.now() - timedelta(hours=1)
    AuditEntry.objects.filter(pk__in=[e.pk for e in made[30:90]]).update(created_at=instant)
    entry(people["other"], name="Member 999")  # someone else's: never on my pages
    client.force_login(people["me"])
    expected = [e.member_name for e in AuditEntry.objects.filter(actor=people["me"])]  # newest first
    pages, html = [], page_of(client)
    assert link(html, "Newer") is None and link(html, "Newest") is None
    assert "Showing 50 of 120 changes, newest first" in html
    while True:
        pages.append(names_on(html))
        if not (older := link(html, "Older")):
            break
        html = page_of(client, older)
    assert [len(p) for p in pages] == [50, 50, 20] and sum(pages, []) == expected
    back = []
    while newer := link(html, "Newer"):
        html = page_of(client, newer)
        back.append(names_on(html))
    assert back == [pages[1], pages[0]] and link(html, "Newest") is None


@pytest.mark.parametrize("cursor", ["?before=junk", "?before=-1", "?after=99999999", "?before=" + "9" * 40, "?before=OTHER"])
def test_a_cursor_that_is_no_entry_of_mine_shows_the_newest_page(client, people, graph, cursor):
    mine = [entry(people["me"], name=f"Member {n}") for n in range(3)]
    other = entry(people["other"], name="Member 999", days_ago=1)
    client.force_login(people["me"])
    response = client.get("/activity/" + cursor.replace("OTHER", str(other.pk)))
    assert response.status_code == 200
    assert names_on(unescape(response.content.decode())) == [e.member_name for e in reversed(mine)]


def test_a_long_journal_is_counted_up_to_a_bound(client, people, graph, monkeypatch):
    monkeypatch.setattr("members.journal.COUNT_UP_TO", 60)
    for n in range(60):
        entry(people["me"], name=f"Member {n}")
    client.force_login(people["me"])
    assert "Showing 50 of 60 changes, newest first" in page_of(client)
    entry(people["me"], name="Member 60", container_name="Payroll")
    assert "Showing 50 of more than 60 changes, newest first" in page_of(client)
    assert "Showing 1 of 1 change, newest first" in page_of(client, "?where=Payroll")


def test_an_add_until_says_until_and_a_removal_by_the_sweep_reads_expired_in_the_page_and_the_csv(client, people, graph):
    ends = timezone.now().replace(microsecond=0) + timedelta(days=2)
    entry(people["me"], name="Granted Until", action="add", until=ends)
    entry(people["me"], name="Swept Away", expired=True,
          reason="Access granted by helpdesk@contoso.example until 2026-12-05 17:00 UTC ran out.")
    entry(people["me"], name="Plain Removal")
    client.force_login(people["me"])
    html = page_of(client)
    granted = re.search(r'<td class="change">.*?Granted Until.*?</td>', html, re.S).group(0)
    assert re.search(r'<span class="until">until <time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d \w+</time></span>', granted)
    swept = re.search(r'<td class="change">.*?Swept Away.*?</td>', html, re.S).group(0)
    assert '<span class="expired-tag">Expired</span> Remove' in swept
    assert "granted by helpdesk@contoso.example until 2026-12-05 17:00 UTC ran out" in html
    plain = re.search(r'<td class="change">.*?Plain Removal.*?</td>', html, re.S).group(0)
    assert "Expired" not in plain and "until" not in plain
    header, *rows = csv_of(client)
    assert header[-2:] == ["until_utc", "expired"]
    by_member = {row[7]: dict(zip(header, row)) for row in rows}
    assert by_member["Granted Until"]["until_utc"] == ends.astimezone(UTC).isoformat(timespec="seconds")
    assert by_member["Granted Until"]["expired"] == "" and by_member["Swept Away"]["expired"] == "yes"
    assert by_member["Plain Removal"]["until_utc"] == "" and by_member["Plain Removal"]["expired"] == ""
