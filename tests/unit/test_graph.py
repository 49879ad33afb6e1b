"""members.graph at the HTTP level: exact method, URL, headers and body sent; each error mapped."""

import json
import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import responses
from responses import matchers

from members.graph import GraphClient, GraphError
from members.directory import Outcome
from members.directory import Container, InvalidId, Kind, Trait

GRAPH = "https://graph.example.test/v1.0"
GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
UNIT = "4d7ea995-bc0f-45c0-8c3e-132e93bf95f8"
ROLE = "06265c7a-1373-4033-8d26-3a9a04226e15"
TEMPLATE = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
USER = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"
USER2 = "c11b732b-0e16-46c1-b0fa-bd32c8a42455"
INNER = {"date": "2024-05-07T15:39:39", "request-id": "aa324f0f-b4a3-4af6-9c4f-996e19590000",
         "client-request-id": "aa324f0f-b4a3-4af6-9c4f-996e1959074e"}


def graph_error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message, "innerError": INNER}}


DENIED = graph_error("Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
ALREADY = graph_error("Request_BadRequest", "One or more added object references already exist for the following modified properties: 'members'.")
NOT_FOUND = graph_error("Request_ResourceNotFound", f"Resource '{GROUP}' does not exist or one of its queried reference-property objects are not present.")
THROTTLED = {"error": {"code": "TooManyRequests", "innerError": {"code": "429", "date": "2020-08-18T12:51:51", "message": "Please retry after", "request-id": "94fb3b52-452a-4535-a601-69e0a90e3aa2", "status": "429"}, "message": "Please retry again later."}}


@pytest.fixture
def graph_api():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def client(sleeps):
    return GraphClient("tok", base_url=GRAPH, timeout=7.5, sleep=sleeps.append)


def bearer():
    return matchers.header_matcher({"Authorization": "Bearer tok"})


def read_back_item(ids: list[str]) -> dict:
    """How a group's membership is read back, as Microsoft documents it (GRAPH.md §12): its members
    filtered by id, an advanced query, as an item of a $batch."""
    listed = ",".join(f"'{m}'" for m in ids)
    query = urlencode({"$filter": f"id in ({listed})", "$select": "id", "$count": "true"})
    return {"id": "0", "method": "GET", "url": f"/groups/{GROUP}/members?{query}", "headers": {"ConsistencyLevel": "eventual"}}


def read_back(graph_api, *present: str, error: Exception | None = None, asked: list[str] | None = None):
    """The answer to that read-back: the ``present`` ids are members (``asked``: the ids it must ask about)."""
    if error is not None:
        return graph_api.post(f"{GRAPH}/$batch", body=error)
    match = [matchers.json_params_matcher({"requests": [read_back_item(asked)]})] if asked else []
    return graph_api.post(f"{GRAPH}/$batch", match=match,
                          json={"responses": [{"id": "0", "status": 200, "body": {"value": [{"id": m} for m in present]}}]})


def test_remove_group_member_deletes_the_reference(graph_api, client):
    graph_api.delete(f"{GRAPH}/groups/{GROUP}/members/{USER}/$ref", status=204,
                     headers={"request-id": "rid-1"}, match=[bearer()])
    result = client.remove_member(Container(Kind.GROUPS, GROUP), USER)
    assert result.outcome is Outcome.DONE and result.request_id == "rid-1"


def test_remove_unit_member_uses_the_v1_directory_path(graph_api, client):
    graph_api.delete(f"{GRAPH}/directory/administrativeUnits/{UNIT}/members/{USER}/$ref", status=204, match=[bearer()])
    assert client.remove_member(Container(Kind.UNITS, UNIT), USER).outcome is Outcome.DONE


def test_remove_unit_member_on_beta_uses_the_flat_path(graph_api, sleeps):
    beta = "https://graph.example.test/beta"
    graph_api.delete(f"{beta}/administrativeUnits/{UNIT}/members/{USER}/$ref", status=204)
    client = GraphClient("tok", base_url=beta, sleep=sleeps.append)
    assert client.remove_member(Container(Kind.UNITS, UNIT), USER).outcome is Outcome.DONE


def test_remove_role_member_by_object_id(graph_api, client):
    graph_api.delete(f"{GRAPH}/directoryRoles/{ROLE}/members/{USER}/$ref", status=204)
    assert client.remove_member(Container(Kind.ROLES, ROLE), USER).outcome is Outcome.DONE


def test_remove_role_member_by_role_template_id(graph_api, client):
    graph_api.delete(f"{GRAPH}/directoryRoles(roleTemplateId='{TEMPLATE}')/members/{USER}/$ref", status=204)
    assert client.remove_member(Container.role_template(TEMPLATE), USER).outcome is Outcome.DONE


def test_remove_denied_is_refused_with_graph_ids(graph_api, client):
    graph_api.delete(f"{GRAPH}/groups/{GROUP}/members/{USER}/$ref", status=403, json=DENIED,
                     headers={"request-id": INNER["request-id"], "client-request-id": INNER["client-request-id"]})
    result = client.remove_member(Container(Kind.GROUPS, GROUP), USER)
    assert result.outcome is Outcome.REFUSED
    assert (result.error.status, result.error.code) == (403, "Authorization_RequestDenied")
    assert result.error.message == "Insufficient privileges to complete the operation."
    assert result.error.request_id == INNER["request-id"]
    assert result.error.client_request_id == INNER["client-request-id"]


def test_remove_of_a_non_member_is_already_removed(graph_api, client):
    graph_api.delete(f"{GRAPH}/groups/{GROUP}/members/{USER}/$ref", status=404, json=NOT_FOUND)
    result = client.remove_member(Container(Kind.GROUPS, GROUP), USER)
    assert result.outcome is Outcome.ALREADY and result.error.code == "Request_ResourceNotFound"


def test_request_id_falls_back_to_the_error_body(graph_api, client):
    graph_api.delete(f"{GRAPH}/groups/{GROUP}/members/{USER}/$ref", status=403, json=DENIED)
    assert client.remove_member(Container(Kind.GROUPS, GROUP), USER).request_id == INNER["request-id"]


def test_add_member_posts_a_directory_object_reference(graph_api, client):
    graph_api.post(f"{GRAPH}/groups/{GROUP}/members/$ref", status=204, match=[
        matchers.json_params_matcher({"@odata.id": f"{GRAPH}/directoryObjects/{USER}"}), bearer()])
    assert client.add_member(Container(Kind.GROUPS, GROUP), USER).outcome is Outcome.DONE


def test_add_of_an_existing_member_is_already_a_member(graph_api, client):
    graph_api.post(f"{GRAPH}/directory/administrativeUnits/{UNIT}/members/$ref", status=400, json=ALREADY)
    assert client.add_member(Container(Kind.UNITS, UNIT), USER).outcome is Outcome.ALREADY


def test_add_several_group_members_binds_them_in_one_patch(graph_api, client):
    graph_api.patch(f"{GRAPH}/groups/{GROUP}", status=204, match=[matchers.json_params_matcher(
        {"members@odata.bind": [f"{GRAPH}/directoryObjects/{USER}", f"{GRAPH}/directoryObjects/{USER2}"]})])
    results = client.add_members(Container(Kind.GROUPS, GROUP), [USER, USER2])
    assert [r.outcome for r in results] == [Outcome.DONE, Outcome.DONE]


def test_add_members_patches_at_most_twenty_binds_per_call(graph_api, client):
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(45)]
    sizes = []

    def callback(request):
        sizes.append(len(json.loads(request.body)["members@odata.bind"]))
        return (204, {}, "")

    graph_api.add_callback(responses.PATCH, f"{GRAPH}/groups/{GROUP}", callback=callback)
    results = client.add_members(Container(Kind.GROUPS, GROUP), ids)
    assert sizes == [20, 20, 5] and all(r.outcome is Outcome.DONE for r in results)


