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

- distribution, one origin dropping SYNs: `origin502 diagnose www.bench.test` on a site whose
  distribution (read with real boto3 from moto's server on loopback) has a healthy TLS origin
  and an origin on a dropped port, both at CloudFront's defaults; the first verdict is the
  live region naming the failing origin, the final one the distribution report;
- match-viewer, both ports dropped: an origin probed over HTTPS and HTTP; CloudFront waits
  3 x 10 s on each scheme (probed one after the other before issue 8: 60 s).

For each run it records, from what the terminal drew, when the first verdict appeared (the
provisional one, or the final report when there is no provisional one) and when the final
report appeared. The baseline is the final verdict's time in the same run: before issue 8 that
was the first thing on screen. Runs are interleaved (A B C A B C ...) so that machine load hits
every case alike; medians are printed with the ratio first / final. Loopback only.

    .venv/bin/python benchmarks/first_verdict.py [--runs 3] [--only distribution,match-viewer]

Run with another checkout's interpreter (``/other/.venv/bin/python benchmarks/...``) to time
that checkout's `origin502` with these same origins (a before/after comparison).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
SITE = "www.bench.test"
SITE_ORIGINS = ("web.bench.test", "api.bench.test")


@dataclass
class Case:
    label: str
    port: int
    extra: list[str] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    final: list[float] = field(default_factory=list)
    # The whole command after `origin502 diagnose`, the final report's first line and the
    # first verdict's words, when not the plain origin's.
    args: list[str] | None = None
    final_mark: str | None = None
    first_mark: str = PROVISIONAL
    env: dict[str, str] = field(default_factory=dict)


def measure(case: Case) -> None:
    """One whole process on a terminal; appends its two times to ``case``."""
    args = [*origin502_command(), "diagnose",
            *(case.args or [NAME, "--resolve", f"{NAME}:127.0.0.1",
                            "--https-port", str(case.port), *case.extra])]
    env = {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8", "COLUMNS": "200",
           **case.env}
    run = run_in_pty(args, env=env, timeout=180)
    # The final report's first line: "FAIL  origin.test (https-only, port N) — ...".
    final = run.first_seen(case.final_mark or f"  {NAME} (https-only, port {case.port})")
    if final is None:
        raise SystemExit(f"{case.label}: no final report drawn:\n{run.text[-2000:]}")
    provisional = run.first_seen(case.first_mark)
    case.first.append(min(final, provisional) if provisional is not None else final)
    case.final.append(final)


def interleaved(cases: list[Case], runs: int, each: Callable[[Case], None]) -> None:
    for number in range(runs):
        for case in cases:
            each(case)
            print(f"  run {number + 1}/{runs} {case.label}: first {case.first[-1]:.2f} s, "
                  f"final {case.final[-1]:.2f} s", flush=True)


@contextmanager
def distribution_case(web_port: int, dropped_port: int, ca: str) -> Iterator[Case]:
    """A site on moto's CloudFront on loopback: origin web (healthy) and api (drops SYNs), at
    CloudFront's default connection settings; names resolved by our own DNS server."""
    from tests.support.aws import (
        CloudFrontFront,
        MotoServer,
        aws_env,
        behaviour,
        create_distribution,
        custom_origin,
    )
    from tests.support.dns_server import FakeDns
    from workers.headline import distribution_fail_sentence

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    with MotoServer() as moto, CloudFrontFront(moto.port) as front, FakeDns() as dns, \
            tempfile.TemporaryDirectory() as tmp:
        env = {**aws_env(front.url, moto.port, tmp), "ORIGIN502_NAMESERVER": dns.nameserver}
        for name in SITE_ORIGINS:
            dns.set(name, [("A", "127.0.0.1")])
        import boto3

        client = boto3.client("cloudfront", region_name="us-east-1", endpoint_url=front.url,
                              aws_access_key_id="testing", aws_secret_access_key="testing")
        dist = create_distribution(
            client, aliases=[SITE],
            origins=[custom_origin("web", SITE_ORIGINS[0], https_port=web_port, attempts=3,
                                   connect_timeout=10, read_timeout=30),
                     custom_origin("api", SITE_ORIGINS[1], https_port=dropped_port,
                                   attempts=3, connect_timeout=10, read_timeout=30)],
            default=behaviour("web"), behaviours=[behaviour("api", "/api/*")])
        yield Case("distribution, one origin drops SYNs", dropped_port,
                   args=[SITE, "--ca-file", ca], env=env,
                   final_mark=f"Distribution {dist['Id']}",
                   # The live region's words, from where it takes them (a wording change
                   # must not make this benchmark miss the provisional verdict).
                   first_mark=f"Provisional verdict: FAIL — {distribution_fail_sentence(['api'])}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated: dropped, silent-tls, "
                        "silent-http, match-viewer, distribution")
    parsed = parser.parse_args()
    runs = parsed.runs
    only = {x.strip() for x in parsed.only.split(",") if x.strip()}

    factory = CertFactory()
    root = factory.root()
    inter = factory.intermediate(root)
    leaf = factory.leaf(inter, names=[NAME])
    ca = write_pem(Path(tempfile.mkdtemp()) / "roots.pem", root)

    site_leaf = factory.leaf(inter, names=list(SITE_ORIGINS))
    with DroppingPort() as dropping, SilentPort() as silent, DroppingPort() as dropping_http, \
            TlsOrigin([leaf, inter], leaf, http="hang") as hanging, \
            TlsOrigin([site_leaf, inter], site_leaf) as web, \
            distribution_case(web.port, dropping.port, str(ca)) as site:
        named = {
            "dropped": Case("dropped port (SYNs dropped)", dropping.port),
            "silent-tls": Case("silent origin (TCP accepted, no TLS answer)", silent.port),
            "silent-http": Case("silent application (TLS ok, no HTTP answer)", hanging.port,
                                ["--ca-file", str(ca)]),
            "match-viewer": Case("match-viewer, HTTPS and HTTP ports dropped", dropping.port,
                                 ["--protocol-policy", "match-viewer", "--http-port",
                                  str(dropping_http.port)],
                                 # "(match-viewer, HTTP port N, HTTPS port M)"
                                 final_mark=f"  {NAME} (match-viewer, "),
            "distribution": site,
        }
        cases = [case for key, case in named.items() if not only or key in only]
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
