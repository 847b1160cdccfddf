"""`--resolve NAME:ADDRESS[,ADDRESS...]` (workers/resolve_option.py): repeatable like curl's,
comma lists, IPv4 and IPv6 (bare or in brackets), names normalised as the target is; every
malformed value is one line saying what is wrong. Property-based where the inputs are open."""

from __future__ import annotations

import ipaddress

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.parse import Accepted, Refused, interpret
from workers.diagnose_cli import diagnose
from workers.options import build_request, request_from_argv
from workers.resolve_option import addresses_for, merge_resolve, parse_resolve
from workers.target import TargetError, parse_target

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(("value", "pairs"), [
    ("origin.example.com:192.0.2.10", [("origin.example.com", "192.0.2.10")]),
    ("origin.example.com:192.0.2.10,192.0.2.11",
     [("origin.example.com", "192.0.2.10"), ("origin.example.com", "192.0.2.11")]),
    ("origin.example.com:::1", [("origin.example.com", "::1")]),
    ("origin.example.com:[::1]", [("origin.example.com", "::1")]),
    ("origin.example.com:[2001:DB8::10],192.0.2.10",
     [("origin.example.com", "2001:db8::10"), ("origin.example.com", "192.0.2.10")]),
    ("origin.example.com:2001:db8::10", [("origin.example.com", "2001:db8::10")]),
    # the same address twice, in two spellings, is one address
    ("origin.example.com:127.0.0.1,0x7f.0.0.1,[::ffff:127.0.0.1]",
     [("origin.example.com", "127.0.0.1")]),
    (" Origin.Example.COM.:192.0.2.10 ", [("origin.example.com", "192.0.2.10")]),
    ("bücher.example.com:127.0.0.1", [("xn--bcher-kva.example.com", "127.0.0.1")]),
    ("BÜCHER.example.com.:127.0.0.1", [("xn--bcher-kva.example.com", "127.0.0.1")]),
])
def test_values_give_one_pair_per_address(value, pairs):
    assert list(parse_resolve(value)) == pairs


@pytest.mark.parametrize(("value", "problem"), [
    ("origin.example.com", "is not NAME:IP"),
    ("origin.example.com:", "is not NAME:IP"),
    (":192.0.2.10", "is not NAME:IP"),
    ("", "is not NAME:IP"),
    ("origin.example.com:192.0.2.300", "is not an IP address"),
    ("origin.example.com:192.0.2.10,,192.0.2.11", "empty address"),
    ("origin.example.com:192.0.2.10,", "empty address"),
    ("origin.example.com:[192.0.2.10]", "not an IPv6 address in brackets"),
    ("origin.example.com:[::1", "not an IPv6 address in brackets"),
    ("origin.example.com:fe80::1%eth0", "is not an IP address"),
    ("origin.example.com:[fe80::1%eth0]", "not an IPv6 address in brackets"),
    ("origin.example.com:443:192.0.2.10", "curl's NAME:PORT:ADDRESS"),
    ("192.0.2.1:192.0.2.10", "is an address"),
    ("*:192.0.2.10", "not usable"),
    ("exa$mple.com:192.0.2.10", "not usable"),
    ("localhostish:192.0.2.10", "fully qualified"),
])
def test_bad_values_say_what_is_wrong_in_one_line_with_an_example(value, problem):
    with pytest.raises(TargetError) as info:
        parse_resolve(value)
    message = str(info.value)
    assert problem in message and "\n" not in message
    assert "e.g. origin.example.com:192.0.2.10" in message


def test_repeats_are_merged_in_order_without_repeating_a_pair():
    pairs = merge_resolve(["a.example.com:192.0.2.1", "b.example.com:192.0.2.9",
                           "A.example.com:192.0.2.2,192.0.2.1", "a.example.com:[::1]"])
    assert addresses_for(pairs, "a.example.com") == ["192.0.2.1", "192.0.2.2", "::1"]
    assert addresses_for(pairs, "b.example.com") == ["192.0.2.9"]
    assert addresses_for(pairs, "c.example.com") == []


# --- properties -------------------------------------------------------------------------------

# IDNA 2008 reserves "--" in a label's third and fourth places (for "xn--"): a name beside a
# Unicode label is encoded whole and such a label refused, as it should be.
LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True).filter(
    lambda label: label[2:4] != "--")
