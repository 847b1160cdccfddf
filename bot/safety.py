"""The bot's early refusal of private targets, using the engine's own classification.

The engine refuses private addresses again when it dials (names resolve at probe time);
this only answers at once, in the ephemeral reply, when the address is already known.
"""

from __future__ import annotations

import ipaddress

from workers.addresses import private_reason  # the same check the engine applies
from workers.models import ProbeRequest

LOCALHOST_NAMES = ("localhost", "localhost.localdomain")


def refusal(request: ProbeRequest) -> tuple[str, str] | None:
    """(what, why) when `request` would dial a non-public address we can already see."""
    host = request.hostname
    if host in LOCALHOST_NAMES or host.endswith(".localhost"):
        return request.display or host, "a name that always resolves to a loopback address"
    if _is_ip(host):
        reason = private_reason(host)
        if reason:
            return request.display or host, reason
    for name, ip in request.options.resolve:
        reason = private_reason(ip)
        if reason:
            return f"{name} → {ip}", reason
    return None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
