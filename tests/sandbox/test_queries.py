"""Paging, $select, $search, $filter, $count and casts as GRAPH.md §1 and §3 describe them."""

import pytest

from members.directory import Trait, group_kind
from members.graph.lists import GROUP_KIND_FILTERS
from sandbox.models import DirectoryObject, Link
from sandbox import authz
from tests.sandbox.conftest import group_path, unit_path, role_path

EVENTUAL = {"ConsistencyLevel": "eventual"}


def test_it_pages_members_by_100_with_the_next_link_before_value(graph_as, known):
    page = graph_as("helpdesk").get(f"{group_path(known, 'big_group')}/members")
    body = page.json()
    assert list(body) == ["@odata.context", "@odata.nextLink", "value"]
    assert len(body["value"]) == 100
    assert "$skiptoken=" in body["@odata.nextLink"]


def test_it_follows_next_links_to_every_member_once_and_ends_without_a_link(graph_as, known):
    graph = graph_as("helpdesk")
    url, seen, pages = f"{group_path(known, 'big_group')}/members?$top=120", [], 0
    while url:
        body = graph.get(url).json()
        seen += [item["id"] for item in body["value"]]
        url, pages = body.get("@odata.nextLink"), pages + 1
    assert len(seen) == len(set(seen)) == 300
    assert pages == 3


def test_it_returns_members_in_a_stable_order(graph_as, known):
    """Pages of 100 followed by their nextLinks give the one list a single page of 999 gives: the order
    holds from page to page (no member twice, none skipped), as a paging client needs."""
    graph = graph_as("helpdesk")
    path = f"{group_path(known, 'big_group')}/members?$select=id"
    whole = [item["id"] for item in graph.get(f"{path}&$top=999").json()["value"]]
    paged, answer = [], graph.get(f"{path}&$top=100").json()
    while True:
        paged += [item["id"] for item in answer["value"]]
        if len(paged) >= len(whole) or "@odata.nextLink" not in answer:
            break
        answer = graph.get(answer["@odata.nextLink"].split("/v1.0/", 1)[1]).json()
    assert len(whole) > 100 and paged == whole  # several pages of 100


def test_it_types_every_member_and_sets_the_context(graph_as, known):
    body = graph_as("helpdesk").get(f"{group_path(known, 'helpdesk_group')}/members").json()
    assert body["@odata.context"].endswith("/$metadata#directoryObjects")
    types = {item["@odata.type"] for item in body["value"]}
    assert types == {"#microsoft.graph.user", "#microsoft.graph.group", "#microsoft.graph.device",
                     "#microsoft.graph.servicePrincipal", "#microsoft.graph.orgContact"}


def test_it_trims_to_selected_properties_and_names_them_in_the_context(graph_as, known):
    body = graph_as("helpdesk").get(f"{group_path(known, 'helpdesk_group')}/members?$select=id,displayName").json()
    assert body["@odata.context"].endswith("/$metadata#directoryObjects(id,displayName)")
    assert all(set(item) == {"@odata.type", "id", "displayName"} for item in body["value"])


def test_it_selects_on_a_single_entity(graph_as, known):
    body = graph_as("helpdesk").get(f"{group_path(known, 'm365_group')}?$select=displayName,groupTypes").json()
    assert body["@odata.context"].endswith("/$metadata#groups(displayName,groupTypes)/$entity")
    assert body["groupTypes"] == ["Unified"] and set(body) == {"@odata.context", "displayName", "groupTypes"}


def test_it_builds_public_urls_from_the_graph_host_behind_the_transport(graph_as, known):
    graph = graph_as("helpdesk")
    response = graph.get(f"{group_path(known, 'big_group')}/members", headers={"Host": "graph.sandbox.test"})
    body = response.json()
    assert body["@odata.context"].startswith("https://graph.sandbox.test/v1.0/$metadata#")
    assert body["@odata.nextLink"].startswith(f"https://graph.sandbox.test/v1.0/groups/{known['big_group'].id}/members?")


def test_it_searches_users_by_display_name_tokens_in_any_order(graph_as, known):
    graph = graph_as("helpdesk")
    body = graph.get('users?$search="displayName:vance adel"&$select=id,displayName', headers=EVENTUAL).json()
    assert [item["displayName"] for item in body["value"]] == ["Adele Vance"]