def test_failed_patch_is_sent_again_one_item_per_member_in_one_batch_to_learn_which_failed(graph_api, client):
    # All-or-nothing PATCH: one existing member fails the lot. Each member is then its own item of
    # one $batch (it was one POST per member: 20 round trips for a chunk of 20, now one).
    graph_api.patch(f"{GRAPH}/groups/{GROUP}", status=400, json=ALREADY)
    path = f"/groups/{GROUP}/members/$ref"
    graph_api.post(f"{GRAPH}/$batch", match=[matchers.json_params_matcher({"requests": [
        {"id": str(n), "method": "POST", "url": path, "headers": {"Content-Type": "application/json"},
         "body": {"@odata.id": f"{GRAPH}/directoryObjects/{m}"}} for n, m in enumerate([USER, USER2], start=1)]})],
        json={"responses": [{"id": "1", "status": 400, "body": ALREADY}, {"id": "2", "status": 204}]})
    results = client.add_members(Container(Kind.GROUPS, GROUP), [USER, USER2])
    assert [r.outcome for r in results] == [Outcome.ALREADY, Outcome.DONE]
    assert [c.request.method for c in graph_api.calls] == ["PATCH", "POST"]


def test_add_several_unit_members_goes_in_one_batch(graph_api, client):
    path = f"/directory/administrativeUnits/{UNIT}/members/$ref"
    expected = {"requests": [
        {"id": "1", "method": "POST", "url": path, "headers": {"Content-Type": "application/json"},
         "body": {"@odata.id": f"{GRAPH}/directoryObjects/{USER}"}},
        {"id": "2", "method": "POST", "url": path, "headers": {"Content-Type": "application/json"},
         "body": {"@odata.id": f"{GRAPH}/directoryObjects/{USER2}"}},
    ]}
    graph_api.post(f"{GRAPH}/$batch", status=200, match=[matchers.json_params_matcher(expected)], json={"responses": [
        {"id": "2", "status": 403, "headers": {"request-id": "r2"}, "body": DENIED},
        {"id": "1", "status": 204, "headers": {"request-id": "r1"}},
    ]})
    first, second = client.add_members(Container(Kind.UNITS, UNIT), [USER, USER2])
    assert (first.outcome, first.request_id) == (Outcome.DONE, "r1")
    assert (second.outcome, second.error.code, second.request_id) == (Outcome.REFUSED, "Authorization_RequestDenied", "r2")


def test_throttled_call_waits_retry_after_then_succeeds(graph_api, client, sleeps):
    url = f"{GRAPH}/groups/{GROUP}/members/{USER}/$ref"
    graph_api.delete(url, status=429, json=THROTTLED, headers={"Retry-After": "2"})
    graph_api.delete(url, status=204)
    assert client.remove_member(Container(Kind.GROUPS, GROUP), USER).outcome is Outcome.DONE
    assert sleeps == [2.0]


def test_throttling_beyond_the_retry_budget_is_busy_with_retry_after(graph_api, client, sleeps):
    url = f"{GRAPH}/groups/{GROUP}/members/{USER}/$ref"
    for _ in range(3):
        graph_api.delete(url, status=429, json=THROTTLED, headers={"Retry-After": "1"})
    result = client.remove_member(Container(Kind.GROUPS, GROUP), USER)
    assert result.outcome is Outcome.BUSY and result.error.retry_after == 1.0 and len(sleeps) == 2


def test_long_retry_after_is_reported_not_waited(graph_api, client, sleeps):
    graph_api.delete(f"{GRAPH}/groups/{GROUP}/members/{USER}/$ref", status=429, json=THROTTLED, headers={"Retry-After": "120"})
    result = client.remove_member(Container(Kind.GROUPS, GROUP), USER)
    assert result.outcome is Outcome.BUSY and result.error.retry_after == 120 and sleeps == []


def test_unavailable_post_is_not_resent_blindly(graph_api, client, sleeps):
    graph_api.post(f"{GRAPH}/groups/{GROUP}/members/$ref", status=503,
                   json=graph_error("UnknownError", ""), headers={"Retry-After": "1"})
    read_back(graph_api)
    result = client.add_member(Container(Kind.GROUPS, GROUP), USER)
    assert result.outcome is Outcome.BUSY and sleeps == []
    assert [c.request.method for c in graph_api.calls] == ["POST", "POST"]  # the add, then the read-back


