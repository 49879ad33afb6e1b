"""`make bench-sweep`: how fast the sweep removes due expiries, with one worker and with two, side by side.

The processes production runs, on a PostgreSQL database of the bench's own (``desk_sweep_*``, dropped
at the end; ``tests/integration/sweepstack.py`` starts them): the sandbox tenant's own server with every
Graph call delayed ``--latency-ms`` (50), the app's gunicorn, and ``manage.py db_worker`` processes. For
each round (one worker, then two), helpdesk signs in over HTTP and adds ``--ends`` (1,000) users to a
group "until" tomorrow through the picker's POST; the ends are made due in the database; the workers are
started and polling; then several sweeps are enqueued at once and the clock runs until every end is
removed. Removals go in ``$batch``es of 20 (``members.graph``).

Figures: due ends removed per minute (from the first sweep's start to the last end's removal, both as
the database recorded them), Graph round trips per end (the sandbox's own request log, over the sweep),
and the machine's load average before and after each round (``os.getloadavg``, as ``uptime`` prints it).
Written to stdout and as its own section of bench/RESULTS.md (``bench.py`` keeps it there).

    .venv/bin/python bench/sweep.py [--ends 1000] [--latency-ms 50] [--workers 1 2]
"""

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Sweep throughput"
GROUP = "Helpdesk Tier 1"  # the seeded group helpdesk (Groups Administrator) manages


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def one_round(stack, group: str, ends: int, workers: int) -> dict:
    from tests.integration.sweepstack import HELPDESK, removal_deletes, wait_for

    members = stack.not_members(group, ends)
    stack.add_until(HELPDESK, group, members, ends="1d")
    assert stack.make_due() == ends
    load_before = load_average()
    removed_before = stack.ends().get("removed", 0)
    # Before the workers start: a sweep the last round left queued runs as soon as they are up.
    since = time.time()
    started = [stack.worker(f"round{workers}-worker{n}") for n in range(1, workers + 1)]
    stack.enqueue_sweeps(workers * 3)
    wait_for(lambda: stack.ends().get("removed", 0) - removed_before == ends, "every due end removed", deadline=600,
             poll=0.05)
    wall = time.time() - since
    load_after = load_average()
    for worker in started:
        worker.stop()
    (first, last), = stack.sql(
        "SELECT (SELECT min(started_at) FROM django_tasks_database_dbtaskresult WHERE worker_ids->>0 LIKE %s),"
        " (SELECT max(updated_at) FROM members_expiry WHERE state = 'removed')", f"round{workers}-%")
    seconds = (last - first).total_seconds()
    calls = [entry for entry in stack.sandbox_log()["requests"] if entry["time"] >= since]
    deletes = sum(len(ids) for ids in removal_deletes({"requests": calls}, group).values())
    by_worker = dict(stack.sql(
        "SELECT worker_ids->>0, sum((return_value->>'removed')::int) FROM django_tasks_database_dbtaskresult"
        " WHERE worker_ids->>0 LIKE %s AND status = 'SUCCESSFUL' GROUP BY 1 ORDER BY 1", f"round{workers}-%"))
    return {"workers": workers, "ends": ends, "seconds": seconds, "wall": wall, "per_minute": ends / seconds * 60,
            "calls": len(calls), "batches": sum(1 for c in calls if c["path"].endswith("/$batch")), "deletes": deletes,
            "by_worker": by_worker, "load_before": load_before, "load_after": load_after}


