"""Diagnose a whole distribution: plan one probe per origin as its behaviours reach it, run them
concurrently through the engine, and gather one report.

No boto3 here: the lookup (workers.aws.lookup) hands over plain settings and the custom header
values, which go into the probe requests and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from workers.aws.lookup import LookupResult
from workers.aws.path_patterns import concrete_path, pattern_matches, request_parts
from workers.aws.translate import origin_settings
from workers.diagnosis.distribution_coverage import (
    coverage,
    failed_inside_note,
    unchecked_reason,
)
from workers.diagnosis.distribution_verdict import distribution_verdict, settle_host_pairs
from workers.headline_groups import probe_notes
from workers.models import OriginSettings, ProbeOptions, ProbeRequest, Report
from workers.models.distribution import (
    Behaviour,
    DistributionReport,
    OriginProbe,
    worst_verdict,
)
from workers.models.distribution_live import VIEWER, OriginLive
from workers.models.record import Record
from workers.origin_groups import judge_groups
from workers.target import TargetError, parse_target

if TYPE_CHECKING:
    from workers.distribution_live import DistributionWatch

log = logging.getLogger(__name__)

MAX_PARALLEL_ORIGINS = 8
MASK = "***"


class PlanError(ValueError):
    """--path / --origin that do not fit the distribution; one line (bad input, exit 2)."""


@dataclass(eq=False, repr=False)
class PlannedProbe(Record):
    probe: OriginProbe
    request: ProbeRequest


def select_behaviours(behaviours: list[Behaviour], path: str | None) -> list[Behaviour]:
    """Every behaviour a request can reach (none shadowed by earlier patterns), or the one
    CloudFront picks for ``path`` (first match in order). Only the path is compared with the
    patterns (facts §7.3), never its query string or fragment: `/a/b?f=.jpg` is not `*.jpg`'s."""
    if path is None:
        return [b for b in behaviours if not b.shadowed_by]
    compared = request_parts(path)[0]
    for behaviour in behaviours:
        if pattern_matches(behaviour.path_pattern, compared):
            return [behaviour]
    return behaviours[-1:]


def plan(result: LookupResult, options: ProbeOptions, *, path: str | None = None,
         origin_id: str | None = None) -> list[PlannedProbe]:
    """One probe per (origin, Host as CloudFront sends it); behaviours sharing both share it."""
    dist = result.distribution
    if path is not None and not path.startswith("/"):
        raise PlanError(f"the path '{path}' must start with '/'")
    if path is not None:
        # The query string goes to the origin as typed. Whether CloudFront forwards it depends
        # on the cache and origin request policies (facts §7.1), which are not modelled here;
        # it does not change whether CloudFront can connect. The fragment never leaves a browser.
        path = "".join(request_parts(path))
    if origin_id is not None and dist.origin(origin_id) is None:
        raise PlanError(f"the distribution {dist.id} has no origin '{origin_id}' (its origins: "
                        f"{', '.join(o.id for o in dist.origins)})")
    planned: dict[tuple[str, str | None], PlannedProbe] = {}
    viewers: dict[tuple[str, str | None], list[Behaviour]] = {}
    patterns = [b.path_pattern for b in dist.behaviours]
    for behaviour in select_behaviours(dist.behaviours, path):
        before = patterns[:next(i for i, b in enumerate(dist.behaviours) if b is behaviour)]
        for index, member in enumerate(behaviour.origin_ids):
            origin = dist.origin(member)
            if origin is None or origin.not_probed or origin.kind != "custom":
                continue
            if origin_id is not None and origin.id != origin_id:
                continue
            host = dist.viewer_host if behaviour.host_forwarded else None
            key = (origin.id, host)
            viewers.setdefault(key, []).append(behaviour)
            if key in planned:
                planned[key].probe.behaviours.append(behaviour.label)
                continue
            wanted = path or concrete_path(behaviour.path_pattern, before)
            settings = origin_settings(origin, host_header=host, path=wanted)
            try:
                hostname = parse_target(origin.domain_name).hostname
            except TargetError:
                hostname = origin.domain_name.lower()
            role = ""
            if behaviour.is_group:
                role = f"{'primary' if index == 0 else 'failover'} of group {behaviour.target_id}"
            probe = OriginProbe(
                origin_id=origin.id, domain_name=origin.domain_name,
                behaviours=[behaviour.label], host_header=host, path=settings.path,
                headers_sent=[f"{name}: {MASK}" for name in origin.custom_headers], role=role)
            if behaviour.host_forwarded is None:
                probe.host_unknown = True
                probe.notes.append(f"whether the viewer's Host reaches this origin is unknown "
                                   f"({behaviour.host_reason}); probed with the origin's domain "
                                   f"as Host and SNI")
            if path is None and behaviour.reach_note:
                probe.notes.append(f"the path probed may not reach {behaviour.label}: "
                                   f"{behaviour.reach_note}")
            request = ProbeRequest(hostname=hostname, settings=settings, options=options,
                                   display=origin.domain_name,
                                   origin_headers=result.headers.get(origin.id, ()))
            planned[key] = PlannedProbe(probe, request)
    for key, item in planned.items():
        _https_viewers_only(item, viewers[key])
    return _with_viewer_host_twins(list(planned.values()), dist.viewer_host)