def test_timed_out_removal_is_read_back_and_found_done(graph_api, client):
    graph_api.delete(f"{GRAPH}/groups/{GROUP}/members/{USER}/$ref", body=requests.Timeout("slow"))
    read_back(graph_api)
    result = client.remove_member(Container(Kind.GROUPS, GROUP), USER)
    assert result.outcome is Outcome.AS_ASKED


def test_timed_out_removal_still_a_member_is_unknown_with_the_timeout(graph_api, client):
    """Graph may still be working on a call we stopped waiting for: "still a member" is not "not removed"
    (the journal settles it later; found by a sandbox answer slower than the client's timeout)."""
    graph_api.delete(f"{GRAPH}/groups/{GROUP}/members/{USER}/$ref", body=requests.Timeout("slow"))
    read_back(graph_api, USER)
    result = client.remove_member(Container(Kind.GROUPS, GROUP), USER)
    assert result.outcome is Outcome.UNKNOWN and result.error.status == 0 and result.error.code == "Timeout"


def test_timed_out_add_not_yet_a_member_is_unknown_not_busy(graph_api, client):
    graph_api.post(f"{GRAPH}/groups/{GROUP}/members/$ref", body=requests.ReadTimeout("slow"))
    read_back(graph_api)
    assert client.add_member(Container(Kind.GROUPS, GROUP), USER).outcome is Outcome.UNKNOWN


def test_every_call_sets_the_timeout(client, monkeypatch):
    seen = {}

    def fake_request(method, url, **kwargs):
        seen.update(kwargs)
        raise requests.ConnectionError("offline")

    monkeypatch.setattr(client.session, "request", fake_request)
    with pytest.raises(GraphError):
        client.list_members(Container(Kind.GROUPS, GROUP))
    assert seen["timeout"] == 7.5


def test_list_members_selects_fields_asks_for_name_order_and_parses_mixed_types(graph_api, client):
    """Graph's order of members is unspecified: name order is asked, an advanced query (GRAPH.md §12)."""
    graph_api.get(f"{GRAPH}/groups/{GROUP}/members", match=[matchers.query_param_matcher(
        {"$select": "id,displayName,userPrincipalName,mail,jobTitle,operatingSystem,appId,groupTypes,securityEnabled,mailEnabled,accountEnabled,userType", "$top": "50",
         "$orderby": "displayName", "$count": "true"}), matchers.header_matcher({"ConsistencyLevel": "eventual"})],
        json={"@odata.nextLink": f"{GRAPH}/groups/{GROUP}/members?$skiptoken=abc", "value": [
            {"@odata.type": "#microsoft.graph.user", "id": USER, "displayName": "Adele Vance", "userPrincipalName": "AdeleV@contoso.com"},
            {"@odata.type": "#microsoft.graph.device", "id": USER2, "displayName": "Test Windows device", "operatingSystem": "Windows"},
        ]})
    page = client.list_members(Container(Kind.GROUPS, GROUP))
    assert [(m.type, m.display_name, m.principal or m.detail) for m in page.items] == [
        ("user", "Adele Vance", "AdeleV@contoso.com"), ("device", "Test Windows device", "Windows")]
    assert page.next_link == f"{GRAPH}/groups/{GROUP}/members?$skiptoken=abc"


def test_next_page_follows_the_link_verbatim(graph_api, client):
    link = f"{GRAPH}/groups/{GROUP}/members?$skiptoken=RFNwdAoAAQAAAAAA"
    graph_api.get(link, match=[matchers.query_param_matcher({"$skiptoken": "RFNwdAoAAQAAAAAA"}), bearer()],
                  json={"value": []})
    page = client.next_page(link, lambda item: item)
    assert page.items == [] and page.next_link is None


def test_next_page_refuses_a_link_to_another_host(client):
    with pytest.raises(InvalidId):
        client.next_page("https://evil.example/v1.0/groups?$skiptoken=x", lambda item: item)


def test_picker_searches_every_type_in_one_batch_with_eventual_consistency(graph_api, client):
    def expected(path, fields, select):
        search = " OR ".join(f'"{f}:ade"' for f in fields)
        return {"method": "GET", "headers": {"ConsistencyLevel": "eventual"},
                "url": f"{path}?" + urlencode({"$search": search, "$select": select, "$top": "10",
                                               "$orderby": "displayName", "$count": "true"})}

    body = {"requests": [
        {"id": "0", **expected("/users", ["displayName", "userPrincipalName", "mail"], "id,displayName,userPrincipalName,mail,jobTitle,accountEnabled,userType")},
        {"id": "1", **expected("/devices", ["displayName"], "id,displayName,operatingSystem,accountEnabled")},
    ]}
    graph_api.post(f"{GRAPH}/$batch", match=[matchers.json_params_matcher(body), bearer()], json={"responses": [
        {"id": "1", "status": 200, "body": {"value": [{"id": USER2, "displayName": "ADE-LAPTOP", "operatingSystem": "Windows"}]}},
        {"id": "0", "status": 200, "body": {"value": [{"id": USER, "displayName": "Adele Vance", "userPrincipalName": "AdeleV@contoso.com"}]}},
    ]})
    found = client.search_directory('ade"', ["user", "device"])
    assert [(f.type, f.display_name, f.principal or f.detail) for f in found] == [
        ("user", "Adele Vance", "AdeleV@contoso.com"), ("device", "ADE-LAPTOP", "Windows")]


def test_stats_count_round_trips(graph_api, client):
    graph_api.get(f"{GRAPH}/groups/{GROUP}/members", json={"value": []})
    client.list_members(Container(Kind.GROUPS, GROUP))
    assert client.stats.calls == 1


def test_add_that_timed_out_is_re_read_not_resent_and_found_done(graph_api, client):
    graph_api.post(f"{GRAPH}/groups/{GROUP}/members/$ref", body=requests.Timeout("slow"))
    read_back(graph_api, USER)
    result = client.add_member(Container(Kind.GROUPS, GROUP), USER)
    assert result.outcome is Outcome.AS_ASKED
    assert [c.request.method for c in graph_api.calls] == ["POST", "POST"]  # the add, then the read-back
    assert json.loads(graph_api.calls[1].request.body)["requests"] == [read_back_item([USER])]


