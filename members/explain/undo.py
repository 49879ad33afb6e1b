"""The words of Undo and Revert."""

from datetime import datetime

from members.directory import Action
from members.explain.message import Message, Tone
from members.explain.when import said_time


def revert_nothing() -> Message:
    return Message(Tone.INFO, "Nothing to revert: this attempt changed nothing.")


def revert_already(by: str, when: datetime) -> Message:
    return Message(Tone.INFO, f"Already reverted by {by} on {said_time(when)}.")


def revert_in_progress(by: str = "", when: datetime | None = None) -> Message:
    """Another Undo/Revert of the same change was sent and has no answer yet: this one sent nothing
    (``by`` and ``when``: who sent it, when, if the journal says)."""
    who = f" by {by} (started {said_time(when)})" if by and when else ""
    return Message(Tone.INFO, f"Already being reverted{who}: nothing sent again.",
                   "Its result shows in the journal (Activity).")


def revert_changed_since(action: Action, by: str, when: datetime) -> Message:
    """A later change of the same membership is journaled: reverting would undo that one too."""
    return Message(Tone.ERROR, f"Not reverted: this membership was changed again since ({action.past} by {by} on {said_time(when)}).",
                   "Look at the later change in the journal; make a new change if one is still wanted.")


def revert_moved_on(action: Action, is_member: bool) -> Message:
    """The membership is no longer as the change left it (changed elsewhere, say in the Entra admin center)."""
    now = "is a member again" if is_member else "is no longer a member"
    return Message(Tone.ERROR, f"Not reverted: the state has moved on since this was {action.past}: it {now}.",
                   "Nothing was sent. Reload the page to see the members as they are now.")


def revert_unreadable() -> Message:
    return Message(Tone.ERROR, "Not reverted: the membership could not be read to check it is still as the change left it.",
                   "Nothing was sent. Try again in a moment.")


def reverted(action: Action) -> str:
    """The outcome line of a successful Undo/Revert (``action`` is the change that was inverted)."""
    return "Added back." if action is Action.REMOVE else "Removed again."
