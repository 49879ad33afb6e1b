"""DESIGN.md invariants 1 and 2: ids are validated before any URL is built, removals end in /$ref."""

import inspect
import json
import re

import pytest
import responses

from members import graph as graph_module
from members import refs
from members.graph import GraphClient
from members.refs import Container, InvalidId, Kind

GRAPH = "https://graph.example.test/v1.0"
GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
USER = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"

HOSTILE_IDS = [
    f"../../users/{USER}",
    "x/$ref",
    f"{USER}/$ref",
    f"{USER}?$select=id",
    f"{USER}#",
    f"{{{USER}}}",
    f"urn:uuid:{USER}",
    USER.replace("-", ""),
    f" {USER}/..",
    "",
    "Enter your GroupId here",
    f"{USER}%2F..",
]


@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_object_id_refuses_anything_but_a_canonical_guid(bad):
    with pytest.raises(InvalidId):
        refs.object_id(bad)


def test_object_id_canonicalises_case():
    assert refs.object_id(USER.upper()) == USER


@pytest.mark.parametrize("bad", HOSTILE_IDS)
@pytest.mark.parametrize("kind", list(Kind))
def test_no_request_is_sent_for_a_hostile_member_id(bad, kind):
    client = GraphClient("tok", base_url=GRAPH)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        with pytest.raises(InvalidId):
            client.remove_member(Container(kind, GROUP), bad)
        with pytest.raises(InvalidId):
            client.add_member(Container(kind, GROUP), bad)
        with pytest.raises(InvalidId):
            client.add_members(Container(kind, GROUP), [USER, bad])
        assert len(rsps.calls) == 0


@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_no_container_can_be_made_from_a_hostile_id(bad):
    with pytest.raises(InvalidId):
        Container.of("groups", bad)
    with pytest.raises(InvalidId):
        Container.role_template(bad)


@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_a_container_smuggled_past_its_constructor_is_still_validated(bad):
    client = GraphClient("tok", base_url=GRAPH)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        with pytest.raises(InvalidId):
            client.remove_member(Container(Kind.GROUPS, bad), USER)
        assert len(rsps.calls) == 0


@pytest.mark.parametrize("container", [
    Container(Kind.GROUPS, GROUP), Container(Kind.UNITS, GROUP), Container(Kind.ROLES, GROUP),
    Container.role_template(GROUP),
])
@pytest.mark.parametrize("base", [GRAPH, "https://graph.example.test/beta"])
def test_every_delete_the_service_sends_ends_in_ref(container, base):
    client = GraphClient("tok", base_url=base)
    with responses.RequestsMock() as rsps:
        rsps.add(responses.DELETE, re.compile(".*"), status=204)
        client.remove_member(container, USER)
        [call] = rsps.calls
    assert call.request.method == "DELETE"
    assert call.request.url.endswith(f"/members/{USER}/$ref")


def test_delete_is_only_ever_built_from_member_ref_path():
    """No code path of the service can DELETE a directory object itself: only member references."""
    source = inspect.getsource(graph_module)
    deletes = [line.strip() for line in source.splitlines() if '"DELETE"' in line]
    assert deletes == [
        'response = self._request("DELETE", self._url(path))',
        'items = {str(n): {"method": "DELETE", "url": refs.member_ref_path(container, m, self.base_url)}',
        'return error.status == 429 or method in {"GET", "DELETE"}',
    ]
    assert "path = refs.member_ref_path(" in inspect.getsource(GraphClient.remove_member)


@pytest.mark.parametrize("container", [
    Container(Kind.GROUPS, GROUP), Container(Kind.UNITS, GROUP), Container(Kind.ROLES, GROUP), Container.role_template(GROUP),
])
def test_every_delete_in_a_batch_ends_in_ref(container):
    client = GraphClient("tok", base_url=GRAPH)
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(25)]
    with responses.RequestsMock() as rsps:
        rsps.add(responses.POST, f"{GRAPH}/$batch", json={"responses": [{"id": str(n), "status": 204} for n in range(1, 21)]})
        rsps.add(responses.POST, f"{GRAPH}/$batch", json={"responses": [{"id": str(n), "status": 204} for n in range(1, 6)]})
        client.remove_members(container, ids)
        items = [item for call in rsps.calls for item in json.loads(call.request.body)["requests"]]
    assert len(items) == 25 and {item["method"] for item in items} == {"DELETE"}
    assert all(item["url"].endswith(f"/members/{member}/$ref") for item, member in zip(items, ids))


@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_no_batch_is_sent_for_a_hostile_id_among_many(bad):
    client = GraphClient("tok", base_url=GRAPH)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        with pytest.raises(InvalidId):
            client.remove_members(Container(Kind.GROUPS, GROUP), [USER, bad])
        assert len(rsps.calls) == 0
