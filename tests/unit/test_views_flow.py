"""The member page's flow through Django's test client: picker marks, picks cleared, no-undo words,
the not-sent notice, the recent-changes fragment. Graph is faked at the seam."""

from html import unescape

import pytest
from django.urls import reverse

from members.graph import DirectoryItem
from tests.fakes import FakeGraph
from tests.unit.test_views_members import (  # noqa: F401 (fixtures)
    ADELE,
    BOB,
    GROUP,
    HX,
    USER,
    USER2,
    a_group,
    signed_in,
    use_graph,
    user,
)

pytestmark = pytest.mark.django_db

CANDIDATES = reverse("members:member-candidates", args=["groups", GROUP])
LEADS = DirectoryItem("7b0b3a54-6a43-4c55-9d1f-1b8f3c0f2a11", "group", "Helpdesk Leads", "leads@contoso.example")


def candidate_line(html: str, name: str) -> str:
    start = html.index(f'<span class="name">{name}</span>')
    return html[html.rindex("<label", 0, start):html.index("</label>", start)]


def test_picker_marks_members_already_there_with_one_read_for_all_hits(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE], "elsewhere": [BOB, LEADS]}))
    html = unescape(signed_in.get(CANDIDATES + "?q=el", headers=HX).content.decode())
    already = candidate_line(html, "Adele Vance")
    assert "Already a member" in already and " disabled" in already
    for name in ("Bob Kelly", "Helpdesk Leads"):
        line = candidate_line(html, name)
        assert "Already a member" not in line and " disabled" not in line
    reads = [call for call in fake.calls if call[0] == "read_membership"]
    assert len(reads) == 1 and sorted(reads[0][2]) == sorted([USER, USER2, LEADS.id])


def test_picker_with_no_hit_reads_no_membership(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    html = unescape(signed_in.get(CANDIDATES + "?q=zz", headers=HX).content.decode())
    assert "No match for “zz”." in html
    assert not [call for call in fake.calls if call[0] == "read_membership"]


def test_every_result_carries_its_line_for_selected(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={"elsewhere": [BOB]}))
    html = unescape(signed_in.get(CANDIDATES + "?q=bob", headers=HX).content.decode())
    line = html[html.index(f'<template id="pick-{USER2}">'):]
    line = line[:line.index("</template>")]
    assert f'name="member" value="{USER2}" checked' in line and "Bob Kelly" in line


def test_an_add_empties_selected_out_of_band(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [], "elsewhere": [ADELE]}))
    response = signed_in.post(reverse("members:member-collection", args=["groups", GROUP]), {"member": [USER]},
                              headers={**HX, "HX-Target": "add-results"})
    html = unescape(response.content.decode())
    picked = html[html.index('<fieldset id="picked"'):]
    assert picked.startswith('<fieldset id="picked" class="picked" hx-swap-oob="true">')
    assert '<ul class="picked-list"></ul>' in picked[:picked.index("</fieldset>")]


def test_nothing_picked_leaves_selected_alone(signed_in, monkeypatch):
    use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}))
    html = signed_in.post(reverse("members:member-collection", args=["groups", GROUP]), {}, headers=HX).content.decode()
    assert "tick the people to add first" in html and 'id="picked"' not in html


def test_recent_changes_fragment_reads_the_journal_only(signed_in, monkeypatch):
    fake = use_graph(monkeypatch, FakeGraph(containers={GROUP: a_group()}, members={GROUP: [ADELE]}))
    signed_in.delete(reverse("members:member-remove", args=["groups", GROUP, USER]), headers=HX)
    fake.calls.clear()
    response = signed_in.get(reverse("members:container-detail", args=["groups", GROUP]) + "?part=recent", headers=HX)
    html = unescape(response.content.decode())
    assert html.strip().startswith('<div id="recent-changes"') and "Adele Vance" in html
    assert 'hx-trigger="membersChanged from:body"' in html and "<html" not in html
    assert fake.calls == [] and response["Server-Timing"].endswith('"0 Graph round trips"')
