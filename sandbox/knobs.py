"""Knobs for tests and benchmarks: latency, throttling, $batch order, faults, and a request log.

All are settings read at call time, so ``override_settings`` works per test:

- ``SANDBOX_LATENCY_MS``: sleep this long in every Graph HTTP call (default 0).
- ``SANDBOX_WRITE_LIMIT`` writes per ``SANDBOX_WRITE_WINDOW`` seconds, then 429 TooManyRequests
  with ``Retry-After`` and ``x-ms-throttle-*`` headers (GRAPH.md E11); 0 = off (default).
- ``SANDBOX_READ_LIMIT`` resource units per ``SANDBOX_READ_WINDOW`` seconds (10), then 429 with
  ``x-ms-throttle-information: ResourceUnitLimitExceeded``; every call and $batch item is metered
  at what Graph says it costs (``resource_units``: a members list 3, transitiveMembers 5, memberOf
  2, ...) and answers its cost in ``x-ms-resource-unit``; 0 = off (default).
- ``SANDBOX_BATCH_ORDER``: ``shuffled`` (default) runs a $batch's independent items, and lists
  their answers, in an order drawn from ``random.Random(SANDBOX_BATCH_SEED)`` (0), as Graph may
  ("the responses might appear in a different order", json-batching); ``as sent`` keeps theirs.
- ``SANDBOX_FAULT_RATE`` (0..1) of Graph HTTP calls fail with one of ``SANDBOX_FAULTS``
  (``503`` with ``Retry-After: SANDBOX_FAULT_RETRY_AFTER`` (1), ``504``, ``drop``; by default these
  three; also ``429``, throttled with that ``Retry-After``, and ``slow``, answered normally after
  ``SANDBOX_SLOW_MS`` (1000) more), drawn from ``random.Random(SANDBOX_FAULT_SEED)``; the sequence
  restarts when the seed setting changes. When a 503 or 504 strikes is ``SANDBOX_FAULT_WHEN``:
  ``before`` (default) the call is not processed (nothing changes), ``after`` it was processed — the
  write *is* made and its answer replaced by the error, as a real gateway timeout or a Graph
  front end failing after the directory committed can do — or ``both``, drawn per fault from the
  same seeded sequence. A 429 always strikes before: Graph throttles before it processes a call.
  A ``drop`` is a lost answer: the request *is* processed, then the response is marked
  ``X-Sandbox-Fault: drop`` and ``sandbox.transport.SandboxAdapter`` raises
  ``requests.ConnectionError`` instead of returning it — the case where a client can't know
  whether its write happened. Clients not using the adapter see the answer with that header.
- ``SANDBOX_HOLD_WRITE`` = N: the Nth write call this process answers is held — after it was
  processed (``SANDBOX_HOLD_WHEN=after``, default: the change made, its answer not sent) or before —
  once ``SANDBOX_HOLD_FILE`` is written (so a test knows the moment has come), for up to
  ``HOLD_LIMIT`` seconds: long enough for a test to kill the server at exactly that point.
- The membership log: every membership link the sandbox made or removed, as it was committed, with
  the request-id of the call that did it (``membership_log()``): what Graph really did, for a
  journal to be checked against attempt by attempt, whatever answer reached the client.
- The request log: every Graph HTTP call (a ``$batch`` is one entry, its items listed inside,
  with the fault it suffered), bounded and thread-safe; ``request_log()`` / ``clear_request_log()``.
"""

import math
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from sandbox.graph import errors

LOG_SIZE = 10_000
FAULT_KINDS = ("503", "504", "drop", "429", "slow")
DEFAULT_FAULTS = ("503", "504", "drop")
ERROR_FAULTS = frozenset({"503", "504", "429"})  # answered with an error, the call not processed

_lock = threading.Lock()
_log: deque = deque(maxlen=LOG_SIZE)
_memberships: deque = deque(maxlen=LOG_SIZE)
_writes: deque = deque()  # (when, 1) of the writes in the write window
_units: deque = deque()  # (when, resource units) of the calls in the read window
_order_rng: tuple[object, random.Random] | None = None
_fault_rng: tuple[object, random.Random] | None = None
_writes_seen = 0
HOLD_LIMIT = 120.0


@dataclass(frozen=True)
class LoggedRequest:
    """One Graph round trip as the sandbox saw it."""

    method: str
    path: str
    query: str
    status: int
    request_id: str
    time: float  # epoch seconds when it arrived
    duration_ms: float
    items: tuple = field(default_factory=tuple)  # for $batch: (method, url, status) of each item
    fault: str = ""  # the fault this call suffered ('503', '504', 'drop', '429', 'slow'), if any
    # The status the sandbox's own processing gave, None when the call was never processed (a fault
    # before it): with a fault after, ``status`` is the error the client saw and this what was done.
    processed_status: int | None = None

    @property
    def writes(self) -> tuple[tuple[str, str, int], ...]:
        """The writes this call made: (method, path or item url, status of processing) of each
        processed non-GET, a $batch's items included; nothing when the call was never processed."""
        if self.processed_status is None:
            return ()
        if self.items:
            return tuple(item for item in self.items if item[0] != "GET")
        return ((self.method, self.path, self.processed_status),) if self.method != "GET" else ()


