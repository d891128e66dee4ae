"""S4-S7 capacity arithmetic: how a backlog spreads over days under caps, ramp, weekly cap and pacing."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from services.common import timemath
from services.scheduler.domain import Limits, render
from services.scheduler.planner import SenderLoad, place, spread

PARIS_WEEKDAYS = timemath.Schedule.parse(["mon", "tue", "wed", "thu", "fri"], "09:00", "17:00", "Europe/Paris")
MONDAY_8_UTC = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Paris


def load(
    limits: Limits, used: dict[date, int] | None = None, ramp_day: int = 0, last_sent: date | None = None
) -> SenderLoad:
    return SenderLoad(limits, "Europe/Paris", ramp_day, last_sent, used or {})


def test_backlog_spreads_at_the_daily_cap_on_schedule_days_only():
    slots = spread(PARIS_WEEKDAYS, load(Limits(20, 1000, 20, 0, 0, 0)), MONDAY_8_UTC, 130)
    assert [s.capacity for s in slots] == [20] * 6 + [10]
    days = [timemath.local_date("Europe/Paris", s.start) for s in slots]
    assert all(d.weekday() < 5 for d in days)
    assert days[5] == date(2026, 3, 9), "the weekend is skipped"
    for slot in slots:
        assert timemath.is_open(PARIS_WEEKDAYS, slot.start)
        assert slot.end <= timemath.next_window(PARIS_WEEKDAYS, slot.start)[1]


def test_ramp_grows_per_sending_day_up_to_the_cap():
    slots = spread(PARIS_WEEKDAYS, load(Limits(25, 1000, 5, 5, 0, 0)), MONDAY_8_UTC, 100)
    assert [s.capacity for s in slots] == [5, 10, 15, 20, 25, 25]


def test_ramp_continues_from_where_the_sender_is():
    # It sent on 3 earlier days (ramp day 3 after its last sending day, which is before today).
    slots = spread(
        PARIS_WEEKDAYS, load(Limits(100, 1000, 10, 10, 0, 0), ramp_day=2, last_sent=date(2026, 2, 27)), MONDAY_8_UTC, 90
    )
    assert [s.capacity for s in slots] == [40, 50]


def test_what_is_already_used_today_counts():
    slots = spread(PARIS_WEEKDAYS, load(Limits(20, 1000, 20, 0, 0, 0), used={date(2026, 3, 2): 15}), MONDAY_8_UTC, 30)
    assert [s.capacity for s in slots] == [5, 20, 5]


def test_weekly_cap_is_a_rolling_seven_days():
    slots = spread(PARIS_WEEKDAYS, load(Limits(20, 50, 20, 0, 0, 0)), MONDAY_8_UTC, 120)
    per_day = {timemath.local_date("Europe/Paris", s.start): s.capacity for s in slots}
    days = sorted(per_day)
    for day in days:
        week = sum(n for d, n in per_day.items() if timedelta(0) <= day - d < timedelta(days=7))
        assert week <= 50, (day, week)
    assert sum(per_day.values()) == 120


def test_pacing_bounds_how_many_fit_in_a_window():
    # An 8-hour window with at least 10 minutes between actions fits 48.
    slots = spread(PARIS_WEEKDAYS, load(Limits(100, 1000, 100, 0, 600, 900)), MONDAY_8_UTC, 100)
    assert [s.capacity for s in slots] == [48, 48, 4]
    for slot in slots:
        assert (slot.end - slot.start) / slot.capacity >= timedelta(seconds=600)


def test_a_small_batch_keeps_the_days_pace_instead_of_stretching_over_the_window():
    slots = spread(PARIS_WEEKDAYS, load(Limits(48, 1000, 48, 0, 0, 0)), MONDAY_8_UTC, 5)
    assert [(s.capacity, s.rate) for s in slots] == [(5, 48)]
    assert (slots[0].end - slots[0].start) / slots[0].rate == timedelta(minutes=10)


def test_starting_mid_window_uses_the_rest_of_today():
    noon = MONDAY_8_UTC + timedelta(hours=4)
    slots = spread(PARIS_WEEKDAYS, load(Limits(100, 1000, 100, 0, 3600, 3600)), noon, 10)
    assert slots[0].start == noon and slots[0].capacity == 4


@pytest.mark.parametrize("needed", [1, 7, 500])
def test_capacity_adds_up_exactly(needed):
    slots = spread(PARIS_WEEKDAYS, load(Limits(30, 100, 10, 5, 120, 300)), MONDAY_8_UTC, needed)
    assert sum(s.capacity for s in slots) == needed
    assert len({s.start for s in slots}) == len(slots)
    days = Counter(timemath.local_date("Europe/Paris", s.start) for s in slots)
    assert max(days.values()) == 1, "one slot per day"


def test_templates_fill_known_fields_and_drop_unknown_ones():
    assert (
        render("Hi {{first_name}} at {{ company }}{{nope}}!", {"first_name": "Ana", "company": "Acme"})
        == "Hi Ana at Acme!"
    )


def test_a_backlog_of_years_is_placed_as_far_as_the_horizon_goes():
    # 50,000 on one account at 80 a day: more than two years of weekdays.
    slots = spread(PARIS_WEEKDAYS, load(Limits(80, 400, 80, 0, 0, 0)), MONDAY_8_UTC, 50_000)
    assert sum(s.capacity for s in slots) == 50_000
    assert max(s.capacity for s in slots) == 80


def test_a_window_shorter_than_the_pacing_places_nothing_and_gives_up_quickly():
    short = timemath.Schedule.parse(["mon"], "09:00", "09:01", "Europe/Paris")
    assert spread(short, load(Limits(80, 400, 80, 0, 120, 300)), MONDAY_8_UTC, 10) == []


def test_place_keeps_the_gap_against_the_senders_other_plans_and_spills_to_the_next_window():
    """S4 across campaigns: another campaign already planned an action every 2 minutes through Monday's window;
    this backlog goes between them, at least the gap from each, and what no longer fits goes on Tuesday."""
    gap = timedelta(seconds=60)
    busy = [MONDAY_8_UTC + timedelta(minutes=2 * i) for i in range(240)]  # the whole 8-hour window
    others = list(busy)
    limits = Limits(500, 5000, 500, 0, 60, 60)
    used = {date(2026, 3, 2): 240}
    at = place(PARIS_WEEKDAYS, load(limits, used), MONDAY_8_UTC, 300, busy, gap)
    assert len(at) == 300 and at == sorted(at)
    everything = sorted(others + at)
    assert min(b - a for a, b in zip(everything, everything[1:], strict=False)) >= gap
    per_day = Counter(timemath.local_date("Europe/Paris", t) for t in at)
    assert per_day[date(2026, 3, 2)] == 240 and per_day[date(2026, 3, 3)] == 60
    assert all(timemath.is_open(PARIS_WEEKDAYS, t) for t in at)
    assert len(busy) == 540, "the placed instants join the sender's plans for the next group"
