"""Membership changes: each add or remove ends in one ``Result`` per member, never an exception.

When an answer is lost the membership is read back, never blindly resent: a 503/504 to a POST or
PATCH may have been applied. A DELETE is idempotent, so it is resent; a resend that finds the
member gone after a 503/504 is "as asked" (the first send may have done it).
"""

from dataclasses import dataclass

from members.directory import Container, Kind, ObjectId, Outcome
from members.graph import odata, paths, roles
from members.graph.errors import GraphError
from members.graph.odata import CHANGE_CHUNK, chunks
from members.graph.transport import BatchAnswer, Transport



@dataclass(frozen=True)
class Result:
    """The outcome of one membership change, with Graph's error when there was one."""

    member_id: str
    outcome: Outcome
    error: GraphError | None = None
    request_id: str = ""


# --- reading a membership back ------------------------------------------------------------

def read_membership(transport: Transport, container: Container, member_ids: list[str]) -> dict[str, bool | None]:
    """Whether each id is a direct member now (None where the read failed too), with the reads Microsoft
    documents for each kind: a role's one read of all its members; a group's members filtered by id
    (an advanced query); a unit's ``members/{id}``, one GET or a $batch of them."""
    ids = list(member_ids)
    if container.kind is Kind.ROLES:
        return roles.membership(transport, container, ids)
    if container.kind is Kind.GROUPS:
        try:
            return filtered_membership(transport, container, ids)[0]
        except GraphError:
            return dict.fromkeys(ids)
    if len(ids) == 1:
        try:
            return {ids[0]: is_member(transport, container, ids[0])}
        except GraphError:
            return {ids[0]: None}
    asked = {m: odata.with_query(paths.member_path(container, m, transport.base_url), {"$select": "id"}, encoded=False)
             for m in ids}
    try:
        answers = transport.batch_get(asked)
    except GraphError:
        return dict.fromkeys(ids)
    return {m: (None if not answers[m].is_not_found else False) if isinstance(answers[m], GraphError) else True
            for m in ids}


def filtered_membership(transport: Transport, container: Container, ids: list[str]
                        ) -> tuple[dict[str, bool | None], list[str]]:
    """``…/members?$filter=id in (…)`` with advanced-query parameters, 15 ids a request, in $batch: 300
    ids a round trip, whatever the container's size. The state of each id (None: not read), and the ids
    whose container refused the filter (400)."""
    id_chunks = list(chunks([ObjectId(m) for m in ids], odata.IN_FILTER_LIMIT))
    path = paths.members_path(container, transport.base_url)
    asked = {str(n): odata.get(path, odata.id_in(chunk), odata.EVENTUAL) for n, chunk in enumerate(id_chunks)}
    answers = transport.batch_requests(asked) if asked else {}
    state: dict[str, bool | None] = {}
    unsupported: list[str] = []
    for n, chunk in enumerate(id_chunks):
        answer = answers[str(n)]
        if isinstance(answer, GraphError):
            if answer.status == 400:
                unsupported.extend(chunk)
            state.update(dict.fromkeys(chunk))
            continue
        present = {item.get("id") for item in answer.get("value", [])}
        state.update((m, m in present) for m in chunk)
    return state, unsupported


def is_member(transport: Transport, container: Container, member_id: str) -> bool:
    """Whether ``member_id`` is a direct member now (GET .../members/{id}: 200 or 404)."""
    url = transport.url(paths.member_path(container, member_id, transport.base_url))
    try:
        transport.request("GET", url, params={"$select": "id"})
    except GraphError as error:
        if error.is_not_found:
            return False
        raise
    return True


def _read_until_landed(transport: Transport, container: Container, ids: list[str], want_member: bool
                       ) -> dict[str, bool | None]:
    """The membership of ``ids`` as it stands once the transport's ``replication_window`` has passed.

    A replica may not have the write yet (those read as not landed are read again, a few times within
    the window), nor an earlier change of the same membership (a read that shows it as asked may be a
    replica still showing the state before that change: read once more when the window is over)."""
    window = transport.replication_window
    state = read_membership(transport, container, ids)
    waited, step = 0.0, max(window / 4, 0.05)
    while waited < window:
        not_yet = [m for m in ids if state.get(m) is not None and state[m] != want_member]
        if not not_yet:
            break
        transport.sleep(min(step, window - waited))
        waited += step
        state.update((m, seen) for m, seen in read_membership(transport, container, not_yet).items() if seen is not None)
    landed = [m for m in ids if state.get(m) == want_member]
    if window > 0 and landed:
        if waited < window:
            transport.sleep(window - waited)
        state.update((m, seen) for m, seen in read_membership(transport, container, landed).items() if seen is not None)
    return state


