"""The catalog holds one entry for every finding code and nothing else, and every phrase
table keyed by an enum covers that enum."""

from __future__ import annotations

import string
from collections.abc import Mapping

import pytest

from workers.diagnosis import catalog
from workers.diagnosis.catalog import CATALOG, Entry, Shape
from workers.models import EdgeErrorFamily, FindingCode


def coverage(entries: Mapping[object, Entry]) -> tuple[list[str], list[str]]:
    """(codes without an entry, entries that are no code)."""
    missing = sorted(code.value for code in FindingCode if code not in entries)
    orphans = sorted(str(key) for key in entries if not isinstance(key, FindingCode))
    return missing, orphans


def test_every_code_has_an_entry_and_every_entry_a_code() -> None:
    assert coverage(CATALOG) == ([], [])
    assert len(CATALOG) == len(FindingCode)


def test_a_missing_entry_and_an_orphan_are_both_seen() -> None:
    # The failures the check above implies, so that it can fail.
    doctored: dict[object, Entry] = dict(CATALOG)
    entry = doctored.pop(FindingCode.PORT_CLOSED)
    doctored["PORT_CLOSED_TYPO"] = entry
    assert coverage(doctored) == (["PORT_CLOSED"], ["PORT_CLOSED_TYPO"])


def test_every_shape_belongs_to_exactly_one_entry() -> None:
    owners = {shape: [code for code, entry in CATALOG.items() if shape in entry.shapes]
              for shape in Shape}
    assert {shape: len(codes) for shape, codes in owners.items()} == dict.fromkeys(Shape, 1)


def test_an_entry_without_the_shape_asked_for_fails_loudly() -> None:
    with pytest.raises(KeyError):
        CATALOG[FindingCode.PORT_CLOSED].summary_for(Shape.CUT_SHORT)


def _templates() -> list[tuple[str, str]]:
    out = []
    for code, entry in CATALOG.items():
        out.append((f"{code} summary", entry.summary))
        out.extend((f"{code} shape {shape}", text) for shape, text in entry.shapes.items())
        out.extend((f"{code} step {n}", step) for n, step in enumerate(entry.remediation, 1))
    for name in dir(catalog):
        value = getattr(catalog, name)
        if name.isupper() and isinstance(value, str) and not value.startswith("https://"):
            out.append((name, value))
        elif name.isupper() and isinstance(value, dict):
            out.extend((f"{name}[{k}]", v) for k, v in value.items() if isinstance(v, str))
    return out


@pytest.mark.parametrize(("where", "template"), _templates())
def test_every_template_names_its_fields(where: str, template: str) -> None:
    # A positional "{}" or a malformed brace would fail only when that wording is used.
    fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    assert all(name and name.isidentifier() for name in fields), (where, fields)


@pytest.mark.parametrize("table", [catalog.EDGE_FAMILY_WORDS, catalog.EDGE_FAMILY_STEPS,
                                   catalog.EDGE_FAMILY_LINKS])
def test_every_edge_family_has_its_words(table: Mapping[EdgeErrorFamily, str]) -> None:
    assert set(table) == set(EdgeErrorFamily)


def test_every_code_named_by_a_verb_table_is_a_code_whose_summary_uses_it() -> None:
    for code in catalog.NAME_SERVERS_VERB:
        assert "{verb}" in CATALOG[code].summary
