"""The journal's changes: the entries of one change a person asked for share its change id; the
journal page shows a change as one row, pages by changes, and filters by the member affected."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model

from members import changes, undo
from members.directory import Action, Container, ContainerInfo, Kind
from members.models import AuditEntry
from tests.fakes import FakeGraph

GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
IDS = [f"00000000-0000-4000-8000-{n:012d}" for n in range(45)]
pytestmark = pytest.mark.django_db


@pytest.fixture
def actor():
    return get_user_model().objects.create(username="oid-1", email="helpdesk@contoso.example")


def a_group() -> ContainerInfo:
    return ContainerInfo.from_graph(Kind.GROUPS, {"id": GROUP, "displayName": "Helpdesk Tier 1", "groupTypes": [],
                                                   "securityEnabled": True, "mailEnabled": False})


def test_the_entries_of_one_change_share_its_id_and_two_changes_have_two(actor):
    graph, group = FakeGraph(containers={GROUP: a_group()}), Container(Kind.GROUPS, GROUP)
    changes.apply(graph, actor, Action.ADD, group, IDS[:30], changes.Known())
    changes.apply(graph, actor, Action.ADD, group, IDS[30:], changes.Known())
    changes.record_not_sent(actor, Action.REMOVE, group, IDS[:3])
    ids = list(AuditEntry.objects.order_by("id").values_list("change_id", flat=True))
    assert None not in ids and len(set(ids[:30])) == 1 and len(set(ids[30:45])) == 1 and len(set(ids[45:])) == 1
    assert len(set(ids)) == 3


def test_calls_given_one_change_id_are_one_change(actor):
    graph, group = FakeGraph(containers={GROUP: a_group()}), Container(Kind.GROUPS, GROUP)
    note = changes.Note(change=changes.uuid.uuid4())
    changes.apply(graph, actor, Action.ADD, group, IDS[:20], changes.Known(), note)
    changes.apply(graph, actor, Action.ADD, group, IDS[20:], changes.Known(), note)
    assert set(AuditEntry.objects.values_list("change_id", flat=True)) == {note.change}


def test_an_undo_of_adds_and_removes_is_one_change_of_its_own(actor):
    graph, group = FakeGraph(containers={GROUP: a_group()}), Container(Kind.GROUPS, GROUP)
    changes.apply(graph, actor, Action.ADD, group, IDS[:3], changes.Known())
    changes.apply(graph, actor, Action.REMOVE, group, IDS[3:5], changes.Known())
    made = list(AuditEntry.objects.order_by("id"))
    graph.members_among = lambda container, ids: {m: m in IDS[:3] for m in ids}
    _, reverted = undo.revert(graph, actor, group, made, changes.Known())
    assert all(r.done for r in reverted)
    undone = AuditEntry.objects.filter(reverts__isnull=False)
    assert undone.count() == 5 and undone.values("change_id").distinct().count() == 1
    assert undone.first().change_id not in {e.change_id for e in made}


# --- Activity's pages count changes (a journal of more than 1,000 entries, written directly) -----

import uuid  # noqa: E402
from datetime import timedelta  # noqa: E402
from html import unescape  # noqa: E402

from django.utils import timezone  # noqa: E402

from members import journal  # noqa: E402
from tests.fakes import replace_graph  # noqa: E402

UNIT = "4d7ea995-bc0f-45c0-8c3e-132e93bf95f8"
DIEGO = "c11b732b-0e16-46c1-b0fa-bd32c8a42455"


def written(actor, n, *, change=None, at=None, name="Member {}", outcome="done", container=GROUP, kind="groups",
            action="remove", **fields):
    """``n`` entries of one change (``change``), or ``n`` entries of none (as before changes had ids)."""
    rows = AuditEntry.objects.bulk_create([
        AuditEntry(actor=actor, actor_upn=actor.email, action=action, container_kind=kind, container_id=container,
                   container_name="Helpdesk Tier 1", member_id=f"00000000-0000-4000-8000-{k:012d}",
                   member_name=name.format(k), outcome=outcome, change_id=change, **fields) for k in range(n)])
    if at is not None:
        AuditEntry.objects.filter(pk__in=[r.pk for r in rows]).update(created_at=at)
    return rows


def change_keys_newest_first(entries) -> list:
    """Each change of ``entries`` once (an entry of none is a change of its own), where its newest entry stands."""
    heads = {}
    for e in entries.order_by("-created_at", "-id"):
        heads.setdefault(e.change_id or f"entry {e.pk}", e.pk)
    return list(heads)


def keys_of(page: journal.Page) -> list:
    return [c.id or f"entry {c.head.pk}" for c in page.changes]


def test_a_paste_of_1000_members_is_one_change_on_the_first_page_with_its_tally(actor):
    written(actor, 150)  # from before changes had ids: each its own
    paste = uuid.uuid4()
    written(actor, 990, change=paste)
    written(actor, 10, change=paste, outcome="refused")
    written(actor, 30, change=None, name="Later {}")
    page = journal.page_of(AuditEntry.objects.all())
    assert AuditEntry.objects.count() == 1_180
    assert page.total == 181 and len(page.changes) == 50
    pasted = page.changes[30]  # after the 30 written since, before the 150 written before
    assert pasted.id == paste
    assert (pasted.count, pasted.tally, pasted.is_group) == (1_000, {"done": 990, "refused": 10}, True)
    assert len(pasted.entries) == journal.CHANGE_SHOWN and pasted.more == 900
    assert pasted.summary == "1,000 members: 990 done, 10 refused"
    assert all(not c.is_group for c in page.changes if c is not pasted)


def test_a_page_of_big_changes_costs_a_few_queries_whatever_their_size(actor, django_assert_max_num_queries):
    for _ in range(3):
        written(actor, 400, change=uuid.uuid4())
    written(actor, 80)
    with django_assert_max_num_queries(8):
        page = journal.page_of(AuditEntry.objects.all())
    assert [c.count for c in page.changes[:30]] == [1] * 30 and len(page.changes) == 50
    older = journal.page_of(AuditEntry.objects.all(), before=str(page.older))
    assert [c.count for c in older.changes] == [1] * 30 + [400] * 3 and older.older is None


def test_paging_walks_every_change_once_older_then_newer_across_ties_and_changes_split_by_others(actor):
    big = uuid.uuid4()
    written(actor, 700, change=big)  # 1,000+ entries in all
    instant = timezone.now() - timedelta(hours=1)
    for n in range(40):
        written(actor, 1 + n % 7, change=uuid.uuid4(), at=instant if n % 3 == 0 else None)
    spread = uuid.uuid4()  # one change whose entries others' came between (a paste's slices)
    for n in range(6):
        written(actor, 30, change=spread)
        written(actor, 9)
    written(actor, 100, at=instant)  # many of one instant: ties are broken by the entry
    entries = AuditEntry.objects.all()
    assert entries.count() > 1_000
    expected = change_keys_newest_first(entries)
    pages, page = [], journal.page_of(entries, size=20)
    while True:
        pages.append(keys_of(page))
        if page.older is None:
            break
        page = journal.page_of(entries, before=str(page.older), size=20)
    assert sum(pages, []) == expected and all(len(p) == 20 for p in pages[:-1])
    back = []
    while page.newer is not None:
        page = journal.page_of(entries, after=str(page.newer), size=20)
        back.append(keys_of(page))
    assert back == pages[-2::-1]


def test_each_entry_of_a_change_stands_alone_when_the_change_is_listed_in_full(actor):
    big = uuid.uuid4()
    written(actor, 120, change=big)
    page = journal.page_of(AuditEntry.objects.filter(change_id=big), grouped=False)
    assert page.total == 120 and len(page.changes) == 50 and all(c.count == 1 for c in page.changes)


# --- the Member filter, within what the reader may see ------------------------------------------

class Probe(FakeGraph):
    def member_lists_readable(self, containers):
        return {c.id: c.id != UNIT for c in containers}


@pytest.fixture
def reader(actor, client, monkeypatch):
    replace_graph(monkeypatch, lambda request: Probe())
    client.force_login(actor)
    return client


def activity(client, query: str) -> str:
    """The page's text with its whitespace as a reader sees it."""
    return " ".join(unescape(client.get(f"/activity/{query}").content.decode()).split())


