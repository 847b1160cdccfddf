"""The verdict's headline for a ``warn`` or ``fail`` report, shared by the terminal, its live
progress and Slack so they never disagree.

"CloudFront can connect, with warnings" is a confident statement: it is said only when no
warning is an uncertain one that might mean 502 all the same (TLS 1.3 only, a revoked
certificate, a key type AWS does not document...). Otherwise the headline says CloudFront
can *probably* connect and names what could still cause a 502. Whether an uncertain warning
might is decided per finding code, as data: the catalog entry's ``may_502``. When every
address CloudFront would use is private or loopback (probed because private targets are
allowed), the confident headline becomes "the origin answers from here, but CloudFront cannot
reach" them; a distribution names such origins in the same words, and a disabled distribution's
headline says first that viewers do not get these origins' answers through it now.

A ``fail`` headline names what viewers get, from the catalog entry's ``predicts`` of each
error: CloudFront's 502, its 504, "502 or 504" where AWS does not say which, an error of a
status AWS does not document, or the origin's own status passed on. It is confident only when
some error is certain; when every error is uncertain, it says the outcome is likely, not
confirmed, and names the doubtful points. A match-viewer origin's HTTP and HTTPS viewers are
told apart when they fare differently (cloudfront-facts §4.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from workers.diagnosis.catalog import CATALOG, Predicts
from workers.models import Finding, Report, Severity, Verdict
from workers.models.record import FrozenRecord
from workers.wording import VERDICT_WORDS, layer_of, lower_first, title_of

if TYPE_CHECKING:
    # Annotations only: one origin's verdict line (terminal, --json) does not load the
    # distribution models (~4 ms of dataclass creation).
    from workers.models.distribution import DistributionReport

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
# Every address CloudFront would use is private or loopback (probed only because private
# targets are allowed): it answers here, but ORIGIN_PRIVATE_ADDRESS says CloudFront cannot
# reach it, so the headline must not say plainly that CloudFront can connect.
WARN_PRIVATE = "The origin answers from here, but CloudFront cannot reach {addresses}"
# The same for a distribution's origins that warn only so (one origin, several).
DIST_WARN_PRIVATE = (
    "Origin {names} answers from here, but CloudFront cannot reach {addresses}",
    "Origins {names} answer from here, but CloudFront cannot reach {addresses}")
PRIVATE_ADDRESS = "{address} ({reason})"
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


def _private_addresses(report: Report) -> list[str]:
    """Every address CloudFront would use, with why it is not public, when none is public;
    [] when one is (or there is none)."""
    used = [a for a in report.addresses if report.target.uses_family(a.family)]
    if not used or not all(a.private_reason for a in used):
        return []
    return [PRIVATE_ADDRESS.format(address=a.address, reason=a.private_reason) for a in used]


def _shown(items: list[str]) -> str:
    """``items`` joined for a one-line headline: the first few, the rest counted."""
    shown = ", ".join(items[:_TITLES_SHOWN])
    if len(items) > _TITLES_SHOWN:
        shown += MORE_TITLES.format(count=len(items) - _TITLES_SHOWN)
    return shown


def _private_only(report: Report) -> str | None:
    """The addresses, with why, when every address CloudFront would use is not public; None
    when one is public (or there is none)."""
    private = _private_addresses(report)
    return _shown(private) if private else None


def warn_sentence(report: Report) -> str:
    """The headline of a ``warn`` report, without a final full stop."""
    points = doubts(report)
    if not points:
        private = _private_only(report)
        return WARN_PRIVATE.format(addresses=private) if private else WARN_SURE
    count, shown = _titles(points)
    form = WARN_DOUBT[0] if count == 1 else WARN_DOUBT[1]
    return form.format(count=count, titles=shown)


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
    plain-text fallbacks: a ``warn`` with a doubt says a 502 is not ruled out, a ``fail``
    says what viewers get (fail_words)."""
    verdict = Verdict(report.verdict)
    if report.edge is None and verdict == Verdict.WARN and doubts(report):
        return WARN_DOUBT_WORDS
    if report.edge is None and verdict == Verdict.FAIL:
        return fail_words(report)
    return VERDICT_WORDS[verdict]


