"""The token endpoint rotates refresh tokens and treats a redeemed one presented again as Entra may
(sandbox.authority): answered within the reuse grace, else the whole chain revoked."""

import json

import pytest
from django.conf import settings as django_settings

from sandbox import authority
from sandbox.models import DirectoryObject, RefreshToken

TENANT = "8f7e6d5c-4b3a-4291-8877-665544332211"
CLIENT_ID = "5d3c2b1a-0f9e-4d8c-b7a6-958473625140"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def authority_routes(settings):
    settings.ROOT_URLCONF = "sandbox.urls"


@pytest.fixture
def first_refresh_token(sandbox_tenant) -> str:
    """A refresh token as a sign-in leaves it (the start of a chain)."""
    user = DirectoryObject.objects.get(principal_name="helpdesk@contoso.example")
    answer = authority._token_response(user, CLIENT_ID, ["User.Read"])
    return json.loads(answer.content)["refresh_token"]


def refresh(client, token: str):
    return client.post(f"/{TENANT}/oauth2/v2.0/token", {
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": token, "scope": "User.Read offline_access",
        "client_secret": django_settings.SANDBOX_CLIENT_SECRET})


def test_each_refresh_rotates_the_token_and_the_new_one_works(client, first_refresh_token):
    second = refresh(client, first_refresh_token).json()["refresh_token"]
    third = refresh(client, second)
    assert third.status_code == 200 and third.json()["refresh_token"] not in {first_refresh_token, second}
    assert RefreshToken.objects.filter(revoked=False).count() == 1


def test_a_redeemed_token_again_within_the_grace_is_answered_as_a_lost_answer_would_need(client, first_refresh_token,
                                                                                         settings):
    settings.SANDBOX_REFRESH_REUSE_GRACE = 60
    assert refresh(client, first_refresh_token).status_code == 200
    again = refresh(client, first_refresh_token)
    assert again.status_code == 200 and "refresh_token" in again.json()


def test_a_redeemed_token_again_after_the_grace_revokes_the_whole_chain(client, first_refresh_token, settings):
    settings.SANDBOX_REFRESH_REUSE_GRACE = 0
    successor = refresh(client, first_refresh_token).json()["refresh_token"]
    reused = refresh(client, first_refresh_token)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert refresh(client, successor).json()["error"] == "invalid_grant"  # the thief's or the client's: both gone
    assert not RefreshToken.objects.filter(revoked=False).exists()
