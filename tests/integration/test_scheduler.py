"""Several servers, one scheduler: with REDIS_URL set, of two `manage.py scheduler` processes one holds
crontask's Redis lock and enqueues the sweep; the other stands by (it does not exit, which would stop
a one-command `make serve`), and takes over when the first stops."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.test_production_settings import require_services, run
from tests.integration.test_two_app_servers import STRIPPED

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 13  # this test's own Redis database (others use 11, 12 and 15), flushed before and after
DEADLINE = 60


def flush(db: int) -> None:
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()


class Scheduler:
    def __init__(self, env: dict, log: Path) -> None:
        self.log_path = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen([sys.executable, "manage.py", "scheduler"], cwd=ROOT, env=env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def said(self, text: str) -> bool:
        return text in self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DEADLINE} s: {what}")
        time.sleep(0.1)  # a polling interval: the loop waits on the condition


def sweeps_enqueued(database: Path) -> int:
    import sqlite3

    with sqlite3.connect(database) as db:
        return db.execute("SELECT count(*) FROM django_tasks_database_dbtaskresult WHERE task_path = 'members.tasks.sweep'"
                          ).fetchone()[0]


def test_of_two_schedulers_one_runs_and_the_other_stands_by_then_takes_over(tmp_path):
    require_services()
    flush(REDIS_DB)
    database = tmp_path / "db.sqlite3"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED)}
    env = {**clean, "DATABASE_URL": f"sqlite:///{database}", "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
           "SECRET_KEY": "s" * 50, "SWEEP_EVERY": "1", "SCHEDULER_LOCK_WAIT": "1"}
    assert run(["manage.py", "migrate", "--no-input"], {k: env[k] for k in ("DATABASE_URL", "SECRET_KEY")}).returncode == 0
    first = Scheduler(env, tmp_path / "first.log")
    second = None
    try:
        wait_for(lambda: first.said("Starting scheduler"), "the first scheduler starts")
        second = Scheduler(env, tmp_path / "second.log")
        wait_for(lambda: second.said("standing by"), "the second stands by")
        assert second.process.poll() is None and not second.said("Starting scheduler")
        wait_for(lambda: sweeps_enqueued(database) >= 2, "the first enqueues the sweep")
        first.stop()
        wait_for(lambda: second.said("Starting scheduler"), "the second takes over")
        seen = sweeps_enqueued(database)
        wait_for(lambda: sweeps_enqueued(database) > seen, "the second enqueues the sweep")
    finally:
        first.stop()
        if second is not None:
            second.stop()
        flush(REDIS_DB)
