"""The member export's edges, Graph faked at the seam: a refusal before the first row, a failure mid-way."""

import pytest
from django.contrib.auth import get_user_model

from members.graph import ContainerInfo, DirectoryItem, GraphError, Page
from members.refs import Kind
from tests.fakes import DENIED, FakeGraph

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
    monkeypatch.setattr("members.views.graph_for", lambda request: Pages(pages))
    return client.get(f"/groups/{GROUP}/members.csv")


def test_a_refused_first_page_is_a_page_not_a_file(signed_in, monkeypatch):
    answer = export(signed_in, monkeypatch, [DENIED])
    assert answer.status_code == 403 and b"Graph refused to list it" in answer.content and not answer.streaming


def test_a_page_that_fails_mid_way_ends_the_file_saying_so(signed_in, monkeypatch):
    lost = GraphError(503, "UnknownError", "", "rid-9")
    answer = export(signed_in, monkeypatch, [Page([ADELE], "next"), lost])
    assert answer.streaming and answer["Content-Disposition"].startswith('attachment; filename="sales-team-members-')
    lines = b"".join(answer.streaming_content).decode().splitlines()
    assert lines[:2] == ["id,type,display_name,upn_or_mail", f"{ADELE.id},user,Adele Vance,adele@contoso.example"]
    assert lines[2].startswith("# Incomplete: Graph stopped answering") and "rid-9" in lines[2]
