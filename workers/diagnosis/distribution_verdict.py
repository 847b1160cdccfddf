"""A distribution's overall verdict from its probed origins, what viewers get at the edge, and
what could not be probed (workers/diagnosis/distribution_coverage.py says which origins).
Pure functions over a finished report; no I/O.

The origins' worst verdict is not enough on its own: a distribution where nothing was probed
has not been checked, and viewers who get CloudFront's 502/504 while every origin answers from
here point at a cause this machine cannot see (cloudfront-facts §5: a probe that succeeds from
the internet does not rule out an allowlist that blocks CloudFront). Both are "unknown", never
"ok": the README promises an unknown is never reported as ok.
"""

from __future__ import annotations

from workers.diagnosis import catalog
from workers.diagnosis.distribution_coverage import not_covered_reason, unchecked_reason
from workers.models.distribution import DistributionReport, OriginProbe, worst_verdict
from workers.models.edge import EdgeAnswer, EdgeErrorFamily

# The edge statuses that mean CloudFront could not get an answer from the origin (§1.1, §1.3).
EDGE_ORIGIN_ERRORS = frozenset({502, 504})
_FUNCTION_FAMILIES = frozenset({EdgeErrorFamily.LAMBDA_VALIDATION,
                                EdgeErrorFamily.FUNCTION_VALIDATION})

# Why we say "unknown" rather than "fail" for the edge's 502 with healthy origins: the 502 is
# real for the viewer who got it, but it names no cause we measured (and CloudFront may still
# be serving an error it cached before a fix, §1.5), so there is nothing certain to fix
# (catalog.EDGE_BUT_ORIGINS_FINE and the causes said with it).


def edge_origin_error(report: DistributionReport) -> EdgeAnswer | None:
    """The viewer side's answer when it is CloudFront's 502/504, else None."""
    worst = report.viewer.worst if report.viewer is not None else None
    if worst is None or worst.status_code not in EDGE_ORIGIN_ERRORS:
        return None
    return worst


def nothing_probed_reason(report: DistributionReport) -> str:
    """Why no origin was probed, naming the origins left out and what kind they are."""
    unprobed = [o for o in report.distribution.origins if o.not_probed]
    if not unprobed:
        return catalog.NOTHING_PROBED.format(why=catalog.NOT_SELECTED)
    kinds = catalog.KIND_WORDS
    listed = "; ".join(
        f"{kinds[o.kind]} {o.id} is not probed" if o.kind in kinds
        else f"{o.id}: {o.not_probed}" for o in unprobed)
    return catalog.NOTHING_PROBED.format(why=catalog.NO_CUSTOM_ORIGIN.format(listed=listed))


def edge_reason(answer: EdgeAnswer, path: str) -> str:
    """The reason for an unknown verdict when the edge answers 502/504 and no origin fails."""
    first = catalog.EDGE_BUT_ORIGINS_FINE.format(status=answer.status_code, path=path)
    if answer.family in _FUNCTION_FAMILIES:
        return f"{first}; {catalog.FUNCTION_CAUSE}"
    return f"{first}. Likely: {catalog.LIKELY_CAUSES}"


def distribution_verdict(report: DistributionReport, viewer_path: str = "/"
                         ) -> tuple[str, str | None]:
    """The distribution's verdict and why, when no origin's own verdict says it: unknown
    because nothing was probed, because viewers reach an origin that was not checked
    (``report.unchecked``), or because the edge answers 502/504; beside an ok or warn, the
    S3 and VPC origins it does not cover (``report.not_covered``).

    A failing origin stays "fail" (a measured error is true whatever else could not be
    checked); an origin that could not be checked stays "unknown" with its own reason."""
    verdict = worst_verdict([p.verdict for p in report.probes])
    unchecked = unchecked_reason(report.unchecked)
    if verdict == "fail":
        return verdict, None
    if verdict == "unknown":
        return verdict, unchecked
    seen = edge_origin_error(report)
    if not report.probes:
        why = nothing_probed_reason(report)
        if seen is not None:
            why += (f"; viewers get {seen.status_code} from CloudFront's edge for GET "
                    f"{viewer_path}")
        return "unknown", why
    if seen is not None:
        # An origin not checked may well be where the edge's 502 comes from: named too.
        return "unknown", edge_reason(seen, viewer_path) + (f"; {unchecked}" if unchecked
                                                            else "")
    if unchecked is not None:
        return "unknown", unchecked
    return verdict, not_covered_reason(report.not_covered)


# --- Host forwarding that could not be read -----------------------------------------------


def _sni(probe: OriginProbe) -> str:
    return probe.host_header or probe.domain_name


def settle_host_pairs(probes: list[OriginProbe]) -> None:
    """Probes made twice because Host forwarding is unknown (the origin's domain and the
    viewer's Host as SNI): when exactly one of the two fails, its failure is not certain, so
    its verdict becomes "unknown", its errors uncertain, with a note naming both names. Both
    failing stays "fail"."""
    for probe in probes:
        if not probe.host_unknown or probe.verdict != "fail":
            continue
        twins = [o for o in probes if o is not probe and o.host_unknown
                 and o.origin_id == probe.origin_id and o.path == probe.path
                 and o.host_header != probe.host_header]
        healthy = [o for o in twins if o.verdict in ("ok", "warn")]
        if not healthy:
            continue
        probe.verdict = "unknown"
        if probe.report is not None:
            # Its own headline then hedges ("likely but not confirmed") rather than asserting.
            for finding in probe.report.errors:
                finding.uncertain = True
        probe.notes.append(catalog.HOST_PAIR_DISAGREES.format(mine=_sni(probe),
                                                              other=_sni(healthy[0])))
