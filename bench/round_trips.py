"""Round trips and timings of each page and action, on the full-size sandbox tenant.

Starts its own server on a free loopback port with a fresh SQLite database seeded at the default
size (2,000 users, 300 groups, a 5,000-member group), signs in as the demo accounts over plain
HTTP, and reports for each scenario the Graph round trips (from the Server-Timing header) and
the wall time (median and worst of N runs). Then a bounded concurrent load: S sessions in
threads, each doing R page loads. Only loopback is contacted; every loop is bounded.

    .venv/bin/python bench/round_trips.py [--runs 5] [--sessions 8] [--requests 25] [--latency-ms 0]
"""

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workdir: Path, latency_ms: int) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}", "DEBUG": "1",
           "SANDBOX_LATENCY_MS": str(latency_ms)}
    for step in (["migrate", "--no-input"], ["sandbox", "seed"]):
        subprocess.run([PYTHON, "manage.py", *step], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen([PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(f"{base}/accounts/signed-out/", timeout=1)
            return server, base
        except requests.ConnectionError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def sign_in(base: str, upn: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/sign-in/")
    landed = session.post(page.url, data={"upn": upn})
    assert landed.url == f"{base}/", f"sign-in as {upn} failed"
    session.get(f"{base}/groups/")
    return session


def round_trips(response: requests.Response) -> int:
    match = re.search(r'desc="(\d+) Graph round trips"', response.headers.get("Server-Timing", ""))
    return int(match.group(1)) if match else 0


def htmx(session: requests.Session, base: str, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"HX-Request": "true", "X-CSRFToken": session.cookies.get("csrftoken", ""), "HX-Current-URL": f"{base}/",
               **kwargs.pop("headers", {})}
    return session.request(method, f"{base}{path}", headers=headers, **kwargs)


def find(pattern: str, text: str) -> str:
    match = re.search(pattern, text, re.S)
    assert match, pattern
    return match.group(1)


def scenarios(base: str) -> list[tuple]:
    helpdesk = sign_in(base, "helpdesk@contoso.example")
    pra = sign_in(base, "pra@contoso.example")
    unitadmin = sign_in(base, "unitadmin@contoso.example")
    groups = helpdesk.get(f"{base}/groups/?q=All Employees").text
    big = find(r'href="/groups/([0-9a-f-]{36})/">All Employees<', groups)
    tier1 = find(r'href="/groups/([0-9a-f-]{36})/">Helpdesk Tier 1<', helpdesk.get(f"{base}/groups/?q=Helpdesk Tier 1").text)
    detail = helpdesk.get(f"{base}/groups/{big}/").text
    more = find(r'\?more=([^&"]+)', detail)
    tier1_page = helpdesk.get(f"{base}/groups/{tier1}/").text
    member = find(r'<tr id="member-([0-9a-f-]{36})"(?:(?!</tr>).)*?class="type type-user"', tier1_page)
    # Each hit shows its id twice (its box, and its line for "Selected"): once each, in order.
    users = list(dict.fromkeys(re.findall(r'value="([0-9a-f-]{36})"', htmx(helpdesk, base, "GET", f"/groups/{big}/candidates/?q=an").text)))
    units = pra.get(f"{base}/units/?q=Paris").text
    paris = find(r'href="/units/([0-9a-f-]{36})/">Paris Office<', units)

    def remove():
        return htmx(helpdesk, base, "DELETE", f"/groups/{tier1}/members/{member}/")

    def undo():
        return htmx(helpdesk, base, "POST", f"/groups/{tier1}/members/", data={"member": member},
                    headers={"HX-Target": f"removed-{member}"})

    def take_back(desk, kind, container, ids):
        return lambda: [htmx(desk, base, "DELETE", f"/{kind}/{container}/members/{user}/") for user in ids]

    return [
        ("home (my roles, my units)", lambda: unitadmin.get(f"{base}/")),
        ("groups list (20 + counts)", lambda: helpdesk.get(f"{base}/groups/")),
        ("groups search", lambda: helpdesk.get(f"{base}/groups/?q=Seattle")),
        ("5,000-member group page", lambda: helpdesk.get(f"{base}/groups/{big}/")),
        ("members: load more", lambda: htmx(helpdesk, base, "GET", f"/groups/{big}/members/?more={more}")),
        ("members: search in group", lambda: htmx(helpdesk, base, "GET", f"/groups/{big}/members/?q=adele")),
        ("people picker search", lambda: htmx(helpdesk, base, "GET", f"/groups/{big}/candidates/?q=meg")),
        ("remove one member", remove, undo),
        ("undo a removal", undo, remove),
        ("add 25 members to a group", lambda: htmx(helpdesk, base, "POST", f"/groups/{tier1}/members/", data={"member": users[:25]}),
         take_back(helpdesk, "groups", tier1, users[:25])),
        ("add 3 members to an AU", lambda: htmx(pra, base, "POST", f"/units/{paris}/members/", data={"member": users[:3]}),
         take_back(pra, "units", paris, users[:3])),
        ("units list", lambda: pra.get(f"{base}/units/")),
        ("roles list", lambda: pra.get(f"{base}/roles/")),
        ("role by template id", lambda: pra.get(f"{base}/roles/template/fdd7a751-b60b-444a-984c-02652fe8fa1c/")),
    ]


def measure(name: str, action, runs: int, after=None) -> None:
    """Time ``action`` (one click); ``after`` puts the tenant back, untimed."""
    times, trips = [], []
    for _ in range(runs):
        started = time.perf_counter()
        response = action()
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and 'role="alert"' not in response.text, response.text[:300]
        trips.append(round_trips(response))
        if after:
            after()
    print(f"| {name} | {max(set(trips), key=trips.count)} | {statistics.median(times):.0f} | {max(times):.0f} |")


def load(base: str, sessions: int, per_session: int) -> None:
    desks = [sign_in(base, "helpdesk@contoso.example") for _ in range(sessions)]
    paths = ["/groups/", "/groups/?q=Sales", "/units/", "/roles/", "/"]
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(desk: requests.Session) -> None:
        for n in range(per_session):
            started = time.perf_counter()
            response = desk.get(f"{base}{paths[n % len(paths)]}")
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200
            with lock:
                latencies.append(elapsed)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(desk,)) for desk in desks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    wall = time.perf_counter() - started
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(f"\nLoad: {sessions} sessions x {per_session} page loads = {len(latencies)} requests in {wall:.1f} s "
          f"({len(latencies) / wall:.1f} req/s); median {statistics.median(latencies):.0f} ms, p95 {p95:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--requests", type=int, default=25)
    parser.add_argument("--latency-ms", type=int, default=0, help="sandbox latency per Graph call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        server, base = start_server(Path(workdir), args.latency_ms)
        try:
            print(f"Sandbox latency per Graph call: {args.latency_ms} ms; {args.runs} runs each\n")
            print("| scenario | Graph round trips | median ms | worst ms |\n|---|---|---|---|")
            for name, action, *after in scenarios(base):
                measure(name, action, args.runs, *after)
            load(base, args.sessions, args.requests)
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
