"""The words for what origin groups and custom error responses change in what viewers get: a
sentence per behaviour served by a group (workers/origin_groups.py decides it), the few words
of a probe's line, and the owner's error page viewers may see instead of CloudFront's.

Shared by the terminal, Slack and --json (through workers.headline), so they never disagree.
"""

from __future__ import annotations

from workers.headline import outcome, short_verdict
from workers.models.distribution import (
    FAILS_OVER,
    NO_FAILOVER,
    PRIMARY_SERVES,
    PRIMARY_UNKNOWN,
    CustomErrorResponse,
    Distribution,
    DistributionReport,
    GroupOutcome,
    OriginProbe,
)

# FAILS_OVER: which methods the failover serves, and what the others get.
OVER_SERVED = "{methods} requests are served by the failover origin {failover}"
OVER_FAILS = "{methods} requests go to the failover origin {failover}, which fails too"
OVER_UNKNOWN = ("{methods} requests go to the failover origin {failover}, which was not "
                "checked here")
OTHERS_GET = "{methods} get {gets}"
ONLY_ALLOWED = "no other method is allowed on this behaviour"
LIKELY = " (likely, not confirmed: the primary's error rests on uncertain findings)"
W_LIKELY = " (likely, not confirmed)"
OVER_DOUBT = " (whether CloudFront fails over on this error is not documented)"
NO_OVER = ("every request gets {gets}: group {group} fails over only on {codes}, so the "
           "failover origin {failover} is not tried")
NO_CODES = "a failed connection or a timeout"
SPARE_BROKEN = ("used only when the primary origin {primary} fails, which it does not now; "
                "if it did, this failover would fail too")
SPARE_CLAUSE = "the failover origin {failover} would fail too if origin {primary} failed"
PRIMARY_NOT_CHECKED = ("the primary origin {primary} could not be checked, so whether this "
                       "failover is used is unknown")
NO_GROUP = "no origin group, so every request gets {gets}"
FOR_BEHAVIOUR = "for {behaviour}, {sentence}"
# The few words of a probe's line.
W_OVER = "{over} served by failover {failover}"
W_OVER_FAILS = "{over} go to failover {failover}, which fails too"
W_OVER_UNKNOWN = "{over} go to failover {failover}, not checked"
W_TAKES = "takes {over} while origin {primary} fails"
W_OVER_DOUBT = " (failover on this error not documented)"
W_OTHERS = "{methods} get {gets}"
W_NO_OVER = "{gets}, not a failover status: every request gets it"
W_SPARE = "failover only; would fail too if origin {primary} failed"
W_SPARE_UNCHECKED = "failover only, used if origin {primary} (not checked) fails"
# The owner's page in place of the error (cloudfront-facts §7.3: DERIVED, so hedged).
CUSTOM_PAGE = ("in place of the {code}, viewers probably get your custom error page {page} "
               "with status {status} (a custom error response; AWS's text does not state it "
               "outright)")
CUSTOM_PAGE_WORDS = "probably your page {page} ({status}) instead"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def gets_words(statuses: list[str]) -> str:
    """What a failing primary's requests get: CloudFront's own statuses (bare numbers), or
    the origin's own, passed on (with its reason phrase)."""
    own = [s for s in statuses if s.isdigit()]
    passed = [s for s in statuses if not s.isdigit()]
    parts = []
    if own:
        parts.append(f"CloudFront's {' or '.join(own)}")
    if passed:
        parts.append(f"the origin's own {', '.join(passed)}")
    return " or ".join(parts) or "an error"


def group_sentence(group: GroupOutcome, probe: OriginProbe) -> str | None:
    """What the viewers of the group's behaviour get, said from ``probe``'s side (its primary
    or its failover); None when the group changes nothing for it."""
    is_primary = probe.origin_id == group.primary
    if group.mode == FAILS_OVER:
        methods = "/".join(group.failover_methods)
        form = {"fail": OVER_FAILS, "unknown": OVER_UNKNOWN}.get(group.failover_verdict,
                                                                 OVER_SERVED)
        said = form.format(methods=methods, failover=group.failover)
        if group.error_methods:
            said += "; " + OTHERS_GET.format(methods=", ".join(group.error_methods),
                                             gets=gets_words(group.primary_gets))
            said += LIKELY if group.primary_doubtful else ""
        elif group.methods_known:
            said += f"; {ONLY_ALLOWED}"
        return said + (OVER_DOUBT if group.uncertain else "")
    if group.mode == NO_FAILOVER and is_primary:
        codes = _and([str(c) for c in group.failover_codes]) if group.failover_codes \
            else NO_CODES
        return NO_OVER.format(gets=gets_words(group.primary_gets), group=group.group,
                              codes=codes, failover=group.failover)
    if not is_primary and group.failover_verdict == "fail" and group.mode in (
            PRIMARY_SERVES, NO_FAILOVER):
        return SPARE_BROKEN.format(primary=group.primary)
    if not is_primary and group.mode == PRIMARY_UNKNOWN:
        return PRIMARY_NOT_CHECKED.format(primary=group.primary)
    return None