def test_the_member_filter_finds_what_happened_to_one_person_by_name_id_or_sign_in_name(actor, reader):
    bulk = uuid.uuid4()
    written(actor, 1_100, change=bulk)
    AuditEntry.objects.create(actor=actor, actor_upn=actor.email, action="add", container_kind="groups",
                              container_id=GROUP, container_name="Payroll", member_id=DIEGO,
                              member_name="Diego Siciliani", member_principal="diegos@contoso.example",
                              outcome="done", change_id=uuid.uuid4())
    AuditEntry.objects.filter(member_name="Member 7").update(member_name="Diego Siciliani", member_id=DIEGO,
                                                                   member_principal="diegos@contoso.example")
    for query in ("diego", DIEGO.upper(), "DiegoS@contoso.example"):
        html = activity(reader, f"?member={query}")
        assert "Showing 2 of 2 changes" in html, query
        assert html.count("<strong>Diego Siciliani</strong>") == 2 and "Member 8" not in html
    assert "No change matches these filters." in activity(reader, "?member=diegos@contoso")  # a sign-in name is exact
    rows = list(csv.reader(io.StringIO(b"".join(reader.get("/activity/?format=csv&member=diego").streaming_content).decode())))
    assert [r[7] for r in rows[1:]] == ["Diego Siciliani", "Diego Siciliani"]


