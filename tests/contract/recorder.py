"""Records every Graph request the app sends (at its one exit, ``Transport._send``) while a test runs,
and judges them against Microsoft's metadata when it ends (an autouse fixture of the integration and
browser tests)."""

import threading
from urllib.parse import urlencode

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
            query = kwargs.get("params")  # the app sends bodies as json= and queries in the URL or as params=
            full = url if not query else f"{url}{'&' if '?' in url else '?'}{urlencode(query)}"
            with recorder._lock:
                recorder.sent.append((method, full, dict(headers), kwargs.get("json")))
            return send(transport, method, url, headers, kwargs)
        return recording

    def findings(self) -> list[str]:
        found = []
        for method, url, headers, body in self.sent:
            path = "/v1.0" + url.split("/v1.0", 1)[1] if "/v1.0" in url else url
            found += problems(method, path, headers, body)
        return sorted(set(found))


@pytest.fixture(autouse=True)
def graph_contract(monkeypatch):
    """Every Graph request of this test is one Microsoft's metadata describes."""
    recorder = Recorder()
    monkeypatch.setattr(Transport, "_send", recorder.wrap(Transport._send))
    yield recorder
    found = recorder.findings()
    assert not found, "Graph requests Microsoft's metadata does not describe:\n" + "\n".join(found)