def paste_round(stack, group: str, lines: int) -> dict:
    """A pasted list of ``lines`` sign-in names added: the run's POST (it starts a background change and
    answers) timed apart from the work, which one worker then does."""
    from html import unescape

    from tests.integration.sweepstack import HELPDESK, wait_for
    from tests.conftest import sign_in_over_http

    members = stack.not_members(group, lines)
    names = [row[0] for row in stack.sql(
        "SELECT data->>'userPrincipalName' FROM sandbox_directoryobject WHERE id = ANY(%s)", [uuid.UUID(m) for m in members])]
    desk = sign_in_over_http(stack.app_url, HELPDESK)
    dry = desk.htmx("POST", f"/groups/{group}/members/paste/", current=f"/groups/{group}/", timeout=600,
                    data={"action": "add", "lines": "\n".join(names)})
    plan = re.search(r'name="plan" value="([^"]+)"', dry.text).group(1)
    worker = stack.worker("paste-worker")
    since = time.monotonic()
    run = desk.htmx("POST", f"/groups/{group}/members/paste/run/", current=f"/groups/{group}/", data={"plan": plan},
                    timeout=600)
    answered = time.monotonic() - since
    assert run.status_code == 200 and "job" in run.text, unescape(run.text)[:2000]
    wait_for(lambda: len(stack.members_of(group, members)) == lines, "every pasted member added", deadline=600, poll=0.05)
    done = time.monotonic() - since
    worker.stop()
    return {"lines": lines, "answered": answered, "done": done}


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    return f"{os.cpu_count()} CPUs, {model}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def section(rounds: list[dict], args, command: str, started_at: datetime, uptime: str,
            rounds_paste: list[dict] | None = None) -> str:
    rows = "\n".join(
        f"| {r['workers']} | {r['ends']:,} | {r['seconds']:.1f} | {r['per_minute']:,.0f} | {r['calls'] / r['ends']:.3f}"
        f" ({r['calls']} calls, {r['batches']} `$batch`) | {r['deletes']:,} | "
        f"{', '.join(f'{n}' for n in r['by_worker'].values())} | {r['load_before']} / {r['load_after']} |"
        for r in rounds)
    paste = rounds_paste[0] if rounds_paste else None
    paste_line = (f"\nA {paste['lines']:,}-line paste run (added, a background change): its POST answered in "
                  f"{paste['answered'] * 1000:.0f} ms; one worker had made every change {paste['done']:.1f} s after it "
                  "was sent.\n") if paste else ""
    one = next((r for r in rounds if r["workers"] == 1), None)
    speedups = "".join(f" Two workers: {r['per_minute'] / one['per_minute']:.2f}x one." for r in rounds
                       if one and r["workers"] == 2)
    return f"""{SECTION}

{started_at:%Y-%m-%d %H:%M} UTC on {machine()}; `uptime` at the start: `{uptime}`.

`{command}`: the sandbox tenant's own server (gunicorn, 1 process x 16 threads) with every Graph call
delayed {args.latency_ms} ms (`SANDBOX_LATENCY_MS`), the app's gunicorn, `manage.py db_worker` processes,
all on one PostgreSQL database. Each round: {args.ends:,} users added "until" tomorrow by helpdesk
(signed in over HTTP, the picker's POST), made due, then the workers started and several sweeps enqueued
at once. Time from the first sweep's start to the last end's removal (the database's clocks); round trips
are the sandbox's request log over the sweep (token calls aside: the kept access token served); removals
go 20 to a `$batch`, claimed 100 at a time (`members.expiry.CLAIM_BATCH`).

| workers | due ends | seconds | removed per minute | Graph round trips per end | DELETEs received | removed by each worker | load avg before / after |
|---|---|---|---|---|---|---|---|
{rows}
{speedups}
{paste_line}"""


def keep_in_results(text: str, results: Path) -> None:
    """Put this section in bench/RESULTS.md, in place of an older one (``bench.py`` carries it over)."""
    old = results.read_text() if results.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    new = pattern.sub(lambda _: text + "\n", old) if pattern.search(old) else old.rstrip("\n") + "\n\n" + text
    results.write_text(new)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ends", type=int, default=1_000, help="due ends per round (at most 1,000 a change)")
    parser.add_argument("--latency-ms", type=int, default=50, help="Graph latency in the sandbox")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts, one round each")
    parser.add_argument("--paste", type=int, default=1_000, help="lines of the timed paste run (0: none)")
    parser.add_argument("--results", default=str(RESULTS), help="the Markdown file to keep the section in")
    args = parser.parse_args()
    from tests.integration.sweepstack import Stack, postgres_reachable

    if not postgres_reachable():
        raise SystemExit("bench/sweep.py needs PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres).")
    command = "make bench-sweep  # .venv/bin/python bench/sweep.py " + " ".join(sys.argv[1:])
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"uptime: {uptime}", flush=True)
    started_at = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="bench-sweep-") as workdir:
        stack = Stack(Path(workdir), users=args.ends + 100,
                      sandbox={"SANDBOX_LATENCY_MS": str(args.latency_ms)}, sandbox_threads=16)
        try:
            (group,), = stack.sql("SELECT id::text FROM sandbox_directoryobject WHERE kind = 'group' AND display_name = %s",
                                  GROUP)
            rounds = []
            for workers in args.workers:
                rounds.append(one_round(stack, group, args.ends, workers))
                print(rounds[-1], flush=True)
            pasted = [paste_round(stack, group, args.paste)] if args.paste else []
            print(pasted, flush=True)
        finally:
            stack.close()
    text = section(rounds, args, command, started_at, uptime, pasted)
    print(text)
    keep_in_results(text, Path(args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
