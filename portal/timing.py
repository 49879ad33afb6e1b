"""The ``Server-Timing`` header on every page: Graph round trips and the time spent in them."""


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        client = getattr(request, "_graph_client", None)
        calls, seconds = (client.stats.calls, client.stats.seconds) if client is not None else (0, 0.0)
        response["Server-Timing"] = f'graph;dur={seconds * 1000:.1f};desc="{calls} Graph round trips"'
        return response
