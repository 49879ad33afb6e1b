"""Peak memory of a member export (``/<kind>/<id>/members.csv``): 1,000 vs 5,000 members.

Seeds the sandbox tenant in a fresh SQLite database with the big group ("All Employees") at each
size, serves the app on a free loopback port in this process, signs in over plain HTTP, and
downloads the group's CSV as a stream; ``tracemalloc`` measures the peak of the whole process
(the server's thread, the sandbox it calls, and the reading client alike) during each download.
An export holds one Graph page (999 members) at a time and writes the file (in memory up to 4 MB,
then a temporary file) before sending it, so its peak grows with the file's bytes at most, not with
the group's objects. Only loopback is contacted; every loop is bounded.

    .venv/bin/python bench/export_memory.py [--sizes 1000 5000] [--runs 3]
"""

import argparse
import gc
import logging
import os
import statistics
import sys
import tempfile
import threading
import tracemalloc
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup_django(workdir: Path) -> None:
    os.environ.update({"DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}", "DEBUG": "1",
                       "DJANGO_SETTINGS_MODULE": "portal.settings"})
    for knob in ("SANDBOX_LATENCY_MS", "SANDBOX_FAULT_RATE", "SANDBOX_WRITE_LIMIT"):
        os.environ.pop(knob, None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def serve() -> tuple[str, object]:
    """The app on a free loopback port, in a daemon thread of this process."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet)
    server.set_app(get_wsgi_application())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def sign_in(base: str, upn: str):
    import requests

    session = requests.Session()
    session.trust_env = False
    page = session.get(f"{base}/accounts/sign-in/", timeout=30)
    landed = session.post(page.url, data={"upn": upn}, timeout=30)
    assert landed.url == f"{base}/", f"sign-in as {upn} failed"
    return session


def streamed_peak(session, url: str) -> tuple[int, int]:
    """(lines received, peak bytes traced) while downloading ``url`` as a stream."""
    gc.collect()
    tracemalloc.start()
    with session.get(url, stream=True, timeout=120) as answer:
        answer.raise_for_status()
        lines = sum(chunk.count(b"\n") for chunk in answer.iter_content(chunk_size=65536))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return lines, peak


def main() -> None:
    warnings.filterwarnings("ignore", "response_mode='form_post'", UserWarning)  # query mode on purpose (DESIGN.md)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        setup_django(Path(workdir))
        from sandbox import knobs
        from sandbox.seed import seed_tenant

        base, server = serve()
        logging.getLogger("members.graph").setLevel(logging.WARNING)  # a line per Graph call otherwise        print(f"{'members':>8} {'CSV lines':>10} {'Graph pages':>12} {'peak memory (median)':>22}")
        results = {}
        for size in args.sizes:
            known = seed_tenant(users=200, groups=30, big_group_members=size)
            session = sign_in(base, "helpdesk@contoso.example")
            url = f"{base}/groups/{known['big_group'].id}/members.csv"
            peaks, lines = [], 0
            for _ in range(max(1, args.runs)):
                knobs.clear_request_log()
                lines, peak = streamed_peak(session, url)
                peaks.append(peak)
            pages = sum(1 for e in knobs.request_log() if e.path.endswith("/members"))
            results[size] = statistics.median(peaks)
            print(f"{size:>8,} {lines:>10,} {pages:>12} {results[size] / 1e6:>19.2f} MB")
        server.shutdown()
    low, high = results[min(results)], results[max(results)]
    print(f"peak at {max(results):,} members / at {min(results):,}: {high / low:.2f}x "
          f"(for a group {max(results) / min(results):.0f}x larger)")


if __name__ == "__main__":
    main()
