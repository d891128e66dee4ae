"""A prospect's send attempt (DESIGN T2), defined once: the scheduler reads it from its attempts and answers with it
(its AttemptRecord), campaigns carries it on to the prospect list (its ProspectAttempt). The two messages have the
same fields, so both servers build theirs from `proto_fields`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.common.proto_time import to_timestamp


@dataclass(frozen=True, slots=True)
class Attempt:
    step_index: int
    action_type: str
    status: str
    outcome: str
    note: str
    started_at: datetime | None
    finished_at: datetime | None


def proto_fields(attempt: Attempt) -> dict[str, Any]:
    """The keyword fields of the scheduler's AttemptRecord and of campaigns' ProspectAttempt; a time that is None
    stays unset."""
    return {
        "step_index": attempt.step_index,
        "action_type": attempt.action_type,
        "status": attempt.status,
        "outcome": attempt.outcome,
        "note": attempt.note,
        "started_at": to_timestamp(attempt.started_at),
        "finished_at": to_timestamp(attempt.finished_at),
    }
