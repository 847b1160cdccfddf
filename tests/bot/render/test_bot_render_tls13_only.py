"""The Slack lines of an origin that accepts only TLS 1.3 say what happened: the request went
over TLS 1.3, CloudFront's configured protocols were not accepted. Never a TLS layer marked as
failed (":x: TLS 0/1 ok") beside an answered request; and a certificate CloudFront would
reject still shows as such.

A real nginx on 127.0.0.1 with ``ssl_protocols TLSv1.3;``, the progress lines as the probe job
records them (the engine's on_progress), rendered by the bot's status and result messages.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.render.result import result_messages
from bot.render.status import status_message
from tests.bot.reports import run
from tests.support.certs import CertFactory
from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.scenario import NAME, make_pki
from workers.engine import diagnose
from workers.models import Report
from workers.options import build_request

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def origins(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls13")
    pki = make_pki(folder)
    self_signed = CertFactory().leaf(None, names=[NAME])
    servers = [
        NginxServer(tls=TlsFiles.write(folder / "good", pki["leaf"], pki["inter"]),
                    server_names=[NAME], ssl_protocols="TLSv1.3"),
        NginxServer(tls=TlsFiles.write(folder / "self", self_signed), server_names=[NAME],
                    ssl_protocols="TLSv1.3"),
    ]
    with Nginx(servers) as nginx:
        yield {"ca": pki["ca"], "good": nginx.ports[0], "self_signed": nginx.ports[1]}


def probed(origins: dict[str, Any], which: str) -> tuple[dict[str, str], Report]:
    request = build_request(NAME, allow_private=True, resolve=((NAME, "127.0.0.1"),),
                            https_port=origins[which], ca_file=origins["ca"], timeout=3,
                            connection_attempts=1, read_timeout=3)
    progress: dict[str, str] = {}
    report = diagnose(request, on_progress=lambda layer, text: progress.__setitem__(
        str(layer), text))
    return progress, report


def status_text(progress: dict[str, str], report: Report) -> str:
    message = status_message(run("done", progress=progress), report)
    return str(message.blocks)


def tls_line(text: str) -> str:
    (line,) = [x for x in text.split("\\n") if "*TLS*" in x]
    return line


def test_progress_line_says_tls13_worked_and_the_configured_protocols_did_not(origins):
    progress, report = probed(origins, "good")
    assert report.verdict == "warn"
    assert progress["tls"] == "TLS 1.3 worked; the configured protocols did not"
    line = tls_line(status_text(progress, report))
    assert line.startswith(":warning: *TLS* TLS 1.3 worked"), line
    assert ":x:" not in line and "0/1" not in line


def test_connection_line_says_the_request_went_over_tls13(origins):
    _, report = probed(origins, "good")
    text = " ".join(str(m.blocks) for m in result_messages(report))
    assert "TLS TLSv1.3 worked (the request went over it); TLSv1.2 not accepted" in text
    assert "no protocol in common" not in text
    assert "HTTP 200" in text


def test_a_rejected_certificate_over_tls13_is_still_a_failed_tls_layer(origins):
    progress, report = probed(origins, "self_signed")
    assert report.verdict == "fail"
    line = tls_line(status_text(progress, report))
    assert line.startswith(":x: *TLS*") and "self-signed" in line, line
    text = " ".join(str(m.blocks) for m in result_messages(report))
    assert ("TLSv1.3 worked (the request went over it); TLSv1.2 not accepted; CloudFront "
            "would also reject the certificate") in text