@dataclass(frozen=True)
class MembershipChange:
    """One membership link made ("add") or removed ("remove") by a call, when it was committed."""

    container_id: str
    member_id: str
    action: str
    request_id: str
    time: float  # epoch seconds


def setting(name: str, default):
    return getattr(settings, name, default)


# ---------------------------------------------------------------- latency


def apply_latency() -> None:
    delay = float(setting("SANDBOX_LATENCY_MS", 0) or 0)
    if delay > 0:
        time.sleep(delay / 1000)


# ---------------------------------------------------------------- throttling


def check_write_throttle(now: float | None = None) -> None:
    """Count one write; raise E11 (429) when the window's budget is spent. Throttled writes don't count."""
    limit = int(setting("SANDBOX_WRITE_LIMIT", 0) or 0)
    if limit > 0:
        _spend(_writes, 1, limit, float(setting("SANDBOX_WRITE_WINDOW", 150)), "WriteLimitExceeded", "ReadWrite", now)


def _spend(spent: deque, units: int, limit: int, window: float, information: str, access: str,
           now: float | None) -> None:
    """A sliding window of (when, units): add ``units``, or raise 429 when they don't fit; a throttled call costs nothing."""
    now = time.monotonic() if now is None else now
    with _lock:
        while spent and spent[0][0] <= now - window:
            spent.popleft()
        if sum(cost for _, cost in spent) + units > limit:
            retry_after = max(1, math.ceil(spent[0][0] + window - now)) if spent else 1
            scope = f"Tenant_Application/{access}/{settings.SANDBOX_CLIENT_ID}/{settings.SANDBOX_TENANT_ID}"
            raise errors.too_many_requests(retry_after, information, scope)
        spent.append((now, units))


# Graph meters every call in resource units (GRAPH.md §7, throttling-limits "identity and access"):
# 1 by default; a group's members 3, transitive members 5, memberOf / transitiveMemberOf and the
# users list 2; $select takes 1 off, $expand adds 1, a $top under 20 takes 1 off; never below 1.
# A write costs 1 as well (and counts against the write limit too). A unit's or role's members
# are metered as a group's: the stricter reading of a table that names groups only [U].
BASE_COST = (
    (re.compile(r"/transitiveMembers(/|$)"), 5),
    (re.compile(r"/members(/|$)"), 3),
    (re.compile(r"/(transitiveMemberOf|memberOf)(/|$)"), 2),
    (re.compile(r"^users$"), 2),
)


def resource_units(method: str, path: str, query: dict[str, str]) -> int:
    """What one call (or $batch item) costs in Graph's resource units."""
    if method != "GET":
        return 1
    path = path.strip("/")
    cost = next((units for pattern, units in BASE_COST if pattern.search(path)), 1)
    if query.get("$select"):
        cost -= 1
    if query.get("$expand"):
        cost += 1
    top = query.get("$top", "")
    if top.isdigit() and int(top) < 20:
        cost -= 1
    return max(cost, 1)


def check_read_throttle(units: int, now: float | None = None) -> None:
    """Spend ``units`` of the window's resource units; raise 429 when they don't fit."""
    limit = int(setting("SANDBOX_READ_LIMIT", 0) or 0)
    if limit > 0:
        _spend(_units, units, limit, float(setting("SANDBOX_READ_WINDOW", 10)), "ResourceUnitLimitExceeded", "Read", now)


def reset_throttle() -> None:
    with _lock:
        _writes.clear()
        _units.clear()


# ---------------------------------------------------------------- $batch order


def batch_order(items: list) -> list:
    """The order a $batch's items run in (``SANDBOX_BATCH_ORDER``), reproducibly from the seed."""
    global _order_rng
    if str(setting("SANDBOX_BATCH_ORDER", "shuffled")).strip().lower() != "shuffled":
        return list(items)
    seed = setting("SANDBOX_BATCH_SEED", 0)
    with _lock:
        if _order_rng is None or _order_rng[0] != seed:
            _order_rng = (seed, random.Random(seed))
        return _order_rng[1].sample(items, len(items))


# ---------------------------------------------------------------- faults


def draw_fault(writes: bool = True) -> str | None:
    """None, or which fault this call suffers (one of ``FAULT_KINDS``), reproducibly from the seed."""
    global _fault_rng
    rate = float(setting("SANDBOX_FAULT_RATE", 0) or 0)
    if rate <= 0 or (not writes and setting("SANDBOX_FAULT_ON", "all") == "writes"):
        return None
    configured = setting("SANDBOX_FAULTS", DEFAULT_FAULTS)
    if isinstance(configured, str):  # "503,drop" from an environment variable
        configured = configured.split(",")
    kinds = [str(kind).strip() for kind in configured if str(kind).strip() in FAULT_KINDS]
    if not kinds:
        return None
    seed = setting("SANDBOX_FAULT_SEED", 0)
    with _lock:
        if _fault_rng is None or _fault_rng[0] != seed:
            _fault_rng = (seed, random.Random(seed))
        rng = _fault_rng[1]
        if rng.random() >= rate:
            return None
        return rng.choice(kinds)


