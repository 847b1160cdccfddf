"""Origins where CloudFront's documented TLS 1.2 handshake fails but TLS 1.3 works get one
verdict, whatever makes TLS 1.2 fail; origins that speak TLS 1.3 with suites CloudFront may not
offer are told so, as uncertain.

CloudFront reportedly negotiates TLS 1.3 with origins since November 2025, with suites AWS does
not document (cloudfront-facts §2.1, §8.1): "TLS 1.2 fails for reason R, TLS 1.3 works" is an
uncertain TLS13_ONLY warning that names R and its fix; a certain error only when neither works.

One real nginx on 127.0.0.1, ``ssl_protocols TLSv1.2 TLSv1.3;`` (Mozilla's "intermediate"
profile) and one ``server {}`` block per case, written the way an operator breaks the TLS 1.2
side; certificates minted here, the test root passed as --ca-file. Verdicts come from the real
engine; the CLI is run for the exit statuses.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.scenario import NAME, codes, errors, only, probe
from tests.support.tools import require_tool
from workers.diagnose_cli import EXIT_FINDINGS, EXIT_OK, diagnose
from workers.models import Report

# What a healthy loopback origin's report says whatever else it says.
ALWAYS = {"ORIGIN_PRIVATE_ADDRESS", "TRUSTED_VIA_CA_FILE"}
CHACHA13 = "ssl_conf_command Ciphersuites TLS_CHACHA20_POLY1305_SHA256;"


@dataclass
class Case:
    key: str  # "rsa" or "p521": the certificate served
    ciphers: str | None = None  # ssl_ciphers
    extra: str = ""
    protocols: str = "TLSv1.2 TLSv1.3"


# The audit's six origins: TLS 1.3 works, TLS 1.2 cannot complete with CloudFront's offer.
TLS12_BROKEN = {
    "A_chacha20_only": Case("rsa", "ECDHE-RSA-CHACHA20-POLY1305"),
    "B_plain_rsa_gcm": Case("rsa", "AES128-GCM-SHA256:AES256-GCM-SHA384"),
    "C_p521_certificate": Case("p521"),
    "D_rsa_pss_only": Case(
        "rsa", extra="ssl_conf_command SignatureAlgorithms RSA-PSS+SHA256:RSA-PSS+SHA384;"),
    "E_ecdsa_ciphers_rsa_cert": Case(
        "rsa", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305"),
    "F_dhe_only": Case("rsa", "DHE-RSA-AES128-GCM-SHA256"),
}
# Why CloudFront's TLS 1.2 handshake fails in each (the reason the finding names) and words of
# the fix for that reason.
WHY = {
    "A_chacha20_only": ("cipher_unsupported", "accepts only ECDHE-RSA-CHACHA20-POLY1305",
                        "ECDHE-RSA-AES128-GCM-SHA256"),
    "B_plain_rsa_gcm": ("cipher_unsupported", "accepts only AES256-GCM-SHA384, AES128-GCM-SHA256",
                        "ECDHE-RSA-AES128-GCM-SHA256"),
    "C_p521_certificate": ("cert_key_unsupported", "key is not one CloudFront",
                           "P-256 or P-384 key"),
    "D_rsa_pss_only": ("curve_unsupported", "only with a curve or signature scheme",
                       "RSA-PKCS1 or ECDSA signatures"),
    "E_ecdsa_ciphers_rsa_cert": ("protocol_unsupported", "no TLS 1.2 or older handshake",
                                 "ECDHE-RSA-AES128-GCM-SHA256"),
    "F_dhe_only": ("protocol_unsupported", "no TLS 1.2 or older handshake",
                   "ECDHE-RSA-AES128-GCM-SHA256"),
}
OTHERS = {
    # audit #5: TLS 1.2 fine, TLS 1.3 only with ChaCha20.
    "tls13_chacha20_only": Case("rsa", extra=CHACHA13),
    # TLS 1.3 switched on but impossible: an RSA key signs TLS 1.3 only with RSA-PSS.
    "tls13_no_pss": Case(
        "rsa", extra="ssl_conf_command SignatureAlgorithms RSA+SHA256:RSA+SHA384;"),
    "healthy": Case("rsa"),
    "healthy_tls12_only": Case("rsa", protocols="TLSv1.2"),
    # Neither works: TLS 1.2 ChaCha20 only, and TLS 1.3 ChaCha20 only (maybe CloudFront offers
    # it in TLS 1.3: not documented).
    "both_chacha20_only": Case("rsa", "ECDHE-RSA-CHACHA20-POLY1305", extra=CHACHA13),
    # Neither works, certainly: TLS 1.2 only, no cipher of CloudFront's.
    "tls12_only_chacha20": Case("rsa", "ECDHE-RSA-CHACHA20-POLY1305", protocols="TLSv1.2"),
}
CASES = {**TLS12_BROKEN, **OTHERS}


@pytest.fixture(scope="module")
def site(pki, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls13c")
    factory, inter = pki["factory"], pki["inter"]
    files = {
        "rsa": TlsFiles.write(folder / "rsa", pki["leaf"], inter),
        "p521": TlsFiles.write(folder / "p521", factory.leaf(inter, names=[NAME], key="ec521"),
                               inter),
    }
    servers = [NginxServer(tls=files[c.key], ssl_ciphers=c.ciphers, extra=c.extra,
                           ssl_protocols=c.protocols, server_names=[NAME],
                           body='return 200 "ok from nginx\\n";') for c in CASES.values()]
    with Nginx(servers) as nginx:
        yield {"ports": dict(zip(CASES, nginx.ports, strict=True)), "nginx": nginx}


@pytest.fixture(scope="module")
def reports(site, pki) -> dict[str, Report]:
    return {name: probe(pki["ca"], port) for name, port in site["ports"].items()}


def cli(*args: str):
    return CliRunner().invoke(diagnose, list(args))


def test_the_servers_are_as_the_audit_describes(site, pki):
    """openssl s_client agrees with the premise: TLS 1.3 verifies, CloudFront's TLS 1.2 offer
    does not complete (no origin502 code involved)."""
    openssl = require_tool("openssl", "openssl")
    for name in TLS12_BROKEN:
        port = site["ports"][name]
        base = [openssl, "s_client", "-connect", f"127.0.0.1:{port}", "-servername", NAME,
                "-CAfile", pki["ca"]]
        tls13 = subprocess.run([*base, "-tls1_3"], check=False, input=b"", capture_output=True,
                               timeout=20)
        assert b"Verify return code: 0 (ok)" in tls13.stdout, name
        assert b"TLSv1.3" in tls13.stdout, name
        tls12 = subprocess.run(
            [*base, "-tls1_2", "-cipher",
             "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"
             ":ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384",
             "-curves", "X25519:P-256:P-384", "-sigalgs",
             "RSA+SHA256:RSA+SHA384:ECDSA+SHA256:ECDSA+SHA384"],
            check=False, input=b"", capture_output=True, timeout=20)
        assert tls12.returncode != 0, name


@pytest.mark.parametrize("name", list(TLS12_BROKEN))
def test_tls12_broken_tls13_ok_is_one_uncertain_tls13_only_warning(reports, name):
    report = reports[name]
    reason, why, fix = WHY[name]
    assert set(codes(report)) - {"CERT_KEY_TYPE_UNCERTAIN"} == ALWAYS | {"TLS13_ONLY"}, (
        codes(report))
    assert errors(report) == []
    assert report.verdict == "warn"
    assert report.probe_error is None
    finding = only(report, "TLS13_ONLY")
    assert (finding.severity, finding.uncertain) == ("warning", True)
    assert finding.evidence["tls12_reason"] == reason
    assert why in finding.summary
    assert "TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384" in finding.summary
    assert fix in " ".join(finding.remediation)
    assert "reported in November 2025" in finding.remediation[0]
    probe_ = report.addresses[0].probes[0]
    tls = probe_.tls
    # CloudFront's documented handshake failed, for the reason named...
    assert (tls.status, str(tls.reason)) == ("failed", reason)
    # ...and its presumed TLS 1.3 one completed: the request and the certificate went over it.
    assert tls.tls13.ok and tls.tls13.cipher in tls.tls13.offered
    assert tls.http_over == "TLSv1.3"
    assert (tls.chain_source, tls.chain_protocol) == ("follow_up", "TLSv1.3")
    assert probe_.http.status_code == 200


def test_tls12_broken_tls13_ok_cli_exits_0_for_all_six(site, pki):
    for name in TLS12_BROKEN:
        port = str(site["ports"][name])
        result = cli(NAME, "--resolve", f"{NAME}:127.0.0.1", "--https-port", port,
                     "--ca-file", pki["ca"], "--json")
        assert result.exit_code == EXIT_OK, (name, result.output)
        data = json.loads(result.stdout)
        assert data["verdict"] == "warn", name
        tls_codes = [(f["code"], f["severity"], f["uncertain"]) for f in data["findings"]
                     if f["code"].startswith("TLS")]
        assert tls_codes == [("TLS13_ONLY", "warning", True)], (name, tls_codes)


def test_tls13_suites_outside_cloudfronts_offer_is_an_uncertain_warning(reports, site, pki):
    report = reports["tls13_chacha20_only"]
    tls = report.addresses[0].probes[0].tls
    # CloudFront's documented handshake works as before: one handshake, TLS 1.2...
    assert (tls.status, tls.protocol) == ("ok", "TLSv1.2")
    assert len(tls.attempts) == 2  # and one offering only the other key type's suites
    # ...and the ServerHello said TLS 1.3 too, so the presumed TLS 1.3 offer was tried beside.
    assert tls.tls13_signalled
    assert not tls.tls13.ok and tls.tls13.alert == "handshake_failure"
    assert tls.tls13.any_suite_cipher == "TLS_CHACHA20_POLY1305_SHA256"
    assert errors(report) == []
    assert report.verdict == "warn"
    finding = only(report, "TLS13_OFFER_REFUSED")
    assert (finding.severity, finding.uncertain) == ("warning", True)
    assert "alert handshake_failure" in finding.summary
    assert "it chooses TLS_CHACHA20_POLY1305_SHA256" in finding.summary
    assert "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384" in " ".join(finding.remediation)
    assert report.addresses[0].probes[0].http.status_code == 200
    port = str(site["ports"]["tls13_chacha20_only"])
    result = cli(NAME, "--resolve", f"{NAME}:127.0.0.1", "--https-port", port,
                 "--ca-file", pki["ca"])
    assert result.exit_code == EXIT_OK, result.output
    assert "TLS13_OFFER_REFUSED" in result.stdout


def test_the_premise_of_tls13_offer_refused(site, pki):
    """The reason it matters: a client offering TLS 1.2 and 1.3 with AES-GCM TLS 1.3 suites is
    refused by that origin; OpenSSL does not fall back to TLS 1.2."""
    openssl = require_tool("openssl", "openssl")
    port = site["ports"]["tls13_chacha20_only"]
    both = subprocess.run(
        [openssl, "s_client", "-connect", f"127.0.0.1:{port}", "-servername", NAME,
         "-ciphersuites", "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"],
        check=False, input=b"", capture_output=True, timeout=20)
    assert b"alert handshake failure" in both.stderr + both.stdout


def test_tls13_on_but_impossible_is_an_uncertain_warning(reports):
    report = reports["tls13_no_pss"]
    tls = report.addresses[0].probes[0].tls
    assert (tls.status, tls.protocol) == ("ok", "TLSv1.2")
    assert tls.tls13_signalled and not tls.tls13.ok
    assert tls.tls13.any_suite_cipher is None
    finding = only(report, "TLS13_OFFER_REFUSED")
    assert finding.uncertain
    assert "it still fails" in finding.summary
    assert "turn TLS 1.3 off" in " ".join(finding.remediation)
    assert errors(report) == []


def test_healthy_origins_have_no_tls13_finding(reports):
    both = reports["healthy"].addresses[0].probes[0].tls
    assert set(codes(reports["healthy"])) == ALWAYS
    assert both.tls13_signalled and both.tls13.ok
    assert both.tls13.cipher in ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384")
    assert len(both.attempts) == 2 and len(both.tls13.attempts) == 1  # 2: the other key type
    # A TLS 1.2-only origin does not mark its ServerHello: no TLS 1.3 handshake is made.
    older = reports["healthy_tls12_only"].addresses[0].probes[0].tls
    assert set(codes(reports["healthy_tls12_only"])) == ALWAYS
    assert not older.tls13_signalled and older.tls13 is None
    assert len(older.attempts) == 2  # the faithful one and the other key type's


def test_neither_works_with_tls13_only_outside_the_presumed_suites_is_an_uncertain_error(
        reports, site, pki):
    report = reports["both_chacha20_only"]
    tls = report.addresses[0].probes[0].tls
    assert not tls.tls13.ok
    assert tls.tls13.any_suite_cipher == "TLS_CHACHA20_POLY1305_SHA256"
    assert errors(report) == ["TLS_CIPHER_UNSUPPORTED"]
    finding = only(report, "TLS_CIPHER_UNSUPPORTED")
    assert finding.uncertain
    assert "only with TLS_CHACHA20_POLY1305_SHA256" in finding.summary
    assert "TLS13_ONLY" not in codes(report)
    assert report.verdict == "fail"
    port = str(site["ports"]["both_chacha20_only"])
    result = cli(NAME, "--resolve", f"{NAME}:127.0.0.1", "--https-port", port,
                 "--ca-file", pki["ca"])
    assert result.exit_code == EXIT_FINDINGS, result.output


def test_neither_works_without_tls13_is_a_certain_error(reports, site, pki):
    report = reports["tls12_only_chacha20"]
    tls = report.addresses[0].probes[0].tls
    assert tls.tls13 is None
    assert errors(report) == ["TLS_CIPHER_UNSUPPORTED"]
    assert not only(report, "TLS_CIPHER_UNSUPPORTED").uncertain
    assert report.verdict == "fail"
    port = str(site["ports"]["tls12_only_chacha20"])
    result = cli(NAME, "--resolve", f"{NAME}:127.0.0.1", "--https-port", port,
                 "--ca-file", pki["ca"])
    assert result.exit_code == EXIT_FINDINGS, result.output
