"""The ends of memberships granted "until" a time, as ``changes.apply`` writes and settles them.

An add with an end writes its ``Expiry`` rows in the transaction of its pending journal entries,
before anything is sent: a crash between the add and its answer never leaves a membership that was
meant to end without its end. What each attempt then did decides what becomes of them:

- an add that was not made (refused, busy, missing...) ends its new end: nothing to remove;
- an add that found the person a member already ends its new end: the membership it would
  remove is not the one this add granted (an end already open on it moves instead);
- a removal that took effect (by anyone, through the app) ends the membership's open end;
- an add without an end that made a membership (someone removed it elsewhere, then it was
  added back permanently) ends the old end: the membership now is not the one it was meant for.

The sweep (``members.expiry``) removes what is due; this module knows nothing of Graph.
"""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.conf import settings

from django.db import IntegrityError, transaction
from django.utils import timezone

from members.directory import Action, Outcome
from members.models import AuditEntry, Expiry, ExpiryState

# An add in these states may have made the membership: its end stands (the sweep reads back the open ones).
_MAY_STAND = {Outcome.DONE, Outcome.AS_ASKED, Outcome.PENDING, Outcome.UNKNOWN}


def write_ahead(entries: Iterable[AuditEntry], until: datetime, actor) -> None:
    """In the add's transaction, beside its pending entries: one end per membership, at ``until``.
    An end already open on a membership moves to ``until`` (one open end per membership)."""
    entries = list(entries)
    if not entries:
        return
    first = entries[0]
    ids = [entry.member_id for entry in entries]
    name = (actor.email or actor.username) if actor else ""
    for attempt in range(2):  # a second add of the same membership may write its end meanwhile: then it moves
        moved = set(Expiry.objects.open().of(first.container_id, ids).values_list("member_id", flat=True))
        if moved:
            Expiry.objects.open().of(first.container_id, moved).update(
                expires_at=until, state=ExpiryState.SCHEDULED, note="", changed_by_name=name, granted_by=actor,
                granted_by_name=name, claimed_at=None, updated_at=timezone.now())
        try:
            with transaction.atomic():
                Expiry.objects.bulk_create([
                    Expiry(container_kind=entry.container_kind, container_id=entry.container_id,
                           container_name=entry.container_name, member_id=entry.member_id, member_name=entry.member_name,
                           member_principal=entry.member_principal, expires_at=until, granted_by=actor,
                           granted_by_name=name, grant=entry)
                    for entry in entries if entry.member_id not in moved])
            return
        except IntegrityError:
            if attempt:
                raise


def after_change(action: Action, entries: Mapping[str, AuditEntry], *, expired: bool = False) -> None:
    """Settle the ends this change's outcomes decide (see the module's docstring)."""
    if action is Action.ADD:
        _after_add(entries.values())
    elif not expired:  # the sweep settles its own
        _after_removal(entries.values())


def _after_add(entries: Iterable[AuditEntry]) -> None:
    entries = list(entries)
    now = timezone.now()
    ended_new, made_without_end = [], []
    for entry in entries:
        outcome = Outcome(entry.outcome)
        if entry.until is not None and (outcome not in _MAY_STAND or outcome is Outcome.ALREADY):
            ended_new.append(entry.pk)
        elif entry.until is None and outcome is Outcome.DONE:
            made_without_end.append(entry)
    if ended_new:
        Expiry.objects.filter(grant_id__in=ended_new, state=ExpiryState.SCHEDULED).update(
            state=ExpiryState.ENDED, note="Not added, so there is nothing to remove.", updated_at=now)
    _name_ends([entry for entry in entries if entry.until is not None and entry.pk not in ended_new])
    for expiry, entry in _open_ends(made_without_end):
        Expiry.objects.filter(pk=expiry).update(state=ExpiryState.ENDED, updated_at=now,
                                                note=f"Added again without an end by {entry.actor_upn}.")


def _name_ends(entries: list[AuditEntry]) -> None:
    """The names the add learnt (its entries were written before Graph named anyone), on its ends."""
    by_grant = {entry.pk: entry for entry in entries}
    ends = list(Expiry.objects.filter(grant_id__in=by_grant))
    for end in ends:
        entry = by_grant[end.grant_id]
        end.member_name, end.member_principal = entry.member_name, entry.member_principal
        end.container_name = entry.container_name
    Expiry.objects.bulk_update(ends, ["member_name", "member_principal", "container_name"], batch_size=200)


def _after_removal(entries: Iterable[AuditEntry]) -> None:
    now = timezone.now()
    for expiry, entry in _open_ends([e for e in entries if Outcome(e.outcome).took_effect]):
        Expiry.objects.filter(pk=expiry).update(state=ExpiryState.ENDED, removal=entry, updated_at=now,
                                                note=f"Removed by {entry.actor_upn} before its time.")


def _open_ends(entries: list[AuditEntry]) -> list[tuple[int, AuditEntry]]:
    """The open ends of these entries' memberships (one container's), by one query."""
    if not entries:
        return []
    by_member = {entry.member_id: entry for entry in entries}
    found = Expiry.objects.open().of(entries[0].container_id, list(by_member)).values_list("pk", "member_id")
    return [(pk, by_member[member_id]) for pk, member_id in found]


class BadEnd(ValueError):
    """An end date the app won't take (past, unreadable, too far ahead); the message says which."""


def check_end(until: datetime, now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    if until <= now:
        raise BadEnd("that end is in the past.")
    if until > now + timedelta(days=settings.EXPIRY_MAX_DAYS):
        raise BadEnd(f"an end can be at most {settings.EXPIRY_MAX_DAYS} days ahead.")
    return until
