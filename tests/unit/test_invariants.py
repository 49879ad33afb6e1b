"""DESIGN.md invariants 1 and 2: ids are validated before any URL is built, removals end in /$ref."""

import json
import re

import pytest
import responses

from members import directory as refs
from members.graph import GraphClient
from members.directory import Container, InvalidId, Kind

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
        Container("groups", bad)
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


def _every_delete_sent(rsps) -> list[str]:
    """The URL of every DELETE sent, on its own or as an item of a $batch."""
    urls = []
    for call in rsps.calls:
        if call.request.method == "DELETE":
            urls.append(call.request.url)
        elif call.request.url.endswith("/$batch"):
            urls += [item["url"] for item in json.loads(call.request.body)["requests"] if item["method"] == "DELETE"]
    return urls


@pytest.mark.parametrize("container", [Container(Kind.GROUPS, GROUP), Container(Kind.UNITS, GROUP),
                                       Container(Kind.ROLES, GROUP), Container.role_template(GROUP)])
@pytest.mark.parametrize("answer", [204, 404, 503, 429, 500])
@pytest.mark.parametrize("count", [1, 2, 45])
def test_a_removal_only_ever_deletes_member_references_whatever_graph_answers(container, answer, count):
    """Behaviour, not source text: every DELETE the service sends for a removal (single, $batch items,
    resends after 503/429, after a server error) ends in /members/{id}/$ref; no directory object itself."""
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(count)]
    client = GraphClient("tok", base_url=GRAPH, sleep=lambda seconds: None)
    item = {"status": answer, "headers": {"Retry-After": "0"}, "body": {"error": {"code": "x", "message": ""}}}

    def batch(request):
        items = json.loads(request.body)["requests"]
        return 200, {}, json.dumps({"responses": [{"id": i["id"], **item} if i["method"] == "DELETE" else
                                                  {"id": i["id"], "status": 200, "body": {"value": []}} for i in items]})

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.DELETE, re.compile(".*"), status=answer, json=item["body"], headers=item["headers"])
        rsps.add_callback(responses.POST, re.compile(r".*/\$batch$"), callback=batch)
        rsps.add(responses.GET, re.compile(".*"), status=404, json={"error": {"code": "Request_ResourceNotFound"}})
        client.remove_members(container, ids)
        deletes = _every_delete_sent(rsps)
    assert deletes, "the removal sent no DELETE at all"
    assert all(re.search(r"/members/[0-9a-f-]{36}/\$ref$", url) for url in deletes), deletes


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
