"""origin502's own time budget for a diagnosis is not the origin's fault.

When the budget (``diagnose(budget=…)``, the CLI's ``--budget``) ends a wait on the origin
before CloudFront's own limit for it would have (attempts × connection timeout, the connection
timeout of a handshake, the response timeout), the report says it could not check, how long it
waited against which CloudFront limit, and how to get the full answer: verdict ``unknown``,
exit 3, never a confident PORT_TIMEOUT, TLS_HANDSHAKE_TIMEOUT or ORIGIN_RESPONSE_TIMEOUT. What
CloudFront itself would not wait through (a full connection or response timeout, a second
``100 Continue``) is still a finding.

Real servers on 127.0.0.1: nginx in front of a backend that never answers (``proxy_pass`` to
a silent port, as an operator's reverse proxy in front of a hung application), a port whose
accept queue is full (SYNs dropped), a port that accepts and never speaks TLS, a peer that
trickles its headers. The budget is injected; the budgets are far below the configured
CloudFront timeouts, so which wait the budget ends does not depend on how fast this machine is.
Nothing asserts on elapsed time.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import pytest
from click.testing import CliRunner

from tests.faults.servers import CONTINUE, MisbehavingServer
from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.ports import DroppingPort, SilentPort
from tests.support.scenario import NAME, codes, make_pki
from workers.diagnose_cli import EXIT_PROBE
from workers.diagnose_cli import diagnose as diagnose_command
from workers.engine import diagnose
from workers.models import Report
from workers.models.provisional import Provisional
from workers.options import build_request

pytestmark = pytest.mark.timeout(90)

TIMEOUT_CODES = {"PORT_TIMEOUT", "TLS_HANDSHAKE_FAILED", "TLS_HANDSHAKE_TIMEOUT",
                 "ORIGIN_RESPONSE_TIMEOUT", "ORIGIN_RESPONSE_STALLED"}


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Any]:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def hung_app(pki, tmp_path_factory):
    """nginx (TLS, the test PKI's chain) proxying to an application that accepts connections
    and never answers: nginx waits on it for a minute before giving up."""
    folder = tmp_path_factory.mktemp("nginx")
    with SilentPort() as backend:
        server = NginxServer(
            tls=TlsFiles.write(folder, pki["leaf"], pki["inter"]), server_names=[NAME],
            body=f"proxy_pass http://127.0.0.1:{backend.port}; proxy_read_timeout 60s;")
        with Nginx([server]) as nginx:
            yield nginx.ports[0]


def request(pki, port: int, **opts: Any):
    opts.setdefault("connection_attempts", 1)
    return build_request(NAME, allow_private=True, resolve=((NAME, "127.0.0.1"),),
                         https_port=port, ca_file=pki["ca"], **opts)


def the_probe(report: Report):
    return report.addresses[0].probes[0]


# --- the response: nginx in front of a hung application ----------------------------------------

def test_budget_ending_the_wait_for_the_response_is_unknown_not_a_timeout(pki, hung_app):
    report = diagnose(request(pki, hung_app, timeout=5, read_timeout=20), budget=3)
    assert report.verdict == "unknown", codes(report)
    assert not TIMEOUT_CODES & set(codes(report))
    http = the_probe(report).http
    assert (http.status, http.reason) == ("error", "timeout")
    assert http.cut is not None and (http.cut.budget_s, http.cut.limit_s) == (3, 20)
    why = report.probe_error or ""
    assert f"127.0.0.1 port {hung_app}: origin502's time budget of 3 s ran out after " in why
    assert ("of waiting for the response, before CloudFront's own limit of 20 s (the 20 s "
            "response timeout)") in why
    assert "run `origin502 diagnose` again with `--budget" in why
    # The layers below were checked: the handshake and the certificate are not in doubt.
    assert the_probe(report).tls.status == "ok" and the_probe(report).tls.chain


def test_the_response_timeout_itself_is_still_a_finding(pki, hung_app):
    # Same origin, CloudFront's response timeout shorter than the (default) budget: a fact.
    report = diagnose(request(pki, hung_app, timeout=5, read_timeout=1))
    assert report.verdict == "fail"
    assert "ORIGIN_RESPONSE_TIMEOUT" in codes(report)
    assert the_probe(report).http.cut is None and report.probe_error is None


def cli(*args: str):
    return CliRunner().invoke(diagnose_command, list(args), catch_exceptions=False)


def test_cli_budget_option_cut_short_exits_3_and_says_how_to_get_the_answer(pki, hung_app):
    args = [NAME, "--resolve", f"{NAME}:127.0.0.1", "--https-port", str(hung_app),
            "--ca-file", pki["ca"], "--connection-attempts", "1", "--read-timeout", "20",
            "--budget", "3"]
    text = cli(*args)
    assert text.exit_code == EXIT_PROBE, text.output
    first = text.stdout.splitlines()[0]
    assert first.startswith("UNKNOWN"), text.stdout
    flat = " ".join(text.stdout.split())
    assert "origin502's time budget of 3 s ran out after" in flat
    assert "CloudFront's own limit of 20 s" in flat and "--budget" in flat
    assert "ORIGIN_RESPONSE_TIMEOUT" not in flat
    assert "HTTP not checked: origin502's time budget ran out first" in flat
    data = json.loads(cli(*args, "--json").stdout)
    assert data["verdict"] == "unknown"
    http = data["addresses"][0]["probes"][0]["http"]
    assert http["status"] == "error" and http["cut"]["limit_s"] == 20


# --- the handshake: a port that accepts and never speaks TLS ----------------------------------

def test_budget_ending_the_handshake_is_unknown_not_a_handshake_failure(pki):
    with SilentPort() as silent:
        report = diagnose(request(pki, silent.port, timeout=10, read_timeout=10), budget=2)
    assert report.verdict == "unknown", codes(report)
    assert not TIMEOUT_CODES & set(codes(report))
    tls = the_probe(report).tls
    assert (tls.status, tls.reason) == ("error", "timeout")
    assert tls.cut is not None and tls.cut.limit_s == 10
    assert "before CloudFront's own limit of 10 s (the 10 s connection timeout)" in (
        report.probe_error or "")
    assert the_probe(report).http.status == "not_run"


def test_a_handshake_timing_out_within_the_budget_is_still_a_failure(pki):
    with SilentPort() as silent:
        report = diagnose(request(pki, silent.port, timeout=0.5, read_timeout=1))
    assert report.verdict == "fail"
    assert "TLS_HANDSHAKE_TIMEOUT" in codes(report)
    assert the_probe(report).tls.cut is None


# --- the connection attempts: a port that drops SYNs, and the first verdict ---------------------

def test_budget_ending_the_connection_attempts_is_unknown_after_a_provisional_fail(pki):
    first: list[Provisional] = []
    with DroppingPort() as dropping:
        # CloudFront: 3 attempts of 1 s. The budget lets the first attempt run its course
        # and ends a later one.
        report = diagnose(request(pki, dropping.port, timeout=1, connection_attempts=3,
                                  read_timeout=5), budget=2.5, on_provisional=first.append)
    assert report.verdict == "unknown", codes(report)
    assert "PORT_TIMEOUT" not in codes(report)
    tcp = the_probe(report).tcp
    assert tcp.status == "error" and tcp.cut is not None and tcp.cut.limit_s == 3
    why = report.probe_error or ""
    assert "origin502's time budget of 2.5 s ran out after" in why
    assert "of connection attempts, before CloudFront's own limit of 3 s (3 × the 1 s " in why
    # The first verdict after the first timed-out attempt is given as before, marked as
    # provisional; the final report replaces it.
    assert first and "PORT_TIMEOUT" in codes(first[-1].report)


def test_budget_shorter_than_the_first_attempt_gives_no_first_verdict(pki):
    first: list[Provisional] = []
    with DroppingPort() as dropping:
        report = diagnose(request(pki, dropping.port, timeout=10, connection_attempts=3,
                                  read_timeout=5), budget=1, on_provisional=first.append)
    # The budget, not the origin, ended the first attempt: nothing to presume from it.
    assert first == []
    assert report.verdict == "unknown" and "PORT_TIMEOUT" not in codes(report)
    assert the_probe(report).tcp.cut is not None


# --- headers trickling in, and a second 100 Continue -------------------------------------------

@pytest.fixture(scope="module")
def tls_context(pki, tmp_path_factory) -> ssl.SSLContext:
    folder = tmp_path_factory.mktemp("ctx")
    files = TlsFiles.write(folder, pki["leaf"], pki["inter"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.certificate, files.key)
    return context


def test_headers_trickling_within_the_response_timeout_are_unknown(pki, tls_context):
    # Every byte comes well within the 2 s response timeout: CloudFront (no response
    # completion timeout) would still be waiting when origin502's budget ran out.
    with MisbehavingServer("trickle", context=tls_context, interval=0.3) as origin:
        report = diagnose(request(pki, origin.port, timeout=2, read_timeout=2), budget=3)
    assert report.verdict == "unknown", codes(report)
    http = the_probe(report).http
    assert (http.status, http.reason) == ("error", "stalled")
    assert http.cut is not None and http.cut.limit_s is None and http.cut.bytes_seen > 0
    assert "still sending its response headers" in (report.probe_error or "")
    assert "no overall limit" in (report.probe_error or "")


def test_a_second_100_continue_before_the_budget_ran_out_is_a_finding(pki, tls_context):
    # CloudFront answers an error to another 100 Continue after the first (facts §4.12): seen
    # before the budget ran out, that is a fact whatever came after.
    with MisbehavingServer("trickle", context=tls_context, interval=0.01,
                           payload=CONTINUE * 40) as origin:
        report = diagnose(request(pki, origin.port, timeout=2, read_timeout=2), budget=3)
    assert report.verdict == "fail", codes(report)
    assert "HTTP_SECOND_100_CONTINUE" in codes(report)
    assert "ORIGIN_RESPONSE_STALLED" not in codes(report)
    http = the_probe(report).http
    assert http.continue_responses >= 2 and http.cut is not None
