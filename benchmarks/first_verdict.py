"""How soon does a person at a terminal get a verdict for an origin that does not answer?

Runs whole `origin502 diagnose` processes on a pseudo-terminal (as a person at a terminal
runs them) at CloudFront's default settings (connection timeout 10 s, 3 connection attempts,
response timeout 30 s), against loopback origins made here:

- dropped port: a listener whose accept queue is full, so SYNs are dropped (a firewall that
  drops packets); CloudFront waits 3 attempts x 10 s;
- silent origin: connections are accepted but the TLS handshake is never answered; the
  handshake waits the connection timeout;
- silent application: TLS completes but the request is never answered; the wait is the
  30 s response timeout, CloudFront's own per-attempt wait for a response, so no earlier
  verdict is given (one would be a guess: an origin answering after 20 s works).

For each run it records, from what the terminal drew, when the first verdict appeared (the
provisional one, or the final report when there is no provisional one) and when the final
report appeared. The baseline is the final verdict's time in the same run: before issue 8 that
was the first thing on screen. Runs are interleaved (A B C A B C ...) so that machine load hits
every case alike; medians are printed with the ratio first / final. Loopback only.

    .venv/bin/python benchmarks/first_verdict.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.certs import CertFactory, write_pem  # noqa: E402
from tests.support.ports import DroppingPort, SilentPort  # noqa: E402
from tests.support.pty_run import origin502_command, run_in_pty  # noqa: E402
from tests.support.tls_origin import TlsOrigin  # noqa: E402

NAME = "origin.test"
PROVISIONAL = "Provisional verdict:"
AIM = 11.0  # seconds (issue 8)


@dataclass
class Case:
    label: str
    port: int
    extra: list[str] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    final: list[float] = field(default_factory=list)


def measure(case: Case) -> None:
    """One whole process on a terminal; appends its two times to ``case``."""
    args = [*origin502_command(), "diagnose", NAME, "--resolve", f"{NAME}:127.0.0.1",
            "--https-port", str(case.port), *case.extra]
    env = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8", "COLUMNS": "200"}
    run = run_in_pty(args, env=env, timeout=180)
    # The final report's first line: "FAIL  origin.test (https-only, port N) — ...".
    final = run.first_seen(f"  {NAME} (https-only, port {case.port})")
    if final is None:
        raise SystemExit(f"{case.label}: no final report drawn:\n{run.text[-2000:]}")
    provisional = run.first_seen(PROVISIONAL)
    case.first.append(min(final, provisional) if provisional is not None else final)
    case.final.append(final)


def interleaved(cases: list[Case], runs: int, each: Callable[[Case], None]) -> None:
    for number in range(runs):
        for case in cases:
            each(case)
            print(f"  run {number + 1}/{runs} {case.label}: first {case.first[-1]:.2f} s, "
                  f"final {case.final[-1]:.2f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs

    factory = CertFactory()
    root = factory.root()
    inter = factory.intermediate(root)
    leaf = factory.leaf(inter, names=[NAME])
    ca = write_pem(Path(tempfile.mkdtemp()) / "roots.pem", root)

    with DroppingPort() as dropping, SilentPort() as silent, \
            TlsOrigin([leaf, inter], leaf, http="hang") as hanging:
        cases = [
            Case("dropped port (SYNs dropped)", dropping.port),
            Case("silent origin (TCP accepted, no TLS answer)", silent.port),
            Case("silent application (TLS ok, no HTTP answer)", hanging.port,
                 ["--ca-file", str(ca)]),
        ]
        print(f"whole `origin502 diagnose` processes on a pseudo-terminal, default settings "
              f"(10 s x 3 connection attempts, 30 s response timeout), loopback; {runs} runs "
              "each, interleaved")
        interleaved(cases, runs, measure)

    print()
    print(f"{'case':46} {'first verdict':>14} {'final verdict':>14} {'ratio':>7}")
    print(f"{'':46} {'':>14} {'(baseline)':>14}")
    for case in cases:
        first, final = statistics.median(case.first), statistics.median(case.final)
        mark = "" if first <= AIM else f"  (over the {AIM:g} s aim)"
        print(f"{case.label:46} {first:12.2f} s {final:12.2f} s {first / final:6.2f}x{mark}")
    print("medians; the baseline is the final verdict of the same runs, which was the first "
          "thing on screen before the provisional verdict")


if __name__ == "__main__":
    main()
