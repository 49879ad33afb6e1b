"""One token refresh at a time per session, across threads, gunicorn workers and app servers.

A refresh token is redeemed once: Entra may rotate it and treat a second use of a redeemed one as
a stolen token (OAuth 2.0 Security BCP, RFC 9700 §4.14.2: refuse it and revoke the whole family).
A page fires several htmx requests at once, so without this each would refresh with the same
token, and all but one would be signed out.

The lock lives where every server that shares the session can see it:
- a shared cache (``REDIS_URL``): an ``add`` with a lease, atomic in Redis;
- else a file lock (``fcntl.flock``) in the temp directory: every worker of one machine (the
  default: SQLite or one server's database, sessions in the database), for any number of threads.
Files are striped (``STRIPES`` of them, by a digest of the key): bounded, and never named after a
session key, which is a credential.
"""

import contextlib
import fcntl
import hashlib
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

LEASE = 30.0  # seconds a holder may keep the lock (a refresh is one token call, bounded by GRAPH_TIMEOUT)
POLL = 0.02  # seconds between tries while another request holds it
STRIPES = 256
LOCAL_CACHES = ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.dummy.DummyCache")


class Busy(Exception):
    """The lock could not be had in time (another request held it the whole wait)."""


def _digest(key: str) -> str:
    return hashlib.sha256(f"token-lock:{key}".encode()).hexdigest()


def _shared_cache() -> bool:
    return settings.CACHES["default"]["BACKEND"] not in LOCAL_CACHES


_holding = threading.local()  # the locks this thread holds: taking one again is a no-op (a save under a refresh)


@contextlib.contextmanager
def held(key: str, *, wait: float) -> Iterator[None]:
    """Hold the lock named ``key`` (a session key) for the block; ``Busy`` after ``wait`` seconds."""
    name = _digest(key)
    mine = _holding.__dict__.setdefault("names", set())
    if name in mine:
        yield
        return
    with _cache_lock(name, wait) if _shared_cache() else _file_lock(name, wait):
        mine.add(name)
        try:
            yield
        finally:
            mine.discard(name)


@contextlib.contextmanager
def _cache_lock(name: str, wait: float) -> Iterator[None]:
    owner, deadline = secrets.token_hex(8), time.monotonic() + wait
    while not cache.add(f"lock:{name}", owner, timeout=LEASE):
        if time.monotonic() >= deadline:
            raise Busy(name)
        time.sleep(POLL)
    try:
        yield
    finally:
        if cache.get(f"lock:{name}") == owner:  # not once the lease ran out and another took it
            cache.delete(f"lock:{name}")


def _lock_dir() -> Path:
    path = Path(tempfile.gettempdir()) / f"membership-desk-locks-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


@contextlib.contextmanager
def _file_lock(name: str, wait: float) -> Iterator[None]:
    path = _lock_dir() / f"{int(name[:8], 16) % STRIPES:03d}.lock"
    deadline = time.monotonic() + wait
    with open(path, "a+b") as file:  # each open is its own lock holder, also between threads
        while True:
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(name) from None
                time.sleep(POLL)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)
