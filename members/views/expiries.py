"""Moving an end: ``POST /expiries/<id>/`` with ``ends`` (and ``ends_at``) extends or shortens an
expiring membership; an empty ``ends`` makes it permanent. Only someone who may change the container's
members may move its ends (a later removal is made with the mover's rights)."""

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from members import expiry
from members.directory import Container, Kind
from members.graph import GraphError
from members.models import Expiry
from members.schedule import BadEnd
from members.views.common import MEMBERS, asked_end, bad_end, detail_url, graph_for
from members.views.containers import detail_context
from members import explain
from accounts import kept


@require_POST
def expiry_move(request: HttpRequest, end_id: int) -> HttpResponse:
    end = get_object_or_404(Expiry.objects.open(), pk=end_id)
    container = Container(Kind(end.container_kind), end.container_id)
    context = {"end": end, "end_member": end.member_id, "kind": container.kind, "address": container}
    try:
        verdict = detail_context(request, graph_for(request), container, fresh=False)["verdict"]
    except GraphError as exc:
        return _answer(request, container, {**context, "end_notice": explain.load_failed(exc, "this container")})
    if not verdict.allowed:
        return _answer(request, container, {**context, "end_notice": explain.expiry.not_yours()})
    try:
        until = asked_end(request)
    except BadEnd as problem:
        return _answer(request, container, {**context, "end_notice": bad_end(problem)})
    if until is not None:
        kept.keep(request.session, request.user, until)
    moved = expiry.move(end, until, request.user)
    if until is None:
        expiry.let_go_if_idle(moved.granted_by_id)
    return _answer(request, container, {**context, "end": moved if moved.is_open else None,
                                        "end_notice": explain.expiry.moved(moved)})


def _answer(request: HttpRequest, container: Container, context: dict) -> HttpResponse:
    if not request.htmx:
        return redirect(detail_url(container))
    return render(request, MEMBERS + "#member-end", context)
