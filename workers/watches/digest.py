"""Digest composition: every watched origin of a channel with its status, primary cause, days
to certificate expiry and what changed since the last digest, failing ones first. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workers.models.record import Record
from workers.watches.alerts import WatchState, days_left
from workers.watches.model import WatchSpec

# Failing first, then what we could not check, then warnings, then not yet checked, then ok.
STATUS_ORDER = {"failing": 0, "unknown": 1, "warning": 2, "pending": 3, "ok": 4}


def status_of(state: WatchState | None) -> str:
    if state is None or state.verdict is None:
        return "unknown" if state is not None and state.probe_error else "pending"
    if state.verdict == "fail":
        return "failing"
    if state.probe_error:
        return "unknown"
    return "warning" if state.verdict == "warn" else "ok"


@dataclass(eq=False, repr=False)
class DigestEntry(Record):
    watch_id: str
    display: str
    every: str
    status: str  # failing | unknown | warning | pending | ok
    cause_code: str | None = None
    cause_summary: str | None = None
    days_to_expiry: float | None = None
    cert_not_after: str | None = None
    change: str | None = None  # since the last digest; None when nothing changed
    failing_since: float | None = None
    probe_error: str | None = None
    doubtful: bool = False  # a warning that could still mean 502 (WatchState.doubtful)
    viewer_words: str | None = None  # what viewers get while it fails (WatchState.viewer_words)


@dataclass(eq=False, repr=False)
class Digest(Record):
    channel: str
    at: float
    entries: list[DigestEntry] = field(default_factory=list)
    previous_at: float | None = None  # when the last digest was posted, None for the first

    def count(self, status: str) -> int:
        return sum(1 for e in self.entries if e.status == status)


def snapshot_of(state: WatchState | None) -> dict[str, Any]:
    """What the next digest compares against, stored per watch when a digest is posted."""
    if state is None:
        return {"verdict": None, "codes": [], "cert": None, "incidents": 0}
    return {"verdict": state.verdict, "codes": list(state.codes),
            "cert": state.cert.sha256 if state.cert else None, "incidents": state.incidents}


def change_since(before: dict[str, Any] | None, state: WatchState | None,
                 *, first_digest: bool) -> str | None:
    if before is None:
        return None if first_digest else "newly watched"
    now = snapshot_of(state)
    parts: list[str] = []
    if before.get("verdict") != now["verdict"] and now["verdict"] is not None:
        was = before.get("verdict") or "not checked"
        parts.append(f"was {was}, now {now['verdict']}")
    elif now["incidents"] > int(before.get("incidents") or 0) and now["verdict"] != "fail":
        count = now["incidents"] - int(before.get("incidents") or 0)
        parts.append(f"failed and recovered ({count} incident{'s' if count != 1 else ''})")
    new = [c for c in now["codes"] if c not in before.get("codes", [])]
    gone = [c for c in before.get("codes", []) if c not in now["codes"]]
    if new:
        parts.append("new " + ", ".join(new))
    if gone:
        parts.append("gone " + ", ".join(gone))
    if before.get("cert") and now["cert"] and before["cert"] != now["cert"]:
        parts.append("certificate replaced")
    return "; ".join(parts) or None


def compose_digest(
    channel: str,
    watches: list[tuple[WatchSpec, WatchState | None]],
    snapshot: dict[str, dict[str, Any]],
    *,
    now: float,
    previous_at: float | None,
) -> Digest:
    """The digest of `channel`: one entry per watch, failing first, then by days to expiry."""
    entries = []
    for spec, state in watches:
        cert = state.cert if state is not None else None
        primary = state.primary if state is not None else None
        entries.append(DigestEntry(
            watch_id=spec.watch_id,
            display=spec.name,
            every=spec.every,
            status=status_of(state),
            cause_code=primary.code if primary else None,
            cause_summary=primary.summary if primary else None,
            days_to_expiry=days_left(cert.not_after, now) if cert else None,
            cert_not_after=cert.not_after if cert else None,
            change=change_since(snapshot.get(spec.watch_id), state,
                                first_digest=previous_at is None),
            failing_since=state.failing_since if state is not None else None,
            probe_error=state.probe_error if state is not None else None,
            doubtful=state is not None and state.doubtful,
            viewer_words=state.viewer_words if state is not None else None,
        ))
    entries.sort(key=lambda e: (
        STATUS_ORDER[e.status],
        e.days_to_expiry if e.days_to_expiry is not None else float("inf"),
        e.display,
    ))
    return Digest(channel=channel, at=now, entries=entries, previous_at=previous_at)
