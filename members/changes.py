"""The change workflow: journal (pending) -> Graph -> settle -> explain. It never sees a request.

``apply`` adds or removes members of one container for one actor. It is a write-ahead journal:
every attempt's ``AuditEntry`` is written *pending* before its Graph call is sent, and settled
with Graph's answer (outcome, status, code, request-id) as soon as that call returns, chunk by
chunk. A killed process leaves pending rows; ``settle_open`` resolves them (and rows whose answer
was lost) by reading the membership back, as the journal page and ``manage.py resolve_journal`` do.

Every Graph failure ends in one outcome per member; ``GraphClient``'s change methods don't raise,
and if one ever did, its members would be journaled "unknown" and read back later, never lost.
"""

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from members import explain, schedule
from members.directory import Action, Container, ContainerInfo, DirectoryItem, Kind, MyAccess, Outcome, object_ids
from members.explain import Message
from members.graph import CHANGE_CHUNK, GraphClient, GraphError, Result
from members.models import MEMBERS, OWNERS, AuditEntry

log = logging.getLogger(__name__)

MAX_MEMBERS_PER_CHANGE = 1_000
SETTLE_PER_VISIT = 40  # open entries the journal page reads back per visit (two $batch round trips)
SETTLED_FIELDS = ["outcome", "graph_status", "graph_code", "request_id", "client_request_id", "settled_at"]


class TooManyMembers(ValueError):
    """More members in one change than ``MAX_MEMBERS_PER_CHANGE``; nothing was sent."""


class AlreadyReverting(Exception):
    """An entry this change would revert is being (or was) reverted by another entry, written since
    the caller looked (a concurrent Undo); nothing was journaled or sent. ``members.undo`` looks again."""


@dataclass(frozen=True)
class Known:
    """What the page already knows, so a change needs no second read of it."""

    info: ContainerInfo | None = None  # the container as the page read it (None: read it afterwards)
    group_units: frozenset[str] | None = None  # for a group: the units holding it, when the page read them
    items: Mapping[str, DirectoryItem] = field(default_factory=dict)  # members and picker hits shown
    access: MyAccess = field(default_factory=lambda: MyAccess(known=False))
    scopes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Note:
    """What the person said about a change, kept with each of its entries."""

    ticket: str = ""  # a ticket reference, as the helpdesk writes it
    reason: str = ""
    reverts: Mapping[str, int] = field(default_factory=dict)  # member id -> the entry an Undo/Revert inverts
    # The change these attempts belong to, when it spans several calls (a paste's run, slice by
    # slice; an Undo of adds and removes); otherwise each call is a change of its own.
    change: uuid.UUID | None = None
    # An add until this time: the sweep removes the membership then (``members.schedule``).
    until: datetime | None = None
    # A removal because a membership's time was up (the sweep's, on the granter's authority).
    expired: bool = False


@dataclass(frozen=True)
class Row:
    """One member's outcome, explained, with its journal entry."""

    member: DirectoryItem
    result: Result
    message: Message
    entry: AuditEntry


def apply(graph: GraphClient, actor, action: Action, container: Container, member_ids: Iterable[str],
          known: Known, note: Note | None = None, *, relation: str = MEMBERS) -> tuple[ContainerInfo | None, list[Row]]:
    """Add or remove members; every attempt journaled before it is sent. One row per member, in order.
    ``relation``: ``OWNERS`` changes a group's owners instead (one call per owner, journaled alike)."""
    # The workflow's own edge: ids come from forms and URLs (checked already) but also from Graph's
    # answers and the journal (a paste's plan, an Undo), which are checked here.
    ids = object_ids(member_ids)
    if len(ids) > MAX_MEMBERS_PER_CHANGE:  # the views check first; a caller that doesn't sends nothing
        raise TooManyMembers(f"At most {MAX_MEMBERS_PER_CHANGE:,} members per change ({len(ids):,} were sent).")
    note = note or Note()
    entries = _open(actor, action, container, ids, known, note, note.change or uuid.uuid4(), relation)
    results: dict[str, Result] = {}
    described = None
    for start in range(0, len(ids), CHANGE_CHUNK):
        chunk = ids[start:start + CHANGE_CHUNK]
        if start == 0 and _lacks(ids, known):
            # The names (and facts) the page didn't show are read beside the first writes, in the
            # same round trip: a change of N costs ceil(N/20) round trips whatever the session kept.
            sent, described = graph.together(lambda: _send(graph, action, container, chunk, relation),
                                             lambda: _describe(graph, container, _lacks(ids, known), known.info is None))
        else:
            sent = _send(graph, action, container, chunk, relation)
        _settle(entries, sent)
        results.update((result.member_id, result) for result in sent)
    explained = _explain(graph, action, container, ids, results, entries, known, described, relation)
    if relation == MEMBERS:  # ends are of memberships
        schedule.after_change(action, entries, expired=note.expired)
    return explained


