"""`make serve`'s configuration, each case in a fresh process with its own environment: static files
through whitenoise, behind a TLS-terminating proxy, /healthz, and the demo server's opt-in."""

import json
import re
import socket
import stat
import uuid

from portal.settings import demo_secret_key
from tests.integration.test_production_settings import PG_URL, PRODUCTION, run

HOST = PRODUCTION["ALLOWED_HOSTS"]
DEMO = {"DEMO_SERVER": "1", "SANDBOX_LOOPBACK_URL": "http://127.0.0.1:8791", "SECRET_KEY": PRODUCTION["SECRET_KEY"]}
# The real authority's discovery answers, for msal, which the sign-in view asks before redirecting.
TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
MSAL_DISCOVERY = (
    "import responses\n"
    "rsps = responses.RequestsMock(assert_all_requests_are_fired=False); rsps.start()\n"
    f"rsps.get('https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration', json={{"
    f"'issuer': 'https://login.microsoftonline.com/{TENANT_ID}/v2.0',"
    f"'authorization_endpoint': 'https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/authorize',"
    f"'token_endpoint': 'https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token'}})\n"
    "rsps.get('https://login.microsoftonline.com/common/discovery/instance', json={"
    "'tenant_discovery_endpoint': 'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration',"
    "'api-version': '1.1', 'metadata': []})\n"
)


