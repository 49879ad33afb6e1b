"""The Server-Timing header: Graph round trips, Graph time, and our own time (total minus Graph)."""

from types import SimpleNamespace

from django.http import HttpResponse
from django.test import RequestFactory

from portal.timing import ServerTimingMiddleware


def test_server_timing_splits_the_total_into_graph_time_and_our_own(monkeypatch):
    clock = iter([10.0, 10.2])  # the request took 200 ms in all
    monkeypatch.setattr("portal.timing.time.perf_counter", lambda: next(clock))

    def view(request):
        request.graph_stats = SimpleNamespace(calls=2, seconds=0.15)
        return HttpResponse("ok")

    response = ServerTimingMiddleware(view)(RequestFactory().get("/"))
    assert response["Server-Timing"] == ('graph;dur=150.0;desc="2 Graph round trips", graph-calls;desc="2", '
                                         'graph-requests;desc="2", app;dur=50.0;desc="Our own time"')
