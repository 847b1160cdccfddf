"""The catalog's words read as the tool's own: no "UNCONFIRMED" (the facts file's tag, not a
word for users: "AWS does not document ..." says it), and no measured message said twice in a
row, "X (X)" (re-audit #8, #9)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.workers.diagnosis.test_prose_values import phrases
from tests.workers.diagnosis.test_rules import NOW, address, report
from workers.diagnosis import diagnose_findings
from workers.diagnosis.catalog import CATALOG
from workers.models import HttpResult, TlsReason, TlsResult

OPENSSL = "[SSL: NO_SHARED_CIPHER] no shared cipher"
# A piece of text of some length, then the same piece in brackets right after it.
_DOUBLED = re.compile(r"(\S.{11,}?) \(\1\)")


def texts() -> Iterator[tuple[str, str]]:
    """Every piece of wording the catalog holds, with where it is."""
    for code, entry in CATALOG.items():
        yield f"{code} title", entry.title
        yield f"{code} summary", entry.summary
        yield from ((f"{code} step {i}", s) for i, s in enumerate(entry.remediation))
        yield from ((f"{code} {shape}", s) for shape, s in entry.shapes.items())
        yield from ((f"{code} {shape} title", s) for shape, s in entry.shape_titles.items())
        if entry.merged:
            yield f"{code} merged", entry.merged
    yield from phrases()


def test_no_catalog_wording_says_unconfirmed():
    assert [where for where, text in texts() if "UNCONFIRMED" in text.upper()] == []


def test_the_scan_sees_every_entry():
    where = {w.split()[0] for w, _ in texts()}
    assert {str(code) for code in CATALOG} <= where


def test_doubled_text_is_seen():
    # The failure the checks below look for, as the re-audit saw it.
    assert _DOUBLED.search(f"127.0.0.1 port 443: {OPENSSL} ({OPENSSL}).")
    assert not _DOUBLED.search(f"127.0.0.1 port 443: the handshake failed ({OPENSSL}).")


@pytest.mark.parametrize("reason", [r for r in TlsReason if r != TlsReason.UNVERIFIABLE_HERE])
def test_no_tls_finding_says_openssls_message_twice(reason):
    tls = TlsResult(status="failed", reason=reason, detail=OPENSSL,
                    accepted_protocols=["TLSv1.2"] if reason != "protocol_unsupported" else
                    ["TLSv1"])
    found = diagnose_findings(report(address(tls=tls, http=HttpResult(status="not_run"))), NOW)
    for finding in found:
        assert not _DOUBLED.search(finding.summary), finding.summary
        for step in finding.remediation:
            assert not _DOUBLED.search(step), step


def test_handshake_failed_names_openssls_message_once():
    # Re-audit #8: a TLS 1.2 nginx whose only cipher is DHE without dhparam.
    tls = TlsResult(status="failed", reason="handshake_failed", detail=OPENSSL)
    found = diagnose_findings(report(address(tls=tls, http=HttpResult(status="not_run"))), NOW)
    [finding] = [f for f in found if f.code == "TLS_HANDSHAKE_FAILED"]
    assert finding.summary.count(OPENSSL) == 1
    assert f"the handshake failed ({OPENSSL})" in finding.summary
    # And without a message, the brackets say so rather than stay empty.
    bare = TlsResult(status="failed", reason="handshake_failed")
    found = diagnose_findings(report(address(tls=bare, http=HttpResult(status="not_run"))), NOW)
    [finding] = [f for f in found if f.code == "TLS_HANDSHAKE_FAILED"]
    assert "()" not in finding.summary and "None" not in finding.summary
