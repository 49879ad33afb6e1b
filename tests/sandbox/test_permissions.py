"""Authorization like Entra (GRAPH.md §2, §8): scope AND role/ownership, protected targets — over HTTP."""

from sandbox import authz
from sandbox.models import DirectoryObject, Link
from tests.sandbox.conftest import READ_SCOPES, group_path, role_path, unit_path

GROUP_WRITE = ["GroupMember.ReadWrite.All"]


def is_member(container_id: str, member_id: str) -> bool:
    return Link.objects.filter(container_id=container_id, member_id=member_id, relation="members").exists()


# ---------------------------------------------------------------- groups


def test_it_lets_a_groups_administrator_add_and_remove_group_members(graph_as, known):
    graph, spare = graph_as("helpdesk"), known["spare_users"][0].id
    assert graph.add(group_path(known, "helpdesk_group"), spare).status_code == 204
    assert is_member(known["helpdesk_group"].id, spare)
    assert graph.remove(group_path(known, "helpdesk_group"), spare).status_code == 204
    assert not is_member(known["helpdesk_group"].id, spare)


def test_it_refuses_a_groups_administrator_whose_token_lacks_the_write_scope(graph_as, known):
    response = graph_as("noconsent", scopes=READ_SCOPES).add(group_path(known, "helpdesk_group"), known["spare_users"][0].id)
    assert response.status_code == 403


def test_it_accepts_group_readwrite_all_instead_of_groupmember_readwrite_all(graph_as, known):
    graph = graph_as("helpdesk", scopes=["Group.ReadWrite.All"])
    assert graph.add(group_path(known, "helpdesk_group"), known["spare_users"][0].id).status_code == 204


def test_it_lets_an_owner_manage_their_group_without_a_role(graph_as, known):
    response = graph_as("owner", scopes=GROUP_WRITE).add(group_path(known, "owned_group"), known["spare_users"][0].id)
    assert response.status_code == 204


def test_it_refuses_an_owner_on_a_group_they_do_not_own(graph_as, known):
    response = graph_as("owner", scopes=GROUP_WRITE).add(group_path(known, "helpdesk_group"), known["spare_users"][0].id)
    assert response.status_code == 403


def test_it_lets_a_unit_scoped_groups_administrator_manage_groups_in_the_unit(graph_as, known):
    response = graph_as("unitadmin").add(group_path(known, "group_in_unit"), known["spare_users"][0].id)
    assert response.status_code == 204


def test_it_refuses_a_unit_scoped_groups_administrator_outside_the_unit(graph_as, known):
    response = graph_as("unitadmin").add(group_path(known, "group_outside_unit"), known["spare_users"][0].id)
    assert response.status_code == 403


def test_it_refuses_a_unit_scoped_administrator_the_units_own_member_list(graph_as, known):
    response = graph_as("unitadmin").add(unit_path(known, "unit_of_unitadmin"), known["spare_users"][0].id)
    assert response.status_code == 403


def test_it_refuses_dynamic_groups_even_to_a_global_administrator(graph_as, known):
    response = graph_as("admin").add(group_path(known, "dynamic_group"), known["spare_users"][0].id)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "Authorization_RequestDenied"


def test_it_requires_role_management_scope_and_pra_for_role_assignable_groups(graph_as, known):
    spare = known["spare_users"][0].id
    path = group_path(known, "role_assignable_group")
    assert graph_as("helpdesk").add(path, spare).status_code == 403
    assert graph_as("pra", scopes=GROUP_WRITE).add(path, spare).status_code == 403
    assert graph_as("pra").add(path, spare).status_code == 204


def test_it_lets_an_exchange_administrator_manage_m365_groups_only(graph_as, known):
    exchange_admin = DirectoryObject.objects.filter(
        linked_from__container_id=known["roles"][authz.EXCHANGE_ADMINISTRATOR].id).first()
    known_ids = {"exchange": exchange_admin.id}
    from tests.sandbox.conftest import Graph, token_for

    graph = Graph(graph_as("user").base_url, token_for(str(known_ids["exchange"])))
    spare = known["spare_users"][0].id
    assert graph.add(group_path(known, "m365_group"), spare).status_code == 204
    assert graph.add(group_path(known, "helpdesk_group"), spare).status_code == 403


def test_it_refuses_a_group_into_a_microsoft_365_group_as_a_type_error(graph_as, known):
    response = graph_as("admin").add(group_path(known, "m365_group"), known["owned_group"].id)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "Request_BadRequest"


def test_it_needs_a_device_read_scope_to_add_a_device(graph_as, known):
    device = known["device"].id
    assert graph_as("helpdesk", scopes=GROUP_WRITE).add(group_path(known, "owned_group"), device).status_code == 403
    assert graph_as("helpdesk").add(group_path(known, "owned_group"), device).status_code == 204


def test_it_refuses_tenant_administrators_on_groups_in_a_restricted_management_unit(graph_as, known):
    spare = known["spare_users"][0].id
    assert graph_as("admin").add(group_path(known, "restricted_group"), spare).status_code == 403
    assert graph_as("helpdesk").add(group_path(known, "restricted_group"), spare).status_code == 403


def test_it_lets_an_administrator_scoped_to_the_restricted_unit_manage_its_groups(graph_as, known):
    response = graph_as("restricted_unit_admin").add(group_path(known, "restricted_group"), known["spare_users"][0].id)
    assert response.status_code == 204


# ---------------------------------------------------------------- administrative units


