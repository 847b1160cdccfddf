"""The distribution side of `origin502 diagnose`: look the target up when AWS access is
configured, probe every custom origin, print one report.

Nothing here imports boto3 unless AWS access is configured, so the plain origin path pays
nothing for it (start-up time, no call to AWS).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import click

from workers.aws.access import (
    AwsAccess,
    AwsAccessError,
    aws_access_from,
    is_distribution_id,
    lookup_name,
    site_url,
)
from workers.resolve_option import Pairs, resolve_words, unused_names
from workers.target import TargetError

if TYPE_CHECKING:
    from workers.aws.lookup import LookupResult
    from workers.distribution import PlannedProbe, Runner
    from workers.models import ProbeRequest
    from workers.models.distribution import DistributionReport

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_LOOKUP = 0, 1, 2, 3
# Origin-setting options the distribution's own settings replace.
_REPLACED = ("protocol_policy", "https_port", "http_port", "host_header")


def maybe_diagnose_distribution(target: str, *, as_json: bool, no_aia: bool,
                                aws_profile: str | None, role_arn: str | None,
                                origin_id: str | None, opts: dict[str, Any],
                                budget: float | None = None) -> int | None:
    """The exit status when the target was handled as a distribution, else None (probe the
    target as an origin, as before). ``budget`` is --budget: each origin's probe (and the
    viewer side's) gets it, as one origin's diagnosis does."""
    try:
        access = aws_access_from(aws_profile, role_arn)
    except AwsAccessError as exc:
        return _fail(str(exc), EXIT_USAGE, as_json, target)
    name = lookup_name(target)
    if access is None:
        if is_distribution_id(target.strip()):
            return _fail(f"{target} looks like a CloudFront distribution id; looking it up needs "
                         "AWS read access (--aws-profile, --role-arn or ORIGIN502_AWS=1)",
                         EXIT_LOOKUP, as_json, target)
        if origin_id:
            return _fail("--origin needs a distribution, and so AWS read access",
                         EXIT_USAGE, as_json, target)
        return None
    url = site_url(target) if name is None else None
    if url is not None:
        # A site's URL: look its name up (the path, unless --path says otherwise, picks the
        # behaviour), rather than probe CloudFront's edge as an origin and then advise the
        # AWS access that is already here.
        name = url[0]
        if url[1] and not opts.get("path"):
            opts = {**opts, "path": url[1]}
    if name is None:
        if origin_id:
            return _fail("--origin needs a site name, a d….cloudfront.net name or a "
                         "distribution id", EXIT_USAGE, as_json, target)
        return None
    return _run(name, access, as_json=as_json, no_aia=no_aia, origin_id=origin_id, opts=opts,
                budget=budget)


def _run(name: str, access: AwsAccess, *, as_json: bool, no_aia: bool, origin_id: str | None,
         opts: dict[str, Any], budget: float | None) -> int | None:
    from workers.aws.errors import LookupFailed
    from workers.aws.lookup import look_up
    from workers.aws.session import cloudfront_client

    try:
        result = look_up(cloudfront_client(access), name)
    except LookupFailed as exc:
        if exc.not_found and not is_distribution_id(name) and not origin_id:
            click.echo(f"origin502: {exc.message}; probing {name} as an origin", err=True)
            return None
        return _fail(f"could not look {name} up in AWS ({access.source}): {exc.message}",
                     EXIT_LOOKUP, as_json, name)

    from functools import partial

    from workers.distribution import PlanError, plan, viewer_request
    from workers.engine import diagnose as engine
    from workers.options import build_options

    run = partial(engine, budget=budget)

    ignored = [f"--{key.replace('_', '-')}" for key in _REPLACED if opts.get(key)]
    if ignored:
        click.echo(f"origin502: {', '.join(ignored)} ignored: the distribution's own settings "
                   "are used", err=True)
    try:
        options = build_options(allow_private=True, **opts)
        if no_aia:
            options = replace(options, fetch_aia=False)
        planned = plan(result, options, path=opts.get("path"), origin_id=origin_id)
    except (PlanError, TargetError) as exc:
        return _fail(str(exc), EXIT_USAGE, as_json, name)
    viewer = viewer_request(result, options, opts.get("path"))
    warnings = _unused_resolve(options.resolve, planned, viewer)
    for warning in warnings:
        click.echo(f"origin502: {warning}", err=True)
    report = _diagnose(name, result, planned, run, viewer, live=not as_json,
                       path=opts.get("path"), origin_id=origin_id)
    if as_json:
        from workers.headline_json import distribution_document

        click.echo(json.dumps(distribution_document(report, warnings), indent=2))
    else:
        from workers.terminal_distribution import render_distribution

        render_distribution(report)
    # As for one origin: a measured error is true whatever else could not be checked (1);
    # otherwise an origin that could not be checked makes the whole answer unknown (3).
    if report.has_errors:
        return EXIT_FINDINGS
    # An origin group whose answer rests on an origin not checked is unknown too (3), and so is
    # an unknown with no origin's error behind it (nothing probed, or the edge's 502 with every
    # origin answering here): never ok.
    return EXIT_LOOKUP if report.probe_error or report.verdict == "unknown" else EXIT_OK


def _unused_resolve(pairs: Pairs, planned: list[PlannedProbe],
                    viewer: ProbeRequest | None) -> list[str]:
    """One warning naming the --resolve entries that match no name this run looks up (the
    origins probed and the site read from the viewer side), known only after the lookup."""
    looked_up = [p.request.hostname for p in planned]
    if viewer is not None:
        looked_up.append(viewer.hostname)
    unused = unused_names(pairs, looked_up)
    if not unused:
        return []
    names = ", ".join(dict.fromkeys(looked_up)) or "none"
    verb = "matches" if len(unused) == 1 else "match"
    return [f"{resolve_words(pairs, unused)} {verb} no name looked up here ({names}): "
            "not used"]


def _diagnose(name: str, result: LookupResult, planned: list[PlannedProbe], run: Runner,
              viewer: ProbeRequest | None, *, live: bool, path: str | None,
              origin_id: str | None) -> DistributionReport:
    """The distribution's diagnosis, under a live region on stderr when it is a terminal and
    the output is not JSON (which stays one final document, as for a single origin)."""
    from rich.console import Console

    from workers.distribution import diagnose_distribution

    console = Console(stderr=True)
    if not live or not console.is_terminal:
        return diagnose_distribution(name, result, planned, run, viewer=viewer, path=path,
                                     origin_id=origin_id)
    from workers.terminal_distribution_live import run_distribution_live

    title = f"{len(planned)} origin{'s' if len(planned) != 1 else ''} of " \
        f"{result.distribution.id} ({name})"
    return run_distribution_live(
        title, lambda watch: diagnose_distribution(name, result, planned, run, viewer=viewer,
                                                   watch=watch, path=path,
                                                   origin_id=origin_id), console)


def _fail(message: str, status: int, as_json: bool, target: str) -> int:
    click.echo(f"origin502: {message}", err=True)
    if as_json:
        click.echo(json.dumps({"schema": 1, "kind": "error", "input": target,
                               "error": message}, indent=2))
    return status
