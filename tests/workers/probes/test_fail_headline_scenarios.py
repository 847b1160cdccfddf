"""The ``fail`` verdict line against real servers, as the terminal (the CLI), Slack's status
message and a distribution's origin line show it (re-audit items 2, 3 and 5):

- a match-viewer origin whose HTTP port (nginx ``return 503;`` or ``500``) and HTTPS port (a
  good or an expired certificate) fare differently says which viewers get what, and the
  terminal names both ports;
- nginx with an RSA and an ECDSA certificate, only one of them expired (CloudFront may get
  either): a 502 is likely, not confirmed, and the line says so; the exit status stays 1;
- nginx answering ``return 600;``, a status HTTP does not define: not "passed on" as a fact;
- a listener that accepts and never answers, over HTTP: CloudFront's 504, not "502/504".

The test PKI's root is passed as --ca-file, standing in for Mozilla's list.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from bot.render.distribution import run_status
from bot.render.status import status_message
from tests.bot.mrkdwn import emoji, render
from tests.bot.render.test_bot_render_distribution import distribution_report, lookup_run
from tests.bot.reports import run
from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.scenario import (
    NAME,
    errors,
    good_and_expired_files,
    only,
    probe,
    rsa_and_ecdsa_server,
)
from workers.diagnose_cli import diagnose
from workers.headline import lead_finding
from workers.models import Report
from workers.models.distribution import DistributionReport
from workers.terminal import render_report
from workers.terminal_distribution import render_distribution


def headline(report: Report) -> str:
    out = StringIO()
    render_report(report, Console(file=out, width=400, highlight=False))
    return out.getvalue().splitlines()[0]


def slack_line(report: Report) -> str:
    """The status message's verdict line as a person sees it in Slack, up to the leading
    finding's summary that follows it."""
    message = status_message(run("done"), report)
    sections = [b["text"]["text"] for b in message.payload()["blocks"]
                if b["type"] == "section"]
    line = render(next(s for s in sections if s.startswith(":red_circle:"))).visible
    lead = lead_finding(report)
    assert lead is not None and line.endswith(f": {lead.summary}")
    return line.removesuffix(f": {lead.summary}")


def _distribution(report: Report) -> DistributionReport:
    dist = distribution_report()
    dist.probes[0].report, dist.probes[0].verdict = report, report.verdict
    return dist


def terminal_origin_line(report: Report) -> str:
    """The line of a distribution's terminal output for an origin with this report."""
    out = StringIO()
    render_distribution(_distribution(report), Console(file=out, width=400, highlight=False))
    return next(line for line in out.getvalue().splitlines() if line.startswith("FAIL  api"))


def origin_line(report: Report) -> str:
    """The line of a distribution's parent message for an origin with this report."""
    message = run_status(lookup_run(), _distribution(report))
    text = "\n".join(b["text"]["text"] for b in message.payload()["blocks"]
                     if b["type"] == "section")
    return next(line for line in text.splitlines() if "*api*" in line)


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(diagnose, [NAME, "--resolve", f"{NAME}:127.0.0.1",
                                           "--connection-attempts", "1", "--timeout", "3",
                                           *args],
                                env={"COLUMNS": "400"},  # one line per line, unwrapped
                                catch_exceptions=False)
    return result.exit_code, result.stdout


@pytest.fixture(scope="module")
def files(pki: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, TlsFiles]:
    return good_and_expired_files(pki, tmp_path_factory.mktemp("tls"))


# --- #2: match-viewer ---------------------------------------------------------------------

@pytest.mark.parametrize(("http_body", "tls", "said"), [
    ("return 503;", "good",
     ("HTTP viewers would get the origin's own 503 Service Temporarily Unavailable (CloudFront "
      "passes it on); HTTPS viewers: no error found",
      "HTTP viewers: origin answers 503 Service Temporarily Unavailable; HTTPS viewers: no "
      "error found")),
    ("return 500;", "expired",
     ("HTTP viewers would get the origin's own 500 Internal Server Error (CloudFront passes it "
      "on); HTTPS viewers would get CloudFront's 502",
      "HTTP viewers: origin answers 500 Internal Server Error; HTTPS viewers: 502 expected")),
    ("return 200 'ok';", "expired",
     ("HTTP viewers: no error found; HTTPS viewers would get CloudFront's 502",
      "HTTP viewers: no error found; HTTPS viewers: 502 expected")),
])
def test_match_viewer_says_which_viewers_get_what(pki, files, http_body, tls, said):
    sentence, words = said
    servers = [NginxServer(body=http_body), NginxServer(tls=files[tls], body="return 200 'ok';")]
    with Nginx(servers) as nginx:
        http_port, https_port = nginx.ports
        status, out = cli("--protocol-policy", "match-viewer", "--http-port", str(http_port),
                          "--https-port", str(https_port), "--ca-file", pki["ca"])
        report = probe(pki["ca"], https_port, protocol_policy="match-viewer",
                       http_port=http_port)
    assert status == 1  # an error finding, as the README documents
    assert out.splitlines()[0] == (
        f"FAIL  {NAME} (match-viewer, HTTP port {http_port}, HTTPS port {https_port}) — "
        f"{sentence}.")
    assert headline(report) == out.splitlines()[0]
    assert slack_line(report) == f"{emoji('red_circle')} {sentence}"
    assert f": {words} — " in origin_line(report)
    assert terminal_origin_line(report).endswith(f" — serves /api/*: {words}")


