"""The words of a background change: how far it got, what it came to, why it stopped."""

from django.contrib.humanize.templatetags.humanize import intcomma

from members.directory import Action, Outcome
from members.explain.message import Message, Tone

# The tone of a journal entry's outcome, as its line shows it.
_TONES = {Outcome.DONE: Tone.OK, Outcome.AS_ASKED: Tone.OK, Outcome.ALREADY: Tone.INFO, Outcome.PENDING: Tone.INFO}


def progress(done: int, total: int) -> str:
    """"340 of 1,000": the text beside the progress bar."""
    return f"{intcomma(done)} of {intcomma(total)}"


def heading(job_kind: str, action: Action, total: int, container_name: str) -> str:
    where = container_name or "this container"
    if job_kind == "revert":
        return f"Undoing {intcomma(total)} change{'' if total == 1 else 's'} on {where}"
    verb = "Adding" if action is Action.ADD else "Removing"
    preposition = "to" if action is Action.ADD else "from"
    return f"{verb} {intcomma(total)} member{'' if total == 1 else 's'} {preposition} {where}"


def queued() -> str:
    return "Waiting for a worker to start it. You can close this page: the change goes on, and Home shows it."


def running() -> str:
    return "Running in the background. You can close this page: the change goes on, and Home shows it."


def waits_for_sign_in(not_sent: int) -> Message:
    """The kept sign-in no longer gave a token: the rest was journaled as not sent."""
    return Message(Tone.ERROR, f"Stopped: your sign-in could not be used any more, so {intcomma(not_sent)} "
                               f"member{'' if not_sent == 1 else 's'} were not sent (the journal says so).",
                   "Sign in again: the page of what you were changing then offers to make the rest.")


def entry_message(outcome: Outcome, text: str, request_id: str) -> Message:
    """One member's line, from its journal entry."""
    if outcome is Outcome.PENDING and not text:
        text = "Sent: Graph's answer is not recorded yet."
    return Message(_TONES.get(outcome, Tone.ERROR), text or outcome.label, "", request_id)


def not_found() -> str:
    return "No such background change."
