"""No remediation step is ever a fragment. A step that repeats what the summary says loses those
sentences (a fix starts with what to do); what is left must still be whole sentences, whatever
the measured values hold: OpenSSL's "[SSL: …]" errors, the catalog's own multi-sentence
phrases with colons ("Less likely: …"), names ending in a full stop.

Every catalog entry (each summary shape) is worded with every representative value in every
field, and each step that came out shorter than its template filled in is checked."""

from __future__ import annotations

import string

import pytest

from workers.diagnosis import catalog
from workers.diagnosis.catalog import CATALOG
from workers.diagnosis.draft import Draft
from workers.diagnosis.render import _STEPS, say, word
from workers.models import FindingCode

# Values rules really fill fields with: OpenSSL error texts, the catalog's phrases (which hold
# colons, semicolons and several sentences), names and numbers.
_OPENSSL = [
    "TLSV1_UNRECOGNIZED_NAME: [SSL: TLSV1_UNRECOGNIZED_NAME] tlsv1 unrecognized name",
    "[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure",
    "UNEXPECTED_EOF_WHILE_READING: [SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in "
    "violation of protocol",
    "no handshake answer within 10 s",
    "the origin reset the connection (Connection reset by peer)",
]
_NAMES = ["origin.example.com", "Zoo Issuing CA.", "CN=Example Issuing CA 2,O=origin502 tests",
          "127.0.0.1", "443"]


def _filled(template: str) -> str:
    """``template`` with a name in each text field and a number in each formatted one."""
    facts: dict[str, object] = {}
    for _, name, spec, _ in string.Formatter().parse(template):
        if name:
            facts[name] = 10 if spec else "Zoo Issuing CA"
    facts.setdefault("url", "http://ca.example.test/i.cer")
    return say(template, **facts)  # type: ignore[arg-type]


def _catalog_phrases() -> list[str]:
    out = []
    for name in dir(catalog):
        value = getattr(catalog, name)
        if name.isupper() and isinstance(value, str) and not value.startswith("https://"):
            out.append(_filled(value))
    return [p for p in out if p.strip()]


VALUES = _OPENSSL + _NAMES + _catalog_phrases()


def _fields(code: FindingCode) -> dict[str, bool]:
    """The fields the entry's templates name, and whether one is formatted as a number."""
    entry = CATALOG[code]
    texts = [entry.summary, *entry.shapes.values(), *entry.remediation]
    out: dict[str, bool] = {}
    for text in texts:
        for _, name, spec, _ in string.Formatter().parse(text):
            if name:
                out[name] = out.get(name, False) or bool(spec)
    return out


def _cases() -> list[tuple[FindingCode, object]]:
    return [(code, shape) for code, entry in CATALOG.items()
            for shape in (None, *entry.shapes)]


def fragment(step: str) -> str | None:
    """Why ``step`` is not whole sentences, or None when it is."""
    if not (step[:1].isupper() or step[:1] in "`\"“'(0123456789" or step.startswith("origin502")):
        return "does not start a sentence"
    if step.rstrip()[-1:] not in ".!?)\"”`":
        return "does not end a sentence"
    if len(step.split()) < 4:
        return "too short to be a step"
    for opening, closing in ("[]", "()"):
        if step.count(opening) != step.count(closing):
            return f"unbalanced {opening}{closing}"
    return None


@pytest.mark.parametrize(("code", "shape"), _cases())
def test_no_step_is_a_fragment(code: FindingCode, shape: object) -> None:
    entry = CATALOG[code]
    for value in VALUES:
        facts: dict[str, object] = {name: 10 if numeric else value
                                     for name, numeric in _fields(code).items()}
        d = Draft(code=code, address="127.0.0.1", evidence=facts,  # type: ignore[arg-type]
                  words={},
                  severity=entry.severity, uncertain=entry.uncertain, shape=shape)  # type: ignore[arg-type]
        finding = word(d, 1)
        full = [" ".join(_STEPS.format(s, **facts).split()) for s in entry.remediation]
        for step in finding.remediation:
            if " ".join(step.split()) in full:
                continue  # the step as written, nothing cut from it
            why = fragment(step)
            assert why is None, (code, shape, value, step, why)


@pytest.mark.parametrize("step", ["[SSL:", "Less likely:", "Zoo Issuing CA.",
                                  "(see the AIA fetch of http://x: timed out."])
def test_the_fragments_the_audit_saw_are_told_apart(step: str) -> None:
    assert fragment(step) is not None


def test_a_handshake_error_repeated_from_the_summary_leaves_no_piece_of_it() -> None:
    # Audit #14: the summary shows OpenSSL's error; the step "{detail}" repeats it.
    error = _OPENSSL[0]
    d = Draft(code=FindingCode.TLS_HANDSHAKE_FAILED, address="127.0.0.1",
              evidence={"address": "127.0.0.1", "port": 443, "sni": "www.example.com",
                        "detail": error},
              words={"what": "the handshake failed", "measured": error, "extra": ""},
              severity=CATALOG[FindingCode.TLS_HANDSHAKE_FAILED].severity, uncertain=False)
    steps = word(d, 1).remediation
    assert all("[SSL:" not in s for s in steps), steps
    assert all(fragment(s) is None for s in steps), steps


def test_a_sentence_that_explains_after_a_colon_stays_whole() -> None:
    # Audit #15: "Less likely: a public CA's intermediate is missing" was cut at the colon.
    line = say(catalog.ISSUER_WITHOUT_AIA, missing="Zoo Issuing CA")
    d = Draft(code=FindingCode.CERT_UNTRUSTED_ROOT, address="127.0.0.1",
              evidence={"evidence_line": line}, words={},
              severity=CATALOG[FindingCode.CERT_UNTRUSTED_ROOT].severity, uncertain=False)
    steps = word(d, 1).remediation
    assert not any(s.startswith("Less likely") for s in steps), steps
    assert steps[0].startswith("CloudFront trusts only the CAs on Mozilla's list")
