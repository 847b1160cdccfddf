"""The `diagnose` options, defined once for the CLI and for Slack's `/origin502 TARGET [options]`.

Option names follow CloudFront's origin settings so people can copy them from the console.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from typing import Any

import click

from workers.aws.access import aws_configured, is_distribution_id, lookup_name, site_url
from workers.models import (
    ORIGIN_SSL_PROTOCOLS,
    DistributionLookup,
    OriginSettings,
    ProbeOptions,
    ProbeRequest,
)
from workers.models.request import ProtocolPolicy
from workers.resolve_option import merge_resolve
from workers.target import TargetError, parse_port, parse_target

F = Callable[..., Any]

# Parameters (click's names) a Slack user may not set, with the option that sets them:
# they name files on the host that would read them.
OPERATOR_ONLY = {"ca_file": "--ca-file"}
# Slack's editor turns quotes typographic; shell-style parsing needs the plain ones.
_TYPOGRAPHIC_QUOTES = str.maketrans({
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'",
})
# ...and "--" into an en or em dash (or a minus sign), at the start of an option.
_DASH = re.compile(r"^(?:[\u2012\u2013\u2014\u2015\u2212]|-[\u2012\u2013\u2014\u2015\u2212])")


class OperatorOnlyError(TargetError):
    """An option from Slack that only an operator may set."""


def refuse_operator_only(values: dict[str, Any]) -> None:
    """Raise OperatorOnlyError when parsed option `values` set an operator-only option."""
    named = [OPERATOR_ONLY[key] for key in OPERATOR_ONLY if values.get(key) is not None]
    if named:
        raise OperatorOnlyError(
            f"{', '.join(named)} is not available from Slack: it names a file on the "
            "worker; operators set ORIGIN502_CA_FILE instead",
            example=False,
        )


def _protocols(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise click.BadParameter(f"give one or more of {', '.join(ORIGIN_SSL_PROTOCOLS)}")
    aliases = {p.lower(): p for p in ORIGIN_SSL_PROTOCOLS} | {"tlsv1.0": "TLSv1"}
    out = []
    for item in items:
        canon = aliases.get(item.lower())
        if canon is None:
            raise click.BadParameter(
                f"'{item}' is not one of {', '.join(ORIGIN_SSL_PROTOCOLS)} (e.g. TLSv1.2)"
            )
        if canon not in out:
            out.append(canon)
    return tuple(sorted(out, key=ORIGIN_SSL_PROTOCOLS.index))


def _resolve(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> Any:
    try:
        return merge_resolve(value)
    except TargetError as exc:
        raise click.BadParameter(exc.problem) from None


def _host_header(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        parsed = parse_target(value)
    except TargetError as exc:
        raise click.BadParameter(exc.problem) from None
    if parsed.port or parsed.path or parsed.scheme:
        raise click.BadParameter("give the host name only, e.g. www.example.com")
    return parsed.hostname


def diagnose_options(func: F) -> F:
    """Decorate a click command with the origin-setting options, in the order `--help` shows."""
    decorators = [
        click.option(
            "--protocol-policy",
            type=click.Choice(["https-only", "http-only", "match-viewer"]),
            default=None,
            help="Origin protocol policy [default: https-only, or the URL's scheme]; "
            "match-viewer checks both.",
        ),
        click.option("--https-port", type=click.IntRange(1, 65535), default=None,
                     help="HTTPS port of the origin [default: 443]."),
        click.option("--http-port", type=click.IntRange(1, 65535), default=None,
                     help="HTTP port of the origin [default: 80]."),
        click.option("--origin-ssl-protocols", default="TLSv1.2", show_default=True,
                     callback=_protocols, help="Comma-separated: SSLv3,TLSv1,TLSv1.1,TLSv1.2."),
        click.option("--host-header", default=None, callback=_host_header,
                     help="The viewer Host the distribution forwards; it becomes the SNI and "
                     "the name the certificate should carry."),
        click.option("--resolve", multiple=True, callback=_resolve,
                     metavar="NAME:IP[,IP...]",
                     help="Use these addresses for NAME instead of DNS (repeatable); every "
                     "address is probed."),
        click.option("--timeout", type=click.FloatRange(0.1, 10), default=10.0, show_default=True,
                     help="Connection timeout in seconds (CloudFront: 1-10)."),
        click.option("--connection-attempts", type=click.IntRange(1, 3), default=3,
                     show_default=True, help="Connection attempts (CloudFront: 1-3)."),
        click.option("--read-timeout", type=click.FloatRange(0.1, 180), default=30.0,
                     show_default=True, help="Origin response timeout in seconds."),
        click.option("--keepalive-timeout", type=click.FloatRange(1, 300), default=5.0,
                     show_default=True,
                     help="Origin keep-alive timeout in seconds (how long CloudFront keeps an "
                     "idle origin connection for reuse)."),
        click.option("--ip-address-type", type=click.Choice(["ipv4", "ipv6", "dualstack"]),
                     default="ipv4", show_default=True,
                     help="Origin IP address type: which address families CloudFront uses."),
        click.option("--path", default=None, help="Path to request [default: / or the URL's]."),
        # No `exists=True`: the check would stat the path while parsing, before anyone
        # knows whether the text came from an operator or from Slack. build_request reads
        # the file for trusted callers only.
        click.option("--ca-file", type=click.Path(dir_okay=False), default=None,
                     help="Extra PEM roots to trust as if Mozilla did (CloudFront would not)."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def build_request(
    target: str, *, allow_private: bool = True, untrusted: bool = False, **opts: Any
) -> ProbeRequest:
    """Combine the parsed target and the option values into a ProbeRequest.

    Raises TargetError (a one-line, user-facing message) when the target is malformed.
    `untrusted` (text from Slack): options naming files are refused, and no file is opened,
    not even ORIGIN502_CA_FILE (the bot sets the operator's file from its settings).
    """
    if untrusted:
        refuse_operator_only(opts)
    parsed = parse_target(target)
    policy: ProtocolPolicy = opts.get("protocol_policy") or (
        "http-only" if parsed.scheme == "http" else "https-only"
    )
    https_port = opts.get("https_port") or 443
    http_port = opts.get("http_port") or 80
    if parsed.port is not None:
        # A port in the target belongs to the scheme the target names (https by default).
        if parsed.scheme == "http" or policy == "http-only":
            http_port = opts.get("http_port") or parsed.port
        else:
            https_port = opts.get("https_port") or parsed.port
    path = opts.get("path") or parsed.path or "/"
    if not path.startswith("/"):
        raise TargetError(f"the path '{path}' must start with '/'")
    settings = OriginSettings(
        protocol_policy=policy,
        https_port=https_port,
        http_port=http_port,
        origin_ssl_protocols=tuple(opts.get("origin_ssl_protocols") or ("TLSv1.2",)),
        host_header=opts.get("host_header"),
        connect_timeout=float(opts.get("timeout") or 10.0),
        connection_attempts=int(opts.get("connection_attempts") or 3),
        read_timeout=float(opts.get("read_timeout") or 30.0),
        keepalive_timeout=float(opts.get("keepalive_timeout") or 5.0),
        path=path,
        ip_address_type=opts.get("ip_address_type") or "ipv4",
    )
    options = build_options(allow_private=allow_private, untrusted=untrusted, **opts)
    return ProbeRequest(
        hostname=parsed.hostname, settings=settings, options=options, display=parsed.display
    )


def build_options(*, allow_private: bool = True, untrusted: bool = False,
                  **opts: Any) -> ProbeOptions:
    """How origin502 probes (resolver, extra roots, private targets), from the option values.

    Raises TargetError when the CA file cannot be used. `untrusted` (text from Slack): no file
    is opened, not even ORIGIN502_CA_FILE (the bot sets the operator's file from its settings).
    """
    ca_file: str | None = None
    if not untrusted:
        ca_file = opts.get("ca_file") or os.environ.get("ORIGIN502_CA_FILE") or None
        if ca_file:
            _check_ca_file(ca_file)
    return ProbeOptions(
        resolve=tuple(opts.get("resolve") or ()),
        ca_file=ca_file,
        allow_private=allow_private,
        nameserver=os.environ.get("ORIGIN502_NAMESERVER") or None,
        dns_authority_port=_authority_port(),
    )


def _authority_port() -> int:
    text = os.environ.get("ORIGIN502_DNS_AUTHORITY_PORT") or "53"
    try:
        return parse_port(text)
    except TargetError:
        raise TargetError(f"ORIGIN502_DNS_AUTHORITY_PORT={text!r} is not a port (1-65535)",
                          example=False) from None


def _check_ca_file(path: str) -> None:
    """A CA file that cannot be read would otherwise fail every probe; say so up front."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise TargetError(f"the CA file {path} cannot be read: {exc.strerror}",
                          example=False) from None
    if b"-----BEGIN CERTIFICATE-----" not in data:
        raise TargetError(f"the CA file {path} holds no PEM certificate", example=False)


@click.command(add_help_option=False)
@click.argument("target")
@diagnose_options
@click.option("--origin", "origin_id", default=None,
              help="With a distribution: probe only the origin with this id.")
def _argv_parser(**kwargs: Any) -> dict[str, Any]:
    return kwargs


# -- the common shapes without click's parser ------------------------------------------------
# Slack commands are nearly always `TARGET` or `TARGET --option VALUE ...`. For those, click
# spends most of a command's parse building its parser and context and processing all 14
# parameters; `_plain_values` gives the same dict from the same click parameters (their own
# types and callbacks, their defaults as click processed them once), and leaves every other
# shape, and every value click would refuse, to click itself.
# tests/workers/test_options_plain.py checks both ways agree on generated input.


@cache
def _plain_defaults() -> dict[str, Any]:
    """What click gives each parameter when the command line leaves it out."""
    ctx = _argv_parser.make_context("origin502", ["target"], resilient_parsing=False)
    values: dict[str, Any] = _argv_parser.invoke(ctx)
    del values["target"]
    return values


@cache
def _plain_options() -> dict[str, click.Option]:
    """`--name` -> the option, for options taking exactly one value, once (not repeatable,
    not a flag), that a Slack user may set (operator-only ones go through click and its
    refusal)."""
    options: dict[str, click.Option] = {}
    for param in _argv_parser.params:
        if (isinstance(param, click.Option) and param.name not in OPERATOR_ONLY
                and param.nargs == 1 and not param.multiple and not param.is_flag
                and not param.required):
            for name in param.opts:
                if name.startswith("--"):
                    options[name] = param
    return options


def _plain_values(argv: list[str]) -> dict[str, Any] | None:
    """click's values for `TARGET [--option VALUE]...` (each option at most once, no value
    starting with '-'), or None: click then parses (and words any problem) itself."""
    if not argv or argv[0].startswith("-") or len(argv) % 2 == 0:
        return None
    options = _plain_options()
    values = dict(_plain_defaults())
    values["target"] = argv[0]
    given: set[str] = set()
    for name, raw in zip(argv[1::2], argv[2::2], strict=True):
        param = options.get(name)
        if param is None or param.name is None or param.name in given or raw.startswith("-"):
            return None
        given.add(param.name)
        try:
            value = param.type(raw, param, None)
            if param.callback is not None:
                value = param.callback(None, param, value)  # type: ignore[arg-type]
        except click.ClickException:
            return None
        values[param.name] = value
    return values


def lookup_request(name: str, *, allow_private: bool, origin_id: str | None = None,
                   untrusted: bool = False, **opts: Any) -> ProbeRequest:
    """A request that looks ``name`` (site, d….cloudfront.net or id) up in CloudFront first;
    the distribution's own settings replace the origin-setting options."""
    path = opts.get("path") or None
    if path is not None and not path.startswith("/"):
        raise TargetError(f"the path '{path}' must start with '/'")
    if is_distribution_id(name):
        base = ProbeRequest(hostname=name, settings=OriginSettings(path=path or "/"),
                            options=build_options(allow_private=allow_private,
                                                  untrusted=untrusted, **opts),
                            display=name)
    else:
        # The settings typed are kept for the case where the name is no distribution's and is
        # probed as an origin after all.
        base = build_request(name, allow_private=allow_private, untrusted=untrusted, **opts)
    return replace(base, lookup=DistributionLookup(name=base.hostname, origin_id=origin_id,
                                                   path=path))


def request_from_text(text: str, *, allow_private: bool, aws: bool | None = None,
                      untrusted: bool = True) -> ProbeRequest:
    """Parse `TARGET [options]` as typed in Slack. Raises TargetError with one clear line.

    With AWS access configured (``aws``; by default read from the environment), a site name,
    d….cloudfront.net name or distribution id becomes a request to look it up first.
    Text is untrusted by default: options that name files raise OperatorOnlyError.
    """
    try:
        argv = _split(text.translate(_TYPOGRAPHIC_QUOTES))
    except ValueError as exc:
        raise TargetError(f"could not read the options: {exc}") from None
    return request_from_argv(argv, allow_private=allow_private, aws=aws, untrusted=untrusted)


# What makes shlex.split (POSIX mode, no comments) differ from splitting at its whitespace.
_SHELL_SYNTAX = re.compile("[\"'\\\\]")
_SHELL_WHITESPACE = re.compile("[ \t\r\n]+")


def _split(text: str) -> list[str]:
    """shlex.split(text); without shlex's character-by-character reading when the text has
    no quote and no backslash (nearly every command), since shlex then only splits at its
    whitespace. Raises ValueError for unbalanced quotes, as shlex does."""
    if _SHELL_SYNTAX.search(text) is not None:
        return shlex.split(text)
    stripped = text.strip(" \t\r\n")
    return _SHELL_WHITESPACE.split(stripped) if stripped else []


def request_from_argv(argv: list[str], *, allow_private: bool, aws: bool | None = None,
                      untrusted: bool = True) -> ProbeRequest:
    # Slack turns "--" into an en/em dash when people type it.
    argv = [_DASH.sub("--", a) for a in argv]
    values = _plain_values(argv)
    if values is None:
        try:
            ctx = _argv_parser.make_context("origin502", list(argv), resilient_parsing=False)
            values = _argv_parser.invoke(ctx)
        except click.UsageError as exc:
            raise TargetError(exc.format_message()) from None
        except click.exceptions.Exit:
            raise TargetError("no target given") from None
    target = values.pop("target")
    origin_id = values.pop("origin_id", None)
    if untrusted:
        # The operator-only check runs on what click parsed, so every spelling click accepts
        # (`--ca-file=X`, `--ca-file X`, quoted, dashes Slack made typographic) is caught.
        refuse_operator_only(values)
    looked_up = aws_configured() if aws is None else aws
    name = lookup_name(target) if looked_up else None
    url = site_url(target) if looked_up and name is None else None
    if url is not None:
        # A site's URL is looked up too, its path picking the behaviour (see the CLI).
        name = url[0]
        if url[1] and not values.get("path"):
            values["path"] = url[1]
    if name is not None:
        return lookup_request(name, allow_private=allow_private, origin_id=origin_id,
                              untrusted=untrusted, **values)
    if origin_id:
        raise TargetError("--origin needs a distribution (a site name, a d….cloudfront.net "
                          "name or an id) and AWS access", example=False)
    if is_distribution_id(target.strip()):
        raise TargetError(f"{target.strip()} looks like a CloudFront distribution id; looking "
                          "it up needs AWS read access, which is not configured here",
                          example=False)
    return build_request(target, allow_private=allow_private, untrusted=untrusted, **values)