def test_it_combines_search_clauses_with_or(graph_as, known):
    graph = graph_as("helpdesk")
    query = 'users?$search="displayName:adele" OR "mail:megan.b"&$select=displayName'
    names = {item["displayName"] for item in graph.get(query, headers=EVENTUAL).json()["value"]}
    assert names == {"Adele Vance", "Megan Bowen"}


def test_it_searches_groups_and_devices_for_the_people_picker(graph_as, known):
    graph = graph_as("helpdesk")
    groups = graph.get('groups?$search="displayName:helpdesk"&$select=displayName', headers=EVENTUAL).json()["value"]
    assert "Helpdesk Tier 1" in {item["displayName"] for item in groups}
    devices = graph.get('devices?$search="displayName:SEA-LAPTOP"', headers=EVENTUAL).json()["value"]
    assert [item["id"] for item in devices] == [known["device"].id]


def test_it_counts_with_advanced_query_parameters_only(graph_as, known):
    graph = graph_as("helpdesk")
    path = f"{group_path(known, 'big_group')}/members?$count=true&$top=5"
    assert graph.get(path, headers=EVENTUAL).json()["@odata.count"] == 300
    assert "@odata.count" not in graph.get(path).json()  # silently ignored without the header


def test_it_answers_the_count_segment_as_plain_text(graph_as, known):
    response = graph_as("helpdesk").get(f"{group_path(known, 'big_group')}/members/$count", headers=EVENTUAL)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "300"


def test_it_searches_and_counts_unit_members_with_advanced_queries(graph_as, known):
    graph = graph_as("pra")
    path = f"{unit_path(known, 'plain_unit')}/members?$search=\"displayName:paris\"&$count=true"
    body = graph.get(path, headers=EVENTUAL).json()
    assert body["@odata.count"] == 1 and body["value"][0]["id"] == known["group_outside_unit"].id


def test_it_filters_groups_with_startswith_and_eq(graph_as, known):
    graph = graph_as("helpdesk")
    names = sorted(item["displayName"] for item in graph.get("groups?$filter=startswith(displayName,'seattle')").json()["value"])
    assert names == ["Seattle Engineering", "Seattle Helpdesk", "Seattle Printers"]
    unified = graph.get("groups?$filter=groupTypes/any(c:c eq 'Unified') and displayName eq 'Contoso Marketing'").json()
    assert [item["id"] for item in unified["value"]] == [known["m365_group"].id]


def test_it_filters_users_by_user_principal_name(graph_as, known):
    body = graph_as("helpdesk").get("users?$filter=userPrincipalName eq 'ADMIN@contoso.example'").json()
    assert [item["id"] for item in body["value"]] == [known["admin"].id]


def test_it_allows_ne_and_endswith_with_advanced_query_parameters(graph_as, known):
    graph = graph_as("helpdesk")
    response = graph.get("users?$filter=endswith(mail,'@contoso.example')&$count=true&$top=1", headers=EVENTUAL)
    users = [o.data.get("mail") or "" for o in DirectoryObject.objects.filter(kind="user")]
    expected = sum(mail.endswith("@contoso.example") for mail in users)
    assert response.status_code == 200 and response.json()["@odata.count"] == expected > 50


def test_it_accepts_page_sizes_from_1_to_999(graph_as, known):
    graph = graph_as("helpdesk")
    assert len(graph.get("users?$top=1").json()["value"]) == 1
    assert graph.get("users?$top=999").status_code == 200
    assert graph.get("users?$top=0").status_code == 400


def test_it_casts_member_lists_to_one_type(graph_as, known):
    body = graph_as("helpdesk").get(f"{group_path(known, 'helpdesk_group')}/members/microsoft.graph.user?$count=true",
                                    headers={"ConsistencyLevel": "eventual"}).json()
    assert body["@odata.context"].endswith("/$metadata#users")
    assert {item["@odata.type"] for item in body["value"]} == {"#microsoft.graph.user"}