def probe_words(verdict: str, report: Report | None) -> str:
    """short_verdict for one origin of a distribution, whose report may be missing (not
    probed): the plain verdict's words then."""
    if report is not None and report.verdict == verdict:
        return short_verdict(report)
    return VERDICT_WORDS.get(Verdict(verdict), verdict) if verdict in set(Verdict) else verdict


def live_words(verdict: str, doubtful: bool, words: str | None = None) -> str:
    """short_verdict for a distribution's origin as its live progress knows it: ``words``
    when it recorded them."""
    if words:
        return words
    if verdict == Verdict.WARN and doubtful:
        return WARN_DOUBT_WORDS
    return VERDICT_WORDS.get(Verdict(verdict), verdict) if verdict in set(Verdict) else verdict


def distribution_private_sentence(report: DistributionReport) -> str | None:
    """The headline of a distribution that warns when some origins, with no doubt, warn
    because CloudFront cannot reach any of their addresses (loopback, private): they answer
    here only. None when there is none (the plain warning headline holds)."""
    names: list[str] = []
    addresses: list[str] = []
    for probe in report.probes:
        if probe.report is None or probe.verdict != Verdict.WARN or doubts(probe.report):
            continue
        private = _private_addresses(probe.report)
        if private:
            names.append(probe.origin_id)
            addresses.extend(private)
    if not names:
        return None
    names = list(dict.fromkeys(names))
    form = DIST_WARN_PRIVATE[0] if len(names) == 1 else DIST_WARN_PRIVATE[1]
    return form.format(names=", ".join(names), addresses=_shown(list(dict.fromkeys(addresses))))


def distribution_warn_sentence(doubtful: list[str]) -> str | None:
    """The headline of a distribution that warns, naming the origins a 502 is not ruled out
    for; None when there is none (the plain warning headline holds)."""
    if not doubtful:
        return None
    form = DIST_WARN_DOUBT[0] if len(doubtful) == 1 else DIST_WARN_DOUBT[1]
    return form.format(names=", ".join(doubtful))


# The verdict line's sentence for the verdicts that need no report to word them.
OK_SENTENCE = "CloudFront can connect to this origin."
UNKNOWN_SENTENCE = "could not check from here: {why}"
UNKNOWN_WHY = "unknown reason"
# A target that is CloudFront's edge: what viewers get, not a verdict about an origin.
EDGE_SILENT = "This name is CloudFront's edge; it did not answer from here."
EDGE_ERROR = "CloudFront's edge answers {status} for this name (seen from here)."
EDGE_FINE = "This name is CloudFront's edge and answers normally; its origins were not checked."
# A distribution's sentence for the verdicts the origins' sentences do not word.
DIST_OK = "CloudFront can connect to every origin probed."
DIST_NONE = "No custom origin to probe for this selection."
# Before a disabled distribution's (or tenant's) sentence: its origins' verdicts say what
# CloudFront would meet once it is enabled, not what viewers get now (workers/aws/lookup.py's
# note: what they get instead is not documented, so it is not said).
DIST_DISABLED = "Disabled: viewers do not get these origins' answers through it now"
DIST_ONCE_ENABLED = "{disabled}; once it is enabled, {sentence}"
DIST_DISABLED_AND = "{disabled}; {sentence}"


def edge_sentence(report: Report) -> str:
    """The verdict line when the target is CloudFront's edge (``report.edge`` set)."""
    worst = report.edge.worst if report.edge is not None else None
    if worst is None:
        return EDGE_SILENT
    if (worst.status_code or 0) >= 500:
        return EDGE_ERROR.format(status=worst.status_code)
    return EDGE_FINE


