"""Paste anything: a list of sign-in names, mail addresses and object ids, checked before it is sent.

``read`` splits the text into entries (newlines, commas, semicolons, spaces; at most 1,000) and
tells what each looks like. ``preview`` resolves them with Graph in as few round trips as Graph
allows (``GraphClient.resolve_entries``, then ``GraphClient.members_among`` for who is a member
already) and classifies every entry: will change, already so, not found, ambiguous, not allowed
(and why), not a valid entry, repeated. Nothing is written. The run that follows changes only the
ids the preview resolved (kept server-side as a plan, ``members.memo``), through
``members.changes``. This module never sees a request.
"""

import re
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from members import explain
from members.directory import Action, ContainerInfo, DirectoryItem, MyAccess, Outcome
from members.explain import Message, Tone
from members.graph import GraphClient, GraphError
from members.permissions import accepted_member_types, change_verdict, member_type_scope_missing
from members.directory import Container, InvalidId, object_id

MAX_ENTRIES = 1_000
SEPARATORS = re.compile(r"[\s,;]+")
WRAPPING = "<>\"'()[]"  # "Ada <ada@contoso.com>" pastes as two entries: the address keeps its meaning


class TooManyEntries(ValueError):
    """More entries than ``MAX_ENTRIES``: nothing was looked up."""

    def __init__(self, count: int) -> None:
        super().__init__(explain.paste_too_many(count, MAX_ENTRIES))
        self.count = count


class Status(StrEnum):
    """What the run would do with one entry."""

    CHANGE = "change"
    ALREADY = "already"
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"
    NOT_ALLOWED = "not_allowed"
    INVALID = "invalid"
    REPEATED = "repeated"
    UNCHECKED = "unchecked"  # Graph could not be asked (busy, refused the look-up)

    @property
    def label(self) -> str:
        return explain.PASTE_STATUS_LABELS[self.value]


@dataclass(frozen=True)
class Entry:
    """One pasted entry: its number, its text, and what it looks like ("id", "address", "invalid")."""

    number: int
    text: str
    kind: str
    key: str = ""  # the canonical id, or the address lower-cased


@dataclass(frozen=True)
class Line:
    """One entry's verdict in the dry run."""

    number: int
    text: str
    status: Status
    member: DirectoryItem | None = None
    reason: str = ""

    def to_json(self) -> list:
        return [self.number, self.text, self.status.value, self.member.id if self.member else "", self.reason]

    @classmethod
    def from_json(cls, data: list, items: dict[str, DirectoryItem]) -> "Line":
        number, text, status, member_id, reason = data
        return cls(number, text, Status(status), items.get(member_id), reason)


def line_count(text: str) -> int:
    """The pasted text's lines that hold anything."""
    return sum(1 for line in (text or "").splitlines() if line.strip(WRAPPING + " \t,;"))


def read(text: str) -> list[Entry]:
    """The entries of a pasted text, numbered from 1; ``TooManyEntries`` past ``MAX_ENTRIES``."""
    tokens = [token.strip(WRAPPING) for token in SEPARATORS.split(text or "")]
    tokens = [token.removeprefix("mailto:") for token in tokens if token.strip(WRAPPING)]
    if len(tokens) > MAX_ENTRIES:
        raise TooManyEntries(len(tokens))
    return [_entry(number, token) for number, token in enumerate(tokens, start=1)]


def _entry(number: int, token: str) -> Entry:
    try:
        return Entry(number, token, "id", object_id(token.lower()))
    except InvalidId:
        pass
    if "@" in token:
        try:
            validate_email(token)
        except ValidationError:
            return Entry(number, token, "invalid")
        return Entry(number, token, "address", token.lower())
    return Entry(number, token, "invalid")


def preview(graph: GraphClient, action: Action, container: Container, info: ContainerInfo, access: MyAccess,
            scopes: frozenset[str], group_units: frozenset[str] | None, text: str) -> list[Line]:
    """Every entry classified; nothing written. Raises ``TooManyEntries``, or the GraphError that
    stopped the look-ups as a whole (a $batch Graph did not answer)."""
    entries = read(text)
    accepted = accepted_member_types(info)
    groups_too = "group" in accepted
    found = graph.resolve_entries([e.key for e in entries if e.kind == "address"],
                                  [e.key for e in entries if e.kind == "id"], groups_by_mail=groups_too)
    lines: list[Line] = []
    first_line: dict[str, int] = {}
    pending: list[tuple[Entry, DirectoryItem]] = []
    for entry in entries:
        matches = found.get(entry.key) if entry.kind != "invalid" else None
        if entry.kind == "invalid":
            lines.append(Line(entry.number, entry.text, Status.INVALID, reason=explain.paste_invalid(entry.text)))
        elif isinstance(matches, GraphError):
            lines.append(Line(entry.number, entry.text, Status.UNCHECKED, reason=explain.paste_unchecked(matches)))
        elif not matches:
            lines.append(Line(entry.number, entry.text, Status.NOT_FOUND,
                              reason=explain.paste_not_found(entry.kind, groups_too)))
        elif len(matches) > 1:
            lines.append(Line(entry.number, entry.text, Status.AMBIGUOUS,
                              reason=explain.paste_ambiguous([m.display_name for m in matches])))
        elif matches[0].id in first_line:
            lines.append(Line(entry.number, entry.text, Status.REPEATED, matches[0],
                              explain.paste_repeated(first_line[matches[0].id])))
        else:
            first_line[matches[0].id] = entry.number
            pending.append((entry, matches[0]))
            lines.append(Line(entry.number, entry.text, Status.UNCHECKED, matches[0]))  # replaced by its decision
    decided = _decide(graph, action, container, info, access, scopes, group_units, pending)
    return [decided.get(line.number, line) for line in lines]


