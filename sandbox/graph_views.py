"""The HTTP face of the Graph emulation: one view for every path under /sandbox/graph/<version>/.

It authenticates the bearer token (E10), applies the knobs (latency, faults), hands a ``Call`` to
``sandbox.graph.routing`` (or ``batch``), and writes Graph's headers: ``request-id``,
``client-request-id`` (echoed, else the request id), ``x-ms-ags-diagnostic``, ``OData-Version``.
"""

import json
import time
import uuid

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox import knobs
from sandbox.graph import batch, errors, routing
from sandbox.graph.call import MISSING, Call, Result
from sandbox.tokens import InvalidToken, read_access_token
from sandbox.transport import FAULT_HEADER

PUBLIC_GRAPH = "https://graph.sandbox.test"
DIAGNOSTIC = json.dumps(
    {"ServerInfo": {"DataCenter": "Sandbox", "Slice": "E", "Ring": "5", "ScaleUnit": "000", "RoleInstance": "SANDBOX01"}},
    separators=(",", ":"),
)


def public_base(request: HttpRequest, version: str) -> str:
    """The base of public URLs in answers: the reserved https host via the adapter, else this server."""
    host = request.get_host()
    if host.split(":")[0].endswith(".sandbox.test"):
        return f"{PUBLIC_GRAPH}/{version}"
    marker = f"/{version}/"
    prefix = request.path[: request.path.find(marker)] if marker in request.path else "/sandbox/graph"
    return f"{request.scheme}://{host}{prefix}/{version}"


def read_body(request: HttpRequest):
    """The JSON body, ``MISSING`` when empty; invalid JSON is a 400."""
    if not request.body.strip():
        return MISSING
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise errors.GraphError(
            400, "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        ) from None


def error_result(error: errors.GraphError, request_id: str, client_request_id: str) -> Result:
    return Result(status=error.status, body=errors.error_body(error, request_id, client_request_id),
                  headers=dict(error.headers))


def to_response(result: Result, request_id: str, client_request_id: str) -> HttpResponse:
    if isinstance(result.body, dict):
        response = HttpResponse(json.dumps(result.body), status=result.status, content_type=result.content_type)
        response["OData-Version"] = "4.0"
    elif isinstance(result.body, str):
        response = HttpResponse(result.body, status=result.status, content_type=result.content_type)
    else:
        response = HttpResponse(status=result.status)
        del response["Content-Type"]
    response["request-id"] = request_id
    response["client-request-id"] = client_request_id
    response["x-ms-ags-diagnostic"] = DIAGNOSTIC
    response["x-ms-resource-unit"] = "1"
    response["Cache-Control"] = "no-cache"
    for name, value in result.headers.items():
        response[name] = value
    return response


def answer(request: HttpRequest, version: str, rest: str, request_id: str, client_request_id: str):
    """(Result, batch item log) for one HTTP request."""
    try:
        claims = read_access_token(request.headers.get("Authorization"))
    except InvalidToken as invalid:
        return error_result(errors.invalid_token(str(invalid)), request_id, client_request_id), ()
    try:
        body = read_body(request)
    except errors.GraphError as error:
        return error_result(error, request_id, client_request_id), ()
    call = Call(
        method=request.method,
        version=version,
        path=rest,
        query={key: request.GET[key] for key in request.GET},
        headers={name.lower(): value for name, value in request.headers.items()},
        body=body,
        claims=claims,
        base_url=public_base(request, version),
        request_id=request_id,
        client_request_id=client_request_id,
    )
    if rest.strip("/") == "$batch":
        if request.method != "POST":
            return error_result(errors.method_not_allowed(), request_id, client_request_id), ()
        try:
            return batch.run(call)
        except errors.GraphError as error:
            return error_result(error, request_id, client_request_id), ()
    return routing.dispatch(call), ()


def _writes(request: HttpRequest, rest: str) -> bool:
    """Whether this call changes something (for ``SANDBOX_FAULT_ON=writes`` and the held write): any
    non-GET but the actions that only read (getByIds), and a ``$batch`` with such an item."""
    if request.method == "GET":
        return False
    if rest.strip("/") != "$batch":
        return not _reads_only(rest)
    try:
        items = json.loads(request.body).get("requests", [])
        return any(str(item.get("method", "")).upper() != "GET" and not _reads_only(str(item.get("url", "")))
                   for item in items)
    except (ValueError, AttributeError, UnicodeDecodeError):
        return True


# POST actions that change nothing: ``POST /directoryObjects/getByIds`` returns objects [D].
_READ_ACTIONS = ("directoryobjects/getbyids",)


def _reads_only(url: str) -> bool:
    return url.split("?", 1)[0].strip("/").lower().removeprefix("v1.0/") in _READ_ACTIONS


@csrf_exempt
@login_not_required
def graph(request: HttpRequest, version: str, rest: str = "") -> HttpResponse:
    """Every Graph call of the sandbox tenant."""
    started = time.time()
    request_id = str(uuid.uuid4())
    client_request_id = request.headers.get("client-request-id") or request_id
    knobs.apply_latency()
    writes = _writes(request, rest)
    fault = knobs.draw_fault(writes=writes)
    if fault == "slow":
        knobs.apply_slowness()
    processed_status = None
    knobs.hold_if_asked(writes, "before")
    if fault in knobs.ERROR_FAULTS and not knobs.fault_strikes_after(fault):
        result, items = error_result(knobs.fault_error(fault), request_id, client_request_id), ()
    else:
        result, items = answer(request, version, rest, request_id, client_request_id)
        processed_status = result.status
        if fault in knobs.ERROR_FAULTS:  # processed, the write made; the answer lost to the fault
            result = error_result(knobs.fault_error(fault), request_id, client_request_id)
    knobs.hold_if_asked(writes, "after")
    response = to_response(result, request_id, client_request_id)
    if fault == "drop":
        response[FAULT_HEADER] = "drop"  # the transport turns this answer into a lost connection
    knobs.log_request(knobs.LoggedRequest(
        method=request.method, path=request.path, query=request.META.get("QUERY_STRING", ""),
        status=result.status, request_id=request_id, time=started,
        duration_ms=(time.time() - started) * 1000, items=tuple(items), fault=fault or "",
        processed_status=processed_status,
    ))
    return response