def group_words(group: GroupOutcome, probe: OriginProbe) -> str | None:
    """group_sentence in a few words, for the probe's line."""
    is_primary = probe.origin_id == group.primary
    if group.mode == FAILS_OVER and not is_primary:
        words = W_TAKES.format(over="/".join(group.failover_methods), primary=group.primary)
        if probe.report is not None and probe.report.verdict == "fail":
            words += f": {short_verdict(probe.report)}"
        return words
    if group.mode == FAILS_OVER:
        over = "/".join(group.failover_methods)
        form = {"fail": W_OVER_FAILS, "unknown": W_OVER_UNKNOWN}.get(group.failover_verdict,
                                                                     W_OVER)
        words = form.format(over=over, failover=group.failover)
        if group.error_methods:
            words += "; " + W_OTHERS.format(methods=", ".join(group.error_methods),
                                            gets="/".join(group.primary_gets))
            words += W_LIKELY if group.primary_doubtful else ""
        return words + (W_OVER_DOUBT if group.uncertain else "")
    if group.mode == NO_FAILOVER and is_primary:
        return W_NO_OVER.format(gets="/".join(group.primary_gets))
    if not is_primary and group.failover_verdict == "fail" and group.mode in (
            PRIMARY_SERVES, NO_FAILOVER):
        return W_SPARE.format(primary=group.primary)
    if not is_primary and group.mode == PRIMARY_UNKNOWN and probe.report is not None \
            and probe.report.verdict == "fail":
        # Not "502 expected" on a line that only warns: no viewer surely meets it.
        return f"{W_SPARE_UNCHECKED.format(primary=group.primary)}: " \
            f"{short_verdict(probe.report)}"
    return None


def custom_pages(dist: Distribution, statuses: list[str]) -> list[CustomErrorResponse]:
    """The custom error responses with a page for the statuses viewers would get."""
    codes = {s.split(" ", 1)[0] for s in statuses}
    return [c for c in dist.custom_error_responses if c.page_path and str(c.error_code) in codes]


def _page_status(page: CustomErrorResponse) -> str:
    return page.response_code or str(page.error_code)


def custom_page_sentence(dist: Distribution, statuses: list[str]) -> str | None:
    pages = custom_pages(dist, statuses)
    if not pages:
        return None
    return "; ".join(CUSTOM_PAGE.format(code=p.error_code, page=p.page_path,
                                        status=_page_status(p)) for p in pages)


def custom_page_words(dist: Distribution, statuses: list[str]) -> str | None:
    pages = custom_pages(dist, statuses)
    if not pages:
        return None
    return "; ".join(CUSTOM_PAGE_WORDS.format(page=p.page_path, status=_page_status(p))
                     for p in pages)


def _groups_of(report: DistributionReport, probe: OriginProbe) -> dict[str, GroupOutcome]:
    return {g.behaviour: g for g in report.groups if g.behaviour in probe.behaviours
            and probe.origin_id in (g.primary, g.failover)}


def _own_statuses(probe: OriginProbe) -> list[str]:
    found = outcome(probe.report.findings) if probe.report is not None else None
    return [*found.statuses, *found.passed] if found is not None else []


def probe_words(report: DistributionReport, probe: OriginProbe) -> str | None:
    """The few words on a probe's line after what it serves: what its viewers get when it
    fails or a group changes it; None when its plain verdict says it all. With several
    behaviours fared differently, each is named."""
    if probe.report is None:
        return None
    groups = _groups_of(report, probe)
    parts: list[tuple[str, str]] = []
    for label in probe.behaviours:
        group = groups.get(label)
        words = group_words(group, probe) if group is not None else None
        # A probe made unknown (its two possible names disagree) has no certain words.
        if words is None and probe.report.verdict == "fail" and probe.verdict != "unknown":
            words = short_verdict(probe.report)
            page = custom_page_words(report.distribution, _own_statuses(probe))
            words += f"; {page}" if page else ""
        if words is not None:
            parts.append((label, words))
    if not parts:
        return None
    if len({w for _, w in parts}) == 1 and len(parts) == len(probe.behaviours):
        return parts[0][1]
    return "; ".join(f"{label}: {words}" for label, words in parts)


def probe_notes(report: DistributionReport, probe: OriginProbe) -> list[str]:
    """Sentences for the probe's own section: each group's outcome for its behaviour, and the
    owner's error page viewers would see instead of the error."""
    notes: list[str] = []
    if probe.report is None:
        return notes
    groups = _groups_of(report, probe)
    for label in probe.behaviours:
        group = groups.get(label)
        said = group_sentence(group, probe) if group is not None else None
        if said is not None:
            notes.append(FOR_BEHAVIOUR.format(behaviour=label, sentence=said))
        elif group is None and groups and probe.report.verdict == "fail":
            # The same origin serves this behaviour directly: no failover for its viewers.
            notes.append(FOR_BEHAVIOUR.format(behaviour=label, sentence=NO_GROUP.format(
                gets=gets_words(_own_statuses(probe)))))
    if probe.verdict == "fail":
        page = custom_page_sentence(report.distribution, _own_statuses(probe))
        if page is not None:
            notes.append(page)
    return notes


def distribution_clauses(report: DistributionReport) -> list[str]:
    """What groups and custom error pages change in the distribution's headline: each
    group's outcome that is not plain, and the pages viewers of failing origins would see."""
    clauses = []
    for group in report.groups:
        primary = next((p for p in report.probes if p.origin_id == group.primary
                        and group.behaviour in p.behaviours), None)
        if primary is None:
            continue
        said = group_sentence(group, primary)
        if said is None and group.failover_verdict == "fail" and group.mode == PRIMARY_SERVES:
            said = SPARE_CLAUSE.format(failover=group.failover, primary=group.primary)
        if said is not None:
            clauses.append(FOR_BEHAVIOUR.format(behaviour=group.behaviour, sentence=said))
    statuses = [s for p in report.probes if p.verdict == "fail" for s in _own_statuses(p)]
    page = custom_page_sentence(report.distribution, list(dict.fromkeys(statuses)))
    if page is not None:
        clauses.append(page)
    return clauses
