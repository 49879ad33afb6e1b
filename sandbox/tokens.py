"""Tokens of the sandbox tenant: RS256 JWTs shaped like Entra's v2 id tokens and Graph access tokens.

The authority issues them; the Graph emulation reads access tokens back with
``read_access_token``, which raises ``InvalidToken`` with the messages Graph uses (GRAPH.md E10).
The token endpoint also reads the app's own JWTs: ``read_client_assertion`` checks a
certificate credential (private_key_jwt) as Entra does, raising ``InvalidClientAssertion``.
"""

import base64
import hashlib
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import transaction

from sandbox.models import DirectoryObject, SigningKey

GRAPH_AUDIENCE = "00000003-0000-0000-c000-000000000000"  # Microsoft Graph's app id
RESERVED_SCOPES = {"openid", "profile", "offline_access", "email"}
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGORITHMS = ["RS256", "PS256"]  # msal: RS256 with a SHA-1 x5t, PS256 with x5t#S256
ASSERTION_LEEWAY = 300  # seconds of clock skew allowed on exp/nbf [U: Entra's exact tolerance isn't documented]

log = logging.getLogger("sandbox.tokens")


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
        key = SigningKey.objects.order_by("created_at", "kid").first()
        if key is None:
            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
            key = SigningKey.objects.create(kid=secrets.token_hex(8), private_pem=pem)
    return key.kid, serialization.load_pem_private_key(key.private_pem.encode(), password=None)


@lru_cache(maxsize=16)
def _stored_public_key(kid: str) -> rsa.RSAPublicKey:
    """A key another process may sign with (raises SigningKey.DoesNotExist, which is not cached)."""
    key = SigningKey.objects.get(kid=kid)
    return serialization.load_pem_private_key(key.private_pem.encode(), password=None).public_key()


def _verification_key(kid: str) -> rsa.RSAPublicKey | None:
    """The public key for a token's ``kid``: several app servers share one tenant, and two of them
    starting at once may each have created a key, so a token is checked against the key it names."""
    own_kid, private = _signing_key()
    if kid == own_kid:
        return private.public_key()
    try:
        return _stored_public_key(kid)
    except SigningKey.DoesNotExist:
        return None


def forget_signing_key() -> None:
    """Drop the in-process keys (after a reset that deleted them, or between tests)."""
    with _key_lock:
        _stored_signing_key.cache_clear()
        _stored_public_key.cache_clear()