def verdict_sentence(report: Report) -> str:
    """The sentence of the report's verdict line, as the terminal prints it after the mark and
    the target; ``--json`` carries the same words in its ``headline``."""
    if report.edge is not None:
        return edge_sentence(report)
    verdict = Verdict(report.verdict)
    if verdict == Verdict.UNKNOWN:
        return UNKNOWN_SENTENCE.format(why=report.probe_error or UNKNOWN_WHY)
    if verdict == Verdict.WARN:
        return warn_sentence(report) + "."
    if verdict == Verdict.FAIL:
        return fail_sentence(report) + "."
    return OK_SENTENCE


def distribution_sentence(report: DistributionReport) -> str:
    """A distribution's verdict in one sentence: the failing origins, or those a 502 is not
    ruled out for, or those CloudFront cannot reach (each origin's own sentence says more);
    said to be about the distribution once enabled when it is disabled."""
    sentence = _origins_sentence(report)
    if not report.distribution.disabled_note:
        return sentence
    verdict = report.verdict
    form = DIST_ONCE_ENABLED if report.probes and verdict != Verdict.UNKNOWN \
        else DIST_DISABLED_AND
    return form.format(disabled=DIST_DISABLED, sentence=lower_first(sentence))


def _origins_sentence(report: DistributionReport) -> str:
    """distribution_sentence of the origins, whether or not the distribution is enabled."""
    verdict = Verdict(report.verdict) if report.verdict in set(Verdict) else Verdict.UNKNOWN
    if not report.probes:
        if verdict == Verdict.UNKNOWN:
            return UNKNOWN_SENTENCE.format(
                why=report.probe_error or report.verdict_reason or UNKNOWN_WHY)
        return DIST_NONE
    # Imported here: the group words build on this module's own (workers.headline_groups).
    from workers.headline_groups import distribution_clauses

    clauses = "".join(f"; {clause}" for clause in distribution_clauses(report))
    if verdict == Verdict.UNKNOWN:
        return UNKNOWN_SENTENCE.format(
            why=report.probe_error or report.verdict_reason or _unsettled(report) or UNKNOWN_WHY
        ) + clauses
    if verdict == Verdict.FAIL:
        failing = [p.origin_id for p in report.probes if p.verdict == Verdict.FAIL]
        return distribution_fail_sentence(list(dict.fromkeys(failing))) + clauses + "."
    # Beside ok or warn, the reason names the S3 and VPC origins viewers reach, which
    # origin502 does not probe (workers/diagnosis/distribution_coverage.py).
    beside = f"; {report.verdict_reason}" if report.verdict_reason else ""
    if verdict == Verdict.WARN:
        doubtful = [p.origin_id for p in report.probes if p.report is not None
                    and p.verdict == Verdict.WARN and doubts(p.report)]
        return (distribution_warn_sentence(list(dict.fromkeys(doubtful)))
                or distribution_private_sentence(report) or WARN_SURE) + clauses + beside + "."
    return DIST_OK.removesuffix(".") + beside + "."


def _unsettled(report: DistributionReport) -> str | None:
    """The note of an origin made unknown by its probes disagreeing (Host forwarding unread)."""
    for probe in report.probes:
        if probe.verdict == Verdict.UNKNOWN and probe.notes and probe.report is not None \
                and probe.report.verdict == Verdict.FAIL:
            return f"{probe.origin_id}: {probe.notes[-1]}"
    return None


def distribution_words(report: DistributionReport) -> str:
    """short_verdict for a distribution: its worst origin's, with a ``warn`` saying a 502 is
    not ruled out when one of its origins' warnings could mean one."""
    if report.verdict == Verdict.WARN and any(
            p.report is not None and p.verdict == Verdict.WARN and doubts(p.report)
            for p in report.probes):
        return WARN_DOUBT_WORDS
    return probe_words(report.verdict, None)


# --- fail ---------------------------------------------------------------------------------

