"""Failure rate per sender (DESIGN S10, P7), account-level failures reported to accounts, and the active
channels of campaigns (P6): the real dispatcher on virtual time, real PostgreSQL, the real Unipile client over
real HTTP to the sandbox, whose injected failures are what the provider answers. Campaigns' receiver of the
signals is someone else's, so what is checked here is what the scheduler wrote to its outbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import grpc
import pytest

from holdfast.accounts.v1 import accounts_pb2
from holdfast.campaigns.v1 import campaigns_pb2
from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from services.common.clock import ManualClock
from services.common.proto_time import from_timestamp, to_timestamp
from services.scheduler.domain import CampaignPlan, Limits, Step
from services.scheduler.plan_rows_repository import Enrollee
from tests.scheduler_rig import MONDAY_7_UTC, PARIS, Rig, scheduler_rig

SIGNAL = "campaigns.ApplyFailureRateSignal"
REPORT = "accounts.ReportAccountFailure"
# 50 a day, no pacing: a list of 20 goes out on Monday morning, about ten minutes apart.
ROOMY = Limits(daily_cap=50, weekly_cap=1000, ramp_start=50, ramp_step=0, pacing_min_seconds=0, pacing_max_seconds=0)
# Monday 13:00 in Paris: everything enrolled below went out this morning, still inside the 6-hour window.
MONDAY_MIDDAY = MONDAY_7_UTC + timedelta(hours=5)
INVITE_MESSAGE_EMAIL = (
    Step(0, "linkedin", "linkedin_invite", 0, "Hi {{first_name}}"),
    Step(1, "linkedin", "linkedin_message", 1, "Thanks!"),
    Step(2, "email", "email", 24, subject="Hello", body="Hi {{first_name}}"),
)


@pytest.fixture
async def rig(fresh_dsn) -> AsyncIterator[Rig]:
    async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC)) as built:
        yield built


async def signals(rig: Rig) -> list[campaigns_pb2.ApplyFailureRateSignalRequest]:
    rows = await rig.outbox(SIGNAL)
    decoded = [campaigns_pb2.ApplyFailureRateSignalRequest.FromString(p) for _, p in rows]
    assert all(key == s.sender_id for (key, _), s in zip(rows, decoded, strict=True)), "ordered per sender"
    return decoded


async def reports(rig: Rig) -> list[tuple[str, accounts_pb2.ReportAccountFailureRequest]]:
    return [(key, accounts_pb2.ReportAccountFailureRequest.FromString(p)) for key, p in await rig.outbox(REPORT)]


async def inject(rig: Rig, status: int, error_type: str, count: int, **extra: object) -> None:
    await rig.control(
        "failures", {"endpoint": "send_invite", "status": status, "type": error_type, "count": count, **extra}
    )


async def sender_state(rig: Rig, sender_id: str) -> dict:
    return dict(
        await rig.pool.fetchrow(
            "SELECT status, provider_block, failure_alert, failure_rate, failure_sample, probation_until"
            " FROM scheduler.sender_states WHERE sender_id = $1",
            uuid.UUID(sender_id),
        )
    )


async def test_crossing_the_threshold_emits_one_above_signal_and_more_failures_nothing_more(rig):
    sender = await rig.add_sender(ROOMY)
    await rig.campaign([sender], 20)
    await inject(rig, 422, "errors/invalid_recipient", 12)
    assert await rig.run_until(MONDAY_MIDDAY) == 20
    (signal,) = await signals(rig)
    # Emitted by the outcome that crossed it: the tenth attempt, all ten refused.
    assert signal.above_threshold and signal.sample_size == 10 and signal.failure_rate == 1.0
    assert signal.sender_id == sender and signal.sender_kind == types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT
    assert uuid.UUID(signal.event_id)
    assert from_timestamp(signal.window_end) < MONDAY_MIDDAY
    # Two more failures and eight successes later it is still above (12/20): no second signal.
    state = await sender_state(rig, sender)
    assert state["failure_alert"] and state["failure_sample"] == 20 and state["failure_rate"] == pytest.approx(0.6)
    # The periodic job, while the window still holds them, changes nothing either.
    rig.clock.advance(timedelta(minutes=5))
    assert await rig.failure_rates.evaluate_failure_rates_once() == 1
    assert len(await signals(rig)) == 1


async def test_the_window_sliding_past_the_failures_emits_one_below_signal(rig):
    sender = await rig.add_sender(ROOMY)
    await rig.campaign([sender], 10)
    await inject(rig, 422, "errors/blocked_recipient", 10)
    await rig.run_until(MONDAY_MIDDAY)
    assert [s.above_threshold for s in await signals(rig)] == [True]
    # The campaign is paused, nothing is sent, yet the window slides: the periodic job notices.
    rig.clock.advance(timedelta(hours=6, minutes=1))
    assert await rig.failure_rates.evaluate_failure_rates_once() == 1
    first, below = await signals(rig)
    assert not below.above_threshold and below.sample_size == 0 and below.failure_rate == 0.0
    assert below.event_id != first.event_id
    assert from_timestamp(below.window_end) == rig.clock.now()
    assert not (await sender_state(rig, sender))["failure_alert"]
    # Nothing changes any more: the sender is not even looked at again.
    rig.clock.advance(timedelta(hours=1))
    assert await rig.failure_rates.evaluate_failure_rates_once() == 0
    assert len(await signals(rig)) == 2


async def test_a_high_rate_on_a_small_sample_is_not_above(rig):
    sender = await rig.add_sender(ROOMY)
    await rig.campaign([sender], 9)
    await inject(rig, 422, "errors/invalid_recipient", 9)
    await rig.run_until(MONDAY_MIDDAY)
    assert await signals(rig) == []
    state = await sender_state(rig, sender)
    assert (state["failure_sample"], state["failure_rate"], state["failure_alert"]) == (9, 1.0, False)


async def test_on_probation_three_failures_are_enough(rig):
    watched, on_probation = await rig.add_sender(ROOMY), await rig.add_sender(ROOMY)
    # Without probation three failures out of three are too small a sample.
    await rig.campaign([watched], 3)
    await inject(rig, 422, "errors/invalid_recipient", 3)
    await rig.run_until(MONDAY_MIDDAY)
    assert await signals(rig) == []

    event_id = str(uuid.uuid4())
    until = rig.clock.now() + timedelta(days=7)
    assert await rig.service.start_probation(event_id, [on_probation], until)
    assert not await rig.service.start_probation(event_id, [on_probation], until + timedelta(days=1)), "idempotent"
    assert (await sender_state(rig, on_probation))["probation_until"] == until
    await rig.campaign([on_probation], 3)
    await inject(rig, 422, "errors/invalid_recipient", 3)
    await rig.run_until(MONDAY_MIDDAY + timedelta(days=1))
    (signal,) = await signals(rig)
    assert signal.sender_id == on_probation and signal.above_threshold and signal.sample_size == 3


async def test_a_probation_restarts_the_sample_so_a_resumed_sender_can_pause_again(rig):
    """A member resumed the campaign (campaigns cleared its reason): the old failures that paused it no longer
    count, the alert is re-armed (a below signal), and three new failures re-pause."""
    sender = await rig.add_sender(ROOMY)
    await rig.campaign([sender], 10)
    await inject(rig, 422, "errors/invalid_recipient", 10)
    await rig.run_until(MONDAY_MIDDAY)
    assert [s.above_threshold for s in await signals(rig)] == [True]

    assert await rig.service.start_probation(str(uuid.uuid4()), [sender], rig.clock.now() + timedelta(days=3))
    above, below = await signals(rig)
    assert not below.above_threshold and below.sample_size == 0, "the old failures no longer count"
    # Two failures then a success, a day later: 2 of 3 on probation is above again.
    rig.clock.advance(timedelta(days=1))
    await rig.campaign([sender], 3)
    await inject(rig, 422, "errors/invalid_recipient", 2)
    await rig.run_until(rig.clock.now() + timedelta(days=1))
    *_, again = await signals(rig)
    assert again.above_threshold and again.sample_size == 3 and again.failure_rate == pytest.approx(2 / 3)
    assert len(await signals(rig)) == 3


async def test_rate_limits_and_cooldowns_do_not_count(rig):
    sender = await rig.add_sender(ROOMY)
    await rig.campaign([sender], 3)
    # Had they counted, 15 of 18 would be far above the threshold.
    await inject(rig, 429, "errors/too_many_requests", 10, retry_after=1)
    await rig.run_until(MONDAY_MIDDAY)
    await inject(rig, 422, "errors/limit_exceeded", 5, retry_after=1)
    await rig.campaign([sender], 3)
    await rig.run_until(MONDAY_MIDDAY + timedelta(days=1))
    state = await sender_state(rig, sender)
    assert (state["failure_sample"], state["failure_rate"]) == (6, 0.0)
    # A recipient's own cool-down (T3) is no failure of the sender either.
    await inject(rig, 422, "errors/cannot_resend_yet", 1)
    await rig.campaign([sender], 1)
    await rig.run_until(MONDAY_MIDDAY + timedelta(days=2))
    outcomes = dict(await rig.pool.fetch("SELECT outcome, count(*) FROM scheduler.send_attempts GROUP BY 1"))
    assert outcomes == {"rate_limited": 10, "sender_cooldown": 5, "errors/cannot_resend_yet": 1, "sent": 6}
    assert await signals(rig) == []
    assert (await sender_state(rig, sender))["failure_rate"] == 0.0


async def test_account_failures_are_reported_to_accounts_and_do_not_count(rig):
    disconnected, restricted = await rig.add_sender(ROOMY), await rig.add_sender(ROOMY)
    await rig.campaign([disconnected], 2)
    rig.clock.set(MONDAY_7_UTC + timedelta(hours=2))
    await inject(rig, 401, "errors/disconnected_account", 1)
    assert await rig.dispatcher.run_once() == 1
    await rig.campaign([restricted], 2)
    rig.clock.advance(timedelta(minutes=10))  # within the first sender's block
    await inject(
        rig,
        403,
        "errors/account_restricted",
        1,
        title="Account restricted",
        detail="LinkedIn put this account in jail until further notice.",
    )
    assert await rig.dispatcher.run_once() == 1
    attempts = dict(await rig.pool.fetch("SELECT sender_id::text, id::text FROM scheduler.send_attempts"))

    (key1, first), (key2, second) = await reports(rig)
    assert (key1, key2) == (f"accounts:{disconnected}", f"accounts:{restricted}")
    assert (first.sender_kind, first.sender_id, first.status, first.restriction_kind) == (
        types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT,
        disconnected,
        types_pb2.SENDER_STATUS_DISCONNECTED,
        "",
    )
    assert first.attempt_id == attempts[disconnected] and first.detail
    assert (second.sender_id, second.status, second.restriction_kind) == (
        restricted,
        types_pb2.SENDER_STATUS_RESTRICTED,
        "jail",
    )
    assert second.attempt_id == attempts[restricted] and second.detail == "Account restricted"
    for sender, status in ((disconnected, "disconnected"), (restricted, "restricted")):
        state = await sender_state(rig, sender)
        assert (state["provider_block"], state["failure_sample"], state["failure_alert"]) == (status, 0, False)
        assert state["status"] == "connected", "accounts decides the status; the scheduler only waits"
    assert await signals(rig) == []
    # The injected failures were one-offs: after the block the senders send again, and nothing more is reported.
    await rig.run_until(MONDAY_MIDDAY)
    assert len(await reports(rig)) == 2


async def agree_per_channel(rig: Rig, ids: list[str]) -> None:
    """What a sender's health change asks for one channel (active_on_channel) is what active_channels lists."""
    per_campaign = await rig.service.active_channels(ids)
    for channel in ("linkedin", "email"):
        assert sorted(await rig.service.active_on_channel(ids, channel)) == sorted(
            c for c, channels in per_campaign.items() if channel in channels
        ), channel


