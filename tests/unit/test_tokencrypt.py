"""The token cache's encryption at rest (portal/tokencrypt.py) and what an unreadable cache means for a user."""

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model

from accounts import tokencrypt

CACHE = '{"RefreshToken": {"k": {"secret": "0.AAAA-refresh-token-value"}}}'
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_it_seals_a_cache_so_no_part_of_it_shows(settings):
    settings.TOKEN_CACHE_KEYS = [NEW]
    sealed = tokencrypt.seal(CACHE)
    assert "RefreshToken" not in sealed and "refresh-token-value" not in sealed and "secret" not in sealed
    assert tokencrypt.unseal(sealed) == CACHE


def test_after_rotation_old_caches_still_open_and_new_ones_use_the_first_key(settings):
    settings.TOKEN_CACHE_KEYS = [OLD]
    before = tokencrypt.seal(CACHE)
    settings.TOKEN_CACHE_KEYS = [NEW, OLD]  # the new key first: it encrypts, both decrypt
    assert tokencrypt.unseal(before) == CACHE
    after = tokencrypt.seal(CACHE)
    assert Fernet(NEW).decrypt(after.encode()).decode() == CACHE
    settings.TOKEN_CACHE_KEYS = [NEW]  # the old key dropped
    assert tokencrypt.unseal(after) == CACHE
    with pytest.raises(tokencrypt.Unreadable):
        tokencrypt.unseal(before)


@pytest.mark.parametrize("stored", [
    "gAAAAABnot-a-fernet-token", CACHE, "", "\udcff", None, {"RefreshToken": {}},
], ids=["garbage", "plaintext", "empty", "not-utf8", "none", "not-a-string"])
def test_anything_but_a_sealed_cache_is_unreadable(settings, stored):
    settings.TOKEN_CACHE_KEYS = [NEW]
    with pytest.raises(tokencrypt.Unreadable):
        tokencrypt.unseal(stored)


def test_a_tampered_cache_is_unreadable(settings):
    settings.TOKEN_CACHE_KEYS = [NEW]
    sealed = tokencrypt.seal(CACHE)
    flipped = sealed[:40] + ("A" if sealed[40] != "A" else "B") + sealed[41:]
    with pytest.raises(tokencrypt.Unreadable):
        tokencrypt.unseal(flipped)


def test_the_development_key_is_fixed_for_a_secret_key_and_differs_between_them():
    key = tokencrypt.development_key("one secret")
    Fernet(key)  # a valid Fernet key
    assert key == tokencrypt.development_key("one secret") != tokencrypt.development_key("another secret")


def test_a_malformed_key_is_named_by_its_position():
    with pytest.raises(ValueError, match="key 2 of TOKEN_CACHE_KEY is not a Fernet key"):
        tokencrypt.check_keys([NEW, "too-short"])


@pytest.fixture
def session_with_unreadable_cache(client, settings, db):
    """A signed-in session whose token cache was sealed under a key that has since been dropped."""
    settings.TOKEN_CACHE_KEYS = [OLD]
    client.force_login(get_user_model().objects.create(username="oid-1", email="helpdesk@contoso.example"))
    session = client.session
    session["token_cache"] = tokencrypt.seal(CACHE)
    session["home_account_id"] = "oid-1.tenant"
    session.save()
    settings.TOKEN_CACHE_KEYS = [NEW]
    return client


def test_an_unreadable_cache_sends_a_page_to_sign_in(session_with_unreadable_cache):
    answer = session_with_unreadable_cache.get("/groups/")
    assert answer.status_code == 302 and answer["Location"] == "/accounts/sign-in/?next=/groups/"


def test_an_unreadable_cache_sends_htmx_to_sign_in(session_with_unreadable_cache):
    answer = session_with_unreadable_cache.get("/groups/", headers={
        "HX-Request": "true", "HX-Current-URL": "http://testserver/groups/?q=help"})
    assert answer.status_code == 200 and answer["HX-Redirect"] == "/accounts/sign-in/?next=/groups/%3Fq%3Dhelp"
