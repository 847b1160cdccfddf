"""A distribution's diagnosis while it runs: per origin, still probing (and what it waits
for), a provisional verdict (its first connection attempt timed out, the others still run),
or its final verdict.

A distribution with one dropped origin used to show nothing until that origin's last attempt
ended (thirty seconds at CloudFront's defaults). This is what the terminal's live region and
the Slack message show meanwhile; the distribution report replaces it when every probe ended.
Plain, JSON-ready values: the run record keeps it where a single origin keeps its
`Provisional` (workers/jobs/run_record.py), marked by ``kind``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workers.models.distribution import worst_verdict
from workers.models.record import Record
from workers.models.serialize import from_dict, to_dict

PROBING, PROVISIONAL, DONE = "probing", "provisional", "done"
ORIGIN, VIEWER = "origin", "viewer"
LIVE_KIND = "distribution-live"
# The run's "lookup" step once the name turned out to be on no distribution and is probed as an
# origin: its message is then an origin's (layers, waits, first verdict).
# OriginProbe.role's words (workers/distribution.py).
PRIMARY_ROLE, FAILOVER_ROLE = "primary of group ", "failover of group "
AS_ORIGIN_STEP = "on no distribution: probed as an origin"


@dataclass(eq=False, repr=False)
class OriginLive(Record):
    """One probe of the distribution (an origin as a set of behaviours reaches it, or the
    viewer side) as it stands."""

    origin_id: str  # "" for the viewer side
    domain_name: str
    host_header: str | None = None
    role: str = ""
    kind: str = ORIGIN  # ORIGIN | VIEWER
    state: str = PROBING  # PROBING | PROVISIONAL | DONE
    # The provisional or final verdict; None while probing, and for the viewer side (read for
    # CloudFront's answer, shown with the final report).
    verdict: str | None = None
    code: str | None = None  # the leading finding's code, when the verdict is not ok
    summary: str | None = None  # its summary (or why it could not be checked)
    # A ``warn`` one of whose warnings could still mean 502 (see workers.headline): its words
    # must not say it works.
    doubtful: bool = False
    # The verdict in a few words as the report says it ("504 expected", "HTTP viewers: origin
    # answers 503; HTTPS viewers: no error found"); None before a verdict, or when recorded
    # by a version without it.
    words: str | None = None
    note: str | None = None  # what still runs, for a provisional verdict
    waiting: dict[str, str] = field(default_factory=dict)  # layer -> "no answer for 6 of 10 s"


@dataclass(eq=False, repr=False)
class DistributionLive(Record):
    origins: list[OriginLive] = field(default_factory=list)
    kind: str = LIVE_KIND
    # Known before any probe ends: origins viewers reach that no probe will check (an unfilled
    # placeholder...), as the final report's reason words it; None when there are none. It
    # keeps the verdict so far from ok or warn, as it will the final one.
    unchecked: str | None = None

    @property
    def probed(self) -> list[OriginLive]:
        """The origins, without the viewer side."""
        return [o for o in self.origins if o.kind == ORIGIN]

    @property
    def verdict(self) -> str | None:
        """The distribution's verdict so far, or None while it could still go any way: a
        failing origin (provisional or final) makes it fail at once; anything better waits
        for every origin, since an origin still probing may fail."""
        known = [v for o in self.probed if (v := self._counted(o)) is not None]
        if "fail" in known:
            return "fail"
        if self.probed and len(known) == len(self.probed):
            worst = worst_verdict(known)
            return "unknown" if self.unchecked and worst in ("ok", "warn") else worst
        return None

    def _counted(self, entry: OriginLive) -> str | None:
        """An origin's verdict as it counts for the distribution so far: a failover origin's
        failure only while its group's primary fails too (CloudFront uses the failover only
        then; the final report judges each behaviour, workers/origin_groups.py)."""
        if entry.verdict != "fail" or not entry.role.startswith(FAILOVER_ROLE):
            return entry.verdict
        group = entry.role.removeprefix(FAILOVER_ROLE)
        primary_fails = any(o.role == PRIMARY_ROLE + group and o.verdict == "fail"
                            for o in self.probed)
        return "fail" if primary_fails else "warn"

    @property
    def failing(self) -> list[OriginLive]:
        return [o for o in self.probed if self._counted(o) == "fail"]

    @property
    def doubtful(self) -> list[OriginLive]:
        return [o for o in self.probed if o.verdict == "warn" and o.doubtful]

    @property
    def running(self) -> list[OriginLive]:
        """The probes not ended yet (an origin with a provisional verdict still retries)."""
        return [o for o in self.origins if o.state != DONE]

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DistributionLive:
        return from_dict(cls, data)
