"""The verdict's headline for a ``warn`` report, shared by the terminal, its live progress and
Slack so they never disagree.

"CloudFront can connect, with warnings" is a confident statement: it is said only when no
warning is an uncertain one that might mean 502 all the same (TLS 1.3 only, a revoked
certificate, a key type AWS does not document...). Otherwise the headline says CloudFront
can *probably* connect and names what could still cause a 502. Whether an uncertain warning
might is decided per finding code, as data: the catalog entry's ``may_502``.
"""

from __future__ import annotations

from workers.diagnosis.catalog import CATALOG
from workers.models import Finding, Report, Severity, Verdict
from workers.models.distribution import DistributionReport
from workers.wording import VERDICT_WORDS, report_verdict_words, title_of

WARN_SURE = "CloudFront can connect, with warnings"
# (one point, several points), filled with the count and the points' short titles.
WARN_DOUBT = (
    "CloudFront can probably connect — {count} point could cause 502 and can't be confirmed: "
    "{titles}",
    "CloudFront can probably connect — {count} points could cause 502 and can't be confirmed: "
    "{titles}")
WARN_DOUBT_WORDS = "probably works, 502 not ruled out"
# A distribution whose origins all warn, some of them with such a doubt: (one, several).
DIST_WARN_DOUBT = (
    "CloudFront can probably connect to every origin; a 502 is not ruled out for origin {names}",
    "CloudFront can probably connect to every origin; a 502 is not ruled out for origins "
    "{names}")
MORE_TITLES = " (+{count} more)"
_TITLES_SHOWN = 2  # a headline stays one line: the rest are counted


def may_mean_502(finding: Finding) -> bool:
    """Whether ``finding`` is a warning that rests on something undocumented and might mean
    502 all the same. A code the catalog has not decided counts as one (never the confident
    side by default)."""
    if finding.severity != Severity.WARNING or not finding.uncertain:
        return False
    entry = CATALOG.get(finding.code)
    return entry is None or entry.may_502 is not False


def _used_by_cloudfront(report: Report, finding: Finding) -> bool:
    """False for a finding only about addresses of a family CloudFront does not use here (an
    error downgraded to a warning for that reason causes no 502 today)."""
    addresses = finding.evidence.get("addresses") or ([finding.address] if finding.address
                                                      else [])
    if not addresses:
        return True
    families = {a.address: a.family for a in report.addresses}
    return any(report.target.uses_family(families.get(a, "ipv4")) for a in addresses)


def doubts(report: Report) -> list[Finding]:
    """The warnings that could still mean 502 and cannot be confirmed, in report order."""
    return [f for f in report.findings if may_mean_502(f) and _used_by_cloudfront(report, f)]


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    return text if len(first) > 1 and first.isupper() else text[:1].lower() + text[1:]


def warn_sentence(report: Report) -> str:
    """The headline of a ``warn`` report, without a final full stop."""
    points = doubts(report)
    if not points:
        return WARN_SURE
    titles = list(dict.fromkeys(_lower_first(title_of(f)) for f in points))
    shown = "; ".join(titles[:_TITLES_SHOWN])
    if len(titles) > _TITLES_SHOWN:
        shown += MORE_TITLES.format(count=len(titles) - _TITLES_SHOWN)
    form = WARN_DOUBT[0] if len(titles) == 1 else WARN_DOUBT[1]
    return form.format(count=len(titles), titles=shown)


def lead_finding(report: Report) -> Finding | None:
    """The finding a one-line verdict leads with: the first doubt of a ``warn`` report (it is
    what the headline is about), else the report's primary finding."""
    if Verdict(report.verdict) == Verdict.WARN:
        points = doubts(report)
        if points:
            return points[0]
    return report.primary


def short_verdict(report: Report) -> str:
    """The verdict in a few words ("works, with warnings"), for one-line lists and Slack's
    plain-text fallbacks: a ``warn`` with a doubt says a 502 is not ruled out."""
    if Verdict(report.verdict) == Verdict.WARN and report.edge is None and doubts(report):
        return WARN_DOUBT_WORDS
    return report_verdict_words(report)


def probe_words(verdict: str, report: Report | None) -> str:
    """short_verdict for one origin of a distribution, whose report may be missing (not
    probed): the plain verdict's words then."""
    if report is not None and report.verdict == verdict:
        return short_verdict(report)
    return VERDICT_WORDS.get(Verdict(verdict), verdict) if verdict in set(Verdict) else verdict


def live_words(verdict: str, doubtful: bool) -> str:
    """short_verdict for a distribution's origin as its live progress knows it."""
    if verdict == Verdict.WARN and doubtful:
        return WARN_DOUBT_WORDS
    return VERDICT_WORDS.get(Verdict(verdict), verdict) if verdict in set(Verdict) else verdict


def distribution_warn_sentence(doubtful: list[str]) -> str | None:
    """The headline of a distribution that warns, naming the origins a 502 is not ruled out
    for; None when there is none (the plain warning headline holds)."""
    if not doubtful:
        return None
    form = DIST_WARN_DOUBT[0] if len(doubtful) == 1 else DIST_WARN_DOUBT[1]
    return form.format(names=", ".join(doubtful))


def distribution_words(report: DistributionReport) -> str:
    """short_verdict for a distribution: its worst origin's, with a ``warn`` saying a 502 is
    not ruled out when one of its origins' warnings could mean one."""
    if report.verdict == Verdict.WARN and any(
            p.report is not None and p.verdict == Verdict.WARN and doubts(p.report)
            for p in report.probes):
        return WARN_DOUBT_WORDS
    return probe_words(report.verdict, None)
