from __future__ import annotations

import pytest

from bot.parse import Accepted, Help, Invalid, Refused, compose_mention, interpret, strip_mentions


@pytest.mark.parametrize("text", ["", "  ", "help", "HELP", "--help", "-h", "?"])
def test_help_words_ask_for_usage(text):
    assert interpret(text, allow_private=False) == Help()


def test_slack_link_form_is_parsed():
    result = interpret(
        "<http://origin.example.com|origin.example.com> --host-header www.example.com",
        allow_private=False,
    )
    assert isinstance(result, Accepted)
    assert result.request.hostname == "origin.example.com"
    assert result.request.settings.host_header == "www.example.com"
    assert result.request.settings.protocol_policy == "http-only"  # the scheme Slack added


def test_options_follow_cloudfront_names():
    result = interpret(
        "origin.example.com --https-port 8443 --origin-ssl-protocols TLSv1.1,TLSv1.2",
        allow_private=False,
    )
    assert isinstance(result, Accepted)
    assert result.request.settings.https_port == 8443
    assert result.request.settings.origin_ssl_protocols == ("TLSv1.1", "TLSv1.2")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("not a host", "origin"),
        ("origin.example.com --https-port 99999", "99999"),
        ("origin..example.com", "empty label"),
        ("ftp://origin.example.com", "scheme"),
        ("origin.example.com --bogus", "bogus"),
    ],
)
def test_bad_input_says_what_is_wrong(text, fragment):
    result = interpret(text, allow_private=False)
    assert isinstance(result, Invalid)
    assert fragment in result.problem
    assert "Traceback" not in result.problem


def test_ca_file_is_operator_only():
    result = interpret("origin.example.com --ca-file /etc/passwd", allow_private=True)
    assert isinstance(result, Invalid)
    assert "ORIGIN502_CA_FILE" in result.problem


SPELLINGS = [
    ("127.0.0.1", "loopback"),
    ("2130706433", "loopback"),  # decimal
    ("0177.0.0.1", "loopback"),  # octal
    ("0x7f.0.0.1", "loopback"),  # hex
    ("0x7f000001", "loopback"),
    ("[::ffff:127.0.0.1]", "loopback"),  # IPv4-mapped IPv6
    ("[::1]", "loopback"),
    ("169.254.169.254", "metadata"),
    ("10.1.2.3", "private"),
    ("192.168.0.1", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("224.0.0.1", "multicast"),
    ("[fd00::1]", "unique-local"),
    ("[fe80::1]", "link-local"),
    ("0.0.0.0", "unspecified"),
    ("localhost", "loopback"),
    ("https://127.1:8443/health", "loopback"),
    ("origin.example.com --resolve origin.example.com:10.0.0.5", "private"),
]


@pytest.mark.parametrize(("text", "why"), SPELLINGS)
def test_private_targets_are_refused_in_every_spelling(text, why):
    result = interpret(text, allow_private=False)
    assert isinstance(result, Refused), result
    assert why in result.reason


@pytest.mark.parametrize(("text", "_why"), SPELLINGS[:4])
def test_private_targets_allowed_when_switched_on(text, _why):
    assert isinstance(interpret(text, allow_private=True), Accepted)


def test_public_ip_literal_is_accepted():
    assert isinstance(interpret("8.8.8.8", allow_private=False), Accepted)


def test_mentions_are_stripped():
    assert strip_mentions("<@U123> --https-port 8443 <@U456|bob>") == "--https-port 8443"


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("<@UBOT>", "origin.example.com --https-port 443"),
        (
            "<@UBOT> --host-header www.example.com",
            "origin.example.com --https-port 443 --host-header www.example.com",
        ),
        (
            "<@UBOT> \u2014host-header www.example.com",
            "origin.example.com --https-port 443 \u2014host-header www.example.com",
        ),
        ("<@UBOT> other.example.com --https-port 8443", "other.example.com --https-port 8443"),
    ],
)
def test_mention_changes_options_of_the_thread_run(said, expected):
    assert compose_mention("origin.example.com --https-port 443", said) == expected


def test_later_options_win():
    text = compose_mention(
        "origin.example.com --host-header a.example.com", "--host-header b.example.com"
    )
    result = interpret(text, allow_private=False)
    assert isinstance(result, Accepted)
    assert result.request.settings.host_header == "b.example.com"