# What viewers get from a failing origin, one sentence per kind, joined with "; ".
FAIL_STATUS = "CloudFront would answer {status} for {scope}"
FAIL_WHICH = " (AWS does not document which)"
FAIL_UNDOCUMENTED = "CloudFront would answer with an error (AWS does not document which status)"
FAIL_SETTING = "CloudFront does not accept this origin's settings"
FAIL_PASSED_ON = "viewers would get the origin's own {statuses} (CloudFront passes it on)"
SCOPE_ORIGIN = "this origin"
SCOPE_SOME = "some requests ({failing} of {total} addresses fail)"
# Every error uncertain (one point, several points): the outcome is likely, not confirmed.
FAIL_DOUBT = (
    "{what} is likely but not confirmed — it rests on {count} uncertain finding: {titles}",
    "{what} is likely but not confirmed — it rests on {count} uncertain findings: {titles}")
# What viewers get, as a noun: the doubtful form and the per-viewer form.
GETS_STATUS = "CloudFront's {status}"
GETS_UNDOCUMENTED = "an error from CloudFront (AWS does not document which status)"
GETS_SETTING = "no answer from this origin (CloudFront does not accept its settings)"
GETS_PASSED_ON = "the origin's own {statuses} (CloudFront passes it on)"
GETS_JOIN = " or "
# A match-viewer origin whose HTTP and HTTPS viewers fare differently (facts §4.1).
SCHEMES = ("http", "https")
VIEWER_GROUPS = {"http": "HTTP viewers", "https": "HTTPS viewers"}
GROUP_GETS = "{who} would get {what}"
GROUP_DOUBT = "{who} would likely get {what}, not confirmed (uncertain: {titles})"
GROUP_FINE = "{who}: no error found"
GROUPS_JOIN = "; "
# Short forms of the same, for one-line lists and Slack's plain-text fallbacks.
WORDS_STATUS = "{status} expected"
WORDS_SOME = "{status} expected for some requests"
WORDS_UNDOCUMENTED = "error expected"
WORDS_SETTING = "settings not accepted"
WORDS_PASSED_ON = "origin answers {status}"
WORDS_DOUBT = "{what} likely, not confirmed"
WORDS_ERROR = "error"
WORDS_GROUP = "{who}: {words}"
WORDS_FINE = "no error found"
# The origins a distribution fails for (one, several); each origin's line says what.
DIST_FAIL = ("Viewers would get errors from origin {names}",
             "Viewers would get errors from origins {names}")
# The same in a few words, for one-line lists (one origin, several).
DIST_FAIL_WORDS = ("errors from origin {names}", "errors from origins {names}")

# What a finding predicts that is not a cause of its own.
_NOT_CAUSES = frozenset({Predicts.SCOPE, Predicts.NO_ERROR})


def predicted(finding: Finding) -> Predicts:
    """What viewers get when ``finding`` is an error: the origin's own status when the rule
    measured one CloudFront passes on, else its code's ``predicts`` in the catalog. A code the
    catalog has not decided (a report stored by another version) is an error of a status
    AWS does not document: never a confident 502."""
    passed = finding.evidence.get("passed_on")
    if isinstance(passed, str) and passed:
        return Predicts.PASSED_ON
    entry = CATALOG.get(finding.code)
    if entry is None or entry.predicts is None:
        return Predicts.UNDOCUMENTED
    return entry.predicts


@dataclass(frozen=True, eq=False, repr=False)
class Outcome(FrozenRecord):
    """What viewers get because of a set of error findings."""

    statuses: tuple[str, ...]  # CloudFront's own: "502", "504"
    which_unknown: bool  # one of them is a "502 or 504" AWS does not settle
    undocumented: bool  # CloudFront's own error, of a status AWS does not document
    setting: bool  # CloudFront does not accept the origin's settings
    passed: tuple[str, ...]  # the origin's own statuses, passed on
    doubts: tuple[Finding, ...]  # when every error is uncertain: those errors
    partial: Finding | None  # some addresses fail, the others work (SOME_ADDRESSES_FAILING)


