"""``manage.py scheduler``: ``crontask`` (which enqueues the periodic sweep), standing by while another
server's scheduler holds the Redis lock instead of exiting, so that a one-command ``make serve`` on
each of several servers keeps running, and one of them takes over when the lock's holder stops."""

import io
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

TAKEN = "Another scheduler is already running"
STAND_BY = 5.0  # seconds between tries for the lock (crontask itself waits 15 s for it each try)


class Command(BaseCommand):
    help = "Run the periodic task scheduler (crontask); stand by while another server runs it."

    def handle(self, *args, **options):
        while True:
            said = io.StringIO()
            call_command("crontask", no_heartbeat=True, stdout=self.stdout, stderr=said)
            if TAKEN not in said.getvalue():
                self.stderr.write(said.getvalue())
                return  # stopped (a signal), or the lock was lost: the process manager decides
            self.stdout.write("Another server's scheduler holds the lock: standing by.")
            time.sleep(STAND_BY)
