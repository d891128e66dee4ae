"""A send attempt (T2) crosses two servers: the scheduler answers with it (AttemptRecord), campaigns' client reads
it back and campaigns' server passes it on (ProspectAttempt). One mapping, `services.common.attempts`, builds both."""

from __future__ import annotations

from datetime import UTC, datetime

from holdfast.campaigns.v1 import campaigns_pb2
from holdfast.scheduler.v1 import scheduler_pb2
from services.campaigns.clients import _attempt
from services.common.attempts import Attempt, proto_fields
from services.common.proto_time import from_timestamp

STARTED = datetime(2026, 3, 2, 9, 15, 30, tzinfo=UTC)
FINISHED = datetime(2026, 3, 2, 9, 15, 31, 250000, tzinfo=UTC)


def test_an_attempt_goes_from_the_scheduler_through_campaigns_unchanged():
    sent = Attempt(2, "linkedin_message", "reconciled_sent", "assumed", "assumed sent", STARTED, FINISHED)
    record = scheduler_pb2.AttemptRecord(**proto_fields(sent))
    assert (record.step_index, record.action_type, record.status, record.outcome, record.note) == (
        2,
        "linkedin_message",
        "reconciled_sent",
        "assumed",
        "assumed sent",
    )
    assert (from_timestamp(record.started_at), from_timestamp(record.finished_at)) == (STARTED, FINISHED)
    read = _attempt(record)
    assert read == sent
    shown = campaigns_pb2.ProspectAttempt(**proto_fields(read))
    assert shown.SerializeToString() == record.SerializeToString(), "the two messages carry the same fields"


def test_an_attempt_still_running_has_no_finish_time():
    running = Attempt(0, "email", "started", "", "", STARTED, None)
    record = scheduler_pb2.AttemptRecord(**proto_fields(running))
    assert record.HasField("started_at") and not record.HasField("finished_at")
    assert _attempt(record) == running
    assert not campaigns_pb2.ProspectAttempt(**proto_fields(running)).HasField("finished_at")
