"""JSON log lines (LOG_FORMAT=json): one per request with its route, and the user's object id on every
record logged while it is served, such as a Graph call's. Never a token, never a query string."""

import io
import json
import logging
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.urls import path

import portal.urls
from portal.logs import JsonFormatter, RequestContextFilter

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

OID = "c2e220f8-bd13-5996-a443-dbf7b77a64ac"
JWT = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJ4In0.c2lnbmF0dXJl"
GRAPH_CALL = {"method": "DELETE", "path": "/groups/{id}/members/{id}/$ref", "status": 204, "duration_ms": 12.5,
              "request_id": "aa324f0f-b4a3-4af6-9c4f-996e19590000"}


def remove_view(request: HttpRequest, container_id: uuid.UUID, member_id: uuid.UUID) -> HttpResponse:
    """Logs as members.graph will: one record per Graph call, and a failure quoting what it sent."""
    graph = logging.getLogger("members.graph")
    graph.info("graph call", extra={"graph_call": GRAPH_CALL})
    graph.warning("Graph refused a call sent with Authorization: Bearer %s", JWT)
    return HttpResponse("")


# The app's own URLs (pages link to them), behind a stand-in for the removal view.
urlpatterns = [path("groups/<uuid:container_id>/members/<uuid:member_id>/", remove_view), *portal.urls.urlpatterns]


@pytest.fixture
def json_lines():
    """``json_lines()`` -> what the JSON handler wrote so far, each line parsed (raw text under ``.text``)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    loggers = [logging.getLogger(name) for name in ("portal.requests", "members.graph", "django.request")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    lines.text = stream.getvalue
    yield lines
    for logger, level in zip(loggers, levels):
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def signed_in(client):
    client.force_login(get_user_model().objects.create(username=OID, email="helpdesk@contoso.example"))
    return client


def test_a_request_is_one_line_with_its_route_status_duration_and_user(signed_in, json_lines):
    container, member = uuid.uuid4(), uuid.uuid4()
    signed_in.delete(f"/groups/{container}/members/{member}/?code=0.AAAA-secret&access_token={JWT}",
                     headers={"Authorization": f"Bearer {JWT}"})

    graph_call, refused, request_line = json_lines()
    assert request_line["logger"] == "portal.requests" and request_line["user_oid"] == OID
    timing = request_line["http_request"].pop("duration_ms")
    assert isinstance(timing, float) and timing >= 0
    assert request_line["http_request"] == {
        "method": "DELETE", "path": "/groups/<uuid:container_id>/members/<uuid:member_id>/", "status": 200}
    assert {"time", "level", "message"} <= set(request_line)


def test_records_logged_during_a_request_carry_the_users_object_id_and_their_extra_fields(signed_in, json_lines):
    signed_in.delete(f"/groups/{uuid.uuid4()}/members/{uuid.uuid4()}/")

    graph_call, refused, _ = json_lines()
    assert (graph_call["logger"], graph_call["graph_call"], graph_call["user_oid"]) == ("members.graph", GRAPH_CALL, OID)
    assert refused["user_oid"] == OID and refused["message"].endswith("Authorization: [redacted]")


def test_no_line_carries_a_token_or_a_query_string(signed_in, json_lines):
    signed_in.delete(f"/groups/{uuid.uuid4()}/members/{uuid.uuid4()}/?code=0.AAAA-secret&access_token={JWT}",
                     headers={"Authorization": f"Bearer {JWT}"})
    signed_in.get(f"/no-such-page/?code=0.AAAA-secret&access_token={JWT}")  # django.request logs the 404

    text = json_lines.text()
    assert len(json_lines()) == 5 and "Not Found: /no-such-page/" in text
    for leak in ("Bearer", "eyJ", "?", "code=", "secret", "access_token"):
        assert leak not in text, leak


def test_an_anonymous_or_unrouted_request_has_no_user_nor_route(client, json_lines):
    client.get("/no-such-page/")

    request_line, not_found = json_lines()  # Django logs a 4xx after the middleware has answered
    assert request_line["user_oid"] is None and request_line["http_request"]["path"] is None
    assert request_line["http_request"]["status"] == 404 and "user_oid" not in not_found


def test_a_refusal_django_logs_after_the_response_still_names_the_user(signed_in, json_lines):
    signed_in.get("/activity/?container=not-a-guid")  # a 400

    request_line, refusal = json_lines()
    assert refusal["logger"] == "django.request" and refusal["user_oid"] == OID
