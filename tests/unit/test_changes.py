"""members.changes: the write-ahead journal around every add and remove, Graph faked at the seam."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from members import changes
from members.directory import Action, ContainerInfo, DirectoryItem, Kind, MyAccess
from members.graph import GraphError
from members.models import AuditEntry
from members.directory import Container
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


class JournalWatchingGraph(FakeGraph):
    """Notes, at each send, what the journal already holds for the members being sent."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen_at_send: list[dict[str, str]] = []

    def add_members(self, container, member_ids):
        self.seen_at_send.append(dict(AuditEntry.objects.filter(member_id__in=member_ids).values_list("member_id", "outcome")))
        return super().add_members(container, member_ids)


def test_every_attempt_is_journaled_pending_before_its_call_is_sent_and_settled_after(actor):
    graph = JournalWatchingGraph(containers={GROUP: a_group()})
    info, rows = changes.apply(graph, actor, Action.ADD, Container(Kind.GROUPS, GROUP), IDS, changes.Known())
    assert [len(seen) for seen in graph.seen_at_send] == [20, 20, 5]  # one round trip per 20
    assert all(set(seen.values()) == {"pending"} for seen in graph.seen_at_send)
    assert [row.result.outcome for row in rows] == ["done"] * 45
    assert set(AuditEntry.objects.values_list("outcome", flat=True)) == {"done"}
    assert AuditEntry.objects.filter(settled_at__isnull=True).count() == 0


def test_a_change_of_more_members_than_the_cap_sends_nothing_and_journals_nothing(actor):
    graph = FakeGraph(containers={GROUP: a_group()})
    many = [f"00000000-0000-4000-8000-{n:012d}" for n in range(changes.MAX_MEMBERS_PER_CHANGE + 1)]
    with pytest.raises(changes.TooManyMembers):
        changes.apply(graph, actor, Action.REMOVE, Container(Kind.GROUPS, GROUP), many, changes.Known())
    assert graph.calls == [] and AuditEntry.objects.count() == 0


def test_a_graph_failure_that_escapes_the_client_is_journaled_unknown_not_lost(actor):
    class Raising(FakeGraph):
        def remove_members(self, container, member_ids):
            raise GraphError(0, "ConnectionError", "Graph could not be reached.")

    info, rows = changes.apply(Raising(containers={GROUP: a_group()}), actor, Action.REMOVE,
                               Container(Kind.GROUPS, GROUP), IDS[:2], changes.Known())
    assert [row.result.outcome for row in rows] == ["unknown", "unknown"]
    assert list(AuditEntry.objects.values_list("outcome", flat=True)) == ["unknown", "unknown"]
    assert "we can't tell whether this member was removed" in rows[0].message.text


def test_names_the_page_showed_are_journaled_before_sending(actor):
    graph = JournalWatchingGraph(containers={GROUP: a_group()})
    known = changes.Known(info=a_group(), items={IDS[0]: DirectoryItem(IDS[0], "user", "Adele Vance")},
                          access=MyAccess())
    changes.apply(graph, actor, Action.ADD, Container(Kind.GROUPS, GROUP), IDS[:1], known)
    entry = AuditEntry.objects.get()
    assert (entry.member_name, entry.container_name, entry.actor_upn) == ("Adele Vance", "Helpdesk Tier 1",
                                                                          "helpdesk@contoso.example")


def test_an_expired_sign_in_journals_each_attempt_as_not_sent(actor):
    changes.record_not_sent(actor, Action.REMOVE, Container(Kind.GROUPS, GROUP), IDS[:3])
    assert list(AuditEntry.objects.values_list("outcome", flat=True)) == ["sign_in"] * 3


def test_open_entries_are_settled_by_reading_the_membership_back(actor, settings):
    settings.GRAPH_REPLICATION_WINDOW = 0
    graph = FakeGraph(containers={GROUP: a_group()}, members={GROUP: [DirectoryItem(IDS[0], "user", "Adele")]})
    for action, member in ((Action.ADD, IDS[0]), (Action.ADD, IDS[1]), (Action.REMOVE, IDS[2])):
        AuditEntry.objects.create(actor=actor, action=action, container_kind="groups", container_id=GROUP,
                                  member_id=member, outcome="pending")
    assert changes.settle_open(graph, changes.open_entries(actor=actor)) == 3
    outcomes = dict(AuditEntry.objects.values_list("member_id", "outcome"))
    assert outcomes == {IDS[0]: "as_asked", IDS[1]: "interrupted", IDS[2]: "as_asked"}
    assert ("read_membership", GROUP, (IDS[0], IDS[1], IDS[2])) in graph.calls
    assert changes.open_entries().count() == 0


