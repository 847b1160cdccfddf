"""Failed handshakes and broken chains whose cause is named from what was measured (audit
cases #12, #14, #15): an origin without a certificate for the SNI CloudFront sends, a TCP
proxy that closes after the ClientHello, a listener that never answers it, an intermediate
with the issuer's name but another key, a certificate whose key CloudFront cannot use.

The servers are real nginx configured the way an operator writes it (http and stream
modules); the silent listener is a socket that never accepts, since no server program stays
silent on demand. The test PKI's root is passed as --ca-file, standing in for Mozilla's list.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.ports import closed_port
from tests.support.scenario import NAME, codes, errors, only, probe
from tests.support.server_process import ServerProcess

FORWARDED = "www.origin.test"


def _no_fragment(steps: list[str]) -> None:
    assert steps, "no remediation"
    for step in steps:
        assert "[SSL:" not in step and not step.endswith(":"), steps


# --- #14: the SNI CloudFront sends has no certificate -----------------------------------------

def _sni_strict(tmp_path: Path, pki: dict[str, Any]) -> Nginx:
    """nginx refusing every name but NAME: a default server with ssl_reject_handshake."""
    files = TlsFiles.write(tmp_path, pki["leaf"], pki["inter"])
    port = closed_port("127.0.0.1")
    return Nginx([
        NginxServer(tls=files, server_names=("_",), extra="ssl_reject_handshake on;", port=port),
        NginxServer(tls=files, server_names=(NAME,), port=port),
    ])


def test_forwarded_host_without_a_certificate_is_named_as_such(tmp_path, pki):
    with _sni_strict(tmp_path, pki) as nginx:
        report = probe(pki["ca"], nginx.port, host_header=FORWARDED)
        healthy = probe(pki["ca"], nginx.port)
    tls = report.addresses[0].probes[0].tls
    assert (tls.reason, tls.sni_accepted) == ("sni_refused", NAME)
    assert errors(report) == ["TLS_SNI_REFUSED"]
    finding = only(report, "TLS_SNI_REFUSED")
    assert FORWARDED in finding.summary and "forwards the viewer's Host" in finding.summary
    assert "alert unrecognized_name" in finding.summary
    assert f"with SNI {NAME}" in finding.summary
    assert f"server_name {FORWARDED};" in finding.remediation[0]
    assert "AllViewerExceptHostHeader" in finding.remediation[1]
    assert not any("cipher" in s for s in finding.remediation)
    _no_fragment(finding.remediation)
    # The same origin with CloudFront's default SNI (the origin domain) is fine.
    assert errors(healthy) == []
    assert "TLS_SNI_REFUSED" not in codes(healthy)


def test_origin_domain_refused_but_no_sni_accepted_is_named(tmp_path, pki):
    # The only server block is for another name; it is the default, so a ClientHello without
    # SNI gets its certificate, while CloudFront's SNI (the origin domain) is refused.
    files = TlsFiles.write(tmp_path, pki["leaf"], pki["inter"])
    port = closed_port("127.0.0.1")
    with Nginx([NginxServer(tls=files, server_names=("other.test",), port=port,
                            extra="ssl_reject_handshake off;"),
                NginxServer(tls=files, server_names=(NAME,), port=port,
                            extra="ssl_reject_handshake on;")]) as nginx:
        report = probe(pki["ca"], nginx.port)
    finding = only(report, "TLS_SNI_REFUSED")
    assert "without SNI" in finding.summary and "(the origin domain)" in finding.summary
    assert "AllViewerExceptHostHeader" not in " ".join(finding.remediation)
    _no_fragment(finding.remediation)


def test_a_cipher_refusal_is_not_mistaken_for_an_sni_refusal(tmp_path, pki):
    # Alert handshake_failure for another reason: the SNI retry fails too, the cipher verdict
    # stands.
    files = TlsFiles.write(tmp_path, pki["leaf"], pki["inter"])
    with Nginx([NginxServer(tls=files, ssl_protocols="TLSv1.2",
                            ssl_ciphers="ECDHE-RSA-CHACHA20-POLY1305")]) as nginx:
        report = probe(pki["ca"], nginx.port, host_header=FORWARDED)
    # (Whatever is said of the certificate, judged from a follow-up handshake, for a name
    # other than the forwarded Host: the name rules' business.)
    assert errors(report)[0] == "TLS_CIPHER_UNSUPPORTED"
    assert "TLS_SNI_REFUSED" not in codes(report)


# --- #14 too: closed after the ClientHello, or no answer at all ------------------------------


def _tls_passthrough_to_dead_backend(module: Path) -> ServerProcess:
    """A TLS passthrough proxy (nginx stream, ssl_preread) whose backend port is closed."""
    dead = closed_port("127.0.0.1")
    conf = (
        f"load_module {module};\n"
        "daemon off; worker_processes 1; pid {dir}/nginx.pid; error_log {dir}/error.log info;\n"
        "events {{ worker_connections 64; }}\n"
        "stream {{ server {{ listen 127.0.0.1:{port}; ssl_preread on;\n"
        f"  proxy_pass 127.0.0.1:{dead}; proxy_connect_timeout 1s; }}}} }}}}\n")
    return ServerProcess(("nginx", "nginx-light"), ["-p", "{dir}", "-c", "{dir}/nginx.conf"],
                         templates={"nginx.conf": conf})


def test_proxy_closing_after_the_client_hello_gets_proxy_advice(pki, stream_module):
    with _tls_passthrough_to_dead_backend(stream_module) as proxy:
        report = probe(pki["ca"], proxy.port)
    assert errors(report) == ["TLS_HANDSHAKE_FAILED"]
    finding = only(report, "TLS_HANDSHAKE_FAILED")
    assert "closed" in finding.summary
    steps = " ".join(finding.remediation)
    assert "ssl_preread" in steps and "upstream" in steps
    # The offer's own sentence names what was offered; no guess about a DES/RC4-only origin.
    assert "if it only supports" not in finding.summary
    assert "protocols and ciphers" not in steps
    _no_fragment(finding.remediation)


def test_listener_that_never_answers_is_not_blamed_on_legacy_ciphers(pki, silent_listener):
    report = probe(pki["ca"], silent_listener, timeout=1)
    assert errors(report) == ["TLS_HANDSHAKE_TIMEOUT"]  # a timeout: see test_tls_silence_*
    finding = only(report, "TLS_HANDSHAKE_TIMEOUT")
    text = finding.summary + " ".join(finding.remediation)
    assert "DES" not in text and "RC4" not in text
    assert "sends nothing back to the ClientHello" in finding.summary
    assert any("takes the connection and then waits" in s for s in finding.remediation)
    _no_fragment(finding.remediation)


# --- #15: an intermediate with the issuer's name and another key ------------------------------

def test_intermediate_with_the_right_name_and_wrong_key_is_named(tmp_path, pki):
    factory = pki["factory"]
    other_root = factory.root(cn="origin502 Other Root")
    impostor = factory.intermediate(other_root, cn=pki["inter"].subject_cn)
    files = TlsFiles.write(tmp_path, pki["leaf"], impostor)
    with Nginx([NginxServer(tls=files)]) as nginx:
        report = probe(pki["ca"], nginx.port)
    analysis = report.addresses[0].probes[0].tls.analysis
    assert (analysis.wrong_issuer_index, analysis.wrong_issuer_why) == (1, "key_identifier")
    assert errors(report) == ["CERT_WRONG_INTERMEDIATE"]
    finding = only(report, "CERT_WRONG_INTERMEDIATE")
    assert pki["inter"].subject_cn in finding.summary and NAME in finding.summary
    assert impostor.sha256[:16].lower() in finding.summary.lower()
    assert "did not sign it" in finding.summary
    assert analysis.expected_key_id in finding.summary
    assert "neither sent" not in finding.summary
    assert analysis.expected_key_id in finding.remediation[0]
    assert "CERT_EXTRA_CERTIFICATES" not in codes(report)  # its own finding says why
    _no_fragment(finding.remediation)


def test_the_right_intermediate_after_the_wrong_one_is_fine(tmp_path, pki):
    # The pair implied: a bundle holding the right one, then the wrong one, still has a path
    # (the wrong one is only an extra certificate).
    factory = pki["factory"]
    impostor = factory.intermediate(factory.root(cn="origin502 Other Root"),
                                    cn=pki["inter"].subject_cn)
    files = TlsFiles.write(tmp_path, pki["leaf"], pki["inter"], impostor)
    with Nginx([NginxServer(tls=files)]) as nginx:
        report = probe(pki["ca"], nginx.port)
    assert errors(report) == []
    assert "CERT_WRONG_INTERMEDIATE" not in codes(report)
    assert "CERT_EXTRA_CERTIFICATES" in codes(report)


# --- #12: a certificate key CloudFront's offer cannot verify ----------------------------------

@pytest.mark.parametrize(("key", "said", "uncertain"), [("ec521", "ECDSA P-521 (secp521r1)", True),
                                                        ("ed25519", "Ed25519", False)])
def test_certificate_key_is_blamed_not_the_curves(tmp_path, pki, key, said, uncertain):
    leaf = pki["factory"].leaf(pki["inter"], names=[NAME], key=key)
    files = TlsFiles.write(tmp_path, leaf, pki["inter"])
    with Nginx([NginxServer(tls=files, ssl_protocols="TLSv1.2")]) as nginx:
        report = probe(pki["ca"], nginx.port)
    tls = report.addresses[0].probes[0].tls
    assert (tls.reason, tls.certificate_key) == ("cert_key_unsupported", said)
    assert errors(report) == ["CERT_KEY_UNSUPPORTED"]
    finding = only(report, "CERT_KEY_UNSUPPORTED")
    assert finding.uncertain is uncertain
    assert said in finding.summary
    assert "RSA 2048-bit key or an ECDSA P-256 key" in finding.remediation[0]
    assert not any("Allow X25519" in s for s in finding.remediation)
    assert "TLS_CURVE_UNSUPPORTED" not in codes(report)
    _no_fragment(finding.remediation)


def _no_suite_both_ways(text: str) -> None:
    """No sentence says the origin completes TLS 1.3 "only with" a suite and, in the same
    breath, "not with" a list that holds that very suite."""
    for cipher in ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"):
        assert not (f"only with {cipher}, not with" in text
                    and cipher in text.split("not with", 1)[1].partition(")")[0]), text


@pytest.mark.parametrize("protocols", ["TLSv1.3", "TLSv1.2 TLSv1.3"])
def test_ed25519_key_is_blamed_over_tls13_too(tmp_path, pki, protocols):
    # Re-audit #1: behind `ssl_protocols TLSv1.3;` an Ed25519 certificate was an uncertain
    # TLS_PROTOCOL_UNSUPPORTED ("Enable TLS 1.2", which cannot help) with a sentence saying a
    # suite both is and is not offered. CloudFront's offer has no Ed25519 signature scheme
    # over either protocol: the key is the certain cause, as over TLS 1.2 alone.
    leaf = pki["factory"].leaf(pki["inter"], names=[NAME], key="ed25519")
    files = TlsFiles.write(tmp_path, leaf, pki["inter"])
    with Nginx([NginxServer(tls=files, ssl_protocols=protocols)]) as nginx:
        report = probe(pki["ca"], nginx.port)
    tls = report.addresses[0].probes[0].tls
    assert (tls.reason, tls.certificate_key) == ("cert_key_unsupported", "Ed25519")
    assert errors(report) == ["CERT_KEY_UNSUPPORTED"]
    finding = only(report, "CERT_KEY_UNSUPPORTED")
    assert not finding.uncertain
    assert "lists no signature scheme for Ed25519" in finding.summary
    assert "RSA 2048-bit key or an ECDSA P-256 key" in finding.remediation[0]
    assert not any("TLS 1.2" in s for s in finding.remediation)
    # The key is judged once, as the cause, not again as a doubtful key type.
    assert "CERT_KEY_TYPE_UNCERTAIN" not in codes(report)
    assert "TLS_PROTOCOL_UNSUPPORTED" not in codes(report)
    for f in report.findings:
        _no_suite_both_ways(f.summary)
    _no_fragment(finding.remediation)


def test_tls13_only_origin_with_other_curves_says_so_without_contradiction(tmp_path, pki):
    # The pair implied: a good RSA certificate behind TLS 1.3 only, with X448 as its only
    # curve. TLS 1.3 completes with a suite CloudFront is believed to offer once every curve
    # is offered: the curves are named, not the suite, and the key is not blamed.
    files = TlsFiles.write(tmp_path, pki["leaf"], pki["inter"])
    with Nginx([NginxServer(tls=files, ssl_protocols="TLSv1.3",
                            extra="ssl_ecdh_curve X448;")]) as nginx:
        report = probe(pki["ca"], nginx.port)
    tls = report.addresses[0].probes[0].tls
    assert tls.tls13 is not None and not tls.tls13.ok
    assert tls.tls13.any_suite_cipher in tls.tls13.offered
    assert tls.reason == "protocol_unsupported" and tls.certificate_key is None
    finding = only(report, "TLS_PROTOCOL_UNSUPPORTED")
    assert finding.uncertain  # CloudFront's TLS 1.3 curves are not documented
    assert "only once curves or signature schemes beyond CloudFront's" in finding.summary
    _no_suite_both_ways(finding.summary)


def test_p384_certificate_still_connects(tmp_path, pki):
    # The pair implied: a P-384 key is on CloudFront's curve list; only its documentation is
    # in doubt (CERT_KEY_TYPE_UNCERTAIN), the handshake works.
    leaf = pki["factory"].leaf(pki["inter"], names=[NAME], key="ec384")
    files = TlsFiles.write(tmp_path, leaf, pki["inter"])
    with Nginx([NginxServer(tls=files, ssl_protocols="TLSv1.2")]) as nginx:
        report = probe(pki["ca"], nginx.port)
    assert errors(report) == []
    assert "CERT_KEY_TYPE_UNCERTAIN" in codes(report)


# --- #2/#10: an RSA and an ECDSA certificate on one server ------------------------------------

def _dual(tmp_path: Path, pki: dict[str, Any], *, rsa_expired: bool = False,
          ec_expired: bool = False) -> Nginx:
    """nginx with two ssl_certificate lines, as an operator adds an ECDSA certificate beside
    the RSA one; nginx presents the one the client's preferred suite needs."""
    factory, inter = pki["factory"], pki["inter"]
    past = {"not_before": dt.datetime.now(dt.UTC) - dt.timedelta(days=400),
            "not_after": dt.datetime.now(dt.UTC) - dt.timedelta(days=3)}
    rsa = factory.leaf(inter, names=[NAME], key="rsa2048", **(past if rsa_expired else {}))
    ec = factory.leaf(inter, names=[NAME], key="ec256", **(past if ec_expired else {}))
    rsa_files = TlsFiles.write(tmp_path, rsa, inter, name="rsa")
    ec_files = TlsFiles.write(tmp_path, ec, inter, name="ec")
    return Nginx([NginxServer(tls=rsa_files, ssl_protocols="TLSv1.2 TLSv1.3", extra=(
        f"ssl_certificate {ec_files.certificate}; ssl_certificate_key {ec_files.key};"))])


