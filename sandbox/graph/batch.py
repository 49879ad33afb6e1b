"""JSON batching (``POST /$batch``, GRAPH.md §6): up to 20 requests, run through the same handlers.

Items run in an order of the sandbox's choosing (``knobs.batch_order``: shuffled from a seed, as
Graph promises no order), each after the items it ``dependsOn``; a dependent of a failed item
gets 424. Each item is throttled on its own (429 with its own Retry-After) and the batch still
answers 200. Malformed batches (not JSON, > 20 items, duplicate ids, unknown dependencies, a body
without Content-Type) answer 400 as a whole.
"""

import re
import uuid
from dataclasses import replace
from contextlib import nullcontext
from urllib.parse import parse_qsl, urlsplit

from django.db import transaction

from sandbox import knobs
from sandbox.graph import errors, routing
from sandbox.graph.call import JSON_TYPE, MISSING, Call, Result

MAX_REQUESTS = 20
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def bad_batch(message: str) -> errors.GraphError:
    # The exact texts of batch-level 400s are [U]; the status and code are documented.
    return errors.GraphError(400, "BadRequest", message)


def validate(body) -> list[dict]:
    """The batch's request list, or a 400 for the whole batch."""
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
        raise bad_batch("Invalid batch payload format.")
    requests = body["requests"]
    if len(requests) > MAX_REQUESTS:
        raise bad_batch(f"The number of batch requests exceeds the limit of {MAX_REQUESTS}.")
    seen: set[str] = set()
    for item in requests:
        if not isinstance(item, dict) or not all(isinstance(item.get(key), str) for key in ("id", "method", "url")):
            raise bad_batch("Invalid batch payload format.")
        key = item["id"].lower()  # ids are unique case-insensitively
        if key in seen:
            raise bad_batch(f"Batch request contains duplicate id '{item['id']}'.")
        seen.add(key)
        if "body" in item and not _has_content_type(item.get("headers")):
            raise bad_batch(f"Write request id : {item['id']} does not contain Content-Type header or body.")
    for item in requests:
        for dependency in item.get("dependsOn") or []:
            if str(dependency).lower() not in seen:
                raise bad_batch(f"Request '{item['id']}' depends on unknown request '{dependency}'.")
    return requests


def _has_content_type(headers) -> bool:
    return isinstance(headers, dict) and any(name.lower() == "content-type" for name in headers)


def run(outer: Call) -> tuple[Result, list[tuple[str, str, int]]]:
    """The batch answer, and (method, url, status) of each item for the request log."""
    requests = validate(outer.body)
    # Reads only: the items share the caller's roles, read once. A write may change them: each item reads its own.
    reads_only = all(item["method"].upper() == "GET" for item in requests)
    outer = replace(outer, actor_cache=[] if reads_only else None)
    by_id = {item["id"].lower(): item for item in requests}
    statuses: dict[str, int] = {}
    responses = []
    shared = routing.SharedActor()  # one caller for every item: their standing is read once
    # Items that write are committed together at the end of the batch (one commit, not one each);
    # each still succeeds or fails on its own (a failed item's changes are undone by its handler).
    writes = any(item["method"].upper() in routing.WRITE_METHODS for item in requests)
    with transaction.atomic() if writes else nullcontext():
        for item in knobs.batch_order(requests):
            _run_with_dependencies(outer, item, by_id, statuses, responses, visiting=set(), shared=shared)
    log = [(item["method"].upper(), item["url"], statuses[item["id"].lower()]) for item in requests]
    return Result(body={"responses": responses}), log


def _run_with_dependencies(outer, item, by_id, statuses, responses, visiting, shared=None) -> None:
    key = item["id"].lower()
    if key in statuses:
        return
    if key in visiting:
        raise bad_batch("Batch requests have a circular dependency.")
    visiting.add(key)
    dependencies = [str(dependency).lower() for dependency in item.get("dependsOn") or []]
    for dependency in dependencies:
        _run_with_dependencies(outer, by_id[dependency], by_id, statuses, responses, visiting, shared)
    if any(not 200 <= statuses[dependency] < 300 for dependency in dependencies):
        response = failed_dependency(item)
    else:
        response = run_item(outer, item, shared)
    statuses[key] = response["status"]
    responses.append(response)


def failed_dependency(item: dict) -> dict:
    """424 for an item whose dependency failed (body text [U])."""
    return {
        "id": item["id"],
        "status": 424,
        "headers": {"Content-Type": JSON_TYPE},
        "body": {"error": {"code": "FailedDependency", "message": "Request failed due to a failed dependency."}},
    }


def written_members(call: Call) -> set[str] | None:
    """The members whose links a write changed: ``…/members/{id}/$ref``, a ``$ref`` body's
    ``@odata.id`` or a PATCH's ``members@odata.bind`` (None when it can't be told)."""
    found = GUID.findall(call.path.split("/members/", 1)[1]) if "/members/" in call.path else []
    body = call.body if isinstance(call.body, dict) else {}
    references = [body.get("@odata.id")] + list(body.get("members@odata.bind") or [])
    found += [match for ref in references if isinstance(ref, str) for match in GUID.findall(ref)[-1:]]
    try:
        return {str(uuid.UUID(value)) for value in found} or None
    except ValueError:
        return None


def item_call(outer: Call, item: dict) -> Call:
    """A ``Call`` for one item: relative URL below the version, its own headers and request id."""
    parts = urlsplit(item["url"])
    headers = {name.lower(): str(value) for name, value in (item.get("headers") or {}).items()}
    request_id = str(uuid.uuid4())
    return Call(
        method=item["method"].upper(),
        version=outer.version,
        path=parts.path.lstrip("/"),
        query=dict(parse_qsl(parts.query, keep_blank_values=True)),
        headers=headers,
        body=item.get("body", MISSING),
        claims=outer.claims,
        base_url=outer.base_url,
        request_id=request_id,
        client_request_id=headers.get("client-request-id", request_id),
        actor_cache=outer.actor_cache if outer.actor_cache is not None else [],
    )


def run_item(outer: Call, item: dict, shared: routing.SharedActor | None = None) -> dict:
    call = item_call(outer, item)
    if call.path.strip("/") == "$batch":
        result = Result(status=400, body=errors.error_body(bad_batch("Nested batch requests are not supported."),
                                                           call.request_id, call.client_request_id))
    else:
        result = routing.dispatch(call, shared)
        if shared is not None and call.method in routing.WRITE_METHODS and 200 <= result.status < 300:
            shared.written(written_members(call))
    headers = {"Cache-Control": "no-cache", **result.headers}
    if result.content_type:
        headers["Content-Type"] = result.content_type
    response = {"id": item["id"], "status": result.status, "headers": headers}
    if result.body is not None:
        response["body"] = result.body
    return response
