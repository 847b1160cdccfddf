"""The typed vocabulary of findings: severities ranked by the enum, codes that mypy checks,
and JSON that spells both as it always did."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from workers.models import Finding, FindingCode, Report, Severity

ROOT = Path(__file__).resolve().parents[3]


def test_severities_rank_most_severe_first() -> None:
    assert [s.rank for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)] == [0, 1, 2]
    shuffled = [Severity.INFO, Severity.ERROR, Severity.WARNING, Severity.ERROR]
    assert sorted(shuffled, key=lambda s: s.rank) == [
        Severity.ERROR, Severity.ERROR, Severity.WARNING, Severity.INFO]


def test_the_ranking_is_not_the_alphabet() -> None:
    # The failure a ranking by name implies: "info" sorts before "warning".
    by_name = sorted(Severity, key=str)
    assert by_name == [Severity.ERROR, Severity.INFO, Severity.WARNING]
    assert sorted(Severity, key=lambda s: s.rank) != by_name


def test_codes_and_severities_keep_their_json_spelling() -> None:
    finding = Finding(code=FindingCode.PORT_CLOSED, severity=Severity.ERROR, summary="x")
    data = json.loads(json.dumps(finding.__dict__))
    assert data["code"] == "PORT_CLOSED" and data["severity"] == "error"
    assert all(code.value == code.name for code in FindingCode)


def test_a_stored_report_reads_back_as_enums() -> None:
    from tests.bot.reports import report

    stored = json.dumps(report().to_dict())
    back = Report.from_dict(json.loads(stored))
    assert back.findings[0].code is FindingCode.CERT_EXPIRED
    assert [type(f.severity) for f in back.findings] == [Severity, Severity]
    assert json.dumps(back.to_dict()) == stored  # and writes back the same bytes


def test_a_code_a_newer_writer_added_is_kept_as_text() -> None:
    from tests.bot.reports import report

    back = Report.from_dict(json.loads(json.dumps(report().to_dict())))
    assert back.findings[1].code == "TLS_PROTOCOL_OLD"  # not a FindingCode: kept, not dropped
    assert not isinstance(back.findings[1].code, FindingCode)


def _code_literals(path: Path) -> list[str]:
    values = {code.value for code in FindingCode}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and node.value in values]


def test_no_code_is_spelt_as_a_string_outside_the_enum() -> None:
    sources = [p for folder in ("workers", "bot") for p in (ROOT / folder).rglob("*.py")
               if p != ROOT / "workers" / "models" / "findings.py"]
    assert len(sources) > 50
    assert [hit for p in sources for hit in _code_literals(p)] == []


def test_the_literal_scan_finds_a_code_written_as_text() -> None:
    # The failure the scan above guards against, so that it can fail.
    sample = ROOT / "workers" / "models" / "findings.py"
    assert len(_code_literals(sample)) == len(FindingCode)


@pytest.mark.timeout(300)
def test_mypy_catches_a_misspelt_code(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from workers.models import FindingCode\n"
        "\n"
        "right = FindingCode.PORT_CLOSED\n"
        "wrong = FindingCode.PORT_CLOSD\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--follow-imports=silent",
         "--cache-dir", str(tmp_path / "cache"), str(sample)],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=280)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, result.stdout
    assert "sample.py:4:" in errors[0] and "PORT_CLOSD" in errors[0]
