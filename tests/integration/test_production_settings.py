"""Production configuration (DESIGN.md invariants 5 and 6), each in a fresh process with its own environment.

Runs against the machine's PostgreSQL and Redis (the `make test` recipe starts them when they are
installed but stopped). Outside CI the database tests skip when neither can be reached; in CI
they must run.
"""

import json
import os
import pickle
import re
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.certs import make_certificate

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

PRODUCTION = {
    "DEBUG": "0",
    "ENTRA_CLIENT_ID": "11111111-2222-4333-8444-555555555555",
    "ENTRA_CLIENT_SECRET": "not-a-real-secret",
    "ENTRA_AUTHORITY": "https://login.microsoftonline.com/contoso.onmicrosoft.com",
    "SECRET_KEY": "k" * 20 + uuid.uuid4().hex + uuid.uuid4().hex,
    "ALLOWED_HOSTS": "desk.contoso.example",
    "TOKEN_CACHE_KEY": Fernet.generate_key().decode(),
}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ENTRA_", "DJANGO_", "DEBUG", "DATABASE_URL", "REDIS_URL", "SECRET_KEY",
                                                                      "TOKEN_CACHE_KEY", "DEMO_SERVER", "SANDBOX_", "STATIC_ROOT",
                                                                      "LOG_FORMAT"))}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120)


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_services() -> None:
    if reachable("127.0.0.1", 5432) and reachable("127.0.0.1", 6379):
        return
    if os.environ.get("CI") or os.environ.get("REQUIRE_SERVICES"):
        pytest.fail("PostgreSQL (5432) and Redis (6379) must be running on loopback for CI and make test.")
    pytest.skip("PostgreSQL or Redis is not running on loopback")


def test_production_without_entra_settings_refuses_to_start():
    result = run(["manage.py", "check"], {"DEBUG": "0", "SECRET_KEY": PRODUCTION["SECRET_KEY"]})
    assert result.returncode != 0
    assert "need a real tenant: set ENTRA_CLIENT_ID" in result.stderr


def test_production_without_a_secret_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0 and "Set the SECRET_KEY environment variable." in result.stderr


def test_production_without_a_token_cache_key_refuses_to_start():
    env = {k: v for k, v in PRODUCTION.items() if k != "TOKEN_CACHE_KEY"}
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0 and "Set the TOKEN_CACHE_KEY environment variable" in result.stderr
    assert "Fernet.generate_key()" in result.stderr  # says how to make one


def test_production_with_a_malformed_token_cache_key_refuses_to_start():
    result = run(["manage.py", "check"], {**PRODUCTION, "TOKEN_CACHE_KEY": f"{PRODUCTION['TOKEN_CACHE_KEY']},not-a-key"})
    assert result.returncode != 0 and "key 2 of TOKEN_CACHE_KEY is not a Fernet key" in result.stderr


def test_production_with_a_certificate_needs_no_client_secret(tmp_path):
    pem = make_certificate().write(tmp_path / "desk.pem")
    env = {k: v for k, v in PRODUCTION.items() if k != "ENTRA_CLIENT_SECRET"}
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], {**env, "ENTRA_CLIENT_CERTIFICATE": str(pem)})
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_without_a_secret_or_a_certificate_refuses_to_start():
    env = {k: v for k, v in PRODUCTION.items() if k != "ENTRA_CLIENT_SECRET"}
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "Set the ENTRA_CLIENT_SECRET environment variable, or ENTRA_CLIENT_CERTIFICATE" in result.stderr


def test_production_with_a_certificate_and_someone_elses_thumbprint_refuses_to_start(tmp_path):
    certificate = make_certificate()
    env = {**PRODUCTION, "ENTRA_CLIENT_CERTIFICATE": str(certificate.write(tmp_path / "desk.pem")),
           "ENTRA_CLIENT_CERTIFICATE_THUMBPRINT": make_certificate().sha1}
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert f"ENTRA_CLIENT_CERTIFICATE_THUMBPRINT is not the certificate's (its SHA-1 thumbprint is {certificate.sha1})" in result.stderr


