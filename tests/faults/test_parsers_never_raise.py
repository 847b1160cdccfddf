"""Parsers never raise: whatever is typed after `/origin502`, given as a target or passed to
`origin502 diagnose`, the answer is help, a one-line problem, a refusal or a request.

Property-based (hypothesis), so the inputs are the ones nobody thought of: unbalanced
brackets, unicode digits in ports (`²`), control characters, dashes Slack rewrites.
"""

from __future__ import annotations

import string
from dataclasses import replace
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.parse import Accepted, Help, Invalid, Refused, interpret
from workers.diagnose_cli import diagnose
from workers.engine import diagnose as engine_diagnose
from workers.models import ProbeRequest
from workers.target import TargetError, parse_target

# Pieces people (and fuzzers) put into targets: brackets, colons, unicode digits, dashes.
PIECES = st.sampled_from([
    "[", "]", ":", "::", "/", "//", "https://", "http://", "<", ">", "|", "@", "%", "?", "#",
    "²", "٣", "１", "०", "—", "–", "--", "-", ".", "..", " ", "\t", "\x00", "é", "xn--",
    "example.invalid", "127.0.0.1", "[::1]", "::ffff:127.0.0.1", "0x7f.1", "443", "65536",
    "--https-port", "--path", "--timeout", "--resolve", "=", "'", '"', "“", "\\",
])
TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(PIECES, st.text(string.printable, max_size=6)), max_size=10).map("".join),
)
FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(TEXT)
def test_slash_command_text_is_always_one_of_four_answers(text: str) -> None:
    for allow_private in (False, True):
        result = interpret(text, allow_private=allow_private)
        assert isinstance(result, Help | Invalid | Refused | Accepted)
        if isinstance(result, Invalid):
            assert result.problem and "\n" not in result.problem
            assert "Traceback" not in result.problem


@FUZZ
@given(TEXT)
def test_a_target_is_parsed_or_refused_in_one_line(text: str) -> None:
    try:
        parse_target(text)
    except TargetError as exc:
        assert str(exc) and "\n" not in str(exc)


ARGS = st.lists(st.one_of(PIECES, st.text(max_size=12)), max_size=6)


def _loopback_only(request: ProbeRequest, **kwargs: Any) -> Any:
    """The real engine, but whatever the fuzzed target names, it probes origin.invalid,
    resolved to 127.0.0.1 (--resolve): the CLI's parsing and rendering run for real, and no
    packet leaves loopback."""
    options = replace(request.options, resolve=(("origin.invalid", "127.0.0.1"),),
                      nameserver="127.0.0.1:9")
    return engine_diagnose(replace(request, hostname="origin.invalid", options=options),
                           **kwargs)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ARGS)
def test_the_cli_never_shows_a_traceback(args: list[str]) -> None:
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("workers.engine.diagnose", _loopback_only)
        patch.setenv("ORIGIN502_NAMESERVER", "127.0.0.1:9")
        result = runner.invoke(
            diagnose,
            [*args, "--timeout", "0.2", "--connection-attempts", "1", "--read-timeout", "1"],
            catch_exceptions=True,
        )
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args!r} raised {result.exception!r}")
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2, 3), (args, result.exit_code, result.output)
