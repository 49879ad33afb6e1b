"""The Server-Timing header: Graph round trips, Graph time, and our own time (total minus Graph)."""

from types import SimpleNamespace

import pytest
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


def test_a_streamed_answer_says_so_and_its_log_line_counts_the_calls_made_while_it_streamed(caplog):
    from django.http import StreamingHttpResponse

    stats = SimpleNamespace(calls=1, seconds=0.05, requests=1)

    def rows(request):
        yield "header\n"
        for _ in range(5):  # each further page of the export is another round trip
            stats.calls += 1
            stats.requests += 1
            yield "row\n"

    def view(request):
        request.graph_stats = stats
        return StreamingHttpResponse(rows(request))

    caplog.set_level("INFO", logger="portal.timing")
    response = ServerTimingMiddleware(view)(RequestFactory().get("/export/"))
    assert 'graph-calls;desc="1"' in response["Server-Timing"] and "streamed;desc=" in response["Server-Timing"]
    assert not [r for r in caplog.records if r.name == "portal.timing"]  # nothing streamed yet
    assert b"".join(response.streaming_content) == b"header\n" + b"row\n" * 5
    [line] = [r for r in caplog.records if r.name == "portal.timing"]
    assert line.server_timing["graph_calls"] == 6 and line.server_timing["graph_requests"] == 6


@pytest.mark.django_db  # closing a response ends the request, and Django then checks its connections
def test_an_abandoned_stream_is_counted_too(caplog):
    from django.http import StreamingHttpResponse

    caplog.set_level("INFO", logger="portal.timing")
    response = ServerTimingMiddleware(lambda request: StreamingHttpResponse(iter(["a", "b", "c"])))(RequestFactory().get("/"))
    stream = iter(response.streaming_content)
    next(stream)
    response.close()  # the client went away: the server closes the response
    assert [r.server_timing["graph_calls"] for r in caplog.records if r.name == "portal.timing"] == [0]
