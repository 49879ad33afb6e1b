"""Pasting a list: the dry run, then the run of what it resolved (thin views over ``members.paste``).

``POST /<kind>/<id>/members/paste/`` (fields ``action`` add|remove, ``lines``) answers the dry run:
one row per entry, classified, nothing written; the plan it resolved stays in the session
(``members.memo``) behind an opaque key. ``POST …/paste/run/`` (field ``plan``) changes those ids
through the journal (``change`` -> ``members.changes``): a run of one slice in the request, a
larger one whole as a background change (``members.views.jobs``), whose progress the page then
follows. Without htmx each answer is a whole page (a background run's is the job's page).
"""

import uuid
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from members import changes, expiry, explain, memo, paste
from members.directory import Action, Outcome
from members.explain import Message, Tone
from members.forms import PasteForm
from members.graph import GraphError
from members.directory import Container
from accounts.tokens import granted_scopes
from portal.oversize import answers_too_big
from members.permissions import ALLOWED
from members.schedule import BadEnd
from members.views.common import (asked_end, bad_end, change, graph_for, is_fragment, members_changed, no_way_back,
                                  row_context)
from members.views import jobs
from members.views.containers import detail_context
from members.models import BackgroundChange, JobKind

RESULTS = "members/_paste_results.html"
PAGE = "members/paste_page.html"
SLICE = 100  # members a run request changes (five round trips at most): the page shows progress between


def _answer(request: HttpRequest, context: dict, *, status: int = 200) -> HttpResponse:
    """The results fragment to htmx; a page of its own otherwise."""
    return render(request, RESULTS if is_fragment(request) else PAGE, context, status=status)


def _failed(request: HttpRequest, container: Container, message: Message) -> HttpResponse:
    return _answer(request, {"kind": container.kind, "address": container, "failure": message},
                   status=200 if request.htmx else 400)


def _too_long(request: HttpRequest, kind, container_id: str) -> HttpResponse:
    """A paste larger than a request may carry: said in the paste form's place, as a paste over the
    form's own limit is (``portal.oversize`` answers with this before anything is read)."""
    return _failed(request, Container(kind, container_id), Message(Tone.ERROR, explain.paste_too_long()))


@answers_too_big(_too_long)
@require_POST
def member_paste(request: HttpRequest, kind, container_id: str) -> HttpResponse:
    """The dry run: every pasted entry resolved and classified in a few Graph round trips; nothing written."""
    container = Container(kind, container_id)
    form = PasteForm(request.POST)
    if not form.is_valid():
        if form.has_error("lines", "null_characters_not_allowed"):
            text = request.POST.get("lines", "")
            return _failed(request, container, explain.paste_nul(text.count("\n", 0, text.find("\x00")) + 1))
        text = explain.paste_too_long() if form.has_error("lines", "max_length") else explain.paste_nothing()
        return _failed(request, container, Message(Tone.ERROR, text))
    action = Action(form.cleaned_data["action"])
    try:
        paste.read(form.cleaned_data["lines"])  # too many entries: refused before Graph is asked anything
    except paste.TooManyEntries as exc:
        return _failed(request, container, Message(Tone.ERROR, str(exc)))
    graph = graph_for(request)
    try:
        context = detail_context(request, graph, container, fresh=False)
    except GraphError as exc:
        return _failed(request, container, explain.load_failed(exc, "the pasted entries"))
    if not context["verdict"].allowed:  # said before anything about the entries
        return _answer(request, {"kind": container.kind, "address": container,
                                 "failure": explain.paste_not_allowed(context["kind"], context["disabled_reason"])})
    try:
        remembered = memo.recall_container(request.session, context["address"])
        lines = paste.preview(graph, action, context["address"], context["container"], context["access"],
                              granted_scopes(request), remembered[1] if remembered else None,
                              form.cleaned_data["lines"])
    except GraphError as exc:
        return _failed(request, container, explain.load_failed(exc, "the pasted entries"))
    plan = paste.plan_of(context["address"], action, lines)
    plan["name"] = context["container"].display_name  # a background run's heading names the container
    split = explain.paste_entries_from_lines(len(lines), paste.line_count(form.cleaned_data["lines"]))
    context.update({"action": action, "lines": lines, "counts": _counts(lines), "to_change": len(plan["queue"]), "split": split,
                    "plan": memo.remember_plan(request.session, plan), "dry_run": True})
    return _answer(request, context)