def test_add_that_got_503_and_did_not_land_is_busy_not_done(graph_api, client):
    graph_api.post(f"{GRAPH}/groups/{GROUP}/members/$ref", status=503, json=graph_error("UnknownError", ""),
                   headers={"Retry-After": "3"})
    read_back(graph_api)
    result = client.add_member(Container(Kind.GROUPS, GROUP), USER)
    assert result.outcome is Outcome.BUSY and result.error.retry_after == 3


def test_add_whose_outcome_cannot_be_read_back_is_not_shown_done(graph_api, client):
    graph_api.post(f"{GRAPH}/groups/{GROUP}/members/$ref", body=requests.ConnectionError("reset"))
    read_back(graph_api, error=requests.ConnectionError("reset"))
    result = client.add_member(Container(Kind.GROUPS, GROUP), USER)
    assert result.outcome is Outcome.UNKNOWN and result.error.code == "ConnectionError"


def test_a_batch_item_answered_503_is_read_back_not_resent(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [
        {"id": "1", "status": 204, "headers": {"request-id": "r1"}},
        {"id": "2", "status": 503, "headers": {"Retry-After": "5"}, "body": graph_error("UnknownError", "")},
    ]})
    graph_api.get(f"{GRAPH}/directory/administrativeUnits/{UNIT}/members/{USER2}", json={"id": USER2})
    first, second = client.add_members(Container(Kind.UNITS, UNIT), [USER, USER2])
    assert (first.outcome, second.outcome) == (Outcome.DONE, Outcome.AS_ASKED)
    assert [c.request.method for c in graph_api.calls] == ["POST", "GET"]


def test_batch_items_without_their_own_request_id_take_the_batchs(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", headers={"request-id": "batch-rid"}, json={"responses": [
        {"id": "1", "status": 204, "headers": {}}, {"id": "2", "status": 204}]})
    results = client.add_members(Container(Kind.UNITS, UNIT), [USER, USER2])
    assert [(r.outcome, r.request_id) for r in results] == [(Outcome.DONE, "batch-rid"), (Outcome.DONE, "batch-rid")]


def test_remove_several_goes_in_one_batch_and_reads_each_outcome(graph_api, client):
    third = "5d9a0b8c-1e2f-4a3b-9c4d-5e6f7a8b9c0d"
    expected = {"requests": [{"id": str(n), "method": "DELETE", "url": f"/groups/{GROUP}/members/{m}/$ref"}
                             for n, m in enumerate([USER, USER2, third], start=1)]}
    graph_api.post(f"{GRAPH}/$batch", headers={"request-id": "b1"}, match=[matchers.json_params_matcher(expected)], json={"responses": [
        {"id": "1", "status": 204}, {"id": "2", "status": 404, "body": NOT_FOUND},
        {"id": "3", "status": 429, "headers": {"Retry-After": "1"}, "body": THROTTLED}]})
    # The throttled item is sent again after its Retry-After, in a $batch of the throttled items
    # (it was a single DELETE: the same one round trip here, one instead of N when N are throttled).
    graph_api.post(f"{GRAPH}/$batch", headers={"request-id": "r3"}, json={"responses": [{"id": "1", "status": 204}]},
                   match=[matchers.json_params_matcher({"requests": [
                       {"id": "1", "method": "DELETE", "url": f"/groups/{GROUP}/members/{third}/$ref"}]})])
    results = client.remove_members(Container(Kind.GROUPS, GROUP), [USER, USER2, third])
    assert [(r.outcome, r.request_id) for r in results] == [
        (Outcome.DONE, "b1"), (Outcome.ALREADY, INNER["request-id"]), (Outcome.DONE, "r3")]


@pytest.mark.parametrize(("base", "unit_path"), [(GRAPH, "/directory/administrativeUnits"),
                                                 ("https://graph.example.test/beta", "/administrativeUnits")])
def test_units_with_groups_reads_each_unit_and_its_groups_in_one_batch(graph_api, base, unit_path, sleeps):
    client = GraphClient("tok", base_url=base, sleep=sleeps.append)
    graph_api.post(f"{base}/$batch", json={"responses": [
        {"id": "0", "status": 200, "body": {"id": UNIT, "displayName": "Seattle Office"}},
        {"id": "1", "status": 200, "body": {"value": [{"id": GROUP, "displayName": "Seattle Helpdesk", "groupTypes": []}]}},
    ]})
    [(unit_id, unit, groups)] = client.units_with_groups([UNIT])
    sent = json.loads(graph_api.calls[0].request.body)["requests"]
    assert [item["url"].split("?")[0] for item in sent] == [f"{unit_path}/{UNIT}", f"{unit_path}/{UNIT}/members/microsoft.graph.group"]
    assert (unit_id, unit.display_name, [g.display_name for g in groups]) == (UNIT, "Seattle Office", ["Seattle Helpdesk"])


def test_a_throttled_batchs_items_are_sent_again_together_until_the_retry_budget_is_spent(graph_api, client, sleeps):
    # They were retried one by one (a member's own retries, then the rest reported busy): now all
    # five go again in one $batch per retry, so 3 round trips instead of 4, for 5 members or for 20.
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(5)]
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [
        {"id": str(n), "status": 429, "headers": {"Retry-After": "1"}, "body": THROTTLED} for n in range(1, 6)]})
    results = client.remove_members(Container(Kind.GROUPS, GROUP), ids)
    assert [r.outcome for r in results] == [Outcome.BUSY] * 5 and results[0].error.retry_after == 1.0
    assert len(graph_api.calls) == 3 and sleeps == [1.0, 1.0]
    assert all(len(json.loads(c.request.body)["requests"]) == 5 for c in graph_api.calls)


