"""``manage.py sandbox seed [--if-empty] [--users N --groups N --big-group N]`` and ``manage.py sandbox reset``."""

import time

from django.core.management.base import BaseCommand, CommandError

from sandbox import seed
from sandbox.models import DirectoryObject


class Command(BaseCommand):
    help = "Seed or reset the sandbox tenant (deterministic Contoso directory with demo accounts)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        seed_parser = sub.add_parser("seed", help="Create the seeded tenant (replacing what is there).")
        seed_parser.add_argument("--if-empty", action="store_true", help="Do nothing if the tenant has objects.")
        reset_parser = sub.add_parser("reset", help="Delete everything in the tenant and seed it again.")
        for action_parser in (seed_parser, reset_parser):
            action_parser.add_argument("--users", type=int, help="Users (default SANDBOX_SEED_USERS).")
            action_parser.add_argument("--groups", type=int, help="Groups (default SANDBOX_SEED_GROUPS).")
            action_parser.add_argument("--big-group", type=int, dest="big_group_members",
                                       help="Members of the big group (default SANDBOX_SEED_BIG_GROUP_MEMBERS).")

    def handle(self, *args, action, **options):
        if action == "seed" and options.get("if_empty") and seed.is_seeded():
            self.stdout.write("The sandbox tenant is already seeded; nothing to do.")
            return
        sizes = {key: options[key] for key in ("users", "groups", "big_group_members") if options.get(key) is not None}
        if any(value < 0 for value in sizes.values()):
            raise CommandError("Sizes must not be negative.")
        started = time.monotonic()
        seed.seed_tenant(**sizes)

        self.stdout.write(
            f"Sandbox tenant {'reset' if action == 'reset' else 'seeded'}: "
            f"{DirectoryObject.objects.count()} directory objects in {time.monotonic() - started:.1f} s."
        )
