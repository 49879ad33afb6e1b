"""JSON batching (GRAPH.md §6): per-item answers, limits, dependsOn/424, per-item throttling."""

from sandbox.models import Link
from tests.sandbox.conftest import group_path


def ref_item(item_id: str, graph, known, member_id: str, **extra) -> dict:
    return {"id": item_id, "method": "POST", "url": f"/{group_path(known, 'helpdesk_group')}/members/$ref",
            "headers": {"Content-Type": "application/json"},
            "body": {"@odata.id": f"{graph.base_url}/directoryObjects/{member_id}"}, **extra}


def by_id(batch_response) -> dict:
    return {item["id"]: item for item in batch_response.json()["responses"]}


def test_it_answers_each_item_with_its_own_status_headers_and_body(graph_as, known):
    graph = graph_as("helpdesk")
    spare = known["spare_users"][0].id
    requests = [
        ref_item("1", graph, known, spare),
        {"id": "2", "method": "DELETE", "url": f"/{group_path(known, 'helpdesk_group')}/members/{known['spare_users'][1].id}/$ref"},
        {"id": "3", "method": "GET", "url": f"/{group_path(known, 'helpdesk_group')}?$select=displayName"},
        {"id": "4", "method": "GET", "url": f"/{group_path(known, 'big_group')}/members/$count",
         "headers": {"ConsistencyLevel": "eventual"}},
    ]
    response = graph.post("$batch", json={"requests": requests})
    assert response.status_code == 200
    items = by_id(response)
    assert items["1"]["status"] == 204 and "body" not in items["1"]
    assert items["2"]["status"] == 404 and items["2"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert items["3"]["status"] == 200 and items["3"]["body"]["displayName"] == "Helpdesk Tier 1"
    assert items["4"]["body"] == "300"
    assert Link.objects.filter(container_id=known["helpdesk_group"].id, member_id=spare).exists()


def test_it_rejects_more_than_twenty_requests(graph_as, known):
    graph = graph_as("helpdesk")
    requests = [{"id": str(n), "method": "GET", "url": "/me"} for n in range(21)]
    response = graph.post("$batch", json={"requests": requests})
    assert response.status_code == 400 and response.json()["error"]["code"] == "BadRequest"


def test_it_rejects_duplicate_ids_ignoring_case(graph_as, known):
    requests = [{"id": "a", "method": "GET", "url": "/me"}, {"id": "A", "method": "GET", "url": "/me"}]
    assert graph_as("helpdesk").post("$batch", json={"requests": requests}).status_code == 400


def test_it_rejects_a_body_without_content_type(graph_as, known):
    graph = graph_as("helpdesk")
    item = ref_item("1", graph, known, known["spare_users"][0].id)
    del item["headers"]
    assert graph.post("$batch", json={"requests": [item]}).status_code == 400


def test_it_fails_dependents_of_a_failed_request_with_424(graph_as, known):
    graph = graph_as("helpdesk")
    requests = [
        ref_item("1", graph, known, known["user"].id),  # already a member: 400
        ref_item("2", graph, known, known["spare_users"][0].id, dependsOn=["1"]),
    ]
    items = by_id(graph.post("$batch", json={"requests": requests}))
    assert items["1"]["status"] == 400
    assert items["2"]["status"] == 424
    assert not Link.objects.filter(container_id=known["helpdesk_group"].id, member_id=known["spare_users"][0].id).exists()


def test_it_runs_dependents_after_their_dependency_succeeds(graph_as, known):
    graph = graph_as("helpdesk")
    spare = known["spare_users"][0].id
    requests = [
        {"id": "2", "method": "DELETE", "url": f"/{group_path(known, 'helpdesk_group')}/members/{spare}/$ref",
         "dependsOn": ["1"]},
        ref_item("1", graph, known, spare),
    ]
    items = by_id(graph.post("$batch", json={"requests": requests}))
    assert (items["1"]["status"], items["2"]["status"]) == (204, 204)


def test_it_throttles_items_one_by_one_and_still_answers_200(graph_as, known, settings):
    settings.SANDBOX_WRITE_LIMIT = 2
    settings.SANDBOX_WRITE_WINDOW = 30
    graph = graph_as("helpdesk")
    requests = [ref_item(str(n), graph, known, spare.id) for n, spare in enumerate(known["spare_users"][:4])]
    response = graph.post("$batch", json={"requests": requests})
    assert response.status_code == 200
    statuses = {str(n): by_id(response)[str(n)]["status"] for n in range(4)}
    assert sorted(statuses.values()) == [204, 204, 429, 429]  # whichever two ran first were made
    throttled = by_id(response)[next(n for n, status in statuses.items() if status == 429)]
    assert int(throttled["headers"]["Retry-After"]) >= 1
    assert throttled["body"]["error"]["code"] == "TooManyRequests"


def test_it_logs_a_batch_as_one_round_trip_listing_its_items(graph_as, known):
    from sandbox import knobs

    graph = graph_as("helpdesk")
    knobs.clear_request_log()
    requests = [{"id": "1", "method": "GET", "url": "/me"}, {"id": "2", "method": "GET", "url": "/directoryRoles"}]
    graph.post("$batch", json={"requests": requests})
    [entry] = knobs.request_log()
    assert entry.path.endswith("/$batch") and [item[2] for item in entry.items] == [200, 200]


def test_it_reads_the_callers_standing_once_for_all_the_items_of_a_batch(graph_as, known, monkeypatch):
    from sandbox.graph import directory

    reads = []
    monkeypatch.setattr(directory, "actor_for", lambda call, original=directory.actor_for: reads.append(1) or original(call))
    graph = graph_as("helpdesk")
    members = [str(m) for m in Link.objects.filter(container_id=known["big_group"].id, relation="members")
               .values_list("member_id", flat=True)[:20]]
    requests = [{"id": str(n), "method": "DELETE", "url": f"/{group_path(known, 'big_group')}/members/{m}/$ref"}
                for n, m in enumerate(members)]
    items = by_id(graph.post("$batch", json={"requests": requests}))
    assert {item["status"] for item in items.values()} == {204} and len(reads) == 1


def test_an_item_that_changes_the_callers_own_roles_is_seen_by_the_items_after_it(graph_as, known):
    from sandbox import authz
    from tests.sandbox.conftest import role_path

    graph = graph_as("pra")
    requests = [  # the Privileged Role Administrator removes themself from that role, then adds someone to a role
        {"id": "1", "method": "DELETE", "url": f"/{role_path(known, authz.PRIVILEGED_ROLE_ADMINISTRATOR)}/members/{known['pra'].id}/$ref"},
        {"id": "2", "method": "POST", "url": f"/{role_path(known, authz.HELPDESK_ADMINISTRATOR)}/members/$ref",
         "headers": {"Content-Type": "application/json"},
         "body": {"@odata.id": f"{graph.base_url}/directoryObjects/{known['spare_users'][0].id}"},
         "dependsOn": ["1"]},  # "after it": only dependsOn orders a batch's items
    ]
    items = by_id(graph.post("$batch", json={"requests": requests}))
    assert (items["1"]["status"], items["2"]["status"]) == (204, 403)


def _answer_order(graph, requests) -> list[str]:
    return [item["id"] for item in graph.post("$batch", json={"requests": requests}).json()["responses"]]


def test_it_runs_and_answers_items_in_an_order_of_its_own_reproducibly_from_the_seed(graph_as, settings):
    """Graph promises no order among a $batch's independent items (json-batching): a client that
    relies on the order it sent them in is caught here, reproducibly."""
    from sandbox import knobs

    graph = graph_as("helpdesk")
    requests = [{"id": str(n), "method": "GET", "url": "/me?$select=id"} for n in range(8)]
    settings.SANDBOX_BATCH_SEED = 7
    knobs.reset_faults()
    first = [_answer_order(graph, requests) for _ in range(3)]
    knobs.reset_faults()
    assert [_answer_order(graph, requests) for _ in range(3)] == first  # the same seed, the same orders
    assert all(sorted(order, key=int) == [str(n) for n in range(8)] for order in first)
    assert any(order != [str(n) for n in range(8)] for order in first)
    settings.SANDBOX_BATCH_ORDER = "as sent"
    assert _answer_order(graph, requests) == [str(n) for n in range(8)]


def test_a_shuffled_batch_still_runs_each_item_after_the_ones_it_depends_on(graph_as, known, settings):
    from sandbox import knobs

    graph = graph_as("helpdesk")
    spare = known["spare_users"][0].id
    remove = f"/{group_path(known, 'helpdesk_group')}/members/{spare}/$ref"
    for seed in range(6):
        settings.SANDBOX_BATCH_SEED = seed
        knobs.reset_faults()
        requests = [{"id": "3", "method": "DELETE", "url": remove, "dependsOn": ["2"]},
                    ref_item("2", graph, known, spare, dependsOn=["1"]),
                    {"id": "1", "method": "GET", "url": "/me?$select=id"}]
        order = _answer_order(graph, requests)
        assert order == ["1", "2", "3"], seed