def _decide(graph: GraphClient, action: Action, container: Container, info: ContainerInfo, access: MyAccess,
            scopes: frozenset[str], group_units: frozenset[str] | None,
            pending: list[tuple[Entry, DirectoryItem]]) -> dict[int, Line]:
    """Already so, not allowed or will change, for each entry found (by entry number): the
    membership of all of them read in bulk first."""
    if not pending:
        return {}
    try:
        state = graph.members_among(container, [member.id for _, member in pending])
    except GraphError:
        state = {}
    verdict = change_verdict(info, access, scopes, group_units)
    decided = {}
    for entry, member in pending:
        is_member = state.get(member.id)
        if not verdict.allowed:  # said before "already so": this reader can't change it, however it stands
            status, reason = Status.NOT_ALLOWED, explain.disabled_reason(verdict, info.kind)
        elif is_member is not None and is_member == (action is Action.ADD):
            status, reason = Status.ALREADY, explain.paste_already(action)
        elif refusal := _not_allowed(action, info, scopes, member):
            status, reason = Status.NOT_ALLOWED, refusal
        else:
            status, reason = Status.CHANGE, explain.paste_will_change(action, unread=is_member is None)
        decided[entry.number] = Line(entry.number, entry.text, status, member, reason)
    return decided


def _not_allowed(action: Action, info: ContainerInfo, scopes: frozenset[str], member: DirectoryItem) -> str:
    """Why this member's change would be refused, when the app can tell before sending it ('' otherwise)."""
    if member.id == info.id:
        return explain.paste_itself(info.kind)
    if action is not Action.ADD:
        return ""
    if member.type not in accepted_member_types(info):
        return explain.member_type_refused(info.kind, member.type, info)
    if needed := member_type_scope_missing(action, info.kind, member.type, scopes):
        return explain.member_type_needs_scope(member.type, needed)
    return ""


# --- the plan a dry run leaves for its run ----------------------------------------------------
# JSON-ready (it lives in the session): the lines, the members they resolved to, the queue of ids
# the run changes, how far it got, and each member's result as the journal settled it.

def plan_of(container: Container, action: Action, lines: list[Line]) -> dict:
    items = {line.member.id: line.member.to_json() for line in lines if line.member}
    queue = list(dict.fromkeys(line.member.id for line in lines if line.status is Status.CHANGE))
    # Its run is one change in the journal, however many requests its slices take.
    return {"kind": container.kind.value, "id": container.id, "action": action.value, "change": str(uuid.uuid4()),
            "lines": [line.to_json() for line in lines], "items": items, "queue": queue, "done": 0, "results": {}}


def change_of(plan: dict) -> uuid.UUID | None:
    """The journal's change id of the run (a plan kept from before runs had one: none)."""
    return uuid.UUID(plan["change"]) if plan.get("change") else None


def plan_items(plan: dict) -> dict[str, DirectoryItem]:
    return {member_id: DirectoryItem.from_json(member_id, data) for member_id, data in plan["items"].items()}


def record(plan: dict, rows) -> None:
    """Keep each changed member's outcome, words and journal entry (``changes.Row``s) in the plan."""
    for row in rows:
        message = row.message
        plan["results"][row.member.id] = [row.result.outcome.value, message.tone, message.text, message.fix,
                                          message.request_id, row.entry.pk]


def retry_busy(plan: dict) -> None:
    """Queue again the members Graph was too busy for (throttled past the client's own retries)."""
    plan["queue"] = [member_id for member_id, result in plan["results"].items() if result[0] == Outcome.BUSY]
    plan["done"] = 0


@dataclass(frozen=True)
class RunLine:
    """One entry after the run: its dry-run line and, when it was sent, what became of it."""

    line: Line
    outcome: Outcome | None = None
    message: Message | None = None
    entry_id: int | None = None


def plan_results(plan: dict) -> list[RunLine]:
    """Every entry, in order, with its result (entries not sent keep their dry-run verdict)."""
    items = plan_items(plan)
    out = []
    for data in plan["lines"]:
        line = Line.from_json(data, items)
        result = plan["results"].get(line.member.id) if line.member and line.status is Status.CHANGE else None
        if result is None:
            out.append(RunLine(line))
            continue
        outcome, tone, text, fix, request_id, entry_id = result
        out.append(RunLine(line, Outcome(outcome), Message(Tone(tone), text, fix, request_id), entry_id))
    return out


def tally(plan: dict) -> Counter:
    """How many members ended in each outcome."""
    return Counter(Outcome(result[0]) for result in plan["results"].values())


def done_entries(plan: dict) -> list[int]:
    """The journal entries of the changes the run made (what an Undo reverts)."""
    return [result[5] for result in plan["results"].values() if result[0] == Outcome.DONE]


def counts(lines: Iterable[Line]) -> dict[str, int]:
    """How many lines of each status, in the order of ``Status`` (statuses with none left out)."""
    tally = {status.value: 0 for status in Status}
    for line in lines:
        tally[line.status.value] += 1
    return {status: count for status, count in tally.items() if count}