def test_a_cast_is_an_advanced_query_and_selects_its_own_types_properties(graph_as, known):
    """GRAPH.md §12: without ConsistencyLevel and $count a cast is refused; a $select names the cast type's
    properties only, as on /users."""
    path = f"{group_path(known, 'helpdesk_group')}/members/microsoft.graph.user"
    for query, headers in [("", {}), ("?$count=true", {}), ("", {"ConsistencyLevel": "eventual"})]:
        refused = graph_as("helpdesk").get(f"{path}{query}", headers=headers)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "Request_UnsupportedQuery"
    wrong = graph_as("helpdesk").get(f"{path}?$count=true&$select=id,operatingSystem", headers={"ConsistencyLevel": "eventual"})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["message"] == "Could not find a property named 'operatingSystem' on type 'microsoft.graph.user'."
    for mine in ["me/ownedObjects/microsoft.graph.group", "me/transitiveMemberOf/microsoft.graph.directoryRole"]:
        assert graph_as("owner").get(mine).status_code == 400


def test_it_rejects_a_cast_to_a_type_the_group_cannot_contain(graph_as, known):
    response = graph_as("helpdesk").get(f"{group_path(known, 'm365_group')}/members/microsoft.graph.group")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "Request_UnsupportedQuery"


def test_it_lists_member_references(graph_as, known):
    body = graph_as("helpdesk").get(f"{group_path(known, 'helpdesk_group')}/members/$ref").json()
    ids = [item["@odata.id"] for item in body["value"]]
    assert all("/directoryObjects/" in odata_id and list(item) == ["@odata.id"]
               for odata_id, item in zip(ids, body["value"]))
    assert any(odata_id.endswith(f"{known['user'].id}/Microsoft.DirectoryServices.User") for odata_id in ids)


def test_it_lists_only_activated_directory_roles(graph_as, known):
    roles = graph_as("user").get("directoryRoles").json()["value"]
    assert {role["id"] for role in roles} == {role.id for role in known["roles"].values()}
    assert all(set(role) >= {"id", "displayName", "description", "roleTemplateId"} for role in roles)


def test_it_lists_group_owners(graph_as, known):
    owners = graph_as("user").get(f"{group_path(known, 'owned_group')}/owners").json()["value"]
    assert [owner["id"] for owner in owners] == [known["owner"].id]


def test_a_roles_members_answer_select_alone(graph_as, known):
    """GRAPH.md §12: $select is the one option Microsoft documents on a role's members; the rest is refused."""
    graph = graph_as("pra")
    eventual = {"ConsistencyLevel": "eventual"}
    for path in [f"{role_path(known, authz.HELPDESK_ADMINISTRATOR)}/members",
                 f"directoryRoles(roleTemplateId='{authz.HELPDESK_ADMINISTRATOR}')/members"]:
        assert graph.get(f"{path}?$select=id,displayName").status_code == 200
        for query in ["?$top=5", "?$count=true", '?$search="displayName:a"', "?$filter=id in ('x')", "?$orderby=displayName"]:
            refused = graph.get(f"{path}{query}", headers=eventual)
            assert (refused.status_code, refused.json()["error"]["code"]) == (400, "Request_UnsupportedQuery"), query
        for tail in ["/$count", "/microsoft.graph.user?$count=true"]:
            assert graph.get(f"{path}{tail}", headers=eventual).status_code == 400, tail


def test_one_member_is_read_through_the_navigation_of_a_unit_only(graph_as, known):
    """administrativeunit-get-members documents GET …/members/{id}; for a group or a role it is refused with a 400
    (never a 404, which a client would read as "not a member")."""
    unit = known["unit_of_unitadmin"]
    member = Link.objects.filter(container_id=unit.id, relation="members").values_list("member_id", flat=True)[0]
    assert graph_as("pra").get(f"{unit_path(known, 'unit_of_unitadmin')}/members/{member}?$select=id").status_code == 200
    group = known["helpdesk_group"]
    member = Link.objects.filter(container_id=group.id, relation="members").values_list("member_id", flat=True)[0]
    refused = graph_as("helpdesk").get(f"{group_path(known, 'helpdesk_group')}/members/{member}?$select=id")
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "Request_UnsupportedQuery")


def _all_pages(graph, url: str, headers: dict) -> list[tuple[str, str]]:
    seen = []
    while url:
        body = graph.get(url, headers=headers).json()
        seen += [(item["id"], item["displayName"]) for item in body["value"]]
        url = body.get("@odata.nextLink", "").split("/v1.0/", 1)[-1]
    return seen


