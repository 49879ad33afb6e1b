"""The app's tasks (``django.tasks`` on the database: ``manage.py db_worker`` runs them) and the
periodic one (``manage.py crontask`` enqueues it every ``SWEEP_EVERY`` seconds)."""

import logging
from datetime import timedelta

from apscheduler.triggers.interval import IntervalTrigger
from crontask import cron
from django.conf import settings
from django.tasks import task

from members import expiry, settle

log = logging.getLogger(__name__)


@cron(IntervalTrigger(seconds=settings.SWEEP_EVERY))
@task
def sweep() -> dict:
    """Remove what expired, then settle journal entries left open (a killed worker's, a lost answer's)."""
    swept = expiry.sweep()
    settled, waiting = settle.settle_everyone(older_than=settings.JOURNAL_SETTLE_AFTER)
    if swept.removed or swept.due or settled:
        log.info("sweep: %s removed, %s overdue, %s ended, %s waiting; %s journal entries settled",
                 swept.removed, swept.due, swept.ended, swept.waiting, settled)
    return {"removed": swept.removed, "due": swept.due, "ended": swept.ended, "waiting": swept.waiting,
            "settled": settled, "still_open": waiting}
