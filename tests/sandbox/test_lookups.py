"""The look-ups issue 10 needs: ``in`` filters (15 expressions without advanced queries), ``id in (…)``
on member lists, ``POST /directoryObjects/getByIds``, and a group's ``transitiveMembers``."""

from sandbox.models import DirectoryObject, Link
from tests.sandbox.conftest import READ_SCOPES, group_path

EVENTUAL = {"ConsistencyLevel": "eventual"}


def quoted(values) -> str:
    return ",".join(f"'{v}'" for v in values)


def test_users_are_found_by_upn_or_mail_with_in(graph_as, known):
    upns = ["ADMIN@contoso.example", "pra@contoso.example", "nobody@contoso.example"]
    body = graph_as("helpdesk").get(
        f"users?$filter=userPrincipalName in ({quoted(upns)}) or mail in ({quoted(upns)})&$select=id,userPrincipalName").json()
    assert {item["id"] for item in body["value"]} == {known["admin"].id, known["pra"].id}


def test_more_than_fifteen_expressions_need_advanced_queries(graph_as):
    values = quoted(f"u{n}@contoso.example" for n in range(8))
    path = f"users?$filter=userPrincipalName in ({values}) or mail in ({values})"
    refused = graph_as("helpdesk").get(path)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "Request_UnsupportedQuery"
    assert graph_as("helpdesk").get(f"{path}&$count=true", headers=EVENTUAL).status_code == 200


def test_members_filtered_by_id_in_tell_who_is_a_member(graph_as, known):
    group = known["helpdesk_group"].id
    member = str(Link.objects.filter(container_id=group, relation="members").values_list("member_id", flat=True)[0])
    outsider = known["spare_users"][0].id
    path = f"{group_path(known, 'helpdesk_group')}/members?$filter=id in ({quoted([member, outsider])})&$select=id&$count=true"
    body = graph_as("helpdesk").get(path, headers=EVENTUAL).json()
    assert [item["id"] for item in body["value"]] == [member] and body["@odata.count"] == 1
    assert graph_as("helpdesk").get(path).status_code == 400  # a filter on members needs advanced queries


def test_get_by_ids_returns_the_objects_found_typed_and_skips_the_rest(graph_as, known):
    ids = [known["device"].id, known["admin"].id, "00000000-1111-4222-8333-444444444444"]
    response = graph_as("helpdesk").post("directoryObjects/getByIds", json={"ids": ids})
    assert response.status_code == 200
    assert [(item["id"], item["@odata.type"]) for item in response.json()["value"]] == [
        (known["device"].id, "#microsoft.graph.device"), (known["admin"].id, "#microsoft.graph.user")]
    typed = graph_as("helpdesk").post("directoryObjects/getByIds", json={"ids": ids, "types": ["user"]}).json()
    assert [item["id"] for item in typed["value"]] == [known["admin"].id]


def test_get_by_ids_needs_directory_read_all_and_a_sound_body(graph_as, known):
    without = [scope for scope in READ_SCOPES if scope != "Directory.Read.All"]
    assert graph_as("helpdesk", scopes=without).post("directoryObjects/getByIds", json={"ids": []}).status_code == 403
    graph = graph_as("helpdesk")
    assert graph.post("directoryObjects/getByIds", json={"ids": ["nope"]}).status_code == 400
    assert graph.post("directoryObjects/getByIds", json={"ids": [known["admin"].id] * 1001}).status_code == 400
    assert graph.post("directoryObjects/getByIds", json={}).status_code == 400
    assert graph.get("directoryObjects/getByIds").status_code == 405
    assert DirectoryObject.objects.filter(deleted_at__isnull=False).count() == 0


def member_ids(container_id: str) -> set[str]:
    return {str(m) for m in Link.objects.filter(container_id=container_id, relation="members").values_list("member_id", flat=True)}


def test_the_sandbox_answers_transitive_members_with_casts_and_counts(graph_as, known):
    graph = graph_as("helpdesk")
    path = f"{group_path(known, 'helpdesk_group')}/transitiveMembers"
    everyone = {i["id"] for i in graph.get(f"{path}?$top=999").json()["value"]}
    assert everyone == member_ids(known["helpdesk_group"].id) | member_ids(known["helpdesk_leads_group"].id)
    users = graph.get(f"{path}/microsoft.graph.user?$select=id&$count=true", headers={"ConsistencyLevel": "eventual"}).json()["value"]
    assert {u["id"] for u in users} == {i for i in everyone if DirectoryObject.objects.get(id=i).kind == "user"}
    assert graph.get(f"{path}/$count", headers={"ConsistencyLevel": "eventual"}).text == str(len(everyone))
