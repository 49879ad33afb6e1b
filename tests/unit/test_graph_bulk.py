"""members.graph's bulk reads (issue 10) at the HTTP level: what each $batch carries, and fallbacks."""

import json
from urllib.parse import parse_qs, urlsplit

from responses import matchers

from members.graph import GraphError
from members.directory import Container, Kind
from tests.unit.test_graph import DENIED, GRAPH, GROUP, USER, USER2, graph_error
from tests.unit.test_graph import client, graph_api, sleeps  # noqa: F401 (the HTTP-level fixtures, shared)

THROTTLED_ITEM = {"status": 429, "headers": {"Retry-After": "2"},
                  "body": {"error": {"code": "TooManyRequests", "message": "Please retry again later."}}}


def sent_items(call) -> list[dict]:
    return json.loads(call.request.body)["requests"]


def query_of(item: dict) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(item["url"]).query).items()}


def user(object_id: str, upn: str, mail: str | None = None) -> dict:
    return {"id": object_id, "displayName": upn.split("@")[0], "userPrincipalName": upn, "mail": mail or upn}


def test_addresses_go_seven_to_a_filter_and_ids_to_get_by_ids_in_one_batch(graph_api, client):
    addresses = [f"u{n}@contoso.example" for n in range(9)]
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [
        {"id": "0", "status": 200, "body": {"value": [user(USER, "U0@contoso.example")]}},
        {"id": "1", "status": 200, "body": {"value": []}},
        {"id": "2", "status": 200, "body": {"value": [{"@odata.type": "#microsoft.graph.device", "id": USER2, "displayName": "PC"}]}},
    ]})
    found = client.resolve_entries(addresses, [USER2.upper()])
    items = sent_items(graph_api.calls[0])
    assert [item["method"] for item in items] == ["GET", "GET", "POST"]
    first = query_of(items[0])["$filter"]
    assert first.startswith("userPrincipalName in ('u0@contoso.example',") and first.count("@") == 14
    assert query_of(items[1])["$filter"] == "userPrincipalName in ('u7@contoso.example','u8@contoso.example') or mail in ('u7@contoso.example','u8@contoso.example')"
    assert items[2]["url"] == "/directoryObjects/getByIds" and items[2]["body"] == {"ids": [USER2]}
    assert [m.id for m in found["u0@contoso.example"]] == [USER]
    assert found["u8@contoso.example"] == [] and found[USER2][0].type == "device"


def test_an_address_two_users_answer_to_is_ambiguous(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [{"id": "0", "status": 200, "body": {"value": [
        user(USER, "ada@contoso.example"), user(USER2, "ada.l@contoso.example", mail="Ada@contoso.example")]}}]})
    assert {m.id for m in client.resolve_entries(["ADA@contoso.example"], [])["ada@contoso.example"]} == {USER, USER2}


def test_quotes_in_an_address_are_doubled_in_the_filter(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [{"id": "0", "status": 200, "body": {"value": []}}]})
    client.resolve_entries(["o'neil@contoso.example"], [])
    assert "'o''neil@contoso.example'" in query_of(sent_items(graph_api.calls[0])[0])["$filter"]


def test_unmatched_addresses_are_looked_up_as_group_mail_in_a_second_round_trip(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [{"id": "0", "status": 200, "body": {"value": []}}]})
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [{"id": "0", "status": 200, "body": {"value": [
        {"id": GROUP, "displayName": "Sales", "mail": "sales@contoso.example", "groupTypes": ["Unified"]}]}}]})
    found = client.resolve_entries(["sales@contoso.example"], [], groups_by_mail=True)
    assert query_of(sent_items(graph_api.calls[1])[0])["$filter"] == "mail in ('sales@contoso.example')"
    assert found["sales@contoso.example"][0].type == "group"


def test_ids_are_read_one_by_one_when_get_by_ids_is_refused(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [{"id": "0", "status": 403, "body": DENIED}]})
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [
        {"id": "0", "status": 200, "body": {"@odata.type": "#microsoft.graph.user", **user(USER, "a@contoso.example")}},
        {"id": "1", "status": 404, "body": graph_error("Request_ResourceNotFound", "gone")}]})
    found = client.resolve_entries([], [USER, USER2])
    assert [item["url"].split("?")[0] for item in sent_items(graph_api.calls[1])] == [f"/directoryObjects/{USER}", f"/directoryObjects/{USER2}"]
    assert found[USER][0].id == USER and found[USER2] == []


def test_throttled_items_are_sent_again_after_their_retry_after(graph_api, client, sleeps):
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [{"id": "0", "status": 200, "body": {"value": []}},
                                                          {"id": "1", **THROTTLED_ITEM}]})
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [{"id": "0", "status": 200, "body": {"value": [{"id": USER}]}}]})
    answers = client.batch_requests({"a": {"method": "GET", "url": "/a"}, "b": {"method": "GET", "url": "/b"}})
    assert sleeps == [2.0] and answers == {"a": {"value": []}, "b": {"value": [{"id": USER}]}}
    assert [item["url"] for item in sent_items(graph_api.calls[1])] == ["/b"]


def test_an_item_busy_past_the_retries_is_reported_busy(graph_api, client, sleeps):
    for _ in range(3):
        graph_api.post(f"{GRAPH}/$batch", json={"responses": [{"id": "0", **THROTTLED_ITEM}]})
    answer = client.batch_requests({"a": {"method": "GET", "url": "/a"}})["a"]
    assert isinstance(answer, GraphError) and answer.status == 429 and sleeps == [2.0, 2.0]


def test_members_among_filters_fifteen_ids_a_request_with_advanced_queries(graph_api, client):
    ids = [f"{n:08d}-0000-4000-8000-000000000000" for n in range(16)]
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [
        {"id": "0", "status": 200, "body": {"value": [{"id": ids[3]}]}},
        {"id": "1", "status": 200, "body": {"value": []}}]})
    state = client.members_among(Container(Kind.GROUPS, GROUP), ids)
    first, second = sent_items(graph_api.calls[0])
    assert first["url"].startswith(f"/groups/{GROUP}/members?") and first["headers"] == {"ConsistencyLevel": "eventual"}
    assert query_of(first)["$count"] == "true" and query_of(first)["$filter"].count("'") == 30
    assert query_of(second)["$filter"] == f"id in ('{ids[15]}')"
    assert state[ids[3]] is True and state[ids[0]] is False and state[ids[15]] is False


def test_members_among_reads_id_by_id_where_the_filter_is_not_supported(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [
        {"id": "0", "status": 400, "body": graph_error("Request_UnsupportedQuery", "Unsupported query.")}]})
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [
        {"id": "0", "status": 200, "body": {"id": USER}},
        {"id": "1", "status": 404, "body": graph_error("Request_ResourceNotFound", "no")}]})
    state = client.members_among(Container(Kind.UNITS, GROUP), [USER, USER2])
    assert state == {USER: True, USER2: False}


def test_a_roles_members_are_read_in_its_one_documented_call_never_filtered(graph_api, client):
    """A directory role's members take $select only (GRAPH.md §12): membership is told from that one read."""
    graph_api.get(f"{GRAPH}/directoryRoles/{GROUP}/members", match=[matchers.query_param_matcher({"$select": "id"})],
                  json={"value": [{"id": USER}]})
    assert client.members_among(Container(Kind.ROLES, GROUP), [USER, USER2]) == {USER: True, USER2: False}
    assert client.read_membership(Container(Kind.ROLES, GROUP), [USER2]) == {USER2: False}
