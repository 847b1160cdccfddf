"""A distribution with one origin that drops SYNs: a verdict per origin as soon as its first
connection attempt timed out, naming the failing origin, then the final report, which still
counts every dropped attempt. Real boto3 against moto's server on loopback, a healthy TLS
origin and a port whose accept queue is full (tests/support/ports.py), both on 127.0.0.1;
1 s attempts (CloudFront's API takes whole seconds). The checks are on the order of what was
shown and its content, never on elapsed time.

At a terminal the same is drawn on stderr while it runs (a line per origin still probing);
in a pipe and with --json only the final report is printed."""

from __future__ import annotations

import json
import os
import subprocess
import threading

import pytest

from tests.support.aws import behaviour, create_distribution, custom_origin
from tests.support.ports import DroppingPort
from tests.support.pty_run import origin502_command, run_in_pty
from tests.support.tls_origin import TlsOrigin
from tests.workers.aws.conftest import leaf
from workers.aws.access import AwsAccess
from workers.aws.lookup import look_up
from workers.aws.session import cloudfront_client
from workers.distribution import diagnose_distribution, plan, viewer_request
from workers.distribution_live import DistributionWatch
from workers.engine import diagnose
from workers.models.distribution_live import DONE, PROBING, PROVISIONAL, VIEWER
from workers.options import build_options

NOTE = "first attempt timed out; 2 more attempts running…"
ORIGINS = ("web.shop.test", "api.shop.test")


@pytest.fixture
def shop(aws, pki):
    """www.shop.test: origin web (a healthy TLS server) serves *, origin api (a port that
    drops SYNs, 3 attempts of 1 s) serves /api/*."""
    client, _front = aws
    web_leaf = leaf(pki, "web.shop.test")
    with TlsOrigin([web_leaf, pki["inter"]], web_leaf) as web, DroppingPort() as dropping:
        dist = create_distribution(
            client, aliases=["www.shop.test"],
            origins=[custom_origin("web", "web.shop.test", https_port=web.port),
                     custom_origin("api", "api.shop.test", https_port=dropping.port,
                                   attempts=3, connect_timeout=1)],
            default=behaviour("web"), behaviours=[behaviour("api", "/api/*")])
        yield dist, dropping.port


def run_site(pki, watch: DistributionWatch | None):
    result = look_up(cloudfront_client(AwsAccess()), "www.shop.test")
    options = build_options(allow_private=True, ca_file=pki["ca"],
                            resolve=tuple((name, "127.0.0.1") for name in ORIGINS))
    planned = plan(result, options)
    return diagnose_distribution("www.shop.test", result, planned, diagnose,
                                 viewer=viewer_request(result, options), watch=watch)


def test_the_failing_origin_is_named_after_its_first_attempt_then_the_final_report(shop, pki):
    seen = []
    lock = threading.Lock()
    watch = DistributionWatch()

    def record() -> None:
        with lock:
            seen.append(watch.snapshot())

    watch.on_verdict = record
    report = run_site(pki, watch)

    def api(live):
        return next(o for o in live.origins if o.origin_id == "api")

    states = [api(live).state for live in seen]
    first = states.index(PROVISIONAL)
    assert DONE in states[first:] and PROBING not in states[first:]
    provisional = seen[first]
    entry = api(provisional)
    assert (entry.verdict, entry.code, entry.note) == ("fail", "PORT_TIMEOUT", NOTE)
    assert "1 attempt of 1 s" in entry.summary
    # The distribution's answer so far names the failing origin, whatever the others do.
    assert provisional.verdict == "fail"
    assert [o.origin_id for o in provisional.failing] == ["api"]
    assert [o.kind for o in provisional.origins].count(VIEWER) == 1
    # Updated as the remaining attempts time out, then final: the last thing heard.
    notes = [api(live).note for live in seen if api(live).state == PROVISIONAL]
    assert notes[-1] == "2 attempts timed out; 1 more attempt running…"
    last = seen[-1]
    assert all(o.state == DONE for o in last.origins)
    # The viewer side is read for CloudFront's answer (in the report): no verdict of its own.
    assert [o.verdict for o in last.origins if o.kind == VIEWER] == [None]
    assert api(last).verdict == "fail" and "3 attempts of 1 s" in api(last).summary

    # The final report is what it is unwatched: every dropped attempt counted.
    plain = run_site(pki, None)
    assert report.verdict == plain.verdict == "fail"
    (api_probe,) = [p for p in report.probes if p.origin_id == "api"]
    tcp = api_probe.report.addresses[0].probes[0].tcp
    assert tcp.attempts == 3
    codes = {p.origin_id: [f.code for f in p.report.findings] for p in report.probes}
    assert codes == {p.origin_id: [f.code for f in p.report.findings] for p in plain.probes}
    timeout = next(f for f in api_probe.report.findings if f.code == "PORT_TIMEOUT")
    assert "3 attempts of 1 s" in timeout.summary


def cli_args(pki, *extra: str) -> list[str]:
    resolve = [arg for name in ORIGINS for arg in ("--resolve", f"{name}:127.0.0.1")]
    return [*origin502_command(), "diagnose", "www.shop.test", *resolve, "--ca-file", pki["ca"],
            *extra]


def cli_env() -> dict[str, str]:
    # os.environ holds the aws fixture's loopback AWS and DNS settings.
    return {**os.environ, "TERM": "xterm-256color", "LANG": "C.UTF-8", "COLUMNS": "200"}


def test_terminal_shows_each_origin_then_the_provisional_verdict_then_the_report(shop, pki):
    dist, _port = shop
    run = run_in_pty(cli_args(pki), env=cli_env())
    text = run.text
    assert run.returncode == 1, text
    waiting = text.index("api (api.shop.test): TCP: no answer for")
    headline = text.index("Provisional verdict: FAIL — Viewers would get errors from origin api")
    # A dropped SYN: 502 or 504, AWS does not document which.
    origin = text.index("FAIL  api (api.shop.test) (provisional) — 502 or 504 expected — "
                        "PORT_TIMEOUT")
    note = text.index(NOTE, origin)
    final = text.index(f"Distribution {dist['Id']}")
    assert waiting < headline < final and origin < note < final
    assert "1 attempt of 1 s" in text[origin:final]
    report = text[final:]
    assert "3 attempts of 1 s" in report
    for live in ("Provisional", "provisional", "no answer for", "still running"):
        assert live not in report


def test_a_pipe_gets_only_the_final_report(shop, pki):
    dist, _port = shop
    result = subprocess.run(cli_args(pki), capture_output=True, text=True, env=cli_env(),
                            timeout=120, check=False)
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith(f"Distribution {dist['Id']}")
    assert "3 attempts of 1 s" in result.stdout
    for live in ("Provisional", "no answer for", "still running", NOTE):
        assert live not in result.stdout and live not in result.stderr


def test_json_is_one_final_document_even_at_a_terminal(shop, pki):
    run = run_in_pty(cli_args(pki, "--json"), env=cli_env())
    output = run.raw.replace("\r\n", "\n")
    assert run.returncode == 1, output
    data = json.loads(output)  # nothing but the document
    assert data["kind"] == "distribution" and data["verdict"] == "fail"
    (api,) = [o for o in data["distribution"]["origins"] if o["id"] == "api"]
    report = api["probes"][0]["report"]
    assert report["addresses"][0]["probes"][0]["tcp"]["attempts"] == 3
    assert "provisional" not in output.lower()
