"""The ``Server-Timing`` header on every response: Graph round trips, Graph time, and our own time.

The app puts its Graph client's call stats (anything with ``calls`` and ``seconds``) on
``request.graph_stats``; a request that made no Graph call reports zero. Four entries, in
this order (browsers' developer tools show them under "Timing"; the benchmark reads them):

- ``graph;dur=<ms in Graph>;desc="<N> Graph round trips"``: the time spent waiting on Graph;
- ``graph-calls;desc="<N>"``: the number of Graph round trips, machine-readable (requests sent at
  once, a wave of $batch requests of reads, count as one);
- ``graph-requests;desc="<N>"``: the number of HTTP requests sent to Graph;
- ``app;dur=<ms>;desc="Our own time"``: everything else the request took on this server
  (total minus Graph), from this middleware's call to its return.

A streamed answer (a CSV export) goes on calling Graph after its headers are sent, and WSGI has no
trailers: its header counts what was sent before the first byte and says so in a fifth entry,
``streamed;desc="..."``, and when the stream ends (or the client goes away) one ``portal.timing``
log line counts the whole answer: ``server_timing`` with ``graph_calls``, ``graph_requests``,
``graph_ms`` and ``total_ms``.
"""

import logging
import time

from portal.logs import route

log = logging.getLogger(__name__)

STREAMED = 'streamed;desc="More Graph calls follow while the answer streams: the log line when it ends counts them all"'


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        total = time.perf_counter() - started
        calls, sent, seconds = graph_counts(request)
        own = max(total - seconds, 0.0)
        response["Server-Timing"] = (f'graph;dur={seconds * 1000:.1f};desc="{calls} Graph round trips", '
                                     f'graph-calls;desc="{calls}", graph-requests;desc="{sent}", '
                                     f'app;dur={own * 1000:.1f};desc="Our own time"')
        if response.streaming:
            response["Server-Timing"] += ", " + STREAMED
            response.streaming_content = _counted(response.streaming_content, request, started)
        return response


def graph_counts(request) -> tuple[int, int, float]:
    """Round trips, HTTP requests and seconds waiting on Graph so far (zero when no Graph call was made)."""
    stats = getattr(request, "graph_stats", None)
    if stats is None:
        return 0, 0, 0.0
    return stats.calls, getattr(stats, "requests", stats.calls), stats.seconds


def _counted(chunks, request, started: float):
    """The stream as it was, and, once it has ended or was abandoned, the log line that counts it."""
    try:
        yield from chunks
    finally:
        calls, sent, seconds = graph_counts(request)
        # The route, not the path: as the request log, no ids or query strings in the logs.
        log.info("streamed %s: %s Graph round trips", route(request), calls, extra={"server_timing": {
            "graph_calls": calls, "graph_requests": sent,
            "graph_ms": round(seconds * 1000, 1), "total_ms": round((time.perf_counter() - started) * 1000, 1)}})
