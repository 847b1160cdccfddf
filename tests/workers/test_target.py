"""Target parsing: what people type, including the spellings meant to slip past checks."""

from __future__ import annotations

import pytest

from workers.target import TargetError, canonical_ip, parse_target


@pytest.mark.parametrize(("text", "host", "port", "scheme", "path"), [
    ("example.com", "example.com", None, None, None),
    ("Example.COM.", "example.com", None, None, None),
    ("example.com:8443", "example.com", 8443, None, None),
    ("https://example.com:8443/health", "example.com", 8443, "https", "/health"),
    ("http://example.com/a?b=1", "example.com", None, "http", "/a?b=1"),
    ("<http://example.com|example.com>", "example.com", None, "http", None),
    ("bücher.example", "xn--bcher-kva.example", None, None, None),
    ("[2001:db8::1]:443", "2001:db8::1", 443, None, None),
    ("2001:db8::1", "2001:db8::1", None, None, None),
    ("192.0.2.10", "192.0.2.10", None, None, None),
])
def test_valid_targets(text, host, port, scheme, path):
    parsed = parse_target(text)
    assert (parsed.hostname, parsed.port, parsed.scheme, parsed.path) == (host, port, scheme, path)


def test_unicode_name_keeps_its_display_form():
    assert parse_target("bücher.example").display == "bücher.example"


@pytest.mark.parametrize(("text", "problem"), [
    ("", "no target"),
    ("   ", "no target"),
    ("https://", "no host name"),
    ("exa mple.com", "spaces"),
    ("a" * 250 + ".com", "at most 253"),
    ("example.com:0", "outside 1-65535"),
    ("example.com:70000", "outside 1-65535"),
    ("example.com:http", "not a number"),
    ("ftp://example.com", "not http or https"),
    ("exa$mple.com", "characters"),
    ("-bad.example.com", "hyphen"),
    ("example..com", "empty label"),
    ("localhostish", "fully qualified"),
    ("https://user:pw@example.com", "credentials"),
])
def test_bad_targets_say_what_is_wrong_and_show_an_example(text, problem):
    with pytest.raises(TargetError) as info:
        parse_target(text)
    message = str(info.value)
    assert problem in message
    assert "e.g. origin.example.com" in message
    assert "\n" not in message


@pytest.mark.parametrize(("spelling", "canonical"), [
    ("2130706433", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"),
    ("::ffff:127.0.0.1", "127.0.0.1"),
    ("::ffff:7f00:1", "127.0.0.1"),
    ("[::1]", "::1"),
    ("169.254.169.254", "169.254.169.254"),
    ("0xa9fea9fe", "169.254.169.254"),
])
def test_every_ip_spelling_is_canonicalised(spelling, canonical):
    assert canonical_ip(spelling) == canonical
    assert parse_target(spelling).is_ip_literal


@pytest.mark.parametrize("name", ["example.com", "deadbeef.example", "cafe.com", "1.example"])
def test_names_are_not_mistaken_for_addresses(name):
    assert canonical_ip(name) is None
