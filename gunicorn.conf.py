"""gunicorn's settings for `make serve` (gunicorn reads this file from the working directory).

From the environment: ``HOST`` (default 127.0.0.1), ``PORT`` (8000), ``WEB_CONCURRENCY`` worker
processes (2), ``THREADS`` per worker (4). ``FORWARDED_ALLOW_IPS`` is gunicorn's own: the proxies
trusted to say the client's scheme, and ``GUNICORN_CMD_ARGS`` any other option. With
``LOG_FORMAT=json`` gunicorn's own lines are JSON too.
"""

import os

wsgi_app = "portal.wsgi:application"

_host = os.environ.get("HOST", "127.0.0.1")
bind = [f"[{_host}]:{os.environ.get('PORT', '8000')}" if ":" in _host else f"{_host}:{os.environ.get('PORT', '8000')}"]
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads, not processes, wait on Graph. Where the sandbox answers inside the app's own server (the
# tests that run it so), a page waits for an answer from this same server: a worker needs at least
# one thread free to give it. `make serve` runs the sandbox as its own server (Procfile).
threads = max(int(os.environ.get("THREADS", "4")), 2)
# Its default path is one per user: two servers on one machine would take each other's.
control_socket_disable = True

if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "portal.logs.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"level": "WARNING", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            # Its access lines quote the request line, query string included (a sign-in callback's
            # carries an authorization code): portal.logs writes the request's line instead.
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }
