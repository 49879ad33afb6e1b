"""The official Microsoft Graph Python SDK (msgraph-sdk, async over httpx) against the sandbox.

It points at the sandbox's plain-http base URL with a static bearer token, lists members of a
group (following nextLinks), of an AU and the directory roles, removes a member, and reads a
refusal as ``ODataError`` — every answer parsed into the SDK's typed models.
"""

import asyncio

import httpx
import pytest
from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator, BaseBearerTokenAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.device import Device
from msgraph.generated.models.directory_role import DirectoryRole
from msgraph.generated.models.group import Group
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.org_contact import OrgContact
from msgraph.generated.models.reference_create import ReferenceCreate
from msgraph.generated.models.service_principal import ServicePrincipal
from msgraph.generated.models.user import User
from msgraph_core import GraphClientFactory

from sandbox import authz
from sandbox.models import Link
from tests.sandbox.conftest import token_for

# The generated request builders warn about their own deprecated configuration classes.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class StaticToken(AccessTokenProvider):
    """Hands kiota the same bearer token for every request."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def get_authorization_token(self, uri: str, additional_authentication_context=None) -> str:
        return self.token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator([])


def sdk_client(base_url: str, token: str) -> GraphServiceClient:
    http = GraphClientFactory.create_with_default_middleware(client=httpx.AsyncClient(trust_env=False, timeout=10))
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken(token)), client=http)
    adapter.base_url = base_url
    return GraphServiceClient(request_adapter=adapter)


@pytest.fixture
def sdk(live_server, sandbox_tenant):
    def make(key: str) -> GraphServiceClient:
        return sdk_client(f"{live_server.url}/sandbox/graph/v1.0", token_for(sandbox_tenant[key].id))

    return make


def test_the_sdk_lists_every_member_of_a_big_group_following_next_links(sdk, known):
    builder = sdk("helpdesk").groups.by_group_id(known["big_group"].id).members

    async def all_members():
        page, members = await builder.get(), []
        while True:
            members += page.value
            if not page.odata_next_link:
                return members
            page = await builder.with_url(page.odata_next_link).get()

    members = asyncio.run(all_members())
    assert len({member.id for member in members}) == 300
    assert {type(member) for member in members} <= {User, Device, Group}


def test_the_sdk_parses_every_member_type(sdk, known):
    page = asyncio.run(sdk("helpdesk").groups.by_group_id(known["helpdesk_group"].id).members.get())
    types = {type(member) for member in page.value}
    assert types == {User, Group, Device, ServicePrincipal, OrgContact}
    user = next(member for member in page.value if member.id == known["user"].id)
    assert user.user_principal_name == "user@contoso.example"


def test_the_sdk_lists_unit_members_and_directory_roles(sdk, known):
    client = sdk("pra")

    async def read():
        unit = await client.directory.administrative_units.by_administrative_unit_id(known["plain_unit"].id).members.get()
        roles = await client.directory_roles.get()
        return unit, roles

    unit, roles = asyncio.run(read())
    assert known["group_outside_unit"].id in {member.id for member in unit.value}
    assert all(isinstance(role, DirectoryRole) for role in roles.value)
    assert authz.GLOBAL_ADMINISTRATOR in {role.role_template_id for role in roles.value}


def test_the_sdk_adds_and_removes_a_member_by_reference(sdk, known, live_server):
    spare = known["spare_users"][0].id
    body = ReferenceCreate(odata_id=f"{live_server.url}/sandbox/graph/v1.0/directoryObjects/{spare}")

    # One client per event loop: httpx's pool belongs to the loop that opened it.
    asyncio.run(sdk("helpdesk").groups.by_group_id(known["helpdesk_group"].id).members.ref.post(body))
    assert Link.objects.filter(container_id=known["helpdesk_group"].id, member_id=spare).exists()
    members = sdk("helpdesk").groups.by_group_id(known["helpdesk_group"].id).members
    asyncio.run(members.by_directory_object_id(spare).ref.delete())
    assert not Link.objects.filter(container_id=known["helpdesk_group"].id, member_id=spare).exists()


def test_the_sdk_reads_a_refusal_as_an_odata_error(sdk, known):
    members = sdk("user").groups.by_group_id(known["helpdesk_group"].id).members
    with pytest.raises(ODataError) as refused:
        asyncio.run(members.by_directory_object_id(known["user"].id).ref.delete())
    assert refused.value.response_status_code == 403
    assert refused.value.error.code == "Authorization_RequestDenied"
    assert refused.value.error.inner_error.request_id