def _read_back(transport: Transport, container: Container, ids: list[str], error: GraphError | None, *,
               want_member: bool, errors: dict[str, GraphError] | None = None) -> list[Result]:
    """No clear answer to a write: read the membership back instead of resending.

    As asked: AS_ASKED (landed, or so already: a read can't tell). Not landed, still after the
    replication window: the error's outcome (busy: not done), except after a timeout, when Graph
    may still be working on the call (UNKNOWN: settled later). Read failed: UNKNOWN.
    """
    state = _read_until_landed(transport, container, ids, want_member)
    return [read_back_result(member_id, state.get(member_id), want_member, (errors or {}).get(member_id) or error)
            for member_id in ids]


def read_back_result(member_id: str, is_now: bool | None, wanted: bool, cause: GraphError) -> Result:
    """What a write whose answer was lost did, from a read of the state after it (``is_now``; None:
    the read failed): as asked, not done, or not known yet."""
    if is_now is None:
        return Result(member_id, Outcome.UNKNOWN, cause, cause.request_id)
    if is_now == wanted:
        return Result(member_id, Outcome.AS_ASKED, cause, cause.request_id)
    if cause.code == "Timeout":  # sent, and perhaps still running: "not landed" means "not yet"
        return Result(member_id, Outcome.UNKNOWN, cause, cause.request_id)
    return result_of_error(member_id, cause)


# --- one member ---------------------------------------------------------------------------

def remove_member(transport: Transport, container: Container, member_id: str) -> Result:
    """DELETE the member reference (``/$ref``); "not a member" is the outcome ALREADY."""
    url = transport.url(paths.member_ref_path(container, member_id, transport.base_url))
    try:
        response = transport.request("DELETE", url)
    except GraphError as error:
        retried = error.is_retryable  # a 503/504 was, to the bound: DELETE is idempotent
        if error.is_not_found and error.earlier is not None:
            return _as_asked_after_earlier_send(member_id, error.earlier)
        # No answer, or a server error, now or to an earlier send (which may have been applied):
        # read back, never guess.
        if (error.is_uncertain and not retried) or (error.earlier is not None and error.is_busy):
            return _read_back(transport, container, [member_id], error.earlier or error, want_member=False)[0]
        return result_of_error(member_id, error, already=error.is_not_found)
    return Result(member_id, Outcome.DONE, request_id=response.headers.get("request-id", ""))


def add_member(transport: Transport, container: Container, member_id: str) -> Result:
    """POST one member reference; "already a member" is the outcome ALREADY."""
    body = {"@odata.id": paths.directory_object_url(transport.base_url, member_id)}
    url = transport.url(paths.members_ref_path(container, transport.base_url))
    try:
        response = transport.request("POST", url, json=body)
    except GraphError as error:
        if error.is_uncertain:
            return _read_back(transport, container, [member_id], error, want_member=True)[0]
        return result_of_error(member_id, error, already=error.is_already_member)
    return Result(member_id, Outcome.DONE, request_id=response.headers.get("request-id", ""))


# --- many members -------------------------------------------------------------------------

def add_members(transport: Transport, container: Container, member_ids: list[str]) -> list[Result]:
    """Add several members: groups one PATCH per 20 (all-or-nothing), others in $batch."""
    return _change_many(transport, container, member_ids, add=True)


def remove_members(transport: Transport, container: Container, member_ids: list[str]) -> list[Result]:
    """Remove several members: DELETEs of member references (each ending in /$ref) in $batch, 20 at a time."""
    return _change_many(transport, container, member_ids, add=False)


def _change_many(transport: Transport, container: Container, member_ids: list[str], *, add: bool) -> list[Result]:
    ids = list(dict.fromkeys(member_ids))
    if len(ids) == 1:
        return [(add_member if add else remove_member)(transport, container, ids[0])]
    bind = add and container.kind is Kind.GROUPS and not container.by_template
    results = []
    for chunk in chunks(ids, CHANGE_CHUNK):
        results.extend(_bind_members(transport, container, chunk) if bind
                       else _batch_change(transport, container, chunk, add=add))
    return results