def reset_faults() -> None:
    """Restart the fault sequence (and the $batch order) from the seed."""
    global _fault_rng, _order_rng
    with _lock:
        _fault_rng = None
        _order_rng = None


def fault_strikes_after(kind: str) -> bool:
    """Whether this 503/504 fault is answered after the call was processed (``SANDBOX_FAULT_WHEN``)."""
    if kind not in {"503", "504"}:
        return False
    when = str(setting("SANDBOX_FAULT_WHEN", "before")).strip().lower()
    if when == "both":
        with _lock:
            rng = _fault_rng[1] if _fault_rng is not None else random.Random(setting("SANDBOX_FAULT_SEED", 0))
            return rng.random() < 0.5
    return when == "after"


def fault_error(kind: str) -> errors.GraphError:
    """The answer to a call that suffers an error fault ('503', '504', '429')."""
    retry_after = int(setting("SANDBOX_FAULT_RETRY_AFTER", 1))
    if kind == "503":
        return errors.unavailable(503, retry_after=retry_after)
    if kind == "429":
        return errors.too_many_requests(retry_after, "ApplicationThrottled")
    return errors.unavailable(504)


def apply_slowness() -> None:
    """A ``slow`` fault: this answer takes ``SANDBOX_SLOW_MS`` longer."""
    time.sleep(float(setting("SANDBOX_SLOW_MS", 1000)) / 1000)


# ---------------------------------------------------------------- holding a write (kill tests)


def hold_if_asked(writes: bool, when: str) -> None:
    """Hold this call if it is the write ``SANDBOX_HOLD_WRITE`` names, at this moment (``when``)."""
    global _writes_seen
    target = int(setting("SANDBOX_HOLD_WRITE", 0) or 0)
    if not writes or target <= 0 or when != str(setting("SANDBOX_HOLD_WHEN", "after")):
        return
    with _lock:
        _writes_seen += 1
        held = _writes_seen == target
    if held:
        with open(setting("SANDBOX_HOLD_FILE", ""), "w") as marker:
            marker.write(when)
        wait_while_held()


def wait_while_held() -> None:
    threading.Event().wait(HOLD_LIMIT)  # the test kills the process meanwhile


# ---------------------------------------------------------------- request log


def log_request(entry: LoggedRequest) -> None:
    with _lock:
        _log.append(entry)


def request_log() -> list[LoggedRequest]:
    """A copy of the log, oldest first."""
    with _lock:
        return list(_log)


def clear_request_log() -> None:
    with _lock:
        _log.clear()
        _memberships.clear()


def log_membership_change(container_id, member_id, action: str, request_id: str) -> None:
    """Note a membership change once its transaction commits (a rolled-back one never happened)."""
    def note() -> None:
        with _lock:
            _memberships.append(MembershipChange(str(container_id), str(member_id), action, request_id, time.time()))
    transaction.on_commit(note)


def replica_membership(container_id, member_id, now: float | None = None) -> bool | None:
    """What a replica lagging ``SANDBOX_REPLICATION_LAG_MS`` behind says of this membership: the
    state before its earliest change younger than the lag (True: a member), or None when every
    change of it is older (the replica has caught up: the directory's own state stands).

    Graph is eventually consistent (GRAPH.md §3: "newly created or changed objects may be missing
    from reads for a while"); Learn gives no bound. The sandbox lags the reads a read-back asks: a
    unit's ``GET …/members/{id}`` and a members list filtered by ``id in (…)``, alone or in a $batch,
    the stricter choice where a client would otherwise conclude "not done" from a read made too soon.
    """
    lag = float(setting("SANDBOX_REPLICATION_LAG_MS", 0) or 0) / 1000
    if lag <= 0:
        return None
    now = time.time() if now is None else now
    with _lock:
        recent = [c for c in _memberships if c.container_id == str(container_id) and c.member_id == str(member_id)
                  and c.time > now - lag]
    return None if not recent else recent[0].action != "add"


def replicated(now: float | None = None) -> bool:
    """Whether every membership change is older than the replication lag (reads show them all)."""
    lag = float(setting("SANDBOX_REPLICATION_LAG_MS", 0) or 0) / 1000
    now = time.time() if now is None else now
    with _lock:
        return not _memberships or _memberships[-1].time <= now - lag


def membership_log() -> list[MembershipChange]:
    """A copy of the membership log, oldest first."""
    with _lock:
        return list(_memberships)


def reset_all() -> None:
    """Forget the log, the throttle window and the fault sequence (between tests, after a reset)."""
    clear_request_log()
    reset_throttle()
    reset_faults()
