"""Settings for Membership Desk, read from the environment (DESIGN.md, "Configuration").

No ``ENTRA_CLIENT_ID`` means sandbox mode: the app signs in against the local sandbox tenant
(``sandbox/``) and talks to its Graph emulation. With Entra settings the sandbox is not even
installed, and production (``DEBUG`` off) refuses to start without them.
"""

import logging
import os
import secrets
import warnings
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from accounts import credentials, tokencrypt

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_number(name: str, default: float, *, whole: bool = False, least: float = 0) -> float:
    """A number setting (a whole one with ``whole``), at least ``least``; a bad value names itself."""
    value = os.environ.get(name, "")
    if value.strip() == "":
        return default
    try:
        number = int(value) if whole else float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a {'whole ' if whole else ''}number, not {value!r}.") from None
    if not number >= least:  # also refuses nan
        raise ImproperlyConfigured(f"{name} must be at least {least:g}, not {value!r}.")
    return number


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


ENTRA_CLIENT_ID = os.environ.get("ENTRA_CLIENT_ID", "")
SANDBOX_MODE = not ENTRA_CLIENT_ID
# A demo server: `make serve` with no tenant runs gunicorn with DEBUG off on the sandbox tenant,
# on loopback. It takes an explicit opt-in, so a production deployment that merely forgot its
# Entra settings still refuses to start (DESIGN.md invariant 5).
DEMO_SERVER = env_bool("DEMO_SERVER", False)
DEBUG = env_bool("DEBUG", default=SANDBOX_MODE and not DEMO_SERVER)

# The sandbox tenant as its own server (`make demo`, `make serve` without a tenant, the bench): the
# same project answering the sandbox's endpoints only, so the app reaches it over HTTP on its own
# port and threads, as it reaches Microsoft, instead of taking a thread of its own pool to answer.
SANDBOX_SERVER = env_bool("SANDBOX_SERVER", False)

if DEMO_SERVER and not SANDBOX_MODE:
    raise ImproperlyConfigured("DEMO_SERVER runs the sandbox tenant: unset it when ENTRA_CLIENT_ID is set.")
if SANDBOX_SERVER and not SANDBOX_MODE:
    raise ImproperlyConfigured("SANDBOX_SERVER serves the sandbox tenant: unset it when ENTRA_CLIENT_ID is set.")
if SANDBOX_MODE and not DEBUG and not DEMO_SERVER:
    raise ImproperlyConfigured(
        "Production settings (DEBUG off) need a real tenant: set ENTRA_CLIENT_ID, ENTRA_AUTHORITY and "
        "ENTRA_CLIENT_SECRET (or ENTRA_CLIENT_CERTIFICATE). The sandbox tenant is for demos and tests only "
        "(DEMO_SERVER=1 serves it with DEBUG off, as `make serve` does without a tenant)."
    )


def env_required(name: str, dev_default: str) -> str:
    """A value production must set; development (DEBUG) may fall back to a fixed default."""
    value = os.environ.get(name, dev_default if DEBUG else "")
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    return value


