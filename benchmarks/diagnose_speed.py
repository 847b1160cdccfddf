"""How fast is a diagnosis of a healthy origin? Like is compared with like, in one run.

Starts a healthy TLS origin on 127.0.0.1 (certificates minted here) and measures, on that origin,
two pairs — each side of a pair pays the same kind of cost:

1. In-process, warm (what a running worker pays per probe):
   ``workers.engine.diagnose`` against the least a client can do in the same interpreter —
   one verified TLS 1.2 handshake (``ssl``, same CA file, SNI) and one ``GET /`` over it
   (``http.client``), reading the status line and headers as the engine does.
2. Whole processes, cold (what a person at a terminal or a CI step pays):
   ``origin502 diagnose --json`` against
   - the floor: ``openssl s_client`` (handshake) then ``curl`` (GET), both as processes;
   - sslyze's targeted scan: certificate + the protocols CloudFront can use toward an origin
     (``--certinfo --sslv3 --tlsv1 --tlsv1_1 --tlsv1_2``), as a process. sslyze pins its own
     cryptography, so it lives in a venv of its own (created on first use from PyPI, in
     ``benchmarks/.sslyze-venv``); with no index reachable that line is skipped.

   Both run as a user has them installed: each in a venv of its own, put there by ``pip install``
   (origin502 with ``pip install .`` from this checkout, as the README's first command does, in
   ``benchmarks/.origin502-venv``; refreshed from the checkout on every run), so both run from
   the bytecode pip compiles. An editable checkout would pay for its import hook at every start
   (pathlib, fnmatch, importlib.util: 3-4 ms) that an installed origin502 does not; with no
   index reachable for the dependencies, the checkout's own venv is used instead and said so.

Runs are interleaved (A B A B ...) so that a change in machine load hits both sides alike.
Prints medians, the baseline and the ratio of each pair. Traffic goes to loopback only.

    .venv/bin/python benchmarks/diagnose_speed.py [--runs 15]
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.certs import CertFactory, write_pem  # noqa: E402
from tests.support.tls_origin import TlsOrigin  # noqa: E402
from workers.engine import diagnose  # noqa: E402
from workers.options import build_request  # noqa: E402

NAME = "origin.test"
SSLYZE_VENV = ROOT / "benchmarks" / ".sslyze-venv"
ORIGIN502_VENV = ROOT / "benchmarks" / ".origin502-venv"


def interleaved(pairs: dict[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """Run each callable `runs` times, round-robin; seconds per run, by name."""
    samples: dict[str, list[float]] = {name: [] for name in pairs}
    for _ in range(runs):
        for name, fn in pairs.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return samples


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def compile_checkout() -> None:
    """Write bytecode for the checkout's own modules, as an installed origin502 has it."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "bot"),
                    str(ROOT / "workers")], check=True, capture_output=True)


def installed_origin502() -> str | None:
    """The origin502 command of a venv where this checkout is installed with ``pip install .``
    (refreshed on every run: the checkout may have changed); None when that cannot be done."""
    python = ORIGIN502_VENV / "bin" / "python"
    if not python.exists():
        made = subprocess.run([sys.executable, "-m", "venv", str(ORIGIN502_VENV)], check=False)
        if made.returncode != 0:
            return None
        full = subprocess.run([str(python), "-m", "pip", "install", "-q", str(ROOT)],
                              capture_output=True, check=False, timeout=900)
        if full.returncode != 0:
            return None
    # The dependencies are in place: only origin502 itself is replaced by the checkout's.
    # setuptools builds in the checkout's build/ (git-ignored) and would package a module
    # deleted since the last build along with the rest: build from nothing.
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    fresh = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(ROOT)],
        capture_output=True, check=False, timeout=900)
    if fresh.returncode != 0:
        return None
    return str(ORIGIN502_VENV / "bin" / "origin502")