def test_throttled_batch_items_wait_for_the_longest_retry_after_then_go_in_one_batch(graph_api, client, sleeps):
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(4)]
    path = f"/directory/administrativeUnits/{UNIT}/members/$ref"
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [
        {"id": "1", "status": 204}, {"id": "2", "status": 429, "headers": {"Retry-After": "1"}, "body": THROTTLED},
        {"id": "3", "status": 400, "body": ALREADY}, {"id": "4", "status": 429, "headers": {"Retry-After": "3"}, "body": THROTTLED}]})
    graph_api.post(f"{GRAPH}/$batch", match=[matchers.json_params_matcher({"requests": [
        {"id": str(n), "method": "POST", "url": path, "headers": {"Content-Type": "application/json"},
         "body": {"@odata.id": f"{GRAPH}/directoryObjects/{m}"}} for n, m in enumerate([ids[1], ids[3]], start=1)]})],
        json={"responses": [{"id": "1", "status": 204}, {"id": "2", "status": 204}]})
    results = client.add_members(Container(Kind.UNITS, UNIT), ids)
    assert [r.outcome for r in results] == [Outcome.DONE, Outcome.DONE, Outcome.ALREADY, Outcome.DONE]
    assert sleeps == [3.0] and len(graph_api.calls) == 2


def test_throttled_batch_items_whose_retry_after_is_too_long_are_busy_at_once(graph_api, client, sleeps):
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [
        {"id": "1", "status": 204}, {"id": "2", "status": 429, "headers": {"Retry-After": "120"}, "body": THROTTLED}]})
    done, busy = client.remove_members(Container(Kind.GROUPS, GROUP), [USER, USER2])
    assert (done.outcome, busy.outcome, busy.error.retry_after) == (Outcome.DONE, Outcome.BUSY, 120.0) and sleeps == []


def test_a_bulk_remove_whose_batch_answer_is_lost_is_read_back_in_one_batch_not_resent(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", body=requests.ConnectionError("reset"),
                   match=[matchers.json_params_matcher({"requests": [
                       {"id": "1", "method": "DELETE", "url": f"/groups/{GROUP}/members/{USER}/$ref"},
                       {"id": "2", "method": "DELETE", "url": f"/groups/{GROUP}/members/{USER2}/$ref"}]})])
    read_back(graph_api, USER2, asked=[USER, USER2])
    removed, kept = client.remove_members(Container(Kind.GROUPS, GROUP), [USER, USER2])
    assert removed.outcome is Outcome.AS_ASKED
    assert kept.outcome is Outcome.BUSY and kept.error.status == 0  # still a member: not done, and said so
    assert [c.request.method for c in graph_api.calls] == ["POST", "POST"]


def test_a_group_multi_add_whose_patch_answer_is_lost_is_read_back_not_reported_busy(graph_api, client):
    graph_api.patch(f"{GRAPH}/groups/{GROUP}", body=requests.ConnectionError("reset"))
    read_back(graph_api, USER, USER2, asked=[USER, USER2])
    results = client.add_members(Container(Kind.GROUPS, GROUP), [USER, USER2])
    assert [r.outcome for r in results] == [Outcome.AS_ASKED, Outcome.AS_ASKED]
    assert [c.request.method for c in graph_api.calls] == ["PATCH", "POST"]


def test_a_unit_multi_add_whose_batch_got_503_is_read_back(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", status=503, json=graph_error("UnknownError", ""))
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [
        {"id": "0", "status": 200, "body": {"id": USER}}, {"id": "1", "status": 404, "body": NOT_FOUND}]})
    added, not_added = client.add_members(Container(Kind.UNITS, UNIT), [USER, USER2])
    assert (added.outcome, not_added.outcome) == (Outcome.AS_ASKED, Outcome.BUSY)


def test_a_change_whose_read_back_fails_too_is_unknown_never_raised(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", body=requests.ConnectionError("reset"))
    graph_api.post(f"{GRAPH}/$batch", body=requests.ConnectionError("reset"))
    results = client.remove_members(Container(Kind.UNITS, UNIT), [USER, USER2])
    assert [r.outcome for r in results] == [Outcome.UNKNOWN, Outcome.UNKNOWN]


def test_a_member_count_whose_answer_is_lost_is_none_not_an_error(graph_api, client):
    graph_api.get(f"{GRAPH}/groups/{GROUP}/members/$count", body=requests.ConnectionError("reset"))
    assert client.count_members(Container(Kind.GROUPS, GROUP)) is None


def test_graph_calls_are_logged_with_a_path_template_and_no_query_or_token(graph_api, client, caplog):
    graph_api.get(f"{GRAPH}/groups/{GROUP}/members", json={"value": []}, headers={"request-id": "rid-9"})
    with caplog.at_level("INFO", logger="members.graph"):
        client.list_members(Container(Kind.GROUPS, GROUP), search="adele")
    [record] = [r for r in caplog.records if hasattr(r, "graph_call")]
    assert record.graph_call["path"] == "/v1.0/groups/{id}/members"
    assert (record.graph_call["method"], record.graph_call["status"], record.graph_call["request_id"]) == ("GET", 200, "rid-9")
    assert "adele" not in record.getMessage() and "tok" not in str(record.graph_call)


def test_a_batch_of_adds_answered_500_is_read_back_for_the_items_that_ran(graph_api, client):
    """Found by the chaos test: a $batch that failed (500) after running its first item was
    reported "Couldn't add" for both members, although one had been added."""
    graph_api.post(f"{GRAPH}/$batch", status=500, body="<html>Internal Server Error</html>")
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [
        {"id": "0", "status": 200, "body": {"id": USER}}, {"id": "1", "status": 404, "body": NOT_FOUND}]})
    added, not_added = client.add_members(Container(Kind.UNITS, UNIT), [USER, USER2])
    assert (added.outcome, not_added.outcome) == (Outcome.AS_ASKED, Outcome.FAILED)
    assert [c.request.method for c in graph_api.calls] == ["POST", "POST"]  # read back, not resent


@pytest.mark.parametrize("status", [500, 502])
def test_a_single_add_or_remove_answered_with_a_server_error_is_read_back(graph_api, client, status):
    graph_api.post(f"{GRAPH}/groups/{GROUP}/members/$ref", status=status, json=graph_error("InternalServerError", ""))
    read_back(graph_api, USER)
    graph_api.delete(f"{GRAPH}/units/{UNIT}/members/{USER}/$ref".replace("/units/", "/directory/administrativeUnits/"),
                     status=status, json=graph_error("InternalServerError", ""))
    graph_api.get(f"{GRAPH}/directory/administrativeUnits/{UNIT}/members/{USER}", status=404, json=NOT_FOUND)
    assert client.add_member(Container(Kind.GROUPS, GROUP), USER).outcome is Outcome.AS_ASKED
    assert client.remove_member(Container(Kind.UNITS, UNIT), USER).outcome is Outcome.AS_ASKED


