"""The bounce contracts over real gRPC and PostgreSQL: RecordBounces refuses bad input with a structured error
and records nothing it cannot tie to an email of that inbox; ApplyBounceRateSignal is idempotent by event id."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from holdfast.campaigns.v1 import campaigns_pb2, campaigns_pb2_grpc
from holdfast.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from services.common import errors
from services.common.grpc_client import open_channel


def _bounce(message_id: str) -> scheduler_pb2.Bounce:
    return scheduler_pb2.Bounce(
        message_id=message_id,
        recipient="nobody@prospect.example",
        status="5.1.1",
        diagnostic="550 5.1.1 no such user",
        received_at=Timestamp(seconds=1_772_440_000),
    )


async def test_record_bounces_refuses_a_bad_inbox_id_and_ignores_what_is_not_ours(suite) -> None:
    async with open_channel(f"127.0.0.1:{suite.ports['scheduler']}") as channel:
        stub = scheduler_pb2_grpc.SchedulerServiceStub(channel)
        with pytest.raises(errors.InvalidArgument) as refused:
            await stub.RecordBounces(
                scheduler_pb2.RecordBouncesRequest(inbox_id="not-a-uuid", bounces=[_bounce("<a@holdfast>")])
            )
        assert refused.value.details.get("field") == "inbox_id"
        # Shaped like ours but no such attempt; another sender's Message-ID; no Message-ID at all.
        reply = await stub.RecordBounces(
            scheduler_pb2.RecordBouncesRequest(
                inbox_id=str(uuid.uuid4()),
                bounces=[_bounce(f"<{uuid.uuid4()}@holdfast>"), _bounce("<CAB123@mail.gmail.com>"), _bounce("")],
            )
        )
        assert reply.recorded == 0
    conn = await asyncpg.connect(suite.dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM scheduler.bounces") == 0
    finally:
        await conn.close()


async def test_a_bounce_rate_signal_applies_once(suite) -> None:
    async with open_channel(f"127.0.0.1:{suite.ports['campaigns']}") as channel:
        stub = campaigns_pb2_grpc.CampaignsServiceStub(channel)
        request = campaigns_pb2.ApplyBounceRateSignalRequest(
            event_id=str(uuid.uuid4()),
            inbox_id=str(uuid.uuid4()),
            above_threshold=True,
            bounce_rate=0.08,
            sample_size=25,
            bounces=2,
            window_end=Timestamp(seconds=1_772_440_000),
        )
        assert (await stub.ApplyBounceRateSignal(request)).applied
        assert not (await stub.ApplyBounceRateSignal(request)).applied
