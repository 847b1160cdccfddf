"""A watch reuses its side handshakes' reassuring answers for a bounded time, and nothing else.

The side handshakes of a completed connection (CloudFront's presumed TLS 1.3 offer, CloudFront's
suites of the other key type) ask about the origin's configuration. A watch (``diagnose`` given
a ``SideCheckCache``) reuses an answer only for the same faithful handshake (same chain, same
protocol and suite), only when it reassures, only until ``MAX_AGE`` has passed, and says so in
the report (``reused_from``). Problems, second certificates and failures to measure are checked
afresh every time. Real nginx servers on 127.0.0.1 (TLS 1.2 and 1.3), certificates minted here;
the cache's clock is injected.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tests.support.nginx import Nginx, NginxServer, TlsFiles
from tests.support.scenario import NAME, codes
from workers.engine import diagnose
from workers.models import Report, Tls13Check, TlsAttempt, TlsResult
from workers.options import build_request
from workers.probes.side_checks import MAX_AGE, Primary, SideCheckCache

START = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
OTHER_KEY = "another certificate?"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


def _watch(ca: str, port: int, cache: SideCheckCache) -> Report:
    request = build_request(NAME, https_port=port, resolve=((NAME, "127.0.0.1"),), ca_file=ca,
                            allow_private=True, timeout=3, connection_attempts=1,
                            read_timeout=3)
    return diagnose(request, side_checks=cache)


def _tls(report: Report) -> TlsResult:
    tls = report.addresses[0].probes[0].tls
    assert isinstance(tls, TlsResult)
    return tls


def _side_attempts(tls: TlsResult) -> list[TlsAttempt]:
    """The other key type's attempt and the TLS 1.3 check's attempts."""
    others = [a for a in tls.attempts if a.purpose.startswith(OTHER_KEY)]
    return others + (tls.tls13.attempts if tls.tls13 is not None else [])


def _nginx(tmp_path: Path, pki: dict[str, Any], *, extra: str = "") -> Nginx:
    files = TlsFiles.write(tmp_path, pki["leaf"], pki["inter"])
    return Nginx([NginxServer(tls=files, ssl_protocols="TLSv1.2 TLSv1.3", server_names=[NAME],
                              extra=extra, body='return 200 "ok\\n";')])


def test_a_healthy_origin_reuses_both_side_checks_until_they_expire(tmp_path, pki):
    clock = Clock()
    cache = SideCheckCache(clock=clock)
    with _nginx(tmp_path, pki) as nginx:
        first = _watch(pki["ca"], nginx.port, cache)
        clock.now = START + dt.timedelta(minutes=5)
        second = _watch(pki["ca"], nginx.port, cache)
        clock.now = START + MAX_AGE
        third = _watch(pki["ca"], nginx.port, cache)

    fresh, reused, expired = _tls(first), _tls(second), _tls(third)
    assert fresh.tls13 is not None and fresh.tls13.ok
    assert len(_side_attempts(fresh)) == 2
    assert all(a.reused_from is None for a in _side_attempts(fresh))
    # Five minutes later: the same answers, marked with when they were measured.
    assert reused.tls13 is not None and reused.tls13.ok
    assert reused.tls13.cipher == fresh.tls13.cipher
    assert [a.reused_from for a in _side_attempts(reused)] == ["2026-11-30T02:00:00Z"] * 2
    assert [(a.purpose, a.ok) for a in _side_attempts(reused)] == [
        (a.purpose, a.ok) for a in _side_attempts(fresh)]
    assert codes(second) == codes(first)
    # The certificate itself is judged every time, never reused from the side cache.
    assert reused.chain and reused.analysis is not None
    # MAX_AGE after the measurement: measured again.
    assert len(_side_attempts(expired)) == 2
    assert all(a.reused_from is None for a in _side_attempts(expired))
    assert cache.hits == 2


def test_a_refused_tls13_offer_is_checked_again_every_time(tmp_path, pki):
    """TLS 1.3 switched on but impossible (an RSA key signs TLS 1.3 only with RSA-PSS): the
    warning is measured afresh every cycle, so that its fix shows at once."""
    clock = Clock()
    cache = SideCheckCache(clock=clock)
    no_pss = "ssl_conf_command SignatureAlgorithms RSA+SHA256:RSA+SHA384;"
    with _nginx(tmp_path, pki, extra=no_pss) as nginx:
        reports = [_watch(pki["ca"], nginx.port, cache) for _ in range(2)]
    for report in reports:
        tls = _tls(report)
        assert tls.tls13 is not None and not tls.tls13.ok
        assert "TLS13_OFFER_REFUSED" in codes(report)
        assert all(a.reused_from is None for a in tls.tls13.attempts)
    # The other key type's refusal (one RSA certificate) reassures: reused the second time.
    assert [a.reused_from for a in _tls(reports[1]).attempts
            if a.purpose.startswith(OTHER_KEY)] == ["2026-11-30T02:00:00Z"]


def test_a_second_certificate_is_fetched_and_judged_every_time(tmp_path, pki):
    """An origin with an RSA and an ECDSA certificate: the other one may be renewed (or expire)
    while the first stays, so its handshake is never reused."""
    factory, inter = pki["factory"], pki["inter"]
    ec = factory.leaf(inter, names=[NAME], key="ec256")
    ec_files = TlsFiles.write(tmp_path, ec, inter, name="ec")
    extra = f"ssl_certificate {ec_files.certificate}; ssl_certificate_key {ec_files.key};"
    cache = SideCheckCache(clock=Clock())
    with _nginx(tmp_path, pki, extra=extra) as nginx:
        reports = [_watch(pki["ca"], nginx.port, cache) for _ in range(2)]
    for report in reports:
        tls = _tls(report)
        assert tls.other_certificate is not None and tls.other_certificate.chain
        others = [a for a in tls.attempts if a.purpose.startswith(OTHER_KEY)]
        assert [(a.ok, a.reused_from) for a in others] == [(True, None)]


def test_without_a_cache_nothing_is_reused(tmp_path, pki):
    with _nginx(tmp_path, pki) as nginx:
        request = build_request(NAME, https_port=nginx.port, resolve=((NAME, "127.0.0.1"),),
                                ca_file=pki["ca"], allow_private=True)
        reports = [diagnose(request) for _ in range(2)]
    assert all(a.reused_from is None for r in reports for a in _side_attempts(_tls(r)))


# --- what is kept, and for which handshake (no network) ------------------------------------

def _primary(**changes: Any) -> Primary:
    fields: dict[str, Any] = {"address": "192.0.2.7", "port": 443, "sni": "origin.test",
                              "offered": ["TLSv1.2"], "chain_der": [b"leaf", b"inter"],
                              "protocol": "TLSv1.2", "cipher": "ECDHE-RSA-AES128-GCM-SHA256"}
    fields.update(changes)
    return Primary.of(**fields)


def _attempt(ok: bool) -> TlsAttempt:
    return TlsAttempt("another certificate? (only CloudFront's ECDSA suites)", ["TLSv1.2"],
                      "ECDHE-ECDSA-AES128-GCM-SHA256", ok=ok, error=None if ok else "alert")


def test_an_answer_belongs_to_one_faithful_handshake():
    cache = SideCheckCache(clock=Clock())
    cache.keep_other_key(_primary(), _attempt(False), kind="ssl", same_certificate=False)
    assert cache.other_key(_primary()) is not None
    for change in ({"chain_der": [b"renewed leaf", b"inter"]}, {"chain_der": [b"leaf"]},
                   {"protocol": "TLSv1.1"}, {"cipher": "ECDHE-RSA-AES256-GCM-SHA384"},
                   {"sni": "other.test"}, {"port": 8443}, {"address": "192.0.2.8"},
                   {"offered": ["TLSv1.1", "TLSv1.2"]}):
        assert cache.other_key(_primary(**change)) is None, change


def test_failures_to_measure_and_problems_are_not_kept():
    cache = SideCheckCache(clock=Clock())
    for kind in ("timeout", "reset", "eof", "connect"):
        cache.keep_other_key(_primary(), _attempt(False), kind=kind, same_certificate=False)
    cache.keep_other_key(_primary(), _attempt(True), kind=None, same_certificate=False)
    assert cache.other_key(_primary()) is None
    refused = Tls13Check(offered=["TLS_AES_128_GCM_SHA256"], ok=False, alert="handshake_failure")
    unlimited = Tls13Check(offered=[], ok=True)  # not CloudFront's offer: nothing to reuse
    for check in (refused, unlimited):
        cache.keep_tls13(_primary(), check)
    assert cache.tls13(_primary()) is None


def test_a_kept_answer_is_not_changed_by_its_reports():
    clock = Clock()
    cache = SideCheckCache(clock=clock)
    check = Tls13Check(offered=["TLS_AES_128_GCM_SHA256"], ok=True,
                       cipher="TLS_AES_128_GCM_SHA256",
                       attempts=[TlsAttempt("CloudFront's presumed TLS 1.3 offer", ["TLSv1.3"],
                                            "TLS_AES_128_GCM_SHA256", ok=True)])
    cache.keep_tls13(_primary(), check)
    check.attempts[0].ok = False  # the report it came from is the caller's to change
    clock.now = START + MAX_AGE - dt.timedelta(seconds=1)
    first = cache.tls13(_primary())
    assert first is not None and first.attempts[0].ok
    first.attempts[0].ok = False
    again = cache.tls13(_primary())
    assert again is not None and again.attempts[0].ok
    assert again.attempts[0].reused_from == "2026-11-30T02:00:00Z"
    clock.now = START + MAX_AGE
    assert cache.tls13(_primary()) is None
