"""Which verdicts turn on the units holding a group, and how a page learns them: remembered first, the rest in one read."""

from django.contrib.sessions.backends.signed_cookies import SessionStore

from members import memo, reads
from members.directory import Container, ContainerInfo, Kind, MyAccess
from members.permissions import GROUPS_ADMIN, PRIVILEGED_ROLE_ADMIN, Reason, change_verdict, turns_on_units

SEATTLE, PARIS = "0b6a1a55-4d6c-4d0e-9d52-111111111111", "0b6a1a55-4d6c-4d0e-9d52-222222222222"
GROUP_IDS = ["6f1c2f4e-0000-4000-8000-00000000000" + str(n) for n in range(4)]
SCOPES = frozenset({"GroupMember.ReadWrite.All"})
UNIT_ADMIN = MyAccess(scoped=frozenset({(SEATTLE, GROUPS_ADMIN)}))


def group(n: int, **data) -> ContainerInfo:
    return ContainerInfo.from_graph(Kind.GROUPS, {"id": GROUP_IDS[n], "displayName": f"Group {n}", "securityEnabled": True, **data})


def test_only_a_unit_scoped_admins_groups_turn_on_the_units_holding_them():
    assert turns_on_units(group(0), UNIT_ADMIN, SCOPES)
    assert turns_on_units(group(1, isManagementRestricted=True), UNIT_ADMIN, SCOPES)
    assert not turns_on_units(group(0), MyAccess(roles=frozenset({GROUPS_ADMIN})), SCOPES)  # tenant-wide: any group
    assert not turns_on_units(group(2, groupTypes=["DynamicMembership"]), UNIT_ADMIN, SCOPES)  # refused whatever the unit
    assert not turns_on_units(group(3, isAssignableToRole=True), UNIT_ADMIN, SCOPES | {"RoleManagement.ReadWrite.Directory"})
    assert not turns_on_units(ContainerInfo(Kind.UNITS, SEATTLE, "Seattle"), UNIT_ADMIN, SCOPES)
    owner = MyAccess(scoped=UNIT_ADMIN.scoped, owned_groups=frozenset({GROUP_IDS[0]}), roles=frozenset({PRIVILEGED_ROLE_ADMIN}))
    assert not turns_on_units(group(0), owner, SCOPES)


class UnitsGraph:
    """Answers units_holding from a table, and counts the calls."""

    def __init__(self, units: dict[str, frozenset[str]]):
        self.units, self.calls = units, []

    def units_holding(self, group_ids):
        self.calls.append(list(group_ids))
        return {g: self.units.get(g, frozenset()) for g in group_ids}


def test_a_unit_admins_groups_are_judged_by_their_units_read_once_for_those_not_remembered():
    session = SessionStore()
    remembered, unread = group(0), group(1)
    memo.remember_container(session, Container(Kind.GROUPS, remembered.id), remembered, frozenset({SEATTLE}))
    graph = UnitsGraph({unread.id: frozenset({PARIS})})
    containers = [remembered, unread, group(2, groupTypes=["DynamicMembership"])]

    units = reads.units_of_groups(session, graph, containers, UNIT_ADMIN, SCOPES)
    assert units == {remembered.id: frozenset({SEATTLE}), unread.id: frozenset({PARIS})}
    assert graph.calls == [[unread.id]]  # one read, of the one group the session did not know
    assert change_verdict(remembered, UNIT_ADMIN, SCOPES, units[remembered.id]).allowed
    assert change_verdict(unread, UNIT_ADMIN, SCOPES, units[unread.id]).reason is Reason.OUTSIDE_UNITS


def test_nobody_but_a_unit_scoped_admin_costs_a_read_of_units():
    graph = UnitsGraph({})
    assert reads.units_of_groups(SessionStore(), graph, [group(0)], MyAccess(roles=frozenset({GROUPS_ADMIN})), SCOPES) == {}
    assert graph.calls == []
