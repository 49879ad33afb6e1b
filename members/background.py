"""Changes too large for one request, made by a task with the rights of the person who asked.

A paste's run larger than one slice, and a bulk remove, picker add, Undo or Revert all of more than
``BACKGROUND_CHANGE_ABOVE`` members, become a ``BackgroundChange``: the view keeps the person's sign-in
(``accounts.kept``), writes the job and enqueues ``members.tasks.run_change``; the request answers at once.

The task claims the job (a compare-and-set on its state, under a row lock where the database has
them), then calls ``changes.apply`` (or ``undo.revert``) a piece at a time, so every attempt is
journaled pending before it is sent, as in a request, and the job's count moves after each piece.
What a job did is what the journal says of its ``change_id``: a job resumed (its worker was killed,
the sweep enqueues it again) sends only the members no attempt of that change was journaled for, so
run twice, changed once. When the kept sign-in gives no token, the rest is journaled as not sent and
the job stops, visibly, waiting for its person: never a call with rights they don't have.

Never sees a request.
"""

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import kept
from accounts.tokens import ReauthenticationRequired
from members import changes, client, expiry, undo
from members.directory import Action, Container, DirectoryItem, Kind, Outcome
from members.explain import Message, Tone
from members.explain import jobs as words
from members.models import AuditEntry, BackgroundChange, JobKind, JobState

log = logging.getLogger(__name__)

PIECE = 100  # members one piece sends (five $batch round trips at most); the job's count moves after each


def start(actor, job_kind: JobKind, action: Action, container: Container, member_ids: list[str], *,
          note: changes.Note, items: Mapping[str, DirectoryItem] | None = None, container_name: str = "",
          lines: list | None = None, entries: Iterable[AuditEntry] = ()) -> BackgroundChange:
    """Write the job (queued); the caller keeps the actor's sign-in and enqueues it."""
    entries = list(entries)
    member_ids = list(dict.fromkeys(entry.member_id for entry in entries) if entries else dict.fromkeys(member_ids))
    items = items or {}
    return BackgroundChange.objects.create(
        actor=actor, actor_upn=(actor.email or actor.username) if actor else "", job_kind=job_kind, action=action.value,
        container_kind=container.kind.value, container_id=container.id, container_name=container_name,
        member_ids=list(member_ids), entry_ids=[entry.pk for entry in entries],
        items={m: items[m].to_json() for m in member_ids if m in items}, lines=lines or [],
        ticket=note.ticket, reason=note.reason, until=note.until, change_id=note.change or uuid.uuid4(),
        total=len(member_ids))


def run(job_id) -> str:
    """Make the job's change (what is left of it); what became of the job: done, interrupted, or skipped."""
    job = claim(job_id)
    if job is None:
        return "skipped"  # finished, or another worker holds it
    container = Container(Kind(job.container_kind), job.container_id)
    try:
        if job.job_kind == JobKind.REVERT:
            _run_revert(job, container)
        else:
            _run_change(job, container)
    except ReauthenticationRequired:
        _stop_for_sign_in(job, container)
        state = JobState.INTERRUPTED
    else:
        state = JobState.DONE
    _update(job, state=state)
    expiry.let_go_if_idle(job.actor_id)
    return state


def claim(job_id) -> BackgroundChange | None:
    """Take a queued job, or a running one whose worker went quiet (``BACKGROUND_CHANGE_STALE``)."""
    now = timezone.now()
    stale = now - settings.BACKGROUND_CHANGE_STALE
    with transaction.atomic():
        job = (BackgroundChange.objects.select_for_update(skip_locked=True)
               .filter(Q(state=JobState.QUEUED) | Q(state=JobState.RUNNING, updated_at__lt=stale), pk=job_id).first())
        if job is None:
            return None
        # Compare and set: where the database takes no row lock (SQLite), two workers still can't both win.
        taken = BackgroundChange.objects.filter(pk=job.pk, state=job.state, updated_at=job.updated_at).update(
            state=JobState.RUNNING, updated_at=now)
    if not taken:
        return None
    job.state, job.updated_at = JobState.RUNNING, now
    return job


def stale_jobs() -> list[uuid.UUID]:
    """Jobs whose worker went quiet: running and not touched for ``BACKGROUND_CHANGE_STALE``. (A queued
    job's task waits in the queue: it was enqueued in the transaction that wrote the job.)"""
    stale = timezone.now() - settings.BACKGROUND_CHANGE_STALE
    return list(BackgroundChange.objects.filter(state=JobState.RUNNING, updated_at__lt=stale).values_list("pk", flat=True))


def _update(job: BackgroundChange, **fields) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    BackgroundChange.objects.filter(pk=job.pk).update(updated_at=timezone.now(), **fields)


def _note(job: BackgroundChange) -> changes.Note:
    return changes.Note(ticket=job.ticket, reason=job.reason, change=job.change_id, until=job.until)


def _known(job: BackgroundChange) -> changes.Known:
    return changes.Known(items=items_of(job), scopes=kept.scopes(job.actor))


def items_of(job: BackgroundChange) -> dict[str, DirectoryItem]:
    return {m: DirectoryItem.from_json(m, data) for m, data in job.items.items()}


