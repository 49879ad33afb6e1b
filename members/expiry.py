"""Expiring access: the sweep that removes memberships whose time is up, and moving an end.

The sweep claims due ends under row locks (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL; on
SQLite every write transaction is the one writer), so two workers on two servers never take the same
one; a claim left by a killed worker is taken over after ``EXPIRY_CLAIM_TIMEOUT``. Each granter's
due ends are removed through ``changes.apply`` with *their* kept sign-in (``accounts.kept``), so the
removal is journaled before it is sent, as "expired", on the granter's authority, in ``$batch``es
of 20. When that sign-in can't do it (gone, revoked, refused), the end becomes *due*: shown to
everyone who can remove it, never dropped, never done with more rights than a person has.
"""

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import kept
from accounts.tokens import ReauthenticationRequired
from members import changes, client
from members.directory import Action, Container, Kind, Outcome
from members.explain import expiry as words
from members.models import AuditEntry, BackgroundChange, Expiry, ExpiryState
from members.schedule import BadEnd, check_end  # noqa: F401 (the views read them as expiry.<name>)

log = logging.getLogger(__name__)

# Ends one sweep claims at a time (five $batches of removals): small enough that several workers share
# a backlog (a claim of everything due left the other workers nothing), and each claim is done long
# before EXPIRY_CLAIM_TIMEOUT would let another sweep take it over.
CLAIM_BATCH = 100


@dataclass
class Swept:
    removed: int = 0
    due: int = 0
    ended: int = 0
    waiting: int = 0  # left for the next sweep (Graph busy, an attempt on it still open)
    granters: set = field(default_factory=set)

    def add(self, other: "Swept") -> None:
        self.removed += other.removed
        self.due += other.due
        self.ended += other.ended
        self.waiting += other.waiting
        self.granters |= other.granters


def sweep(now: datetime | None = None) -> Swept:
    """Remove every membership whose time is up (claiming them in batches); returns what became of them."""
    total = Swept()
    seen: set[int] = set()  # what this sweep took: one it let go waits for the next sweep, not the next claim
    while claimed := claim_due(now or timezone.now(), skip=seen):
        seen.update(end.pk for end in claimed)
        total.add(_remove_claimed(claimed))
        if len(claimed) < CLAIM_BATCH:
            break
    for granter in total.granters:
        let_go_if_idle(granter)
    let_go_idle()
    return total


def claim_due(now: datetime, limit: int = CLAIM_BATCH, skip: set[int] = frozenset()) -> list[Expiry]:
    """Take up to ``limit`` due ends for this sweep (not those in ``skip``), under row locks another sweep skips."""
    stale = now - settings.EXPIRY_CLAIM_TIMEOUT
    with transaction.atomic():
        due = list(Expiry.objects.select_for_update(skip_locked=True)
                   .filter(state=ExpiryState.SCHEDULED, expires_at__lte=now)
                   .filter(Q(claimed_at=None) | Q(claimed_at__lt=stale))
                   .exclude(pk__in=skip)
                   .order_by("expires_at", "id")[:limit])
        if due:
            Expiry.objects.filter(pk__in=[e.pk for e in due]).update(claimed_at=now)
    return due


def _remove_claimed(claimed: list[Expiry]) -> Swept:
    swept = Swept()
    by_granter: dict[tuple, list[Expiry]] = defaultdict(list)
    for end in claimed:
        by_granter[(end.granted_by_id, end.container_kind, end.container_id)].append(end)
    for (granter_id, kind, container_id), ends in by_granter.items():
        swept.add(_remove_as_granter(granter_id, Container(Kind(kind), container_id), ends))
        if granter_id:
            swept.granters.add(granter_id)
    return swept


def _remove_as_granter(granter_id, container: Container, ends: list[Expiry]) -> Swept:
    swept = Swept()
    ends = _not_yet_settled(ends, swept)
    if not ends:
        return swept
    granter = _user(granter_id)
    if granter is None:
        _mark_due(ends, words.granter_gone())
        swept.due += len(ends)
        return swept
    try:
        graph = client.graph_for_kept(granter)
    except ReauthenticationRequired:
        _mark_due(ends, words.sign_in_gone(ends[0].granted_by_name))
        swept.due += len(ends)
        return swept
    ends = _not_removed_before(graph, container, ends, swept)
    if not ends:
        return swept
    by_member = {end.member_id: end for end in ends}
    note = changes.Note(expired=True, change=uuid.uuid4(),
                        reason=words.expired_reason(ends[0].expires_at, ends[0].granted_by_name)[:500])
    _, rows = changes.apply(graph, granter, Action.REMOVE, container, list(by_member),
                            changes.Known(scopes=kept.scopes(granter)), note)
    for row in rows:
        swept.add(_settle_end(by_member[row.entry.member_id], row.result.outcome, row.entry))
    return swept


