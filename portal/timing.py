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
"""

import time


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        total = time.perf_counter() - started
        stats = getattr(request, "graph_stats", None)
        calls, seconds = (stats.calls, stats.seconds) if stats is not None else (0, 0.0)
        sent = getattr(stats, "requests", calls)
        own = max(total - seconds, 0.0)
        response["Server-Timing"] = (f'graph;dur={seconds * 1000:.1f};desc="{calls} Graph round trips", '
                                     f'graph-calls;desc="{calls}", graph-requests;desc="{sent}", '
                                     f'app;dur={own * 1000:.1f};desc="Our own time"')
        return response
