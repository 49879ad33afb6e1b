"""The five membership operations of the seed documents, through the app's ``GraphClient`` against the live sandbox.

Each test gets a real delegated access token (msal's authorization-code flow against the sandbox's
authority, as the app signs in), sends one call over real HTTP exactly as the app would (the app's
Graph URL, carried to the live server by the sandbox transport), and checks the sandbox's state
and the request as the sandbox logged it: remove from an AU, add to an AU (``@odata.id`` body),
remove from a group, remove from a role by id and by ``roleTemplateId``.
"""

import json
from urllib.parse import parse_qsl, urljoin, urlsplit

import msal
import pytest
import requests

from members.graph import GraphClient
from members.directory import Outcome
from members.directory import Container, Kind
from sandbox import authz, knobs, transport
from sandbox.models import Link

GRAPH_PATH = "/sandbox/graph/v1.0"  # where the sandbox serves https://graph.sandbox.test/v1.0


def members_of(container_id: str) -> set[str]:
    return {str(m) for m in Link.objects.filter(container_id=container_id, relation="members").values_list("member_id", flat=True)}


def a_user_member(container_id: str) -> str:
    return str(Link.objects.filter(container_id=container_id, relation="members", member__kind="user")
               .order_by("member__display_name").values_list("member_id", flat=True).first())


class SentRequests(list):
    """The requests a session sent, as they went on the wire (a response hook)."""

    def __call__(self, response: requests.Response, *args, **kwargs) -> None:
        self.append(response.request)


@pytest.fixture
def graph_as(live_server, tenant, settings):
    """``graph_as(upn)`` -> (GraphClient with that account's real access token, the requests it sends)."""
    settings.SANDBOX_LOOPBACK_URL = live_server.url  # no browser request to learn the origin from

    def sign_in(upn: str) -> tuple[GraphClient, SentRequests]:
        session = transport.mount(requests.Session())
        app = msal.ConfidentialClientApplication(
            settings.ENTRA_CLIENT_ID, client_credential=settings.ENTRA_CLIENT_SECRET, authority=settings.ENTRA_AUTHORITY,
            http_client=session, instance_discovery=False,
        )
        flow = app.initiate_auth_code_flow(settings.GRAPH_SCOPES, redirect_uri=f"{live_server.url}/accounts/callback/")
        # The sandbox names its sign-in page by path: a browser resolves it on the origin it is on.
        picked = session.post(urljoin(live_server.url, flow["auth_uri"]), data={"upn": upn}, allow_redirects=False)
        assert picked.status_code == 302, picked.text[:500]
        result = app.acquire_token_by_auth_code_flow(flow, dict(parse_qsl(urlsplit(picked.headers["Location"]).query)))
        assert "access_token" in result, result
        sent = SentRequests()
        session.hooks["response"].append(sent)
        knobs.clear_request_log()
        return GraphClient(result["access_token"], base_url=settings.GRAPH_URL, session=session), sent

    return sign_in


def the_one_logged_call():
    (entry,) = knobs.request_log()
    return entry


def test_removing_a_unit_member_deletes_its_reference(graph_as, tenant):
    unit = tenant["plain_unit"]
    member = a_user_member(unit.id)
    graph, sent = graph_as("pra@contoso.example")

    result = graph.remove_member(Container(Kind.UNITS, unit.id), member)

    assert (result.outcome, result.error) == (Outcome.DONE, None)
    assert member not in members_of(unit.id)
    logged = the_one_logged_call()
    assert (logged.method, logged.path, logged.query, logged.status) == (
        "DELETE", f"{GRAPH_PATH}/directory/administrativeUnits/{unit.id}/members/{member}/$ref", "", 204)
    assert logged.request_id and logged.request_id == result.request_id
    (request,) = sent
    assert request.headers["Authorization"].startswith("Bearer ey") and not request.body


