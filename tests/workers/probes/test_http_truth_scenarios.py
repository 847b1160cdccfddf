"""The HTTP layer against servers configured as operators configure them: what CloudFront does
with the answer, and what viewers then get.

nginx serves every case it can show: response headers over CloudFront's 20,480-byte limit, its
own 503/500, "The plain HTTP request was sent to HTTPS port" on an HTTP port that speaks TLS, a
short `keepalive_timeout`, an HTTP-to-HTTPS redirect. gnutls-serv and openssl s_server are TLS
servers that are not nginx (one answers plain HTTP with a TLS alert, the other closes). Python
only for two `100 Continue` in a row, which no server here sends on its own.
"""

from __future__ import annotations

import socket
import ssl
from io import StringIO

import pytest
from rich.console import Console

from bot.render.status import verdict_line
from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.scenario import NAME, codes, errors, only, probe
from tests.support.tls_origin import TlsOrigin
from tests.support.tls_servers import gnutls_serv, openssl_s_server
from workers.diagnose_cli import exit_status
from workers.diagnosis.catalog import LINK_503, LINK_ORIGIN_ERRORS
from workers.models import Report
from workers.models.cloudfront import RESPONSE_HEAD_LIMIT
from workers.terminal import render_report

VIEWER_HOST = "www.example.test"


def diagnose(pki, port: int, **opts) -> Report:
    return probe(pki["ca"], port, **opts)


def headline(report: Report) -> str:
    """The terminal's verdict sentence (after the target and its port, which may hold "502")."""
    out = StringIO()
    render_report(report, Console(file=out, width=400, highlight=False))
    return out.getvalue().splitlines()[0].split(" — ", 1)[1]


