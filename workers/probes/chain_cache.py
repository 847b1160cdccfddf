"""Chain verdicts reused while nothing they depend on can have changed.

Watched origins often present the same chain (one wildcard or SAN certificate on many hosts,
one intermediate for a whole fleet), and judging a chain costs more CPU than the handshake
that brought it: two maintained validators, path building, signature checks. The verdict on a
chain depends on the chain's bytes, the name checked, the trust store, and the time. Time
only matters where it crosses the validity of a certificate involved: a notBefore or notAfter
of a presented certificate, or of a trust anchor that could end a path. So a verdict is reused
for the same key only while the clock stays between the same two such instants (and for at
most MAX_AGE, whatever else might depend on time); the first check after an instant passes
judges the chain again. A verdict that needed the network (an AIA fetch) is never kept.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509

from workers.models import CertificateInfo, ChainAnalysis
from workers.probes.certificates import analyse_chain, describe, load_chain, trust_store
from workers.probes.chain_paths import MAX_CONSIDERED_CERTIFICATES

MAX_ENTRIES = 1024
MAX_AGE = dt.timedelta(hours=1)
# Verdicts that used no network: an AIA fetch ("fetched", "failed", "blocked") is not repeated
# from memory, its answer may change from one check to the next.
_OFFLINE_AIA = frozenset({None, "absent", "skipped"})

Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class JudgedChain:
    """The presented certificates described and the chain judged; `problem` instead when a
    certificate cannot be parsed."""

    chain: tuple[CertificateInfo, ...] = ()
    analysis: ChainAnalysis | None = None
    problem: str | None = None


@dataclass(frozen=True)
class _Entry:
    judged: JudgedChain
    after: dt.datetime  # the verdict holds strictly after this instant ...
    before: dt.datetime  # ... and strictly before this one


def validity_instants(chain: Sequence[x509.Certificate], ca_file: str | None
                      ) -> list[dt.datetime]:
    """Every instant at which a verdict on `chain` may change: the notBefore and notAfter of
    each certificate considered and of each trust anchor named as an issuer or subject of one
    (an anchor can end a path, and validators check its dates too)."""
    anchors = trust_store(ca_file).anchors
    instants: list[dt.datetime] = []
    for cert in chain[:MAX_CONSIDERED_CERTIFICATES]:
        instants += [cert.not_valid_before_utc, cert.not_valid_after_utc]
        for name in (cert.issuer, cert.subject):
            for anchor, _source in anchors.get(name.public_bytes(), []):
                instants += [anchor.not_valid_before_utc, anchor.not_valid_after_utc]
    return instants


class ChainVerdictCache:
    """Chain verdicts of this process, keyed by the chain's bytes, the name, the trust store
    and the AIA options; `clock` is the time verdicts are given for (injectable for tests)."""

    def __init__(self, clock: Clock = _utc_now, *, max_entries: int = MAX_ENTRIES,
                 max_age: dt.timedelta = MAX_AGE) -> None:
        self.clock = clock
        self.max_entries = max_entries
        self.max_age = max_age
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[tuple[object, ...], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def judge(self, chain_der: Sequence[bytes], *, name: str, ca_file: str | None,
              fetch_aia: bool, allow_private: bool) -> JudgedChain:
        """The verdict on the chain as presented, for `name`, now."""
        key = (tuple(chain_der), name, ca_file, fetch_aia, allow_private)
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.after < now < entry.before:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry.judged
            self.misses += 1
        try:
            chain = load_chain(list(chain_der))
        except ValueError as exc:
            return JudgedChain(problem=f"the origin sent a certificate that cannot be parsed: "
                                       f"{exc}")
        judged = JudgedChain(
            chain=tuple(describe(cert) for cert in chain),
            analysis=analyse_chain(chain, trust_store(ca_file), fetch_aia=fetch_aia,
                                   allow_private=allow_private, name=name, ca_file=ca_file,
                                   now=now))
        if judged.analysis is not None and judged.analysis.aia_status not in _OFFLINE_AIA:
            return judged
        instants = validity_instants(chain, ca_file)
        if now in instants:
            return judged  # on neither side of an instant: not kept
        entry = _Entry(judged,
                       after=max([i for i in instants if i < now] + [now - self.max_age]),
                       before=min([i for i in instants if i > now] + [now + self.max_age]))
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return judged


#: The verdicts of this process, shared by every probe it runs.
CHAIN_VERDICTS = ChainVerdictCache()
