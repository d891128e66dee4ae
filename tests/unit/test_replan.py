"""DESIGN S3 under a changed definition (services/scheduler/replan.py): a changed delay shifts who waits on that
step by the difference; a changed window moves only who falls outside it; who is due now under both stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.common import timemath
from services.scheduler.domain import CampaignPlan, Step
from services.scheduler.replan import Waiting, changes, moves

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 in Paris
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def plan(delay_hours: int = 72, start: str = "09:00", end: str = "17:00") -> CampaignPlan:
    schedule = timemath.Schedule.parse(WEEKDAYS, start, end, "Europe/Paris", False)
    return CampaignPlan(
        "c",
        "w",
        1,
        schedule,
        True,
        (),
        ("i",),
        steps=(Step(0, "email", "email", 0, "", "s", "b"), Step(1, "email", "email", delay_hours, "", "s", "b")),
    )


def test_a_shorter_delay_moves_who_waits_on_that_step_by_the_difference() -> None:
    thursday = datetime(2026, 3, 5, 10, 30, tzinfo=UTC)  # 11:30 in Paris
    waiting = [
        Waiting("a", 1, thursday - timedelta(hours=1), thursday),
        Waiting("b", 0, NOW, NOW + timedelta(hours=2)),
    ]  # at its first step: no delay to shift
    found = moves(plan(72), plan(24), waiting, NOW)
    assert [(m.prospect_id, m.before, m.after, m.due_at) for m in found] == [
        ("a", thursday, thursday - timedelta(days=2), thursday - timedelta(days=2, hours=1))
    ]
    assert changes(plan(72), plan(24)) and not changes(plan(72), plan(72))


def test_a_new_window_moves_only_who_falls_outside_it() -> None:
    inside = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)  # Tuesday 15:00 in Paris
    outside = datetime(2026, 3, 3, 8, 30, tzinfo=UTC)  # Tuesday 09:30 in Paris
    found = moves(
        plan(), plan(start="14:00"), [Waiting("in", 1, inside, inside), Waiting("out", 1, outside, outside)], NOW
    )
    assert [(m.prospect_id, m.after) for m in found] == [("out", datetime(2026, 3, 3, 13, 0, tzinfo=UTC))]


def test_who_is_due_now_under_both_definitions_does_not_move() -> None:
    overdue = NOW - timedelta(hours=3)
    assert moves(plan(72), plan(48), [Waiting("late", 1, overdue, overdue)], NOW) == []
    # Made later than now by a longer delay, it moves: a day later, into that day's window (Tuesday 09:00 Paris).
    [moved] = moves(plan(72), plan(96), [Waiting("late", 1, overdue, overdue)], NOW)
    assert moved.after == datetime(2026, 3, 3, 8, 0, tzinfo=UTC) and moved.due_at == overdue + timedelta(days=1)