def test_whether_member_lists_are_readable_is_unknown_not_an_error_when_the_batch_fails(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", status=500, json=graph_error("InternalServerError", "boom"))
    assert client.member_lists_readable([Container(Kind.UNITS, UNIT)]) == {UNIT: None}


# --- a page's reads in one $batch ------------------------------------------------------------

def batch_answers(request_body: bytes, answer_for) -> dict:
    """A $batch answer built per item by ``answer_for(item) -> (status, body)``, in reverse order (Graph
    may answer in any order)."""
    items = json.loads(request_body)["requests"]
    return {"responses": [{"id": item["id"], **dict(zip(("status", "body"), answer_for(item)))} for item in reversed(items)]}


def test_a_container_page_reads_facts_members_count_units_and_access_in_one_batch(graph_api, client):
    sent = []

    def answer_for(item):
        url = item["url"]
        if url.startswith(f"/groups/{GROUP}?"):
            return 200, {"id": GROUP, "displayName": "Helpdesk Tier 1", "groupTypes": []}
        if url.startswith(f"/groups/{GROUP}/members?"):
            return 200, {"@odata.count": 42,
                         "value": [{"@odata.type": "#microsoft.graph.user", "id": USER, "displayName": "Adele Vance"}],
                         "@odata.nextLink": f"{GRAPH}/groups/{GROUP}/members?$skiptoken=x"}
        if url.startswith(f"/groups/{GROUP}/memberOf/microsoft.graph.administrativeUnit"):
            return 200, {"value": [{"id": UNIT}]}
        if url.startswith("/me/transitiveMemberOf"):
            return 200, {"value": [{"id": ROLE, "roleTemplateId": TEMPLATE}]}
        if url.startswith("/me/scopedRoleMemberOf"):
            return 200, {"value": [{"administrativeUnitId": UNIT, "roleId": ROLE}]}
        if url.startswith("/directoryRoles"):
            return 200, {"value": [{"id": ROLE, "roleTemplateId": TEMPLATE}]}
        return 200, {"value": []}

    def callback(request):
        sent.extend(json.loads(request.body)["requests"])
        return 200, {}, json.dumps(batch_answers(request.body, answer_for))

    graph_api.add_callback(responses.POST, f"{GRAPH}/$batch", callback=callback)
    read = client.read_container(Container(Kind.GROUPS, GROUP), members=True, units=True, access=True)
    assert client.stats.calls == 1 and len(sent) == 7  # the member page carries the count
    members_item = next(item for item in sent if item["url"].startswith(f"/groups/{GROUP}/members?"))
    assert "%24orderby=displayName" in members_item["url"] and "%24count=true" in members_item["url"]
    assert members_item["headers"] == {"ConsistencyLevel": "eventual"}
    assert (read.info.display_name, read.member_count, read.group_units) == ("Helpdesk Tier 1", 42, frozenset({UNIT}))
    assert [m.display_name for m in read.members.items] == ["Adele Vance"] and read.members.next_link
    assert read.access.roles == frozenset({TEMPLATE}) and read.access.scoped == frozenset({(UNIT, TEMPLATE)})
    assert read.error is None and read.members_error is None


def test_a_container_page_whose_container_is_gone_says_so_and_a_refused_member_list_alone_fails(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [{"id": "0", "status": 404, "body": NOT_FOUND},
                                                         {"id": "1", "status": 404, "body": NOT_FOUND},
                                                         {"id": "2", "status": 404, "body": NOT_FOUND}]})
    gone = client.read_container(Container(Kind.UNITS, UNIT))
    assert gone.error.is_not_found and gone.info is None
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [
        {"id": "0", "status": 200, "body": {"id": UNIT, "displayName": "Hidden unit", "visibility": "HiddenMembership"}},
        {"id": "1", "status": 403, "body": DENIED}, {"id": "2", "status": 403, "body": DENIED}]})
    hidden = client.read_container(Container(Kind.UNITS, UNIT))
    assert hidden.info.display_name == "Hidden unit" and hidden.members_error.is_permission_denied
    assert hidden.members is None and hidden.member_count is None and hidden.access is None


def test_a_role_by_template_reads_its_members_by_template_in_the_same_batch(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [
        {"id": "0", "status": 200, "body": {"id": ROLE, "displayName": "Groups Administrator", "roleTemplateId": TEMPLATE}},
        {"id": "1", "status": 200, "body": {"value": [{"id": USER, "displayName": "Adele Vance"}]}}]})
    read = client.read_container(Container.role_template(TEMPLATE), units=True)
    requests_ = json.loads(graph_api.calls[0].request.body)["requests"]
    path = f"/directoryRoles(roleTemplateId='{TEMPLATE}')"
    assert [item["url"].split("?")[0] for item in requests_] == [path, f"{path}/members"]
    # A role's members: $select only, as Microsoft documents (no $top, no $count): counted here.
    assert parse_qs(urlsplit(requests_[1]["url"]).query).keys() == {"$select"}
    assert (read.info.id, read.member_count, [m.id for m in read.members.items]) == (ROLE, 1, [USER])


def test_a_list_page_counts_the_rows_it_guessed_in_its_own_batch_and_the_others_in_a_second(graph_api, client):
    other = "5d9a0b8c-1e2f-4a3b-9c4d-5e6f7a8b9c0d"
    batches = []

    def answer_for(item):
        if item["url"].startswith("/groups?"):
            return 200, {"@odata.count": 2, "value": [{"id": GROUP, "displayName": "A"}, {"id": other, "displayName": "B"}]}
        return 200, {"@odata.count": 7 if GROUP in item["url"] else 3, "value": []}

    def callback(request):
        batches.append([item["url"].split("?")[0] for item in json.loads(request.body)["requests"]])
        return 200, {}, json.dumps(batch_answers(request.body, answer_for))

    graph_api.add_callback(responses.POST, f"{GRAPH}/$batch", callback=callback)
    page = client.read_list(Kind.GROUPS, counted=[GROUP, USER])  # USER: a row no longer on the page
    assert batches == [["/groups", f"/groups/{GROUP}/members", f"/groups/{USER}/members"], [f"/groups/{other}/members"]]
    assert [(info.display_name, info.member_count) for info in page.items] == [("A", 7), ("B", 3)] and page.count == 2
    batches.clear()
    client.read_list(Kind.GROUPS, counted=[GROUP, other])
    assert len(batches) == 1 and len(batches[0]) == 3