# A letter in the last label: "1.2" would be an address, not a name.
TLD = st.from_regex(r"[a-z][a-z0-9]{0,5}", fullmatch=True)
NAMES = st.tuples(st.lists(LABEL, min_size=1, max_size=3), TLD).map(
    lambda parts: ".".join([*parts[0], parts[1]]))
V4 = st.ip_addresses(v=4)
V6 = st.ip_addresses(v=6)


def spelled(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, bracketed: bool) -> str:
    text = ip.exploded if ip.version == 6 and bracketed else str(ip)
    return f"[{text}]" if ip.version == 6 and bracketed else text


def canonical(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


@PROPERTY
@given(NAMES, st.lists(st.tuples(st.one_of(V4, V6), st.booleans()), min_size=1, max_size=6),
       st.sampled_from(["", "."]), st.booleans())
def test_any_list_of_addresses_round_trips(name, addresses, dot, upper):
    typed = (name.upper() if upper else name) + dot
    value = f"{typed}:" + ",".join(spelled(ip, b) for ip, b in addresses)
    pairs = parse_resolve(value)
    expected = list(dict.fromkeys(canonical(ip) for ip, _ in addresses))
    assert [a for _, a in pairs] == expected
    assert {n for n, _ in pairs} == {name}
    # the name is the one the target gives for the same text: they meet in the DNS layer
    assert parse_target(typed).hostname == name


@PROPERTY
@given(st.text(max_size=40))
def test_any_text_is_pairs_or_one_line(text):
    try:
        pairs = parse_resolve(text)
    except TargetError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert pairs
    for name, address in pairs:
        assert name == parse_target(name).hostname
        assert str(ipaddress.ip_address(address)) == address


@PROPERTY
@given(NAMES, st.lists(st.one_of(V4, V6), min_size=1, max_size=4))
def test_an_unicode_name_meets_its_punycode(name, addresses):
    unicode_name = "bücher." + name
    value = unicode_name + ":" + ",".join(str(a) for a in addresses)
    target = parse_target(unicode_name).hostname
    assert addresses_for(parse_resolve(value), target) == list(
        dict.fromkeys(canonical(a) for a in addresses))


# --- through the CLI and Slack parsers -------------------------------------------------------

def test_the_cli_keeps_every_repeat_and_list():
    values = request_from_argv(
        ["origin.example.com", "--resolve", "origin.example.com:192.0.2.10",
         "--resolve", "origin.example.com:192.0.2.11,[2001:db8::1]"],
        allow_private=True, aws=False, untrusted=False)
    assert values.options.resolve == (("origin.example.com", "192.0.2.10"),
                                      ("origin.example.com", "192.0.2.11"),
                                      ("origin.example.com", "2001:db8::1"))


def test_the_cli_says_what_is_wrong_with_a_value_in_one_line():
    result = CliRunner().invoke(diagnose, ["origin.example.com", "--resolve",
                                           "origin.example.com:443:192.0.2.10"])
    assert result.exit_code == 2
    assert "curl's NAME:PORT:ADDRESS" in result.output
    problem = [line for line in result.output.splitlines() if "NAME:PORT" in line]
    assert len(problem) == 1


def test_slack_refuses_a_private_address_anywhere_in_a_list():
    # (only parsed: nothing is probed)
    text = "origin.example.com --resolve origin.example.com:8.8.8.8,10.0.0.5"
    result = interpret(text, allow_private=False)
    assert isinstance(result, Refused), result
    assert "10.0.0.5" in result.target and "private" in result.reason
    assert isinstance(interpret("origin.example.com --resolve origin.example.com:8.8.8.8 "
                                "--resolve origin.example.com:1.1.1.1,[2606:4700::1111]",
                                allow_private=False), Accepted)


def test_a_request_keeps_its_pairs_through_json():
    request = build_request("bücher.example.com",
                            resolve=merge_resolve(["bücher.example.com:127.0.0.1,::1"]))
    again = type(request).from_dict(request.to_dict())
    assert again.options.resolve == (("xn--bcher-kva.example.com", "127.0.0.1"),
                                     ("xn--bcher-kva.example.com", "::1"))
