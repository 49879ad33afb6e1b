"""The ``Server-Timing`` header on every page: Graph round trips and the time spent in them.

The app puts its Graph client's call stats (anything with ``calls`` and ``seconds``) on
``request.graph_stats``; a request that made no Graph call reports zero.
"""


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        stats = getattr(request, "graph_stats", None)
        calls, seconds = (stats.calls, stats.seconds) if stats is not None else (0, 0.0)
        response["Server-Timing"] = f'graph;dur={seconds * 1000:.1f};desc="{calls} Graph round trips"'
        return response
