"""Encryption at rest of the msal token cache kept in the session (DESIGN.md invariant 3).

The cache holds refresh tokens that carry the user's admin reach; whoever reads the session
store (a database dump, a Redis replica) must not be able to use them. So the session holds
only a Fernet token (AES-128-CBC + HMAC-SHA256, from ``cryptography``) of the serialized cache.

Keys come from ``TOKEN_CACHE_KEY``: one or more Fernet keys separated by commas. The first
encrypts, every one decrypts (``MultiFernet``), so a key is rotated by putting the new one first
and dropping the old one once no session can still hold it (``SESSION_COOKIE_AGE``). Production
refuses to start without a key; DEBUG derives a fixed development key from ``SECRET_KEY``
(``development_key``) so the sandbox demo needs no setup.

A cache that can't be decrypted (its key rotated away, the value tampered with or written before
encryption) is ``Unreadable``: the caller treats it as "sign in again", never as an error page.
"""

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

DEVELOPMENT_KEY_INFO = b"membership-desk token cache development key v1"
MAKE_KEY = 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'


class Unreadable(Exception):
    """The stored token cache can't be decrypted with any configured key."""


def development_key(secret_key: str) -> str:
    """A Fernet key derived from ``SECRET_KEY`` with HKDF-SHA256: fixed for a given secret, DEBUG only."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DEVELOPMENT_KEY_INFO).derive(secret_key.encode())
    return base64.urlsafe_b64encode(derived).decode()


def check_keys(keys: list[str]) -> list[str]:
    """The keys unchanged if each is a Fernet key; ``ValueError`` naming the position of a bad one."""
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(f"key {position} of TOKEN_CACHE_KEY is not a Fernet key (32 url-safe base64-encoded bytes)") from None
    return keys


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _configured() -> MultiFernet:
    return _fernet(tuple(settings.TOKEN_CACHE_KEYS))


def seal(plaintext: str) -> str:
    """Encrypt with the first configured key."""
    return _configured().encrypt(plaintext.encode()).decode("ascii")


def unseal(token: str) -> str:
    """Decrypt with any configured key, or raise ``Unreadable``."""
    try:
        return _configured().decrypt(token.encode()).decode()
    except (InvalidToken, UnicodeError, AttributeError) as error:
        raise Unreadable("the token cache can't be decrypted with the configured keys") from error

