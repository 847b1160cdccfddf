"""`origin502 diagnose`: the engine from a terminal or a CI pipeline, no Slack, no Redis.

Exit status: 0 no error finding (verdict ok or warn), 1 at least one error finding (fail),
2 bad input, 3 nothing wrong was found but something that matters could not be checked from
here (verdict unknown: no usable resolver, no route from this machine, an internal failure).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from workers.models import Verdict
from workers.options import build_request, diagnose_options
from workers.target import TargetError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_PROBE = 0, 1, 2, 3


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("target")
@diagnose_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (schema 1).")
@click.option("--no-aia", is_flag=True,
              help="Do not fetch AIA issuer URLs to tell a missing intermediate from an "
              "untrusted root.")
@click.option("--aws-profile", default=None, metavar="NAME",
              help="Look the target up in this AWS profile's CloudFront distributions.")
@click.option("--role-arn", default=None, metavar="ARN",
              help="Assume this (read-only) IAM role to look the target up.")
@click.option("--origin", "origin_id", default=None, metavar="ID",
              help="With a distribution: probe only the origin with this id.")
@click.option("--budget", type=click.FloatRange(0.1, 3600), default=None, metavar="SECONDS",
              help="origin502's own time limit for the whole diagnosis of an origin; for a "
              "distribution, for each origin's diagnosis (they run side by side) [default: "
              "what CloudFront itself may wait (attempts × connection timeout + response "
              "timeout, per scheme) plus 15 s]. A wait it cuts short is reported as not "
              "checked.")
def diagnose(target: str, *, as_json: bool, no_aia: bool, aws_profile: str | None,
             role_arn: str | None, origin_id: str | None, budget: float | None,
             **opts: Any) -> None:
    """Diagnose TARGET the way CloudFront connects to it.

    TARGET is an origin name (origin.example.com), name:port, or a URL
    (https://origin.example.com:8443/health). With AWS read access it may also be a site
    (www.example.com), a d….cloudfront.net name or a distribution id: every origin of the
    distribution is then probed with its real settings.
    """
    import os
    from dataclasses import replace

    from workers.config import ConfigError, check_nameserver
    from workers.distribution_cli import maybe_diagnose_distribution

    try:
        check_nameserver(os.environ)
    except ConfigError as exc:
        click.echo(f"origin502: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    handled = maybe_diagnose_distribution(
        target, as_json=as_json, no_aia=no_aia, aws_profile=aws_profile, role_arn=role_arn,
        origin_id=origin_id, opts=opts, budget=budget)
    if handled is not None:
        sys.exit(handled)

    from functools import partial

    from workers.engine import diagnose as engine

    run = partial(engine, budget=budget)

    from workers.resolve_option import check_origin_resolve

    try:
        request = build_request(target, allow_private=True, **opts)
        warnings = check_origin_resolve(request.options.resolve, request.hostname,
                                        request.settings.host_header)
    except TargetError as exc:
        click.echo(f"origin502: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    for warning in warnings:
        click.echo(f"origin502: {warning}", err=True)
    if no_aia:
        request = replace(request, options=replace(request.options, fetch_aia=False))
    if as_json:
        from workers.headline_json import report_document

        report = run(request)
        click.echo(json.dumps(report_document(report, warnings), indent=2))
    else:
        from workers.terminal import render_report, run_with_progress

        report = run_with_progress(request, run)
        render_report(report)
    sys.exit(exit_status(report.verdict))


def exit_status(verdict: str) -> int:
    """The process exit status for a verdict."""
    return {Verdict.FAIL: EXIT_FINDINGS, Verdict.UNKNOWN: EXIT_PROBE}.get(
        Verdict(verdict), EXIT_OK)