def _bind_members(transport: Transport, container: Container, ids: list[ObjectId]) -> list[Result]:
    body = {"members@odata.bind": [paths.directory_object_url(transport.base_url, m) for m in ids]}
    url = transport.url(paths.container_path(container, transport.base_url))
    try:
        response = transport.request("PATCH", url, json=body)
    except GraphError as error:
        if error.is_uncertain:
            return _read_back(transport, container, ids, error, want_member=True)
        if error.status in {400, 404} and len(ids) > 1:
            # All-or-nothing: one bad or existing member fails the lot; learn which, each its own
            # item of one $batch (one more round trip, not one per member).
            return _batch_change(transport, container, ids, add=True)
        return [result_of_error(m, error) for m in ids]
    request_id = response.headers.get("request-id", "")
    return [Result(m, Outcome.DONE, request_id=request_id) for m in ids]


def _batch_change(transport: Transport, container: Container, ids: list[ObjectId], *, add: bool) -> list[Result]:
    """One $batch of adds (POST .../members/$ref) or removes (DELETE .../members/{id}/$ref).

    Items throttled (429; for a remove, 503/504 too: a DELETE is idempotent) were not done: the
    transport sends them again together, within its retry policy (GRAPH.md §6); then the rest are
    reported busy, or read back where an earlier send got a 503/504 (it may have been applied).
    """
    resend = _resend_adds if add else _resend_removes
    try:
        answers = transport.batch(_change_items(transport, container, ids, add=add), resend=resend)
    except GraphError as error:
        if error.is_uncertain:  # the $batch itself got no clear answer: any item may have run
            return _read_back(transport, container, ids, error, want_member=add)
        return [result_of_error(m, error) for m in ids]
    results: dict[str, Result] = {}
    uncertain: dict[str, GraphError] = {}
    for member_id in ids:
        outcome = _item_result(member_id, answers[member_id], add=add, resend=resend)
        if isinstance(outcome, Result):
            results[member_id] = outcome
        else:
            uncertain[member_id] = outcome
    if uncertain:
        read = _read_back(transport, container, list(uncertain), None, want_member=add, errors=uncertain)
        results.update((r.member_id, r) for r in read)
    return [results[m] for m in ids]


def _item_result(member_id: ObjectId, answer: BatchAnswer, *, add: bool, resend) -> Result | GraphError:
    """One item's Result, or the error to read its membership back by."""
    if answer.ok:
        return Result(member_id, Outcome.DONE, request_id=answer.request_id)
    error = answer.error()
    if answer.lost is not None:  # the resent $batch carrying it got no usable answer: read back if unclear
        return error if error.is_uncertain else result_of_error(member_id, error)
    if resend(error):  # still throttled when the retries ran out
        return answer.earlier if answer.earlier is not None else result_of_error(member_id, error)
    if error.is_uncertain:
        return error
    if not add and error.is_not_found and answer.earlier is not None:
        return _as_asked_after_earlier_send(member_id, answer.earlier)
    return result_of_error(member_id, error, already=error.is_already_member if add else error.is_not_found)


def _resend_adds(error: GraphError) -> bool:
    return error.status == 429


def _resend_removes(error: GraphError) -> bool:
    return error.status == 429 or error.is_busy


def _change_items(transport: Transport, container: Container, ids: list[ObjectId], *, add: bool) -> dict[str, dict]:
    """The $batch items of adds or removes, by member id."""
    if add:
        path = paths.members_ref_path(container, transport.base_url)
        return {m: odata.post_json(path, {"@odata.id": paths.directory_object_url(transport.base_url, m)}) for m in ids}
    return {m: {"method": "DELETE", "url": paths.member_ref_path(container, m, transport.base_url)} for m in ids}


def _as_asked_after_earlier_send(member_id: str, earlier: GraphError) -> Result:
    """A removal sent again after a 503/504 found the member gone: the first send, answered with that
    server error, may have been applied (Graph can fail after committing) or may have found the member
    gone already. As asked either way; not "already so", which would deny the first send's doing."""
    return Result(member_id, Outcome.AS_ASKED, earlier, earlier.request_id)


def result_of_error(member_id: str, error: GraphError, *, already: bool = False) -> Result:
    if already:
        outcome = Outcome.ALREADY
    elif error.is_busy:
        outcome = Outcome.BUSY
    elif 400 <= error.status < 500:
        outcome = Outcome.REFUSED
    else:
        outcome = Outcome.FAILED
    return Result(member_id, outcome, error, error.request_id)
