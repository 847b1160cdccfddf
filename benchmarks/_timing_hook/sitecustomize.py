"""Benchmark-only import hook (benchmarks/watch_cycle.py puts this folder on PYTHONPATH of the
workers it starts): when ORIGIN502_BENCH_TIMINGS names a folder, the engine's `diagnose` is
wrapped so each report's per-connection TLS and first-byte times are appended there, one JSON
line per connection, one file per process. It patches the module as it is imported, so the
code measured (a baseline checkout too) stays as it is."""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import os
import sys
import threading
from typing import Any

_FOLDER = os.environ.get("ORIGIN502_BENCH_TIMINGS")
_LOCK = threading.Lock()
_FILES: dict[int, Any] = {}


def _record(report: Any) -> None:
    lines = []
    for address in report.addresses:
        for probe in address.probes:
            timings = probe.timings_ms or {}
            if "tls" in timings:
                lines.append(json.dumps({"tls": timings.get("tls"),
                                         "first_byte": timings.get("first_byte")}))
    if not lines:
        return
    with _LOCK:
        handle = _FILES.get(os.getpid())
        if handle is None:
            handle = open(os.path.join(_FOLDER or ".", f"t-{os.getpid()}.jsonl"), "a")  # noqa: SIM115
            _FILES[os.getpid()] = handle
        handle.write("\n".join(lines) + "\n")
        handle.flush()


def _patch(module: Any) -> None:
    real = module.diagnose

    def diagnose(*args: Any, **kwargs: Any) -> Any:
        report = real(*args, **kwargs)
        _record(report)
        return report

    module.diagnose = diagnose


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "workers.engine":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        loader: Any = spec.loader
        execute = loader.exec_module

        def exec_module(module: Any) -> None:
            execute(module)
            _patch(module)

        loader.exec_module = exec_module
        return spec


if _FOLDER:
    sys.meta_path.insert(0, _Finder())
