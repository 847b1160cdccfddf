"""What the probes of one diagnosis share: how origin502 probes (its options) and the deadline."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workers.models import BudgetCut, ProbeOptions, ProbeRequest
from workers.models.record import Record
from workers.probes.attempts import NO_EVENTS, ProbeEvents

if TYPE_CHECKING:
    from workers.probes.side_checks import SideCheckCache


class DeadlineExceeded(TimeoutError):
    """The job's overall deadline passed; the layer that hit it is reported as a timeout."""


class ResolverUnavailable(RuntimeError):
    """The resolver cannot stand in for public DNS from here: the probe itself cannot run."""


@dataclass(eq=False, repr=False)
class ProbeContext(Record):
    """What every probe of one diagnosis shares: the options and the time left."""

    options: ProbeOptions  # how origin502 probes; what it probes is the Target
    deadline: float  # time.monotonic() value after which nothing new is started
    # The seconds the whole diagnosis was given (origin502's own budget, not a CloudFront
    # setting): reports say it when it ran out before CloudFront's own limit did.
    budget: float = 0.0

    started: float = field(default_factory=time.monotonic)
    # Who hears about each wait on the origin (issue 8: first verdict and progress); nobody by
    # default. See workers/probes/attempts.py.
    events: ProbeEvents = NO_EVENTS
    # Where a watch keeps reassuring side-check answers for its next cycles; None (a person's
    # diagnosis, a CLI run): every side check is made afresh.
    side_checks: SideCheckCache | None = None

    @classmethod
    def for_request(cls, request: ProbeRequest, budget: float | None = None) -> ProbeContext:
        s = request.settings
        if budget is None:
            # What CloudFront itself may spend (attempts x connection timeout, then the response
            # timeout), per scheme, plus room for the follow-up handshakes and the AIA fetch.
            per_scheme = s.connect_timeout * s.connection_attempts + s.read_timeout
            budget = per_scheme * len(s.schemes()) + 15.0
        return cls(options=request.options, deadline=time.monotonic() + budget, budget=budget)

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def timeout(self, wanted: float) -> float:
        """``wanted`` seconds, or what is left of the deadline when that is less."""
        left = self.remaining()
        if left <= 0:
            raise DeadlineExceeded("the diagnosis ran out of time")
        return min(wanted, left)

    def bounded(self, wanted: float) -> tuple[float, bool]:
        """``timeout(wanted)``, and whether the budget, not ``wanted``, set it: a wait that then
        times out was ended by origin502's budget, not by the origin."""
        timeout = self.timeout(wanted)
        return timeout, timeout < wanted

    def cut(self, waited: float, limit: float | None, bytes_seen: int = 0) -> BudgetCut:
        """What to report when the budget ended a wait of ``waited`` seconds on the origin
        before CloudFront's own ``limit`` for it (None: CloudFront sets none)."""
        return BudgetCut(budget_s=round(self.budget, 1), waited_s=round(max(0.0, waited), 1),
                         limit_s=limit, bytes_seen=bytes_seen)
