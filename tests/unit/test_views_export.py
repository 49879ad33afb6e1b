"""The member export's edges, Graph faked at the seam: a refusal before the first row, a failure mid-way."""

import pytest
from django.contrib.auth import get_user_model

from members import csvstream
from members.graph import GraphError
from members.directory import ContainerInfo, DirectoryItem, Page
from members.directory import Kind
from tests.fakes import DENIED, FakeGraph, replace_graph

GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
ADELE = DirectoryItem("4562bcc8-c436-4f95-b7c0-4f8ce89dca5e", "user", "Adele Vance", "adele@contoso.example")

pytestmark = pytest.mark.django_db


class Pages(FakeGraph):
    def __init__(self, pages):
        super().__init__(containers={GROUP: ContainerInfo.from_graph(Kind.GROUPS, {"id": GROUP, "displayName": "Sales Team"})})
        self.pages = pages

    def member_pages(self, container):
        for page in self.pages:
            if isinstance(page, GraphError):
                raise page
            yield page


@pytest.fixture
def signed_in(client):
    client.force_login(get_user_model().objects.create(username="oid-1", email="helpdesk@contoso.example"))
    return client


def export(client, monkeypatch, pages):
    replace_graph(monkeypatch, lambda request: Pages(pages))
    return client.get(f"/groups/{GROUP}/members.csv")


def test_a_refused_first_page_is_a_page_not_a_file(signed_in, monkeypatch):
    answer = export(signed_in, monkeypatch, [DENIED])
    assert answer.status_code == 403 and b"Graph refused to list it" in answer.content and not answer.streaming


def test_a_first_page_graph_could_not_serve_is_a_page_not_200(signed_in, monkeypatch):
    busy = GraphError(503, "UnknownError", "", "rid-1", retry_after=7)
    answer = export(signed_in, monkeypatch, [busy])
    assert answer.status_code == 424 and answer["Retry-After"] == "7" and not answer.streaming
    assert "text/html" in answer["Content-Type"] and "Content-Disposition" not in answer
    assert b"Graph is busy" in answer.content


def test_a_page_that_fails_mid_way_gives_no_file_but_a_page_saying_so(signed_in, monkeypatch):
    lost = GraphError(0, "", "", client_request_id="crid-9")
    answer = export(signed_in, monkeypatch, [Page([ADELE], "next"), lost])
    assert answer.status_code == 424 and "Content-Disposition" not in answer and "text/html" in answer["Content-Type"]
    text = answer.content.decode()
    assert "No file: Graph stopped answering after 1 members" in text and "crid-9" in text
    assert ADELE.id not in text


def test_a_whole_export_is_one_file_with_its_length(signed_in, monkeypatch):
    bob = DirectoryItem("c11b732b-0e16-46c1-b0fa-bd32c8a42455", "user", "=HYPERLINK(\"x\")", "bob@contoso.example")
    answer = export(signed_in, monkeypatch, [Page([ADELE], "next"), Page([bob], None)])
    assert answer.status_code == 200 and answer["Content-Disposition"].startswith('attachment; filename="sales-team-members-')
    body = b"".join(answer.streaming_content)
    assert int(answer["Content-Length"]) == len(body)
    assert body.decode().splitlines() == ["id,type,display_name,upn_or_mail",
                                          f"{ADELE.id},user,Adele Vance,adele@contoso.example",
                                          f'{bob.id},user,"\'=HYPERLINK(""x"")",bob@contoso.example']


@pytest.mark.parametrize(("text", "cell"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("\x00x", "'\x00x"), (" =1+1", "' =1+1"), ("\t=1", "'\t'=1"), ("\n=1", "'\n'=1"),
    (";=cmd|' /C calc'!A0", ";'=cmd|' /C calc'!A0"), ("Ada;=1", "Ada;'=1"), ("Ada, =1", "Ada,' =1"),
    ("Ada\n=1", "Ada\n'=1"), ("\uff1d1+1", "'\uff1d1+1"), ("\uff0b1", "'\uff0b1"), ("\uff0d1", "'\uff0d1"),
    ("\uff20x", "'\uff20x"), ("\u3000\uff1d1", "'\u3000\uff1d1"),
])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_neutralised(text, cell):
    assert csvstream.cell(text) == cell


@pytest.mark.parametrize("text", ["Ada Vance", "ada@contoso.example", "Ada-Vance", "a=b", "x@y", "", "Zoë ＝ ok"])
def test_ordinary_cells_are_left_as_they_are(text):
    assert csvstream.cell(text) == text
