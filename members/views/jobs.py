"""Background changes (thin views over ``members.background``): starting one from a change view, and
``GET /jobs/<uuid>/``, its progress (the fragment htmx polls every second while it runs) or its page.

A job is shown to the person who started it only: anyone else gets a 404, as for an id that doesn't exist.
"""

import uuid
from datetime import datetime

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.db import transaction
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts import kept
from accounts.tokens import granted_scopes
from members import background, changes, expiry, explain, paste
from members.directory import Action, Container, DirectoryItem, Kind
from members.graph import Result
from members.permissions import ALLOWED
from members.tasks import run_change
from members.explain import jobs as words
from members.models import BackgroundChange, JobKind, JobState
from members.views.common import is_fragment, members_changed, note

JOB = "members/_job.html"


def is_large(count: int) -> bool:
    """A change of more members than this runs as a task (``BACKGROUND_CHANGE_ABOVE``)."""
    return count > settings.BACKGROUND_CHANGE_ABOVE


def launch(request: HttpRequest, job_kind: JobKind, action: Action, container: Container, member_ids: list[str], *,
           items=None, container_name: str = "", lines=None, entries=(), until: datetime | None = None,
           change_id: uuid.UUID | None = None, with_note: changes.Note | None = None) -> BackgroundChange:
    """Keep the person's sign-in for the job, write it, enqueue it; nothing is sent from this request."""
    told = with_note or note(request)
    keep_until = timezone.now() + settings.BACKGROUND_CHANGE_KEEP
    # If nothing can be kept (a session without a token cache), the job stops at once, visibly.
    kept.keep(request.session, request.user, max(keep_until, until) if until else keep_until)
    with transaction.atomic():  # the job and its task, or neither
        job = background.start(request.user, job_kind, action, container, member_ids, items=items, lines=lines,
                               container_name=container_name, entries=entries,
                               note=changes.Note(ticket=told.ticket, reason=told.reason,
                                                 change=change_id or told.change, until=until))
        run_change.enqueue(str(job.id))
    return job


def context_of(job: BackgroundChange, *, compact: bool = False) -> dict:
    """What the job's fragment shows: progress while it runs, then the outcome per member."""
    action = Action(job.action)
    container = Container(Kind(job.container_kind), job.container_id)
    context = {"job": job, "kind": container.kind, "address": container, "compact": compact,
               "heading": words.heading(job.job_kind, action, job.total, job.container_name),
               "progress": words.progress(job.done, job.total), "job_selector": f"#job-{job.id}",
               "state_text": words.queued() if job.state == JobState.QUEUED else words.running()}
    if job.unfinished:
        return context
    found = background.lines(job)
    if job.state == JobState.INTERRUPTED:
        context["stopped"] = words.waits_for_sign_in(background.not_sent(job))
    if job.job_kind == JobKind.REVERT:
        done = sum(1 for line in found if line.outcome is not None and line.outcome.took_effect)
        summary = explain.revert_all_outcome(done, len(job.entry_ids))
        context.update(summary=summary.text, failed=summary.tone == "error", lines=found)
        return context
    tally = background.tally(found)
    context.update(summary=explain.paste_run_summary(action, tally), lines=found,
                   failed=any(not outcome.took_effect for outcome in tally),
                   undo=background.done_entries(found))
    if job.job_kind == JobKind.PASTE:
        context["run_lines"] = _run_lines(job, found)
    return context


def _run_lines(job: BackgroundChange, found: list[background.Line]) -> list[paste.RunLine]:
    items = background.items_of(job)
    by_member = {line.member_id: line for line in found}
    out = []
    for data in job.lines:
        line = paste.Line.from_json(data, items)
        result = by_member.get(line.member.id) if line.member and line.status is paste.Status.CHANGE else None
        out.append(paste.RunLine(line, result.outcome, result.message, result.entry_id) if result else paste.RunLine(line))
    return out


def shown_jobs(request: HttpRequest, container_id: str | None = None) -> list[dict]:
    """The person's jobs still running or waiting for them (of one container): Home and the container page list them."""
    return [context_of(job, compact=True) for job in BackgroundChange.objects.shown_to(request.user, container_id)[:20]]


def answer(request: HttpRequest, job: BackgroundChange, fragment: str = "job-progress", **extra) -> HttpResponse:
    """What a change view answers once it started a job: its progress (to htmx), or the job's page."""
    if not request.htmx:
        return redirect("members:job-detail", job.id)
    return render(request, f"{JOB}#{fragment}", {**context_of(job), **extra})


@require_GET
def job_detail(request: HttpRequest, job_id: uuid.UUID) -> HttpResponse:
    """One job of the viewer's: its progress fragment to htmx (polled until done), else its page."""
    job = BackgroundChange.objects.filter(pk=job_id, actor=request.user).first()
    if job is None:
        raise Http404(words.not_found())
    context = context_of(job, compact=bool(request.GET.get("compact")))
    if not is_fragment(request):
        return render(request, "members/job_page.html", context)
    if not job.unfinished and not context["compact"]:
        context.update(_table_follows(request, job, context))
    response = render(request, f"{JOB}#job-finished" if not job.unfinished else f"{JOB}#job-progress", context)
    if not job.unfinished:
        members_changed(response)  # the count and recent changes follow what the job did
    return response


def _table_follows(request: HttpRequest, job: BackgroundChange, context: dict) -> dict:
    """The member table follows a finished change as it follows one made in the request: the members
    added, the rows of those removed (an Undo's job leaves that to the count and a reload)."""
    if job.job_kind == JobKind.REVERT:
        return {}
    items = background.items_of(job)
    action = Action(job.action)
    follows = {"verdict": ALLOWED, "no_way_back": explain.no_way_back(context["kind"], granted_scopes(request))}
    if action is Action.ADD:
        added = [items.get(line.member_id) or DirectoryItem.unknown(line.member_id)
                 for line in context["lines"] if line.outcome is not None and line.outcome.may_have_changed]
        return {**follows, "added": added, "ends": expiry.ends_of(job.container_id, [m.id for m in added])}
    gone = [{"member": items.get(line.member_id) or DirectoryItem.unknown(line.member_id), "message": line.message,
             "result": Result(line.member_id, line.outcome, request_id=line.message.request_id)}
            for line in context["lines"] if line.outcome is not None and line.outcome.took_effect]
    return {**follows, "gone": gone}
