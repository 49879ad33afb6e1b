"""Reading the journal: who may read which entries, the filters, and what stays hidden.

A person reads their own entries; the whole journal is for staff and for members of the Django
group ``settings.JOURNAL_AUDITORS_GROUP``. And the journal never shows what the container's page
would not: an entry of an administrative unit whose member list Graph won't show the viewer (a
hidden-membership unit) keeps its member hidden. Graph is asked, not guessed: one $batch of
``…/members?$top=1`` for the units in view, remembered for a few minutes (``members.memo``).
"""

from collections.abc import Callable, Iterable, Iterator

from django.contrib.sessions.backends.base import SessionBase
from django.db.models import QuerySet

from members import memo
from members.directory import Kind
from members.graph import GraphClient
from members.models import AuditEntry
from members.directory import Container

HIDDEN_MEMBER = "(hidden member)"
CSV_HEADER = ["when", "who", "action", "container_kind", "container_id", "container", "member_id", "member",
              "outcome", "graph_status", "graph_code", "request_id", "client_request_id", "ticket", "reason",
              "message", "reverts_entry", "entry"]


# --- what stays hidden ----------------------------------------------------------------------

def hidden_containers(graph: GraphClient, session: SessionBase, unit_ids: Iterable[str]) -> set[str]:
    """The units among these whose members Graph won't list to the viewer (or can't say): their
    entries keep the member hidden. Asked in one $batch, remembered for a few minutes."""
    ids = list(dict.fromkeys(unit_ids))
    known = memo.recall_readable(session, ids)
    ask = [i for i in ids if i not in known]
    if ask:
        read = graph.member_lists_readable([Container(Kind.UNITS, i) for i in ask])
        memo.remember_readable(session, {i: readable for i, readable in read.items() if readable is not None})
        known.update({i: bool(readable) for i, readable in read.items()})
    return {i for i in ids if not known.get(i)}


def redact(graph: Callable[[], GraphClient], session: SessionBase, entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """The entries, those whose member the viewer may not see marked ``hidden``. ``graph`` gives the
    client, asked for only when there are units to ask about."""
    entries = list(entries)
    units = {e.container_id for e in entries if e.container_kind == Kind.UNITS}
    hidden = hidden_containers(graph(), session, units) if units else set()
    for entry in entries:
        entry.hidden = entry.container_id in hidden
    return entries


def hide_all(entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """Every entry's member hidden (a container page that could not list its members)."""
    entries = list(entries)
    for entry in entries:
        entry.hidden = True
    return entries


def csv_rows(entries: QuerySet, hidden: set[str]) -> Iterator[list]:
    """The header, then one row per entry, read from the database in chunks as the answer streams."""
    yield CSV_HEADER
    for e in entries.iterator(chunk_size=500):
        secret = e.container_id in hidden
        yield [e.created_at.isoformat(), e.actor_upn, e.action, e.container_kind, e.container_id, e.container_name,
               "" if secret else e.member_id, HIDDEN_MEMBER if secret else e.member_name, e.outcome,
               e.graph_status or "", e.graph_code, e.request_id, e.client_request_id, e.ticket, e.reason,
               e.message, e.reverts_id or "", e.pk]