@pytest.mark.parametrize(("bad", "good"), [("RSA", "ECDSA"), ("ECDSA", "RSA")])
def test_dual_certificates_one_expired_is_an_error_about_that_one(tmp_path, pki, bad, good):
    with _dual(tmp_path, pki, rsa_expired=bad == "RSA", ec_expired=bad == "ECDSA") as nginx:
        report = probe(pki["ca"], nginx.port)
    tls = report.addresses[0].probes[0].tls
    assert tls.other_certificate is not None
    assert len(tls.attempts) == 2  # the faithful handshake and the other key type's
    assert report.verdict == "fail"  # never "can connect"
    assert errors(report) == ["CERT_EXPIRED"]
    finding = only(report, "CERT_EXPIRED")
    assert finding.uncertain  # which certificate CloudFront gets is not documented
    assert f"This is the origin's {bad} certificate" in finding.summary
    assert f"its {good} certificate" in finding.summary and "passes these checks" in finding.summary
    assert "may get either certificate" in finding.summary


def test_dual_certificates_both_expired_are_two_certain_errors(tmp_path, pki):
    with _dual(tmp_path, pki, rsa_expired=True, ec_expired=True) as nginx:
        report = probe(pki["ca"], nginx.port)
    expired = [f for f in report.findings if f.code == "CERT_EXPIRED"]
    assert len(expired) == 2
    assert not any(f.uncertain for f in expired)
    assert {"RSA", "ECDSA"} == {k for f in expired for k in ("RSA", "ECDSA")
                                if f"origin's {k} certificate" in f.summary}
    assert all("which fails too" in f.summary for f in expired)


def test_dual_certificates_both_good_say_nothing_more(tmp_path, pki):
    with _dual(tmp_path, pki) as nginx:
        report = probe(pki["ca"], nginx.port)
    tls = report.addresses[0].probes[0].tls
    assert tls.other_certificate is not None and tls.other_certificate.chain
    assert errors(report) == []
    assert not any("origin's RSA certificate" in f.summary for f in report.findings)


def test_one_certificate_costs_one_extra_handshake_and_finds_no_other(tmp_path, pki):
    files = TlsFiles.write(tmp_path, pki["leaf"], pki["inter"])
    with Nginx([NginxServer(tls=files, ssl_protocols="TLSv1.2")]) as nginx:
        report = probe(pki["ca"], nginx.port)
    tls = report.addresses[0].probes[0].tls
    assert [a.ok for a in tls.attempts] == [True, False]  # no ECDSA certificate to present
    assert tls.attempts[1].purpose.startswith("another certificate?")
    assert tls.other_certificate is None
    assert errors(report) == []