async def test_active_channels_follow_what_unfinished_prospects_still_have_to_do(rig):
    sender = await rig.add_sender(ROOMY)
    invite_message, _ = await rig.campaign([sender], 3)
    multichannel, mc_prospects = await rig.campaign([sender], 2, steps=INVITE_MESSAGE_EMAIL)
    empty, _ = await rig.campaign([sender], 0)
    unknown = str(uuid.uuid4())
    # A campaign of one message, to prospects already connected to its sender: they all finish.
    connected = await rig.add_sender(ROOMY, connections=[f"prov-{i}" for i in range(2)])
    message_only = str(uuid.uuid4())
    assert (
        await rig.service.upsert_plan(
            CampaignPlan(
                message_only,
                str(uuid.uuid4()),
                1,
                PARIS,
                True,
                (connected,),
                (),
                (Step(0, "linkedin", "linkedin_message", 0, "Hi"),),
            )
        )
    )[0]
    await rig.service.enroll(
        message_only, [Enrollee(str(uuid.uuid4()), f"prov-{i}", None, "P", "", "", {}) for i in range(2)]
    )
    # An active warm-up always has email ahead, with no prospect at all; a stopped one has nothing.
    warming, stopped_warmup = str(uuid.uuid4()), str(uuid.uuid4())
    for campaign_id, active in ((warming, True), (stopped_warmup, False)):
        plan = CampaignPlan(campaign_id, str(uuid.uuid4()), 1, PARIS, active, (), (), warmup=True)
        assert (await rig.service.upsert_plan(plan))[0]
    ids = [invite_message, multichannel, message_only, empty, unknown, warming, stopped_warmup]
    # Before any send: the first step and every step after it are active.
    assert await rig.service.active_channels(ids) == {
        invite_message: ["linkedin"],
        multichannel: ["linkedin", "email"],
        message_only: ["linkedin"],
        empty: [],
        unknown: [],
        warming: ["email"],
        stopped_warmup: [],
    }
    await agree_per_channel(rig, ids)

    await rig.run_until(MONDAY_MIDDAY)
    states = dict(
        await rig.pool.fetch(
            "SELECT campaign_id::text, array_agg(DISTINCT state) FROM scheduler.prospect_plans GROUP BY 1"
        )
    )
    assert states == {
        invite_message: ["waiting_acceptance"],
        multichannel: ["waiting_acceptance"],
        message_only: ["done"],
    }
    after = await rig.service.active_channels(ids)
    # Waiting for acceptance still has the LinkedIn message (and the email) ahead; finished has nothing ahead.
    assert after[invite_message] == ["linkedin"] and after[multichannel] == ["linkedin", "email"]
    assert after[message_only] == []
    await agree_per_channel(rig, ids)

    # Every prospect of the multichannel campaign accepts and gets its message: only the email step is ahead.
    account = await rig.account_of(sender)
    for p in mc_prospects:
        await rig.accept(account, f"prov-{p[:12]}")
        assert await rig.dispatcher.invite_accepted(account, f"prov-{p[:12]}", rig.clock.now()) == 1
    await rig.run_until(MONDAY_MIDDAY + timedelta(days=1))
    steps = await rig.pool.fetch(
        "SELECT step_index, state, channel FROM scheduler.prospect_plans WHERE campaign_id = $1",
        uuid.UUID(multichannel),
    )
    assert {(r["step_index"], r["state"], r["channel"]) for r in steps} == {(2, "scheduled", "email")}
    assert (await rig.service.active_channels([multichannel, invite_message])) == {
        multichannel: ["email"],
        invite_message: ["linkedin"],
    }
    await agree_per_channel(rig, ids)


