"""A TLS 1.3-only origin with a good chain is a ``warn`` (exit 0), but its headline must not say
"CloudFront can connect": whether CloudFront uses TLS 1.3 toward origins is not confirmed, and
if it does not, it answers 502. The same origin also accepting TLS 1.2 has no doubt to name
(its only warning, a loopback address, is certain): its headline says instead that CloudFront
cannot reach that address.

One real nginx on 127.0.0.1 configured the way an operator writes it (``ssl_protocols
TLSv1.3;``, then ``TLSv1.2 TLSv1.3``), certificates minted here, the test root passed as
--ca-file. The CLI is run for the terminal output; the same real report is rendered for Slack.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bot.render.result import result_messages
from bot.render.status import status_message
from tests.bot.reports import run
from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.scenario import NAME, codes, probe
from workers.diagnose_cli import EXIT_OK, diagnose

DOUBT = ("CloudFront can probably connect — 1 point could cause 502 and can't be confirmed: "
         "only TLS 1.3 works with what CloudFront offers")
SURE = ("The origin answers from here, but CloudFront cannot reach 127.0.0.1 (a loopback "
        "address)")


@pytest.fixture(scope="module")
def origins(pki, tmp_path_factory):
    folder = tmp_path_factory.mktemp("headline")
    files = TlsFiles.write(folder, pki["leaf"], pki["inter"])
    servers = [NginxServer(tls=files, server_names=[NAME], ssl_protocols=protocols)
               for protocols in ("TLSv1.3", "TLSv1.2 TLSv1.3")]
    with Nginx(servers) as nginx:
        yield {"tls13_only": nginx.ports[0], "tls12_and_13": nginx.ports[1]}


def cli(pki, port: int, *more: str):
    return CliRunner().invoke(diagnose, [NAME, "--resolve", f"{NAME}:127.0.0.1", "--https-port",
                                         str(port), "--ca-file", pki["ca"], *more],
                              catch_exceptions=False)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_cli_headline_of_a_tls13_only_origin_says_what_is_not_confirmed(origins, pki):
    result = cli(pki, origins["tls13_only"])
    assert result.exit_code == EXIT_OK, result.output  # the verdict and exit status stay
    head = flat(result.stdout.split("\n\n", 1)[0])
    assert head.startswith(f"WARN {NAME}"), head
    assert f"— {DOUBT}." in head, head
    assert "can connect, with warnings" not in result.stdout
    data = json.loads(cli(pki, origins["tls13_only"], "--json").stdout)
    assert data["verdict"] == "warn"
    assert {f["code"] for f in data["findings"]} == {
        "ORIGIN_PRIVATE_ADDRESS", "TLS13_ONLY", "TRUSTED_VIA_CA_FILE"}


def test_cli_headline_names_no_doubt_when_every_warning_is_certain(origins, pki):
    result = cli(pki, origins["tls12_and_13"])
    assert result.exit_code == EXIT_OK, result.output
    head = flat(result.stdout.split("\n\n", 1)[0])
    assert head.startswith(f"WARN {NAME}") and f"— {SURE}." in head, head


def test_slack_headline_of_a_tls13_only_origin(origins, pki):
    report = probe(pki["ca"], origins["tls13_only"])
    assert report.verdict == "warn" and "TLS13_ONLY" in codes(report)
    parent = status_message(run("done"), report)
    blocks = json.dumps(parent.payload()["blocks"], ensure_ascii=False)
    assert f":large_yellow_circle: *{DOUBT}*: 127.0.0.1 port" in blocks
    assert "Works, with warnings" not in blocks
    assert "probably works, 502 not ruled out" in parent.text
    (thread, *_) = result_messages(report)
    assert f"Diagnosis of {NAME}: probably works, 502 not ruled out" in thread.text
    sure = status_message(run("done"), probe(pki["ca"], origins["tls12_and_13"]))
    assert ":large_yellow_circle: *Works, with warnings*" in json.dumps(sure.payload())
    assert "— works, with warnings" in sure.text