def _lacks(ids: list[str], known: Known) -> list[str] | bool:
    """The members whose names the page didn't show; True when only the container's facts are lacking."""
    return [m for m in ids if m not in known.items] or known.info is None


def _describe(graph: GraphClient, container: Container, ids: list[str] | bool, with_container: bool):
    """``GraphClient.describe``, or nothing known when it fails: the rows then say less, never fail."""
    try:
        return graph.describe(container, ids if isinstance(ids, list) else [], with_container=with_container)
    except GraphError:
        return None, {}, frozenset()


def record_not_sent(actor, action: Action, container: Container, member_ids: Iterable[str],
                    known: Known | None = None, change: uuid.UUID | None = None) -> None:
    """The sign-in had expired before anything was sent: each attempt journaled as not sent (with the
    names the pages had shown, so the journal and the notice after signing in can say who)."""
    ids = object_ids(member_ids)
    text = explain.not_sent().text
    items = known.items if known else {}
    name = known.info.display_name if known and known.info else ""
    change = change or uuid.uuid4()
    AuditEntry.objects.bulk_create([
        _entry(actor, action, container, m, outcome=Outcome.SIGN_IN, message=text, settled_at=timezone.now(),
               container_name=name, member_name=items[m].display_name if m in items else "",
               member_principal=items[m].principal if m in items else "", change_id=change)
        for m in ids])


def _entry(actor, action: Action, container: Container, member_id: str, **fields) -> AuditEntry:
    return AuditEntry(actor=actor, actor_upn=(actor.email or actor.username) if actor else "", action=action.value,
                      container_kind=container.kind.value, container_id=container.id, member_id=member_id, **fields)


def _open(actor, action: Action, container: Container, ids: list[str], known: Known, note: Note,
          change: uuid.UUID, relation: str = MEMBERS) -> dict[str, AuditEntry]:
    """Write-ahead: one pending entry per member, in one statement, before any call is sent."""
    name = known.info.display_name if known.info else ""
    entries = [_entry(actor, action, container, m, container_name=name, outcome=Outcome.PENDING,
                      member_name=known.items[m].display_name if m in known.items else "",
                      member_principal=known.items[m].principal if m in known.items else "",
                      ticket=note.ticket, reason=note.reason, reverts_id=note.reverts.get(m), change_id=change,
                      until=note.until if action is Action.ADD and relation == MEMBERS else None,
                      expired=note.expired, relation=relation)
               for m in ids]
    try:
        with transaction.atomic():  # one statement: all of them or none (and, for an add until, their ends)
            AuditEntry.objects.bulk_create(entries)
            if note.until is not None and action is Action.ADD and relation == MEMBERS:
                schedule.write_ahead(entries, note.until, actor)
    except IntegrityError:
        if not note.reverts:
            raise
        raise AlreadyReverting() from None
    return {entry.member_id: entry for entry in entries}


def _send(graph: GraphClient, action: Action, container: Container, ids: list[str],
          relation: str = MEMBERS) -> list[Result]:
    """One round trip's worth of changes (a PATCH or $batch of up to 20, or one call); owners one call each."""
    try:
        if relation == OWNERS:
            change = graph.add_owner if action is Action.ADD else graph.remove_owner
            return [change(container, m) for m in ids]
        if action is Action.ADD:
            return graph.add_members(container, ids)
        if len(ids) == 1:
            return [graph.remove_member(container, ids[0])]
        return graph.remove_members(container, ids)
    except GraphError as error:  # not expected (the client reports per member); the truth is unknown
        log.warning("a change raised instead of reporting: %s", error)
        return [Result(m, Outcome.UNKNOWN, error, error.request_id) for m in ids]


