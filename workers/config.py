"""Environment settings shared by every process, checked before anything starts.

A bad value stops the process with one line that names the variable and shows a good value
(exit 2, no traceback), instead of failing later, deep inside a connection, with a stack
trace. Redis URLs are only ever shown with their password masked.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

DEFAULT_REDIS_URL = "redis://localhost:6379/0"
REDIS_EXAMPLE = "e.g. REDIS_URL=redis://localhost:6379/0 or rediss://:PASSWORD@redis.internal:6380/0"
NAMESERVER_EXAMPLE = "e.g. ORIGIN502_NAMESERVER=10.0.0.2, 10.0.0.2:5353 or [2001:db8::53]:53"


class ConfigError(Exception):
    """A configuration problem, in one line naming the variable and an example value."""


def redact(url: str) -> str:
    """`url` with any password replaced by ***, safe for logs and error messages."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        user = parts.username or ""
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return "(a Redis URL that cannot be parsed)"


def redis_url(env: Mapping[str, str]) -> str:
    """REDIS_URL from `env` (or the local default), checked the way redis-py will read it."""
    from redis.connection import parse_url

    url = env.get("REDIS_URL") or DEFAULT_REDIS_URL
    try:
        parse_url(url)  # type: ignore[no-untyped-call]
        parts = urlsplit(url)
        database = parts.path.strip("/")
        if parts.scheme in ("redis", "rediss") and database and not database.isdigit():
            raise ValueError(f"the database '{database}' is not a number")
        if parts.scheme in ("redis", "rediss") and not parts.hostname:
            raise ValueError("no host")
    except ValueError as exc:
        raise ConfigError(
            f"REDIS_URL {redact(url)!r} is not a Redis URL ({exc}); {REDIS_EXAMPLE}"
        ) from None
    return url


def nameserver(text: str) -> tuple[str, int]:
    """(address, port) of ORIGIN502_NAMESERVER: `ADDRESS`, `IPv4:PORT` or `[IPv6]:PORT`."""
    raw = text.strip()
    host, port_text = raw, ""
    if raw.startswith("["):
        host, sep, rest = raw[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ConfigError(f"ORIGIN502_NAMESERVER {text!r} is not an address; "
                              f"{NAMESERVER_EXAMPLE}")
        port_text = rest[1:]
    elif raw.count(":") == 1:
        host, _, port_text = raw.partition(":")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ConfigError(f"ORIGIN502_NAMESERVER {text!r} is not an IP address; "
                          f"{NAMESERVER_EXAMPLE}") from None
    if raw.startswith("[") and address.version != 6:
        raise ConfigError(f"ORIGIN502_NAMESERVER {text!r}: brackets are for IPv6 addresses; "
                          f"{NAMESERVER_EXAMPLE}")
    port = 53
    if port_text or raw.endswith(":"):
        if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
            raise ConfigError(f"ORIGIN502_NAMESERVER {text!r} has a bad port "
                              f"{port_text!r} (1-65535); {NAMESERVER_EXAMPLE}")
        port = int(port_text)
    return str(address), port


def check_nameserver(env: Mapping[str, str]) -> None:
    value = env.get("ORIGIN502_NAMESERVER")
    if value:
        nameserver(value)
