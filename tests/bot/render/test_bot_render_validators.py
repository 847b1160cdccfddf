"""The evidence view says what each certificate validator concluded, escaped like everything
else the origin controls (the failing certificate's subject comes from the origin)."""

from __future__ import annotations

from bot.render.evidence import probe_text
from tests.bot.reports import https_probe
from workers.models import ValidatorVerdict


def test_validator_verdicts_are_listed_and_escaped():
    probe = https_probe()
    assert probe.tls is not None and probe.tls.analysis is not None
    probe.tls.analysis.validators = [
        ValidatorVerdict("openssl", False, code="X509_V_ERR_INVALID_CA",
                         rule="invalid CA certificate", certificate="CN=<!channel>"),
        ValidatorVerdict("webpki", True),
    ]
    text = probe_text("192.0.2.10", probe)
    assert ("Validators: OpenSSL rejects (X509_V_ERR_INVALID_CA on `CN=&lt;!channel&gt;`) · "
            "Web PKI profile accepts") in text
    assert "<!channel>" not in text


def test_no_validator_line_when_none_ran():
    assert "Validators:" not in probe_text("192.0.2.10", https_probe())
