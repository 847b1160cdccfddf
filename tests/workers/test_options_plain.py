"""The parse of `/origin502 TARGET [options]` without click's parser (workers/options.py,
`_plain_values` and the split without shlex) gives what click and shlex give, or steps aside.

Property-based: targets, option names (real, operator-only, repeatable, unknown, `--x=y`) and
values (valid, out of range, malformed, starting with '-') mixed at random, with the quoting
and dashes Slack produces; every answer is compared with the one of the slow path.
"""

from __future__ import annotations

import shlex
from typing import Any

import click
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.parse import interpret
from workers import options
from workers.target import TargetError

TARGETS = st.sampled_from([
    "origin.example.com", "Origin.Example.COM.", "www.shop.test", "127.0.0.1", "10.0.0.1",
    "[::1]", "https://origin.example.com/health?x=1", "http://origin.example.com:8080",
    "origin.example.com:8443", "<http://origin.example.com|origin.example.com>",
    "E2ABCDEF123456", "d111111abcdef8.cloudfront.net", "localhost", "origin..example.com",
    "ftp://origin.example.com", "not a host", "-", "--", "", "é.example", "xn--bcher-kva.example",
])
NAMES = st.sampled_from([
    "--protocol-policy", "--https-port", "--http-port", "--origin-ssl-protocols",
    "--host-header", "--resolve", "--timeout", "--connection-attempts", "--read-timeout",
    "--keepalive-timeout",
    "--ip-address-type", "--path", "--ca-file", "--origin", "--bogus", "-x", "--",
    "--https-port=8443", "\u2014host-header", "\u2013timeout", "--host-header=www.example.com",
])
VALUES = st.one_of(
    st.sampled_from([
        "https-only", "http-only", "match-viewer", "HTTPS-ONLY", "443", "8443", "0", "65535",
        "65536", "-1", "1e3", "٣", "TLSv1.2", "tlsv1.1,TLSv1.2", "SSLv3,TLSv1", ",", "TLSv9",
        "www.example.com", "www.example.com:443", "https://www.example.com", "bad..name",
        "origin.example.com:192.0.2.10", "0.1", "10", "10.5", "180", "nan", "inf", "3", "4",
        "ipv4", "ipv6", "dualstack", "IPv6", "/", "/health", "health", "/etc/passwd", "E2ABC",
        "-5", "--https-port", "", " ",
    ]),
    st.text(max_size=8),
)
TOKENS = st.lists(st.one_of(NAMES, VALUES, TARGETS), max_size=6)
SPACES = st.sampled_from([" ", "  ", "\t", "\n", " \r\n "])
QUOTING = st.sampled_from(["", "'", '"', "\u201c", "\\"])
PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def click_values(argv: list[str]) -> dict[str, Any] | None:
    """What click itself makes of `argv`, or None when it refuses it."""
    try:
        ctx = options._argv_parser.make_context("origin502", list(argv), resilient_parsing=False)
        return options._argv_parser.invoke(ctx)
    except (click.UsageError, click.exceptions.Exit):
        return None


def slow_interpret(text: str, **kwargs: Any) -> Any:
    """interpret() with both shortcuts off: shlex always, click always."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(options, "_plain_values", lambda _argv: None)
        patch.setattr(options, "_split", shlex.split)
        return interpret(text, **kwargs)


@PROPERTY
@given(target=TARGETS, rest=TOKENS)
@example(target="origin.example.com", rest=["--host-header", "www.example.com"])
@example(target="origin.example.com", rest=["--https-port", "8443", "--https-port", "443"])
@example(target="origin.example.com", rest=["--origin-ssl-protocols", "tlsv1.1,TLSv1.2"])
def test_plain_values_are_clicks_values(target: str, rest: list[str]) -> None:
    argv = [target, *rest]
    plain = options._plain_values(argv)
    if plain is not None:
        assert plain == click_values(argv)


@PROPERTY
@given(target=TARGETS, rest=TOKENS, space=SPACES, quote=QUOTING)
@example(target="origin.example.com", rest=["--host-header", "www.example.com"], space=" ",
         quote="")
def test_interpret_answers_as_the_slow_path_does(
    target: str, rest: list[str], space: str, quote: str
) -> None:
    text = space.join([target, *rest])
    if quote:
        text = text.replace(" ", f" {quote}", 1)
    for allow_private in (False, True):
        slow = slow_interpret(text, allow_private=allow_private)
        assert interpret(text, allow_private=allow_private) == slow


@PROPERTY
@given(st.text(alphabet=st.sampled_from("ab- \t\r\n\x0b\x0c\u00a0\u2028#=\u2014'\"\\"),
               max_size=20))
def test_the_split_is_shlexs(text: str) -> None:
    try:
        expected = shlex.split(text)
    except ValueError:
        with pytest.raises(ValueError):
            options._split(text)
        return
    assert options._split(text) == expected


@pytest.mark.parametrize("text", [
    "origin.example.com",
    "origin.example.com --host-header www.example.com",
    "origin.example.com --https-port 8443 --origin-ssl-protocols TLSv1.1,TLSv1.2",
    "https://origin.example.com/health \u2014timeout 5",
])
def test_the_common_commands_take_the_plain_path(text: str) -> None:
    argv = [options._DASH.sub("--", a) for a in text.split()]
    assert options._plain_values(argv) is not None


@pytest.mark.parametrize("argv", [
    ["origin.example.com", "--ca-file", "/etc/passwd"],  # operator-only: click, then refused
    ["origin.example.com", "--resolve", "origin.example.com:192.0.2.10"],  # repeatable
    ["origin.example.com", "--https-port", "99999"],  # click words the problem
    ["--host-header", "www.example.com", "origin.example.com"],  # options first
    ["origin.example.com", "--https-port=8443"],
])
def test_other_shapes_are_left_to_click(argv: list[str]) -> None:
    assert options._plain_values(argv) is None


def test_operator_only_options_are_still_refused() -> None:
    with pytest.raises(options.OperatorOnlyError):
        options.request_from_text("origin.example.com --ca-file /etc/passwd",
                                  allow_private=True)
    with pytest.raises(TargetError, match="99999"):
        options.request_from_text("origin.example.com --https-port 99999", allow_private=True)
