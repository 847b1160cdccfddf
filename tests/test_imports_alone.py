"""Every module of `bot` and `workers` imports on its own, first.

An import cycle between our modules only breaks when the wrong module is imported first (the
replay middleware once imported `bot.commands`, whose listener imported it back): the running
app never noticed, a test file or a worker importing that module alone did. Each module is
imported in turn with every project module (and the metrics registry they fill) forgotten
before it, in one child interpreter so this process's imports play no part.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    ours = ("bot", "workers", "prometheus_client")
    for loaded in [m for m in sys.modules if m.split(".")[0] in ours]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc(limit=1).strip().splitlines()[-1])
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def _modules() -> list[str]:
    names = []
    for package in ("bot", "workers"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__main__":
                continue  # runs a program when imported
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_imports_alone() -> None:
    modules = _modules()
    assert "bot.idempotency" in modules and "workers.engine" in modules
    done = subprocess.run([sys.executable, "-c", _CHILD, *modules], check=False, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"modules that fail to import first:\n{done.stdout}{done.stderr}"
