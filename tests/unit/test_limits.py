"""What one request may carry (README "Limits"), and the 5xx the property tests found, each pinned.

Graph is on the wire (``tests/wire.py``): what the app would send is checked call by call.
"""

import uuid
from html import unescape
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from members.changes import MAX_MEMBERS_PER_CHANGE
from members.models import AuditEntry
from tests import wire as w
from tests.fakes import replace_graph

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"
HX = {"HX-Request": "true", "HX-Target": "add-results", "HX-Current-URL": f"http://testserver/groups/{w.GROUP}/"}


@pytest.fixture
def graph(monkeypatch):
    wire = w.GraphWire()
    replace_graph(monkeypatch, lambda request: w.client_on(wire))
    return wire


@pytest.fixture
def desk():
    """Signed in, with CSRF checks on as a browser meets them."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.create(username="oid-1", email="helpdesk@contoso.example"))
    session = client.session
    session["granted_scopes"] = ["GroupMember.ReadWrite.All", "Directory.Read.All"]
    session.save()
    return client


def csrf_headers(client: Client) -> dict:
    client.get("/groups/")  # sets the CSRF cookie, as any page does
    return {**HX, "X-CSRFToken": client.cookies["csrftoken"].value}


def members_form(count: int) -> str:
    return "&".join(f"member={uuid.UUID(int=n + 1)}" for n in range(count))


def writes(graph: w.GraphWire) -> list:
    return [(method, path) for method, path in graph.sent if method in {"PATCH", "DELETE"} or path.endswith("$ref")]


def test_a_3_mb_body_is_refused_with_a_message_and_nothing_is_sent_or_journaled(graph, desk):
    headers = csrf_headers(desk)
    graph.sent.clear()
    body = "member=" + "a" * (3 * 1024 * 1024)
    response = desk.post(f"/groups/{w.GROUP}/members/", body, content_type=FORM, headers=headers)
    assert response.status_code == 200 and b"too large to read, so nothing was read or changed" in response.content
    headers = {"X-CSRFToken": headers["X-CSRFToken"]}  # without htmx: a page, 413
    assert desk.post(f"/groups/{w.GROUP}/members/", body, content_type=FORM, headers=headers).status_code == 413
    assert graph.sent == [] and AuditEntry.objects.count() == 0


def test_1101_fields_are_a_400_and_nothing_is_sent(graph, desk):
    headers = csrf_headers(desk)
    graph.sent.clear()
    response = desk.post(f"/groups/{w.GROUP}/members/remove/", members_form(1_101), content_type=FORM, headers=headers)
    assert response.status_code == 400
    assert graph.sent == [] and AuditEntry.objects.count() == 0


def test_1101_query_parameters_are_a_400(graph, desk):
    response = desk.get("/groups/", QUERY_STRING="&".join(f"q{n}=x" for n in range(1_101)))
    assert response.status_code == 400 and graph.sent == []


def test_a_file_in_a_form_is_a_400(graph, desk):
    headers = csrf_headers(desk)
    body = (b'--B\r\nContent-Disposition: form-data; name="member"; filename="ids.txt"\r\n\r\n'
            + w.MEMBERS[0].encode() + b"\r\n--B--\r\n")
    response = desk.generic("POST", f"/groups/{w.GROUP}/members/", body, content_type="multipart/form-data; boundary=B",
                            headers=headers)
    assert response.status_code == 400 and writes(graph) == []


def test_1000_members_in_one_change_are_each_journaled_once(graph, desk, settings):
    settings.BACKGROUND_CHANGE_ABOVE = MAX_MEMBERS_PER_CHANGE  # in the request (tests/integration: as a background job)
    headers = csrf_headers(desk)
    response = desk.post(f"/groups/{w.GROUP}/members/", members_form(MAX_MEMBERS_PER_CHANGE), content_type=FORM,
                         headers=headers)
    assert response.status_code == 200
    assert AuditEntry.objects.count() == MAX_MEMBERS_PER_CHANGE
    assert len([1 for method, _ in graph.sent if method == "PATCH"]) == MAX_MEMBERS_PER_CHANGE // 20


def test_1001_members_are_refused_inline_before_anything_is_sent(graph, desk):
    headers = csrf_headers(desk)
    graph.sent.clear()
    response = desk.post(f"/groups/{w.GROUP}/members/", members_form(MAX_MEMBERS_PER_CHANGE + 1), content_type=FORM,
                         headers=headers)
    assert response.status_code == 200 and "at most 1,000 members per change" in unescape(response.content.decode())
    assert writes(graph) == [] and AuditEntry.objects.count() == 0


@pytest.mark.parametrize("path", [f"/groups/{w.GROUP}/members/", f"/groups/{w.GROUP}/candidates/", "/groups/",
                                  "/roles/"])
def test_a_3000_character_search_is_answered_and_graph_gets_at_most_100(graph, desk, path):
    text = "Adele " * 500
    response = desk.get(path, {"q": text}, headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{path}"})
    assert response.status_code == 200
    assert graph.sent  # the page asked Graph (so the check below is about something)
    searches = [parse_qs(urlsplit(sent).query).get("$search", [""])[0] for _, sent in graph.sent]
    assert all(len(search) <= 100 * 3 + 60 for search in searches)  # ≤ 3 fields of ≤ 100 characters each
    assert any("Adele" in search for search in searches) or path == "/roles/"


def test_an_unreadable_current_url_on_a_signed_out_htmx_request_sends_to_sign_in(graph):
    """Found by the property tests: ``HX-Current-URL: http://[`` was a 500 (urlsplit raises)."""
    response = Client().get("/groups/", headers={"HX-Request": "true", "HX-Current-URL": "http://["})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/accounts/sign-in/?next={quote('/groups/')}"


@pytest.mark.parametrize("answer", ["html", "not-json", "odd-json"])
def test_a_graph_answer_that_is_not_json_says_the_page_could_not_load(graph, desk, answer):
    """Found by the property tests: a 200 whose body isn't a JSON object (a proxy's page) was a 500."""
    graph.faults = iter([answer] * 20)
    response = desk.get("/groups/")
    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert "Couldn't load groups" in html and 'role="alert"' in html


def test_a_batch_item_whose_success_body_is_unreadable_is_an_error_not_a_500():
    """Found by the property tests: such an item in the read after a change was a 500 (KeyError),
    after the change had been made and journaled."""
    from members.graph import GraphError
    from members.directory import Container, Kind

    wire = w.GraphWire(faults=iter(["not-json", "odd-json", None]))  # the two items, then the $batch itself
    info, found, gone = w.client_on(wire).describe(Container(Kind.GROUPS, w.GROUP), [w.MEMBERS[0]])
    assert (info, found, gone) == (None, {}, frozenset())
    wire.faults = iter(["not-json", None])
    answers = w.client_on(wire).batch_get({"me": "/me/scopedRoleMemberOf"})
    assert isinstance(answers["me"], GraphError) and answers["me"].code == "UnreadableAnswer"