def test_production_settings_pass_check_deploy():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_does_not_route_or_install_the_sandbox():
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings; from django.urls import resolve, Resolver404\n"
        "assert 'sandbox' not in settings.INSTALLED_APPS, settings.INSTALLED_APPS\n"
        "assert not any('sandbox' in m for m in settings.MIDDLEWARE)\n"
        "for path in ['/sandbox/graph/v1.0/me', f'/sandbox/{settings.SANDBOX_TENANT_ID}/oauth2/v2.0/token']:\n"
        "    try:\n"
        "        resolve(path)\n"
        "    except Resolver404:\n"
        "        continue\n"
        "    raise SystemExit('routed: ' + path)\n"
        "print(settings.GRAPH_URL)\n"
    )
    result = run(["-c", script], {**PRODUCTION, "DJANGO_SETTINGS_MODULE": "portal.settings"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "https://graph.microsoft.com/v1.0"


def test_production_headers_forbid_framing_and_inline_scripts(collected_static):
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/accounts/signed-out/', secure=True, headers={'Host': 'desk.contoso.example'})\n"
        "print(r.status_code); print(r['X-Frame-Options']); print(r['Content-Security-Policy']); print(r['Strict-Transport-Security'])\n"
    )
    result = run(["-c", script], {**PRODUCTION, "DJANGO_SETTINGS_MODULE": "portal.settings", "STATIC_ROOT": collected_static})
    assert result.returncode == 0, result.stderr
    status, frame, csp, hsts = result.stdout.strip().splitlines()
    assert status == "200" and frame == "DENY"
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'nonce-" in script_src
    assert "max-age=31536000" in hsts


def test_production_runs_on_postgres_with_sessions_shared_through_redis():
    """Migrate a fresh PostgreSQL database, store a session in one process, read it in another."""
    require_services()
    import psycopg

    name = f"desk_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**PRODUCTION, "DATABASE_URL": PG_URL.rsplit("/", 1)[0] + f"/{name}", "REDIS_URL": REDIS_URL,
           "DJANGO_SETTINGS_MODULE": "portal.settings"}
    try:
        migrated = run(["manage.py", "migrate", "--no-input"], env)
        assert migrated.returncode == 0, migrated.stderr
        write = run(["-c", "import django; django.setup()\n"
                           "from importlib import import_module; from django.conf import settings\n"
                           "s = import_module(settings.SESSION_ENGINE).SessionStore(); s['token_cache'] = '{\"x\": 1}'; s.create(); print(s.session_key)"], env)
        assert write.returncode == 0, write.stderr
        key = write.stdout.strip()
        read = run(["-c", "import django, sys; django.setup()\n"
                          "from importlib import import_module; from django.conf import settings; from django.core.cache import cache\n"
                          f"s = import_module(settings.SESSION_ENGINE).SessionStore('{key}'); print(s['token_cache']); print(settings.SESSION_ENGINE); from django.core.cache import caches; print(type(caches['default']).__name__)"], env)
        assert read.returncode == 0, read.stderr
        assert read.stdout.split() == ['{"x":', '1}', "django.contrib.sessions.backends.cached_db", "RedisCache"]
    finally:
        with psycopg.connect(PG_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The session-at-rest tests own this database name prefix and Redis db number (others use /15).
SESSIONS_REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/11"
ENGINES = {
    "db": ("django.contrib.sessions.backends.db", False),  # (engine, with REDIS_URL)
    "cached_db": ("django.contrib.sessions.backends.cached_db", True),
    "cache": ("django.contrib.sessions.backends.cache", True),
}


@pytest.fixture(scope="module")
def postgres_database():
    """A fresh, migrated PostgreSQL database for the module; dropped afterwards. Yields its URL."""
    require_services()
    import psycopg

    name = f"desk_tokens_{uuid.uuid4().hex[:10]}"
    admin = PG_URL.replace("postgres://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrated = run(["manage.py", "migrate", "--no-input"], {**PRODUCTION, "DATABASE_URL": url})
        assert migrated.returncode == 0, migrated.stderr
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def raw_session_row(database_url: str, session_key: str) -> str | None:
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        row = conn.execute("SELECT session_data FROM django_session WHERE session_key = %s", [session_key]).fetchone()
    return row[0] if row else None


def unsigned_payload(session_data: str) -> str:
    """What anyone reading the row gets without SECRET_KEY: Django signs session data, it doesn't encrypt it."""
    import base64
    import zlib

    payload = session_data.split(":", 1)[0]
    compressed = payload.startswith(".")
    raw = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode()


def raw_redis_values(session_key: str) -> list[bytes]:
    import redis

    client = redis.Redis.from_url(SESSIONS_REDIS_URL)
    try:
        return [client.get(key) for key in client.scan_iter(f"*{session_key}*")]
    finally:
        client.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_signed_in_session_holds_no_readable_token_at_rest(postgres_database, engine):
    """Sign in through the real middleware and session engine, then read the raw PostgreSQL row and Redis value."""
    import redis

    session_engine, with_redis = ENGINES[engine]
    env = {**PRODUCTION, "DATABASE_URL": postgres_database, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    if with_redis:
        env["REDIS_URL"] = SESSIONS_REDIS_URL
    signed_in = run(["-m", "tests.integration.production_sign_in", session_engine], env)
    assert signed_in.returncode == 0, signed_in.stderr
    result = json.loads(signed_in.stdout.strip().splitlines()[-1])
    assert result["engine"] == session_engine

    stored: list[str] = []  # every form of the session a reader of each store can get at
    readable: list[str] = []  # those of them that are not compressed
    row = raw_session_row(postgres_database, result["session_key"])
    if session_engine.endswith(".cache"):
        assert row is None
    else:
        stored += [row, unsigned_payload(row)]
        readable += [unsigned_payload(row)]
    values = raw_redis_values(result["session_key"])
    assert len(values) == (1 if with_redis else 0)
    stored += [value.decode("latin-1") for value in values]
    readable += [value.decode("latin-1") for value in values]
    try:
        for text in stored:
            for secret in (result["access_token"], result["refresh_token"], result["id_token"]):
                assert secret not in text, f"{secret[:12]}... readable in the {engine} session store"
        # The markers of a JWT or of msal's cache, in the readable forms only, outside the sealed
        # value: base64 (a compressed row, a Fernet token) can hold "eyJ" by chance.
        for text in readable:
            text = re.sub(r"gAAAAA[A-Za-z0-9_=-]+", "<sealed>", text)
            for marker in ("eyJ", '"secret"', "AccessToken", "RefreshToken", "IdToken"):
                assert marker not in text, f"{marker} readable in the {engine} session store"
        # Yet the session does hold the cache, sealed under TOKEN_CACHE_KEY: the checks above looked in the right place.
        session = pickle.loads(values[0]) if values else json.loads(unsigned_payload(row))
        sealed = session["token_cache"]
        assert sealed.startswith("gAAAAA")
        assert result["refresh_token"] in Fernet(PRODUCTION["TOKEN_CACHE_KEY"]).decrypt(sealed.encode()).decode()
    finally:
        if with_redis:
            client = redis.Redis.from_url(SESSIONS_REDIS_URL)
            client.delete(*client.scan_iter(f"*{result['session_key']}*"))
            client.close()
