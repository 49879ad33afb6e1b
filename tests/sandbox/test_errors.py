"""One contract test per entry of GRAPH.md's error catalogue (E1–E12), over real HTTP."""

import re
import uuid

from tests.sandbox.conftest import READ_SCOPES, group_path, unit_path

INNER_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def error_of(response):
    return response.json()["error"]


def test_it_refuses_a_user_without_a_role_with_e1(graph_as, known):
    """E1: a member user with the scope but no role can't change a group."""
    response = graph_as("user").remove(group_path(known, "helpdesk_group"), known["helpdesk_leads_group"].id)
    assert response.status_code == 403
    assert error_of(response)["code"] == "Authorization_RequestDenied"
    assert error_of(response)["message"] == "Insufficient privileges to complete the operation."


def test_it_wraps_errors_with_inner_error_date_and_request_ids(graph_as, known):
    response = graph_as("user").get("groups/not-a-guid", headers={"client-request-id": "abc-123"})
    inner = error_of(response)["innerError"]
    assert INNER_DATE.match(inner["date"])
    assert inner["request-id"] == response.headers["request-id"]
    assert inner["client-request-id"] == "abc-123" == response.headers["client-request-id"]
    assert response.headers["x-ms-ags-diagnostic"]


def test_it_echoes_request_id_as_client_request_id_when_none_sent(graph_as):
    response = graph_as("user").get("me")
    assert response.headers["client-request-id"] == response.headers["request-id"]
    assert response.headers["OData-Version"] == "4.0"
    assert response.headers["Content-Type"].startswith("application/json;odata.metadata=minimal")


def test_it_says_already_a_member_with_e2(graph_as, known):
    response = graph_as("helpdesk").add(group_path(known, "helpdesk_group"), known["user"].id)
    assert response.status_code == 400
    assert error_of(response)["code"] == "Request_BadRequest"
    assert error_of(response)["message"] == (
        "One or more added object references already exist for the following modified properties: 'members'."
    )


def test_it_names_the_group_when_removing_a_non_member_with_e3(graph_as, known):
    spare = known["spare_users"][0].id
    response = graph_as("helpdesk").remove(group_path(known, "helpdesk_group"), spare)
    assert response.status_code == 404
    assert error_of(response)["code"] == "Request_ResourceNotFound"
    assert error_of(response)["message"] == (
        f"Resource '{known['helpdesk_group'].id}' does not exist or one of its queried reference-property "
        "objects are not present."
    )


def test_it_names_the_missing_object_when_adding_it_with_e3(graph_as, known):
    ghost = str(uuid.uuid4())
    response = graph_as("helpdesk").add(group_path(known, "helpdesk_group"), ghost)
    assert response.status_code == 404
    assert f"Resource '{ghost}'" in error_of(response)["message"]


def test_it_names_an_unknown_group_with_e3(graph_as):
    ghost = str(uuid.uuid4())
    response = graph_as("helpdesk").get(f"groups/{ghost}/members")
    assert response.status_code == 404
    assert f"Resource '{ghost}'" in error_of(response)["message"]


def test_it_refuses_mail_enabled_security_groups_with_e4(graph_as, known):
    spare = known["spare_users"][0].id
    response = graph_as("admin").add(group_path(known, "mail_enabled_security_group"), spare)
    assert response.status_code == 400
    assert error_of(response)["message"] == "Cannot Update a mail-enabled security groups and or distribution list."


def test_it_refuses_distribution_lists_with_e4(graph_as, known):
    spare = known["spare_users"][0].id
    response = graph_as("admin").add(group_path(known, "distribution_list"), spare)
    assert response.status_code == 400
    assert error_of(response)["code"] == "Request_BadRequest"
    assert "mail-enabled security groups and or distribution list" in error_of(response)["message"]


def test_it_refuses_on_premises_synced_groups_with_e5(graph_as, known):
    spare = known["spare_users"][0].id
    response = graph_as("admin").add(group_path(known, "synced_group"), spare)
    assert response.status_code == 400
    assert error_of(response)["message"].startswith(
        "Unable to update the specified properties for on-premises mastered Directory Sync objects"
    )


