"""tests/ci.py: under CI, the suite's widest nets can't be shrunk to nothing."""

import subprocess
import sys
from pathlib import Path

from tests.ci import below_floors

ROOT = Path(__file__).resolve().parents[2]


def test_under_ci_a_tiny_chaos_or_property_run_is_refused():
    assert below_floors({"CI": "1", "CHAOS_ACTIONS": "0"}) == ["CHAOS_ACTIONS='0' is below its floor of 200 under CI"]
    assert below_floors({"REQUIRE_SERVICES": "1", "PROPERTY_EXAMPLES": "5"})
    assert below_floors({"CI": "1", "PROPERTY_EXAMPLES": "many"})


def test_the_floors_let_a_full_run_and_a_laptops_quick_run_through():
    assert below_floors({"CI": "1", "CHAOS_ACTIONS": "1000", "PROPERTY_EXAMPLES": "250"}) == []
    assert below_floors({"CI": "1"}) == []
    assert below_floors({"CHAOS_ACTIONS": "0", "PROPERTY_EXAMPLES": "1"}) == []


def test_pytest_stops_before_any_test_when_a_floor_is_broken_under_ci():
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit/test_ci.py",
                             "-k", "lets_a_full_run"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "CI": "1", "CHAOS_ACTIONS": "3", "HOME": "/tmp"})
    assert result.returncode != 0 and "CHAOS_ACTIONS='3' is below its floor of 200 under CI" in result.stdout + result.stderr
