"""Floors for the suite's own knobs under CI: a run that shrinks its widest nets to nothing must not pass.

``PROPERTY_EXAMPLES`` (examples per property) and ``CHAOS_ACTIONS`` (actions of the chaos run) can be
lowered for a quick run on a laptop; under CI (``CI`` or ``REQUIRE_SERVICES`` set, as ``.ci/run`` and
``make test`` do) a value below its floor stops the run before any test, naming it.
"""

import os
from collections.abc import Mapping

FLOORS = {"PROPERTY_EXAMPLES": 100, "CHAOS_ACTIONS": 200}


def under_ci(environ: Mapping[str, str] = os.environ) -> bool:
    return bool(environ.get("CI") or environ.get("REQUIRE_SERVICES"))


def below_floors(environ: Mapping[str, str] = os.environ) -> list[str]:
    """What is set below its floor (or is no number), when under CI; else nothing."""
    if not under_ci(environ):
        return []
    wrong = []
    for name, floor in FLOORS.items():
        if name not in environ:
            continue
        try:
            ok = int(environ[name]) >= floor
        except ValueError:
            ok = False
        if not ok:
            wrong.append(f"{name}={environ[name]!r} is below its floor of {floor} under CI")
    return wrong