def test_it_rejects_a_malformed_id_in_the_path_with_e6(graph_as):
    response = graph_as("helpdesk").get("groups/Enter your GroupId here/members")
    assert response.status_code == 400
    assert error_of(response) | {"innerError": None} == {
        "code": "Request_BadRequest", "message": "Invalid object identifier 'Enter your GroupId here'.", "innerError": None,
    }


def test_it_rejects_a_bare_guid_as_odata_id_with_e7(graph_as, known):
    response = graph_as("helpdesk").post(
        f"{group_path(known, 'helpdesk_group')}/members/$ref", json={"@odata.id": known["spare_users"][0].id}
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "BadRequest"
    assert error_of(response)["message"] == "Invalid URL format specified in payload."


def test_it_rejects_an_empty_body_with_e7(graph_as, known):
    response = graph_as("helpdesk").post(f"{group_path(known, 'helpdesk_group')}/members/$ref", data=b"")
    assert response.status_code == 400
    assert error_of(response)["message"].startswith("An unexpected 'EndOfInput' node was found")


def test_it_rejects_a_bad_bind_url_with_e7(graph_as, known):
    response = graph_as("helpdesk").patch(group_path(known, "helpdesk_group"),
                                          json={"members@odata.bind": ["not a url"]})
    assert response.status_code == 400
    assert error_of(response)["message"] == "Invalid URL format specified in @odata.bind for members"


def test_it_rejects_more_than_twenty_binds_with_e7(graph_as, known):
    graph = graph_as("helpdesk")
    binds = [f"{graph.base_url}/directoryObjects/{uuid.uuid4()}" for _ in range(21)]
    response = graph.patch(group_path(known, "helpdesk_group"), json={"members@odata.bind": binds})
    assert response.status_code == 400
    assert error_of(response)["message"] == "A resource cannot contain more than 20 link changes"


def test_it_rejects_post_to_members_without_ref_with_e8(graph_as, known):
    graph = graph_as("helpdesk")
    body = {"@odata.id": f"{graph.base_url}/directoryObjects/{known['spare_users'][0].id}"}
    response = graph.post(f"{group_path(known, 'helpdesk_group')}/members", json=body)
    assert response.status_code == 400
    assert error_of(response)["message"] == "Write requests are only supported on contained entities"


def test_it_rejects_patch_on_members_ref_with_e8(graph_as, known):
    response = graph_as("helpdesk").patch(f"{group_path(known, 'helpdesk_group')}/members/$ref", json={})
    assert response.status_code == 400
    assert error_of(response)["message"] == "The request is currently not supported on the targeted entity set"


def test_it_rejects_the_flat_administrative_units_path_on_v1_with_e8(graph_as, known):
    response = graph_as("pra").get(f"administrativeUnits/{known['plain_unit'].id}/members")
    assert response.status_code == 400
    assert error_of(response)["code"] == "BadRequest"
    assert error_of(response)["message"] == "Resource not found for the segment 'administrativeUnits'."


def test_it_refuses_delete_without_ref_with_membership_scopes_only_as_e9(graph_as, known):
    response = graph_as("helpdesk").delete(f"{group_path(known, 'helpdesk_group')}/members/{known['user'].id}")
    assert response.status_code == 403
    assert error_of(response)["code"] == "Authorization_RequestDenied"


def test_it_answers_401_with_a_challenge_for_a_missing_token_as_e10(live_server, sandbox_tenant):
    import requests

    response = requests.get(f"{live_server.url}/sandbox/graph/v1.0/me", timeout=10)
    assert response.status_code == 401
    assert error_of(response)["code"] == "InvalidAuthenticationToken"
    assert error_of(response)["message"] == "Access token is empty."
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="", authorization_uri=')


def test_it_answers_401_for_a_garbage_token_as_e10(live_server, sandbox_tenant):
    import requests

    response = requests.get(f"{live_server.url}/sandbox/graph/v1.0/me", headers={"Authorization": "Bearer opaque"},
                            timeout=10)
    assert response.status_code == 401
    assert error_of(response)["message"] == "CompactToken parsing failed with error code: 80049217"


def test_it_throttles_writes_with_e11(graph_as, known, settings):
    settings.SANDBOX_WRITE_LIMIT = 1
    settings.SANDBOX_WRITE_WINDOW = 60
    graph = graph_as("helpdesk")
    spare = known["spare_users"]
    assert graph.add(group_path(known, "helpdesk_group"), spare[0].id).status_code == 204
    response = graph.add(group_path(known, "helpdesk_group"), spare[1].id)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["x-ms-throttle-information"] == "WriteLimitExceeded"
    assert response.headers["x-ms-throttle-scope"].startswith("Tenant_Application/ReadWrite/")
    error = error_of(response)
    assert (error["code"], error["message"]) == ("TooManyRequests", "Please retry again later.")
    assert error["innerError"]["code"] == "429" and error["innerError"]["status"] == "429"
    assert error["innerError"]["message"] == "Please retry after"


def test_it_meters_reads_in_resource_units_and_throttles_them_when_asked(graph_as, known, settings):
    """Graph's directory budget counts reads too, in resource units (GRAPH.md §7): a group's
    members cost 3, or 2 with $select; each answer says its cost in x-ms-resource-unit."""
    settings.SANDBOX_READ_LIMIT = 5
    settings.SANDBOX_READ_WINDOW = 60
    graph = graph_as("helpdesk")
    members = f"{group_path(known, 'helpdesk_group')}/members"
    first = graph.get(members)
    assert (first.status_code, first.headers["x-ms-resource-unit"]) == (200, "3")
    assert graph.get(f"{members}?$select=id").headers["x-ms-resource-unit"] == "2"  # 5 of 5 spent
    throttled = graph.get("me?$select=id")  # 1 more does not fit
    assert throttled.status_code == 429
    assert throttled.headers["x-ms-throttle-information"] == "ResourceUnitLimitExceeded"
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    assert error_of(throttled)["code"] == "TooManyRequests"
    items = graph.post("$batch", json={"requests": [{"id": "1", "method": "GET", "url": "/me"}]}).json()["responses"]
    assert items[0]["status"] == 429 and int(items[0]["headers"]["Retry-After"]) >= 1  # each item on its own


def test_it_requires_eventual_consistency_for_search_as_e12a(graph_as):
    response = graph_as("helpdesk").get('users?$search="displayName:adele"')
    assert response.status_code == 400
    assert error_of(response)["code"] == "Request_UnsupportedQuery"
    assert "ConsistencyLevel: eventual" in error_of(response)["message"]


def test_it_requires_eventual_consistency_for_the_count_segment_as_e12b(graph_as, known):
    response = graph_as("helpdesk").get(f"{group_path(known, 'big_group')}/members/$count")
    assert response.status_code == 400
    assert error_of(response) | {"innerError": None} == {
        "code": "Request_BadRequest", "message": "$count is not currently supported.", "innerError": None,
    }


def test_it_rejects_a_page_size_over_999_as_e12c(graph_as):
    response = graph_as("helpdesk").get("groups?$top=1000")
    assert response.status_code == 400
    assert error_of(response)["message"] == "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."


def test_it_requires_advanced_query_parameters_for_endswith_as_e12d(graph_as):
    response = graph_as("helpdesk").get("users?$filter=endswith(mail,'@contoso.example')")
    assert response.status_code == 400
    assert error_of(response)["message"].startswith("Operator 'endswith' is not supported because the required")


def test_it_rejects_filters_on_unindexed_properties_as_e12e(graph_as):
    response = graph_as("helpdesk").get("groups?$filter=createdDateTime eq '2024-01-01'")
    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "Unsupported or invalid query filter clause specified for property 'createdDateTime' of resource 'Group'."
    )


def test_it_refuses_reads_without_a_read_scope(graph_as, known):
    response = graph_as("user", scopes=["User.Read"]).get("groups")
    assert response.status_code == 403


def test_it_lets_read_only_consent_read_but_not_write(graph_as, known):
    graph = graph_as("noconsent", scopes=READ_SCOPES)
    assert graph.get(f"{unit_path(known, 'plain_unit')}/members").status_code == 200
    assert graph.remove(group_path(known, "helpdesk_group"), known["user"].id).status_code == 403
