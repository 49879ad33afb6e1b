"""The app's tasks (``django.tasks`` on the database: ``manage.py db_worker`` runs them) and the
periodic one (``manage.py crontask`` enqueues it every ``SWEEP_EVERY`` seconds)."""

import logging
import uuid
from datetime import timedelta

from apscheduler.triggers.interval import IntervalTrigger
from crontask import cron
from django.conf import settings
from django.tasks import task

from members import background, expiry, settle

log = logging.getLogger(__name__)


@cron(IntervalTrigger(seconds=settings.SWEEP_EVERY))
@task
def sweep() -> dict:
    """Remove what expired, then settle journal entries left open (a killed worker's, a lost answer's)."""
    swept = expiry.sweep()
    settled, waiting = settle.settle_everyone(older_than=settings.JOURNAL_SETTLE_AFTER)
    # A background change whose worker went quiet (killed) resumes from where its journal says it got.
    resumed = background.stale_jobs()
    for job_id in resumed:
        run_change.enqueue(str(job_id))
    if swept.removed or swept.due or settled:
        log.info("sweep: %s removed, %s overdue, %s ended, %s waiting; %s journal entries settled",
                 swept.removed, swept.due, swept.ended, swept.waiting, settled)
    return {"removed": swept.removed, "due": swept.due, "ended": swept.ended, "waiting": swept.waiting,
            "settled": settled, "still_open": waiting, "resumed": len(resumed)}


@task
def run_change(job_id: str) -> str:
    """Make a background change (``members.background``): what is left of it, with its person's kept sign-in."""
    return background.run(uuid.UUID(job_id))
