"""Tokens of the sandbox tenant: RS256 JWTs shaped like Entra's v2 id tokens and Graph access tokens.

The authority issues them; the Graph emulation reads access tokens back with
``read_access_token``, which raises ``InvalidToken`` with the messages Graph uses (GRAPH.md E10).
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import transaction

from sandbox.models import DirectoryObject, SigningKey

GRAPH_AUDIENCE = "00000003-0000-0000-c000-000000000000"  # Microsoft Graph's app id
RESERVED_SCOPES = {"openid", "profile", "offline_access", "email"}


class InvalidToken(Exception):
    """The bearer token is missing, malformed, expired or not for Graph; ``str()`` is Graph's message."""


@dataclass(frozen=True)
class AccessClaims:
    oid: str
    tenant_id: str
    client_id: str
    upn: str
    scopes: frozenset[str]
    expires_at: int


def tenant_id() -> str:
    return settings.SANDBOX_TENANT_ID


def token_lifetime() -> int:
    """Seconds an access token lives; tests shorten it (msal treats < 300 s left as expired)."""
    return int(getattr(settings, "SANDBOX_TOKEN_LIFETIME", 3600))


# The first sign-ins after a reset can arrive together: each thread must sign with the one key
# the others check, not make its own (lru_cache alone lets them all compute it at once).
_key_lock = threading.Lock()


def _signing_key() -> tuple[str, rsa.RSAPrivateKey]:
    with _key_lock:
        return _stored_signing_key()


@lru_cache(maxsize=1)
def _stored_signing_key() -> tuple[str, rsa.RSAPrivateKey]:
    """The tenant's signing key, made on first use."""
    with transaction.atomic():  # on SQLite an IMMEDIATE transaction: another process making one waits, then reads it
        key = SigningKey.objects.order_by("created_at").first()
        if key is None:
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
            key = SigningKey.objects.create(kid=secrets.token_hex(8), private_pem=pem)
    return key.kid, serialization.load_pem_private_key(key.private_pem.encode(), password=None)


def forget_signing_key() -> None:
    """Drop the in-process key (after a reset that deleted it, or between tests)."""
    with _key_lock:
        _stored_signing_key.cache_clear()


def jwks() -> dict:
    kid, private = _signing_key()
    numbers = private.public_key().public_numbers()

    def b64(number: int) -> str:
        raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64(numbers.n), "e": b64(numbers.e)}]}


def _sign(claims: dict) -> str:
    kid, private = _signing_key()
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})


def issuer() -> str:
    return f"https://login.sandbox.test/{tenant_id()}/v2.0"


def issue_id_token(user: DirectoryObject, client_id: str, nonce: str = "") -> str:
    now = int(time.time())
    claims = {
        "aud": client_id,
        "iss": issuer(),
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "name": user.display_name,
        "oid": str(user.id),
        "preferred_username": user.data.get("userPrincipalName", ""),
        "sub": hashlib.sha256(f"{user.id}:{client_id}".encode()).hexdigest()[:43],
        "tid": tenant_id(),
        "ver": "2.0",
    }
    if nonce:
        claims["nonce"] = nonce
    return _sign(claims)


def issue_access_token(user: DirectoryObject, client_id: str, scopes: list[str]) -> tuple[str, int]:
    """An access token for Graph carrying the granted delegated scopes (``scp``); returns (token, lifetime)."""
    now = int(time.time())
    lifetime = token_lifetime()
    claims = {
        "aud": GRAPH_AUDIENCE,
        "iss": f"https://sts.windows.net/{tenant_id()}/",
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "appid": client_id,
        "name": user.display_name,
        "oid": str(user.id),
        "scp": " ".join(scopes),
        "tid": tenant_id(),
        "upn": user.data.get("userPrincipalName", ""),
        "uti": secrets.token_urlsafe(16),
        "ver": "1.0",
    }
    return _sign(claims), lifetime


def client_info(user: DirectoryObject) -> str:
    """base64url JSON {"uid", "utid"}: msal builds the account's home_account_id from it."""
    raw = json.dumps({"uid": str(user.id), "utid": tenant_id()}).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def read_access_token(authorization_header: str | None) -> AccessClaims:
    """Validate ``Authorization: Bearer <jwt>`` as Graph would, or raise ``InvalidToken``."""
    scheme, _, raw = (authorization_header or "").partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw:
        raise InvalidToken("Access token is empty.")
    if raw.count(".") != 2:
        raise InvalidToken("CompactToken parsing failed with error code: 80049217")
    kid, private = _signing_key()
    try:
        claims = jwt.decode(
            raw, private.public_key(), algorithms=["RS256"], audience=GRAPH_AUDIENCE, leeway=0,
            options={"require": ["exp", "oid", "tid"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("Access token has expired or is not yet valid.") from None
    except jwt.ImmatureSignatureError:
        raise InvalidToken("Access token has expired or is not yet valid.") from None
    except jwt.PyJWTError:
        raise InvalidToken("Access token validation failure.") from None
    if claims["tid"] != tenant_id():
        raise InvalidToken("Access token validation failure.")
    return AccessClaims(
        oid=claims["oid"],
        tenant_id=claims["tid"],
        client_id=claims.get("appid", ""),
        upn=claims.get("upn", ""),
        scopes=frozenset(claims.get("scp", "").split()),
        expires_at=int(claims["exp"]),
    )
