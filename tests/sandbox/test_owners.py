"""The sandbox answers a group's owner calls as Microsoft documents them (group-list-owners,
group-post-owners, group-delete-owners) and ``groups?$filter=owners/$count eq 0`` as an advanced query."""

from sandbox.models import Link
from tests.sandbox.conftest import APP_SCOPES, group_path

OWNER_SCOPES = APP_SCOPES + ["Group.ReadWrite.All"]
EVENTUAL = {"ConsistencyLevel": "eventual"}


def sole_owner(group_id: str) -> str:
    """The one owner the seed gives "Contoso Marketing" (a drawn user)."""
    [owner] = owners_of(group_id)
    return owner


def owners_of(group_id: str) -> set[str]:
    return {str(m) for m in Link.objects.filter(container_id=group_id, relation="owners").values_list("member_id", flat=True)}


def ref(graph, object_id: str) -> dict:
    return {"@odata.id": f"{graph.base_url}/directoryObjects/{object_id}"}


def test_it_adds_an_owner_with_a_ref_and_says_already_an_owner_with_e2(graph_as, known):
    graph = graph_as("helpdesk", OWNER_SCOPES)
    group, new = known["single_owner_m365_group"].id, known["spare_users"][0].id
    assert graph.post(f"groups/{group}/owners/$ref", json=ref(graph, new)).status_code == 204
    assert new in owners_of(group)
    again = graph.post(f"groups/{group}/owners/$ref", json=ref(graph, new))
    assert again.status_code == 400 and again.json()["error"]["message"] == (
        "One or more added object references already exist for the following modified properties: 'owners'.")
    listed = graph.get(f"groups/{group}/owners?$select=id,displayName").json()["value"]
    assert {item["id"] for item in listed} == owners_of(group)


def test_it_refuses_owner_writes_with_only_groupmember_readwrite(graph_as, known):
    """GroupMember.ReadWrite.All changes members; owners need Group.ReadWrite.All (or Directory.ReadWrite.All)."""
    graph = graph_as("helpdesk")
    group = known["single_owner_m365_group"].id
    answer = graph.post(f"groups/{group}/owners/$ref", json=ref(graph, known["spare_users"][0].id))
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "Authorization_RequestDenied"


def test_it_refuses_removing_the_last_owner_with_graphs_400(graph_as, known):
    graph = graph_as("admin", OWNER_SCOPES)
    group = known["single_owner_m365_group"].id
    owner = sole_owner(group)
    answer = graph.delete(f"groups/{group}/owners/{owner}/$ref")
    assert answer.status_code == 400
    assert answer.json()["error"] | {"innerError": None} == {
        "code": "Request_BadRequest", "innerError": None,
        "message": "The group must have at least one owner, hence this owner cannot be removed."}
    assert owners_of(group) == {owner}


def test_it_removes_an_owner_when_another_stays_and_a_non_owner_is_a_404_naming_the_group(graph_as, known):
    graph = graph_as("helpdesk", OWNER_SCOPES)
    group, new = known["single_owner_m365_group"].id, known["spare_users"][0].id
    owner = sole_owner(group)
    graph.post(f"groups/{group}/owners/$ref", json=ref(graph, new))
    assert graph.delete(f"groups/{group}/owners/{owner}/$ref").status_code == 204
    assert owners_of(group) == {new}
    gone = graph.delete(f"groups/{group}/owners/{owner}/$ref")
    assert gone.status_code == 404 and group in gone.json()["error"]["message"]


def test_a_delete_without_ref_through_owners_is_refused_and_deletes_nothing(graph_as, known):
    graph = graph_as("admin", OWNER_SCOPES + ["User.ReadWrite.All"])
    group = known["single_owner_m365_group"].id
    owner = sole_owner(group)
    assert graph.delete(f"groups/{group}/owners/{owner}").status_code == 403
    assert graph.get(f"users/{owner}").status_code == 200 and owners_of(group) == {owner}


def test_an_owner_of_the_group_may_change_its_owners_and_a_plain_user_may_not(graph_as, known):
    falcon = group_path(known, "owned_group")
    new = known["spare_users"][1].id
    user = graph_as("user", OWNER_SCOPES)
    assert user.post(f"{falcon}/owners/$ref", json=ref(user, new)).status_code == 403
    owner = graph_as("owner", OWNER_SCOPES)
    assert owner.post(f"{falcon}/owners/$ref", json=ref(owner, new)).status_code == 204


def test_only_users_and_service_principals_can_be_owners(graph_as, known):
    graph = graph_as("admin", OWNER_SCOPES)
    group = known["single_owner_m365_group"].id
    assert graph.post(f"groups/{group}/owners/$ref", json=ref(graph, known["device"].id)).status_code == 400
    assert graph.post(f"groups/{group}/owners/$ref", json=ref(graph, known["service_principal"].id)).status_code == 204


def test_groups_without_owners_need_advanced_query_parameters(graph_as, known):
    graph = graph_as("helpdesk")
    plain = graph.get("groups?$filter=owners/$count eq 0&$select=id")
    assert plain.status_code == 400 and plain.json()["error"]["code"] == "Request_UnsupportedQuery"
    answer = graph.get("groups?$filter=owners/$count eq 0&$count=true&$select=id,displayName", headers=EVENTUAL)
    assert answer.status_code == 200
    body = answer.json()
    assert [item["id"] for item in body["value"]] == [known["ownerless_group"].id] and body["@odata.count"] == 1
    two = graph.get("groups?$filter=owners/$count eq 2&$count=true", headers=EVENTUAL)
    assert two.status_code == 400
