"""The words of a pasted list: the dry run's for each entry, and the run's summary."""


from members.directory import Action, ContainerInfo, Kind, MemberType, Outcome, Trait
from members.explain.message import NAMES_SHOWN, Message, Tone
from members.graph import GraphError
from members.permissions import MEMBER_TYPE_NAMES


PASTE_STATUS_LABELS = {
    "change": "Will change",
    "already": "Already so",
    "not_found": "Not found",
    "ambiguous": "Ambiguous",
    "not_allowed": "Not allowed",
    "invalid": "Not a valid entry",
    "repeated": "Repeated",
    "unchecked": "Not checked",
}
TYPE_NAMES = {t: t.noun[0].upper() + t.noun[1:] for t in MemberType}


def paste_will_change(action: Action, unread: bool = False) -> str:
    text = "Will be added." if action is Action.ADD else "Will be removed."
    if unread:
        text += " (The member list can't be read here, so it may be so already.)"
    return text


def paste_already(action: Action) -> str:
    return "Already a member." if action is Action.ADD else "Not a member: nothing to remove."


def paste_not_found(entry_kind: str, groups_too: bool) -> str:
    if entry_kind == "id":
        return "No directory object has this id."
    return f"No user{' or group' if groups_too else ''} has this sign-in name or mail address."


def paste_ambiguous(names: list[str]) -> str:
    listed = ", ".join(names[:NAMES_SHOWN]) + (", …" if len(names) > NAMES_SHOWN else "")
    return f"Matches {len(names)} objects ({listed}): paste the object id of the one you mean."


def paste_invalid(text: str = "") -> str:
    if text.isalpha():  # a word: most likely part of a display name, split at its space
        return "Not a sign-in name, mail address or object id: display names aren't accepted (and a space splits one in two)."
    return "Not a sign-in name, mail address or object id."


def paste_entries_from_lines(entries: int, lines: int) -> str:
    """Said beside "Checked N entries" when the pasted lines were split into more (or fewer) entries."""
    if entries == lines:
        return ""
    return (f"from {lines:,} line{'s' if lines != 1 else ''}: spaces, commas and semicolons separate entries, "
            "so a display name counts as several")


def paste_repeated(first: int) -> str:
    return f"Same as entry {first}: changed once."


def paste_unchecked(error: GraphError) -> str:
    message = load_failed(error, "this entry")
    return f"{message.text} {message.fix}".strip()


def paste_itself(kind: Kind) -> str:
    return f"This is the {kind.label} itself: it can't be its own member."


def member_type_refused(kind: Kind, member_type: str, container: ContainerInfo) -> str:
    """Graph won't take this type of member in this container (GRAPH.md §2, "Members allowed")."""
    what = TYPE_NAMES.get(member_type, "This kind of object")
    if kind is Kind.GROUPS and Trait.M365 in container.traits:
        return f"{what} can't be a member of a Microsoft 365 group: it takes users only."
    return f"{what} can't be a member of {'an' if kind is Kind.UNITS else 'a'} {kind.label}."


def member_type_needs_scope(member_type: str, needed: str) -> str:
    return (f"Adding {MEMBER_TYPE_NAMES[member_type]} to a group also needs the {needed} permission, "
            "which this app was not granted.")


def paste_not_allowed(kind: Kind, reason: str) -> Message:
    """A dry run asked by a reader who can't change the container: said first, and instead of any entry's verdict."""
    return Message(Tone.ERROR, f"You can't change the members of this {kind.label}, so the list was not checked "
                   "and nothing was changed.", reason)


def paste_too_many(count: int, limit: int) -> str:
    return f"Too many entries: at most {limit:,} at once, and {count:,} were pasted. Nothing was checked or changed."


def paste_nothing() -> str:
    return "Paste at least one entry, and choose whether to add or to remove."


def paste_nul(line: int) -> Message:
    """A NUL in the pasted text: Django refuses the field whole, and guessing what it stood for could change an entry."""
    return Message(Tone.ERROR, f"Line {line:,} of the pasted text contains a NUL character (an invisible control "
                   "character). Nothing was checked or changed.",
                   "It usually comes from copying out of a UTF-16 or binary file: save the list as plain text "
                   "(UTF-8) and paste it again.")


def paste_too_long() -> str:
    return "The pasted text is too long for 1,000 entries. Nothing was checked or changed."


def paste_expired() -> str:
    return "This check has expired (or was made in another session): paste the list and check it again. Nothing was changed."


def paste_run_summary(action: Action, counts: dict[Outcome, int]) -> str:
    """One sentence for a finished run: how many changed, how many were so already, how many not."""
    done = counts.get(Outcome.DONE, 0)
    already = counts.get(Outcome.ALREADY, 0)
    as_asked = counts.get(Outcome.AS_ASKED, 0)
    failed = sum(count for outcome, count in counts.items() if not outcome.took_effect)
    text = f"{done} {action.past}."
    if already:
        text += f" {already} already so."
    if as_asked:
        text += f" {as_asked} {action.past} or already so (Graph's answer was lost; read back as asked)."
    if failed:
        text += f" {failed} not {action.past}: the reason is on {'its line' if failed == 1 else 'their lines'}."
    return text


from members.explain import load_failed  # noqa: E402  (the package defines it before it imports this module)