def test_the_member_filter_reads_only_the_readers_own_changes_and_never_a_hidden_units(actor, reader):
    other = get_user_model().objects.create(username="oid-2", email="admin@contoso.example")
    written(other, 3, name="Diego {}")
    written(actor, 2, name="Diego {}", container=UNIT, kind="units")
    written(actor, 1, name="Diego {}")
    html = activity(reader, "?member=diego")
    assert "Showing 1 of 1 change" in html and "admin@contoso.example" not in html and "(hidden member)" not in html
    rows = list(csv.reader(io.StringIO(b"".join(reader.get("/activity/?format=csv&member=diego").streaming_content).decode())))
    assert [(r[4], r[7]) for r in rows[1:]] == [(GROUP, "Diego 0")]


# --- Revert all, entry numbers, and an Undo's lines ---------------------------------------------

class Tenant(Probe):
    """Graph as a group's members: remove and add them, read who is one."""

    def members_among(self, container, member_ids):
        present = {m.id for m in self.members.get(container.id, [])}
        return {m: m in present for m in member_ids}


def removed_by_one_change(actor, names, refused=()):
    from members.directory import DirectoryItem
    from members.graph import GraphError
    people = [DirectoryItem(f"00000000-0000-4000-8000-{n:012d}", "user", name) for n, name in enumerate(names)]
    errors = {(GROUP, people[n].id): GraphError(403, "Authorization_RequestDenied", "Insufficient privileges.") for n in refused}
    graph = Tenant(containers={GROUP: a_group()}, members={GROUP: list(people)}, errors=errors)
    known = changes.Known(info=a_group(), items={p.id: p for p in people})
    changes.apply(graph, actor, Action.REMOVE, Container(Kind.GROUPS, GROUP), [p.id for p in people], known)
    graph.errors = {}
    return graph, people, AuditEntry.objects.values_list("change_id", flat=True).first()


def test_revert_all_adds_back_every_member_the_change_removed_as_one_change_and_says_so_per_member(actor, client, monkeypatch):
    graph, people, change = removed_by_one_change(actor, ["Adele Vance", "Bob Ortiz", "Cara Diaz"], refused=[1])
    replace_graph(monkeypatch, lambda request: graph)
    client.force_login(actor)
    html = activity(client, "")
    assert "Remove <strong>3 members</strong> from" in html and "3 members: 2 done, 1 refused" in html
    assert html.count("<details class=\"change-members\"") == 1
    assert 'aria-label="Revert all: add 2 members back to Helpdesk Tier 1"' in html

    answer = client.post(f"/activity/change/{change}/revert/", headers={"HX-Request": "true"})
    row = " ".join(unescape(answer.content.decode()).split())
    assert answer.status_code == 200 and row.startswith(f'<tr class="change-group" id="change-{change}"')
    assert "Reverted: all 2 members of this change." in row and row.count("Reverted: added back.") == 2
    assert ("add_members", GROUP, (people[0].id, people[2].id)) in graph.calls  # the refused one was never removed
    reverts = AuditEntry.objects.filter(reverts__isnull=False)
    assert reverts.count() == 2 and reverts.values("change_id").distinct().count() == 1

    again = " ".join(unescape(client.post(f"/activity/change/{change}/revert/", headers={"HX-Request": "true"}).content.decode()).split())
    assert "Reverted 0 of 2: 2 not reverted." in again and again.count("Already reverted by helpdesk@contoso.example") == 2
    assert AuditEntry.objects.count() == 5  # nothing sent twice


