"""An expiring membership's end: ``GET /expiries/<id>/`` answers its state (a row whose end is near
polls it, and becomes "removed on time" once the sweep removed it); ``POST /expiries/<id>/`` with
``ends`` (and ``ends_at``) extends or shortens it; an empty ``ends`` makes it permanent. Only someone
who may change the container's members may move its ends (a later removal is made with the mover's
rights); anyone who may read the container's page may read them. ``on=person``: the end is drawn on
the person's page (its place there is named by the container, the person being the same on every row)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from members import explain, expiry, memo
from members.directory import Container, DirectoryItem, Kind
from members.graph import GraphError
from members.models import Expiry, ExpiryState
from members.schedule import BadEnd
from members.views.common import MEMBERS, asked_end, bad_end, detail_url, graph_for, members_changed
from members.views.containers import detail_context
from accounts import kept

STOP_POLLING = 286  # htmx 2: the answer is swapped and the element polls no more


@require_http_methods(["GET", "HEAD", "POST"])
def expiry_detail(request: HttpRequest, end_id: int) -> HttpResponse:
    """One URL for an end: GET reads it, POST moves it."""
    return expiry_move(request, end_id) if request.method == "POST" else expiry_state(request, end_id)


def expiry_state(request: HttpRequest, end_id: int) -> HttpResponse:
    """What became of an end (polled by a row whose end is near): unchanged and still to come, 204
    (nothing to swap); removed on time, the row the removal leaves (``HX-Retarget`` the row) and the
    member count follows; otherwise (moved, made permanent, overdue) the end as it is now, polling stopped."""
    end = get_object_or_404(Expiry, pk=end_id)
    container = Container(Kind(end.container_kind), end.container_id)
    try:
        context = detail_context(request, graph_for(request), container, fresh=False)
    except GraphError:
        return HttpResponse(status=404)  # as for an end that doesn't exist: the page isn't theirs to read
    if not request.htmx:
        return redirect(detail_url(container))
    place = _place(request, end)
    if end.state == ExpiryState.REMOVED:
        return _removed_row(request, end, context, place)
    if end.state == ExpiryState.SCHEDULED and expiry.polls(end) and request.GET.get("at") == f"{end.expires_at.timestamp():.0f}":
        return HttpResponse(status=204)
    response = render(request, MEMBERS + "#member-end", {**context, "end": end if end.is_open else None,
                                                         "end_member": place, "person_page": _on_person(request)})
    if not (end.state == ExpiryState.SCHEDULED and expiry.polls(end)):
        response.status_code = STOP_POLLING
    return response


def _removed_row(request: HttpRequest, end: Expiry, context: dict, place: str) -> HttpResponse:
    member = memo.recall_items(request.session, [end.member_id]).get(end.member_id) or DirectoryItem(
        id=end.member_id, type="", display_name=end.member_name or end.member_id, principal=end.member_principal)
    message = explain.expiry.removed_on_time(end)
    if _on_person(request):
        response = render(request, "members/person.html#membership-expired",
                          {"end": end, "message": message, "kind_label": Kind(end.container_kind).label})
        response["HX-Retarget"] = f"#membership-{end.container_id}"
    else:
        response = render(request, MEMBERS + "#removed-row",
                          {**context, "member": member, "message": message, "result": None, "oob": False})
        response["HX-Retarget"] = f"#member-{end.member_id}"
    response["HX-Reswap"] = "outerHTML"
    response.status_code = STOP_POLLING
    return members_changed(response)


def expiry_move(request: HttpRequest, end_id: int) -> HttpResponse:
    end = get_object_or_404(Expiry.objects.open(), pk=end_id)
    container = Container(Kind(end.container_kind), end.container_id)
    context = {"end": end, "end_member": _place(request, end), "kind": container.kind, "address": container,
               "person_page": _on_person(request)}
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


def _on_person(request: HttpRequest) -> bool:
    return (request.POST if request.method == "POST" else request.GET).get("on") == "person"


def _place(request: HttpRequest, end: Expiry) -> str:
    """The end's DOM id suffix: the member on a container's page, the container on a person's."""
    return end.container_id if _on_person(request) else end.member_id


def _answer(request: HttpRequest, container: Container, context: dict) -> HttpResponse:
    if not request.htmx:
        return redirect(detail_url(container))
    return render(request, MEMBERS + "#member-end", context)
