"""``manage.py resolve_journal [--older-than SECONDS]``: settle journal entries left open.

An entry stays *pending* when the server stopped between sending a change and recording Graph's
answer, and *unknown* when the answer was lost and the read-back failed too. This reads each
membership back with its actor's own delegated token (from one of their live sessions: the app
has no rights of its own) and settles the entry to what really happened. Entries whose actor has
no live session wait for the actor's next visit to the journal page, which does the same.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from members import changes
from members.client import graph_for_session
from accounts.tokens import ReauthenticationRequired, stored_sessions


class Command(BaseCommand):
    help = "Settle pending or unknown journal entries by reading the memberships back."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, default=300, metavar="SECONDS",
                            help="Only entries written at least this long ago (default 300: none still in flight).")

    def handle(self, *args, older_than: float, **options):
        entries = changes.open_entries(older_than=timedelta(seconds=older_than))
        actor_ids = sorted(set(entries.exclude(actor=None).values_list("actor", flat=True)))
        settled = waiting = 0
        for actor in get_user_model().objects.filter(pk__in=actor_ids):
            mine = list(entries.filter(actor=actor))
            done = self._settle_as(actor, mine)
            settled += done
            waiting += len(mine) - done
        self.stdout.write(f"Settled {settled} open journal entr{'y' if settled == 1 else 'ies'}; "
                          f"{waiting} still open (no live sign-in of their actor, or Graph did not answer).")

    def _settle_as(self, actor, entries) -> int:
        for session in stored_sessions(actor):
            try:
                graph = graph_for_session(session)
            except ReauthenticationRequired:
                continue
            settled = changes.settle_open(graph, entries)
            session.save()  # msal may have refreshed the token cache
            return settled
        return 0
