"""Planning arithmetic (DESIGN S3-S7): when a prospect's next step is due, and how many actions each
sender can take on each of the coming days under its caps, ramp and pacing. Pure functions; the set-based
SQL that applies a plan lives in the repository."""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import structlog

from services.common import timemath
from services.scheduler.domain import Limits, Step

log = structlog.get_logger(__name__)

# Bounds every search: ten years of windows. A backlog longer than that is placed as far as it goes; the rest
# stays overdue and the dispatcher, which checks caps at every claim, still sends it without a burst.
MAX_HORIZON_DAYS = 3650
# Windows in a row too short for even one paced action: the schedule cannot fit this sender at all.
_IMPOSSIBLE_AFTER = 14
# Rounds of `place`: each one starts after the windows the last one filled (actions pushed out of their window
# by the sender's other plans go to later windows).
_PLACE_ROUNDS = 50


def due_after(completed_at: datetime, step: Step) -> datetime:
    """S3: a step is due its delay after the previous step completed."""
    return completed_at + timedelta(hours=step.delay_hours)


def planned_at(schedule: timemath.Schedule, due: datetime, prospect_id: str, step_index: int) -> datetime:
    """S3: the due instant placed into the next valid window (randomized, seeded by prospect and step)."""
    return timemath.place(schedule, due, f"{prospect_id}:{step_index}")


@dataclass(frozen=True, slots=True)
class Slot:
    """`capacity` actions of one sender go in [start, end), one every (end - start) / `rate`: the pace the
    sender's day allows, so a small batch flows at a steady rate instead of being stretched over the day."""

    start: datetime
    end: datetime
    capacity: int
    rate: int


@dataclass(frozen=True, slots=True)
class SenderLoad:
    """What a sender has already used or been promised, by its local date."""

    limits: Limits
    timezone: str
    ramp_day: int
    last_sent_local_date: date | None
    # Actions already counted (sent) or already planned, per local date.
    used: dict[date, int]


def _ramp_day_on(load: SenderLoad, day: date, sending_days_before: int) -> int:
    """The ramp day the sender would be on `day`, if it sends on every slot day from now."""
    base = load.ramp_day
    if load.last_sent_local_date is not None and load.last_sent_local_date < day:
        base += 1  # its last sending day is behind it by then
    return base + sending_days_before


def spread(schedule: timemath.Schedule, load: SenderLoad, start: datetime, needed: int) -> list[Slot]:
    """S4: the windows from `start` on, and how many actions fit in each, until `needed` fit.

    Each day's capacity is the smallest of: the ramp cap that day, the daily cap, what the rolling 7-day
    weekly cap leaves, and how many paced actions fit in the window. Days already partly used count."""
    slots: list[Slot] = []
    remaining = needed
    at = start
    window_days: deque[tuple[date, int]] = deque()  # (local date, count) of the last 7 days
    sending_days = 0
    too_short = 0
    for _ in range(MAX_HORIZON_DAYS):
        if remaining <= 0 or too_short >= _IMPOSSIBLE_AFTER:
            break
        window_start, window_end = timemath.next_window(schedule, at)
        lower = max(window_start, start)
        day = timemath.local_date(load.timezone, lower)
        while window_days and (day - window_days[0][0]).days >= 7:
            window_days.popleft()
        used_today = load.used.get(day, 0)
        used_week = sum(load.used.get(day - timedelta(days=back), 0) for back in range(1, 7)) + used_today
        used_week += sum(count for d, count in window_days if d != day)
        cap = load.limits.cap_on_ramp_day(_ramp_day_on(load, day, sending_days))
        pacing = max(load.limits.pacing_min_seconds, 1)
        fits_in_window = int((window_end - lower).total_seconds() // pacing)
        too_short = too_short + 1 if fits_in_window == 0 and lower == window_start else 0
        rate = max(0, min(cap - used_today, load.limits.weekly_cap - used_week, fits_in_window))
        capacity = min(rate, remaining)
        if capacity > 0:
            slots.append(Slot(lower, window_end, capacity, rate))
            window_days.append((day, capacity))
            remaining -= capacity
            sending_days += 1
        at = window_end
    if remaining > 0:
        log.warning(
            "backlog does not fit the planning horizon; the rest stays overdue and goes out under caps",
            needed=needed,
            placed=needed - remaining,
        )
    return slots


def place(
    schedule: timemath.Schedule, load: SenderLoad, start: datetime, needed: int, busy: list[datetime], gap: timedelta
) -> list[datetime]:
    """S4 across campaigns: the instants of `needed` actions of one sender and action type, in order, from
    `start` on. The windows and per-day capacities are `spread`'s; in its slot each action goes at the slot's
    steady pace, but never closer than `gap` (the sender's pacing) to anything else planned for the sender,
    whatever the campaign (`busy`, sorted; the placed instants are added to it). An action pushed past its
    window's end goes to a later window. Fewer than `needed` come back when the horizon runs out."""
    placed: list[datetime] = []
    used = dict(load.used)
    at = start
    for _ in range(_PLACE_ROUNDS):
        if len(placed) >= needed:
            break
        slots = spread(schedule, replace(load, used=used), at, needed - len(placed))
        if not slots:
            break
        for slot in slots:
            at = slot.end
            pace = (slot.end - slot.start) / slot.rate
            t = slot.start
            fitted = 0
            for j in range(slot.capacity):
                t = _free(max(t, slot.start + pace * j), busy, gap)
                if t >= slot.end:
                    break
                placed.append(t)
                bisect.insort(busy, t)
                day = timemath.local_date(load.timezone, t)
                used[day] = used.get(day, 0) + 1
                t += gap
                fitted += 1
            if fitted < slot.capacity:
                break  # the later slots assumed this one full: plan them again from its end
    return placed


def _free(t: datetime, busy: list[datetime], gap: timedelta) -> datetime:
    """The first instant from `t` on at least `gap` away from every instant of `busy` (sorted)."""
    i = bisect.bisect_left(busy, t - gap)
    while i < len(busy) and busy[i] < t + gap:
        if abs(t - busy[i]) < gap:
            t = busy[i] + gap
        i += 1
    return t
