"""The README's finding-code table, the catalog and the FindingCode enum say the same thing.

Both sides are read generically (columns found by their header), so codes other people add
are checked the same way as the ones that exist today.
"""

from __future__ import annotations

import re
from pathlib import Path

from workers.diagnosis.catalog import CATALOG
from workers.models import FindingCode

README = Path(__file__).resolve().parents[1] / "README.md"


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def finding_code_table() -> dict[str, dict[str, str]]:
    """Rows of the table under the "Finding codes" heading, keyed by code, one dict per row
    mapping each column header (lower case) to its cell."""
    text = README.read_text(encoding="utf-8")
    section = re.search(r"^## Finding codes\n(.*?)(?=^## )", text, re.M | re.S)
    assert section, "the README has no '## Finding codes' section"
    lines = [line for line in section.group(1).splitlines() if line.startswith("|")]
    header = [h.lower() for h in _cells(lines[0])]
    assert "code" in header, f"the finding-code table has no 'code' column: {header}"
    rows: dict[str, dict[str, str]] = {}
    for line in lines[2:]:  # skip the header and the |---| line
        row = dict(zip(header, _cells(line), strict=False))
        code = row["code"].strip("`")
        assert code not in rows, f"{code} is listed twice in the README"
        rows[code] = row
    return rows


def test_readme_lists_exactly_the_catalog_codes() -> None:
    table = finding_code_table()
    assert sorted(set(CATALOG) - set(table)) == [], "catalog codes missing from the README"
    assert sorted(set(table) - set(CATALOG)) == [], "README codes the catalog does not know"


def test_the_enum_the_catalog_and_the_readme_name_the_same_codes() -> None:
    enum = {code.value for code in FindingCode}
    assert sorted(enum - set(finding_code_table())) == [], "codes missing from the README"
    assert sorted(set(finding_code_table()) - enum) == [], "README codes that are not in the enum"
    assert {str(code) for code in CATALOG} == enum


def test_readme_severities_match_the_catalog() -> None:
    table = finding_code_table()
    wrong = []
    for code, row in table.items():
        entry = CATALOG.get(code)
        if entry is None or "severity" not in row:
            continue
        cell = row["severity"].lower()
        # "error (warning when …)", "error; warning (uncertain) when …", "error / info / …":
        # the first clause is the catalog's severity; what follows names the exceptions.
        base = re.split(r";| /| \(warning| when | \(uncertain when", cell)[0]
        leading = re.match(r"[a-z]+", base)
        if leading is None or leading.group(0) != entry.severity:
            wrong.append(f"{code}: README says {cell!r}, catalog says {entry.severity!r}")
        if ("uncertain" in base) != entry.uncertain:
            wrong.append(f"{code}: README {'marks' if 'uncertain' in cell else 'does not mark'} "
                         f"it uncertain, the catalog {'does' if entry.uncertain else 'does not'}")
    assert wrong == []


def test_the_table_reader_sees_a_real_table() -> None:
    # Guards the two tests above against passing on an empty or misread table.
    table = finding_code_table()
    assert len(table) >= 30
    assert table["PORT_CLOSED"]["severity"] == "error"
