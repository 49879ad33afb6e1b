"""The journal's changes: the entries of one change a person asked for share its change id; the
journal page shows a change as one row, pages by changes, and filters by the member affected."""

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