def demo_secret_key(path: Path) -> str:
    """The demo server's key, generated once: sessions survive restarts, and no key is shared by clones."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        draft.write_text(secrets.token_urlsafe(50))
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # atomic and never overwrites: concurrent workers agree on one key
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


if DEMO_SERVER and not os.environ.get("SECRET_KEY"):
    SECRET_KEY = demo_secret_key(BASE_DIR / "var" / "demo-secret-key")
else:
    SECRET_KEY = env_required("SECRET_KEY", "insecure-development-key-for-the-sandbox-only")

# Keys of the token cache's encryption at rest (portal/tokencrypt.py): comma-separated Fernet keys,
# the first encrypts and all decrypt. DEBUG or the demo server without one derives a key from SECRET_KEY.
try:
    TOKEN_CACHE_KEYS = tokencrypt.check_keys(env_list("TOKEN_CACHE_KEY"))
except ValueError as error:
    raise ImproperlyConfigured(f"{error}. Make one with: {tokencrypt.MAKE_KEY}") from None
if not TOKEN_CACHE_KEYS:
    if not DEBUG and not DEMO_SERVER:
        raise ImproperlyConfigured(f"Set the TOKEN_CACHE_KEY environment variable (make one with: {tokencrypt.MAKE_KEY}).")
    TOKEN_CACHE_KEYS = [tokencrypt.development_key(SECRET_KEY)]

# A certificate instead of a client secret (portal/credentials.py): a PEM with the private key and
# its certificate; the SHA-1 thumbprint is optional (msal then uses the SHA-256 one). Checked now,
# so a broken file stops start-up rather than the first sign-in.
ENTRA_CLIENT_CERTIFICATE = os.environ.get("ENTRA_CLIENT_CERTIFICATE", "")
ENTRA_CLIENT_CERTIFICATE_THUMBPRINT = os.environ.get("ENTRA_CLIENT_CERTIFICATE_THUMBPRINT", "")
ENTRA_CLIENT_CERTIFICATE_PASSPHRASE = os.environ.get("ENTRA_CLIENT_CERTIFICATE_PASSPHRASE", "")
if ENTRA_CLIENT_CERTIFICATE:
    try:
        credentials.load_certificate(ENTRA_CLIENT_CERTIFICATE, ENTRA_CLIENT_CERTIFICATE_THUMBPRINT,
                                     ENTRA_CLIENT_CERTIFICATE_PASSPHRASE)
    except ValueError as error:
        raise ImproperlyConfigured(str(error)) from None

# The sandbox tenant: fixed ids so sessions, bookmarks and tests survive restarts.
SANDBOX_TENANT_ID = "8f7e6d5c-4b3a-4291-8877-665544332211"
SANDBOX_CLIENT_ID = "5d3c2b1a-0f9e-4d8c-b7a6-958473625140"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"

if SANDBOX_MODE:
    ENTRA_CLIENT_SECRET = SANDBOX_CLIENT_SECRET
    ENTRA_AUTHORITY = f"https://login.sandbox.test/{SANDBOX_TENANT_ID}"
    GRAPH_URL = os.environ.get("GRAPH_URL", "https://graph.sandbox.test/v1.0")
    # Where the sandbox's views answer: the app's own loopback origin. Empty means 127.0.0.1 on the
    # port runserver or the live server is bound to (sandbox.transport; never the Host header):
    # right for runserver and tests. Under gunicorn it must be set (make serve does).
    SANDBOX_LOOPBACK_URL = os.environ.get("SANDBOX_LOOPBACK_URL", "")
    if DEMO_SERVER and not SANDBOX_LOOPBACK_URL:
        # Behind gunicorn the request's origin is whatever Host a client sent: name the port instead.
        raise ImproperlyConfigured("A demo server needs SANDBOX_LOOPBACK_URL (http://127.0.0.1:<its port>).")
    ENTRA_CLIENT_ID = SANDBOX_CLIENT_ID
    # The sandbox's knobs (sandbox/knobs.py, sandbox/seed.py, sandbox/tokens.py), from the environment
    # when set: latency, throttling, $batch order, faults, token lifetime, seed sizes.
    for _name, _type in [("SANDBOX_LATENCY_MS", float), ("SANDBOX_WRITE_LIMIT", int), ("SANDBOX_WRITE_WINDOW", float),
                         ("SANDBOX_FAULT_RATE", float), ("SANDBOX_FAULT_SEED", int), ("SANDBOX_FAULTS", str),
                         ("SANDBOX_FAULT_RETRY_AFTER", int), ("SANDBOX_FAULT_ON", str), ("SANDBOX_FAULT_WHEN", str),
                         ("SANDBOX_SLOW_MS", float),
                         ("SANDBOX_TOKEN_LIFETIME", int), ("SANDBOX_REFRESH_REUSE_GRACE", float),
                         ("SANDBOX_HOLD_WRITE", int), ("SANDBOX_HOLD_WHEN", str), ("SANDBOX_HOLD_FILE", str),
                         ("SANDBOX_REPLICATION_LAG_MS", float), ("SANDBOX_READ_LIMIT", int), ("SANDBOX_READ_WINDOW", float),
                         ("SANDBOX_BATCH_ORDER", str), ("SANDBOX_BATCH_SEED", int),
                         ("SANDBOX_SEED_USERS", int), ("SANDBOX_SEED_GROUPS", int), ("SANDBOX_SEED_BIG_GROUP_MEMBERS", int),
                         ("SANDBOX_CLIENT_CERTIFICATE", str)]:
        if os.environ.get(_name):
            globals()[_name] = _type(os.environ[_name])
else:
    ENTRA_CLIENT_SECRET = os.environ.get("ENTRA_CLIENT_SECRET", "")
    if not (ENTRA_CLIENT_SECRET or ENTRA_CLIENT_CERTIFICATE):
        raise ImproperlyConfigured("Set the ENTRA_CLIENT_SECRET environment variable, or ENTRA_CLIENT_CERTIFICATE to use a certificate.")
    ENTRA_AUTHORITY = env_required("ENTRA_AUTHORITY", "")
    GRAPH_URL = os.environ.get("GRAPH_URL", "https://graph.microsoft.com/v1.0")

GRAPH_URL = GRAPH_URL.rstrip("/")
GRAPH_SCOPES = os.environ.get(
    "GRAPH_SCOPES",
    "User.Read User.ReadBasic.All Directory.Read.All Device.Read.All Member.Read.Hidden "
    "GroupMember.ReadWrite.All AdministrativeUnit.ReadWrite.All RoleManagement.ReadWrite.Directory",
).split()
GRAPH_TIMEOUT = env_number("GRAPH_TIMEOUT", 10)
# Bounded retries of throttled or unavailable Graph calls (honouring Retry-After up to a cap).
GRAPH_MAX_RETRIES = env_number("GRAPH_MAX_RETRIES", 2, whole=True)
GRAPH_MAX_RETRY_WAIT = env_number("GRAPH_MAX_RETRY_WAIT", 5)
# Graph is eventually consistent (GRAPH.md §3): how long after a write a read may still miss it.
# A read-back that finds a write with no clear answer not landed reads again within this window
# before calling it not done, and the journal's open entries are read back only once this old.
GRAPH_REPLICATION_WINDOW = env_number("GRAPH_REPLICATION_WINDOW", 2)

# The journal page settles the viewer's entries left pending or unknown for longer than this
# (longer than a request can take, so none is still in flight): members.changes.settle_open.
JOURNAL_SETTLE_AFTER = timedelta(seconds=env_number("JOURNAL_SETTLE_AFTER", 300))
# What one request may carry (README "Limits"); beyond it Django answers 400 before any view runs.
# The Django group whose members (and staff) read the whole journal; everyone else reads their own entries.
JOURNAL_AUDITORS_GROUP = os.environ.get("JOURNAL_AUDITORS_GROUP", "journal-auditors")
# One change may carry up to 1,000 members (members.changes); leave room for the other fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1_100
# 1,100 fields of a 36-character id take under 50 KB: a larger body is refused when it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
# No form takes a file: a multipart body with one is refused, not spooled to disk.
DATA_UPLOAD_MAX_NUMBER_FILES = 0

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG or DEMO_SERVER else "")
if SANDBOX_MODE:
    # The sandbox transport keeps the public Host (login/graph.sandbox.test) on loopback calls: those two
    # names exactly (not any *.sandbox.test a client makes up), and only for the sandbox's own paths
    # (sandbox.transport.LoopbackOriginMiddleware), so no page or sign-in redirect URI is built from them.
    ALLOWED_HOSTS += ["login.sandbox.test", "graph.sandbox.test"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "portal.errors.csrf_failure"
# Tokens never reach an error page, DEBUG or not (DESIGN.md invariant 3).
DEFAULT_EXCEPTION_REPORTER_FILTER = "portal.errors.SafeExceptionReporterFilter"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    "crontask",
    "accounts",
    "members",
]
if SANDBOX_MODE:
    INSTALLED_APPS.append("sandbox")

MIDDLEWARE = [
    # A load balancer's probe: answered before host validation, the HTTPS redirect and the login gate.
    "portal.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.logs.RequestLogMiddleware",
    "portal.timing.ServerTimingMiddleware",
    "portal.localtime.LocalTimeMiddleware",  # the reader's time zone, for every page and error page after it
    "accounts.sessions.SessionMiddleware",  # Django's, saving no older copy of the token state
    "portal.slash.AppendSlashForReadsMiddleware",  # CommonMiddleware, with the slash appended for reads only
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.nostore.NeverCacheSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.oversize.OversizedBodyMiddleware",  # before any view or CSRF check reads a body too large
    "accounts.middleware.HtmxLoginRequiredMiddleware",
    "accounts.middleware.ReauthenticationMiddleware",
    "members.notsent.InterruptedChangeMiddleware",  # a click kept unsent while signed out, said on the next page
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]
if SANDBOX_MODE:
    MIDDLEWARE.insert(1, "sandbox.transport.LoopbackOriginMiddleware")

ROOT_URLCONF = "sandbox.server_urls" if SANDBOX_SERVER else "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, for tests: the live server answers the app's loopback calls to the
    # sandbox on other threads, each with its own connection.
    # One file per test process, so two runs on one machine don't share (and clobber) it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}
    # A small team shares the default database: WAL lets readers run beside the one writer; a
    # transaction takes the write lock when it begins (IMMEDIATE), so one that read first cannot
    # fail with "database is locked" when it comes to write (SQLite returns that at once, whatever
    # the timeout); and a writer waits up to 20 s for the lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          # A Redis that stops answering fails requests (and /healthz) in seconds, not never.
                          "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}
    # Several app servers share sessions (and so each user's msal token cache) through Redis,
    # written through to the database so a Redis restart signs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Work that happens later (expiring access, background changes): Django's task API on the database
# (django-tasks-db): any number of `manage.py db_worker` processes, on any servers, claim tasks under
# row locks. `manage.py crontask` enqueues the periodic ones; with REDIS_URL set it holds a Redis lock,
# so of several schedulers on several servers one runs and the others wait.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
CRONTASK = {"REDIS_URL": REDIS_URL or None,
            # How long a scheduler waits for the lock before standing by (manage.py scheduler tries again).
            "LOCK_BLOCKING_TIMEOUT": env_number("SCHEDULER_LOCK_WAIT", 15)}
# How often the sweep runs (removes what expired, settles open journal entries), in seconds.
SWEEP_EVERY = env_number("SWEEP_EVERY", 30, least=1)
# A worker seen (a task finished) within this many seconds is "recent" for /healthz and the pages.
WORKER_SEEN_WITHIN = env_number("WORKER_SEEN_WITHIN", max(120.0, 4 * SWEEP_EVERY))
# How far ahead an end date may be set: a year unless a deployment allows more.
EXPIRY_MAX_DAYS = env_number("EXPIRY_MAX_DAYS", 365, whole=True)
# A sweep that claimed an expiry and did not finish (its worker was killed) is taken over this long after.
EXPIRY_CLAIM_TIMEOUT = timedelta(seconds=env_number("EXPIRY_CLAIM_TIMEOUT", 300))
# A bulk change, picker add, Undo or Revert all of more members than this runs as a task (a paste's
# run does once it is larger than one slice): the request answers at once and the page follows its progress.
BACKGROUND_CHANGE_ABOVE = env_number("BACKGROUND_CHANGE_ABOVE", 100, whole=True)
if BACKGROUND_CHANGE_ABOVE < 1:
    raise ImproperlyConfigured("BACKGROUND_CHANGE_ABOVE must be a number of members, at least 1.")
# A background change whose worker has not reported for this long (it was killed) is resumed by the sweep.
BACKGROUND_CHANGE_STALE = timedelta(seconds=env_number("BACKGROUND_CHANGE_STALE", 300))
# How long a person's sign-in is kept for a background change they started.
BACKGROUND_CHANGE_KEEP = timedelta(hours=env_number("BACKGROUND_CHANGE_KEEP", 4))

# Tokens live only in the server-side session (DESIGN.md invariant 3); the cookie holds its key.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60
LOGIN_URL = "auth:sign-in"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "var" / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # With DEBUG off, whitenoise serves what collectstatic wrote: content-hashed names it marks
    # immutable (cached for years), gzip beside each. htmx comes from django-htmx's static files.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage" if DEBUG
                    else "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Decided by the configuration, not by the DEBUG pytest-django turns off while tests run.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF] + ([] if SANDBOX_MODE else [f"https://{urlsplit(ENTRA_AUTHORITY).hostname}"]),
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

if not DEBUG and not DEMO_SERVER:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Behind a TLS-terminating proxy (which must overwrite any X-Forwarded-Proto a client sends):
    # request.is_secure() is then true, so the redirect, secure cookies and msal's redirect_uri
    # (request.build_absolute_uri) all say https.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_number("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60, whole=True)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)  # the header alone commits to nothing

def not_sandbox_graph(record) -> bool:
    """The sandbox's Graph refusals are expected answers (its request log keeps them): don't warn."""
    request = getattr(record, "request", None)
    return not (request is not None and request.path.startswith("/sandbox/graph/"))


# "json" (make serve): one JSON object per line, a line per request (portal.logs); "text" otherwise.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")

# msal recommends form_post; the callback reads the query response mode on purpose (DESIGN.md).
warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended", category=UserWarning)
if LOG_FORMAT == "json":
    logging.captureWarnings(True)  # a warning is a JSON line too (py.warnings), not plain text among them

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"not_sandbox_graph": {"()": "django.utils.log.CallbackFilter", "callback": not_sandbox_graph},
                "request_context": {"()": "portal.logs.RequestContextFilter"}},
    "formatters": {"json": {"()": "portal.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_context"],
                             **({"formatter": "json"} if LOG_FORMAT == "json" else {})}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "members": {"level": os.environ.get("LOG_LEVEL", "INFO")},
        # runserver prints its own line per request; the JSON line replaces gunicorn's access log.
        "portal.requests": {"level": "INFO" if LOG_FORMAT == "json" else "WARNING"},
        # A streamed answer's Graph calls, counted when it ends (its header can't: portal.timing).
        "portal.timing": {"level": "INFO" if LOG_FORMAT == "json" else "WARNING"},
        "django.request": {"filters": ["not_sandbox_graph"]},
    },
}