def _with_viewer_host_twins(planned: list[PlannedProbe], viewer_host: str) -> list[PlannedProbe]:
    """Each probe whose Host forwarding is unknown, followed by its twin sent with the viewer's
    Host (and so SNI): CloudFront sends one of the two names, and an origin that picks its
    certificate by SNI may answer each differently. One more probe each, run concurrently."""
    out: list[PlannedProbe] = []
    for item in planned:
        out.append(item)
        probe = item.probe
        if (not probe.host_unknown or not viewer_host
                or viewer_host.lower().rstrip(".") == item.request.hostname.lower().rstrip(".")
                or any(o.probe.origin_id == probe.origin_id and o.probe.host_header == viewer_host
                       for o in planned)):
            continue
        twin = replace(probe, host_header=viewer_host, behaviours=list(probe.behaviours),
                       notes=[f"whether the viewer's Host reaches this origin is unknown; "
                              f"probed with the viewer's Host {viewer_host} as Host and SNI, "
                              "beside the probe with the origin's domain"])
        settings = replace(item.request.settings, host_header=viewer_host)
        out.append(PlannedProbe(twin, replace(item.request, settings=settings)))
    return out


def _https_viewers_only(item: PlannedProbe, behaviours: list[Behaviour]) -> None:
    """A match-viewer origin whose behaviours all keep HTTP viewers at the edge is reached
    over HTTPS only: its HTTP port is not probed, and a note says why and when it would be."""
    settings = item.request.settings
    if settings.protocol_policy != "match-viewer":
        return
    kept = [b for b in behaviours if b.https_viewers_only]
    let_through = [b for b in behaviours if not b.https_viewers_only]
    if let_through:
        if kept:
            # Both ports are probed, but what HTTP viewers get concerns only some behaviours.
            item.probe.notes.append(
                f"HTTP viewers reach this origin only through "
                f"{', '.join(b.label for b in let_through)}: the "
                f"viewer protocol policy of "
                f"{', '.join(f'{b.label} ({b.viewer_protocol_policy})' for b in kept)} keeps "
                "them at the edge (derived from the policy's name), so the answer over HTTP "
                "concerns the others alone")
        return
    item.request = replace(item.request, settings=replace(settings, protocol_policy="https-only"))
    named = ", ".join(f"{b.label} ({b.viewer_protocol_policy})" for b in behaviours)
    item.probe.notes.append(
        f"HTTP port {settings.http_port} not probed: the viewer protocol policy of {named} "
        "keeps HTTP viewers at the edge (redirected or refused there, derived from the policy's "
        "name: AWS text we hold does not say it outright), so with match-viewer CloudFront "
        "reaches this origin over HTTPS only; the HTTP port would matter if a behaviour "
        "routing here allowed HTTP viewers (allow-all)")


# The engine's diagnose: called with the request alone, or with its first-verdict and
# attempt-event hooks when the run is watched.
Runner = Callable[..., Report]


