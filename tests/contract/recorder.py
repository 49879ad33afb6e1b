"""Records every Graph request the app sends (at its one exit, ``Transport._send``) while a test runs,
and judges them against Microsoft's metadata when it ends (an autouse fixture of the integration and
browser tests)."""

import json
import threading

import pytest

from members.graph.transport import Transport
from tests.contract.checker import problems


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict, object]] = []
        self._lock = threading.Lock()

    def wrap(self, send):
        recorder = self

        def recording(transport, method, url, headers, kwargs):
            body = kwargs.get("json")
            if body is None and isinstance(kwargs.get("data"), (bytes, str)):
                try:
                    body = json.loads(kwargs["data"])
                except ValueError:
                    body = None
            query = kwargs.get("params")
            full = url if not query else f"{url}{'&' if '?' in url else '?'}{_encoded(query)}"
            with recorder._lock:
                recorder.sent.append((method, full, dict(headers), body))
            return send(transport, method, url, headers, kwargs)
        return recording

    def findings(self) -> list[str]:
        found = []
        for method, url, headers, body in self.sent:
            path = "/v1.0" + url.split("/v1.0", 1)[1] if "/v1.0" in url else url
            found += problems(method, path, headers, body)
        return sorted(set(found))


def _encoded(params: dict) -> str:
    from urllib.parse import urlencode
    return urlencode(params)


@pytest.fixture(autouse=True)
def graph_contract(monkeypatch):
    """Every Graph request of this test is one Microsoft's metadata describes."""
    recorder = Recorder()
    monkeypatch.setattr(Transport, "_send", recorder.wrap(Transport._send))
    yield recorder
    found = recorder.findings()
    assert not found, "Graph requests Microsoft's metadata does not describe:\n" + "\n".join(found)
