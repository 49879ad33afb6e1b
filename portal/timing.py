"""The ``Server-Timing`` header: how many Graph round trips a response cost, and how long they took."""


class ServerTimingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        client = getattr(request, "_graph_client", None)
        if client is not None:
            stats = client.stats
            response["Server-Timing"] = f'graph;dur={stats.seconds * 1000:.1f};desc="{stats.calls} Graph round trips"'
        return response