def _counts(lines: list[paste.Line]) -> list[tuple[str, str, int]]:
    return [(status, paste.Status(status).label, count) for status, count in paste.counts(lines).items()]


@require_POST
def member_paste_run(request: HttpRequest, kind, container_id: str) -> HttpResponse:
    """Run a dry run's plan: the ids it resolved (never the text again), a slice per request.

    ``retry=busy`` runs again the members Graph was too busy for (after their Retry-After).
    """
    container = Container(kind, container_id)
    key = request.POST.get("plan", "")
    plan = memo.recall_plan(request.session, key)
    if plan is None or plan["kind"] != container.kind.value or plan["id"] != container.id:
        return _failed(request, container, Message(Tone.ERROR, explain.paste_expired()))
    if request.POST.get("retry") == "busy":
        paste.retry_busy(plan)
    action = Action(plan["action"])
    if "until" not in plan:  # the end chosen when the run starts is the whole run's
        try:
            until = asked_end(request) if action is Action.ADD else None
        except BadEnd as problem:
            return _failed(request, container, bad_end(problem))
        plan["until"] = until.isoformat() if until else None
    until = datetime.fromisoformat(plan["until"]) if plan["until"] else None
    if plan.get("job") or len(plan["queue"]) - plan["done"] > SLICE:
        return _in_background(request, container, key, plan, action, until)
    end = plan["done"] + SLICE if request.htmx else len(plan["queue"])
    todo = plan["queue"][plan["done"]:end]
    info, rows = None, []
    if todo:
        info, rows = change(request, action, container, todo, items=paste.plan_items(plan),
                            change_id=paste.change_of(plan), until=until)
        paste.record(plan, rows)
        memo.remember_items(request.session, [row.member for row in rows])  # an Undo needs no second read
    plan["done"] += len(todo)
    memo.update_plan(request.session, key, plan)
    context = {"kind": container.kind, "address": container, "action": action, "plan": key,
               "done": plan["done"], "total": len(plan["queue"]), **_table_follows(request, container, action, rows)}
    if plan["done"] < len(plan["queue"]):
        response = _answer(request, {**context, "running": True})
    else:
        tally = paste.tally(plan)
        context.update({"lines": paste.plan_results(plan), "container": info, "busy": tally[Outcome.BUSY],
                        "summary": explain.paste_run_summary(action, tally), "finished": True,
                        "undo": paste.done_entries(plan),
                        "failed": sum(n for outcome, n in tally.items() if not outcome.took_effect)})
        response = _answer(request, context)
    if todo and any(Outcome(plan["results"][m][0]).may_have_changed for m in todo):
        members_changed(response)
    return response


def _in_background(request: HttpRequest, container: Container, key: str, plan: dict, action: Action,
                   until: datetime | None) -> HttpResponse:
    """A run larger than one slice is one task, whole: this request sends nothing and answers its progress.
    The plan remembers its job, so a second click follows that job rather than starting another."""
    job = BackgroundChange.objects.filter(pk=plan["job"], actor=request.user).first() if plan.get("job") else None
    if job is None:
        # A retry of the busy ones is a change of its own: the run's change already journaled them.
        change_id = uuid.uuid4() if plan["done"] == 0 and plan.get("results") else paste.change_of(plan)
        job = jobs.launch(request, JobKind.PASTE, action, container, plan["queue"][plan["done"]:],
                          items=paste.plan_items(plan), lines=plan["lines"], until=until, change_id=change_id,
                          container_name=plan.get("name", ""))
        plan["job"] = str(job.id)
        memo.update_plan(request.session, key, plan)
    return jobs.answer(request, job, "job-in", wrapper_id="paste-run", wrapper_class="paste-run")


def _table_follows(request: HttpRequest, container: Container, action: Action, rows: list[changes.Row]) -> dict:
    """What the member table needs to follow this slice, as it follows the picker and Remove selected:
    the members added, the rows of those removed (or gone already)."""
    if action is Action.ADD:
        changed = {"added": [row.member for row in rows if row.result.outcome.may_have_changed]}
        changed["ends"] = expiry.ends_of(container.id, [member.id for member in changed["added"]])
    else:
        changed = {"gone": [row_context(row) for row in rows if row.result.outcome.took_effect]}
    return {**changed, "verdict": ALLOWED, "no_way_back": no_way_back(request, container.kind)}
