"""The app's tasks (``django.tasks`` on the database: ``manage.py db_worker`` runs them) and the
periodic one (``manage.py scheduler`` enqueues it every ``SWEEP_EVERY`` seconds)."""

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
    forget_finished_tasks()
    if swept.removed or swept.due or settled:
        log.info("sweep: %s removed, %s overdue, %s ended, %s waiting; %s journal entries settled",
                 swept.removed, swept.due, swept.ended, swept.waiting, settled)
    return {"removed": swept.removed, "due": swept.due, "ended": swept.ended, "waiting": swept.waiting,
            "settled": settled, "still_open": waiting, "resumed": len(resumed)}


# The task engine's own records of finished tasks (a sweep every SWEEP_EVERY seconds is thousands a
# day): kept a day, for /healthz and whoever looks at a failure. What a task did is in the journal.
TASK_RESULTS_KEPT = timedelta(days=1)


def forget_finished_tasks() -> int:
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=timezone.now() - TASK_RESULTS_KEPT).delete()
    return deleted


@task
def run_change(job_id: str) -> str:
    """Make a background change (``members.background``): what is left of it, with its person's kept sign-in."""
    return background.run(uuid.UUID(job_id))