def outcome(findings: list[Finding]) -> Outcome | None:
    """What viewers get because of the error findings among ``findings``; None without any.
    Certain errors decide it; only when every error is uncertain do the uncertain ones, and
    then as doubts."""
    errors = [f for f in findings if f.severity == Severity.ERROR]
    if not errors:
        return None
    causes = [f for f in errors if predicted(f) not in _NOT_CAUSES] or errors
    certain = [f for f in causes if not f.uncertain]
    basis = certain or causes
    statuses: set[str] = set()
    which_unknown = undocumented = setting = False
    passed: list[str] = []
    for finding in basis:
        what = predicted(finding)
        if what in (Predicts.S502, Predicts.S504):
            statuses.add(what.value)
        elif what == Predicts.S502_OR_504:
            statuses.update(("502", "504"))
            which_unknown = True
        elif what == Predicts.PASSED_ON:
            status = str(finding.evidence.get("passed_on") or "")
            if status and status not in passed:
                passed.append(status)
        elif what == Predicts.SETTING_REFUSED:
            setting = True
        else:
            undocumented = True
    scope = next((f for f in errors if predicted(f) == Predicts.SCOPE), None)
    # "Some requests" only when every cause is about addresses, none about the whole origin.
    partial = scope if scope is not None and all(
        f.address or f.evidence.get("addresses") for f in basis) else None
    return Outcome(tuple(sorted(statuses)), which_unknown, undocumented, setting,
                   tuple(passed), () if certain else tuple(causes), partial)


def _titles(points: list[Finding] | tuple[Finding, ...]) -> tuple[int, str]:
    """How many distinct points, and their short titles for a one-line headline."""
    titles = list(dict.fromkeys(lower_first(title_of(f)) for f in points))
    shown = "; ".join(titles[:_TITLES_SHOWN])
    if len(titles) > _TITLES_SHOWN:
        shown += MORE_TITLES.format(count=len(titles) - _TITLES_SHOWN)
    return len(titles), shown


def _status(found: Outcome) -> str:
    return " or ".join(found.statuses)


def _gets(found: Outcome) -> str:
    """What viewers get, as a noun ("CloudFront's 502")."""
    parts = []
    if found.statuses:
        parts.append(GETS_STATUS.format(status=_status(found))
                     + (FAIL_WHICH if found.which_unknown else ""))
    if found.undocumented:
        parts.append(GETS_UNDOCUMENTED)
    if found.setting:
        parts.append(GETS_SETTING)
    if found.passed:
        parts.append(GETS_PASSED_ON.format(statuses=", ".join(found.passed)))
    return GETS_JOIN.join(parts)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(found: Outcome) -> str:
    if found.doubts:
        count, titles = _titles(found.doubts)
        form = FAIL_DOUBT[0] if count == 1 else FAIL_DOUBT[1]
        return _upper_first(form.format(what=_gets(found), count=count, titles=titles))
    parts = []
    if found.statuses:
        scope = SCOPE_ORIGIN
        if found.partial is not None:
            scope = SCOPE_SOME.format(failing=found.partial.evidence.get("failing", "?"),
                                      total=found.partial.evidence.get("total", "?"))
        parts.append(FAIL_STATUS.format(status=_status(found), scope=scope)
                     + (FAIL_WHICH if found.which_unknown else ""))
    if found.undocumented:
        parts.append(FAIL_UNDOCUMENTED)
    if found.setting:
        parts.append(FAIL_SETTING)
    if found.passed:
        parts.append(FAIL_PASSED_ON.format(statuses=", ".join(found.passed)))
    return _upper_first("; ".join(parts))


def _words(found: Outcome) -> str:
    if found.doubts:
        return WORDS_DOUBT.format(what=_status(found) if found.statuses and not (
            found.undocumented or found.setting or found.passed) else WORDS_ERROR)
    if found.statuses:
        form = WORDS_SOME if found.partial is not None else WORDS_STATUS
        return form.format(status=_status(found))
    if found.undocumented:
        return WORDS_UNDOCUMENTED
    if found.setting:
        return WORDS_SETTING
    return WORDS_PASSED_ON.format(status=" / ".join(found.passed))


