"""Turn what a person typed into the origin name CloudFront would use, and a request into the
one ``Target`` the probes share.

Parsing does no DNS lookup: a name stays a name until the DNS probe resolves it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from workers.models import OriginSettings, ProbeRequest, TargetInfo
from workers.models.record import FrozenRecord

EXAMPLE = "e.g. origin.example.com, origin.example.com:8443 or https://origin.example.com/health"
MAX_NAME_LENGTH = 253


class TargetError(ValueError):
    """A target that cannot be probed; the message is one line a user can act on."""

    def __init__(self, problem: str, *, example: bool = True) -> None:
        # What was typed is quoted back; its newlines and control characters must not break
        # the one line (or forge a second one in a log or a terminal).
        problem = "".join(c if c.isprintable() else repr(c)[1:-1] for c in problem)
        super().__init__(f"{problem} ({EXAMPLE})" if example else problem)
        self.problem = problem


@dataclass(frozen=True, eq=False, repr=False)
class ParsedTarget(FrozenRecord):
    """A target as typed, taken apart: name, scheme, port and path."""

    hostname: str  # punycode, lower case, or a canonical IP literal
    display: str
    is_ip_literal: bool
    scheme: str | None  # "https" / "http" when a URL gave one
    port: int | None  # when the target named one
    path: str | None  # when a URL gave one


def canonical_ip(text: str) -> str | None:
    """The canonical form of an IP literal in any spelling, or None when it is a name.

    Catches the spellings that resolvers accept but look harmless: decimal (2130706433),
    octal (0177.0.0.1), hex (0x7f.1) and IPv4-mapped IPv6 (::ffff:127.0.0.1).
    """
    candidate = text.strip("[]")
    try:
        ip = ipaddress.ip_address(candidate)
    except ValueError:
        ip = None
    hexish = all(c in "0123456789abcdefxABCDEFX." for c in candidate)
    # inet_aton is the libc parser that applications (and so attackers) rely on.
    if ip is None and candidate and hexish and any(c.isdigit() for c in candidate) \
            and not candidate.endswith("."):
        try:
            ip = ipaddress.IPv4Address(socket.inet_aton(candidate))
        except OSError:
            ip = None
    if ip is None:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def _to_ascii(name: str) -> str:
    import idna  # only for non-ASCII names (start-up time of the CLI)

    try:
        return idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise TargetError(f"'{name}' is not a valid domain name: {exc}") from None


def _check_name(name: str) -> None:
    if len(name) > MAX_NAME_LENGTH:
        raise TargetError(
            f"the name is {len(name)} characters long; a domain name has at most {MAX_NAME_LENGTH}"
        )
    labels = name.split(".")
    for label in labels:
        if not label:
            raise TargetError(f"'{name}' has an empty label (two dots in a row?)")
        if len(label) > 63:
            raise TargetError(f"'{label[:20]}…' is longer than the 63 characters a label allows")
        if label.startswith("-") or label.endswith("-"):
            raise TargetError(f"the label '{label}' starts or ends with a hyphen")
        if not all(c.isalnum() or c in "-_" for c in label):
            raise TargetError(f"'{name}' contains characters a domain name cannot have")


def parse_port(text: str) -> int:
    # isdigit() alone accepts "²" and other unicode digits that int() then refuses.
    if not (text.isascii() and text.isdigit()):
        raise TargetError(f"the port '{text}' is not a number")
    port = int(text)
    if not 1 <= port <= 65535:
        raise TargetError(f"the port {port} is outside 1-65535")
    return port


def parse_target(text: str) -> ParsedTarget:
    """Parse ``example.com``, ``example.com:8443``, ``[2001:db8::1]:443`` or a URL.

    Raises only TargetError (one line a user can act on), whatever `text` holds.
    """
    try:
        return _parse_target(text)
    except TargetError:
        raise
    except (ValueError, UnicodeError) as exc:
        # The standard library's own parsers (urlsplit, idna, int) have more ways to refuse
        # than can be listed; each is still a bad target, never an internal error.
        shown = (text or "").strip()[:60]
        raise TargetError(f"'{shown}' is not an origin name, name:port or URL "
                          f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
                          ) from None


def _parse_target(text: str) -> ParsedTarget:
    raw = (text or "").strip()
    # Slack sends typed links as <http://example.com|example.com>.
    if raw.startswith("<") and raw.endswith(">"):
        raw = raw[1:-1].split("|", 1)[0]
    if not raw:
        raise TargetError("no target given")
    if any(c.isspace() for c in raw):
        raise TargetError(f"'{raw}' contains spaces; give one origin name")

    scheme: str | None = None
    path: str | None = None
    if "://" in raw:
        try:
            parts = urlsplit(raw)
            parts.port  # noqa: B018 - read it now: a bad port raises here, not later
        except ValueError as exc:
            # "Invalid IPv6 URL" (unbalanced brackets), "Port out of range", ...
            raise TargetError(f"'{raw[:60]}' is not a valid URL: {exc}") from None
        if parts.scheme.lower() not in ("http", "https"):
            raise TargetError(f"the scheme '{parts.scheme}' is not http or https")
        scheme = parts.scheme.lower()
        if parts.username or parts.password:
            raise TargetError("credentials in the URL are not supported")
        netloc = parts.netloc
        if not netloc:
            raise TargetError(f"'{raw}' has no host name")
        path = parts.path or None
        if parts.query:
            path = f"{parts.path or '/'}?{parts.query}"
    elif "/" in raw:
        netloc, _, rest = raw.partition("/")
        path = "/" + rest
    else:
        netloc = raw

    host, port = _split_host_port(netloc)
    if not host:
        raise TargetError(f"'{raw}' has no host name")
    host = host.rstrip(".") if not host.startswith("[") else host
    ip = canonical_ip(host)
    if ip is not None:
        return ParsedTarget(ip, host.strip("[]"), True, scheme, port, path)
    if host.startswith("["):
        raise TargetError(f"'{host}' is not a valid IPv6 address")
    return ParsedTarget(ascii_name(host), host, False, scheme, port, path)


def ascii_name(host: str) -> str:
    """The name CloudFront would use for ``host`` (a name, not an address): IDNA (punycode),
    lower case, no trailing dot. Every name a person types goes through here (the target, the
    ``--resolve`` names), so that the same name typed twice is the same name.

    Raises TargetError (one line) when it is not a fully qualified domain name.
    """
    host = host.rstrip(".")
    if not host:
        raise TargetError("no host name given")
    name = _to_ascii(host.lower()) if not host.isascii() else host.lower()
    _check_name(name)
    if "." not in name and name != "localhost":
        raise TargetError(f"'{name}' is not a fully qualified domain name")
    return name


def _split_host_port(netloc: str) -> tuple[str, int | None]:
    if netloc.startswith("["):
        end = netloc.find("]")
        if end < 0:
            raise TargetError(f"'{netloc}' has an unclosed '['")
        host, rest = netloc[: end + 1], netloc[end + 1 :]
        if not rest:
            return host, None
        if not rest.startswith(":"):
            raise TargetError(f"unexpected text after the address in '{netloc}'")
        return host, parse_port(rest[1:])
    if netloc.count(":") > 1:
        # A bare IPv6 address without brackets (no port possible).
        return netloc, None
    host, sep, port_text = netloc.partition(":")
    if sep:
        return host, parse_port(port_text)
    return host, None


@dataclass(frozen=True, eq=False, repr=False)
class Endpoint(FrozenRecord):
    """One connection CloudFront would make: the address dialled, with a scheme on a port."""

    address: str
    scheme: str  # "https" or "http"
    port: int


@dataclass(frozen=True, eq=False, repr=False)
class Target(FrozenRecord):
    """The origin as CloudFront reaches it, every name decided once, here.

    Built once per diagnosis by :meth:`of`; each connection's target is the same one with its
    ``endpoint`` set (:meth:`at`). The probes read names and settings from it and nothing else.
    """

    hostname: str  # ASCII name or IP literal, as the request gave it
    display: str  # what the user typed, for display
    literal: str | None  # the canonical IP when the hostname is an IP literal, else None
    # The name CloudFront uses for TLS: the forwarded Host, else the origin's own name. The
    # report shows it as is, even when it is an address (then no SNI is sent: server_name).
    sni: str
    # What the ClientHello carries: None when ``sni`` is an IP address (RFC 6066 allows no
    # IP literal there, and CloudFront sends none).
    server_name: str | None
    host: str  # the Host header CloudFront sends
    # The name the certificate must carry: the origin's IP literal itself when the origin is
    # one, else ``sni``.
    certificate_name: str
    settings: OriginSettings
    # The origin's custom headers, sent as CloudFront sends them; the values are secrets.
    origin_headers: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)
    endpoint: Endpoint | None = None  # set for one connection (``at``); None for DNS

    @classmethod
    def of(cls, request: ProbeRequest) -> Target:
        """The target of ``request``: the only place that decides SNI, Host and IP-ness."""
        literal = canonical_ip(request.hostname)
        named = request.settings.host_header or request.hostname
        return cls(
            hostname=request.hostname,
            display=request.display or request.hostname,
            literal=literal,
            sni=named,
            server_name=None if canonical_ip(named) is not None else named,
            host=named,
            certificate_name=request.hostname if literal is not None else named,
            settings=request.settings,
            origin_headers=request.origin_headers,
        )

    @property
    def is_ip_literal(self) -> bool:
        return self.literal is not None

    @property
    def certificate_names(self) -> tuple[str, ...]:
        """Every name AWS documents the certificate may carry, ``certificate_name`` first:
        with Host forwarded, its 502 page accepts the origin domain as well as the Host (its
        origin settings page says the Host; the rules say that doubt)."""
        return tuple(dict.fromkeys((self.certificate_name, self.hostname, self.host)))

    def at(self, address: str, scheme: str, port: int) -> Target:
        """This target on one connection."""
        return replace(self, endpoint=Endpoint(address, scheme, port))

    @property
    def dialled(self) -> Endpoint:
        """The connection a connection layer works on; only the engine's ``at`` sets it."""
        if self.endpoint is None:
            raise ValueError("a connection layer needs a target with an endpoint (Target.at)")
        return self.endpoint

    def info(self) -> TargetInfo:
        """The report's view of the target (its JSON shape), made here and only here."""
        s = self.settings
        return TargetInfo(
            hostname=self.hostname, display=self.display, is_ip_literal=self.is_ip_literal,
            sni=self.sni, host_header=self.host, protocol_policy=s.protocol_policy,
            https_port=s.https_port, http_port=s.http_port,
            origin_ssl_protocols=list(s.origin_ssl_protocols), path=s.path,
            connect_timeout=s.connect_timeout, connection_attempts=s.connection_attempts,
            read_timeout=s.read_timeout, ip_address_type=s.ip_address_type,
            keepalive_timeout=s.keepalive_timeout)
