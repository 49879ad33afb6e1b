"""The sandbox tenant's own server (``SANDBOX_SERVER=1``, the Procfile's ``sandbox`` line) with what
it did readable from outside its process, for tests and benchmarks that run it as a subprocess.

The sandbox keeps its request log and membership log in memory (``sandbox.knobs``): a test in the
same process reads them directly; one that runs the sandbox as its own server reads them here,
``GET /__sandbox-log__`` on that server, answered before Django (nothing of the sandbox changes).
Only tests start it: ``python -m gunicorn tests.integration.sandbox_log_server:application``.
"""

import json
from dataclasses import asdict

from portal.wsgi import application as served
from sandbox import knobs

LOG_PATH = "/__sandbox-log__"


def application(environ, start_response):
    if environ.get("PATH_INFO") != LOG_PATH:
        return served(environ, start_response)
    body = json.dumps({"requests": [asdict(entry) for entry in knobs.request_log()],
                       "memberships": [asdict(change) for change in knobs.membership_log()]}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
