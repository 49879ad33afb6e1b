"""How the app talks to Graph: the bearer token, a timeout on every call, ONE retry policy and
ONE ``$batch`` engine, and the call stats the ``Server-Timing`` header reports.

Retries honour ``Retry-After`` within bounds (``max_retries``, ``max_retry_wait``) and back off
2, 4, … seconds without one. A throttled call (429) was not done, so anything may be sent again; a
503/504 to a POST or PATCH may have been applied, so it never is (its membership is read back).
"""

import contextvars
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from urllib.parse import unquote, urlsplit

import requests
from django.views.decorators.debug import sensitive_variables

from members.graph import paths
from members.graph.errors import GraphError, error_from, json_object, lower_keys
from members.directory import Page
from members.graph.odata import BATCH_LIMIT, EVENTUAL, chunks, get, page_of

log = logging.getLogger("members.graph")

GUID_IN_PATH = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
IDEMPOTENT = frozenset({"GET", "DELETE"})
# $batch requests of reads sent at once when there are more than 20 items: the 143 look-ups of a
# 1,000-line paste (8 $batch requests) in one round trip. Writes are sent one $batch after the other
# (each is journaled before it is sent, and its answers settle it before the next).
READ_CONCURRENCY = 8

# Inside a wave of $batch requests sent at once, each thread counts its own sends (see CallStats).
_wave = threading.local()


@dataclass
class CallStats:
    """Round trips and time spent in Graph, for the Server-Timing header and the benchmarks.

    ``calls`` counts round trips: requests sent at once (a wave of $batch requests of reads) count
    as one, or as many as the most any of them took with its retries; ``requests`` counts every
    HTTP request. ``seconds`` is the wall time spent waiting, a wave's counted once.
    """

    calls: int = 0
    seconds: float = 0.0
    requests: int = 0


@dataclass(frozen=True)
class BatchAnswer:
    """One item's answer in a $batch response (status 0: the item had no answer)."""

    status: int
    headers: dict
    body: object
    batch_request_id: str = ""  # the $batch's own request-id: a 204 item carries none (GRAPH.md §6)
    earlier: GraphError | None = None  # a 503/504 an earlier send of this item got: it may have been applied
    lost: GraphError | None = None  # the $batch that resent this item got no usable answer

    @property
    def ok(self) -> bool:
        return self.lost is None and 200 <= self.status < 300

    @property
    def request_id(self) -> str:
        return lower_keys(self.headers).get("request-id") or self.batch_request_id

    def read(self) -> dict | GraphError:
        """A read's answer: its JSON object, or the GraphError (also for a success that isn't one)."""
        return self.body if self.ok and isinstance(self.body, dict) else self.error()

    def error(self) -> GraphError:
        if self.lost is not None:
            return self.lost
        if self.ok:  # a success whose body isn't the JSON object a GET answers with
            return GraphError.unreadable(self.status, self.headers)
        return GraphError.from_answer(self.status, self.headers, self.body)


def path_template(url: str) -> str:
    """A Graph URL's path with ids replaced, for logs: no query string (it may carry a search)."""
    return GUID_IN_PATH.sub("{id}", urlsplit(url).path)


def resend_reads(error: GraphError) -> bool:
    """A read item throttled or unavailable is simply read again."""
    return error.is_retryable


class Transport:
    """Delegated calls to one Graph service for one signed-in user."""

    @sensitive_variables("token")
    def __init__(self, token: str, *, base_url: str, session: requests.Session | None = None,
                 timeout: float = 10.0, max_retries: int = 2, max_retry_wait: float = 5.0,
                 replication_window: float = 0.0, sleep: Callable[[float], None] = time.sleep) -> None:
        self.token = token
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        # Graph is eventually consistent (GRAPH.md §3): a write it applied may be missing from a read
        # for a while. A read-back that finds a write not landed reads again for up to this long
        # before calling it not done.
        self.replication_window = replication_window
        self.sleep = sleep
        self.stats = CallStats()
        self._stats_lock = threading.Lock()

    def __repr__(self) -> str:  # never the token (debug pages show frame locals)
        return f"<Transport {self.base_url}>"

    # --- the one retry policy ------------------------------------------------------------

    def retry_wait(self, error: GraphError, retry: int) -> float | None:
        """Seconds to wait before retry number ``retry`` (1, 2, …) after ``error``; None: don't retry
        (not retryable, out of retries, or a Retry-After too long to hold the user's click: the page
        says "try again in N s" instead)."""
        if retry > self.max_retries or not error.is_busy:
            return None
        if error.retry_after is not None and error.retry_after > self.max_retry_wait:
            return None
        return min(error.retry_after if error.retry_after is not None else 2.0 ** retry, self.max_retry_wait)

    # --- single calls --------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def get_json(self, path: str, *, params: dict | None = None, headers: dict | None = None) -> dict:
        return json_object(self.request("GET", self.url(path), params=params, headers=headers or {}))

    @sensitive_variables()
    def request(self, method: str, url: str, *, reads_only: bool = False, **kwargs) -> requests.Response:
        """Send with the bearer token and a timeout; retry within the policy; raise GraphError.

        A read (a GET, or a ``$batch`` of GETs: ``reads_only``) whose connection broke before any
        answer is sent again at once, within the same bounds: a kept-alive connection the server
        had just closed. A write never is (its membership is read back instead).
        """
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json",
                   "client-request-id": str(uuid.uuid4()), **kwargs.pop("headers", {})}
        reading = reads_only or method == "GET"
        retries, earlier = 0, None
        while True:
            try:
                response = self._send(method, url, headers, kwargs)
            except GraphError as lost:
                if lost.code != "ConnectionError" or not reading or retries >= self.max_retries:
                    raise
                retries += 1
                continue
            if response.ok:
                return response
            error = error_from(response)
            error.earlier = earlier
            wait = self.retry_wait(error, retries + 1) if error.is_retryable else None
            if wait is None or not (error.status == 429 or method in IDEMPOTENT):
                raise error
            if error.is_uncertain:
                earlier = earlier or error
            retries += 1
            self.sleep(wait)

    @sensitive_variables()
    def _send(self, method: str, url: str, headers: dict, kwargs: dict) -> requests.Response:
        started = time.perf_counter()
        status, request_id = 0, ""
        try:
            response = self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
            status, request_id = response.status_code, response.headers.get("request-id", "")
            return response
        except requests.Timeout:
            raise GraphError(0, "Timeout", "Graph did not answer in time.",
                             client_request_id=headers["client-request-id"]) from None
        except requests.RequestException as exc:
            raise GraphError(0, "ConnectionError", f"Graph could not be reached ({type(exc).__name__}).",
                             client_request_id=headers["client-request-id"]) from None
        finally:
            elapsed = time.perf_counter() - started
            self._count(elapsed)
            log.info("graph %s %s -> %s", method, path_template(url), status or "no answer", extra={"graph_call": {
                "method": method, "path": path_template(url), "status": status, "duration_ms": round(elapsed * 1000, 1),
                "request_id": request_id, "client_request_id": headers.get("client-request-id", "")}})

    def _count(self, elapsed: float) -> None:
        with self._stats_lock:
            self.stats.requests += 1
            if getattr(_wave, "sends", None) is None:
                self.stats.calls += 1
                self.stats.seconds += elapsed
            else:  # one of several sent at once: the wave counts its round trips and its time
                _wave.sends += 1

    def next_page(self, next_link: str, parse: Callable[[dict], object], *, eventual: bool = False) -> Page:
        """The page a nextLink points to, followed verbatim (it must be on our Graph origin); with
        ``ConsistencyLevel: eventual`` when its first page was an advanced query, as it says itself."""
        paths.relative(next_link, self.base_url)
        eventual = eventual or "$count=true" in unquote(next_link)
        response = self.request("GET", next_link, headers=EVENTUAL if eventual else {})
        return page_of(json_object(response), parse)

    # --- the one $batch engine, and the two ways reads use it -----------------------------

    def batch_get(self, asked: dict[str, str], *, headers: dict | None = None,
                  headers_for: dict[str, dict] | None = None) -> dict[str, dict | GraphError]:
        """Several GETs in $batch; each answer is its JSON body or a GraphError. Graph meters reads
        too (GRAPH.md §7): items throttled or busy are read again within the retry policy.

        ``headers`` go with every item, ``headers_for`` with the named ones (ConsistencyLevel is per item).
        """
        items = {name: get(url, headers={**(headers or {}), **(headers_for or {}).get(name, {})})
                 for name, url in asked.items()}
        return self.batch_requests(items)

    def batch_requests(self, items: dict[str, dict]) -> dict[str, dict | GraphError]:
        """Reads (GETs, and POSTs that only read, like getByIds) in $batch: each answer is its JSON
        body or a GraphError; items throttled or busy are read again within the retry policy."""
        answers = self.batch(items, reads_only=True, resend=resend_reads, first_id=0)
        return {name: answer.read() for name, answer in answers.items()}

    def batch(self, items: dict[str, dict], *, reads_only: bool = False,
              resend: Callable[[GraphError], bool] | None = None, first_id: int = 1) -> dict[str, BatchAnswer]:
        """``items`` (by name) in $batch of ``BATCH_LIMIT``; each name's answer.

        Items ``resend`` picks (throttled, or busy where resending is safe) are sent again *together*
        in one more $batch after the longest wait the policy gives, within its bounds: SDKs don't
        retry batch items (GRAPH.md §6). A failure of the first $batch raises GraphError; the items
        of a $batch sent again that got no answer carry its error as ``lost``. Each $batch numbers
        its items from ``first_id``.
        """
        answers: dict[str, BatchAnswer] = {}
        earlier: dict[str, GraphError] = {}
        pending, retry = list(items), 0
        while pending:
            again: list[str] = []
            for chunk, sent in self._send_chunks(items, list(chunks(pending, BATCH_LIMIT)), reads_only=reads_only,
                                                 first_id=first_id, raise_first=retry == 0):
                if isinstance(sent, GraphError):
                    answers.update((name, BatchAnswer(0, {}, None, earlier=earlier.get(name), lost=sent))
                                   for name in chunk)
                    continue
                for name, answer in sent.items():
                    error = None if answer.ok else answer.error()
                    if error is not None and resend is not None and resend(error):
                        again.append(name)
                        if error.is_uncertain:
                            earlier.setdefault(name, error)
                    answers[name] = replace(answer, earlier=earlier.get(name))
            retry += 1
            waits = [self.retry_wait(answers[name].error(), retry) for name in again]
            if not again or None in waits:
                break
            self.sleep(max(waits))
            pending = again
        return answers

    def _send_chunks(self, items: dict[str, dict], chunked: list[list[str]], *, reads_only: bool, first_id: int,
                     raise_first: bool) -> list[tuple[list[str], dict[str, BatchAnswer] | GraphError]]:
        """Each chunk's answers, or the GraphError its $batch failed with (raised when ``raise_first``).

        Reads go at once, ``READ_CONCURRENCY`` at a time (one round trip for up to 160 items); writes
        one after the other, a failure stopping those after it."""
        def send(chunk: list[str]) -> dict[str, BatchAnswer] | GraphError:
            try:
                return self._send_batch({name: items[name] for name in chunk}, reads_only=reads_only, first_id=first_id)
            except GraphError as error:
                if raise_first and not reads_only:
                    raise
                return error

        if not reads_only or len(chunked) == 1:
            results = [(chunk, send(chunk)) for chunk in chunked]
        else:
            results = list(zip(chunked, self._at_once(send, chunked)))
        if raise_first:
            for _, sent in results:
                if isinstance(sent, GraphError):
                    raise sent
        return results

    def _at_once(self, send: Callable, chunked: list[list[str]]) -> list:
        return self.together(*(partial(send, chunk) for chunk in chunked))

    def together(self, *calls: Callable[[], object]) -> list:
        """Each of ``calls`` (each sending its own requests) in a thread of its own, at once, with the
        caller's context (the sandbox transport's origin lives in a ContextVar); their answers in
        order. The stats count them as one round trip, or as many as the most any of them took (its
        retries, its writes one after the other); inside a wave, as part of that wave."""
        def run(call: Callable[[], object]) -> tuple[object, int]:
            _wave.sends = 0
            try:
                return call(), _wave.sends
            finally:
                _wave.sends = None

        outer = getattr(_wave, "sends", None)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=min(READ_CONCURRENCY, len(calls))) as pool:
            futures = [pool.submit(contextvars.copy_context().run, run, call) for call in calls]
            done = [future.result() for future in futures]
        longest = max(sends for _, sends in done)
        if outer is not None:
            _wave.sends = outer + longest
        else:
            with self._stats_lock:
                self.stats.calls += longest
                self.stats.seconds += time.perf_counter() - started
        return [result for result, _ in done]

    def _send_batch(self, items: dict[str, dict], *, reads_only: bool, first_id: int) -> dict[str, BatchAnswer]:
        """One POST /$batch of up to 20 items; each name's answer (status 0 if missing)."""
        numbered = {str(n): name for n, name in enumerate(items, start=first_id)}
        body = {"requests": [{"id": number, **items[name]} for number, name in numbered.items()]}
        response = self.request("POST", self.url(paths.BATCH), json=body, reads_only=reads_only)
        try:
            listed = response.json().get("responses", [])
        except (ValueError, AttributeError):
            listed = []
        by_id = {str(item.get("id")): item for item in listed if isinstance(item, dict)}
        batch_request_id = response.headers.get("request-id", "")
        answers = {}
        for number, name in numbered.items():
            item = by_id.get(number, {})
            answers[name] = BatchAnswer(int(item.get("status") or 0), item.get("headers") or {}, item.get("body"),
                                        batch_request_id)
        return answers
