"""The sliding-window judgement the failure rate (S10, P7) and the bounce rate (P1) share: each subject (a sender,
an inbox) keeps its alert state, and only a transition becomes a signal for campaigns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import asyncpg

# What each monitor saves of a subject: (id, above, rate, sample, transition).
SavedState = tuple[str, bool, float, int, bool]


@dataclass(frozen=True, slots=True)
class Crossing:
    """A subject whose judgement differs from its saved alert state: above the threshold now, or back under it."""

    state: asyncpg.Record
    subject_id: str
    above: bool
    rate: float
    sample: int
    hits: int


def judge_states(
    states: Sequence[asyncpg.Record],
    counts: dict[str, tuple[int, int]],
    alert: str,
    judge: Callable[[asyncpg.Record, int, int], tuple[bool, float]],
) -> tuple[list[SavedState], list[Crossing]]:
    """Judge each state's window counts (sample, hits; none counted: 0, 0) against its saved `alert` column: what
    to save of every subject, and the crossings, in the order of `states`."""
    saved: list[SavedState] = []
    crossings: list[Crossing] = []
    for state in states:
        subject_id = str(state["sender_id"])
        sample, hits = counts.get(subject_id, (0, 0))
        above, rate = judge(state, sample, hits)
        transition = above != state[alert]
        saved.append((subject_id, above, rate, sample, transition))
        if transition:
            crossings.append(Crossing(state, subject_id, above, rate, sample, hits))
    return saved, crossings
