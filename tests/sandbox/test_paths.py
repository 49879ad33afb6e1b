"""Addressing: role-template keys, v1.0 vs beta AU paths, /me, DELETE without $ref, PATCH binds."""

import uuid

from sandbox import authz
from sandbox.models import DirectoryObject, Link
from tests.sandbox.conftest import group_path, unit_path

HELPDESK_TEMPLATE = authz.HELPDESK_ADMINISTRATOR


def is_member(container_id: str, member_id: str) -> bool:
    return Link.objects.filter(container_id=container_id, member_id=member_id, relation="members").exists()


def test_it_gets_a_role_by_template_id_in_parentheses(graph_as, known):
    body = graph_as("user").get(f"directoryRoles(roleTemplateId='{HELPDESK_TEMPLATE}')").json()
    assert body["id"] == known["roles"][HELPDESK_TEMPLATE].id and body["roleTemplateId"] == HELPDESK_TEMPLATE


def test_it_lists_role_members_by_template_id_in_both_syntaxes(graph_as, known):
    graph = graph_as("user")
    by_parentheses = graph.get(f"directoryRoles(roleTemplateId='{HELPDESK_TEMPLATE}')/members?$select=id").json()
    by_segment = graph.get(f"directoryRoles/roleTemplateId={HELPDESK_TEMPLATE}/members?$select=id").json()
    assert by_parentheses["value"] == by_segment["value"]
    assert known["role_member"].id in {item["id"] for item in by_segment["value"]}


def test_it_adds_and_removes_role_members_by_template_id(graph_as, known):
    graph, spare = graph_as("pra"), known["spare_users"][0].id
    role_id = known["roles"][HELPDESK_TEMPLATE].id
    assert graph.add(f"directoryRoles/roleTemplateId={HELPDESK_TEMPLATE}", spare).status_code == 204
    assert is_member(role_id, spare)
    assert graph.remove(f"directoryRoles(roleTemplateId='{HELPDESK_TEMPLATE}')", spare).status_code == 204
    assert not is_member(role_id, spare)


def test_it_answers_404_for_the_template_of_a_role_not_activated(graph_as, known):
    template = known["not_activated_role_templates"][0]
    response = graph_as("pra").get(f"directoryRoles(roleTemplateId='{template}')/members")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "Request_ResourceNotFound"


def test_it_answers_the_flat_administrative_units_path_on_beta(graph_as, known):
    graph = graph_as("pra", version="beta")
    body = graph.get(f"administrativeUnits/{known['plain_unit'].id}/members?$select=id").json()
    assert known["group_outside_unit"].id in {item["id"] for item in body["value"]}
    assert graph.add(f"administrativeUnits/{known['plain_unit'].id}", known["spare_users"][0].id).status_code == 204


def test_it_lists_units_with_graph_properties(graph_as, known):
    units = graph_as("user").get("directory/administrativeUnits?$top=999").json()
    assert units["@odata.context"].endswith("/$metadata#directory/administrativeUnits")
    by_id = {unit["id"]: unit for unit in units["value"]}
    assert len(by_id) == 15
    assert by_id[known["hidden_unit"].id]["visibility"] == "HiddenMembership"
    assert by_id[known["restricted_unit"].id]["isMemberManagementRestricted"] is True
    assert by_id[known["dynamic_unit"].id]["membershipType"] == "Dynamic"


def test_it_lists_scoped_role_members_of_a_unit(graph_as, known):
    body = graph_as("user").get(f"{unit_path(known, 'unit_of_unitadmin')}/scopedRoleMembers").json()
    groups_admin = known["roles"][authz.GROUPS_ADMINISTRATOR].id
    assert {
        "roleId": groups_admin,
        "administrativeUnitId": known["unit_of_unitadmin"].id,
        "roleMemberInfo": {"id": known["unitadmin"].id, "displayName": "Uma Thompson",
                           "userPrincipalName": "unitadmin@contoso.example"},
    }.items() <= next(item for item in body["value"] if item["roleId"] == groups_admin).items()


def test_it_answers_me(graph_as, known):
    body = graph_as("helpdesk", scopes=["User.Read"]).get("me").json()
    assert body["id"] == known["helpdesk"].id and body["userPrincipalName"] == "helpdesk@contoso.example"
    assert body["@odata.context"].endswith("/$metadata#users/$entity")


def test_it_lists_my_direct_memberships_of_every_kind(graph_as, known):
    body = graph_as("user", scopes=["User.Read"]).get("me/memberOf").json()
    assert {known["helpdesk_group"].id, known["m365_group"].id} <= {item["id"] for item in body["value"]}
    assert all(item["@odata.type"].startswith("#microsoft.graph.") for item in body["value"])


