"""A UDP name server for dnspython's resolver that asks again without giving up on the first
question: every copy of the query goes out on one socket with one message ID, and an answer to
any copy is taken, however late it comes within the wait.

dnspython's own Do53 name server closes the socket at each try's timeout and the resolver asks
again with a new ID, so an answer that takes longer than one try (2.5 s against a 2 s try) is
thrown away however long the whole lifetime is (re-audit A). Stub resolvers resend because UDP
loses packets; that should not cost the answers that are merely slow.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import dns.exception
import dns.inet
import dns.message
import dns.nameserver
import dns.query

# How long one copy of a query is waited for before another is sent (the old per-try timeout;
# glibc's stub resolver resends on a similar scale).
RESEND_EVERY = 2.0
# Less time than this left: no copy is sent (it could not get an answer back in time).
_TOO_LITTLE = 0.05


class Unanswered(dns.exception.Timeout):
    """No answer to any of ``sends`` copies of one query within ``timeout`` seconds."""

    supp_kwargs = {"timeout", "sends"}  # noqa: RUF012 (dnspython declares it this way)
    fmt = "no answer to {sends} copies of the query within {timeout:.3f} seconds"

    def __init__(self, *, timeout: float, sends: int) -> None:
        super().__init__(timeout=timeout, sends=sends)  # type: ignore[no-untyped-call]


class PatientNameserver(dns.nameserver.Do53Nameserver):
    """Do53 that waits the whole timeout it is given for an answer, resending every
    ``resend_every`` seconds on the same socket with the same ID (see the module's doc)."""

    def __init__(self, address: str, port: int = 53, *, resend_every: float = RESEND_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(address, port)
        self.resend_every = resend_every
        self._clock = clock

    def query(  # noqa: PLR0917 (dnspython's Nameserver.query signature)
              self, request: dns.message.QueryMessage, timeout: float, source: str | None,
              source_port: int, max_size: bool, one_rr_per_rrset: bool = False,
              ignore_trailing: bool = False) -> dns.message.Message:
        if max_size:  # TCP (a truncated answer): one connection, nothing lost to resend
            return super().query(request, timeout, source, source_port, max_size,
                                 one_rr_per_rrset, ignore_trailing)
        start = self._clock()
        sends = 0
        with socket.socket(dns.inet.af_for_address(self.address), socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            if source is not None:
                sock.bind((source, source_port))
            while True:
                left = timeout - (self._clock() - start)
                if left < _TOO_LITTLE:
                    raise Unanswered(timeout=timeout, sends=sends)
                sends += 1
                try:
                    # The same request each time: its ID is not changed, so an answer to an
                    # earlier copy matches (and dnspython skips anything that does not).
                    return dns.query.udp(
                        request, self.address, timeout=min(self.resend_every, left),
                        port=self.port, sock=sock, raise_on_truncation=True,
                        one_rr_per_rrset=one_rr_per_rrset, ignore_trailing=ignore_trailing,
                        ignore_errors=True, ignore_unexpected=True)
                except dns.exception.Timeout:
                    continue


def sends_in(errors: list[Any]) -> int:
    """How many copies of the query went out, from a resolver error's ``errors`` list (each
    ``(server, tcp, port, exception, response)``); 0 when none was a patient wait."""
    return sum(int(error[3].kwargs.get("sends", 0)) for error in errors
               if len(error) > 3 and isinstance(error[3], Unanswered))
