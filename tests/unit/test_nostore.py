"""Pages for a signed-in person carry Cache-Control: no-store, so Back asks the server again."""

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import RequestFactory

from portal.nostore import NeverCacheSignedInMiddleware
from tests.fakes import FakeGraph, replace_graph

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    client.force_login(get_user_model().objects.create(username="oid-1", email="helpdesk@contoso.example"))
    return client


@pytest.mark.parametrize("path", ["/", "/groups/", "/activity/", "/groups/?q=help"])
def test_it_marks_signed_in_pages_no_store(signed_in, monkeypatch, path):
    replace_graph(monkeypatch, lambda request: FakeGraph())
    response = signed_in.get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_it_marks_fragments_no_store(signed_in, monkeypatch):
    replace_graph(monkeypatch, lambda request: FakeGraph())
    response = signed_in.get("/groups/?q=help", headers={"HX-Request": "true"})
    assert "no-store" in response["Cache-Control"]


def test_it_keeps_a_views_own_cache_control(rf: RequestFactory):
    request = rf.get("/")
    request.user = get_user_model().objects.create(username="oid-2")
    own = HttpResponse("x", headers={"Cache-Control": "max-age=60"})
    assert NeverCacheSignedInMiddleware(lambda r: own)(request)["Cache-Control"] == "max-age=60"


def test_it_leaves_anonymous_answers_alone(client):
    response = client.get("/accounts/signed-out/")
    assert "Cache-Control" not in response