def test_adding_a_unit_member_posts_an_odata_id_reference(graph_as, tenant):
    unit, newcomer = tenant["plain_unit"], tenant["spare_users"][0]
    assert newcomer.id not in members_of(unit.id)
    graph, sent = graph_as("pra@contoso.example")

    result = graph.add_member(Container(Kind.UNITS, unit.id), newcomer.id)

    assert (result.outcome, result.error) == (Outcome.DONE, None)
    assert newcomer.id in members_of(unit.id)
    logged = the_one_logged_call()
    assert (logged.method, logged.path, logged.query, logged.status) == (
        "POST", f"{GRAPH_PATH}/directory/administrativeUnits/{unit.id}/members/$ref", "", 204)
    assert logged.request_id == result.request_id
    (request,) = sent
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.body) == {"@odata.id": f"https://graph.sandbox.test/v1.0/directoryObjects/{newcomer.id}"}


def test_adding_a_member_a_unit_already_has_is_an_outcome_not_an_error(graph_as, tenant):
    unit, member = tenant["plain_unit"], tenant["group_outside_unit"]
    graph, _ = graph_as("pra@contoso.example")

    result = graph.add_member(Container(Kind.UNITS, unit.id), member.id)

    assert result.outcome is Outcome.ALREADY
    assert (result.error.status, result.error.code) == (400, "Request_BadRequest")
    assert "already exist" in result.error.message
    assert Link.objects.filter(container_id=unit.id, member_id=member.id).count() == 1
    assert the_one_logged_call().request_id == result.request_id


def test_a_groups_administrator_cannot_remove_a_unit_member(graph_as, tenant):
    """AU member lists need a tenant-level Privileged Role Administrator (GRAPH.md §2)."""
    unit = tenant["plain_unit"]
    member = a_user_member(unit.id)
    graph, _ = graph_as("helpdesk@contoso.example")

    result = graph.remove_member(Container(Kind.UNITS, unit.id), member)

    assert result.outcome is Outcome.REFUSED
    assert (result.error.status, result.error.code) == (403, "Authorization_RequestDenied")
    assert member in members_of(unit.id)
    logged = the_one_logged_call()
    assert (logged.method, logged.status, logged.request_id) == ("DELETE", 403, result.request_id)


def test_removing_a_group_member_deletes_its_reference(graph_as, tenant):
    group = tenant["helpdesk_group"]
    member = a_user_member(group.id)
    graph, _ = graph_as("helpdesk@contoso.example")

    result = graph.remove_member(Container(Kind.GROUPS, group.id), member)

    assert (result.outcome, result.error) == (Outcome.DONE, None)
    assert member not in members_of(group.id)
    logged = the_one_logged_call()
    assert (logged.method, logged.path, logged.query, logged.status) == (
        "DELETE", f"{GRAPH_PATH}/groups/{group.id}/members/{member}/$ref", "", 204)
    assert logged.request_id == result.request_id


def test_removing_a_role_member_by_the_roles_id(graph_as, tenant):
    role, member = tenant["roles"][authz.HELPDESK_ADMINISTRATOR], tenant["role_member"].id
    graph, _ = graph_as("pra@contoso.example")

    result = graph.remove_member(Container(Kind.ROLES, role.id), member)

    assert (result.outcome, result.error) == (Outcome.DONE, None)
    assert member not in members_of(role.id)
    logged = the_one_logged_call()
    assert (logged.method, logged.path, logged.query, logged.status) == (
        "DELETE", f"{GRAPH_PATH}/directoryRoles/{role.id}/members/{member}/$ref", "", 204)
    assert logged.request_id == result.request_id


def test_removing_a_role_member_by_the_roles_template_id(graph_as, tenant):
    template = authz.GROUPS_ADMINISTRATOR
    role, member = tenant["roles"][template], tenant["noconsent"].id
    assert member in members_of(role.id)
    graph, _ = graph_as("pra@contoso.example")

    result = graph.remove_member(Container.role_template(template), member)

    assert (result.outcome, result.error) == (Outcome.DONE, None)
    assert member not in members_of(role.id) and tenant["helpdesk"].id in members_of(role.id)
    logged = the_one_logged_call()
    assert (logged.method, logged.path, logged.query, logged.status) == (
        "DELETE", f"{GRAPH_PATH}/directoryRoles(roleTemplateId='{template}')/members/{member}/$ref", "", 204)
    assert logged.request_id == result.request_id
