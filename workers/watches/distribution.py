"""Watching a distribution: every check re-reads its configuration and probes all its custom
origins; the result is reduced to one Observation so alerts work as for a single origin, with
each cause and failing "address" naming its origin."""

from __future__ import annotations

from collections.abc import Callable

from workers.aws.errors import LookupFailed
from workers.distribution import Runner, diagnose_lookup
from workers.headline import distribution_fail_sentence, distribution_fail_words
from workers.headline_groups import probe_words
from workers.models import ProbeRequest
from workers.models.distribution import DistOrigin, DistributionReport, OriginProbe
from workers.watches.alerts import Cause, Observation, observe


def origin_config_line(origin: DistOrigin) -> str:
    """One origin and the settings it is probed with (header names only, never values)."""
    parts = [origin.id, origin.domain_name, origin.kind]
    if origin.kind == "custom":
        parts += [f"{origin.protocol_policy}", f"https:{origin.https_port}",
                  f"http:{origin.http_port}", ",".join(origin.origin_ssl_protocols)]
        if origin.origin_path:
            parts.append(f"path {origin.origin_path}")
        if origin.custom_headers:
            parts.append("headers " + ",".join(origin.custom_headers))
    return " ".join(parts)


def observe_distribution(report: DistributionReport) -> Observation:
    causes: list[Cause] = []
    probed: list[str] = []
    primary: Cause | None = None
    doubtful = False
    failing: list[tuple[str, str, str]] = []  # (origin id, what its viewers get, in short)
    cert = None
    probe_error = None
    for probe in report.probes:
        label = f"origin {probe.origin_id}"
        if probe.host_header:
            label += f" (Host {probe.host_header})"
        probed.append(label)
        if probe.report is None:
            continue
        one = observe(probe.report)
        probe_error = probe_error or (f"{label}: {one.probe_error}" if one.probe_error else None)
        for cause in one.causes:
            where = f"{label} {cause.address}" if cause.address else label
            causes.append(Cause(cause.code, f"{label}: {cause.summary}", where,
                                cause.remediation))
        # In a distribution that warns, a warning that could still mean 502 leads, as in the
        # origin's own report.
        doubt = report.verdict == "warn" and one.doubtful
        if one.primary is not None and (primary is None or (doubt and not doubtful)):
            primary = Cause(one.primary.code, f"{label}: {one.primary.summary}", label,
                            one.primary.remediation)
        doubtful = doubtful or doubt
        if one.viewers is not None and probe.verdict == "fail":
            # An origin group changes what its viewers get (workers/origin_groups.py): its
            # words then; a failover no viewer meets now is not a failing origin.
            grouped = _group_words(report, probe)
            failing.append((probe.origin_id, grouped or one.viewers,
                            grouped or one.viewer_words or one.viewers))
        if one.cert is not None and (cert is None or one.cert.not_after < cert.not_after):
            cert = one.cert
    return Observation(
        verdict=report.verdict, causes=causes, primary=primary, cert=cert,
        # Nothing probed (an S3-only distribution), an origin viewers reach not checked:
        # unknown for a reason of our own, which, like a probe that could not run, says
        # nothing about the origins. Beside ok or warn the reason only names the S3 and VPC
        # origins not covered: no probe error.
        probe_error=probe_error or (report.verdict_reason if report.verdict == "unknown"
                                    else None),
        duration_ms=report.duration_ms,
        probed=probed,
        config=[origin_config_line(o) for o in report.distribution.origins],
        doubtful=doubtful,
        viewers=_viewers(report.verdict, [(o, sentence) for o, sentence, _ in failing],
                         distribution_fail_sentence),
        viewer_words=_viewers(report.verdict, [(o, words) for o, _, words in failing],
                              distribution_fail_words))


def _group_words(report: DistributionReport, probe: OriginProbe) -> str | None:
    if not any(probe.origin_id in (g.primary, g.failover) for g in report.groups):
        return None
    return probe_words(report, probe)


def _viewers(verdict: str, failing: list[tuple[str, str]],
             several: Callable[[list[str]], str]) -> str | None:
    """What viewers get from a failing distribution: the one failing origin's words, named;
    with several, ``several`` names the origins (each cause below names its origin)."""
    if verdict != "fail" or not failing:
        return None
    if len(failing) == 1:
        origin_id, words = failing[0]
        return f"origin {origin_id}: {words}"
    return several([origin_id for origin_id, _ in failing])


def observe_watch(request: ProbeRequest, run: Runner) -> tuple[Observation, str]:
    """Check a watched target once with ``run`` (the engine's diagnose): (observation,
    verdict)."""
    if request.lookup is None:
        report = run(request)
        observation = observe(report)
        return observation, report.verdict
    try:
        # The viewer side is read by hand, not every cycle: alerts judge the origins.
        result = diagnose_lookup(request, run, read_viewer=False)
    except LookupFailed as exc:
        # Could not read the configuration: like a resolver outage, it says nothing about
        # the origins, so it changes nothing (see alerts.evaluate).
        return Observation(verdict="unknown", probe_error=f"lookup: {exc.message}"), "probe_error"
    if isinstance(result, DistributionReport):
        return observe_distribution(result), result.verdict
    return observe(result), result.verdict
