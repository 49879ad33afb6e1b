"""Fixtures for the sandbox's contract tests: a small seeded tenant, tokens, a Graph HTTP helper.

``sandbox_tenant`` reseeds a small tenant (well under a second) for every test that uses it,
since live_server tests run on a flushed transactional database. The app's own tests can call
``sandbox.seed.seed_tenant(**TEST_SIZES)`` from their conftest the same way.
"""

import pytest
import requests

from sandbox import knobs, seed
from sandbox.models import DirectoryObject
from sandbox.tokens import issue_access_token

TEST_SIZES = {"users": 60, "groups": 25, "big_group_members": 300}
CLIENT_ID = "5d3c2b1a-0f9e-4d8c-b7a6-958473625140"
# What the app asks for (portal/settings.py GRAPH_SCOPES), spelled out so these tests stand alone.
APP_SCOPES = (
    "User.Read User.ReadBasic.All Directory.Read.All Device.Read.All Member.Read.Hidden "
    "GroupMember.ReadWrite.All AdministrativeUnit.ReadWrite.All RoleManagement.ReadWrite.Directory"
).split()
READ_SCOPES = seed.READ_ONLY_SCOPES.split()


class Graph:
    """A signed-in caller of the sandbox's Graph over real HTTP: paths are relative to the version."""

    def __init__(self, base_url: str, token: str):
        self.base_url = base_url
        self.token = token
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["Authorization"] = f"Bearer {token}"

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def add(self, container_path: str, object_id: str) -> requests.Response:
        """POST {container}/members/$ref with a directoryObjects reference."""
        body = {"@odata.id": f"{self.base_url}/directoryObjects/{object_id}"}
        return self.post(f"{container_path}/members/$ref", json=body)

    def remove(self, container_path: str, object_id: str) -> requests.Response:
        return self.delete(f"{container_path}/members/{object_id}/$ref")

    def member_ids(self, container_path: str) -> set[str]:
        """Every member id, following nextLinks."""
        ids, url = set(), f"{container_path}/members?$select=id&$top=999"
        while url:
            page = self.get(url).json()
            ids |= {item["id"] for item in page["value"]}
            url = page.get("@odata.nextLink")
        return ids


@pytest.fixture(autouse=True)
def graph_only_urls(settings):
    settings.ROOT_URLCONF = "tests.sandbox.urls"


@pytest.fixture
def sandbox_tenant(transactional_db):
    """The seeded test tenant; returns ``seed.WELL_KNOWN``."""
    known = seed.seed_tenant(**TEST_SIZES)
    knobs.reset_all()
    yield known
    knobs.reset_all()


def token_for(object_id: str, scopes: list[str] | None = None) -> str:
    user = DirectoryObject.objects.get(id=object_id)
    token, _ = issue_access_token(user, CLIENT_ID, APP_SCOPES if scopes is None else scopes)
    return token


@pytest.fixture
def graph_as(live_server, sandbox_tenant):
    """``graph_as("helpdesk", scopes=[...], version="v1.0")`` -> a ``Graph`` for that seeded user."""

    def make(key: str, scopes: list[str] | None = None, version: str = "v1.0") -> Graph:
        object_id = sandbox_tenant[key].id
        return Graph(f"{live_server.url}/sandbox/graph/{version}", token_for(object_id, scopes))

    return make


@pytest.fixture
def known(sandbox_tenant):
    return sandbox_tenant


def group_path(known: dict, key: str) -> str:
    return f"groups/{known[key].id}"


def unit_path(known: dict, key: str) -> str:
    return f"directory/administrativeUnits/{known[key].id}"


def role_path(known: dict, template_id: str) -> str:
    return f"directoryRoles/{known['roles'][template_id].id}"
