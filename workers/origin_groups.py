"""Origin groups: what the viewers of a behaviour served by a group get, once its primary's and
its failover's probes are in, and so the verdict each of those probes carries.

Pure (no I/O): it reads the probes' reports. The rules (cloudfront-facts §7.3, §4.4):
- CloudFront sends requests to the primary; it uses the failover only when the primary fails.
  A broken failover behind a working primary is therefore a warning, not an error.
- It fails over when it "fails to connect to the primary origin", when the primary "takes too
  long (times out)", or when the primary answers a status listed in the group's
  FailoverCriteria. CloudFront's own 502 and 504 are, in AWS's words, the cases where it
  "couldn't connect to the origin" or timed out, so they fail over; an origin's own status
  fails over only when it is in the criteria. An error of a status AWS does not document, or
  settings CloudFront refuses, leave whether it fails over uncertain.
- "only when the HTTP method of the viewer request is GET, HEAD, or OPTIONS": other methods
  get the primary's error. Which methods reach the origin at all is the behaviour's
  AllowedMethods; when the API answer lacks them, every other method is assumed possible.
The same origin may serve one behaviour through a group and another directly: each behaviour
is judged on its own and a probe's verdict is the worst of its behaviours'.
"""

from __future__ import annotations

from workers.headline import Outcome, outcome
from workers.models.distribution import (
    FAILS_OVER,
    NO_FAILOVER,
    PRIMARY_SERVES,
    PRIMARY_UNKNOWN,
    Behaviour,
    Distribution,
    GroupOutcome,
    OriginProbe,
    worst_verdict,
)

FAILOVER_METHODS = ("GET", "HEAD", "OPTIONS")
# Every other method a behaviour can allow (the API's AllowedMethods values), in its order.
OTHER_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _probe(probes: list[OriginProbe], origin_id: str, label: str) -> OriginProbe | None:
    return next((p for p in probes if p.origin_id == origin_id and label in p.behaviours), None)


def _gets(found: Outcome) -> list[str]:
    return [*found.statuses, *found.passed]


def _fails_over(found: Outcome, codes: list[int]) -> tuple[bool, bool]:
    """(whether CloudFront fails over on this outcome of the primary, whether that is
    uncertain)."""
    if found.statuses:  # CloudFront's own 502/504: could not connect, or timed out
        return True, False
    if any(int(status.split(" ", 1)[0]) in codes for status in found.passed
           if status.split(" ", 1)[0].isdigit()):
        return True, False
    if found.undocumented or found.setting:
        return True, True
    return False, False


def _primary_unchecked(dist: Distribution | None, primary_id: str,
                       primary: OriginProbe | None) -> bool:
    """Whether the primary is one this run would check but did not: an origin origin502 does
    not probe (S3, VPC, an unfilled placeholder...) or a probe that could not run. A primary
    left out by --origin is not: the run is about the failover alone then."""
    if primary is not None:
        return primary.report is None
    if dist is None:
        return False
    origin = dist.origin(primary_id)
    return origin is None or bool(origin.not_probed)


def judge(behaviour: Behaviour, codes: list[int], probes: list[OriginProbe],
          dist: Distribution | None = None) -> GroupOutcome | None:
    """The outcome for one behaviour served by an origin group; None when its primary was not
    probed for it because the run left it out (--origin). A primary that was not checked
    (``dist`` says why) leaves the behaviour unknown: whether the failover is used at all
    depends on it."""
    if not behaviour.is_group or len(behaviour.origin_ids) < 2:
        return None
    primary_id, failover_id = behaviour.origin_ids[0], behaviour.origin_ids[1]
    primary = _probe(probes, primary_id, behaviour.label)
    failover = _probe(probes, failover_id, behaviour.label)
    if primary is None or primary.report is None:
        if failover is None or not _primary_unchecked(dist, primary_id, primary):
            return None  # nothing of this behaviour was probed (--path, --origin chose others)
        return GroupOutcome(
            behaviour=behaviour.label, group=behaviour.target_id, primary=primary_id,
            failover=failover_id, mode=PRIMARY_UNKNOWN, verdict="unknown",
            failover_codes=list(codes),
            failover_verdict=(str(failover.verdict) if failover is not None
                              and failover.report is not None else "unknown"))
    # The probes' verdicts as they stand before the groups are read (each its report's, or
    # as the distribution's other rules settled it).
    failover_verdict = (str(failover.verdict) if failover is not None
                        and failover.report is not None else "unknown")
    out = GroupOutcome(behaviour=behaviour.label, group=behaviour.target_id,
                       primary=primary_id, failover=failover_id, mode=PRIMARY_SERVES,
                       verdict=str(primary.verdict), failover_codes=list(codes),
                       failover_verdict=failover_verdict)
    if out.verdict == "unknown":
        out.mode = PRIMARY_UNKNOWN
        return out
    found = outcome(primary.report.findings) if out.verdict == "fail" else None
    if found is None:
        return out
    out.primary_gets = _gets(found)
    out.primary_doubtful = bool(found.doubts)
    over, out.uncertain = _fails_over(found, codes)
    if not over:
        out.mode = NO_FAILOVER
        return out
    out.mode = FAILS_OVER
    allowed = behaviour.allowed_methods
    out.methods_known = bool(allowed)
    out.failover_methods = [m for m in FAILOVER_METHODS if not allowed or m in allowed]
    out.error_methods = [m for m in OTHER_METHODS if not allowed or m in allowed]
    if out.error_methods or failover_verdict == "fail" or out.uncertain:
        # Uncertain: CloudFront may not fail over at all, and the primary's error stands.
        out.verdict = "fail"
    elif failover_verdict == "unknown":
        out.verdict = "unknown"
    else:
        # Served, but by the failover, after the primary's attempts: never "ok".
        out.verdict = "warn"
    return out


def judge_groups(dist: Distribution, probes: list[OriginProbe]) -> list[GroupOutcome]:
    """The outcome of every behaviour served by a group, and each probe's verdict set from
    them (the worst over the behaviours it serves)."""
    codes = {g.id: g.failover_status_codes for g in dist.origin_groups}
    outcomes = [found for b in dist.behaviours
                if (found := judge(b, codes.get(b.target_id, []), probes, dist)) is not None]
    by_behaviour = {o.behaviour: o for o in outcomes}
    for probe in probes:
        if probe.report is None:
            continue
        verdicts: list[str] = []
        for label in probe.behaviours:
            found = by_behaviour.get(label)
            own = str(probe.verdict)
            if found is None:
                verdicts.append(own)
            elif probe.origin_id == found.primary:
                verdicts.append(found.verdict)
            elif found.mode != FAILS_OVER and own == "fail":
                # Used only when the primary fails, which it does not (or not so that
                # CloudFront fails over; or that could not be checked: the primary's own
                # verdict says so).
                verdicts.append("warn")
            else:
                verdicts.append(own)
        if verdicts:
            probe.verdict = worst_verdict(verdicts)
    return outcomes
