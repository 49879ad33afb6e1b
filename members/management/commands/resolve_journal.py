"""``manage.py resolve_journal [--older-than SECONDS]``: settle journal entries left open, now (the
periodic sweep does the same every ``SWEEP_EVERY`` seconds; ``members.settle`` says how)."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from members import settle


class Command(BaseCommand):
    help = "Settle pending or unknown journal entries by reading the memberships back."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, default=300, metavar="SECONDS",
                            help="Only entries written at least this long ago (default 300: none still in flight).")

    def handle(self, *args, older_than: float, **options):
        settled, waiting = settle.settle_everyone(older_than=timedelta(seconds=older_than))
        self.stdout.write(f"Settled {settled} open journal entr{'y' if settled == 1 else 'ies'}; "
                          f"{waiting} still open (no live sign-in of their actor, or Graph did not answer).")