def test_it_lists_my_roles_including_those_held_through_a_group(graph_as, known, db):
    member = Link.objects.filter(container_id=known["role_assignable_group"].id).values_list("member_id", flat=True)[0]
    from tests.sandbox.conftest import Graph, token_for

    graph = Graph(graph_as("user").base_url, token_for(str(member)))
    body = graph.get("me/transitiveMemberOf/microsoft.graph.directoryRole?$select=displayName,roleTemplateId&$count=true",
                     headers={"ConsistencyLevel": "eventual"}).json()
    assert body["value"] == [{"@odata.type": "#microsoft.graph.directoryRole", "displayName": "Helpdesk Administrator",
                              "roleTemplateId": HELPDESK_TEMPLATE}]


def test_it_lists_my_scoped_role_memberships(graph_as, known):
    body = graph_as("unitadmin").get("me/scopedRoleMemberOf").json()
    assert [(item["administrativeUnitId"], item["roleId"]) for item in body["value"]] == [
        (known["unit_of_unitadmin"].id, known["roles"][authz.GROUPS_ADMINISTRATOR].id)]


def test_it_deletes_the_member_object_on_delete_without_ref_given_its_write_scope(graph_as, known):
    """GRAPH.md E9: with User.ReadWrite.All the user itself goes to deleted items."""
    graph = graph_as("helpdesk", scopes=["GroupMember.ReadWrite.All", "User.ReadWrite.All"])
    victim = Link.objects.filter(container_id=known["group_outside_unit"].id).values_list("member_id", flat=True)[0]
    response = graph.delete(f"{group_path(known, 'group_outside_unit')}/members/{victim}")
    assert response.status_code == 204
    assert DirectoryObject.objects.get(id=victim).deleted_at is not None
    assert graph.get(f"users/{victim}").status_code == 404


def test_it_adds_up_to_twenty_members_in_one_patch(graph_as, known):
    graph = graph_as("helpdesk")
    spares = [spare.id for spare in known["spare_users"][:3]]
    binds = [f"{graph.base_url}/directoryObjects/{spare}" for spare in spares]
    assert graph.patch(group_path(known, "helpdesk_group"), json={"members@odata.bind": binds}).status_code == 204
    assert all(is_member(known["helpdesk_group"].id, spare) for spare in spares)


def test_it_adds_nothing_when_one_bind_fails(graph_as, known):
    graph = graph_as("helpdesk")
    spare = known["spare_users"][0].id
    binds = [f"{graph.base_url}/users/{spare}", f"{graph.base_url}/directoryObjects/{known['user'].id}"]
    response = graph.patch(group_path(known, "helpdesk_group"), json={"members@odata.bind": binds})
    assert response.status_code == 400  # user@ is already a member (E2)
    assert not is_member(known["helpdesk_group"].id, spare)
    missing = [f"{graph.base_url}/users/{spare}", f"{graph.base_url}/directoryObjects/{uuid.uuid4()}"]
    assert graph.patch(group_path(known, "helpdesk_group"), json={"members@odata.bind": missing}).status_code == 404
    assert not is_member(known["helpdesk_group"].id, spare)


def test_it_accepts_typed_entity_set_urls_in_odata_id(graph_as, known):
    graph = graph_as("pra")
    body = {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{known['spare_users'][0].id}"}
    assert graph.post(f"{unit_path(known, 'plain_unit')}/members/$ref", json=body).status_code == 204
    wrong_set = {"@odata.id": f"https://graph.microsoft.com/v1.0/devices/{known['spare_users'][1].id}"}
    assert graph.post(f"{unit_path(known, 'plain_unit')}/members/$ref", json=wrong_set).status_code == 404


def test_it_answers_without_a_signed_in_django_user(graph_as, known, settings):
    """The project's LoginRequiredMiddleware must not redirect Graph calls (they carry bearer tokens)."""
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.contrib.auth.middleware.LoginRequiredMiddleware"]
    assert graph_as("user").get("me").status_code == 200


def test_it_lists_the_units_a_group_is_in(graph_as, known):
    body = graph_as("unitadmin").get(
        f"{group_path(known, 'group_in_unit')}/memberOf/microsoft.graph.administrativeUnit?$select=id&$count=true",
        headers={"ConsistencyLevel": "eventual"}).json()
    assert body["value"] == [{"@odata.type": "#microsoft.graph.administrativeUnit", "id": known["unit_of_unitadmin"].id}]


def test_it_lists_the_groups_i_own(graph_as, known):
    body = graph_as("owner").get("me/ownedObjects/microsoft.graph.group?$select=id&$count=true", headers={"ConsistencyLevel": "eventual"}).json()
    assert [item["id"] for item in body["value"]] == [known["owned_group"].id]


def test_it_lists_a_users_memberships(graph_as, known):
    body = graph_as("helpdesk").get(f"users/{known['user'].id}/memberOf?$select=id").json()
    assert {known["helpdesk_group"].id, known["m365_group"].id} <= {item["id"] for item in body["value"]}
