"""DESIGN S3 under a changed definition: when a campaign's step delay or schedule changes, the prospects
waiting on it are re-planned, and a preview says who moves before anything is saved. Pure functions; the
repository reads the waiting prospects and writes the moves."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common import timemath
from services.scheduler.domain import CampaignPlan
from services.scheduler.planner import planned_at


@dataclass(frozen=True, slots=True)
class Waiting:
    """A scheduled prospect: its current step, when that step became due and when it is planned."""

    prospect_id: str
    step_index: int
    due_at: datetime | None
    next_action_at: datetime


@dataclass(frozen=True, slots=True)
class Move:
    prospect_id: str
    step_index: int
    before: datetime
    after: datetime
    due_at: datetime | None


def _delays(plan: CampaignPlan) -> dict[int, int]:
    return {s.index: s.delay_hours for s in plan.steps}


def changes(old: CampaignPlan, new: CampaignPlan) -> bool:
    """Whether a waiting prospect can move: the schedule or a step's delay differs."""
    return old.schedule != new.schedule or _delays(old) != _delays(new)


def moves(old: CampaignPlan, new: CampaignPlan, waiting: Iterable[Waiting], now: datetime) -> list[Move]:
    """Where each waiting prospect goes under `new`, for those that move, by their new time.

    A changed delay of the step a prospect waits on shifts its due time and its planned time by the difference
    (the first step is due at enrollment: it has no delay to shift). Then, if the schedule changed, a planned
    time outside the new windows goes to the next valid window (randomized as S3 says when the campaign
    randomizes); one inside them stays where it is, so the re-clamp's spacing under caps is kept. A prospect
    that is due now under both definitions does not move."""
    old_delays, new_delays = _delays(old), _delays(new)
    schedule_changed = old.schedule != new.schedule
    out: list[Move] = []
    for w in waiting:
        shift = timedelta(0)
        if w.step_index > 0:
            shift = timedelta(hours=new_delays.get(w.step_index, 0) - old_delays.get(w.step_index, 0))
        if not shift and not schedule_changed:
            continue
        target = max(w.next_action_at + shift, now)
        start, end = timemath.next_window(new.schedule, target)
        after = target if start <= target < end else planned_at(new.schedule, target, w.prospect_id, w.step_index)
        if after == w.next_action_at or (after <= now and w.next_action_at <= now):
            continue
        out.append(
            Move(
                w.prospect_id, w.step_index, w.next_action_at, after, w.due_at + shift if w.due_at is not None else None
            )
        )
    out.sort(key=lambda m: (m.after, m.prospect_id))
    return out
