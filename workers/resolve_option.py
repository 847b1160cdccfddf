"""``--resolve NAME:ADDRESS[,ADDRESS...]``: addresses given by hand instead of DNS, like curl's.

Repeatable, and each value may list several addresses (IPv4, IPv6 bare or in brackets), since
an origin name often has several A and AAAA records and one bad address among good ones is the
classic cause of intermittent 502s: every address given is probed. NAME is normalised as the
target is (IDNA, case, trailing dot), so ``bücher.example.com`` and ``xn--bcher-kva.example.com``
name the same origin.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from workers.target import TargetError, ascii_name, canonical_ip

RESOLVE_EXAMPLE = ("e.g. origin.example.com:192.0.2.10 or "
                   "origin.example.com:192.0.2.10,[2001:db8::10]")
# curl's own form names a port too (HOST:PORT:ADDRESS); origin502 takes ports from the origin
# settings, so that form gets a message saying so rather than "not an address".
_CURL_PORT = re.compile(r"^[0-9]{1,5}:")

Pairs = tuple[tuple[str, str], ...]


def _problem(text: str) -> TargetError:
    return TargetError(f"{text} ({RESOLVE_EXAMPLE})", example=False)


def _address(item: str, value: str) -> str:
    """The canonical form of one address of a --resolve value."""
    if not item:
        raise _problem(f"'{value}' has an empty address (two commas in a row?)")
    if item.startswith("[") or item.endswith("]"):
        inner = item[1:-1] if item.startswith("[") and item.endswith("]") else None
        try:
            ip = ipaddress.IPv6Address(inner) if inner is not None else None
        except ValueError:
            ip = None
        if ip is None or ip.scope_id:
            raise _problem(f"'{item}' in '{value}' is not an IPv6 address in brackets")
        return canonical_ip(inner or "") or str(ip)
    canon = canonical_ip(item) if "%" not in item else None
    if canon is None:
        raise _problem(f"'{item}' in '{value}' is not an IP address")
    return canon


def parse_resolve(value: str) -> Pairs:
    """``NAME:ADDRESS[,ADDRESS...]`` as (name, address) pairs, one per address, in the order
    given without repeats. Raises TargetError (one line) whatever ``value`` holds."""
    text = value.strip()
    name, sep, rest = text.partition(":")  # a name has no colon; an IPv6 address has several
    if not sep or not name.strip() or not rest.strip():
        raise _problem(f"'{text}' is not NAME:IP")
    name = name.strip()
    if canonical_ip(name) is not None:
        raise _problem(f"'{name}' in '{text}' is an address; NAME is the origin's host name")
    try:
        host = ascii_name(name)
    except TargetError as exc:
        raise _problem(f"the name in '{text}' is not usable: {exc.problem}") from None
    items = [item.strip() for item in rest.split(",")]
    try:
        addresses = [_address(item, text) for item in items]
    except TargetError:
        if _CURL_PORT.match(rest.strip()):
            raise _problem(
                f"'{text}' looks like curl's NAME:PORT:ADDRESS; give NAME:IP, the ports "
                "come from --https-port and --http-port") from None
        raise
    return tuple((host, address) for address in dict.fromkeys(addresses))


def merge_resolve(values: Iterable[str]) -> Pairs:
    """Every --resolve value given (the option repeats), as one list of pairs without repeats."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        pairs.extend(parse_resolve(value))
    return tuple(dict.fromkeys(pairs))


def addresses_for(pairs: Iterable[tuple[str, str]], name: str) -> list[str]:
    """The addresses given for ``name`` (already normalised), in the order given."""
    return list(dict.fromkeys(address for given, address in pairs if given == name))



def unused_names(pairs: Iterable[tuple[str, str]], looked_up: Iterable[str]) -> list[str]:
    """The --resolve names that match none of the names ``looked_up`` (already normalised),
    in the order given: their addresses are used for nothing, as curl ignores them."""
    wanted = set(looked_up)
    return list(dict.fromkeys(name for name, _ in pairs if name not in wanted))


def resolve_words(pairs: Pairs, names: Iterable[str]) -> str:
    """The --resolve values given for ``names``, as typed back (IPv6 in brackets)."""
    return ", ".join(
        f"--resolve {name}:"
        + ",".join(f"[{a}]" if ":" in a else a for a in addresses_for(pairs, name))
        for name in names)


def check_origin_resolve(pairs: Pairs, hostname: str, host_header: str | None) -> list[str]:
    """For one origin, whose name is known before anything is probed: raise TargetError
    naming them when no --resolve NAME matches the origin name or the Host header (a typo
    there would send origin502 to public DNS while the user believes the address given was
    tested). Otherwise warnings, returned: a NAME that is only the Host header (CloudFront looks
    up the origin's name, never the Host it forwards), and entries that match nothing beside
    one that does (unused, as a distribution says them)."""
    unused = unused_names(pairs, (hostname,))
    if not unused:
        return []
    strays = [name for name in unused if name != host_header]
    host_only = [name for name in unused if name == host_header]
    one = len(strays) == 1
    given = resolve_words(pairs, strays)
    if host_header and host_header != hostname:
        named = (f"{'matches' if one else 'match'} neither the origin name {hostname} "
                 f"nor the Host header {host_header}")
    else:
        named = f"{'does' if one else 'do'} not match the origin name {hostname}"
    matched = bool(host_only) or any(name == hostname for name, _ in pairs)
    if strays and not matched:
        used = f"{'its' if one else 'their'} addresses would be used for nothing"
        if canonical_ip(hostname) is not None:
            raise TargetError(f"{given}: the origin is the address {hostname}, which needs no "
                              f"lookup, so {used}; drop --resolve", example=False)
        raise TargetError(f"{given} {named}: {used} and {hostname} looked up in DNS instead; "
                          f"give --resolve {hostname}:IP", example=False)
    warnings: list[str] = []
    if host_only:
        warnings.append(f"{resolve_words(pairs, host_only)} names the Host header, not the "
                        f"origin: CloudFront connects to the addresses of {hostname}, so "
                        "origin502 does too")
    if strays:
        warnings.append(f"{given} {named}: not used")
    return warnings
