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
from dataclasses import dataclass, field, replace

from cryptography import x509

from workers.models import CertificateInfo, ChainAnalysis, ValidatorVerdict
from workers.models.record import FrozenRecord, Record
from workers.probes.certificates import analyse_chain, describe, load_chain, trust_store
from workers.probes.chain_paths import MAX_CONSIDERED_CERTIFICATES
from workers.probes.chain_validators import openssl_verdict, webpki_for_names

MAX_ENTRIES = 1024
MAX_AGE = dt.timedelta(hours=1)
MAX_NAMES_PER_CHAIN = 4096
# Verdicts that used no network: an AIA fetch ("fetched", "failed", "blocked") is not repeated
# from memory, its answer may change from one check to the next.
_OFFLINE_AIA = frozenset({None, "absent", "skipped"})

Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, eq=False, repr=False)
class JudgedChain(FrozenRecord):
    """The presented certificates described and the chain judged; `problem` instead when a
    certificate cannot be parsed."""

    chain: tuple[CertificateInfo, ...] = ()
    analysis: ChainAnalysis | None = None
    problem: str | None = None


@dataclass(eq=False, repr=False)
class _Entry(Record):
    """One chain's verdict apart from the name, and the verdicts for each name asked."""

    chain: list[x509.Certificate]
    base: JudgedChain  # analysed without the name-bound validator
    openssl: ValidatorVerdict | None
    after: dt.datetime  # the verdicts hold strictly after this instant ...
    before: dt.datetime  # ... and strictly before this one
    by_name: dict[tuple[str, ...], JudgedChain] = field(default_factory=dict)


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
              fetch_aia: bool, allow_private: bool, also: Sequence[str] = ()) -> JudgedChain:
        """The verdict on the chain as presented, for `name`, now; `also`: further names the
        certificate may carry instead (see ``webpki_for_names``)."""
        # Many watched names share one certificate (a wildcard, a long SAN list): the chain
        # is judged once, and only the validator that checks the name runs per name.
        key = (tuple(chain_der), ca_file, fetch_aia, allow_private)
        names = (name, *(n for n in also if n != name))
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.after < now < entry.before:
                self._entries.move_to_end(key)
                judged = entry.by_name.get(names)
                if judged is not None:
                    self.hits += 1
                    return judged
            else:
                entry = None
            self.misses += 1
        if entry is None:
            try:
                chain = load_chain(list(chain_der))
            except ValueError as exc:
                return JudgedChain(problem="the origin sent a certificate that cannot be "
                                           f"parsed: {exc}")
            made = self._judge_chain(chain, ca_file=ca_file, fetch_aia=fetch_aia,
                                     allow_private=allow_private, now=now)
            if isinstance(made, JudgedChain):
                return self._for_name(made, chain, None, names=names, ca_file=ca_file,
                                      now=now)  # not kept
            entry = made
        judged = self._for_name(entry.base, entry.chain, entry.openssl, names=names,
                                ca_file=ca_file, now=now)
        with self._lock:
            if len(entry.by_name) < MAX_NAMES_PER_CHAIN:
                entry.by_name[names] = judged
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return judged

    def _judge_chain(self, chain: list[x509.Certificate], *, ca_file: str | None,
                     fetch_aia: bool, allow_private: bool, now: dt.datetime
                     ) -> _Entry | JudgedChain:
        """The chain judged apart from the name: an entry to keep, or, when it may not be
        kept (it used the network, or now is one of its instants), the verdict alone."""
        base = JudgedChain(
            chain=tuple(describe(cert) for cert in chain),
            analysis=analyse_chain(chain, trust_store(ca_file), fetch_aia=fetch_aia,
                                   allow_private=allow_private, ca_file=ca_file, now=now))
        assert base.analysis is not None
        instants = validity_instants(chain, ca_file)
        if base.analysis.aia_status not in _OFFLINE_AIA or now in instants:
            return base
        leaf, others = _leaf_and_others(chain, base.analysis.leaf_index)
        return _Entry(chain=chain, base=base,
                      openssl=openssl_verdict(leaf, others, ca_file=ca_file, now=now),
                      after=max([i for i in instants if i < now] + [now - self.max_age]),
                      before=min([i for i in instants if i > now] + [now + self.max_age]))

    @staticmethod
    def _for_name(base: JudgedChain, chain: list[x509.Certificate],
                  openssl: ValidatorVerdict | None, *, names: tuple[str, ...],
                  ca_file: str | None, now: dt.datetime) -> JudgedChain:
        """`base` with both validators' verdicts (the OpenSSL one when not given yet)."""
        assert base.analysis is not None
        leaf, others = _leaf_and_others(chain, base.analysis.leaf_index)
        if openssl is None:
            openssl = openssl_verdict(leaf, others, ca_file=ca_file, now=now)
        webpki = webpki_for_names(leaf, others, names=names, ca_file=ca_file, now=now)
        # Shared by every report that asks for the same chain and name: never changed after.
        return replace(base, analysis=replace(base.analysis, validators=[openssl, webpki]))


def _leaf_and_others(chain: list[x509.Certificate], leaf_index: int | None
                     ) -> tuple[x509.Certificate, list[x509.Certificate]]:
    """As analyse_chain hands them to the validators: the server certificate and the other
    certificates considered."""
    considered = chain[:MAX_CONSIDERED_CERTIFICATES]
    leaf = leaf_index or 0
    return considered[leaf], [c for i, c in enumerate(considered) if i != leaf]


#: The verdicts of this process, shared by every probe it runs.
CHAIN_VERDICTS = ChainVerdictCache()
