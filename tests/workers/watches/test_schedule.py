"""Schedule math: intervals, slots, digest times across zones and DST, bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from workers.watches.schedule import (
    DigestNow,
    DigestOff,
    DigestSchedule,
    ScheduleError,
    next_digest_at,
    next_slot,
    parse_digest,
    parse_interval,
    slot_offset,
)


def epoch(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


@pytest.mark.parametrize(("text", "seconds"), [("5m", 300), ("15m", 900), ("1h", 3600),
                                               ("1H", 3600), ("15min", 900)])
def test_known_intervals(text, seconds):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["2m", "1d", "", "fast", "-5m"])
def test_unknown_interval_says_what_to_use(text):
    with pytest.raises(ScheduleError, match=r"unknown interval .*5m, 15m or 1h"):
        parse_interval(text)


def test_slots_are_on_a_grid_shifted_per_watch():
    offset = slot_offset("w123", 300)
    assert 0 <= offset < 300
    assert slot_offset("w123", 300) == offset  # stable across processes
    first = next_slot(300, offset, 1_000_000.0)
    assert first > 1_000_000.0
    assert (first - offset) % 300 == 0
    assert next_slot(300, offset, first) == first + 300


def test_offsets_spread_watches_over_the_interval():
    offsets = {slot_offset(f"w{i}", 900) for i in range(200)}
    assert len(offsets) > 150


def test_daily_digest_in_a_zone():
    schedule = parse_digest(["daily", "09:00", "Europe/Berlin"])
    assert schedule == DigestSchedule("daily", 9, 0, "Europe/Berlin")
    # 2026-07-01 06:00 UTC is 08:00 in Berlin (CEST): today at 09:00 CEST = 07:00 UTC.
    assert next_digest_at(schedule, epoch("2026-07-01T06:00:00+00:00")) == epoch(
        "2026-07-01T07:00:00+00:00")
    # Just after: tomorrow.
    assert next_digest_at(schedule, epoch("2026-07-01T07:00:00+00:00")) == epoch(
        "2026-07-02T07:00:00+00:00")


def test_daily_digest_follows_daylight_saving_time():
    schedule = DigestSchedule("daily", 9, 0, "Europe/Berlin")
    # Berlin leaves CEST on 2026-10-25: 09:00 is 07:00 UTC before, 08:00 UTC after.
    assert next_digest_at(schedule, epoch("2026-10-24T12:00:00+00:00")) == epoch(
        "2026-10-25T08:00:00+00:00")


def test_a_time_skipped_by_spring_forward_still_fires_once():
    schedule = DigestSchedule("daily", 2, 30, "Europe/Berlin")  # 02:30 does not exist 2026-03-29
    fired = next_digest_at(schedule, epoch("2026-03-28T12:00:00+00:00"))
    assert epoch("2026-03-29T00:00:00+00:00") < fired < epoch("2026-03-29T02:00:00+00:00")


def test_weekly_digest_on_its_day():
    schedule = parse_digest(["weekly", "mon", "08:30"])
    assert schedule == DigestSchedule("weekly", 8, 30, "UTC", 0)
    # 2026-07-01 is a Wednesday; the next Monday is 2026-07-06.
    assert next_digest_at(schedule, epoch("2026-07-01T00:00:00+00:00")) == epoch(
        "2026-07-06T08:30:00+00:00")


def test_time_zone_names_are_case_insensitive():
    assert parse_digest(["daily", "9:05", "america/new_york"]) == DigestSchedule(
        "daily", 9, 5, "America/New_York")


def test_off_and_now():
    assert parse_digest(["off"]) == DigestOff()
    assert parse_digest(["NOW"]) == DigestNow()


@pytest.mark.parametrize(("words", "message"), [
    (["daily", "25:00"], r"'25:00' is not a time: use HH:MM"),
    (["daily", "9am"], r"'9am' is not a time"),
    (["daily", "09:60"], r"'09:60' is not a time"),
    (["daily", "09:00", "Mars/Olympus"], r"unknown time zone 'Mars/Olympus': use an IANA name"),
    (["daily", "09:00", "../etc/passwd"], r"unknown time zone"),
    (["weekly", "someday", "09:00"], r"'someday' is not a day of the week"),
    (["weekly", "09:00"], r"use `digest weekly DAY HH:MM \[TZ\]`"),
    (["monthly", "09:00"], r"unknown digest schedule 'monthly'"),
    ([], r"say when"),
    (["off", "now"], r"takes nothing after it"),
])
def test_bad_digest_input_is_answered_clearly(words, message):
    with pytest.raises(ScheduleError, match=message):
        parse_digest(words)


def test_schedule_round_trips_through_json():
    schedule = DigestSchedule("weekly", 7, 15, "Asia/Tokyo", 4)
    assert DigestSchedule.from_dict(schedule.to_dict()) == schedule
    assert schedule.describe() == "every Friday at 07:15 Asia/Tokyo"
