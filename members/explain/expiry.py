"""The words of expiring access: when a membership ends, why one is overdue, what a bad end date was."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from members.explain.message import Message, Tone
from members.explain.when import said_time


def _first_part(span: str) -> str:
    """"2 days, 3 hours" -> "2 days": a person reads the larger unit."""
    return span.split(",")[0].replace("\xa0", " ")


def until_line(expires_at: datetime, now: datetime | None = None) -> str:
    """"until 2026-12-05 17:00 CET (in 2 days)", or "was due 2026-12-03 09:00 CET (1 hour ago)"."""
    now = now or timezone.now()
    if expires_at > now:
        left = "in under a minute" if expires_at - now < timedelta(minutes=1) else f"in {_first_part(timeuntil(expires_at, now))}"
        return f"until {said_time(expires_at)} ({left})"
    ago = "just now" if now - expires_at < timedelta(minutes=1) else f"{_first_part(timesince(expires_at, now))} ago"
    return f"was due {said_time(expires_at)} ({ago})"


def expired_reason(expires_at: datetime, granted_by: str) -> str:
    """The reason journaled with the sweep's removal."""
    return f"Access granted by {granted_by or 'someone'} until {said_time(expires_at, UTC)} ran out."


def sign_in_gone(granted_by: str) -> str:
    return (f"Its time came, but {granted_by or 'the person who granted it'}'s sign-in can no longer do it "
            "(signed out, revoked, or expired). Remove it now if you can.")


def granter_refused(granted_by: str) -> str:
    return (f"Its time came, but Microsoft Graph refused the removal with {granted_by or 'the granter'}'s rights "
            "(the role or scope may be gone). Remove it now if you can.")


def granter_gone() -> str:
    return "Its time came, but the person who granted it no longer has an account here. Remove it now if you can."


def already_gone() -> str:
    return "It was no longer a member when its time came: nothing was removed."


def container_gone() -> str:
    return "Its container no longer exists: nothing was removed."


def bad_until(problem: str) -> Message:
    return Message(Tone.ERROR, f"Nothing was changed: {problem}", "Choose an end in the future, or add without an end.")


def kept_sign_in(until: datetime) -> str:
    return (f"Scheduled removals use your sign-in until {said_time(until)}. Revoking it stops them from running as "
            "you: each then waits, shown as overdue, for someone who can remove it.")


def not_yours() -> Message:
    return Message(Tone.ERROR, "Not moved: you can't change the members of this container, so you can't change when "
                   "their access ends either.")


def moved(end) -> Message:
    if end.is_open:
        return Message(Tone.OK, f"Now {until_line(end.expires_at)}. It will be removed then with your sign-in.")
    return Message(Tone.OK, "Made permanent: it won't be removed.")


def removed_on_time(end) -> Message:
    """The row a removal by the sweep leaves."""
    return Message(Tone.OK, f"Removed on time: access granted by {end.granted_by_name or 'someone'} "
                   f"until {said_time(end.expires_at)} ended.")


def ends_hint() -> str:
    return "An end applies to what you add here; the member is removed then, with your sign-in."


def granted_until_word() -> str:
    """Before an add's end in the journal ("Add Adele to Sales until 2026-12-05 17:00 CET")."""
    return "until"


def expired_tag() -> str:
    """Before a removal the sweep made when an end came, in the journal."""
    return "Expired"
