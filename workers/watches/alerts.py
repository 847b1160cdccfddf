"""The alert state machine: the previous state of a watch and a new report in, the new state
and the messages to post out. Pure: no Redis, no Slack, no clock of its own.

Alerts go out on change only:

* healthy → failing opens an incident (one channel message, the parent of its thread);
* failing → failing posts in that thread only when the causes (error codes) or the failing
  addresses change, and never in the channel;
* failing → healthy posts the recovery in the thread and updates the parent;
* a probe that could not run (`Report.probe_error`, e.g. no resolver here) changes nothing;
* a leaf certificate within a threshold (14, 7, 3, 1 days by default) warns once per threshold
  and certificate; a renewed certificate starts over. Crossing several thresholds at once
  (a new watch on a certificate that expires in 2 days) warns once, for the lowest.

"Healthy" means CloudFront would not answer 502: verdict ok or warn.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any, Literal

from workers.headline import doubts, fail_sentence, fail_words, lead_finding
from workers.models import FindingCode, Report, Severity
from workers.models.record import Record
from workers.models.serialize import from_dict, to_dict

DEFAULT_EXPIRY_THRESHOLDS: tuple[int, ...] = (14, 7, 3, 1)
EXPIRY_ENV = "ORIGIN502_EXPIRY_WARNING_DAYS"
HISTORY_LIMIT = 50

AlertKind = Literal["open", "update", "recovered", "expiry"]


def expiry_thresholds(env: dict[str, str] | None = None) -> tuple[int, ...]:
    """Thresholds in days, highest first, from ORIGIN502_EXPIRY_WARNING_DAYS ("14,7,3,1").

    A single number N keeps the later thresholds below it: "21" gives 21, 7, 3, 1.
    """
    raw = (os.environ if env is None else env).get(EXPIRY_ENV, "").strip()
    if not raw:
        return DEFAULT_EXPIRY_THRESHOLDS
    try:
        values = sorted({int(v) for v in raw.split(",") if v.strip()}, reverse=True)
    except ValueError:
        raise ValueError(f"{EXPIRY_ENV} must be days separated by commas, like 14,7,3,1, "
                         f"not {raw!r}") from None
    if not values or min(values) < 1:
        raise ValueError(f"{EXPIRY_ENV} must hold whole days of at least 1, not {raw!r}")
    if len(values) == 1:
        values = [values[0], *(t for t in DEFAULT_EXPIRY_THRESHOLDS[1:] if t < values[0])]
    return tuple(values)


@dataclass(eq=False, repr=False)
class Cause(Record):
    code: FindingCode
    summary: str
    address: str | None = None
    remediation: list[str] = field(default_factory=list)


@dataclass(eq=False, repr=False)
class CertSeen(Record):
    """The leaf certificate that expires first among the origin's addresses."""

    not_after: str  # ISO 8601, UTC
    sha256: str
    subject: str


# Findings about the origin as a whole that do not mean "every address fails".
_PARTIAL_CODES = frozenset({FindingCode.SOME_ADDRESSES_FAILING})


@dataclass(eq=False, repr=False)
class Observation(Record):
    """What a report says about a watched origin, reduced to what alerts compare."""

    verdict: str
    causes: list[Cause] = field(default_factory=list)  # error findings, in report order
    primary: Cause | None = None  # the finding the report leads with (error or warning)
    # A ``warn`` one of whose warnings could still mean 502 (workers.headline): its words must
    # not say the origin works.
    doubtful: bool = False
    # A failure's words for what viewers get (workers.headline.fail_sentence: CloudFront's
    # 502, its 504, "502 or 504", hedged when every error is uncertain), decided here where
    # the report's evidence and uncertain flags are at hand: causes keep neither. None when
    # not failing, and in records stored before it existed (the renderer falls back).
    viewers: str | None = None
    # The same in a few words (workers.headline.fail_words: "504 expected"), for the one-line
    # surfaces: the digest, `watches`, the App Home tab. None as for ``viewers``.
    viewer_words: str | None = None
    cert: CertSeen | None = None
    probe_error: str | None = None
    duration_ms: float = 0.0
    probed: list[str] = field(default_factory=list)  # every address that was probed
    # For a distribution: one line per origin with the settings it is probed with, so that
    # an origin added, removed or changed between cycles is said (empty for an origin).
    config: list[str] = field(default_factory=list)

    @property
    def codes(self) -> list[FindingCode]:
        return sorted({c.code for c in self.causes})

    @property
    def addresses(self) -> list[str]:
        """Addresses with an error. The engine reports a cause shared by every address once,
        without an address: that one counts for all of them."""
        failing: set[str] = set()
        for cause in self.causes:
            if cause.address:
                failing.add(cause.address)
            elif cause.code not in _PARTIAL_CODES:
                failing.update(self.probed)
        return sorted(failing)

    @property
    def failing(self) -> bool:
        return self.verdict == "fail"


