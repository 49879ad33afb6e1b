"""What each page reads from Graph, in one round trip, with what the session remembers of it, and
what the page already knows (``known_for``: the one place a change reads the session's memos).

- A container's page: its facts, the first page of its members and their count, for a group the
  units holding it, and the user's standing when the session doesn't hold it: one ``$batch``
  (``GraphClient.read_container``), warm or cold.
- A list page and its rows' member counts: one ``$batch`` when the session showed the same list
  before (the rows' ids are guessed from the memo), two otherwise (``GraphClient.read_list``).

The session's memos (``members.memo``) hold the user's standing and a container's facts for a
few minutes (the standing for the session); ``forget_contradicted`` drops them as soon as Graph's answer to a change says they
were wrong.
"""

from collections.abc import Iterable
from dataclasses import replace

from django.contrib.sessions.backends.base import SessionBase

from members import memo
from members.changes import Known, Row
from members.directory import Container, ContainerInfo, Kind, MyAccess, Outcome, Page, Trait
from members.graph import ContainerRead, GraphClient, GraphError
from members.permissions import change_verdict, turns_on_units


def access_for(session: SessionBase, graph: GraphClient) -> MyAccess:
    """The signed-in user's standing (roles, scoped roles, owned groups): from the session's memo, or
    read from Graph in one $batch and remembered for the session.

    When the roles can't be read, nothing is remembered and nothing is disabled: Graph decides.
    """
    access = memo.remembered_access(session)
    if access is None:
        try:
            access = graph.my_access()
        except GraphError:
            return MyAccess(known=False)
        memo.remember_access(session, access)
    return access


def known_for(session: SessionBase, container: Container, member_ids: Iterable[str], *,
              graph: GraphClient | None = None, scopes: frozenset[str] = frozenset()) -> Known:
    """What this session's pages already read: the container and its units, the members' names, and
    (given a ``graph`` to read it with when the memo lacks it) the user's standing."""
    info, group_units = memo.recall_container(session, container) or (None, None)
    known = Known(info=info, group_units=group_units, items=memo.recall_items(session, member_ids), scopes=scopes)
    return replace(known, access=access_for(session, graph)) if graph is not None else known


def read_container(session: SessionBase, graph: GraphClient, container: Container, *, members: bool = False,
                   fresh: bool = True) -> ContainerRead:
    """A container's facts and the user's access (with ``members``: the first page and the count too).

    Not ``fresh`` and nothing but facts asked: the memo answers when it holds both, without Graph.
    Otherwise one $batch reads the container, what is asked, and the access the memo lacks; what
    was read is remembered. ``read.error`` is the container's own read failing.
    """
    access = memo.remembered_access(session)
    remembered = None if fresh or members else memo.recall_container(session, container)
    if remembered is not None and access is not None:
        info, group_units = remembered
        return ContainerRead(info=info, group_units=group_units, access=access)
    # A group's units only matter to a unit-scoped admin; cold, who is one isn't known yet.
    units = container.kind is Kind.GROUPS and (access is None or bool(access.scoped))
    read = graph.read_container(container, members=members, units=units, access=access is None)
    if access is None:
        access = read.access
        if access.known:  # when the roles can't be read, nothing is remembered: Graph decides
            memo.remember_access(session, access)
    if not access.scoped:  # read while the standing was unknown, and not needed after all
        read = replace(read, group_units=None)
    if read.info is not None:
        memo.remember_container(session, container, read.info, read.group_units)
    return replace(read, access=access)


def units_of_groups(session: SessionBase, graph: GraphClient, containers: Iterable[ContainerInfo], access: MyAccess,
                    scopes: frozenset[str]) -> dict[str, frozenset[str] | None]:
    """The units holding each of ``containers`` whose verdict turns on them (a unit-scoped admin's
    groups; none for anyone else): remembered from a page that read them, the others read in one
    $batch. A group left out, or whose read failed, stays unknown (None): its buttons stay enabled
    and Graph decides, as on the container page."""
    wanted = [info for info in containers if turns_on_units(info, access, scopes)]
    units: dict[str, frozenset[str] | None] = {}
    for info in wanted:
        remembered = memo.recall_container(session, Container(Kind.GROUPS, info.id))
        if remembered is not None and remembered[1] is not None:
            units[info.id] = remembered[1]
    unread = [info.id for info in wanted if info.id not in units]
    if unread:
        try:
            units.update(graph.units_holding(unread))
        except GraphError:  # the $batch itself failed: judged as if unknown
            pass
    return units


def read_list(session: SessionBase, graph: GraphClient, kind: Kind, query: str, group_kind: Trait | None = None,
              descending: bool = False) -> Page:
    """The first page of a kind's list (searched by ``query``, groups of one kind if asked, Z to A if
    ``descending``) with each row's member count."""
    remembered_as = f"{query}|{group_kind or ''}|{'desc' if descending else ''}"
    page = graph.read_list(kind, search=query, counted=memo.recall_list(session, kind, remembered_as), group_kind=group_kind,
                           descending=descending)
    memo.remember_list(session, kind, remembered_as, [info.id for info in page.items])
    return page


def forget_contradicted(session: SessionBase, container: Container, known: Known, rows: Iterable[Row]) -> None:
    """Graph refused a change the remembered standing said was allowed, or made one it said was
    not: forget the user's access and the container's facts, so the next page reads them anew
    (in its own $batch: it costs no extra round trip)."""
    results = [row.result for row in rows]
    refused = any(r.outcome is Outcome.REFUSED and r.error is not None and r.error.is_permission_denied for r in results)
    done = any(r.outcome is Outcome.DONE for r in results)
    if known.info is None:
        contradicted = refused  # nothing to judge by: a refusal is reason enough to read again
    else:
        allowed = change_verdict(known.info, known.access, known.scopes, known.group_units).allowed
        contradicted = (refused and allowed) or (done and not allowed)
    if contradicted:
        memo.forget_access(session)
        memo.forget_container(session, container)