async def test_the_new_rpcs_over_grpc(suite):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{suite.ports['scheduler']}") as channel:
        stub = scheduler_pb2_grpc.SchedulerServiceStub(channel)
        unknown = str(uuid.uuid4())
        reply = await stub.GetActiveChannels(scheduler_pb2.GetActiveChannelsRequest(campaign_ids=[unknown]), timeout=5)
        assert [(c.campaign_id, list(c.channels)) for c in reply.campaigns] == [(unknown, [])]
        with pytest.raises(grpc.aio.AioRpcError) as bad:
            await stub.GetActiveChannels(scheduler_pb2.GetActiveChannelsRequest(campaign_ids=["nope"]), timeout=5)
        assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT

        request = scheduler_pb2.StartProbationRequest(
            event_id=str(uuid.uuid4()),
            sender_ids=[str(uuid.uuid4())],
            until=to_timestamp(MONDAY_7_UTC + timedelta(days=3)),
        )
        assert (await stub.StartProbation(request, timeout=5)).applied
        assert not (await stub.StartProbation(request, timeout=5)).applied, "a redelivered event changes nothing"
        with pytest.raises(grpc.aio.AioRpcError) as missing:
            await stub.StartProbation(scheduler_pb2.StartProbationRequest(event_id=str(uuid.uuid4())), timeout=5)
        assert missing.value.code() == grpc.StatusCode.INVALID_ARGUMENT
