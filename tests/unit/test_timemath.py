"""Schedule time math (DESIGN S1-S3): validation, hand-computed DST cases and properties.

Expected instants are literal UTC times worked out by hand from each zone's published offsets, never
computed with the code under test; the properties check invariants against a wall-clock oracle.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.timemath import (
    WEEKDAYS,
    Schedule,
    ScheduleError,
    clamp,
    is_open,
    local_date,
    next_window,
    place,
    window_on,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def every_day(start: str, end: str, timezone: str) -> Schedule:
    return Schedule.parse(WEEKDAYS, start, end, timezone)


WORKWEEK_NY = Schedule.parse(["mon", "tue", "wed", "thu", "fri"], "09:00", "17:00", "America/New_York")

# --- parsing and validation ------------------------------------------------------------------------------


def test_parse_builds_the_schedule() -> None:
    schedule = Schedule.parse(["Mon", "wed", " FRI "], "08:30", "18:05", "Europe/Paris", randomize=True)
    assert schedule == Schedule(
        days=frozenset({0, 2, 4}),
        window_start=time(8, 30),
        window_end=time(18, 5),
        timezone="Europe/Paris",
        randomize_within_window=True,
    )


@pytest.mark.parametrize(
    ("days", "start", "end", "timezone", "field"),
    [
        ([], "09:00", "17:00", "UTC", "days"),
        (["mon", "funday"], "09:00", "17:00", "UTC", "days"),
        (["mon", "tue", "MON"], "09:00", "17:00", "UTC", "days"),
        ("mon", "09:00", "17:00", "UTC", "days"),
        (["mon"], "9:00", "17:00", "UTC", "window.start"),
        (["mon"], "24:00", "23:00", "UTC", "window.start"),
        (["mon"], "noon", "17:00", "UTC", "window.start"),
        (["mon"], "", "17:00", "UTC", "window.start"),
        (["mon"], "09:00", "17:60", "UTC", "window.end"),
        (["mon"], "09:00", "17:00:00", "UTC", "window.end"),
        (["mon"], "09:00", "09:00", "UTC", "window.end"),
        (["mon"], "22:00", "06:00", "UTC", "window.end"),
        (["mon"], "09:00", "17:00", "Mars/Olympus_Mons", "timezone"),
        (["mon"], "09:00", "17:00", "", "timezone"),
        (["mon"], "09:00", "17:00", "../../etc/passwd", "timezone"),
        (["mon"], "09:00", "17:00", "america/new_york_", "timezone"),
    ],
)
def test_parse_errors_name_the_field(days: list[str], start: str, end: str, timezone: str, field: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        Schedule.parse(days, start, end, timezone)
    assert caught.value.field == field
    assert caught.value.message
    assert str(caught.value).startswith(f"{field}: ")


def test_window_across_midnight_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(ScheduleError, match="across midnight are not supported") as caught:
        Schedule.parse(["mon"], "22:00", "06:00", "UTC")
    assert caught.value.field == "window.end"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"days": frozenset()}, "days"),
        ({"days": frozenset({7})}, "days"),
        ({"window_start": time(9, tzinfo=UTC)}, "window.start"),
        ({"window_end": time(8)}, "window.end"),
        ({"timezone": "Nowhere/Special"}, "timezone"),
    ],
)
def test_direct_construction_is_validated_too(kwargs: dict[str, object], field: str) -> None:
    fields: dict[str, object] = {
        "days": frozenset({0}),
        "window_start": time(9),
        "window_end": time(17),
        "timezone": "UTC",
    }
    with pytest.raises(ScheduleError) as caught:
        Schedule(**(fields | kwargs))  # type: ignore[arg-type]
    assert caught.value.field == field


@pytest.mark.parametrize(
    "call",
    [
        lambda: clamp(WORKWEEK_NY, datetime(2024, 1, 10, 12)),
        lambda: is_open(WORKWEEK_NY, datetime(2024, 1, 10, 12)),
        lambda: next_window(WORKWEEK_NY, datetime(2024, 1, 10, 12)),
        lambda: place(WORKWEEK_NY, datetime(2024, 1, 10, 12), "p:0"),
        lambda: local_date("UTC", datetime(2024, 1, 10, 12)),
    ],
)
def test_naive_datetimes_are_rejected(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


# --- hand-computed ordinary cases (New York is UTC-5 in January) ---------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2024, 1, 10, 15), utc(2024, 1, 10, 15)),  # Wed 10:00 local: inside
        (utc(2024, 1, 10, 14), utc(2024, 1, 10, 14)),  # exactly the start: inside
        (utc(2024, 1, 10, 12), utc(2024, 1, 10, 14)),  # Wed 07:00 local: before the window
        (utc(2024, 1, 10, 22), utc(2024, 1, 11, 14)),  # exactly the end is closed: next day
        (utc(2024, 1, 10, 23, 30), utc(2024, 1, 11, 14)),  # Wed 18:30 local: after -> Thu
        (utc(2024, 1, 12, 21, 59), utc(2024, 1, 12, 21, 59)),  # Fri 16:59 local: still inside
        (utc(2024, 1, 12, 22, 30), utc(2024, 1, 15, 14)),  # Fri evening -> skip the weekend
        (utc(2024, 1, 13, 2), utc(2024, 1, 15, 14)),  # Sat 02:00 UTC is Fri 21:00 local: closed
        (utc(2024, 1, 13, 15), utc(2024, 1, 15, 14)),  # Saturday -> Monday
        (utc(2024, 1, 15, 3), utc(2024, 1, 15, 14)),  # Mon 03:00 UTC is Sun 22:00 local -> Mon 09:00
    ],
)
def test_clamp_hand_computed(at: datetime, expected: datetime) -> None:
    assert clamp(WORKWEEK_NY, at) == expected
    assert is_open(WORKWEEK_NY, at) == (at == expected)


def test_local_weekday_not_utc_weekday_decides() -> None:
    tokyo = Schedule.parse(["mon"], "08:00", "09:00", "Asia/Tokyo")  # UTC+9
    assert is_open(tokyo, utc(2024, 1, 14, 23, 30))  # Sun in UTC, Mon 08:30 in Tokyo
    assert not is_open(tokyo, utc(2024, 1, 15, 0, 30))  # Mon in UTC, but 09:30 in Tokyo
    assert clamp(tokyo, utc(2024, 1, 15, 0, 30)) == utc(2024, 1, 21, 23)


def test_next_window_returns_the_containing_or_following_window() -> None:
    assert next_window(WORKWEEK_NY, utc(2024, 1, 10, 15)) == (utc(2024, 1, 10, 14), utc(2024, 1, 10, 22))
    assert next_window(WORKWEEK_NY, utc(2024, 1, 12, 22, 30)) == (utc(2024, 1, 15, 14), utc(2024, 1, 15, 22))
    start, end = next_window(WORKWEEK_NY, utc(2024, 1, 10, 15))
    assert start.utcoffset() == timedelta(0)
    assert end.tzinfo is UTC


def test_input_in_another_zone_returns_utc() -> None:
    tokyo_morning = datetime(2024, 1, 10, 7, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # Tue 17:00 in New York
    result = clamp(WORKWEEK_NY, tokyo_morning)
    assert result == utc(2024, 1, 10, 14)
    assert result.tzinfo is UTC
    inside = datetime(2024, 1, 10, 10, 15, tzinfo=ZoneInfo("America/New_York"))
    assert clamp(WORKWEEK_NY, inside) == utc(2024, 1, 10, 15, 15)
    assert clamp(WORKWEEK_NY, inside).tzinfo is UTC


def test_single_day_schedule_waits_a_week() -> None:
    wednesdays = Schedule.parse(["wed"], "10:00", "11:30", "UTC")
    assert clamp(wednesdays, utc(2024, 1, 11, 9)) == utc(2024, 1, 17, 10)  # Thu -> next Wed
    assert clamp(wednesdays, utc(2024, 1, 10, 11, 30)) == utc(2024, 1, 17, 10)  # end is exclusive
    last = utc(2024, 1, 10, 11, 29, 59, 999999)
    assert clamp(wednesdays, last) == last
    assert clamp(wednesdays, utc(2024, 1, 10, 0, 0)) == utc(2024, 1, 10, 10)
    assert window_on(wednesdays, date(2024, 1, 11)) is None
    assert window_on(wednesdays, date(2024, 1, 10)) == (utc(2024, 1, 10, 10), utc(2024, 1, 10, 11, 30))


def test_kolkata_has_a_fixed_half_hour_offset() -> None:
    kolkata = Schedule.parse(["mon", "tue", "wed", "thu", "fri"], "09:00", "17:00", "Asia/Kolkata")
    for m in (date(2024, 3, 11), date(2024, 7, 15), date(2024, 11, 4)):  # Mondays; no DST all year
        assert window_on(kolkata, m) == (
            utc(m.year, m.month, m.day, 3, 30),
            utc(m.year, m.month, m.day, 11, 30),
        )
    assert clamp(kolkata, utc(2024, 3, 10, 12)) == utc(2024, 3, 11, 3, 30)  # Sunday -> Monday 09:00 IST
    assert clamp(kolkata, utc(2024, 3, 15, 11, 30)) == utc(2024, 3, 18, 3, 30)  # Fri 17:00 IST -> Monday
    assert is_open(kolkata, utc(2024, 3, 15, 11, 29))


# --- DST: windows starting or ending inside gaps and overlaps ----------------------------------------------


@pytest.mark.parametrize(
    ("timezone", "start", "end", "day", "expected"),
    [
        # New York, 2024-03-10: 02:00 EST (UTC-5) jumps to 03:00 EDT (UTC-4) at 07:00 UTC.
        ("America/New_York", "02:30", "05:00", date(2024, 3, 10), (utc(2024, 3, 10, 7), utc(2024, 3, 10, 9))),
        ("America/New_York", "01:00", "02:30", date(2024, 3, 10), (utc(2024, 3, 10, 6), utc(2024, 3, 10, 7))),
        (
            "America/New_York",
            "01:59",
            "03:01",
            date(2024, 3, 10),
            (utc(2024, 3, 10, 6, 59), utc(2024, 3, 10, 7, 1)),
        ),
        ("America/New_York", "02:00", "03:00", date(2024, 3, 10), None),  # 02:00 -> 03:00 == end
        ("America/New_York", "02:10", "02:50", date(2024, 3, 10), None),  # wholly inside the gap
        # New York, 2024-11-03: 02:00 EDT falls back to 01:00 EST at 06:00 UTC; 01:xx happens twice.
        (
            "America/New_York",
            "01:30",
            "03:00",
            date(2024, 11, 3),
            (utc(2024, 11, 3, 5, 30), utc(2024, 11, 3, 8)),
        ),
        (
            "America/New_York",
            "01:00",
            "01:30",
            date(2024, 11, 3),
            (utc(2024, 11, 3, 5), utc(2024, 11, 3, 5, 30)),
        ),
        (
            "America/New_York",
            "00:30",
            "01:00",
            date(2024, 11, 3),
            (utc(2024, 11, 3, 4, 30), utc(2024, 11, 3, 5)),
        ),
        ("America/New_York", "01:00", "02:00", date(2024, 11, 3), (utc(2024, 11, 3, 5), utc(2024, 11, 3, 7))),
        # Paris, 2024-03-31: 02:00 CET (+1) jumps to 03:00 CEST (+2) at 01:00 UTC.
        ("Europe/Paris", "02:15", "04:00", date(2024, 3, 31), (utc(2024, 3, 31, 1), utc(2024, 3, 31, 2))),
        ("Europe/Paris", "01:00", "02:30", date(2024, 3, 31), (utc(2024, 3, 31, 0), utc(2024, 3, 31, 1))),
        # Paris, 2024-10-27: 03:00 CEST falls back to 02:00 CET at 01:00 UTC.
        (
            "Europe/Paris",
            "02:30",
            "05:00",
            date(2024, 10, 27),
            (utc(2024, 10, 27, 0, 30), utc(2024, 10, 27, 4)),
        ),
        (
            "Europe/Paris",
            "01:00",
            "02:30",
            date(2024, 10, 27),
            (utc(2024, 10, 26, 23), utc(2024, 10, 27, 0, 30)),
        ),
        # Sydney, 2024-04-07: 03:00 AEDT (+11) falls back to 02:00 AEST (+10) at 16:00 UTC on the 6th.
        (
            "Australia/Sydney",
            "02:30",
            "04:00",
            date(2024, 4, 7),
            (utc(2024, 4, 6, 15, 30), utc(2024, 4, 6, 18)),
        ),
        # Sydney, 2024-10-06: 02:00 AEST jumps to 03:00 AEDT at 16:00 UTC on the 5th.
        (
            "Australia/Sydney",
            "02:30",
            "09:00",
            date(2024, 10, 6),
            (utc(2024, 10, 5, 16), utc(2024, 10, 5, 22)),
        ),
        (
            "Australia/Sydney",
            "00:30",
            "02:30",
            date(2024, 10, 6),
            (utc(2024, 10, 5, 14, 30), utc(2024, 10, 5, 16)),
        ),
        # Sao Paulo, 2018-11-04: midnight did not exist (00:00 -03 jumped to 01:00 -02 at 03:00 UTC).
        (
            "America/Sao_Paulo",
            "00:00",
            "02:00",
            date(2018, 11, 4),
            (utc(2018, 11, 4, 3), utc(2018, 11, 4, 4)),
        ),
        ("America/Sao_Paulo", "00:00", "00:59", date(2018, 11, 4), None),
        # Sao Paulo, 2019-02-17 00:00 -02 fell back to 23:00 -03 on the 16th (at 02:00 UTC): 23:xx twice.
        (
            "America/Sao_Paulo",
            "23:00",
            "23:59",
            date(2019, 2, 16),
            (utc(2019, 2, 17, 1), utc(2019, 2, 17, 1, 59)),
        ),
        (
            "America/Sao_Paulo",
            "22:00",
            "23:30",
            date(2019, 2, 16),
            (utc(2019, 2, 17, 0), utc(2019, 2, 17, 1, 30)),
        ),
        # Sao Paulo abolished DST in 2019: the same dates now keep -03 throughout.
        (
            "America/Sao_Paulo",
            "00:00",
            "02:00",
            date(2025, 11, 2),
            (utc(2025, 11, 2, 3), utc(2025, 11, 2, 5)),
        ),
        (
            "America/Sao_Paulo",
            "23:00",
            "23:59",
            date(2026, 2, 14),
            (utc(2026, 2, 15, 2), utc(2026, 2, 15, 2, 59)),
        ),
        # Kolkata never changes: +05:30 on the dates other zones shift.
        ("Asia/Kolkata", "02:30", "03:30", date(2024, 3, 10), (utc(2024, 3, 9, 21), utc(2024, 3, 9, 22))),
        (
            "Asia/Kolkata",
            "01:30",
            "02:30",
            date(2024, 10, 27),
            (utc(2024, 10, 26, 20), utc(2024, 10, 26, 21)),
        ),
        # Chatham, 2024-09-29: 02:45 (+12:45) jumps to 03:45 (+13:45) at 14:00 UTC on the 28th.
        (
            "Pacific/Chatham",
            "03:00",
            "05:00",
            date(2024, 9, 29),
            (utc(2024, 9, 28, 14), utc(2024, 9, 28, 15, 15)),
        ),
        (
            "Pacific/Chatham",
            "02:00",
            "03:00",
            date(2024, 9, 29),
            (utc(2024, 9, 28, 13, 15), utc(2024, 9, 28, 14)),
        ),
        ("Pacific/Chatham", "02:50", "03:40", date(2024, 9, 29), None),
        # Chatham, 2024-04-07: 03:45 (+13:45) falls back to 02:45 (+12:45) at 14:00 UTC on the 6th.
        (
            "Pacific/Chatham",
            "03:00",
            "06:00",
            date(2024, 4, 7),
            (utc(2024, 4, 6, 13, 15), utc(2024, 4, 6, 17, 15)),
        ),
        # 02:00 is still +13:45 and 03:00 takes its first (+13:45) occurrence.
        (
            "Pacific/Chatham",
            "02:00",
            "03:00",
            date(2024, 4, 7),
            (utc(2024, 4, 6, 12, 15), utc(2024, 4, 6, 13, 15)),
        ),
    ],
)
def test_window_on_dst_days(
    timezone: str, start: str, end: str, day: date, expected: tuple[datetime, datetime] | None
) -> None:
    assert window_on(every_day(start, end, timezone), day) == expected


def test_new_york_overlap_second_pass_is_outside_a_window_ending_in_it() -> None:
    schedule = every_day("01:00", "01:30", "America/New_York")
    assert is_open(schedule, utc(2024, 11, 3, 5, 15))  # 01:15 EDT, first pass
    assert not is_open(schedule, utc(2024, 11, 3, 6, 15))  # 01:15 EST, second pass
    assert clamp(schedule, utc(2024, 11, 3, 6, 15)) == utc(2024, 11, 4, 6)  # next day 01:00 EST


def test_new_york_overlap_second_pass_is_inside_a_window_spanning_it() -> None:
    schedule = every_day("01:30", "03:00", "America/New_York")
    assert not is_open(schedule, utc(2024, 11, 3, 5, 15))  # 01:15 EDT, before the start
    assert is_open(schedule, utc(2024, 11, 3, 6, 15))  # 01:15 EST, after 01:30 EDT
    assert clamp(schedule, utc(2024, 11, 3, 5, 15)) == utc(2024, 11, 3, 5, 30)


def test_new_york_day_emptied_by_the_gap_is_skipped() -> None:
    schedule = every_day("02:10", "02:50", "America/New_York")
    assert clamp(schedule, utc(2024, 3, 10, 5)) == utc(2024, 3, 11, 6, 10)  # Sun 00:00 EST -> Mon 02:10 EDT
    assert next_window(schedule, utc(2024, 3, 9, 8)) == (utc(2024, 3, 11, 6, 10), utc(2024, 3, 11, 6, 50))
    assert not is_open(schedule, utc(2024, 3, 10, 7))


def test_new_york_start_in_gap_opens_at_the_transition() -> None:
    sundays = Schedule.parse(["sun"], "02:30", "05:00", "America/New_York")
    assert clamp(sundays, utc(2024, 3, 10, 6, 59, 59)) == utc(2024, 3, 10, 7)
    assert not is_open(sundays, utc(2024, 3, 10, 6, 59, 59))
    assert is_open(sundays, utc(2024, 3, 10, 7))


def test_sao_paulo_historical_missing_midnight() -> None:
    sundays = Schedule.parse(["sun"], "00:00", "02:00", "America/Sao_Paulo")
    assert clamp(sundays, utc(2018, 11, 4, 2, 30)) == utc(2018, 11, 4, 3)  # Sat 23:30 -03 -> 01:00 -02
    assert not is_open(sundays, utc(2018, 11, 4, 2, 59))
    assert clamp(sundays, utc(2025, 11, 2, 2, 30)) == utc(2025, 11, 2, 3)  # now 00:00 -03 exists


def test_sao_paulo_historical_repeated_hour_takes_the_first_pass() -> None:
    saturdays = Schedule.parse(["sat"], "23:00", "23:59", "America/Sao_Paulo")
    assert is_open(saturdays, utc(2019, 2, 17, 1, 30))  # 23:30 -02, first pass
    assert not is_open(saturdays, utc(2019, 2, 17, 2, 30))  # 23:30 -03, second pass
    assert clamp(saturdays, utc(2019, 2, 17, 2, 30)) == utc(2019, 2, 24, 2)  # next Sat 23:00 -03


def test_fold_back_across_midnight_stays_in_the_window_of_the_later_date() -> None:
    # St. John's fell back at 00:01 NDT (-2:30) to 23:01 NST (-3:30) of the previous day until 2011:
    # on 2010-11-07 the Sunday window 00:00-01:00 runs 02:30-04:30 UTC and passes through Saturday 23:xx.
    sundays = Schedule.parse(["sun"], "00:00", "01:00", "America/St_Johns")
    assert window_on(sundays, date(2010, 11, 7)) == (utc(2010, 11, 7, 2, 30), utc(2010, 11, 7, 4, 30))
    inside = utc(2010, 11, 7, 3)  # Saturday 23:30 NST, second pass
    assert local_date("America/St_Johns", inside) == date(2010, 11, 6)
    assert is_open(sundays, inside)
    assert clamp(sundays, inside) == inside
    assert next_window(sundays, inside) == (utc(2010, 11, 7, 2, 30), utc(2010, 11, 7, 4, 30))


def test_chatham_start_in_gap() -> None:
    sundays = Schedule.parse(["sun"], "03:00", "05:00", "Pacific/Chatham")
    assert clamp(sundays, utc(2024, 9, 28, 13, 30)) == utc(2024, 9, 28, 14)  # Sun 02:15 +12:45 -> 03:45
    assert clamp(sundays, utc(2024, 9, 28, 15, 15)) == utc(2024, 10, 5, 13, 15)  # next Sun 03:00 +13:45


def test_local_date() -> None:
    assert local_date("America/New_York", utc(2024, 1, 10, 3)) == date(2024, 1, 9)
    assert local_date("Asia/Kolkata", utc(2024, 1, 9, 18, 30)) == date(2024, 1, 10)
    assert local_date("Asia/Kolkata", utc(2024, 1, 9, 18, 29, 59)) == date(2024, 1, 9)
    assert local_date("Pacific/Chatham", utc(2024, 1, 9, 10, 15)) == date(2024, 1, 10)  # +13:45 midnight
    assert local_date("America/Sao_Paulo", utc(2019, 2, 17, 2, 30)) == date(2019, 2, 16)  # repeated 23:30
    assert local_date("UTC", datetime(2024, 1, 10, 1, tzinfo=ZoneInfo("Europe/Paris"))) == date(2024, 1, 10)
    with pytest.raises(ScheduleError) as caught:
        local_date("Nowhere/Special", utc(2024, 1, 1))
    assert caught.value.field == "timezone"


# --- place (S3) -------------------------------------------------------------------------------------------


def test_place_without_randomization_is_clamp() -> None:
    for at in (utc(2024, 1, 10, 15), utc(2024, 1, 10, 23), utc(2024, 1, 13, 2)):
        assert place(WORKWEEK_NY, at, "prospect:1") == clamp(WORKWEEK_NY, at)


RANDOM_PARIS = Schedule.parse(["mon", "tue", "wed", "thu", "fri"], "09:00", "17:00", "Europe/Paris", randomize=True)


def test_place_randomized_is_deterministic_and_spreads_over_the_window() -> None:
    due = utc(2024, 1, 12, 20)  # Friday evening in Paris: next window is Monday 08:00-16:00 UTC
    start, end = utc(2024, 1, 15, 8), utc(2024, 1, 15, 16)
    placed = [place(RANDOM_PARIS, due, f"prospect-{n}:0") for n in range(200)]
    assert placed == [place(RANDOM_PARIS, due, f"prospect-{n}:0") for n in range(200)]
    assert all(start <= p < end for p in placed)
    assert len(set(placed)) > 190
    assert min(placed) < start + timedelta(hours=1)  # reaches both ends of the 8-hour window
    assert max(placed) > end - timedelta(hours=1)
    assert place(RANDOM_PARIS, due, "prospect-1:0") != place(RANDOM_PARIS, due, "prospect-1:1")


def test_place_randomized_never_goes_before_due() -> None:
    due = utc(2024, 1, 15, 15)  # Monday 16:00 Paris: one hour of window left
    placed = [place(RANDOM_PARIS, due, f"p{n}:2") for n in range(200)]
    assert all(due <= p < utc(2024, 1, 15, 16) for p in placed)
    assert len(set(placed)) > 190


PINNED_PLACE = datetime(2024, 1, 15, 12, 47, 22, 253614, tzinfo=UTC)


def test_place_randomized_is_pinned_across_processes() -> None:
    # Pins the documented derivation (SHA-256 of the seed scaled onto the window, in microseconds) so a
    # re-plan in another process or release lands on the same instant; Python's hash() would not.
    assert place(RANDOM_PARIS, utc(2024, 1, 12, 20), "42:3") == PINNED_PLACE


# --- properties -------------------------------------------------------------------------------------------

ZONES = (
    "UTC",
    "America/New_York",
    "Europe/Paris",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Pacific/Chatham",
)

# Known transitions (UTC) per zone, so that random instants often land near a gap or an overlap.
TRANSITIONS = {
    "UTC": (utc(2024, 1, 1),),
    "America/New_York": (utc(2024, 3, 10, 7), utc(2024, 11, 3, 6), utc(2015, 3, 8, 7), utc(2035, 11, 4, 6)),
    "Europe/Paris": (utc(2024, 3, 31, 1), utc(2024, 10, 27, 1)),
    "Australia/Sydney": (utc(2024, 4, 6, 16), utc(2024, 10, 5, 16)),
    "America/Sao_Paulo": (utc(2018, 11, 4, 3), utc(2019, 2, 17, 2), utc(2018, 2, 18, 2)),
    "Asia/Kolkata": (utc(2024, 3, 10),),
    "Pacific/Chatham": (utc(2024, 4, 6, 14), utc(2024, 9, 28, 14)),
}

# Minutes of the day, biased towards the hours where the listed zones change their clocks.
minute_of_day = st.one_of(st.integers(0, 24 * 60 - 1), st.integers(0, 4 * 60), st.integers(22 * 60 + 30, 24 * 60 - 1))


NOT_RANDOMIZED = st.just(False)


@st.composite
def schedules(draw: st.DrawFn, randomize: st.SearchStrategy[bool] = NOT_RANDOMIZED) -> Schedule:
    first, second = draw(st.lists(minute_of_day, min_size=2, max_size=2, unique=True).map(sorted))
    return Schedule(
        days=frozenset(draw(st.sets(st.integers(0, 6), min_size=1))),
        window_start=time(first // 60, first % 60),
        window_end=time(second // 60, second % 60),
        timezone=draw(st.sampled_from(ZONES)),
        randomize_within_window=draw(randomize),
    )


@st.composite
def instants(draw: st.DrawFn, timezone: str) -> datetime:
    near = draw(st.sampled_from(TRANSITIONS[timezone])) + timedelta(
        minutes=draw(st.integers(-26 * 60, 26 * 60)), seconds=draw(st.integers(0, 59))
    )
    anywhere = draw(st.datetimes(datetime(2015, 1, 1), datetime(2035, 12, 31))).replace(tzinfo=UTC)
    at = draw(st.sampled_from((near, anywhere)))
    # Callers may pass aware datetimes in any zone; the answer must not depend on it.
    return at.astimezone(ZoneInfo(draw(st.sampled_from(ZONES))))


def plainly_open(schedule: Schedule, at: datetime) -> bool:
    """Oracle from the wall clock alone: an allowed local weekday and local time in [start, end)."""
    local = at.astimezone(schedule.zone)
    return local.weekday() in schedule.days and schedule.window_start <= local.time() < schedule.window_end


def assert_valid_instant(schedule: Schedule, result: datetime) -> None:
    assert result.tzinfo is UTC
    assert is_open(schedule, result)
    local = result.astimezone(schedule.zone)
    assert local.weekday() in schedule.days
    assert local.time() < schedule.window_end
    # Gap rule: a start inside a gap opens at the transition, whose wall time is later than the start.
    # Overlap rule: the second pass of a repeated hour (fold=1) may read earlier than the start.
    if local.fold == 0:
        assert schedule.window_start <= local.time()


# No example database: the suite must not write files into the tree.
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, database=None)


@PROPERTY_SETTINGS
@given(data=st.data(), schedule=schedules(), fraction=st.floats(0, 1, exclude_max=True))
def test_clamp_properties(data: st.DataObject, schedule: Schedule, fraction: float) -> None:
    at = data.draw(instants(schedule.timezone))
    # Work in UTC: == across zones is False for an ambiguous wall time (PEP 495) and arithmetic on a
    # zoned datetime is wall-clock arithmetic.
    at_utc = at.astimezone(UTC)
    result = clamp(schedule, at)
    assert result == clamp(schedule, at_utc)
    assert result >= at_utc
    assert_valid_instant(schedule, result)
    assert clamp(schedule, at) == result
    assert clamp(schedule, result) == result
    assert next_window(schedule, at)[0] <= result < next_window(schedule, at)[1]

    opened = is_open(schedule, at)
    assert (result == at_utc) == opened
    local = at.astimezone(schedule.zone)
    if local.fold == 0:
        assert opened == plainly_open(schedule, at)
    elif opened:
        assert local.weekday() in schedule.days and local.time() < schedule.window_end
    if not opened:
        # Nothing between `at` and the result is valid, by the code and by the wall-clock oracle.
        assert not is_open(schedule, result - timedelta(microseconds=1))
        gap = (result - at_utc) // timedelta(microseconds=1)
        between = at_utc + timedelta(microseconds=min(int(gap * fraction), gap - 1))
        assert not is_open(schedule, between)
        if between.astimezone(schedule.zone).fold == 0:
            assert not plainly_open(schedule, between)


@PROPERTY_SETTINGS
@given(data=st.data(), schedule=schedules(randomize=st.booleans()), seed=st.text(max_size=20))
def test_place_properties(data: st.DataObject, schedule: Schedule, seed: str) -> None:
    at = data.draw(instants(schedule.timezone))
    at_utc = at.astimezone(UTC)
    result = place(schedule, at, seed)
    assert result == place(schedule, at_utc, seed)
    assert result >= at_utc
    assert_valid_instant(schedule, result)
    assert place(schedule, at, seed) == result
    start, end = next_window(schedule, at)
    assert max(at_utc, start) <= result < end
    if not schedule.randomize_within_window:
        assert result == clamp(schedule, at)


@settings(max_examples=50, deadline=None, database=None)
@given(schedule=schedules(randomize=st.just(True)), at=st.datetimes(datetime(2015, 1, 1), datetime(2035, 12, 31)))
def test_place_different_seeds_spread_within_one_window(schedule: Schedule, at: datetime) -> None:
    at = at.replace(tzinfo=UTC)
    start, end = next_window(schedule, at)
    low = max(at, start)
    placed = {place(schedule, at, f"{n}:0") for n in range(200)}
    assert all(low <= p < end for p in placed)
    if end - low >= timedelta(seconds=1):
        assert len(placed) > 1
