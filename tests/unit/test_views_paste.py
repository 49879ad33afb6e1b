"""The paste views through Django's test client: what a browser can send that is refused before Graph."""

from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.fakes import FakeGraph, replace_graph

GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
HX = {"HX-Request": "true", "HX-Current-URL": f"http://testserver/groups/{GROUP}/"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client):
    client.force_login(get_user_model().objects.create(username="oid-1", email="helpdesk@contoso.example"))
    return client


def test_a_paste_with_a_nul_is_refused_naming_the_line_not_as_empty(signed_in, monkeypatch):
    replace_graph(monkeypatch, lambda request: FakeGraph())
    lines = "ada@contoso.example\nbob@contoso.example\ncarl\x00@contoso.example\n"
    response = signed_in.post(reverse("members:member-paste", args=["groups", GROUP]),
                              {"action": "add", "lines": lines}, headers=HX)
    text = unescape(response.content.decode())
    assert response.status_code == 200 and 'role="alert"' in text
    assert "Line 3 of the pasted text contains a NUL character" in text and "Nothing was checked or changed." in text
    assert "Paste at least one entry" not in text
