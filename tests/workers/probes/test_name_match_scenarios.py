"""Certificate names CloudFront's documentation leaves open, against real nginx configured as
operators do (SNI-based virtual hosts where the SNI decides the certificate). What AWS
documents is answered with confidence; what its pages disagree on or leave out (shared
cloudfront-facts §1.1, §3.4, §3.5, §8.4) is answered by the strictest reading and marked
uncertain; a certificate naming neither name by any reading stays a certain error. Verdict,
codes and exit status come from the real CLI (`origin502 diagnose --json`), certificates are
made here (audit case 11).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.ports import closed_port
from tests.support.scenario import make_pki
from workers.diagnose_cli import diagnose

ORIGIN = "origin.example.test"
WWW = "www.example.test"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def origins(pki, tmp_path_factory) -> Iterator[dict[str, int]]:
    """One nginx, a port per case; ``vhosts`` serves a certificate per SNI name."""
    factory, inter = pki["factory"], pki["inter"]
    folder = tmp_path_factory.mktemp("names")

    def files(name: str, names: list[str], cn: str | None = None) -> TlsFiles:
        return TlsFiles.write(folder / name, factory.leaf(inter, names=names, cn=cn), inter)

    vhosts = closed_port()
    servers = {
        "origin_only": NginxServer(tls=files("origin", [ORIGIN]), server_names=[ORIGIN]),
        "wildcard": NginxServer(tls=files("wild", ["*.example.test"])),
        "partial": NginxServer(tls=files("partial", ["f*.example.test"])),
        "cn_beside_san": NginxServer(tls=files("cnsan", ["other.example.test"], cn=ORIGIN)),
        "neither": NginxServer(tls=files("neither", ["other.example.test"])),
        # Name-based virtual hosts on one port: the origin's own certificate by default,
        # the viewer domain's when the SNI asks for it.
        "vhosts": NginxServer(tls=files("vh-origin", [ORIGIN]), server_names=[ORIGIN],
                              port=vhosts),
        "vhosts_www": NginxServer(tls=files("vh-www", [WWW]), server_names=[WWW],
                                  port=vhosts),
    }
    with Nginx(list(servers.values())) as nginx:
        yield dict(zip(servers, nginx.ports, strict=True))


def run(pki, port: int, target: str, *args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(diagnose, [
        target, "--resolve", f"{target}:127.0.0.1", "--https-port", str(port),
        "--ca-file", pki["ca"], "--json", "--timeout", "3", "--connection-attempts", "1",
        "--read-timeout", "3", *args], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout)


def cert_findings(data: dict[str, Any]) -> list[tuple[str, str, bool]]:
    return [(f["code"], f["severity"], f["uncertain"]) for f in data["findings"]
            if f["code"].startswith("CERT")]


def the(data: dict[str, Any], code: str) -> dict[str, Any]:
    (finding,) = [f for f in data["findings"] if f["code"] == code]
    return finding


def test_a_certificate_for_the_origin_domain_with_host_forwarded_is_accepted_but_doubted(
        pki, origins):
    # (a) the 502 page: "either the Origin Domain ... or the Host header"; the origin settings
    # page: "must respond with a certificate that matches the viewer host header".
    code, data = run(pki, origins["origin_only"], ORIGIN, "--host-header", WWW)
    assert code == 0 and data["verdict"] == "warn"
    assert cert_findings(data) == [("CERT_NAME_MATCH_UNCERTAIN", "warning", True)]
    finding = the(data, "CERT_NAME_MATCH_UNCERTAIN")
    assert f"forwards Host {WWW}" in finding["summary"]
    assert "origin settings page" in finding["summary"]
    assert data["target"]["sni"] == WWW  # the probe sent what CloudFront sends
    # The Web PKI validator judged the chain for the name it carries, and accepts it.
    validators = data["addresses"][0]["probes"][0]["tls"]["analysis"]["validators"]
    assert [(v["validator"], v["accepted"], v["name"]) for v in validators] == [
        ("openssl", True, None), ("webpki", True, ORIGIN)]


def test_vhosts_answer_the_forwarded_host_with_its_own_certificate(pki, origins):
    code, data = run(pki, origins["vhosts"], ORIGIN, "--host-header", WWW)
    assert code == 0 and cert_findings(data) == []
    chain = data["addresses"][0]["probes"][0]["tls"]["chain"]
    assert chain[0]["dns_names"] == [WWW]


def test_a_certificate_naming_neither_name_is_a_certain_error(pki, origins):
    code, data = run(pki, origins["neither"], ORIGIN, "--host-header", WWW)
    assert code == 1 and data["verdict"] == "fail"
    assert cert_findings(data) == [("CERT_HOSTNAME_MISMATCH", "error", False)]
    assert "names neither" in the(data, "CERT_HOSTNAME_MISMATCH")["summary"]
    code, data = run(pki, origins["neither"], ORIGIN)
    assert code == 1 and cert_findings(data) == [("CERT_HOSTNAME_MISMATCH", "error", False)]


def test_a_wildcard_for_several_labels_is_the_rfc_answer_marked_uncertain(pki, origins):
    # (b) RFC 6125: "*" stands for one label; AWS: "supports wildcard characters", no more.
    code, data = run(pki, origins["wildcard"], "a.b.example.test")
    assert code == 1 and data["verdict"] == "fail"
    assert cert_findings(data) == [("CERT_HOSTNAME_MISMATCH", "error", True)]
    assert "RFC 6125" in the(data, "CERT_HOSTNAME_MISMATCH")["summary"]
    code, data = run(pki, origins["wildcard"], "a.example.test")
    assert cert_findings(data) == []


def test_a_wildcard_inside_a_label_is_uncertain(pki, origins):
    # (c) RFC 6125 §6.4.3: a client MAY match "f*" against "foo".
    code, data = run(pki, origins["partial"], "foo.example.test")
    assert code == 0 and data["verdict"] == "warn"
    assert cert_findings(data) == [("CERT_NAME_MATCH_UNCERTAIN", "warning", True)]
    code, data = run(pki, origins["partial"], "bar.example.test")
    assert code == 1 and cert_findings(data) == [("CERT_HOSTNAME_MISMATCH", "error", False)]


def test_a_common_name_beside_other_san_names_is_uncertain(pki, origins):
    # (d) AWS: "Common Name ... and possibly several more in the Subject Alternative Names";
    # RFC 6125 clients ignore the CN when SANs are present.
    code, data = run(pki, origins["cn_beside_san"], ORIGIN)
    assert code == 0 and data["verdict"] == "warn"
    assert cert_findings(data) == [("CERT_NAME_MATCH_UNCERTAIN", "warning", True)]
    assert "Common Name" in the(data, "CERT_NAME_MATCH_UNCERTAIN")["summary"]
