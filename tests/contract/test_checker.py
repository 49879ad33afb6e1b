"""The contract checker knows Microsoft's metadata: the request shapes the app sent before it was
checked (GRAPH.md §12) are each caught, and the documented ones it sends now pass."""

import pytest

from tests.contract.checker import problems

GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
ROLE = "7d2f0c1e-5a4b-4c3d-9e8f-0a1b2c3d4e5f"
TEMPLATE = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
USER = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"
MEMBER_FIELDS = "id,displayName,userPrincipalName,mail,jobTitle,operatingSystem,appId,groupTypes,securityEnabled,mailEnabled"
EVENTUAL = {"ConsistencyLevel": "eventual"}

CAUGHT = [  # (what it is, method, url, headers): each was sent by the app before the contract test
    ("1: role members paged", "GET", f"/v1.0/directoryRoles/{ROLE}/members?$select={MEMBER_FIELDS}&$top=50", {}),
    ("1: role members counted", "GET", f"/v1.0/directoryRoles/{ROLE}/members?$count=true&$top=1&$select=id", EVENTUAL),
    ("1: role member count segment", "GET", f"/v1.0/directoryRoles/{ROLE}/members/$count", EVENTUAL),
    ("1: role members searched", "GET", f'/v1.0/directoryRoles/{ROLE}/members?$search="displayName:a"&$count=true', EVENTUAL),
    ("1: role members filtered", "GET",
     f"/v1.0/directoryRoles(roleTemplateId='{TEMPLATE}')/members?$filter=id in ('{USER}')&$select=id&$count=true", EVENTUAL),
    ("2: a cast selecting another type's property", "GET",
     f"/v1.0/groups/{GROUP}/members/microsoft.graph.user?$select={MEMBER_FIELDS}&$top=50&$count=true", EVENTUAL),
    ("2: a nested cast selecting another type's property", "GET",
     f"/v1.0/groups/{GROUP}/transitiveMembers/microsoft.graph.device?$select={MEMBER_FIELDS}&$count=true", EVENTUAL),
    ("3: a cast of my roles without advanced query", "GET",
     "/v1.0/me/transitiveMemberOf/microsoft.graph.directoryRole?$select=id,roleTemplateId", {}),
    ("3: a cast of my groups without advanced query", "GET", "/v1.0/me/ownedObjects/microsoft.graph.group?$select=id", {}),
    ("3: a cast of a group's units without $count", "GET",
     f"/v1.0/groups/{GROUP}/memberOf/microsoft.graph.administrativeUnit?$select=id", EVENTUAL),
    ("4: a role member added through the alternate key", "POST",
     f"/v1.0/directoryRoles(roleTemplateId='{TEMPLATE}')/members/$ref", {}),
    ("5: a group member read through the navigation", "GET", f"/v1.0/groups/{GROUP}/members/{USER}?$select=id", {}),
    ("a path that is no navigation", "GET", f"/v1.0/groups/{GROUP}/people", {}),
    ("6: members sorted without advanced query", "GET", f"/v1.0/groups/{GROUP}/members?$select=id&$orderby=displayName", {}),
    ("6: units sorted without advanced query", "GET", "/v1.0/directory/administrativeUnits?$orderby=displayName", {}),
    ("6: groups filtered and sorted without advanced query", "GET",
     "/v1.0/groups?$filter=startswith(displayName,'a')&$orderby=displayName", {}),
    ("6: a sort on a property Microsoft does not sort", "GET", "/v1.0/groups?$orderby=mail&$count=true", EVENTUAL),
]

DESCRIBED = [
    ("GET", f"/v1.0/directoryRoles/{ROLE}/members?$select={MEMBER_FIELDS}", {}),
    ("GET", f"/v1.0/directoryRoles(roleTemplateId='{TEMPLATE}')/members?$select=id", {}),
    ("DELETE", f"/v1.0/directoryRoles/{ROLE}/members/{USER}/$ref", {}),
    ("POST", f"/v1.0/directoryRoles/{ROLE}/members/$ref", {}),
    ("GET", f"/v1.0/groups/{GROUP}/members/microsoft.graph.user?$select=id,displayName,userPrincipalName,mail,jobTitle&$top=50&$count=true", EVENTUAL),
    ("GET", "/v1.0/me/transitiveMemberOf/microsoft.graph.directoryRole?$select=id,roleTemplateId&$count=true", EVENTUAL),
    ("GET", f"/v1.0/directory/administrativeUnits/{GROUP}/members/{USER}?$select=id", {}),
    ("GET", f"/v1.0/groups/{GROUP}/members?$select={MEMBER_FIELDS}&$top=50", {}),
    ("GET", "/v1.0/groups?$select=id,displayName&$top=19&$count=true&$orderby=displayName", EVENTUAL),
    ("GET", "/v1.0/groups?$orderby=displayName", {}),
    ("GET", f"/v1.0/groups/{GROUP}/members?$select=id&$top=50&$orderby=displayName&$count=true", EVENTUAL),
    ("POST", "/v1.0/directoryObjects/getByIds", {}),
    ("GET", "/v1.0/me/scopedRoleMemberOf", {}),
]


@pytest.mark.parametrize("what, method, url, headers", CAUGHT, ids=[c[0] for c in CAUGHT])
def test_a_request_microsoft_does_not_describe_is_caught(what, method, url, headers):
    assert problems(method, url, headers, None), what


@pytest.mark.parametrize("method, url, headers", DESCRIBED, ids=[f"{m} {u.split('?')[0]}" for m, u, _ in DESCRIBED])
def test_a_request_microsoft_describes_passes(method, url, headers):
    assert problems(method, url, headers, None) == []


def test_a_batch_is_judged_item_by_item_and_held_to_twenty():
    items = [{"id": str(n), "method": "GET", "url": f"/groups/{GROUP}/members/{USER}"} for n in range(21)]
    found = problems("POST", "/v1.0/$batch", {}, {"requests": items})
    assert found[0].endswith("21 requests in one $batch (Graph takes 20)") and len(found) == 22


def test_a_bind_of_more_than_twenty_links_is_caught():
    body = {"members@odata.bind": [f"https://graph.microsoft.com/v1.0/directoryObjects/{USER}"] * 21}
    assert problems("PATCH", f"/v1.0/groups/{GROUP}", {}, body)
