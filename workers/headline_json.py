"""The ``headline`` object of ``origin502 diagnose --json``: the words the terminal's verdict
line prints, and beside them the same decision as fields a pipeline can test, so that it never
has to combine ``verdict`` with each finding's ``uncertain`` (and the catalog's rules) itself.

Everything here is read from workers/headline.py, which the terminal and Slack word their
headlines from: the JSON cannot say something they do not. The fields are documented in the
README ("The headline object"); tests/workers/data/headline.schema.json pins their shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workers.headline import (
    SCHEMES,
    Outcome,
    distribution_sentence,
    distribution_words,
    doubts,
    outcome,
    short_verdict,
    verdict_sentence,
    viewer_outcomes,
)
from workers.models import Finding, Report, Verdict
from workers.wording import title_of

if TYPE_CHECKING:  # annotations only: one origin's --json does not load it
    from workers.models.distribution import DistributionReport

HEADLINE_SCHEMA = 1


def _points(findings: list[Finding] | tuple[Finding, ...]) -> list[dict[str, str]]:
    """Distinct points (code and short title), in report order, as the sentences count them."""
    seen: dict[str, dict[str, str]] = {}
    for finding in findings:
        title = title_of(finding)
        seen.setdefault(title, {"code": finding.code, "title": title})
    return list(seen.values())


def _outcome_fields(found: Outcome | None) -> dict[str, Any]:
    """What viewers get because of a set of errors (None: no error for them)."""
    if found is None:
        return {"viewers_get": [], "certain": True, "which_unknown": False,
                "undocumented_status": False, "settings_refused": False, "passed_on": [],
                "some_addresses": False, "uncertain": []}
    return {
        # The origin's own statuses are kept with their reason phrase in ``passed_on``.
        "viewers_get": sorted({*found.statuses,
                               *(status.split(" ", 1)[0] for status in found.passed)}),
        "certain": not found.doubts,
        "which_unknown": found.which_unknown,
        "undocumented_status": found.undocumented,
        "settings_refused": found.setting,
        "passed_on": list(found.passed),
        "some_addresses": found.partial is not None,
        "uncertain": _points(found.doubts),
    }


def _merged(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The fields for every viewer at once, from each scheme's: what any of them gets,
    certain only when each group's outcome is."""
    merged = _outcome_fields(None)
    for group in groups:
        merged["viewers_get"] = sorted({*merged["viewers_get"], *group["viewers_get"]})
        merged["passed_on"] = list(dict.fromkeys((*merged["passed_on"], *group["passed_on"])))
        for key in ("which_unknown", "undocumented_status", "settings_refused",
                    "some_addresses"):
            merged[key] = merged[key] or group[key]
        merged["certain"] = merged["certain"] and group["certain"]
        known = {p["title"] for p in merged["uncertain"]}
        merged["uncertain"] += [p for p in group["uncertain"] if p["title"] not in known]
    return merged


def headline(report: Report) -> dict[str, Any]:
    """The headline object of one origin's report (see the module docstring)."""
    verdict = Verdict(report.verdict)
    may_502 = _points(doubts(report))
    by_scheme: dict[str, dict[str, Any] | None] | None = None
    if report.edge is not None:
        worst = report.edge.worst
        fields = _outcome_fields(None)
        if worst is not None and (worst.status_code or 0) >= 500:
            fields["viewers_get"] = [str(worst.status_code)]
    elif verdict == Verdict.FAIL:
        per = viewer_outcomes(report)
        if per is not None:
            by_scheme = {s: _outcome_fields(per[s]) if per[s] is not None else None
                         for s in SCHEMES}
            fields = _merged([g for g in by_scheme.values() if g is not None])
        else:
            fields = _outcome_fields(outcome(report.findings))
    else:
        fields = _outcome_fields(None)
        if verdict == Verdict.WARN:
            fields["certain"] = not may_502
            fields["uncertain"] = may_502
    if verdict == Verdict.UNKNOWN:  # nothing wrong found, but not everything looked at
        fields["certain"] = False
    return {"schema": HEADLINE_SCHEMA, "verdict": report.verdict,
            "sentence": verdict_sentence(report), "words": short_verdict(report), **fields,
            "may_502": len(may_502), "by_scheme": by_scheme}


def distribution_headline(report: DistributionReport) -> dict[str, Any]:
    """The headline object of a distribution: its sentence, and its origins' fields taken
    together (each origin's own headline is in its report): what viewers of the failing
    origins get, or, when none fails, the points that could still mean 502."""
    heads = [(p.origin_id, p.verdict, headline(p.report)) for p in report.probes
             if p.report is not None]
    failing = [head for _, verdict, head in heads if verdict == Verdict.FAIL]
    fields = _merged(failing) if failing else _outcome_fields(None)
    if not failing and report.verdict == Verdict.UNKNOWN:
        fields["certain"] = False
    elif not failing and report.verdict == Verdict.WARN:
        hedged = _merged([head for _, verdict, head in heads if verdict == Verdict.WARN])
        fields["certain"], fields["uncertain"] = hedged["certain"], hedged["uncertain"]
    return {"schema": HEADLINE_SCHEMA, "verdict": report.verdict,
            "sentence": distribution_sentence(report), "words": distribution_words(report),
            **fields, "may_502": sum(head["may_502"] for _, _, head in heads),
            "failing_origins": list(dict.fromkeys(
                origin for origin, verdict, _ in heads if verdict == Verdict.FAIL)),
            "doubtful_origins": list(dict.fromkeys(
                origin for origin, _, head in heads if head["may_502"]))}


def report_document(report: Report, warnings: list[str] | None = None) -> dict[str, Any]:
    """The JSON document `diagnose --json` prints for one origin: the schema-1 report, then
    its ``headline`` and the ``warnings`` said about the command line (none: an empty list)."""
    data = report.to_dict()
    data["headline"] = headline(report)
    data["warnings"] = list(warnings or [])
    return data


def distribution_document(report: DistributionReport,
                          warnings: list[str] | None = None) -> dict[str, Any]:
    """The JSON document for a distribution: each origin's report with its own headline, and
    the distribution's headline and ``warnings`` at the top."""
    data = report.to_dict()
    for origin in data["distribution"]["origins"]:
        mine = [p for p in report.probes if p.origin_id == origin["id"]]
        for probe, out in zip(mine, origin["probes"], strict=True):
            if probe.report is not None and out.get("report") is not None:
                out["report"]["headline"] = headline(probe.report)
    data["headline"] = distribution_headline(report)
    data["warnings"] = list(warnings or [])
    return data
