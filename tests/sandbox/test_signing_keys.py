"""Several app servers share one sandbox tenant: a token is checked against the key its ``kid`` names."""

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox import tokens
from sandbox.models import SigningKey
from tests.sandbox.conftest import token_for


@pytest.fixture
def fresh_keys(sandbox_tenant):
    tokens.forget_signing_key()
    yield sandbox_tenant
    tokens.forget_signing_key()


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def resigned(token: str, private: rsa.RSAPrivateKey, kid: str) -> str:
    """The same claims signed with another key, as another process holding it would sign them."""
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})


def store(private: rsa.RSAPrivateKey, kid: str) -> None:
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    SigningKey.objects.create(kid=kid, private_pem=pem)


def test_it_accepts_a_token_signed_by_another_process_with_a_stored_key(fresh_keys):
    """Two servers starting at once may each create a key; each accepts the other's tokens."""
    token = token_for(fresh_keys["helpdesk"].id)  # this process signs with the first stored key
    other = new_private_key()
    store(other, "key-of-another-process")

    claims = tokens.read_access_token(f"Bearer {resigned(token, other, 'key-of-another-process')}")

    assert claims.oid == str(fresh_keys["helpdesk"].id)
    assert {key["kid"] for key in tokens.jwks()["keys"]} == set(SigningKey.objects.values_list("kid", flat=True))


def test_it_refuses_a_token_signed_with_a_key_the_tenant_never_had(fresh_keys):
    token = token_for(fresh_keys["helpdesk"].id)
    forged = resigned(token, new_private_key(), tokens._signing_key()[0])  # a known kid, the wrong key
    unknown = resigned(token, new_private_key(), "no-such-key")

    for bad in (forged, unknown):
        with pytest.raises(tokens.InvalidToken, match="Access token validation failure."):
            tokens.read_access_token(f"Bearer {bad}")