def django_json(script: str, env: dict[str, str]) -> dict:
    """Run ``script`` after django.setup() in a fresh process; it prints one JSON object."""
    result = run(["-c", "import django, json; django.setup()\n" + script],
                 {"DJANGO_SETTINGS_MODULE": "portal.settings", **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def closed_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_production_pages_name_hashed_static_files_that_whitenoise_serves_for_a_year(collected_static):
    found = django_json(
        "import re; from django.test import Client\n"
        "c = Client(headers={'Host': '%s'})\n"
        "page = c.get('/accounts/signed-out/', secure=True); html = page.content.decode()\n"
        "urls = re.findall(r'(?:src|href)=\"(/static/[^\"]+)\"', html)\n"
        "served = {u: c.get(u, secure=True, headers={'Accept-Encoding': 'gzip'}) for u in urls}\n"
        "print(json.dumps({'status': page.status_code, 'csp': page['Content-Security-Policy'],\n"
        "  'scripts': re.findall(r'<script[^>]*>', html),\n"
        "  'static': {u: [r.status_code, r['Cache-Control'], r.get('Content-Encoding', '')] for u, r in served.items()}}))\n"
        % HOST, {**PRODUCTION, "STATIC_ROOT": collected_static})

    assert found["status"] == 200
    unhashed = {re.sub(r"\.[0-9a-f]{12}(\.(?:css|js))$", r"\1", url): url for url in found["static"]}
    assert set(unhashed) == {"/static/css/desk.css", "/static/js/desk.js", "/static/django_htmx/htmx-2.min.js"}
    assert all(hashed != plain for plain, hashed in unhashed.items())  # every name carries its content's hash
    for url, (status, cache_control, encoding) in found["static"].items():
        assert (status, encoding) == (200, "gzip"), url
        assert cache_control == "max-age=315360000, public, immutable", url

    script_src = next(part.split()[1:] for part in found["csp"].split(";") if part.split()[0] == "script-src")
    nonce = script_src[1].removeprefix("'nonce-").removesuffix("'")
    assert script_src == ["'self'", f"'nonce-{nonce}'"]
    htmx = next(tag for tag in found["scripts"] if unhashed["/static/django_htmx/htmx-2.min.js"] in tag)
    assert f'nonce="{nonce}"' in htmx  # htmx comes from django-htmx's static files, under the CSP's nonce


def test_production_behind_a_tls_proxy_redirects_plain_http_and_signs_in_over_https(tmp_path):
    """X-Forwarded-Proto from the proxy: no redirect, secure cookies, and msal's redirect_uri says https."""
    found = django_json(MSAL_DISCOVERY + (
        "from django.core.management import call_command; call_command('migrate', verbosity=0)  # its own database\n"
        "from urllib.parse import parse_qs, urlsplit; from django.test import Client\n"
        "plain = Client().get('/accounts/sign-in/', headers={'Host': '%s'})\n"
        "proxied = Client().get('/accounts/sign-in/', headers={'Host': '%s', 'X-Forwarded-Proto': 'https'})\n"
        "cookie = proxied.cookies['sessionid']\n"
        "print(json.dumps({'plain': [plain.status_code, plain['Location']], 'proxied': proxied.status_code,\n"
        "  'redirect_uri': parse_qs(urlsplit(proxied['Location']).query)['redirect_uri'][0],\n"
        "  'cookie': [bool(cookie['secure']), bool(cookie['httponly'])], 'hsts': proxied['Strict-Transport-Security']}))\n"
    ) % (HOST, HOST), {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})

    assert found["plain"] == [301, f"https://{HOST}/accounts/sign-in/"]
    assert found["proxied"] == 302
    assert found["redirect_uri"] == f"https://{HOST}/accounts/callback/"
    assert found["cookie"] == [True, True]
    assert found["hsts"].startswith("max-age=31536000")


HEALTHZ = (
    "import responses; from django.test import Client\n"
    "with responses.RequestsMock():  # any HTTP call (Graph, Entra) would raise here\n"
    "    r = Client().get('/healthz', headers={'Host': '10.0.0.7:8000'})  # a probe by address, over plain HTTP\n"
    "print(json.dumps({'status': r.status_code, 'body': r.json(), 'cache': r['Cache-Control']}))\n"
)


def test_healthz_answers_a_load_balancers_plain_http_probe_without_signing_in(tmp_path):
    found = django_json(HEALTHZ, {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    # No worker has run a task on this new database: said, without failing the probe.
    assert found == {"status": 200, "body": {"status": "ok", "database": "ok", "worker": "not seen"}, "cache": "no-store"}


def test_healthz_names_an_unreachable_redis_with_a_503(tmp_path):
    found = django_json(HEALTHZ, {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                                  "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"})
    assert (found["status"], found["body"]) == (503, {"status": "failing", "database": "ok", "redis": "failing",
                                                      "worker": "not seen"})


def test_healthz_names_an_unreachable_database_with_a_503():
    database = PG_URL.rsplit("/", 1)[0].replace(":5432", f":{closed_port()}") + "/desk"
    found = django_json(HEALTHZ, {**PRODUCTION, "DATABASE_URL": database})
    assert (found["status"], found["body"]) == (503, {"status": "failing", "database": "failing"})


def test_demo_server_serves_the_sandbox_with_debug_off_on_plain_http():
    found = django_json(
        "from django.conf import settings\n"
        "print(json.dumps({'debug': settings.DEBUG, 'sandbox': 'sandbox' in settings.INSTALLED_APPS,\n"
        "  'ssl_redirect': settings.SECURE_SSL_REDIRECT, 'secure_cookie': settings.SESSION_COOKIE_SECURE,\n"
        "  'hosts': settings.ALLOWED_HOSTS, 'loopback': settings.SANDBOX_LOOPBACK_URL}))\n", DEMO)
    assert found == {"debug": False, "sandbox": True, "ssl_redirect": False, "secure_cookie": False,
                     "hosts": ["127.0.0.1", "localhost", "login.sandbox.test", "graph.sandbox.test"], "loopback": "http://127.0.0.1:8791"}


def test_demo_server_refuses_to_start_with_a_real_tenant():
    result = run(["manage.py", "check"], {**PRODUCTION, "DEMO_SERVER": "1"})
    assert result.returncode != 0 and "DEMO_SERVER runs the sandbox tenant" in result.stderr


def test_demo_server_refuses_to_start_without_its_loopback_origin():
    """Behind gunicorn the sandbox's calls must not go wherever a client's Host header says."""
    result = run(["manage.py", "check"], {k: v for k, v in DEMO.items() if k != "SANDBOX_LOOPBACK_URL"})
    assert result.returncode != 0 and "A demo server needs SANDBOX_LOOPBACK_URL" in result.stderr


def test_demo_server_generates_its_secret_key_once_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "var" / "demo-secret-key"
    first = demo_secret_key(path)
    assert demo_secret_key(path) == first and len(first) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(path.parent.iterdir()) == [path]  # no draft left behind
    assert demo_secret_key(tmp_path / "elsewhere" / "demo-secret-key") != first


def test_unknown_log_format_refuses_to_start():
    result = run(["manage.py", "check"], {"LOG_FORMAT": "xml", "SECRET_KEY": uuid.uuid4().hex})
    assert result.returncode != 0 and "LOG_FORMAT must be text or json" in result.stderr