def test_a_list_of_fifty_guessed_rows_is_one_wave_and_a_kind_of_group_is_a_filter_beside_the_search(graph_api, client):
    ids = [f"{n:08x}-1e2f-4a3b-9c4d-5e6f7a8b9c0d" for n in range(50)]
    batches = []

    def answer_for(item):
        if item["url"].startswith("/groups?"):
            return 200, {"@odata.count": 50, "value": [{"id": i, "displayName": i} for i in ids]}
        return 200, {"@odata.count": 1, "value": []}

    def callback(request):
        batches.append([item["url"] for item in json.loads(request.body)["requests"]])
        return 200, {}, json.dumps(batch_answers(request.body, answer_for))

    graph_api.add_callback(responses.POST, f"{GRAPH}/$batch", callback=callback)
    page = client.read_list(Kind.GROUPS, search="sales", counted=ids, group_kind=Trait.DISTRIBUTION)
    assert len(page.items) == 50 and all(info.member_count == 1 for info in page.items)
    assert sorted(map(len, batches)) == [11, 20, 20]  # the page and its 50 counts: three $batch
    query = parse_qs(urlsplit(next(url for batch in batches for url in batch if url.startswith("/groups?"))).query)
    assert query["$filter"] == ["securityEnabled eq false and mailEnabled eq true and not groupTypes/any(c:c eq 'Unified')"]
    assert query["$search"] == ['"displayName:sales" OR "description:sales"'] and query["$top"] == ["50"]


def test_a_read_whose_kept_alive_connection_was_closed_is_sent_again_at_once(graph_api, client, sleeps):
    graph_api.post(f"{GRAPH}/$batch", body=requests.ConnectionError("Connection aborted: RemoteDisconnected"))
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [{"id": "0", "status": 200, "body": {"id": GROUP, "displayName": "A"}},
                                                         {"id": "1", "status": 200, "body": {"value": []}},
                                                         {"id": "2", "status": 200, "body": {"@odata.count": 0, "value": []}}]})
    read = client.read_container(Container(Kind.GROUPS, GROUP))
    assert read.info.display_name == "A" and len(graph_api.calls) == 2 and sleeps == []


def test_a_write_whose_connection_broke_is_never_sent_again(graph_api, client):
    graph_api.delete(f"{GRAPH}/groups/{GROUP}/members/{USER}/$ref", body=requests.ConnectionError("reset"))
    read_back(graph_api)
    assert client.remove_member(Container(Kind.GROUPS, GROUP), USER).outcome is Outcome.AS_ASKED
    assert [c.request.method for c in graph_api.calls] == ["DELETE", "POST"]  # the removal, then the read-back


def test_a_read_batch_item_answered_200_with_no_json_object_is_an_error_not_an_empty_answer(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [{"id": "0", "status": 200, "body": "<html>proxy</html>"}]})
    [answer] = client.batch_requests({"users": {"method": "GET", "url": "/users?$top=1"}}).values()
    assert isinstance(answer, GraphError) and answer.code == "UnreadableAnswer"


def test_a_removal_resent_after_a_504_that_finds_the_member_gone_is_as_asked_not_already(graph_api, client):
    # Graph can apply a write and still answer 504: the resent DELETE's 404 may be the first send's doing.
    url = f"{GRAPH}/groups/{GROUP}/members/{USER}/$ref"
    graph_api.delete(url, status=504, headers={"request-id": "first-send"}, json=graph_error("GatewayTimeout", ""))
    graph_api.delete(url, status=404, json=NOT_FOUND)
    result = client.remove_member(Container(Kind.GROUPS, GROUP), USER)
    assert (result.outcome, result.request_id) == (Outcome.AS_ASKED, "first-send")


def test_a_removal_answered_404_at_once_is_already_removed(graph_api, client):
    graph_api.delete(f"{GRAPH}/groups/{GROUP}/members/{USER}/$ref", status=404, json=NOT_FOUND)
    assert client.remove_member(Container(Kind.GROUPS, GROUP), USER).outcome is Outcome.ALREADY


def test_a_batch_removal_item_resent_after_a_503_that_finds_the_member_gone_is_as_asked(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", headers={"request-id": "b1"}, json={"responses": [
        {"id": "1", "status": 503, "headers": {"Retry-After": "0", "request-id": "item-first"},
         "body": graph_error("UnknownError", "")},
        {"id": "2", "status": 404, "body": NOT_FOUND}]})
    graph_api.post(f"{GRAPH}/$batch", headers={"request-id": "b2"}, json={"responses": [
        {"id": "1", "status": 404, "body": NOT_FOUND}]})
    results = client.remove_members(Container(Kind.GROUPS, GROUP), [USER, USER2])
    assert [r.outcome for r in results] == [Outcome.AS_ASKED, Outcome.ALREADY]
    assert results[0].request_id == "item-first"


def test_a_removal_whose_first_send_got_a_504_and_whose_resend_is_throttled_is_read_back(graph_api, client):
    # The first send may have been applied: "busy, not removed" would be a guess; the read-back tells.
    url = f"{GRAPH}/groups/{GROUP}/members/{USER}/$ref"
    graph_api.delete(url, status=504, headers={"request-id": "first-send"}, json=graph_error("GatewayTimeout", ""))
    graph_api.delete(url, status=429, headers={"Retry-After": "600"}, json=THROTTLED)
    read_back(graph_api)
    result = client.remove_member(Container(Kind.GROUPS, GROUP), USER)
    assert result.outcome is Outcome.AS_ASKED and result.request_id == "first-send"


