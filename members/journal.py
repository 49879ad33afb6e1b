"""Reading the journal: who may read which entries, the filters, and what stays hidden.

A person reads their own entries; the whole journal is for staff and for members of the Django
group ``settings.JOURNAL_AUDITORS_GROUP``. And the journal never shows what the container's page
would not: an entry of an administrative unit whose member list Graph won't show the viewer (a
hidden-membership unit) keeps its member hidden. Graph is asked, not guessed: one $batch of
``…/members?$top=1`` for the units in view, remembered for a few minutes (``members.memo``).
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Q, QuerySet

from members import explain, memo
from members.directory import Kind
from members.graph import GraphClient
from members.models import AuditEntry
from members.directory import Container

HIDDEN_MEMBER = "(hidden member)"
# Times in UTC whoever downloads the file (the page shows its reader's zone): the header says so.
CSV_HEADER = ["when_utc", "who", "action", "container_kind", "container_id", "container", "member_id", "member",
              "outcome", "graph_status", "graph_code", "request_id", "client_request_id", "ticket", "reason",
              "message", "reverts_entry", "entry"]


PAGE_SIZE = 50
# Counting every entry of a long journal would read the whole index on each visit; past this many
# the page says "more than" instead, and costs the same at 100 entries and at 100,000.
COUNT_UP_TO = 10_000


# --- one page, newest first -----------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    """One page of the journal, newest first, and the entries to page on from (keyset, not offset:
    a page deep in the journal costs what the first one does)."""

    entries: list[AuditEntry]
    newer: int | None  # the first entry shown, when there are newer ones: ``?after=``
    older: int | None  # the last entry shown, when there are older ones: ``?before=``
    total: int  # every entry the filters match, counted up to COUNT_UP_TO
    counted_all: bool

    @property
    def is_newest(self) -> bool:
        return self.newer is None


def page_of(entries: QuerySet, *, before: str | None = None, after: str | None = None,
            size: int = PAGE_SIZE) -> Page:
    """The page of ``entries`` (ordered newest first) older than entry ``before`` or newer than entry
    ``after``; the newest page when neither names one of ``entries`` (a junk or foreign id)."""
    total = entries.order_by()[:COUNT_UP_TO + 1].count()
    counted_all = total <= COUNT_UP_TO
    total = min(total, COUNT_UP_TO)
    if (cursor := _cursor(entries, before)) is not None:
        if rows := list(entries.filter(_older_than(*cursor))[:size + 1]):
            return Page(rows[:size], rows[0].pk, rows[size - 1].pk if len(rows) > size else None, total, counted_all)
    elif (cursor := _cursor(entries, after)) is not None:
        if rows := list(entries.filter(_newer_than(*cursor)).order_by("created_at", "id")[:size + 1])[::-1]:
            shown = rows[-size:]  # the ones next to the cursor
            return Page(shown, shown[0].pk if len(rows) > size else None, shown[-1].pk, total, counted_all)
    # Neither, or nothing beyond the cursor (the journal moved on): the newest page, never a dead end.
    rows = list(entries[:size + 1])
    return Page(rows[:size], None, rows[size - 1].pk if len(rows) > size else None, total, counted_all)


def _cursor(entries: QuerySet, raw: str | None) -> tuple | None:
    """(created_at, id) of the entry ``raw`` names, if it is one of ``entries``."""
    if not raw or not raw.isdecimal() or len(raw) > 18:
        return None
    return entries.filter(pk=int(raw)).values_list("created_at", "id").first()


def _older_than(created_at, pk: int) -> Q:
    # The bound on created_at alone lets the index on (…, created_at, id) start the scan at the
    # cursor; the rest drops the entries of that same instant that come before it.
    return Q(created_at__lte=created_at) & (Q(created_at__lt=created_at) | Q(id__lt=pk))


def _newer_than(created_at, pk: int) -> Q:
    return Q(created_at__gte=created_at) & (Q(created_at__gt=created_at) | Q(id__gt=pk))


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
        yield [explain.file_time(e.created_at), e.actor_upn, e.action, e.container_kind, e.container_id, e.container_name,
               "" if secret else e.member_id, HIDDEN_MEMBER if secret else e.member_name, e.outcome,
               e.graph_status or "", e.graph_code, e.request_id, e.client_request_id, e.ticket, e.reason,
               e.message, e.reverts_id or "", e.pk]