def _not_yet_settled(ends: list[Expiry], swept: Swept) -> list[Expiry]:
    """The ends still to remove: one whose add was not made ends; one with an attempt on its membership
    still open waits for the journal to settle it (the next sweep looks again)."""
    grants = {e.pk: e for e in AuditEntry.objects.filter(pk__in=[end.grant_id for end in ends if end.grant_id])}
    todo = []
    for end in ends:
        grant = grants.get(end.grant_id)
        outcome = Outcome(grant.outcome) if grant else Outcome.DONE
        if not outcome.settled:
            _release([end])
            swept.waiting += 1
        elif not outcome.took_effect:
            _end(end, "Not added, so there is nothing to remove.")
            swept.ended += 1
        else:
            todo.append(end)
    return todo


# What an earlier sweep's removal, once settled, already decided of its end: no second call for it.
_DECIDED = {Outcome.DONE, Outcome.AS_ASKED, Outcome.ALREADY, Outcome.MISSING}


def _not_removed_before(graph, container: Container, ends: list[Expiry], swept: Swept) -> list[Expiry]:
    """The ends no earlier sweep's removal has already dealt with.

    A sweep killed mid-change (or one whose answer was lost) leaves its removal entries open, and
    its ends claimed and scheduled, even those whose removal was answered (an end is settled once its
    whole change has returned). Taken over, such an end is not removed again blindly: its last removal
    entry is settled first, by reading the membership back with the granter's rights (as the journal
    does), and decides. Made (done, as asked: the membership is gone), the end is removed by it;
    not made (interrupted, busy...), it is removed now; still unknown (the read failed, or is too
    soon after the write to show it), it waits for the next sweep."""
    last = _last_removals(container, ends)
    still_open = [entry for entry in last.values() if not Outcome(entry.outcome).settled]
    if still_open:
        changes.settle_open(graph, still_open)  # settles in place what a read-back can tell
    todo = []
    for end in ends:
        entry = last.get(end.pk)
        outcome = Outcome(entry.outcome) if entry else None
        if outcome is None or (outcome.settled and outcome not in _DECIDED):
            todo.append(end)
        elif outcome in _DECIDED:
            swept.add(_settle_end(end, outcome, entry))
        else:
            _release([end])
            swept.waiting += 1
    return todo


def _last_removals(container: Container, ends: list[Expiry]) -> dict[int, AuditEntry]:
    """The last removal a sweep made of each end's membership since its grant, by end (one query)."""
    by_member = {end.member_id: end for end in ends}
    last = {}
    for entry in AuditEntry.objects.filter(container_id=container.id, member_id__in=list(by_member), action=Action.REMOVE,
                                           expired=True).order_by("id"):
        end = by_member[entry.member_id]
        if entry.pk > (end.grant_id or 0) and entry.created_at >= end.created_at:
            last[end.pk] = entry
    return last


def _settle_end(end: Expiry, outcome: Outcome, entry: AuditEntry) -> Swept:
    if outcome in (Outcome.DONE, Outcome.AS_ASKED):
        _update(end, state=ExpiryState.REMOVED, removal=entry, note="")
        return Swept(removed=1)
    if outcome is Outcome.ALREADY:
        _update(end, state=ExpiryState.ENDED, removal=entry, note=words.already_gone())
        return Swept(ended=1)
    if outcome is Outcome.MISSING:
        _update(end, state=ExpiryState.ENDED, removal=entry, note=words.container_gone())
        return Swept(ended=1)
    if outcome is Outcome.REFUSED:
        _mark_due([end], words.granter_refused(end.granted_by_name), removal=entry)
        return Swept(due=1)
    # Busy, failed, or unknown (the journal reads it back): the next sweep tries again.
    _release([end])
    return Swept(waiting=1)


def _update(end: Expiry, **fields) -> None:
    Expiry.objects.filter(pk=end.pk).update(claimed_at=None, updated_at=timezone.now(), **fields)


def _end(end: Expiry, note: str) -> None:
    _update(end, state=ExpiryState.ENDED, note=note)