def sslyze_python() -> str | None:
    """The interpreter of a venv that has sslyze, creating it once; None when impossible."""
    python = SSLYZE_VENV / "bin" / "python"
    if not python.exists():
        made = subprocess.run([sys.executable, "-m", "venv", str(SSLYZE_VENV)], check=False)
        if made.returncode != 0:
            return None
    check = subprocess.run([str(python), "-c", "import sslyze"], capture_output=True, check=False)
    if check.returncode != 0:
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "sslyze>=6"],
            capture_output=True,
            check=False,
            timeout=600,
        )
        if installed.returncode != 0:
            return None
    return str(python)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--cold-runs", type=int, default=None,
                        help="whole-process runs of each side (default: --runs)")
    args = parser.parse_args()
    runs = args.runs

    factory = CertFactory()
    root = factory.root()
    inter = factory.intermediate(root)
    leaf = factory.leaf(inter, names=[NAME])
    tmp = Path(tempfile.mkdtemp())
    ca = write_pem(tmp / "roots.pem", root)
    origin502 = installed_origin502()
    how = "installed with pip install . in a venv of its own"
    if origin502 is None:
        compile_checkout()
        origin502 = shutil.which("origin502", path=str(Path(sys.executable).parent)) or "origin502"
        how = "this checkout's venv (editable), byte-compiled: could not install it apart"
    sslyze = sslyze_python()

    with TlsOrigin([leaf, inter], leaf) as origin:
        port = origin.port
        request = build_request(
            NAME, resolve=((NAME, "127.0.0.1"),), https_port=port, ca_file=str(ca)
        )
        context = ssl.create_default_context(cafile=str(ca))
        # CloudFront speaks at most TLS 1.2 to an origin, and so does the engine.
        context.maximum_version = ssl.TLSVersion.TLSv1_2

        def handshake_and_get() -> None:
            raw = socket.create_connection(("127.0.0.1", port), timeout=10)
            with context.wrap_socket(raw, server_hostname=NAME) as tls:
                connection = http.client.HTTPConnection(NAME, port, timeout=10)
                connection.sock = tls
                connection.request("GET", "/", headers={"Host": NAME})
                # The status line and headers, as the engine reads them (not the body).
                connection.getresponse()

        diagnose(request)  # warm the trust store, as a running worker has it
        handshake_and_get()
        warm = interleaved(
            {"origin502": lambda: diagnose(request), "baseline": handshake_and_get}, runs
        )

        def cli() -> None:
            subprocess.run(
                [origin502, "diagnose", NAME, "--resolve", f"{NAME}:127.0.0.1",
                 "--https-port", str(port), "--ca-file", str(ca), "--json"],
                capture_output=True, check=False, timeout=60,
            )

        def floor() -> None:
            subprocess.run(
                ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", NAME,
                 "-CAfile", str(ca)],
                input=b"", capture_output=True, check=False, timeout=10,
            )
            subprocess.run(
                ["curl", "-s", "-o", "/dev/null", "--cacert", str(ca), "--resolve",
                 f"{NAME}:{port}:127.0.0.1", f"https://{NAME}:{port}/"],
                capture_output=True, check=False, timeout=10,
            )

        cold_pairs: dict[str, Callable[[], object]] = {"origin502": cli, "floor": floor}
        if sslyze:
            cold_pairs["sslyze"] = lambda: subprocess.run(
                [sslyze, "-m", "sslyze", f"{NAME}:{port}{{127.0.0.1}}", "--certinfo",
                 "--sslv3", "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--quiet"],
                capture_output=True, check=False, timeout=120,
            )
        cold = interleaved(cold_pairs, args.cold_runs or runs)

    print(f"healthy loopback origin {NAME}:{port}; medians; runs interleaved")
    print("1. in-process, warm")
    o, b = median_ms(warm["origin502"]), median_ms(warm["baseline"])
    print(f"   origin502 engine.diagnose              {o:8.1f} ms  ({runs} runs)")
    print(f"   baseline: ssl handshake + GET          {b:8.1f} ms  ({runs} runs)")
    print(f"   ratio                                  {o / b:8.2f} x the baseline")
    print(f"2. whole processes, cold (origin502 {how})")
    n = len(cold["origin502"])
    c, f = median_ms(cold["origin502"]), median_ms(cold["floor"])
    print(f"   origin502 diagnose --json              {c:8.1f} ms  ({n} runs)")
    print(f"   floor: openssl s_client + curl         {f:8.1f} ms  ({n} runs)")
    print(f"   ratio                                  {c / f:8.2f} x the floor (aim: <= 2.5)")
    if "sslyze" in cold:
        s = median_ms(cold["sslyze"])
        print(f"   sslyze certinfo + ssl3..tls1.2         {s:8.1f} ms  ({n} runs)")
        print(f"   ratio                                  {s / c:8.2f} x faster than sslyze "
              "(aim: >= 5)")
    else:
        print("   sslyze: could not be installed here, skipped")


if __name__ == "__main__":
    main()