def test_members_are_in_no_name_order_unless_it_is_asked_for_with_advanced_query_parameters(graph_as, known):
    """Graph's order of members is unspecified (GRAPH.md §12): unsorted, the sandbox answers in id
    order; ``$orderby=displayName`` on a member list is an advanced query, then pages follow names."""
    graph = graph_as("helpdesk")
    path = f"{group_path(known, 'big_group')}/members?$select=id,displayName&$top=40"
    unsorted = _all_pages(graph, path, {})
    assert [i for i, _ in unsorted] == sorted(i for i, _ in unsorted)
    assert [n for _, n in unsorted] != sorted(n for _, n in unsorted)
    sorted_ = _all_pages(graph, f"{path}&$orderby=displayName&$count=true", EVENTUAL)
    assert sorted_ == sorted(unsorted, key=lambda item: (item[1], item[0]))
    backwards = _all_pages(graph, f"{path}&$orderby=displayName desc&$count=true", EVENTUAL)
    assert backwards == sorted(unsorted, key=lambda item: (item[1], item[0]), reverse=True)  # page after page
    refused = graph.get(f"{path}&$orderby=displayName")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "Request_UnsupportedQuery"
    assert refused.json()["error"]["message"] == "Sorting not supported for current query."


@pytest.mark.parametrize(("url", "headers", "status"), [
    ("groups?$orderby=displayName&$top=5", {}, 200),  # users' and groups' displayName sort by default
    ("users?$orderby=displayName&$top=5", {}, 200),
    ("directory/administrativeUnits?$orderby=displayName", {}, 400),  # other types: advanced only
    ("directory/administrativeUnits?$orderby=displayName&$count=true", EVENTUAL, 200),
    ("groups?$orderby=displayName&$filter=startswith(displayName,'a')", {}, 400),  # $filter with $orderby
    ("groups?$orderby=displayName&$filter=startswith(displayName,'a')&$count=true", EVENTUAL, 200),
    ("groups?$orderby=displayName desc&$count=true", EVENTUAL, 200),
    ("groups?$orderby=displayName desc", {}, 400),  # the stricter reading: only as an advanced query
    ("groups?$orderby=displayName sideways&$count=true", EVENTUAL, 400),
    ("groups?$orderby=mail&$count=true", EVENTUAL, 400),
    ('groups?$search="displayName:a"&$orderby=displayName&$count=true', EVENTUAL, 200),
])
def test_orderby_is_answered_only_where_microsoft_documents_it(graph_as, url, headers, status):
    answer = graph_as("helpdesk").get(url, headers=headers)
    assert answer.status_code == status, answer.text
    if status == 200:
        names = [item["displayName"] for item in answer.json()["value"]]
        assert names == sorted(names, reverse=" desc" in url)


@pytest.mark.parametrize("trait", list(GROUP_KIND_FILTERS))
def test_the_lists_kind_filters_find_exactly_the_groups_of_that_kind(graph_as, known, trait):
    """Each filter the groups list sends, alone and beside a search, as an advanced query."""
    graph = graph_as("helpdesk")
    wanted = {"$filter": GROUP_KIND_FILTERS[trait], "$select": "id,groupTypes,securityEnabled,mailEnabled",
              "$count": "true", "$top": "999"}
    found = graph.get("groups", params=wanted, headers=EVENTUAL).json()["value"]
    assert found and all(group_kind(group) is trait for group in found)
    everyone = graph.get("groups", params={"$select": "id,groupTypes,securityEnabled,mailEnabled", "$top": "999"}).json()["value"]
    assert {g["id"] for g in found} == {g["id"] for g in everyone if group_kind(g) is trait}
    searched = graph.get("groups", params={**wanted, "$search": '"displayName:contoso"'}, headers=EVENTUAL)
    assert searched.status_code == 200


def test_not_in_the_kind_filter_is_refused_without_advanced_query_parameters(graph_as):
    answer = graph_as("helpdesk").get("groups", params={"$filter": GROUP_KIND_FILTERS[Trait.DISTRIBUTION]})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "Request_UnsupportedQuery"
