"""The words of the journal's changes: what a change of many members came to, and what a Revert all did."""

from collections.abc import Mapping

from django.contrib.humanize.templatetags.humanize import intcomma

from members.directory import Action, Outcome
from members.explain.message import Message, Tone

# An outcome as a count of members reads it ("3 refused"), shorter than its label.
OUTCOME_COUNTED = {
    Outcome.PENDING: "pending", Outcome.DONE: "done", Outcome.AS_ASKED: "as asked", Outcome.ALREADY: "no change needed",
    Outcome.REFUSED: "refused", Outcome.BUSY: "not done (Graph busy)", Outcome.UNKNOWN: "outcome unknown",
    Outcome.FAILED: "failed", Outcome.MISSING: "not found", Outcome.SIGN_IN: "not sent (not signed in)",
    Outcome.INTERRUPTED: "interrupted", Outcome.SUPERSEDED: "overtaken",
}


def change_summary(count: int, tally: Mapping[str, int]) -> str:
    """'1,000 members: 998 done, 2 refused' (the tally in the outcomes' order)."""
    parts = [f"{intcomma(n)} {OUTCOME_COUNTED[Outcome(outcome)]}" for outcome, n in tally.items()]
    return f"{intcomma(count)} member{'' if count == 1 else 's'}: {', '.join(parts)}"


def undid(action: Action, container_name: str, entry_id: int) -> str:
    """Which entry an Undo/Revert line undid, so that lines naming the same member read apart."""
    where = "to" if action is Action.ADD else "from"
    return f"(entry #{entry_id}: {action.past} {where} {container_name})"


def revert_all_narrowed() -> str:
    """Why a change's row shows no Revert all while the filters show only some of its members."""
    return "Showing some of its members: clear the Member and Outcome filters to revert the whole change."


def revert_all_outcome(done: int, asked: int) -> Message:
    """What a change's Revert all came to, over its members (each member's line says its own)."""
    if asked == 0:
        return Message(Tone.INFO, "Nothing left to revert in this change.")
    if done == asked:
        return Message(Tone.OK, f"Reverted: all {intcomma(asked)} member{'' if asked == 1 else 's'} of this change.")
    return Message(Tone.ERROR, f"Reverted {intcomma(done)} of {intcomma(asked)}: {intcomma(asked - done)} not reverted.",
                   "Each member's line says why.")