def _mark_due(ends: list[Expiry], note: str, removal: AuditEntry | None = None) -> None:
    fields = {"state": ExpiryState.DUE, "note": note[:500], "claimed_at": None, "updated_at": timezone.now()}
    if removal is not None:
        fields["removal"] = removal
    Expiry.objects.filter(pk__in=[e.pk for e in ends], state=ExpiryState.SCHEDULED).update(**fields)


def _release(ends: list[Expiry]) -> None:
    Expiry.objects.filter(pk__in=[e.pk for e in ends]).update(claimed_at=None)


def _user(pk):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk=pk).first() if pk else None


def let_go_if_idle(granter_id) -> None:
    """A kept sign-in is kept only while its person has scheduled ends or background changes not finished."""
    user = _user(granter_id)
    if user is None:
        return
    if Expiry.objects.filter(granted_by=user, state=ExpiryState.SCHEDULED).exists():
        return
    if BackgroundChange.objects.filter(actor=user).unfinished().exists():
        return
    kept.release(user)


def let_go_idle() -> None:
    """Every kept sign-in whose person has no scheduled work left (their adds failed, their ends were
    moved or made permanent by others): let go."""
    from accounts.models import KeptSignIn

    for user_id in KeptSignIn.objects.values_list("user_id", flat=True):
        let_go_if_idle(user_id)


# --- moving an end ---------------------------------------------------------------------------------

def move(end: Expiry, until: datetime | None, person) -> Expiry:
    """Extend or shorten an open end (``until``), or make the membership permanent (``None``).

    Whoever sets a new end authorises its removal: it is then made with their rights (the view keeps
    their sign-in), not with those of the person who first granted it."""
    name = (person.email or person.username) if person else ""
    now = timezone.now()
    if until is None:
        Expiry.objects.filter(pk=end.pk, state__in=[ExpiryState.SCHEDULED, ExpiryState.DUE]).update(
            state=ExpiryState.ENDED, note=f"Made permanent by {name}.", changed_by_name=name, claimed_at=None,
            updated_at=now)
    else:
        Expiry.objects.filter(pk=end.pk, state__in=[ExpiryState.SCHEDULED, ExpiryState.DUE]).update(
            state=ExpiryState.SCHEDULED, expires_at=check_end(until, now), note="", changed_by_name=name,
            granted_by=person, granted_by_name=name, claimed_at=None, updated_at=now)
    end.refresh_from_db()
    return end


# --- what the pages show ---------------------------------------------------------------------------

SOON_SHOWN = 10  # "Expiring soon" on Home: the next ends a person granted


def ends_of(container_id: str, member_ids) -> dict[str, Expiry]:
    """The open ends of these memberships (one query), by member id: what their rows say."""
    ids = list(member_ids)
    if not ids:
        return {}
    return {end.member_id: end for end in Expiry.objects.open().of(container_id, ids)}


def granted_soon(user) -> list[Expiry]:
    """The next ends this person set (scheduled), soonest first."""
    return list(Expiry.objects.filter(granted_by=user, state=ExpiryState.SCHEDULED).order_by("expires_at")[:SOON_SHOWN])


def overdue_for(user, *, everywhere: bool, containers: set[str]) -> list[Expiry]:
    """The overdue ends this person may be able to remove: everywhere (a tenant-wide role, or roles not
    known: Graph decides), else in the containers they manage, and those they granted themselves."""
    due = Expiry.objects.filter(state=ExpiryState.DUE)
    if not everywhere:
        due = due.filter(Q(container_id__in=containers) | Q(granted_by=user))
    return list(due.order_by("expires_at")[:50])


POLL_WITHIN_SECONDS = 600  # a row whose end is this near asks every 15 s whether it was removed


def polls(end: Expiry, now: datetime | None = None) -> bool:
    """Whether a row shows this end as coming soon enough to ask for its outcome (scheduled, due within
    ``POLL_WITHIN_SECONDS``, or past and waiting for the next sweep)."""
    return (end.state == ExpiryState.SCHEDULED
            and (end.expires_at - (now or timezone.now())).total_seconds() <= POLL_WITHIN_SECONDS)


def open_ends_of_member(member_id: str) -> dict[str, Expiry]:
    """A person's open ends (one query), by container id: what the rows of their page say."""
    return {end.container_id: end for end in Expiry.objects.open().filter(member_id=member_id)}
