"""Fixtures of the production-configuration tests (subprocesses with their own environment)."""

import uuid

import pytest

from tests.integration.test_production_settings import run
from tests.contract.recorder import graph_contract  # noqa: F401 (autouse: every Graph request judged)


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> str:
    """A STATIC_ROOT as `make serve` fills it (hashed names, manifest, gzip), the sandbox's files included."""
    root = tmp_path_factory.mktemp("static")
    result = run(["manage.py", "collectstatic", "--no-input", "--verbosity", "0"], {
        "DEMO_SERVER": "1", "SANDBOX_LOOPBACK_URL": "http://127.0.0.1:9", "SECRET_KEY": uuid.uuid4().hex * 2,
        "STATIC_ROOT": str(root)})
    assert result.returncode == 0, result.stderr
    return str(root)