def test_revert_all_of_a_change_the_reader_may_not_read_is_not_found(actor, client, monkeypatch):
    other = get_user_model().objects.create(username="oid-2", email="admin@contoso.example")
    graph, _, change = removed_by_one_change(other, ["Adele Vance", "Bob Ortiz"])
    replace_graph(monkeypatch, lambda request: graph)
    client.force_login(actor)
    assert client.post(f"/activity/change/{change}/revert/", headers={"HX-Request": "true"}).status_code == 404
    assert client.post("/activity/change/not-a-change/revert/").status_code == 404
    assert AuditEntry.objects.filter(reverts__isnull=False).count() == 0


def test_each_entry_shows_its_number_and_reverts_entry_n_links_to_it(actor, client, monkeypatch):
    graph, people, change = removed_by_one_change(actor, ["Adele Vance"])
    replace_graph(monkeypatch, lambda request: graph)
    client.force_login(actor)
    removal = AuditEntry.objects.get()
    client.post(f"/activity/{removal.pk}/revert/", headers={"HX-Request": "true"})
    html = activity(client, "")
    assert f'id="entry-{removal.pk}"' in html and f"#{removal.pk}</span>" in html
    assert f'href="#entry-{removal.pk}">Reverts entry #{removal.pk}</a>' in html
    older = activity(client, f"?entry={removal.pk}")
    assert f'id="entry-{removal.pk}"' in older and "Showing 1 of 1 entry" in older
    revert = AuditEntry.objects.exclude(pk=removal.pk).get()
    alone = activity(client, f"?entry={revert.pk}")
    assert f'href="/activity/?entry={removal.pk}#entry-{removal.pk}">Reverts entry #{removal.pk}</a>' in alone


def test_an_undo_listing_one_name_more_than_once_says_which_entry_each_line_undid(actor, client, monkeypatch):
    graph, people, change = removed_by_one_change(actor, ["Aiden Baker"] * 4 + ["Bea Chan"])
    replace_graph(monkeypatch, lambda request: graph)
    client.force_login(actor)
    ids = list(AuditEntry.objects.order_by("pk").values_list("pk", flat=True))
    answer = unescape(client.post(f"/groups/{GROUP}/members/undo/", {"entry": ids}, headers={"HX-Request": "true"}).content.decode())
    answer = answer.split("</ul>")[0]  # the outcomes (the member table follows)
    lines = [line for line in answer.split("<li") if "Aiden Baker" in line]
    assert len(lines) == 4 and all("Added back." in line for line in lines)
    assert [f"(entry #{pk}: removed from Helpdesk Tier 1)" in line for pk, line in zip(ids, lines)] == [True] * 4
    bea = next(line for line in answer.split("<li") if "Bea Chan" in line)
    assert "(entry #" not in bea  # a name listed once needs no more


@pytest.mark.parametrize("revert", ["entry", "change"])
def test_a_revert_of_a_units_entry_whose_members_are_hidden_is_not_found(actor, reader, revert):
    change = uuid.uuid4()
    [hidden, _] = written(actor, 2, change=change, name="Secret {}", container=UNIT, kind="units")
    path = f"/activity/{hidden.pk}/revert/" if revert == "entry" else f"/activity/change/{change}/revert/"
    assert reader.post(path, headers={"HX-Request": "true"}).status_code == 404
    assert AuditEntry.objects.count() == 2  # nothing journaled, nothing sent
    page = activity(reader, "")
    assert "(hidden member)" in page and 'aria-label="Revert' not in page and "Secret" not in page


@pytest.mark.parametrize("query", ["?member=member 1", "?outcome=done"])
def test_a_change_shown_in_part_by_the_filters_offers_no_revert_all(actor, reader, query):
    change = uuid.uuid4()
    written(actor, 12, change=change)
    written(actor, 3, change=change, outcome="refused", name="Other {}")
    whole, part = activity(reader, ""), activity(reader, query)
    assert "Revert all: add 12 members back to Helpdesk Tier 1" in whole
    assert "15 members: 12 done, 3 refused" in whole
    assert "Revert all" not in part and "clear the Member and Outcome filters to revert the whole change" in part