def observe(report: Report) -> Observation:
    causes = [Cause(f.code, f.summary, f.address, list(f.remediation[:3]))
              for f in report.findings if f.severity == Severity.ERROR]
    primary = None
    lead = lead_finding(report)
    if lead is not None and report.verdict != "ok":
        f = lead
        primary = Cause(f.code, f.summary, f.address, list(f.remediation[:3]))
    cert: CertSeen | None = None
    failing = report.verdict == "fail"
    for address in report.addresses:
        for probe in address.probes:
            if probe.tls is None or not probe.tls.chain:
                continue
            leaf = probe.tls.chain[0]
            if cert is None or _when(leaf.not_after) < _when(cert.not_after):
                cert = CertSeen(leaf.not_after, leaf.sha256, leaf.subject)
    return Observation(verdict=report.verdict, causes=causes, primary=primary, cert=cert,
                       probe_error=report.probe_error, duration_ms=report.duration_ms,
                       probed=[a.address for a in report.addresses],
                       doubtful=report.verdict == "warn" and bool(doubts(report)),
                       viewers=fail_sentence(report) if failing else None,
                       viewer_words=fail_words(report) if failing else None)


def _when(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def days_left(not_after: str, now: float) -> float:
    return (_when(not_after) - now) / 86400


@dataclass(eq=False, repr=False)
class WatchState(Record):
    """Everything remembered about a watch between runs (stored as JSON, see store.py)."""

    verdict: str | None = None  # None until the first successful check
    codes: list[FindingCode] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    primary: Cause | None = None
    cert: CertSeen | None = None
    checked_at: float | None = None
    checks: int = 0  # checks that reached a verdict or a probe error
    since: float | None = None  # when the current verdict began
    incident_id: str | None = None  # the open incident, when failing
    incidents: int = 0
    failing_since: float | None = None
    expiry_warned: list[int] = field(default_factory=list)  # thresholds warned, this cert
    expiry_thread: str | None = None  # thread of this certificate's warnings
    probe_error: str | None = None  # the last check could not run; None when it did
    last_change: str | None = None  # one line: what changed last, for lists and digests
    last_change_at: float | None = None
    config: list[str] = field(default_factory=list)  # a distribution's origins, last seen
    doubtful: bool = False  # see Observation.doubtful
    # What viewers get while it fails, from the last check that reached a verdict (see
    # Observation.viewers and viewer_words); None when healthy, and in states stored before
    # these fields existed (the renderers keep their old words then).
    viewers: str | None = None
    viewer_words: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WatchState:
        return from_dict(cls, data)


@dataclass(eq=False, repr=False)
class Alert(Record):
    """One message to post. `thread_id` names the incident or expiry thread it belongs to."""

    alert_id: str
    kind: AlertKind
    watch_id: str
    channel: str
    display: str
    thread_id: str
    at: float
    verdict: str
    causes: list[Cause] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    failing_since: float | None = None
    days_left: float | None = None
    threshold: int | None = None
    not_after: str | None = None
    cert_subject: str | None = None
    doubtful: bool = False  # see Observation.doubtful
    # See Observation.viewers; for a recovery, what viewers got at the last check before it
    # (WatchState.viewers), so the recovery can say what ended.
    viewers: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        return from_dict(cls, data)


@dataclass(eq=False, repr=False)
class Decision(Record):
    state: WatchState
    alerts: list[Alert]
    # A line for the change history, when the verdict, causes or addresses changed.
    change: str | None = None


def _cause_changes(previous: WatchState, obs: Observation) -> list[str]:
    lines = []
    summaries = {c.code: c.summary for c in obs.causes}
    for code in obs.codes:
        if code not in previous.codes:
            lines.append(f"new cause {code}: {summaries[code]}")
    lines.extend(f"cause gone: {code}" for code in previous.codes if code not in obs.codes)
    lines.extend(f"now failing on {a}" for a in obs.addresses if a not in previous.addresses)
    lines.extend(f"{a} no longer failing" for a in previous.addresses if a not in obs.addresses)
    return lines


def config_changes(previous: list[str], current: list[str]) -> list[str]:
    """Origins added, removed or changed in a watched distribution (lines start "id ")."""
    before = {line.split(" ", 1)[0]: line for line in previous}
    now = {line.split(" ", 1)[0]: line for line in current}
    lines = [f"origin added: {now[k]}" for k in now if k not in before]
    lines += [f"origin removed: {before[k]}" for k in before if k not in now]
    lines += [f"origin changed: {before[k]} → {now[k]}" for k in now
              if k in before and before[k] != now[k]]
    return lines


def evaluate(
    previous: WatchState | None,
    obs: Observation,
    *,
    watch_id: str,
    channel: str,
    display: str,
    now: float,
    thresholds: tuple[int, ...] = DEFAULT_EXPIRY_THRESHOLDS,
) -> Decision:
    """The new state of a watch after `obs`, and the alerts to post (in order)."""
    prev = previous or WatchState()
    state = WatchState(**{**vars(prev)})
    state.checks = prev.checks + 1
    state.checked_at = now
    alerts: list[Alert] = []

    def alert(kind: AlertKind, thread_id: str, **extra: Any) -> Alert:
        # The time makes ids unique across an unwatch and a new watch of the same origin.
        made = Alert(alert_id=f"{watch_id}-{state.checks}-{kind}-{now:.0f}", kind=kind,
                     watch_id=watch_id, channel=channel, display=display,
                     thread_id=thread_id, at=now, verdict=obs.verdict,
                     causes=list(obs.causes), addresses=obs.addresses,
                     doubtful=obs.doubtful, **{"viewers": obs.viewers, **extra})
        alerts.append(made)
        return made

    if obs.probe_error and obs.verdict == "unknown":
        # Our own failure (no resolver here, deadline) and nothing wrong measured: says
        # nothing about the origin. An error measured beside it is still a failure.
        state.probe_error = obs.probe_error
        return Decision(state, alerts)
    state.probe_error = None

    change: str | None = None
    config = config_changes(prev.config, obs.config) if prev.verdict is not None else []
    state.config = obs.config
    was_failing = prev.incident_id is not None
    if obs.failing and not was_failing:
        state.incidents = prev.incidents + 1
        state.incident_id = f"{watch_id}-i{state.incidents}-{now:.0f}"
        state.failing_since = now
        alert("open", state.incident_id, failing_since=now, changes=config)
        change = f"started failing: {', '.join(obs.codes) or 'error'}"
    elif obs.failing and was_failing and prev.incident_id is not None:
        lines = config + _cause_changes(prev, obs)
        if lines:
            alert("update", prev.incident_id, changes=lines, failing_since=prev.failing_since)
            change = "; ".join(lines)
    elif not obs.failing and was_failing and prev.incident_id is not None:
        alert("recovered", prev.incident_id, failing_since=prev.failing_since,
              changes=[f"cause gone: {code}" for code in prev.codes], viewers=prev.viewers)
        state.incident_id = None
        state.failing_since = None
        change = "recovered"
    if config and change is None:
        change = "; ".join(config)
    if prev.verdict is None and change is None:
        change = f"first check: {obs.verdict}"
    elif prev.verdict is not None and prev.verdict != obs.verdict and change is None:
        change = f"verdict {prev.verdict} → {obs.verdict}"

    if obs.cert is not None:
        if prev.cert is None or prev.cert.sha256 != obs.cert.sha256:
            state.expiry_warned = []
            state.expiry_thread = None
            if prev.cert is not None and change is None:
                change = f"certificate replaced (now until {obs.cert.not_after[:10]})"
        left = days_left(obs.cert.not_after, now)
        crossed = [t for t in thresholds if left <= t]
        if crossed and left > 0:
            lowest = min(crossed)
            if not state.expiry_warned or lowest < min(state.expiry_warned):
                state.expiry_thread = (state.expiry_thread
                                       or f"{watch_id}-x{obs.cert.sha256[:12]}-{now:.0f}")
                alert("expiry", state.expiry_thread, days_left=left, threshold=lowest,
                      not_after=obs.cert.not_after, cert_subject=obs.cert.subject)
                state.expiry_warned = sorted(set(state.expiry_warned) | set(crossed),
                                             reverse=True)
    state.cert = obs.cert

    if prev.verdict != obs.verdict:
        state.since = now
    state.verdict = obs.verdict
    state.codes = obs.codes
    state.addresses = obs.addresses
    state.primary = obs.primary or (obs.causes[0] if obs.causes else None)
    state.doubtful = obs.doubtful
    state.viewers = obs.viewers
    state.viewer_words = obs.viewer_words
    if change is not None:
        state.last_change = change
        state.last_change_at = now
    return Decision(state, alerts, change)