def viewer_request(result: LookupResult, options: ProbeOptions,
                   path: str | None = None) -> ProbeRequest | None:
    """The site as a viewer reaches it, to read CloudFront's own answer (section 1's reading)."""
    host = result.distribution.viewer_host
    try:
        hostname = parse_target(host).hostname
    except TargetError:
        return None
    # As a browser sends it: the query string kept, the fragment not.
    sent = "".join(request_parts(path)) if path else "/"
    return ProbeRequest(hostname=hostname, display=host, options=options,
                        settings=OriginSettings(path=sent or "/", connection_attempts=1))


def diagnose_distribution(typed: str, result: LookupResult, planned: list[PlannedProbe],
                          run: Runner, *, viewer: ProbeRequest | None = None,
                          watch: DistributionWatch | None = None, path: str | None = None,
                          origin_id: str | None = None) -> DistributionReport:
    """Run the planned probes concurrently (``run`` is the engine's diagnose), and beside them
    the viewer side when ``viewer`` is given. With ``watch``, each probe's waits and first
    verdict, and its end, are told to it as they happen (workers/distribution_live.py).
    ``path`` and ``origin_id`` are the selection ``planned`` was made with (--path,
    --origin): what they leave out is outside the run, not "not checked"."""
    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    covered = select_behaviours(result.distribution.behaviours, path)
    jobs: list[ProbeRequest] = [p.request for p in planned]
    if viewer is not None:
        jobs.append(viewer)
    if watch is not None:
        shells = [OriginLive(origin_id=p.probe.origin_id, domain_name=p.probe.domain_name,
                             host_header=p.probe.host_header, role=p.probe.role)
                  for p in planned]
        if viewer is not None:
            shells.append(OriginLive(origin_id="", domain_name=viewer.display or
                                     viewer.hostname, kind=VIEWER))
        # What no probe will check is known now: the verdict so far must not say ok meanwhile.
        unchecked, _ = coverage(result.distribution, [p.probe for p in planned], covered,
                                origin_id, ran=False)
        watch.plan(shells, unchecked_reason(unchecked))

    def one(index: int, job: ProbeRequest) -> Report | BaseException:
        try:
            if watch is None:
                return run(job)
            report = run(job, on_provisional=watch.provisional(index),
                         events=watch.events(index))
        except Exception as exc:
            # The engine catches what an origin does; this is origin502 failing inside. One
            # origin's probe must not cost the others' answers: it is "not checked".
            log.exception("probing %s failed inside origin502", job.display or job.hostname)
            if watch is not None:
                watch.abandoned(index, failed_inside_note(exc))
            return exc
        watch.finished(index, report)
        return report

    reports: list[Report | BaseException] = []
    if jobs:
        workers = min(MAX_PARALLEL_ORIGINS, len(jobs))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="origin") as pool:
            futures = [pool.submit(one, index, job) for index, job in enumerate(jobs)]
            reports = [future.result() for future in futures]
    for item, report in zip(planned, reports, strict=False):
        if isinstance(report, BaseException):
            item.probe.verdict = "unknown"
            item.probe.notes.append(failed_inside_note(report))
            continue
        item.probe.report = report
        item.probe.verdict = report.verdict
    probes = [item.probe for item in planned]
    settle_host_pairs(probes)
    groups = judge_groups(result.distribution, probes)
    out = DistributionReport(
        input=typed, verdict=worst_verdict([p.verdict for p in probes]),
        distribution=result.distribution, probes=probes, groups=groups, lookup=result.cost,
        started_at=started_at.isoformat().replace("+00:00", "Z"),
        duration_ms=round((time.perf_counter() - started) * 1000 + result.cost.duration_ms, 1),
    )
    for probe in probes:
        probe.notes.extend(probe_notes(out, probe))
    out.unchecked, out.not_covered = coverage(result.distribution, probes, covered, origin_id)
    if viewer is not None and isinstance(reports[-1], Report):
        _read_viewer(out, reports[-1])
    elif viewer is not None:
        out.viewer_note = (f"{out.distribution.viewer_host} could not be read from the viewer "
                           "side here: origin502 failed inside")
    out.verdict, out.verdict_reason = distribution_verdict(
        out, viewer.settings.path if viewer is not None else "/")
    _warn_shadowed(out)
    return out


def _warn_shadowed(out: DistributionReport) -> None:
    """A behaviour no request reaches is a warning (its owner most likely meant otherwise):
    a distribution otherwise ok warns; its note (from the lookup) says which and why."""
    if out.verdict == "ok" and any(b.shadowed_by for b in out.distribution.behaviours):
        out.verdict = "warn"