def test_match_viewer_both_ports_failing_alike_is_one_sentence(pki, files):
    servers = [NginxServer(body="return 503;"), NginxServer(tls=files["good"], body="return 503;")]
    with Nginx(servers) as nginx:
        report = probe(pki["ca"], nginx.ports[1], protocol_policy="match-viewer",
                       http_port=nginx.ports[0])
    assert headline(report).endswith(" — Viewers would get the origin's own 503 Service "
                                     "Temporarily Unavailable (CloudFront passes it on).")


# --- #3: every error uncertain --------------------------------------------------------------

def test_dual_certificates_one_expired_say_a_502_is_likely_not_confirmed(pki, tmp_path):
    server = rsa_and_ecdsa_server(pki, tmp_path, rsa_expired=True, ecdsa_expired=False)
    with Nginx([server]) as nginx:
        status, out = cli("--https-port", str(nginx.port), "--ca-file", pki["ca"])
        report = probe(pki["ca"], nginx.port)
    assert errors(report) == ["CERT_EXPIRED"] and only(report, "CERT_EXPIRED").uncertain
    sentence = ("CloudFront's 502 is likely but not confirmed — it rests on 1 uncertain "
                "finding: a certificate has expired")
    assert status == 1  # the verdict and exit status are unchanged: fail
    assert out.splitlines()[0] == f"FAIL  {NAME} (https-only, port {nginx.port}) — {sentence}."
    assert "CloudFront would answer" not in out.splitlines()[0]
    assert slack_line(report) == f"{emoji('red_circle')} {sentence}"
    assert ": 502 likely, not confirmed — CERT_EXPIRED" in origin_line(report)


def test_dual_certificates_both_expired_are_a_confident_502(pki, tmp_path):
    server = rsa_and_ecdsa_server(pki, tmp_path, rsa_expired=True, ecdsa_expired=True)
    with Nginx([server]) as nginx:
        report = probe(pki["ca"], nginx.port)
    assert headline(report).endswith(" — CloudFront would answer 502 for this origin.")


# --- #5: a status HTTP does not define ------------------------------------------------------

def test_status_600_is_not_said_to_be_passed_on(pki, files):
    with Nginx([NginxServer(tls=files["good"], body="return 600;")]) as nginx:
        status, out = cli("--https-port", str(nginx.port), "--ca-file", pki["ca"])
        report = probe(pki["ca"], nginx.port)
    assert errors(report) == ["HTTP_STATUS_INVALID"]
    finding = only(report, "HTTP_STATUS_INVALID")
    assert finding.uncertain and "passed_on" not in finding.evidence
    assert "status 600" in finding.summary and "outside the 100-599 range" in finding.summary
    assert "OriginInvalidResponseError" in finding.remediation[0]
    assert "ORIGIN_RETURNED_ERROR" not in out and "passes it on" not in out
    assert status == 1
    assert out.splitlines()[0].endswith(
        " — An error from CloudFront (AWS does not document which status) is likely but not "
        "confirmed — it rests on 1 uncertain finding: the origin answers with a status code "
        "HTTP does not define.")


def test_status_599_is_still_the_origins_own_error(pki, files):
    with Nginx([NginxServer(tls=files["good"], body="return 599;")]) as nginx:
        report = probe(pki["ca"], nginx.port)
    assert errors(report) == ["ORIGIN_RETURNED_ERROR"]
    assert "the origin's own 599" in headline(report)


# --- 504 where AWS documents it ---------------------------------------------------------------


def test_no_response_in_time_is_cloudfronts_504(pki, silent_listener):
    report = probe(pki["ca"], 443, protocol_policy="http-only", http_port=silent_listener,
                   read_timeout=1)
    assert errors(report) == ["ORIGIN_RESPONSE_TIMEOUT"]
    assert headline(report).endswith(" — CloudFront would answer 504 for this origin.")
    assert slack_line(report) == (f"{emoji('red_circle')} CloudFront would answer 504 "
                                  "for this origin")
