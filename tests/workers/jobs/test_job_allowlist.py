"""Every job and callback name the project enqueues is on the workers' allowlist."""

from __future__ import annotations

import re
from pathlib import Path

from workers.jobs.allowed import JOB_CALLBACKS, JOB_FUNCTIONS

ROOT = Path(__file__).resolve().parents[3]
NAMED = re.compile(r'^[A-Z_]+_(JOB|CALLBACK) = "([\w.]+)"', re.MULTILINE)


def test_every_enqueued_name_is_allowed():
    found = {}
    for path in [*ROOT.glob("workers/**/*.py"), *ROOT.glob("bot/**/*.py")]:
        for kind, name in NAMED.findall(path.read_text()):
            found[name] = kind
    assert found, "no job names found"
    for name, kind in found.items():
        assert name in (JOB_FUNCTIONS if kind == "JOB" else JOB_CALLBACKS), name
