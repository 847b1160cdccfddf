"""Target parsing: what people type, including the spellings meant to slip past checks; and
the one Target the probes share, which decides SNI, Host and IP-ness once."""

from __future__ import annotations

from dataclasses import asdict, replace

import pytest

from workers.models import OriginSettings, ProbeRequest
from workers.target import Endpoint, Target, TargetError, canonical_ip, parse_target


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


# --- the Target: every name decided once ---------------------------------------------------


@pytest.mark.parametrize(
    ("hostname", "host_header", "literal", "server_name", "certificate_name"), [
        ("origin.example.com", None, None, "origin.example.com", "origin.example.com"),
        ("origin.example.com", "www.example.com", None, "www.example.com", "www.example.com"),
        ("192.0.2.10", None, "192.0.2.10", None, "192.0.2.10"),
        ("2001:db8::1", None, "2001:db8::1", None, "2001:db8::1"),
        ("::1", None, "::1", None, "::1"),
        ("2001:DB8::A", None, "2001:db8::a", None, "2001:DB8::A"),
        ("::ffff:192.0.2.10", None, "192.0.2.10", None, "::ffff:192.0.2.10"),
        # A forwarded Host that is an address: no SNI, and the certificate must name it.
        ("origin.example.com", "192.0.2.10", None, None, "192.0.2.10"),
        ("origin.example.com", "2001:db8::1", None, None, "2001:db8::1"),
        # An address origin with a forwarded Host name: that name is the SNI, but the
        # certificate is checked against the address (what the rules also say).
        ("192.0.2.10", "www.example.com", "192.0.2.10", "www.example.com", "192.0.2.10"),
        ("2001:db8::1", "www.example.com", "2001:db8::1", "www.example.com", "2001:db8::1"),
        # Names made of digits are still names when they are not an address.
        ("1.example", None, None, "1.example", "1.example"),
    ])
def test_target_decides_sni_host_and_ip_literal_once(hostname, host_header, literal,
                                                     server_name, certificate_name):
    request = ProbeRequest(hostname=hostname, settings=OriginSettings(host_header=host_header))
    target = Target.of(request)
    assert target.literal == literal
    assert target.is_ip_literal is (literal is not None)
    assert target.sni == target.host == (host_header or hostname)
    assert target.server_name == server_name
    assert target.certificate_name == certificate_name


@pytest.mark.parametrize(("hostname", "host_header", "names"), [
    ("origin.example.com", None, ("origin.example.com",)),
    ("origin.example.com", "origin.example.com", ("origin.example.com",)),
    # AWS's 502 page: the forwarded Host (the SNI, asked first) or the origin domain.
    ("origin.example.com", "www.example.com", ("www.example.com", "origin.example.com")),
    ("192.0.2.10", "www.example.com", ("192.0.2.10", "www.example.com")),
])
def test_every_name_the_certificate_may_carry_primary_first(hostname, host_header, names):
    request = ProbeRequest(hostname=hostname, settings=OriginSettings(host_header=host_header))
    target = Target.of(request)
    assert target.certificate_names == names
    assert target.certificate_names[0] == target.certificate_name


def test_a_connection_target_is_the_same_target_with_an_endpoint():
    request = ProbeRequest(hostname="origin.example.com", display="Origin.example.com",
                           settings=OriginSettings(https_port=8443),
                           origin_headers=(("X-Secret", "s3cret"),))
    target = Target.of(request)
    with pytest.raises(ValueError, match="endpoint"):
        target.dialled  # noqa: B018 - DNS has no connection yet
    dialled = target.at("2001:db8::1", "https", 8443)
    assert dialled.dialled == Endpoint("2001:db8::1", "https", 8443)
    assert replace(dialled, endpoint=None) == target
    assert dialled.origin_headers == (("X-Secret", "s3cret"),)
    assert "s3cret" not in repr(dialled)


def test_the_report_view_of_the_target_keeps_its_json_shape():
    request = ProbeRequest(hostname="192.0.2.10", display="192.0.2.10",
                           settings=OriginSettings(host_header="www.example.com",
                                                   protocol_policy="match-viewer",
                                                   origin_ssl_protocols=("TLSv1.1", "TLSv1.2")))
    assert asdict(Target.of(request).info()) == {
        "hostname": "192.0.2.10", "display": "192.0.2.10", "is_ip_literal": True,
        "sni": "www.example.com", "host_header": "www.example.com",
        "protocol_policy": "match-viewer", "https_port": 443, "http_port": 80,
        "origin_ssl_protocols": ["TLSv1.1", "TLSv1.2"], "path": "/", "connect_timeout": 10.0,
        "connection_attempts": 3, "read_timeout": 30.0, "ip_address_type": "ipv4",
        "keepalive_timeout": 5.0}
    assert list(asdict(Target.of(request).info())) == [
        "hostname", "display", "is_ip_literal", "sni", "host_header", "protocol_policy",
        "https_port", "http_port", "origin_ssl_protocols", "path", "connect_timeout",
        "connection_attempts", "read_timeout", "ip_address_type", "keepalive_timeout"]
