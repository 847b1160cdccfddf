"""A finding before it is worded: which cause, where, and the measured facts the catalog's
templates are filled with. Rules make drafts; ``render`` words them into ``Finding``s.

Keeping the facts apart from the words lets findings be merged by what they say, not by
editing sentences: two drafts of the same cause with the same facts on different addresses
are one cause on several addresses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workers.diagnosis.catalog import CATALOG, Shape
from workers.models import FindingCode, Severity
from workers.models.record import Record

# A measured value: what a template field is filled with and what evidence holds.
Fact = str | int | float | list[str] | None
Facts = dict[str, Fact]


@dataclass(eq=False, repr=False)
class Note(Record):
    """A sentence added after a draft's summary (a catalog template and its facts)."""

    template: str
    facts: Facts = field(default_factory=dict)


@dataclass(eq=False, repr=False)
class Draft(Record):
    """A finding a rule has made, before it is worded."""

    code: FindingCode
    address: str | None  # the address it concerns; None: the origin as a whole
    evidence: Facts  # the measured values the finding shows (and its templates use)
    words: Facts  # further facts only the wording uses (not shown as evidence)
    severity: Severity
    uncertain: bool
    shape: Shape | None = None  # which of the entry's summaries; None: its usual one
    notes: list[Note] = field(default_factory=list)
    lead_link: str | None = None  # a link to put before the entry's own
    # Every address of the same cause, once drafts were merged (empty: never merged).
    addresses: list[str] = field(default_factory=list)

    def facts(self) -> Facts:
        return {**self.evidence, **self.words}

    def worded(self, **words: Fact) -> Draft:
        """This draft, with facts its summary needs beyond the evidence."""
        self.words.update(words)
        return self


def draft(code: FindingCode, at: str | None = None, shape: Shape | None = None, /,
          **evidence: Fact) -> Draft:
    """A draft of the catalog's severity with ``evidence``, in the order given; ``at`` is the
    address it concerns (None: the origin as a whole)."""
    entry = CATALOG[code]
    return Draft(code=code, address=at, evidence=dict(evidence), words={},
                 severity=entry.severity, uncertain=entry.uncertain, shape=shape)


_THE_ADDRESS = object()  # stands for a draft's own address when drafts are compared


def _cause(d: Draft) -> tuple[object, ...]:
    """What makes two drafts one cause: the code, the summary, the notes and the facts, with
    the draft's own address left out."""
    facts = {k: (_THE_ADDRESS if d.address is not None and v == d.address else v)
             for k, v in d.facts().items()}
    return d.code, d.shape, facts, [(n.template, n.facts) for n in d.notes]


def merge(drafts: list[Draft]) -> list[Draft]:
    """One draft per cause: a cause found on several addresses becomes one draft listing
    them, in the order they were found; the first draft's evidence stands for all of them."""
    kept: list[Draft] = []
    for d in drafts:
        first = next((k for k in kept if _cause(k) == _cause(d)), None)
        if first is None:
            kept.append(d)
            continue
        if first.address is None:
            continue  # the same cause about the origin as a whole, said twice: once is enough
        if not first.addresses:
            first.addresses = [first.address]
        if d.address is not None and d.address not in first.addresses:
            first.addresses.append(d.address)
    return kept
