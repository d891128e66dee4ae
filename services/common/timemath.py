"""Pure time math for campaign schedules (DESIGN S1-S3).

Everything here is stdlib-only and side-effect free so the planner, the resume re-clamp and the
"why not now" explanation all agree on what a window is.

DST rule (S2), applied to both ends of a window: a local wall time is resolved to the earliest instant
whose local wall time is at or after it. For a time that exists once this is that instant; for an
ambiguous time (fall back) it is the first occurrence; for a time inside a spring-forward gap it is the
transition instant (02:30 on the New York spring-forward day becomes 03:00 local). A window whose two
ends resolve to the same instant (both inside one gap) is empty that day.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# A valid schedule opens at least once a week; the margin covers days emptied by DST gaps.
_SEARCH_DAYS = 8 * 7
_HHMM = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
_ONE_DAY = timedelta(days=1)


class ScheduleError(ValueError):
    """An invalid schedule; `field` names the offending input so the API can point at it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a campaign may send: weekdays (0=Monday) and a same-day local window in an IANA zone."""

    days: frozenset[int]
    window_start: time
    window_end: time
    timezone: str
    randomize_within_window: bool = False

    def __post_init__(self) -> None:
        # Validate here rather than only in parse() so no invalid Schedule can exist.
        object.__setattr__(self, "days", frozenset(self.days))
        if not self.days:
            raise ScheduleError("days", "at least one day is required")
        if not self.days <= frozenset(range(7)):
            raise ScheduleError("days", "days must be weekday numbers 0 (Monday) to 6 (Sunday)")
        for field, value in (("window.start", self.window_start), ("window.end", self.window_end)):
            if value.tzinfo is not None:
                raise ScheduleError(field, "must be a local wall-clock time without a timezone")
        if self.window_end <= self.window_start:
            raise ScheduleError(
                "window.end",
                "must be after the window start; windows across midnight are not supported",
            )
        _load_zone(self.timezone)

    @classmethod
    def parse(cls, days: Sequence[str], start: str, end: str, timezone: str, randomize: bool = False) -> Schedule:
        """Build a schedule from API input: day names, "HH:MM" strings and an IANA zone name."""
        if isinstance(days, str):
            raise ScheduleError("days", "must be a list of day names")
        numbers: set[int] = set()
        for name in days:
            key = name.strip().lower() if isinstance(name, str) else name
            if key not in WEEKDAYS:
                raise ScheduleError("days", f"unknown day {name!r}; use one of {', '.join(WEEKDAYS)}")
            number = WEEKDAYS.index(key)
            if number in numbers:
                raise ScheduleError("days", f"day {name!r} is listed twice")
            numbers.add(number)
        return cls(
            days=frozenset(numbers),
            window_start=_parse_hhmm("window.start", start),
            window_end=_parse_hhmm("window.end", end),
            timezone=timezone,
            randomize_within_window=randomize,
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances by key, so this is cheap.


def window_on(schedule: Schedule, local_date: date) -> tuple[datetime, datetime] | None:
    """The UTC [start, end) of the window on a local date; None if the day is off or DST empties it."""
    if local_date.weekday() not in schedule.days:
        return None
    zone = schedule.zone
    start = _resolve(zone, datetime.combine(local_date, schedule.window_start))
    end = _resolve(zone, datetime.combine(local_date, schedule.window_end))
    return (start, end) if start < end else None


def next_window(schedule: Schedule, at: datetime) -> tuple[datetime, datetime]:
    """The window containing `at`, or else the first one starting after it (UTC)."""
    at = _to_utc(at)
    # A window of local date D ends before local time first reaches D+1, so its instants read a local
    # date <= D: no window of a date before `at`'s local date can contain or follow `at`.
    day = at.astimezone(schedule.zone).date()
    for _ in range(_SEARCH_DAYS):
        window = window_on(schedule, day)
        # Windows are disjoint and ordered by date, so the first one not yet over is the answer.
        if window is not None and window[1] > at:
            return window
        day += _ONE_DAY
    raise RuntimeError(f"no sending window within {_SEARCH_DAYS} days of {at.isoformat()} for {schedule}")


def is_open(schedule: Schedule, at: datetime) -> bool:
    """Whether `at` lies inside a window on an allowed day."""
    at = _to_utc(at)
    return next_window(schedule, at)[0] <= at


def clamp(schedule: Schedule, at: datetime) -> datetime:
    """The earliest instant at or after `at` that is inside a window (UTC)."""
    at = _to_utc(at)
    return max(at, next_window(schedule, at)[0])


def place(schedule: Schedule, due: datetime, seed: str) -> datetime:
    """When to perform an action due at `due` (S3), in UTC.

    Without randomization this is clamp(due). With it, a uniform instant (microsecond resolution) in
    [max(due, start), end) of the window clamp(due) falls in, derived from SHA-256 of `seed` so that
    re-planning the same (prospect, step) in any process gives the same answer.
    """
    due = _to_utc(due)
    start, end = next_window(schedule, due)
    low = max(due, start)
    if not schedule.randomize_within_window:
        return low
    span = (end - low) // timedelta(microseconds=1)
    draw = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    # (draw / 2**256) * span, in exact integer arithmetic.
    return low + timedelta(microseconds=(draw * span) >> 256)


def local_date(timezone: str, at: datetime) -> date:
    """The local calendar day `at` falls on in `timezone` (daily caps count per sender-local day)."""
    return _to_utc(at).astimezone(_load_zone(timezone)).date()


def _resolve(zone: ZoneInfo, wall: datetime) -> datetime:
    """The earliest UTC instant whose local wall time in `zone` is >= `wall` (see module docstring)."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists; fold=0 picked the first occurrence if it is ambiguous
    # In a gap: fold=0 used the pre-transition offset and landed after the transition, fold=1 the
    # post-transition offset and landed before it. Transitions fall on whole seconds, so bisect seconds.
    low = int(wall.replace(tzinfo=zone, fold=1).timestamp()) - 1
    high = int(first.timestamp()) + 1
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _to_utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {at.isoformat()}")
    return at.astimezone(UTC)


def _load_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        # OSError: a folder of the zone database such as "America" is not a zone.
        raise ScheduleError("timezone", f"unknown IANA timezone {name!r}") from None


def _parse_hhmm(field: str, value: str) -> time:
    if not isinstance(value, str) or not _HHMM.fullmatch(value):
        raise ScheduleError(field, f"expected a time as HH:MM (00:00-23:59), got {value!r}")
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
