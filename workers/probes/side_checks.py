"""When a watch may reuse an earlier answer of a side handshake of a completed TLS connection
(the TLS 1.3 check, the other key type's certificate; they run on the side threads of
``workers.probes.state.run_beside``).

Only the watches use this module (``SideCheckCache``): a side check asks about the
origin's configuration, not about time: does it complete CloudFront's presumed TLS 1.3 offer,
does it present another certificate to CloudFront's suites of the other key type. Its answer is
reused only

* for the same connection (address, port, server name, offered protocols) whose faithful
  handshake presented the same chain, byte for byte, and negotiated the same protocol and
  suite (a new certificate, a reload that changes what is negotiated: checked again);
* when the answer reassures (TLS 1.3 completed; no other certificate, or the same one): a
  problem is looked at again every time, so that its fix shows at once, and nothing judged
  from a certificate is reused (a second certificate's chain and dates are judged each time);
* when it was not a failure to measure (timeout, reset, out of time: measured again);
* for at most ``MAX_AGE`` after it was measured, never past it.

What is not seen while an answer is reused: a change of the TLS 1.3 suites, curves or second
certificate alone, with the primary chain and parameters unchanged; it is seen at the first
check after ``MAX_AGE``. Every reused attempt says so in the report (``reused_from``: when it
was measured).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from workers.models import Tls13Check, TlsAttempt
from workers.models.record import FrozenRecord

MAX_AGE = dt.timedelta(minutes=15)
MAX_ENTRIES = 8192

Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, eq=False, repr=False)
class Primary(FrozenRecord):
    """What identifies the faithful handshake a side check is about."""

    address: str
    port: int
    sni: str | None
    offered: tuple[str, ...]
    chain_digest: str  # SHA-256 over the presented chain, certificate by certificate
    protocol: str | None
    cipher: str | None

    @classmethod
    def of(cls, *, address: str, port: int, sni: str | None, offered: Sequence[str],
           chain_der: Sequence[bytes], protocol: str | None, cipher: str | None) -> Primary:
        digest = hashlib.sha256()
        for der in chain_der:
            digest.update(len(der).to_bytes(4, "big"))
            digest.update(der)
        return cls(address, port, sni, tuple(offered), digest.hexdigest(), protocol, cipher)


@dataclass(frozen=True, eq=False, repr=False)
class OtherKeyAnswer(FrozenRecord):
    """The other key type's handshake when it showed no other certificate: it failed with an
    answer from the origin (no certificate for those suites), or presented the same one."""

    attempt: TlsAttempt


def _stamp(attempt: TlsAttempt, measured: dt.datetime) -> TlsAttempt:
    """A copy of a kept attempt for a report, marked with when it was measured (its lists are
    copied too: the report is the caller's to change)."""
    return replace(attempt, protocols=list(attempt.protocols),
                   reused_from=measured.isoformat().replace("+00:00", "Z"))


class SideCheckCache:
    """Reassuring side-check answers of this process, by kind and primary handshake, for at
    most ``max_age`` (``clock`` injectable for tests)."""

    def __init__(self, clock: Clock = _utc_now, *, max_age: dt.timedelta = MAX_AGE,
                 max_entries: int = MAX_ENTRIES) -> None:
        self.clock = clock
        self.max_age = max_age
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple[str, Primary], tuple[dt.datetime, object]] = (
            OrderedDict())
        self._lock = threading.Lock()

    def _get(self, kind: str, primary: Primary) -> tuple[dt.datetime, object] | None:
        now = self.clock()
        with self._lock:
            entry = self._entries.get((kind, primary))
            if entry is None or not (entry[0] <= now < entry[0] + self.max_age):
                self._entries.pop((kind, primary), None)
                self.misses += 1
                return None
            self.hits += 1
            return entry

    def _put(self, kind: str, primary: Primary, value: object) -> None:
        measured = self.clock()  # as the check ended
        with self._lock:
            self._entries[(kind, primary)] = (measured, value)
            self._entries.move_to_end((kind, primary))
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def tls13(self, primary: Primary) -> Tls13Check | None:
        """A copy of the TLS 1.3 check kept for ``primary``, its attempts marked reused."""
        entry = self._get("tls13", primary)
        if entry is None:
            return None
        measured, value = entry
        assert isinstance(value, Tls13Check)
        # Copied as deep as it is mutable (deepcopy costs a watch more than the rest of it).
        return replace(value, offered=list(value.offered),
                       attempts=[_stamp(a, measured) for a in value.attempts])

    def keep_tls13(self, primary: Primary, check: Tls13Check) -> None:
        """Keep ``check``, just made, when it reassures: CloudFront's presumed offer
        completed."""
        if check.ok and check.offered:
            self._put("tls13", primary, copy.deepcopy(check))

    def other_key(self, primary: Primary) -> TlsAttempt | None:
        """The other key type's attempt kept for ``primary``, marked reused."""
        entry = self._get("other_key", primary)
        if entry is None:
            return None
        measured, value = entry
        assert isinstance(value, OtherKeyAnswer)
        return _stamp(value.attempt, measured)

    def keep_other_key(self, primary: Primary, attempt: TlsAttempt, *, kind: str | None,
                       same_certificate: bool) -> None:
        """Keep ``attempt``, just made, when it showed no other certificate: the origin refused
        those suites in the handshake (``kind`` "ssl": an alert or a TLS error, not a timeout, a
        reset or a closed connection), or presented the same certificate."""
        if (attempt.ok and same_certificate) or (not attempt.ok and kind == "ssl"):
            self._put("other_key", primary, OtherKeyAnswer(copy.deepcopy(attempt)))


#: The answers the watches of this process reuse (a diagnosis asked by a person uses none).
WATCH_SIDE_CHECKS = SideCheckCache()
