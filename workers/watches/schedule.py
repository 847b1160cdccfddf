"""Schedule math for watches and digests: pure functions of an epoch time, no I/O.

Watches run on a fixed grid per interval, shifted by an offset derived from the watch id, so
1,000 watches of the same interval do not all fire in the same second, and every process
(scheduler replicas, a restarted scheduler) computes the same slots for the same watch.
Digests run at a wall-clock time in an IANA time zone (daily, or weekly on one day).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from workers.models.record import FrozenRecord

INTERVALS: dict[str, int] = {"5m": 300, "15m": 900, "1h": 3600}
DEFAULT_INTERVAL = "15m"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


class ScheduleError(ValueError):
    """Input that is not a schedule, with one line saying what to type instead."""


def parse_interval(text: str) -> int:
    """Seconds for `5m`, `15m` or `1h` (case-insensitive); anything else is a ScheduleError."""
    key = text.strip().lower()
    aliases = {"5min": "5m", "15min": "15m", "60m": "1h", "60min": "1h"}
    key = aliases.get(key, key)
    if key not in INTERVALS:
        raise ScheduleError(
            f"unknown interval '{text}': use --every 5m, 15m or 1h (default {DEFAULT_INTERVAL})"
        )
    return INTERVALS[key]


def interval_label(seconds: int) -> str:
    for label, value in INTERVALS.items():
        if value == seconds:
            return label
    return f"{seconds}s"


def slot_offset(watch_id: str, interval: int) -> int:
    """Where in each interval this watch runs: stable for the watch, spread across watches."""
    digest = hashlib.sha256(watch_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % interval


def next_slot(interval: int, offset: int, after: float) -> float:
    """The first slot `k * interval + offset` strictly later than `after`."""
    k = int((after - offset) // interval) + 1
    return float(k * interval + offset)


# -- digests ---------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class DigestSchedule(FrozenRecord):
    """When a channel's digest is posted: `kind` daily or weekly (`weekday` 0 = Monday)."""

    kind: Literal["daily", "weekly"]
    hour: int
    minute: int
    tz: str = "UTC"
    weekday: int | None = None  # only for weekly

    def describe(self) -> str:
        when = f"{self.hour:02d}:{self.minute:02d} {self.tz}"
        if self.kind == "weekly" and self.weekday is not None:
            return f"every {WEEKDAY_NAMES[self.weekday]} at {when}"
        return f"every day at {when}"

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "hour": self.hour, "minute": self.minute, "tz": self.tz,
                "weekday": self.weekday}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> DigestSchedule:
        weekday = data.get("weekday")
        kind: Literal["daily", "weekly"] = "weekly" if data.get("kind") == "weekly" else "daily"
        return cls(kind=kind, hour=int(str(data["hour"])), minute=int(str(data["minute"])),
                   tz=str(data.get("tz") or "UTC"),
                   weekday=None if weekday is None else int(str(weekday)))


@dataclass(frozen=True, eq=False, repr=False)
class DigestOff(FrozenRecord):
    pass


@dataclass(frozen=True, eq=False, repr=False)
class DigestNow(FrozenRecord):
    pass


DigestCommand = DigestSchedule | DigestOff | DigestNow
DIGEST_USAGE = "digest daily HH:MM [TZ] · digest weekly DAY HH:MM [TZ] · digest off · digest now"


def parse_time(text: str) -> tuple[int, int]:
    match = _TIME.match(text.strip())
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ScheduleError(f"'{text}' is not a time: use HH:MM on a 24-hour clock, e.g. 09:00")
    return int(match.group(1)), int(match.group(2))


def parse_weekday(text: str) -> int:
    key = text.strip().lower()[:3]
    if len(text.strip()) < 3 or key not in WEEKDAYS:
        raise ScheduleError(f"'{text}' is not a day of the week: use Mon, Tue, … Sun")
    return WEEKDAYS.index(key)


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`; a clear ScheduleError for anything else."""
    cleaned = name.strip()
    if not cleaned or ".." in cleaned or cleaned.startswith("/"):
        raise ScheduleError(f"unknown time zone '{name}': use an IANA name like Europe/Berlin")
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    # Accept any capitalisation people type ("europe/berlin", "utc").
    for candidate in available_timezones():
        if candidate.lower() == cleaned.lower():
            return ZoneInfo(candidate)
    raise ScheduleError(
        f"unknown time zone '{name}': use an IANA name like Europe/Berlin, America/New_York or UTC"
    )


def parse_digest(args: list[str]) -> DigestCommand:
    """Read the words after `digest`: `daily HH:MM [TZ]`, `weekly DAY HH:MM [TZ]`, off, now."""
    if not args:
        raise ScheduleError(f"say when: {DIGEST_USAGE}")
    kind = args[0].lower()
    rest = args[1:]
    if kind in ("off", "now"):
        if rest:
            raise ScheduleError(f"`digest {kind}` takes nothing after it")
        return DigestOff() if kind == "off" else DigestNow()
    if kind == "daily":
        if not 1 <= len(rest) <= 2:
            raise ScheduleError(
                "use `digest daily HH:MM [TZ]`, e.g. digest daily 09:00 Europe/Berlin")
        hour, minute = parse_time(rest[0])
        tz = zone(rest[1]).key if len(rest) == 2 else "UTC"
        return DigestSchedule("daily", hour, minute, tz)
    if kind == "weekly":
        if not 2 <= len(rest) <= 3:
            raise ScheduleError(
                "use `digest weekly DAY HH:MM [TZ]`, e.g. digest weekly Mon 09:00 Europe/Berlin")
        weekday = parse_weekday(rest[0])
        hour, minute = parse_time(rest[1])
        tz = zone(rest[2]).key if len(rest) == 3 else "UTC"
        return DigestSchedule("weekly", hour, minute, tz, weekday)
    raise ScheduleError(f"unknown digest schedule '{args[0]}': {DIGEST_USAGE}")


def next_digest_at(schedule: DigestSchedule, after: float) -> float:
    """The first posting time strictly later than `after` (epoch seconds).

    Wall-clock times are resolved in the schedule's zone: a time that does not exist on a
    spring-forward day runs at the equivalent instant after the jump, an ambiguous one on a
    fall-back day runs once, at its first occurrence.
    """
    tz = zone(schedule.tz)
    local = dt.datetime.fromtimestamp(after, tz)
    day = local.date()
    for _ in range(9):
        if schedule.kind == "daily" or day.weekday() == schedule.weekday:
            wall = dt.datetime(day.year, day.month, day.day, schedule.hour, schedule.minute,
                               tzinfo=tz, fold=0)
            # Normalise through UTC so nonexistent wall times land after the gap.
            instant = wall.astimezone(dt.UTC).timestamp()
            if instant > after:
                return instant
        day += dt.timedelta(days=1)
    raise AssertionError("a daily or weekly schedule always fires within 8 days")