def _settle(entries: Mapping[str, AuditEntry], results: list[Result]) -> None:
    """Record Graph's answer on each entry as soon as its call returned."""
    now = timezone.now()
    for result in results:
        entry = entries[result.member_id]
        error = result.error
        entry.outcome = result.outcome.value
        entry.graph_status = error.status if error and error.status else None
        entry.graph_code = error.code if error else ""
        entry.request_id = result.request_id or (error.request_id if error else "")
        entry.client_request_id = error.client_request_id if error else ""
        entry.settled_at = now if result.outcome.settled else None
    _save([entries[r.member_id] for r in results], SETTLED_FIELDS)


def _save(entries: list[AuditEntry], fields: list[str], before: Mapping[int, tuple] | None = None) -> None:
    """Write ``fields`` of ``entries`` (only those that changed from ``before``, by pk), in one
    transaction: one UPDATE per distinct set of values. A round trip's entries mostly share their
    outcome, request-id and wording: a handful of UPDATEs, where bulk_update builds a CASE per
    row and field (the largest part of a bulk change's own time)."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for entry in entries:
        values = tuple(getattr(entry, name) for name in fields)
        old = before.get(entry.pk) if before is not None else None
        changed = tuple((name, value) for n, (name, value) in enumerate(zip(fields, values))
                        if old is None or old[n] != value)
        if changed:
            groups[changed].append(entry.pk)
    with transaction.atomic():
        for changed, pks in groups.items():
            AuditEntry.objects.filter(pk__in=pks).update(**dict(changed))


def _explain(graph: GraphClient, action: Action, container: Container, ids: list[str], results: dict[str, Result],
             entries: dict[str, AuditEntry], known: Known, described: tuple | None = None, relation: str = MEMBERS
             ) -> tuple[ContainerInfo | None, list[Row]]:
    """Names and words for each result; a 404 is read back, after the write, to tell a missing
    container from a missing member from a plain non-member (Graph answers all three alike).
    ``described``: what was read beside the first writes (``_describe``), if anything."""
    not_found = [m for m in ids if results[m].error is not None and results[m].error.is_not_found]
    if described is None:
        ask = list(dict.fromkeys([m for m in ids if m not in known.items] + not_found))
        info, found, gone = _describe(graph, container, ask, known.info is None or bool(not_found))
    else:
        info, found, gone = _describe(graph, container, not_found, bool(not_found))
        info, found = info or described[0], {**described[1], **found}
    info = info or known.info
    items = {**known.items, **found}
    group_units = known.group_units if known.info is not None else _units_if_refused(graph, container, known, results)
    refused = info is not None and any(r.error is not None and r.error.is_permission_denied for r in results.values())
    verdicts = explain.judged(info, known.access, known.scopes, group_units) if refused else None
    rows = []
    written = {entry.pk: (entry.outcome, entry.message, entry.member_name, entry.container_name, entry.member_principal)
               for entry in entries.values()}
    for member_id in ids:
        member = items.get(member_id) or DirectoryItem.unknown(member_id)
        result = results[member_id]
        if member_id in not_found and (container.id in gone or member_id in gone):
            result, message = _missing(action, container, result, container_gone=container.id in gone)
        elif relation == OWNERS:
            message = explain.owners.outcome_message(action, result, info, known.access, known.scopes, member, group_units)
        else:
            message = explain.outcome_message(action, result, info, known.access, known.scopes, member.type, group_units,
                                              verdicts=verdicts)
        entry = entries[member_id]
        entry.outcome, entry.message = result.outcome.value, message.text
        entry.member_name, entry.container_name = member.display_name, info.display_name if info else entry.container_name
        entry.member_principal = member.principal or entry.member_principal
        rows.append(Row(member, result, message, entry))
    _save([row.entry for row in rows], ["outcome", "message", "member_name", "container_name", "member_principal"],
          before=written)
    return info, rows


def _missing(action: Action, container: Container, result: Result, *, container_gone: bool) -> tuple[Result, Message]:
    message = explain.missing(action, container.kind, container_gone, result.request_id)
    if action is Action.REMOVE and not container_gone:
        return result, message  # the member object is gone, so it is no member: already so
    return replace(result, outcome=Outcome.MISSING), message


def _units_if_refused(graph: GraphClient, container: Container, known: Known,
                      results: Mapping[str, Result]) -> frozenset[str] | None:
    """A refused unit-scoped admin: which units the group is in decides the reason we give."""
    refused = any(r.outcome is Outcome.REFUSED for r in results.values())
    if not (refused and known.access.scoped and container.kind is Kind.GROUPS and not container.by_template):
        return None
    try:
        return graph.units_of_group(container.id)
    except GraphError:
        return None


# --- settling what was left open ---------------------------------------------------------------

def open_entries(*, actor=None, older_than: timedelta = timedelta(0)):
    """Entries still pending, or sent without a clear answer, written at least ``older_than`` ago."""
    return AuditEntry.objects.open(older_than=older_than, actor=actor)


# Later attempts that may have changed the membership (sent, or maybe sent): one of these after an
# open entry means today's membership may be its doing, not the open entry's.
_MAY_HAVE_CHANGED = [Outcome.DONE, Outcome.AS_ASKED, Outcome.PENDING, Outcome.UNKNOWN]


def settle_open(graph: GraphClient, entries: Iterable[AuditEntry]) -> int:
    """Settle open entries from what each attempt can be shown to have done; returns how many were settled.

    An entry overtaken by a later attempt on the same membership that may have changed it is
    SUPERSEDED (by the first such attempt): reading today's membership would tell that attempt's
    story, not this one's. Otherwise the membership is read back: as asked, AS_ASKED (done by this
    attempt or so already: a read can't tell); not, INTERRUPTED
    (the change was not made). A read that fails, or an entry younger than the replication window
    (``GRAPH_REPLICATION_WINDOW``: a read may not show its write yet), leaves the entry open.
    """
    now = timezone.now()
    settled = []
    by_container: dict[tuple[str, str, str], list[AuditEntry]] = defaultdict(list)
    for entry in entries:
        by_container[(entry.container_kind, entry.container_id, entry.relation)].append(entry)
    # Younger than the replication window, a read may not see what the attempt did yet: wait.
    replicated = now - timedelta(seconds=settings.GRAPH_REPLICATION_WINDOW)
    for (kind, container_id, relation), group in by_container.items():
        overtaken = _first_later_changes(kind, container_id, group, relation)
        for entry in group:
            if entry.pk in overtaken:
                later = overtaken[entry.pk]
                entry.outcome, entry.superseded_by, entry.settled_at = Outcome.SUPERSEDED, later, now
                entry.message = explain.superseded(Action(entry.action), later).text
                settled.append(entry)
        unread = [entry for entry in group if entry.pk not in overtaken and entry.created_at <= replicated]
        if unread:
            settled += _settle_by_reading(graph, Container(kind, container_id), unread, now, relation)
    AuditEntry.objects.bulk_update(settled, ["outcome", "message", "settled_at", "superseded_by"])
    return len(settled)


def _first_later_changes(kind: str, container_id: str, group: list[AuditEntry], relation: str = MEMBERS
                         ) -> dict[int, AuditEntry]:
    """For each entry of ``group`` (one container), the first later attempt on the same membership
    that may have changed it, if any (one query for the whole group)."""
    later = defaultdict(list)
    for attempt in AuditEntry.objects.filter(
            container_kind=kind, container_id=container_id, member_id__in={e.member_id for e in group}, relation=relation,
            id__gt=min(e.pk for e in group), outcome__in=_MAY_HAVE_CHANGED).order_by("id"):
        later[attempt.member_id].append(attempt)
    found = {}
    for entry in group:
        first = next((attempt for attempt in later[entry.member_id] if attempt.pk > entry.pk), None)
        if first is not None:
            found[entry.pk] = first
    return found


def _settle_by_reading(graph: GraphClient, container: Container, group: list[AuditEntry], now,
                       relation: str = MEMBERS) -> list[AuditEntry]:
    read = graph.read_ownership if relation == OWNERS else graph.read_membership
    state = read(container, [entry.member_id for entry in group])
    settled = []
    for entry in group:
        is_member = state.get(entry.member_id)
        if is_member is None:
            continue
        action = Action(entry.action)
        done = is_member == (action is Action.ADD)
        entry.outcome = Outcome.AS_ASKED if done else Outcome.INTERRUPTED
        entry.message = explain.settled_later(action, done, is_member).text
        entry.settled_at = now
        settled.append(entry)
    return settled
