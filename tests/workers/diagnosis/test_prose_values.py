"""Catalog wording passed into another template as a value keeps its `code` spans in the
steps, while a value the origin chose never opens or closes one (re-audit #6: the nginx fix of
TLS13_OFFER_REFUSED showed `ssl_conf_command …;` with ˋ for backticks)."""

from __future__ import annotations

import string
from collections.abc import Iterator

import pytest

from workers.diagnosis import catalog
from workers.diagnosis.catalog import CATALOG, Prose
from workers.diagnosis.draft import draft
from workers.diagnosis.render import say, word
from workers.models import FindingCode

LOOKALIKE = "\u02cb"


def phrases() -> Iterator[tuple[str, str]]:
    """Every phrase the catalog holds outside its entries: module constants, and the values of
    its phrase tables (dicts and tuples), with where each is."""
    for name, value in vars(catalog).items():
        if not name.isupper() or name == "CATALOG":
            continue
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, dict):
            yield from ((f"{name}[{k}]", v) for k, v in value.items() if isinstance(v, str))
        elif isinstance(value, tuple):
            yield from ((f"{name}[{i}]", v) for i, v in enumerate(value) if isinstance(v, str))


def fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_catalog_phrase_with_a_code_span_is_prose() -> None:
    spans = [(where, text) for where, text in phrases() if "`" in text]
    assert spans, "the catalog has code spans in phrases: the scan must find them"
    assert [where for where, text in spans if not isinstance(text, Prose)] == []


def test_a_plain_phrase_with_a_backtick_is_seen() -> None:
    # The failure the check above implies: a phrase with a span that is not Prose.
    assert not isinstance("use `nginx -t`", Prose)
    assert isinstance(catalog.TLS13_FIX_SUITES, Prose)


PROSE = [text for _, text in phrases() if isinstance(text, Prose) and "`" in text]
# The step fields the rules fill with wording of the catalog's (others hold measured values).
WORDING_FIELDS = {"fix", "how", "advice", "alternative", "problem", "consequence"}
STEPPED = [(code, entry) for code, entry in CATALOG.items()
           if any(fields(step) & WORDING_FIELDS for step in entry.remediation)]


@pytest.mark.parametrize("prose", PROSE, ids=lambda p: p[:30])
@pytest.mark.parametrize(("code", "entry"), STEPPED, ids=lambda x: str(x)[:40])
def test_no_step_shows_a_lookalike_from_catalog_wording(code, entry, prose) -> None:
    value = say(prose, needed=120) if fields(prose) else prose
    names = set().union(*(fields(step) & WORDING_FIELDS for step in entry.remediation))
    numbers = {f: 1 for template in (entry.summary, *entry.shapes.values(), *entry.remediation)
               for _, f, spec, _ in string.Formatter().parse(template) if f and spec}
    d = draft(code, "192.0.2.10", address="192.0.2.10", port=443).worded(
        **{**dict.fromkeys(names, value), **numbers})
    finding = word(d, 1)
    assert not any(LOOKALIKE in step for step in finding.remediation), finding.remediation
    # (A step that only repeats the summary is dropped: then the summary holds it.)
    assert any("`" in text for text in [*finding.remediation, finding.summary])


def test_an_origin_value_still_cannot_open_a_span() -> None:
    # The pair: text the origin controls (a server name, an error message) shows its
    # backticks as ˋ, in a step and inside Prose filled with it.
    d = draft(FindingCode.TLS_PROTOCOL_UNSUPPORTED, "192.0.2.10", address="192.0.2.10",
              port=443, sni="a`b.example", accepted="TLSv1.3", offered="TLSv1.2").worded(
        fix="Run `rm -rf /`")
    steps = word(d, 1).remediation
    assert "Run ˋrm -rf /ˋ" in steps[0]
    assert "-servername aˋb.example" in steps[1]
    filled = say(Prose("Use `{x}` here"), x="`evil`")
    assert isinstance(filled, Prose) and filled == "Use `ˋevilˋ` here"


def test_tls13_offer_refused_fix_keeps_its_nginx_command() -> None:
    for fix in (catalog.TLS13_FIX_SUITES, catalog.TLS13_FIX_OTHER):
        d = draft(FindingCode.TLS13_OFFER_REFUSED, "192.0.2.10", address="192.0.2.10",
                  port=443, tls13_suites="TLS_AES_128_GCM_SHA256").worded(
            answer="alert handshake_failure", accepts="x", fix=fix)
        step = word(d, 1).remediation[-1]
        assert LOOKALIKE not in step and "(nginx: `ss" in step, step