def jwks() -> dict:
    own_kid, private = _signing_key()
    public_keys = {own_kid: private.public_key()}
    for kid in SigningKey.objects.exclude(kid=own_kid).values_list("kid", flat=True):
        public_keys[kid] = _stored_public_key(kid)

    def b64(number: int) -> str:
        raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64(key.public_numbers().n),
                      "e": b64(key.public_numbers().e)} for kid, key in public_keys.items()]}


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
    try:
        public_key = _verification_key(str(jwt.get_unverified_header(raw).get("kid", "")))
        if public_key is None:
            raise InvalidToken("Access token validation failure.")
        claims = jwt.decode(
            raw, public_key, algorithms=["RS256"], audience=GRAPH_AUDIENCE, leeway=0,
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


class InvalidClientAssertion(Exception):
    """A client assertion Entra would refuse: ``code`` is its AADSTS number, ``str()`` the description."""

    def __init__(self, code: int, description: str):
        super().__init__(f"AADSTS{code}: {description}")
        self.code = code


def registered_certificates() -> list[x509.Certificate]:
    """The app registration's certificates: every one in the PEM file ``SANDBOX_CLIENT_CERTIFICATE`` names."""
    path = getattr(settings, "SANDBOX_CLIENT_CERTIFICATE", "")
    if not path:
        return []
    try:
        return x509.load_pem_x509_certificates(Path(path).read_bytes())
    except (OSError, ValueError) as error:  # a broken registration refuses assertions, it doesn't crash the endpoint
        log.warning("SANDBOX_CLIENT_CERTIFICATE %r holds no readable certificate: %s", path, error)
        return []


def _thumbprint(header: dict) -> tuple[str, bytes] | None:
    """(hash name, digest) from the assertion header's ``x5t#S256`` or ``x5t`` (base64url, padded or not)."""
    for name, field in (("sha256", "x5t#S256"), ("sha1", "x5t")):
        if isinstance(header.get(field), str):
            value = header[field].rstrip("=")
            try:
                return name, base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            except ValueError:
                return None
    return None


def _fingerprint(certificate: x509.Certificate, name: str) -> bytes:
    return certificate.fingerprint(hashes.SHA256() if name == "sha256" else hashes.SHA1())


def _entra_time(epoch: float | None) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z") if epoch is not None else "(none)"


def read_client_assertion(assertion: str, client_id: str, audience: str) -> dict:
    """Check a private_key_jwt client assertion against the registered certificates; its claims, or raise.

    Like Entra: the header's thumbprint picks the certificate (AADSTS700027 "key was not found"
    when none matches), its key must verify the signature (AADSTS700027 again), the assertion must
    be within its time range (AADSTS700024), for this token endpoint (AADSTS700023), and issued by
    and about the client itself (AADSTS700021), with a ``jti``.
    """
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise InvalidClientAssertion(50027, "Invalid JWT token. Token format not valid.") from None
    thumbprint = _thumbprint(header)
    if thumbprint is None:
        raise InvalidClientAssertion(50027, "Invalid JWT token. No certificate thumbprint specified in token header.")
    if header.get("alg") not in ASSERTION_ALGORITHMS:
        raise InvalidClientAssertion(50027, f"Invalid JWT token. Unsupported signing algorithm '{header.get('alg')}'.")
    name, digest = thumbprint
    used = digest.hex().upper()
    now = datetime.now(UTC)
    certificate = next((cert for cert in registered_certificates()
                        if secrets.compare_digest(_fingerprint(cert, name), digest)
                        and cert.not_valid_before_utc <= now <= cert.not_valid_after_utc), None)
    if certificate is None:
        raise InvalidClientAssertion(700027, (
            f"Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used "
            f"by client: '{used}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see "
            f"configured keys for app Id '{client_id}'.]"))
    found = (f"Found key 'Start={certificate.not_valid_before_utc:%m/%d/%Y %H:%M:%S}, "
             f"End={certificate.not_valid_after_utc:%m/%d/%Y %H:%M:%S}'")
    try:
        claims = jwt.decode(assertion, certificate.public_key(), algorithms=[header["alg"]], audience=audience,
                            leeway=ASSERTION_LEEWAY, options={"require": ["aud", "iss", "sub", "exp", "jti"]})
    except jwt.InvalidSignatureError:
        raise InvalidClientAssertion(700027, (
            f"Client assertion contains an invalid signature. [Reason - The provided signature value did not match "
            f"the expected signature value., Thumbprint of key used by client: '{used}', {found}]")) from None
    except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError):
        unverified = jwt.decode(assertion, options={"verify_signature": False})
        raise InvalidClientAssertion(700024, (
            f"Client assertion is not within its valid time range. Current time: {_entra_time(now.timestamp())}, "
            f"assertion valid from {_entra_time(unverified.get('nbf', unverified.get('iat')))}, "
            f"expiry time of assertion {_entra_time(unverified.get('exp'))}.")) from None
    except jwt.InvalidAudienceError:
        raise InvalidClientAssertion(700023, "Client assertion audience claim does not match Realm issuer.") from None
    except jwt.MissingRequiredClaimError as error:
        raise InvalidClientAssertion(90014, f"The required field '{error.claim}' is missing from the credential.") from None
    except jwt.PyJWTError:
        raise InvalidClientAssertion(50027, "Invalid JWT token. Token format not valid.") from None
    if claims["iss"] != client_id or claims["sub"] != client_id:
        # [U] the code Entra uses when iss/sub name another application
        raise InvalidClientAssertion(700021, "Client assertion application identifier doesn't match 'client_id' parameter.")
    return claims