def viewer_schemes(report: Report, finding: Finding) -> frozenset[str]:
    """Which viewers a finding concerns, for a match-viewer origin (HTTP viewers reach the
    HTTP port, HTTPS viewers the HTTPS port): TLS and certificate findings are HTTPS's; a
    finding about one port is that port's viewers'; anything else (DNS, the origin as a
    whole, a port both schemes share) concerns both."""
    target = report.target
    if layer_of(finding.code) == "tls":
        return frozenset({"https"})
    port = finding.evidence.get("port")
    if isinstance(port, int) and target.http_port != target.https_port:
        if port == target.https_port:
            return frozenset({"https"})
        if port == target.http_port:
            return frozenset({"http"})
    return frozenset(SCHEMES)


def viewer_outcomes(report: Report) -> dict[str, Outcome | None] | None:
    """For a match-viewer origin whose HTTP and HTTPS viewers fare differently: what each
    gets, by scheme (None: no error for them). None when one outcome holds for all viewers."""
    if report.target.protocol_policy != "match-viewer":
        return None
    errors = [f for f in report.findings if f.severity == Severity.ERROR]
    per = {s: outcome([f for f in errors if s in viewer_schemes(report, f)]) for s in SCHEMES}
    return per if per["http"] != per["https"] else None


def fail_sentence(report: Report) -> str:
    """The headline of a ``fail`` report, without a final full stop: what viewers get
    (CloudFront's 502 or 504, an error of undocumented status, the origin's own status passed
    on), hedged when every error is uncertain, and told per viewer scheme when a match-viewer
    origin's HTTP and HTTPS viewers fare differently."""
    per = viewer_outcomes(report)
    if per is not None:
        groups = []
        for scheme in SCHEMES:
            found, who = per[scheme], VIEWER_GROUPS[scheme]
            if found is None:
                groups.append(GROUP_FINE.format(who=who))
            elif found.doubts:
                groups.append(GROUP_DOUBT.format(who=who, what=_gets(found),
                                                 titles=_titles(found.doubts)[1]))
            else:
                groups.append(GROUP_GETS.format(who=who, what=_gets(found)))
        return GROUPS_JOIN.join(groups)
    found = outcome(report.findings)
    return _sentence(found) if found is not None else VERDICT_WORDS[Verdict.FAIL]


def scheme_words(report: Report, scheme: str) -> tuple[str, list[str]] | None:
    """For a match-viewer origin whose HTTP and HTTPS viewers fare differently: what the
    viewers of ``scheme`` alone get, in a few words, and their statuses; None when they meet
    no error, or when one outcome holds for all viewers."""
    per = viewer_outcomes(report)
    found = per[scheme] if per is not None else None
    if found is None:
        return None
    return _words(found), [*found.statuses, *found.passed]


def fail_words(report: Report) -> str:
    """fail_sentence in a few words ("502 expected", "HTTP viewers: origin answers 503;
    HTTPS viewers: no error found")."""
    per = viewer_outcomes(report)
    if per is not None:
        return GROUPS_JOIN.join(
            WORDS_GROUP.format(who=VIEWER_GROUPS[s],
                               words=_words(found) if (found := per[s]) is not None
                               else WORDS_FINE)
            for s in SCHEMES)
    found = outcome(report.findings)
    return _words(found) if found is not None else VERDICT_WORDS[Verdict.FAIL]


def distribution_fail_sentence(failing: list[str]) -> str:
    """The headline of a distribution that fails, naming the origins that fail; each
    origin's own line says what its viewers get."""
    form = DIST_FAIL[0] if len(failing) == 1 else DIST_FAIL[1]
    return form.format(names=", ".join(failing))


def distribution_fail_words(failing: list[str]) -> str:
    """distribution_fail_sentence in a few words, for one-line lists (a watch's digest line)."""
    form = DIST_FAIL_WORDS[0] if len(failing) == 1 else DIST_FAIL_WORDS[1]
    return form.format(names=", ".join(failing))
