"""Production configuration (DESIGN.md invariants 5 and 6), each in a fresh process with its own environment.

Runs against the machine's PostgreSQL and Redis (the `make test` recipe starts them when they are
installed but stopped). Outside CI the database tests skip when neither can be reached; in CI
they must run.
"""

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

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
}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ENTRA_", "DJANGO_", "DEBUG", "DATABASE_URL", "REDIS_URL", "SECRET_KEY",
                                                                      "DEMO_SERVER", "SANDBOX_", "STATIC_ROOT", "LOG_FORMAT"))}
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