def test_it_lets_a_privileged_role_administrator_add_and_remove_unit_members(graph_as, known):
    graph, spare = graph_as("pra"), known["spare_users"][0].id
    assert graph.add(unit_path(known, "plain_unit"), spare).status_code == 204
    assert is_member(known["plain_unit"].id, spare)
    assert graph.remove(unit_path(known, "plain_unit"), spare).status_code == 204


def test_it_refuses_a_groups_administrator_on_unit_members(graph_as, known):
    assert graph_as("helpdesk").add(unit_path(known, "plain_unit"), known["spare_users"][0].id).status_code == 403


def test_it_accepts_only_administrativeunit_readwrite_all_for_unit_members(graph_as, known):
    graph = graph_as("admin", scopes=["Directory.ReadWrite.All"])
    assert graph.add(unit_path(known, "plain_unit"), known["spare_users"][0].id).status_code == 403


def test_it_refuses_manual_changes_to_a_dynamic_unit(graph_as, known):
    assert graph_as("admin").add(unit_path(known, "dynamic_unit"), known["spare_users"][0].id).status_code == 403


def test_it_lets_a_privileged_role_administrator_change_a_restricted_units_member_list(graph_as, known):
    """Adding objects to a restricted-management AU still takes PRA (GRAPH.md §8)."""
    graph, spare = graph_as("pra"), known["spare_users"][0].id
    assert graph.add(unit_path(known, "restricted_unit"), spare).status_code == 204
    assert graph.get(f"users/{spare}?$select=isManagementRestricted").json()["isManagementRestricted"] is True


def test_it_refuses_a_service_principal_as_a_unit_member(graph_as, known):
    response = graph_as("pra").add(unit_path(known, "plain_unit"), known["service_principal"].id)
    assert response.status_code == 400


def test_it_lists_hidden_membership_only_with_the_scope_and_a_member_or_a_reading_role(graph_as, known):
    path = f"{unit_path(known, 'hidden_unit')}/members"
    hidden_scope = [*READ_SCOPES, "Member.Read.Hidden"]
    assert graph_as("hidden_unit_member", scopes=hidden_scope).get(path).status_code == 200
    assert graph_as("admin").get(path).status_code == 200 and graph_as("pra").get(path).status_code == 200
    assert graph_as("hidden_unit_member", scopes=READ_SCOPES).get(path).status_code == 403  # no scope
    assert graph_as("pra", scopes=READ_SCOPES).get(path).status_code == 403
    for key in ("helpdesk", "user"):  # the app holds Member.Read.Hidden, but they may not see it
        refused = graph_as(key).get(path)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "Authorization_RequestDenied"
    member = known["hidden_unit_member"].id
    assert graph_as("user").get(f"{path}/{member}").status_code == 403
    assert graph_as("user").get(f"{path}/$count", headers={"ConsistencyLevel": "eventual"}).status_code == 403


def test_someone_elses_memberships_leave_out_hidden_units_the_caller_may_not_list(graph_as, known):
    member = known["hidden_unit_member"].id
    units = lambda key: {i["id"] for i in graph_as(key).get(f"users/{member}/memberOf").json()["value"]}  # noqa: E731
    assert known["hidden_unit"].id in units("pra")
    assert known["hidden_unit"].id not in units("user")
    mine = graph_as("hidden_unit_member").get("me/memberOf").json()["value"]
    assert known["hidden_unit"].id in {i["id"] for i in mine}


# ---------------------------------------------------------------- directory roles


def test_it_lets_a_privileged_role_administrator_change_role_members(graph_as, known):
    graph, spare = graph_as("pra"), known["spare_users"][0].id
    path = role_path(known, authz.HELPDESK_ADMINISTRATOR)
    assert graph.add(path, spare).status_code == 204
    assert graph.remove(path, spare).status_code == 204


def test_it_refuses_role_changes_without_pra_or_the_scope(graph_as, known):
    spare = known["spare_users"][0].id
    path = role_path(known, authz.HELPDESK_ADMINISTRATOR)
    assert graph_as("helpdesk").add(path, spare).status_code == 403
    assert graph_as("pra", scopes=["Directory.ReadWrite.All"]).add(path, spare).status_code == 403


def test_it_accepts_only_role_assignable_groups_as_role_members(graph_as, known):
    path = role_path(known, authz.HELPDESK_ADMINISTRATOR)
    assert graph_as("pra").add(path, known["owned_group"].id).status_code == 400
    assert graph_as("pra").add(path, known["device"].id).status_code == 400


# ---------------------------------------------------------------- reads


def test_it_lets_any_member_user_read_with_a_read_scope(graph_as, known):
    graph = graph_as("user", scopes=READ_SCOPES)
    assert graph.get(f"{group_path(known, 'helpdesk_group')}/members").status_code == 200
    assert graph.get("directory/administrativeUnits").status_code == 200
    assert graph.get("directoryRoles").status_code == 200
    assert graph.get(f"{unit_path(known, 'plain_unit')}/scopedRoleMembers").status_code == 200


def test_it_returns_limited_information_for_member_types_the_caller_cannot_read(graph_as, known):
    graph = graph_as("user", scopes=["GroupMember.Read.All"])
    members = graph.get(f"{group_path(known, 'helpdesk_group')}/members").json()["value"]
    users = [item for item in members if item["@odata.type"] == "#microsoft.graph.user"]
    groups = [item for item in members if item["@odata.type"] == "#microsoft.graph.group"]
    assert users and all(item["id"] and item["displayName"] is None for item in users)
    assert groups and all(item["displayName"] for item in groups)