def response_head(port: int) -> bytes:
    """The response head nginx sends to a GET like CloudFront's, read here byte for byte."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname=NAME) as tls:
        tls.sendall(f"GET / HTTP/1.1\r\nHost: {NAME}\r\nUser-Agent: Amazon CloudFront\r\n"
                    "Connection: keep-alive\r\nAccept: */*\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = tls.recv(65536)
            assert chunk, "nginx closed before its headers ended"
            data += chunk
    return data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"


@pytest.fixture()
def tls_files(pki, tmp_path) -> TlsFiles:
    return TlsFiles.write(tmp_path, pki["leaf"], pki["inter"])


# --- response headers over CloudFront's 20,480 bytes ------------------------------------------


def _site_headers() -> list[tuple[str, str]]:
    """A long Content-Security-Policy and six session cookies of 3,000 characters: 21.8 KB."""
    csp = "default-src 'self'; script-src 'self' " + " ".join(
        f"https://cdn{i}.partner-{i}.example.net" for i in range(90)) + ";"
    cookies = [("Set-Cookie", f"sess_{i}={chr(97 + i) * 3000}; Path=/; Secure; HttpOnly")
               for i in range(6)]
    return [("Content-Security-Policy", csp), *cookies]


def test_response_headers_over_the_limit_are_an_error_with_their_size(pki, tls_files):
    with Nginx([NginxServer(tls=tls_files, headers=_site_headers())]) as server:
        report = diagnose(pki, server.port)
        head = response_head(server.port)
    finding = only(report, "HTTP_HEADERS_TOO_LARGE")
    assert finding.severity == "error" and not finding.uncertain
    # The figure is the head as nginx sent it, status line to blank line.
    assert finding.evidence["head_bytes"] == len(head) > RESPONSE_HEAD_LIMIT
    assert f"{len(head):,} bytes of response headers" in finding.summary
    assert "Set-Cookie" in finding.summary and "Content-Security-Policy" in finding.summary
    assert any("OriginHeaderTooBigError" in step for step in finding.remediation)
    assert report.verdict == "fail" and exit_status(report.verdict) == 1
    # Which status viewers get is not documented: the verdict does not claim a 502.
    assert "does not document which status" in headline(report)


def test_response_headers_under_the_limit_are_not_a_finding(pki, tls_files):
    headers = _site_headers()[:5]  # the policy and four cookies: about 15.6 KB
    with Nginx([NginxServer(tls=tls_files, headers=headers)]) as server:
        report = diagnose(pki, server.port)
        head = response_head(server.port)
    assert 12_000 < len(head) < RESPONSE_HEAD_LIMIT
    assert report.addresses[0].probes[0].http.head_bytes == len(head)
    assert "HTTP_HEADERS_TOO_LARGE" not in codes(report)
    assert errors(report) == []


def test_headers_over_only_as_received_are_an_uncertain_warning(pki, tls_files):
    # 400 short headers: names and values alone stay under 20,480 bytes, the head with its
    # ": " and line ends does not. How CloudFront counts is not documented.
    headers = [(f"X-Pad-{i:03d}", "v" * 40) for i in range(400)]
    with Nginx([NginxServer(tls=tls_files, headers=headers)]) as server:
        report = diagnose(pki, server.port)
        head = response_head(server.port)
    http = report.addresses[0].probes[0].http
    assert http.header_field_bytes is not None
    assert http.header_field_bytes <= RESPONSE_HEAD_LIMIT < len(head) == http.head_bytes
    finding = only(report, "HTTP_HEADERS_TOO_LARGE")
    assert finding.severity == "warning" and finding.uncertain
    assert f"{http.header_field_bytes:,} bytes, under the limit" in finding.summary
    assert not any(s.startswith("CloudFront does not pass") for s in finding.remediation)
    assert errors(report) == []


# --- two 100 Continue --------------------------------------------------------------------------


@pytest.mark.parametrize(("interim", "expected"), [(1, False), (2, True)])
def test_a_second_100_continue_is_an_error(pki, interim, expected):
    response = (b"HTTP/1.1 100 Continue\r\n\r\n" * interim
                + b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")
    with TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"], http="raw",
                   response=response) as origin:
        report = diagnose(pki, origin.port)
    http = report.addresses[0].probes[0].http
    assert (http.continue_responses, http.status_code) == (interim, 200)
    assert ("HTTP_SECOND_100_CONTINUE" in errors(report)) is expected
    if expected:
        finding = only(report, "HTTP_SECOND_100_CONTINUE")
        assert "2 \"100 Continue\"" in finding.summary and "200 OK" in finding.summary
        assert any("AWS does not document which status" in step for step in finding.remediation)
        assert not any("UNCONFIRMED" in step for step in finding.remediation)


def test_an_endless_stream_of_100_continue_is_cut_and_the_second_named(pki):
    with TlsOrigin([pki["leaf"], pki["inter"]], pki["leaf"], http="raw",
                   response=b"HTTP/1.1 100 Continue\r\n\r\n" * 20_000) as origin:
        report = diagnose(pki, origin.port)
    assert {"HTTP_SECOND_100_CONTINUE", "HTTP_INVALID_RESPONSE"} <= set(errors(report))


# --- the HTTP port speaks TLS --------------------------------------------------------------------


def test_nginx_tls_port_as_http_port_passes_its_400_on(pki, tls_files):
    with Nginx([NginxServer(tls=tls_files)]) as server:
        report = diagnose(pki, 443, protocol_policy="http-only", http_port=server.port)
    finding = only(report, "HTTP_PORT_SPEAKS_TLS")
    assert finding.severity == "error"
    assert "The plain HTTP request was sent to HTTPS port" in finding.summary
    assert "protocol policy http-only" in finding.summary
    assert "Viewers get the origin's own 400 Bad Request" in finding.summary
    assert "HTTPS only" in finding.remediation[0]
    assert report.addresses[0].probes[0].http.port_speaks_tls is True
    # The 400 is this finding's, not a "missing secret header" hint.
    assert "ORIGIN_RETURNED_CLIENT_ERROR" not in codes(report)
    assert "origin's own 400 Bad Request" in headline(report)
    assert "502" not in headline(report)


def test_match_viewer_names_the_http_viewers(pki, tls_files):
    with Nginx([NginxServer(tls=tls_files)]) as server:
        report = diagnose(pki, server.port, protocol_policy="match-viewer",
                          http_port=server.port)
    finding = only(report, "HTTP_PORT_SPEAKS_TLS")
    assert "for viewers who use HTTP" in finding.summary
    assert "HTTPS only so that every request" in finding.remediation[0]
    assert errors(report) == ["HTTP_PORT_SPEAKS_TLS"]  # the HTTPS side is fine


def test_gnutls_answering_with_an_alert_is_a_tls_port_and_a_502(pki):
    with gnutls_serv(pki["leaf"], [pki["inter"]], priority="NORMAL") as server:
        report = diagnose(pki, 443, protocol_policy="http-only", http_port=server.port)
    finding = only(report, "HTTP_PORT_SPEAKS_TLS")
    assert "TLS alert record (15 03" in finding.summary
    assert "viewers get 502 Bad Gateway" in finding.summary
    assert errors(report) == ["HTTP_PORT_SPEAKS_TLS"]  # not "not HTTP" besides
    assert headline(report) == "CloudFront would answer 502 for this origin."


def test_openssl_closing_on_plain_http_is_found_by_a_handshake(pki):
    with openssl_s_server(pki["leaf"], [pki["inter"]]) as server:
        report = diagnose(pki, 443, protocol_policy="http-only", http_port=server.port)
    finding = only(report, "HTTP_PORT_SPEAKS_TLS")
    assert "closes a plain HTTP request without an answer" in finding.summary
    assert "a TLS handshake completes" in finding.summary
    assert errors(report) == ["HTTP_PORT_SPEAKS_TLS"]


def test_a_plain_http_400_is_not_called_tls(pki):
    with Nginx([NginxServer(body="return 400;")]) as server:
        report = diagnose(pki, 443, protocol_policy="http-only", http_port=server.port)
    assert report.addresses[0].probes[0].http.port_speaks_tls is False
    assert "HTTP_PORT_SPEAKS_TLS" not in codes(report)
    assert only(report, "ORIGIN_RETURNED_CLIENT_ERROR").severity == "info"


def test_a_plain_http_close_is_not_called_tls(pki):
    with TlsOrigin(None, tls=False, http="close") as origin:
        report = diagnose(pki, 443, protocol_policy="http-only", http_port=origin.port)
    assert report.addresses[0].probes[0].http.port_speaks_tls is not True
    assert "HTTP_PORT_SPEAKS_TLS" not in codes(report)
    assert "ORIGIN_CLOSED_CONNECTION" in errors(report)


# --- the origin's own 5xx -------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "words", "lead"), [
    (503, "503 Service Temporarily Unavailable", LINK_503),
    (500, "500 Internal Server Error", LINK_ORIGIN_ERRORS),
])
def test_origin_own_5xx_is_passed_on_not_a_502(pki, tls_files, status, words, lead):
    with Nginx([NginxServer(tls=tls_files, body=f"return {status};")]) as server:
        report = diagnose(pki, server.port)
    finding = only(report, "ORIGIN_RETURNED_ERROR")
    assert words in finding.summary and "passes it on" in finding.remediation[0]
    assert finding.links[0] == lead
    assert not any("alb" in link for link in finding.links)
    # Viewers get an error: the verdict fails (exit 1), and says which error.
    assert report.verdict == "fail" and exit_status(report.verdict) == 1
    line = headline(report)
    assert f"Viewers would get the origin's own {words} (CloudFront passes it on)" in line
    assert "502" not in line
    assert "502" not in verdict_line(report) and words in verdict_line(report)


# --- keep-alive -----------------------------------------------------------------------------------


def test_origin_keepalive_shorter_than_cloudfronts_is_an_uncertain_warning(pki, tls_files):
    with Nginx([NginxServer(tls=tls_files, extra="keepalive_timeout 1s 1s;")]) as server:
        report = diagnose(pki, server.port)
        kept = diagnose(pki, server.port, keepalive_timeout=1)
    finding = only(report, "HTTP_KEEPALIVE_SHORTER")
    assert finding.severity == "warning" and finding.uncertain
    assert "after 1 s (Keep-Alive: timeout=1)" in finding.summary
    assert "up to 5 s" in finding.summary
    assert errors(report) == []
    # CloudFront keeping idle connections 1 s, as the origin does: nothing to say.
    assert kept.target.keepalive_timeout == 1
    assert "HTTP_KEEPALIVE_SHORTER" not in codes(kept)


def test_origin_keepalive_longer_than_cloudfronts_is_not_a_finding(pki, tls_files):
    with Nginx([NginxServer(tls=tls_files, extra="keepalive_timeout 75s 75s;")]) as server:
        report = diagnose(pki, server.port)
    assert report.addresses[0].probes[0].http.headers.get("keep-alive") == "timeout=75"
    assert "HTTP_KEEPALIVE_SHORTER" not in codes(report)


# --- an HTTP-to-HTTPS redirect over HTTP only ---------------------------------------------------


@pytest.mark.parametrize(("policy", "host_header", "loops"), [
    ("http-only", VIEWER_HOST, True),
    ("http-only", None, False),  # Host not forwarded: the redirect leaves CloudFront
    ("match-viewer", VIEWER_HOST, False),  # the viewer's HTTPS request goes over HTTPS
])
def test_redirect_to_https_over_http_only_loops(pki, tls_files, policy, host_header, loops):
    servers = [NginxServer(body="return 301 https://$host$request_uri;"),
               NginxServer(tls=TlsFiles.write(tls_files.certificate.parent, pki["factory"].leaf(
                   pki["inter"], names=[NAME, VIEWER_HOST]), pki["inter"], name="both"))]
    with Nginx(servers) as server:
        report = diagnose(pki, server.ports[1], protocol_policy=policy,
                          http_port=server.ports[0], host_header=host_header)
    assert ("HTTP_REDIRECT_LOOP" in codes(report)) is loops
    if loops:
        finding = only(report, "HTTP_REDIRECT_LOOP")
        assert finding.severity == "info"
        assert f"https://{VIEWER_HOST}/" in finding.summary
        assert any("not a 502" in step for step in finding.remediation)
    assert errors(report) == []
