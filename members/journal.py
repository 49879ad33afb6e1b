"""Reading the journal: who may read which entries, the filters, and what stays hidden.

A person reads their own entries; the whole journal is for staff and for members of the Django
group ``settings.JOURNAL_AUDITORS_GROUP``. And the journal never shows what the container's page
would not: an entry of an administrative unit whose member list Graph won't show the viewer (a
hidden-membership unit) keeps its member hidden. Graph is asked, not guessed: one $batch of
``…/members?$top=1`` for the units in view, remembered for a few minutes (``members.memo``).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from members import explain, memo
from members.directory import Kind, Outcome
from members.graph import GraphClient
from members.models import AuditEntry
from members.directory import Container

HIDDEN_MEMBER = "(hidden member)"
# Times in UTC whoever downloads the file (the page shows its reader's zone): the header says so.
CSV_HEADER = ["when_utc", "who", "action", "container_kind", "container_id", "container", "member_id", "member",
              "outcome", "graph_status", "graph_code", "request_id", "client_request_id", "ticket", "reason",
              "message", "reverts_entry", "entry", "until_utc", "expired"]


PAGE_SIZE = 50  # changes on a page
CHANGE_SHOWN = 100  # entries a change's row lists; the rest are a link away (``?change=``)
# Counting every entry of a long journal would read the whole index on each visit; past this many
# the page says "more than" instead, and costs the same at 100 entries and at 100,000.
COUNT_UP_TO = 10_000


# --- one page of changes, newest first ------------------------------------------------------

@dataclass
class Change:
    """One change a person asked for, as the filters show it: its matching entries, in the order
    written, at most ``CHANGE_SHOWN`` of them (``count`` says how many match, ``tally`` their
    outcomes). An entry from before changes had ids is a change of its own."""

    head: AuditEntry  # its newest matching entry: where the change stands in the journal
    entries: list[AuditEntry]
    count: int
    tally: dict[str, int] = field(default_factory=dict)

    @property
    def id(self):
        return self.head.change_id

    @property
    def is_group(self) -> bool:
        return self.count > 1

    @property
    def first(self) -> AuditEntry:
        return self.entries[0]

    @property
    def more(self) -> int:
        """Matching entries not listed in the row (``?change=`` lists them all)."""
        return self.count - len(self.entries)

    @property
    def hidden(self) -> bool:
        return any(getattr(entry, "hidden", False) for entry in self.entries)

    @property
    def revertible(self) -> int:
        """Its entries a Revert all would try (done ones; the journal and Graph then judge each)."""
        return self.tally.get(Outcome.DONE, 0)

    @property
    def summary(self) -> str:
        return explain.change_summary(self.count, self.tally)


@dataclass(frozen=True)
class Page:
    """One page of the journal's changes, newest first, and the entries to page on from (keyset,
    not offset: a page deep in the journal costs what the first one does)."""

    changes: list[Change]
    newer: int | None  # the head of the first change shown, when there are newer ones: ``?after=``
    older: int | None  # the head of the last change shown, when there are older ones: ``?before=``
    total: int  # every change the filters match, counted up to COUNT_UP_TO
    counted_all: bool

    @property
    def is_newest(self) -> bool:
        return self.newer is None

    @property
    def entries(self) -> list[AuditEntry]:
        return [entry for change in self.changes for entry in change.entries]


def page_of(entries: QuerySet, *, before: str | None = None, after: str | None = None,
            size: int = PAGE_SIZE, grouped: bool = True) -> Page:
    """The page of the changes of ``entries`` (ordered newest first) older than the change whose
    head is entry ``before``, or newer than the one of ``after``; the newest page when neither
    names one of ``entries`` (a junk or foreign id). A change stands where its newest matching
    entry does, and shows only its matching entries. Not ``grouped``: each entry is a change of its own
    (the entries of one change, listed in full)."""
    total = count_changes(entries, grouped)
    counted_all = total <= COUNT_UP_TO
    total = min(total, COUNT_UP_TO)
    if (cursor := _cursor(entries, before)) is not None:
        if heads := _heads_older(entries, cursor, size + 1, grouped):
            return Page(_changes(entries, heads[:size], grouped), heads[0].pk, heads[size - 1].pk if len(heads) > size else None,
                        total, counted_all)
    elif (cursor := _cursor(entries, after)) is not None:
        if heads := _heads_newer(entries, cursor, size + 1, grouped)[::-1]:
            shown = heads[-size:]  # the ones next to the cursor
            return Page(_changes(entries, shown, grouped), shown[0].pk if len(heads) > size else None, shown[-1].pk,
                        total, counted_all)
    # Neither, or nothing beyond the cursor (the journal moved on): the newest page, never a dead end.
    heads = _heads_older(entries, None, size + 1, grouped)
    return Page(_changes(entries, heads[:size], grouped), None, heads[size - 1].pk if len(heads) > size else None,
                total, counted_all)


def count_changes(entries: QuerySet, grouped: bool = True) -> int:
    """How many changes ``entries`` belong to, up to just past COUNT_UP_TO."""
    entries = entries.order_by()
    if not grouped:
        return entries[:COUNT_UP_TO + 1].count()
    alone = entries.filter(change_id__isnull=True)[:COUNT_UP_TO + 1].count()
    together = entries.exclude(change_id__isnull=True).values("change_id").distinct()[:COUNT_UP_TO + 1].count()
    return alone + together


def _position(entry) -> tuple:
    return entry.created_at, entry.pk


def _heads_older(entries: QuerySet, cursor: tuple | None, wanted: int, grouped: bool) -> list[AuditEntry]:
    """The heads of the first ``wanted`` changes older than ``cursor`` (a change head's position),
    newest first. Walked down the newest-first index from the cursor; a change met is skipped
    from then on, so a change of 1,000 entries costs one read, not 1,000 rows."""
    heads: list[AuditEntry] = []
    met: set = set()
    position = cursor
    while len(heads) < wanted:
        rows = entries if position is None else entries.filter(_older_than(*position))
        rows = list(rows.exclude(change_id__in=met)[:wanted - len(heads)] if met else rows[:wanted - len(heads)])
        if not rows:
            break
        position = _position(rows[-1])
        new = _meet(rows, met, grouped, heads)
        # A change with entries on both sides of the cursor stands where its newest is: on a page before.
        above = set() if cursor is None else _reaching(entries, [row.change_id for row in new], cursor)
        heads += [row for row in new if row.change_id not in above]
        heads.sort(key=_position, reverse=True)
    return heads[:wanted]


def _meet(rows: list[AuditEntry], met: set, grouped: bool, heads: list[AuditEntry]) -> list[AuditEntry]:
    """Walking the index: an entry of no change (or any, ungrouped) is a head of its own, added to
    ``heads``; the first entry met of each change not yet ``met`` is returned, and the change met."""
    new = []
    for row in rows:
        if row.change_id is None or not grouped:
            heads.append(row)
        elif row.change_id not in met:
            met.add(row.change_id)
            new.append(row)
    return new


def _heads_newer(entries: QuerySet, cursor: tuple, wanted: int, grouped: bool) -> list[AuditEntry]:
    """The heads of the ``wanted`` changes nearest to ``cursor`` among those newer than it, oldest
    first. Walked up the index: a change met there may end far above, so its head is looked up,
    and the walk goes on until no change not yet met could stand below the ``wanted``-th head."""
    heads: list[AuditEntry] = []
    met: set = set()
    position = cursor
    upward = entries.order_by("created_at", "id")
    while True:
        rows = upward.filter(_newer_than(*position))
        rows = list(rows.exclude(change_id__in=met)[:wanted] if met else rows[:wanted])
        if not rows:
            break
        position = _position(rows[-1])
        heads += _newest_of(entries, [row.change_id for row in _meet(rows, met, grouped, heads)])
        heads.sort(key=_position)
        if len(heads) >= wanted and _position(heads[wanted - 1]) <= position:
            break  # any change not met yet has all its entries above ``position``
    return heads[:wanted]


def _reaching(entries: QuerySet, change_ids: list, cursor: tuple) -> set:
    """Those of these changes with a matching entry at or above ``cursor``."""
    if not change_ids:
        return set()
    return set(entries.filter(change_id__in=change_ids).exclude(_older_than(*cursor))
               .order_by().values_list("change_id", flat=True).distinct())


def _newest_of(entries: QuerySet, change_ids: list) -> list[AuditEntry]:
    """Each change's newest matching entry (its head), one read of the change index each."""
    return [entries.filter(change_id=change_id).first() for change_id in change_ids]


def _changes(entries: QuerySet, heads: list[AuditEntry], grouped: bool = True) -> list[Change]:
    """The changes these heads stand for, with their first CHANGE_SHOWN matching entries and the
    tally of all: two reads for the whole page."""
    ids = [head.change_id for head in heads if head.change_id is not None] if grouped else []
    tallies: dict = defaultdict(dict)
    listed: dict = defaultdict(list)
    if ids:
        of_changes = entries.filter(change_id__in=ids).order_by()
        for change_id, outcome, n in of_changes.values_list("change_id", "outcome").annotate(n=Count("id")):
            tallies[change_id][outcome] = n
        numbered = of_changes.annotate(n=Window(RowNumber(), partition_by=[F("change_id")], order_by=[F("created_at"), F("id")]))
        for entry in numbered.filter(n__lte=CHANGE_SHOWN).order_by("created_at", "id"):
            listed[entry.change_id].append(entry)
    changes = []
    for head in heads:
        if head.change_id is None or not grouped:
            changes.append(Change(head, [head], 1, {head.outcome: 1}))
        else:
            tally = tallies[head.change_id]
            changes.append(Change(head, listed[head.change_id], sum(tally.values()), _in_outcome_order(tally)))
    return changes


def _in_outcome_order(tally: dict[str, int]) -> dict[str, int]:
    return {o.value: tally[o.value] for o in Outcome if o.value in tally}


def one_change(entries: QuerySet, change_id) -> Change | None:
    """The change ``change_id`` as these entries show it (its row after a Revert all)."""
    head = entries.filter(change_id=change_id).first()
    return _changes(entries, [head])[0] if head is not None else None


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
               e.message, e.reverts_id or "", e.pk, explain.file_time(e.until) if e.until else "",
               "yes" if e.expired else ""]