def test_a_batch_removal_item_resent_after_a_503_then_throttled_is_read_back(graph_api, client):
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [
        {"id": "1", "status": 503, "headers": {"Retry-After": "0"}, "body": graph_error("UnknownError", "")},
        {"id": "2", "status": 204}]})
    graph_api.post(f"{GRAPH}/$batch", json={"responses": [
        {"id": "1", "status": 429, "headers": {"Retry-After": "600"}, "body": THROTTLED}]})
    read_back(graph_api)
    results = client.remove_members(Container(Kind.GROUPS, GROUP), [USER, USER2])
    assert [r.outcome for r in results] == [Outcome.AS_ASKED, Outcome.DONE]


def test_a_write_not_landed_at_the_first_read_back_is_read_again_within_the_replication_window(graph_api, sleeps):
    # Graph applied the add and answered 503; the first replica read does not show it yet.
    client = GraphClient("tok", base_url=GRAPH, timeout=7.5, replication_window=1.0, sleep=sleeps.append)
    graph_api.post(f"{GRAPH}/groups/{GROUP}/members/$ref", status=503, json=graph_error("UnknownError", ""))
    read_back(graph_api)
    read_back(graph_api, USER)
    result = client.add_member(Container(Kind.GROUPS, GROUP), USER)
    # Read again within the window, then once more when it is over (landed, and still so): the window, waited once.
    assert result.outcome is Outcome.AS_ASKED and sum(sleeps) == pytest.approx(1.0)
    assert len([c for c in graph_api.calls if c.request.url.endswith("$batch")]) == 3


def test_a_write_read_as_landed_by_a_replica_behind_an_earlier_change_is_read_again_when_the_window_is_over(
        graph_api, sleeps):
    """A replica that has not seen an earlier removal still shows the member: the add whose answer was lost
    is not "as asked" on that read's word once a read after the replication window shows it is not there."""
    client = GraphClient("tok", base_url=GRAPH, timeout=7.5, replication_window=1.0, sleep=sleeps.append)
    graph_api.post(f"{GRAPH}/groups/{GROUP}/members/$ref", status=503, json=graph_error("UnknownError", ""))
    read_back(graph_api, USER)  # a replica still showing the state before the earlier removal
    read_back(graph_api)  # after the window: not a member
    result = client.add_member(Container(Kind.GROUPS, GROUP), USER)
    assert result.outcome is Outcome.BUSY and sum(sleeps) == pytest.approx(1.0)


def test_a_write_still_not_landed_after_the_replication_window_is_not_done(graph_api, sleeps):
    client = GraphClient("tok", base_url=GRAPH, timeout=7.5, replication_window=1.0, sleep=sleeps.append)
    graph_api.post(f"{GRAPH}/groups/{GROUP}/members/$ref", status=503, json=graph_error("UnknownError", ""))
    read_back(graph_api)  # every read: not there
    result = client.add_member(Container(Kind.GROUPS, GROUP), USER)
    assert result.outcome is Outcome.BUSY and sum(sleeps) == pytest.approx(1.0)


def _member_ids(count: int) -> list[str]:
    return [f"00000000-0000-4000-8000-{n:012d}" for n in range(count)]


def test_reads_of_more_than_one_batch_are_sent_at_once_and_count_as_one_round_trip(graph_api, client):
    """400 ids read back 15 a request: 27 items, two $batch requests in flight together (each
    waits for the other before answering, so sent one after the other they would never finish)."""
    ids = _member_ids(400)
    both_sent = threading.Barrier(2, timeout=20)

    def answer(request):
        both_sent.wait()
        asked = json.loads(request.body)["requests"]
        return 200, {}, json.dumps({"responses": [{"id": item["id"], "status": 200, "body": {"value": []}} for item in asked]})

    graph_api.add_callback(responses.POST, f"{GRAPH}/$batch", callback=answer)
    graph_api.add_callback(responses.POST, f"{GRAPH}/$batch", callback=answer)
    state = client.members_among(Container(Kind.GROUPS, GROUP), ids)
    assert state == dict.fromkeys(ids, False)
    assert (client.stats.calls, client.stats.requests) == (1, 2)


def test_writes_of_more_than_one_batch_go_one_after_the_other(graph_api, client):
    """Each $batch of a change is sent from the caller's own thread, after the one before answered."""
    ids = _member_ids(45)
    senders = []

    def answer(request):
        senders.append(threading.current_thread())
        asked = json.loads(request.body)["requests"]
        return 200, {}, json.dumps({"responses": [{"id": item["id"], "status": 204} for item in asked]})

    for _ in range(3):
        graph_api.add_callback(responses.POST, f"{GRAPH}/$batch", callback=answer)
    results = client.remove_members(Container(Kind.GROUPS, GROUP), ids)
    assert [r.outcome for r in results] == [Outcome.DONE] * 45
    assert senders == [threading.current_thread()] * 3
    assert (client.stats.calls, client.stats.requests) == (3, 3)


def test_a_change_and_a_read_sent_together_count_as_the_longer_of_the_two(graph_api, client):
    """45 removals (three $batch, one after the other) beside a read of 400 ids (two $batch at once,
    inside the wave): all in flight together at first, five requests, three round trips."""
    removals, reads = _member_ids(45), _member_ids(400)
    first_wave = threading.Barrier(3, timeout=20)  # the first removals and the two reads
    seen = []

    def answer(request):
        asked = json.loads(request.body)["requests"]
        if len(seen) < 3:
            seen.append(asked[0]["method"])
            first_wave.wait()
        ok = 204 if asked[0]["method"] == "DELETE" else 200
        return 200, {}, json.dumps({"responses": [{"id": item["id"], "status": ok, "body": {"value": []}} for item in asked]})

    for _ in range(5):
        graph_api.add_callback(responses.POST, f"{GRAPH}/$batch", callback=answer)
    container = Container(Kind.GROUPS, GROUP)
    removed, state = client.together(lambda: client.remove_members(container, removals),
                                     lambda: client.members_among(container, reads))
    assert [r.outcome for r in removed] == [Outcome.DONE] * 45 and state == dict.fromkeys(reads, False)
    assert sorted(seen) == ["DELETE", "GET", "GET"]
    assert (client.stats.calls, client.stats.requests) == (3, 5)