def _attempts(job: BackgroundChange):
    """This change's journal entries that were sent (or about to be): not those journaled as not sent."""
    return AuditEntry.objects.filter(change_id=job.change_id).exclude(outcome=Outcome.SIGN_IN)


def _left(job: BackgroundChange) -> list[str]:
    attempted = set(_attempts(job).values_list("member_id", flat=True))
    return [m for m in job.member_ids if m not in attempted]


def _run_change(job: BackgroundChange, container: Container) -> None:
    action, note = Action(job.action), _note(job)
    todo = _left(job)
    while todo:
        graph = client.graph_for_kept(job.actor)  # a token per piece: a long job outlives one
        changes.apply(graph, job.actor, action, container, todo[:PIECE], _known(job), note)
        left = _left(job)
        _update(job, done=len(job.member_ids) - len(left))
        if len(left) >= len(todo):  # every attempt is journaled: a piece that journaled none would loop
            log.error("a background change made no progress; stopped")
            break
        todo = left


def _revert_left(job: BackgroundChange) -> list[AuditEntry]:
    reverted = set(_attempts(job).exclude(reverts=None).values_list("reverts_id", flat=True))
    return list(AuditEntry.objects.filter(pk__in=job.entry_ids).exclude(pk__in=reverted)
                .exclude(pk__in=[int(pk) for pk in job.refused]).order_by("pk"))


def _run_revert(job: BackgroundChange, container: Container) -> None:
    note = _note(job)
    todo = _revert_left(job)
    while todo:
        graph = client.graph_for_kept(job.actor)
        _, reverted = undo.revert(graph, job.actor, container, todo[:PIECE], _known(job), note)
        refused = {**job.refused, **{str(r.entry.pk): [r.message.tone, r.message.text, r.message.fix]
                                     for r in reverted if r.row is None}}
        _update(job, refused=refused)
        left = _revert_left(job)
        _update(job, done=len(job.entry_ids) - len(left))
        if len(left) >= len(todo):  # each entry is reverted or refused: a piece that did neither would loop
            log.error("a background revert made no progress; stopped")
            break
        todo = left


def _stop_for_sign_in(job: BackgroundChange, container: Container) -> None:
    """Journal what was not sent, as a request whose sign-in expired does."""
    known = changes.Known(items=items_of(job))
    if job.job_kind == JobKind.REVERT:
        by_action = defaultdict(list)
        for entry in _revert_left(job):
            by_action[Action(entry.action).inverse].append(entry.member_id)
    else:
        by_action = {Action(job.action): _left(job)}
    for action, member_ids in by_action.items():
        if member_ids:
            changes.record_not_sent(job.actor, action, container, member_ids, known, job.change_id)
    log.info("a background change stopped: its person's kept sign-in gave no token")


# --- what the pages show -------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """One member's result, from the journal entry of this change (or the refusal of an Undo)."""

    member_id: str
    name: str
    outcome: Outcome | None
    message: Message
    entry_id: int | None = None


def entries_by_member(job: BackgroundChange) -> dict[str, AuditEntry]:
    """The latest journal entry of this change per member (an attempt after a "not sent" wins)."""
    found = {}
    for entry in AuditEntry.objects.filter(change_id=job.change_id).order_by("pk"):
        found[entry.member_id] = entry
    return found


def lines(job: BackgroundChange) -> list[Line]:
    """Each member's result, in the order asked (members not reached yet are left out)."""
    entries = entries_by_member(job)
    items = items_of(job)
    out = []
    if job.job_kind == JobKind.REVERT:
        asked = {e.pk: e for e in AuditEntry.objects.filter(pk__in=job.entry_ids)}
        for pk in job.entry_ids:
            original = asked.get(pk)
            if original is None:
                continue
            if str(pk) in job.refused:
                tone, text, fix = job.refused[str(pk)]
                out.append(Line(original.member_id, original.member_name or original.member_id, None,
                                Message(Tone(tone), text, fix)))
            elif (entry := entries.get(original.member_id)) is not None:
                out.append(_line(entry, items))
        return out
    for member_id in job.member_ids:
        if (entry := entries.get(member_id)) is not None:
            out.append(_line(entry, items))
    return out


def _line(entry: AuditEntry, items: Mapping[str, DirectoryItem]) -> Line:
    item = items.get(entry.member_id)
    name = entry.member_name or (item.display_name if item else "") or entry.member_id
    outcome = Outcome(entry.outcome)
    return Line(entry.member_id, name, outcome, words.entry_message(outcome, entry.message, entry.request_id), entry.pk)


def tally(found: list[Line]) -> Counter:
    return Counter(line.outcome for line in found if line.outcome is not None)


def done_entries(found: list[Line]) -> list[int]:
    """The journal entries of the changes the job made (what an Undo of it reverts)."""
    return [line.entry_id for line in found if line.outcome is Outcome.DONE and line.entry_id]


def not_sent(job: BackgroundChange) -> int:
    return AuditEntry.objects.filter(change_id=job.change_id, outcome=Outcome.SIGN_IN).count()