def _journal(actor, action: Action, member: str, outcome: str) -> AuditEntry:
    return AuditEntry.objects.create(actor=actor, action=action, container_kind="groups", container_id=GROUP,
                                     member_id=member, outcome=outcome)


def test_an_open_add_overtaken_by_a_later_remove_is_not_filed_as_not_added(actor):
    # The add's answer was lost (the member was in before and after it); a later remove then ran.
    # Today's membership ("not a member") is the remove's doing and says nothing of the add.
    graph = FakeGraph(containers={GROUP: a_group()}, members={GROUP: []})
    lost_add = _journal(actor, Action.ADD, IDS[0], "unknown")
    later_remove = _journal(actor, Action.REMOVE, IDS[0], "done")
    assert changes.settle_open(graph, changes.open_entries(actor=actor)) == 1
    lost_add.refresh_from_db()
    assert (lost_add.outcome, lost_add.superseded_by_id) == ("superseded", later_remove.pk)
    assert f"entry {later_remove.pk}" in lost_add.message and "can't be told" in lost_add.message
    assert not any(call[0] == "read_membership" for call in graph.calls)


def test_an_open_add_overtaken_by_a_later_successful_add_is_never_filed_done(actor):
    # The add did not happen; a later add did. Reading back would file the first one "done" and offer
    # to Undo a change it never made.
    graph = FakeGraph(containers={GROUP: a_group()}, members={GROUP: [DirectoryItem(IDS[0], "user", "Adele")]})
    lost_add = _journal(actor, Action.ADD, IDS[0], "pending")
    _journal(actor, Action.ADD, IDS[0], "done")
    changes.settle_open(graph, changes.open_entries(actor=actor))
    lost_add.refresh_from_db()
    assert lost_add.outcome == "superseded"


def test_a_later_attempt_that_changed_nothing_does_not_stop_the_read_back(actor, settings):
    settings.GRAPH_REPLICATION_WINDOW = 0
    # Refused, throttled or not-sent attempts leave the membership as it was: the read-back still
    # tells what the open entry did. Of two open entries, only the last is read back.
    graph = FakeGraph(containers={GROUP: a_group()}, members={GROUP: [DirectoryItem(IDS[0], "user", "Adele")]})
    lost_add = _journal(actor, Action.ADD, IDS[0], "unknown")
    for outcome in ("refused", "busy", "sign_in", "already"):
        _journal(actor, Action.REMOVE, IDS[0], outcome)
    first, second = _journal(actor, Action.REMOVE, IDS[1], "pending"), _journal(actor, Action.ADD, IDS[1], "pending")
    assert changes.settle_open(graph, changes.open_entries(actor=actor)) == 3
    outcomes = {e.pk: (e.outcome, e.superseded_by_id) for e in AuditEntry.objects.all()}
    assert outcomes[lost_add.pk] == ("as_asked", None)
    assert outcomes[first.pk] == ("superseded", second.pk)
    assert outcomes[second.pk] == ("interrupted", None)
    assert ("read_membership", GROUP, (IDS[0], IDS[1])) in graph.calls


def test_an_overtaken_entry_is_never_reverted(actor):
    from members import undo
    graph = FakeGraph(containers={GROUP: a_group()}, members={GROUP: []})
    lost_remove = _journal(actor, Action.REMOVE, IDS[0], "unknown")
    _journal(actor, Action.ADD, IDS[0], "done")
    changes.settle_open(graph, changes.open_entries(actor=actor))
    lost_remove.refresh_from_db()
    assert lost_remove.outcome == "superseded"
    graph.calls.clear()
    _, (reverted,) = undo.revert(graph, actor, Container(Kind.GROUPS, GROUP), [lost_remove], changes.Known(a_group()))
    assert reverted.refusal.text.startswith("Nothing to revert")
    assert not [call for call in graph.calls if call[0] in ("add_members", "remove_members")]


def test_an_open_entry_younger_than_the_replication_window_is_not_read_back_yet(actor, settings):
    # A read may not show a write Graph applied a moment ago: "interrupted" now could be wrong.
    settings.GRAPH_REPLICATION_WINDOW = 60
    graph = FakeGraph(containers={GROUP: a_group()}, members={GROUP: []})
    fresh = _journal(actor, Action.ADD, IDS[0], "unknown")
    assert changes.settle_open(graph, changes.open_entries(actor=actor)) == 0
    fresh.refresh_from_db()
    assert fresh.outcome == "unknown" and not any(call[0] == "read_membership" for call in graph.calls)
    AuditEntry.objects.filter(pk=fresh.pk).update(created_at=fresh.created_at - timedelta(seconds=61))
    assert changes.settle_open(graph, changes.open_entries(actor=actor)) == 1
    fresh.refresh_from_db()
    assert fresh.outcome == "interrupted"
