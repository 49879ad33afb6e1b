"""Settling journal entries left open, for everyone, with each actor's own rights (the periodic
sweep and ``manage.py resolve_journal``).

An entry stays *pending* when the server stopped between sending a change and recording Graph's
answer, and *unknown* when the answer was lost and the read-back failed too. Each membership is read
back with its actor's own delegated token: their kept sign-in, else one of their live sessions (the
app has no rights of its own). Entries whose actor has neither wait for the actor's next visit to
the journal page, which does the same.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model

from accounts.tokens import ReauthenticationRequired, stored_sessions
from members import changes
from members.client import graph_for_kept, graph_for_session


def settle_everyone(*, older_than: timedelta) -> tuple[int, int]:
    """Settle every actor's open entries written at least ``older_than`` ago: (settled, still open)."""
    entries = changes.open_entries(older_than=older_than)
    actor_ids = sorted(set(entries.exclude(actor=None).values_list("actor", flat=True)))
    settled = waiting = 0
    for actor in get_user_model().objects.filter(pk__in=actor_ids):
        mine = list(entries.filter(actor=actor))
        done = settle_as(actor, mine)
        settled += done
        waiting += len(mine) - done
    return settled, waiting


def settle_as(actor, entries) -> int:
    try:
        return changes.settle_open(graph_for_kept(actor), entries)
    except ReauthenticationRequired:
        pass
    for session in stored_sessions(actor):
        try:
            graph = graph_for_session(session)
        except ReauthenticationRequired:
            continue
        settled = changes.settle_open(graph, entries)
        session.save()  # msal may have refreshed the token cache
        return settled
    return 0
