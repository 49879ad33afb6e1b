"""Undo and revert: the inverse of journaled changes, made through the change workflow.

An Undo right after a change and a Revert from the journal later are the same operation: for each
journal entry that changed something (outcome done), make the inverse ``$ref`` call, unless the
state has moved on since. That is checked first, in this order: a later change of the same
membership in the journal (reverting would silently undo it too), then the membership as Graph
has it now (one bulk read). Those entries are refused with the reason, nothing sent for them; the
others are changed back by ``changes.apply`` (journaled like any change), one call per action,
each new entry pointing at the one it reverts. Never sees a request.
"""

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, replace

from django.db.models import Q

from members import changes, explain
from members.directory import Action, ContainerInfo, Outcome
from members.explain import Message
from members.graph import GraphClient, GraphError
from members.models import MEMBERS, REVERT_CLAIMS, AuditEntry
from members.directory import Container


CLAIM_ATTEMPTS = 3  # an entry written by a concurrent Undo, then settled as not done, frees the way again


@dataclass(frozen=True)
class Reverted:
    """One entry asked to be reverted: the inverse change's row, or why nothing was sent."""

    entry: AuditEntry
    row: changes.Row | None = None
    refusal: Message | None = None

    @property
    def message(self) -> Message:
        return self.refusal if self.row is None else self.row.message

    @property
    def done(self) -> bool:
        return self.row is not None and self.row.result.outcome is Outcome.DONE

    @property
    def done_text(self) -> str:
        return explain.reverted(Action(self.entry.action))

    @property
    def undid(self) -> str:
        """Which entry this line undid: said when the same name is listed more than once."""
        return explain.undid(Action(self.entry.action), self.entry.container_name or self.entry.container_id, self.entry.pk)

    @property
    def name(self) -> str:
        return self.row.member.display_name if self.row else (self.entry.member_name or self.entry.member_id)


def named_more_than_once(reverted: list[Reverted]) -> set[str]:
    """The names that more than one line of these shows (the same person twice, or two people of one name)."""
    names = Counter(r.name for r in reverted)
    return {name for name, n in names.items() if n > 1}


def revert(graph: GraphClient, actor, container: Container, entries: list[AuditEntry], known: changes.Known,
           note: changes.Note | None = None) -> tuple[ContainerInfo | None, list[Reverted]]:
    """Revert these entries of one container, in their order; see the module's docstring.
    ``note``: the ticket and reason the person gave with the revert."""
    # One change however many calls it takes (one per action, again after a concurrent Undo).
    note = note or changes.Note()
    note = replace(note, change=note.change or uuid.uuid4())
    refused: dict[int, Message] = {}
    candidates = []
    for entry in entries:
        if entry.outcome != Outcome.DONE or entry.container_id != container.id:
            refused[entry.pk] = explain.revert_nothing()
        elif entry.relation != MEMBERS:  # an owner change is undone on the group's Owners, not reverted as a membership
            refused[entry.pk] = explain.owners.revert_elsewhere()
        else:
            candidates.append(entry)
    refused.update(_changed_since(candidates))
    candidates = [entry for entry in candidates if entry.pk not in refused]
    moved_on = _moved_on(graph, container, candidates)
    refused.update(moved_on)
    # A concurrent Undo may have reverted some of them during that read: say so, rather than "moved on".
    refused.update(_changed_since([entry for entry in candidates if entry.pk in moved_on]))
    rows: dict[int, changes.Row] = {}
    info = known.info
    by_action: dict[Action, list[AuditEntry]] = defaultdict(list)
    for entry in candidates:
        if entry.pk not in refused:
            by_action[Action(entry.action)].append(entry)
    for action, group in by_action.items():
        for _ in range(CLAIM_ATTEMPTS):
            reverts = replace(note, reverts={entry.member_id: entry.pk for entry in group})
            try:
                info, done = changes.apply(graph, actor, action.inverse, container, [e.member_id for e in group], known,
                                           reverts)
            except changes.AlreadyReverting:
                # Another Undo of some of these wrote its entry since we looked: the database let
                # only one through. Look again, and revert the others.
                refused.update(_changed_since(group))
                group = [entry for entry in group if entry.pk not in refused]
                if group:
                    continue
            else:
                rows.update((entry.pk, row) for entry, row in zip(group, done, strict=True))
            break
        else:
            refused.update((entry.pk, explain.revert_in_progress()) for entry in group)
    return info, [Reverted(entry, rows.get(entry.pk), refused.get(entry.pk)) for entry in entries]


def _changed_since(entries: list[AuditEntry]) -> dict[int, Message]:
    """Entries whose membership a later journal entry changed, or that an entry reverts (done, or
    still in flight: a concurrent Undo)."""
    if not entries:
        return {}
    later = AuditEntry.objects.filter(
        Q(outcome=Outcome.DONE) | Q(reverts__in=[e.pk for e in entries], outcome__in=REVERT_CLAIMS),
        container_id=entries[0].container_id, member_id__in=[e.member_id for e in entries],
        pk__gt=min(e.pk for e in entries)).order_by("pk")
    refused = {}
    for entry in entries:
        newer = next((e for e in later if e.member_id == entry.member_id and e.pk > entry.pk), None)
        if newer is None:
            continue
        by, when = newer.actor_upn, newer.created_at
        if newer.reverts_id == entry.pk and Outcome(newer.outcome).settled:
            refused[entry.pk] = explain.revert_already(by, when)
        elif newer.reverts_id == entry.pk:
            refused[entry.pk] = explain.revert_in_progress(by, when)
        else:
            refused[entry.pk] = explain.revert_changed_since(Action(newer.action), by, when)
    return refused


def _moved_on(graph: GraphClient, container: Container, entries: list[AuditEntry]) -> dict[int, Message]:
    """Entries whose membership is not as their change left it, read from Graph in bulk."""
    if not entries:
        return {}
    try:
        state = graph.members_among(container, [entry.member_id for entry in entries])
    except GraphError:
        state = {}
    refused = {}
    for entry in entries:
        is_member = state.get(entry.member_id)
        action = Action(entry.action)
        if is_member is None:
            refused[entry.pk] = explain.revert_unreadable()
        elif is_member != (action is Action.ADD):
            refused[entry.pk] = explain.revert_moved_on(action, is_member)
    return refused