def _read_viewer(out: DistributionReport, report: Report) -> None:
    """Keep the edge's answer as a viewer saw it, and name the edge functions it points at."""
    host = out.distribution.viewer_host
    if report.edge is None or not report.edge.answers:
        why = report.probe_error or (report.dns.detail if report.dns.status != "ok" else None)
        out.viewer_note = (f"{host} could not be read from the viewer side here"
                           + (f": {why}" if why else " (no answer carrying CloudFront's marks)"))
        return
    out.viewer = report.edge
    worst = report.edge.worst
    family = worst.family if worst is not None else None
    kinds = {"lambda_validation": "lambda@edge", "lambda_execution": "lambda@edge",
             "function_validation": "cloudfront-function",
             "function_execution": "cloudfront-function"}
    kind = kinds.get(family or "")
    if kind is None:
        return
    named = [f"{b.label}: {fn.event_type} {fn.arn}" for b in out.distribution.behaviours
             for fn in b.edge_functions if fn.kind == kind]
    what = "Lambda@Edge" if kind == "lambda@edge" else "CloudFront Functions"
    if named:
        out.distribution.notes.append(
            f"the viewer side points at {what} ({worst.viewer_line() if worst else ''}); "
            f"the associations to check: {'; '.join(named)}")
    else:
        out.distribution.notes.append(
            f"the viewer side points at {what}, yet no behaviour read here has one "
            "(the API answer may lack the associations)")


def diagnose_lookup(request: ProbeRequest, run: Runner, *, read_viewer: bool = True,
                    watch: DistributionWatch | None = None,
                    as_origin: Runner | None = None) -> Report | DistributionReport:
    """For a request marked to be looked up (Slack, watches): read the distribution with this
    process's AWS access and probe its origins; a name on no distribution is probed as an
    origin, as the CLI does, with ``as_origin`` when given (the caller's live hooks for one
    origin; ``watch`` then hears nothing). Raises LookupFailed (one line) when it could not be
    looked up."""
    from workers.aws.access import AwsAccessError, aws_access_from, is_distribution_id
    from workers.aws.errors import LookupFailed
    from workers.aws.lookup import look_up
    from workers.aws.session import cloudfront_client

    lookup = request.lookup
    if lookup is None:
        return run(request)
    replaced = _replaced_settings(request)
    try:
        access = aws_access_from()
    except AwsAccessError as exc:
        raise LookupFailed(str(exc)) from None
    if access is None:
        raise LookupFailed("AWS access is not configured where the probes run (see the "
                           "README: ORIGIN502_AWS, the service account's role)")
    try:
        result = look_up(cloudfront_client(access), lookup.name)
    except LookupFailed as exc:
        if exc.not_found and not is_distribution_id(lookup.name) and not lookup.origin_id:
            return (as_origin or run)(replace(request, lookup=None))
        raise
    if replaced:
        result.distribution.notes.append(
            f"{', '.join(replaced)} replaced by the distribution's own settings")
    try:
        planned = plan(result, request.options, path=lookup.path, origin_id=lookup.origin_id)
    except PlanError as exc:
        raise LookupFailed(str(exc)) from None
    viewer = viewer_request(result, request.options, lookup.path) if read_viewer else None
    return diagnose_distribution(lookup.name, result, planned, run, viewer=viewer, watch=watch,
                                 path=lookup.path, origin_id=lookup.origin_id)


def _replaced_settings(request: ProbeRequest) -> list[str]:
    """Origin-setting options typed with a site name, which the distribution's settings win
    over (said in the report rather than silently dropped)."""
    from workers.models import OriginSettings

    typed, default = request.settings, OriginSettings()
    names = {"protocol_policy": "--protocol-policy", "https_port": "--https-port",
             "http_port": "--http-port", "host_header": "--host-header",
             "origin_ssl_protocols": "--origin-ssl-protocols", "connect_timeout": "--timeout",
             "connection_attempts": "--connection-attempts",
             "read_timeout": "--read-timeout", "keepalive_timeout": "--keepalive-timeout",
             "ip_address_type": "--ip-address-type"}
    return [flag for key, flag in names.items()
            if getattr(typed, key) != getattr(default, key)]
