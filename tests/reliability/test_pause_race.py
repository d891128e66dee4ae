"""The pause guarantee: once a hold is recorded and acknowledged, no send on the held scope starts afterwards,
and none is still at the provider.

Each trial races one dispatcher round against a hold being set on the campaign whose actions are all due: the
real Dispatcher and SchedulerService on a fresh database, sending through the real Unipile client to the
sandbox with a small latency, so the hold often lands while sends are in flight. Events are ordered by the
database's clock (clock_timestamp()), never by the virtual clock: each attempt records when its claim wrote it
(claimed_at) and when its outcome was recorded (settled_at), the holds row when the hold was written (after
its row lock: changed_at), and the test reads the database clock right after set_holds returns (the ack).

Set PAUSE_RACE_SEED to replay a run."""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from datetime import UTC, datetime

from services.common import timemath
from services.common.clock import ManualClock
from services.scheduler.domain import CampaignPlan, Limits, Step
from services.scheduler.plan_rows_repository import Enrollee
from services.scheduler.service import pick
from tests.scheduler_rig import Rig, scheduler_rig

TRIALS = 1000
CONTROL_TRIALS = 30
PROSPECTS = 3
SEED = int(os.environ.get("PAUSE_RACE_SEED") or random.SystemRandom().randrange(2**32))
ALWAYS = timemath.Schedule.parse(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "00:00", "23:59", "UTC")
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
# Caps far above what 1,000 trials send in one virtual instant; no pacing, so every round may send.
UNLIMITED = Limits(
    daily_cap=100_000, weekly_cap=100_000, ramp_start=100_000, ramp_step=0, pacing_min_seconds=0, pacing_max_seconds=0
)
INVITE = (Step(0, "linkedin", "linkedin_invite", 0, "Hi {{first_name}}"),)


async def due_campaign(rig: Rig, senders: list[str]) -> str:
    """A campaign with one prospect per sender (so one round can send them all), every action due now."""
    campaign = str(uuid.uuid4())
    assert (
        await rig.service.upsert_plan(
            CampaignPlan(campaign, str(uuid.uuid4()), 1, ALWAYS, True, tuple(senders), (), INVITE)
        )
    )[0]
    prospects: dict[str, str] = {}
    while len(prospects) < len(senders):
        candidate = str(uuid.uuid4())
        prospects.setdefault(pick(tuple(senders), candidate) or "", candidate)
    await rig.service.enroll(campaign, [Enrollee(p, f"prov-{p}", None, "P", "", "", {}) for p in prospects.values()])
    # Enrolling spreads a list over the window (S4); the race wants every action due now.
    await rig.pool.execute(
        "UPDATE scheduler.prospect_plans SET next_action_at = $2 WHERE campaign_id = $1 AND state = 'scheduled'",
        uuid.UUID(campaign),
        rig.clock.now(),
    )
    return campaign


async def finish(rig: Rig, campaign: str) -> None:
    """Forget the trial's plan (its attempts stay in the ledger), so held leftovers never reach a later claim."""
    await rig.pool.execute("DELETE FROM scheduler.campaign_plans WHERE campaign_id = $1", uuid.UUID(campaign))


async def jitter(rng: random.Random) -> None:
    if rng.random() < 0.5:
        for _ in range(rng.randrange(0, 30)):
            await asyncio.sleep(0)
    else:
        await asyncio.sleep(rng.uniform(0, 0.006))


async def test_no_send_on_a_held_campaign_starts_after_the_hold_is_acknowledged(fresh_dsn):
    rng = random.Random(SEED)
    async with scheduler_rig(fresh_dsn, ManualClock(NOON)) as rig:
        await rig.control("latency", {"endpoint": "send_invite", "ms": 3})
        senders = [await rig.add_sender(UNLIMITED, tz="UTC") for _ in range(PROSPECTS)]

        # Control: without a hold the same round sends, so the assertions below can fail.
        for _ in range(CONTROL_TRIALS):
            campaign = await due_campaign(rig, senders)
            assert await rig.dispatcher.run_once() == PROSPECTS
            await finish(rig, campaign)
        assert len(rig.sandbox.invitations) == CONTROL_TRIALS * PROSPECTS

        raced = blocked = drained = after_write = after_ack = in_flight_after_ack = 0
        for _ in range(TRIALS):
            campaign = await due_campaign(rig, senders)
            scopes = [rng.choice(["campaign", "linkedin"])]

            async def dispatch() -> int:
                await jitter(rng)
                return await rig.dispatcher.run_once()

            async def hold(campaign: str = campaign, scopes: list[str] = scopes) -> datetime:
                await jitter(rng)
                assert (await rig.service.set_holds(campaign, 1, scopes))[0]
                return await rig.pool.fetchval("SELECT clock_timestamp()")

            sent, ack = await asyncio.gather(dispatch(), hold())
            changed_at = await rig.pool.fetchval(
                "SELECT changed_at FROM scheduler.campaign_holds WHERE campaign_id = $1", uuid.UUID(campaign)
            )
            attempts = await rig.pool.fetch(
                "SELECT claimed_at, settled_at, status FROM scheduler.send_attempts WHERE campaign_id = $1",
                uuid.UUID(campaign),
            )
            assert len(attempts) == sent
            # The guarantee: every claim on the held campaign wrote its attempt before the hold was written
            # (so before the ack), and every send it started was over before the ack.
            after_write += sum(a["claimed_at"] > changed_at for a in attempts)
            after_ack += sum(a["claimed_at"] > ack for a in attempts)
            in_flight_after_ack += sum(a["settled_at"] is None or a["settled_at"] > ack for a in attempts)
            raced += sent
            blocked += sent < PROSPECTS
            drained += any(a["settled_at"] is not None and a["settled_at"] > changed_at for a in attempts)
            await finish(rig, campaign)
        # What the provider received is exactly what the ledger says was sent: nothing went out unrecorded.
        assert len(rig.sandbox.invitations) == CONTROL_TRIALS * PROSPECTS + raced

    print(
        f"\npause race (seed {SEED}): trials {TRIALS}, sends raced through before the hold {raced}, "
        f"trials where the hold stopped sends {blocked}, trials whose ack waited for sends in flight {drained}; "
        f"violations: claimed after the ack {after_ack}, claimed after the hold was written {after_write}, "
        f"still in flight after the ack {in_flight_after_ack}"
    )
    assert after_ack == 0 and after_write == 0
    assert in_flight_after_ack == 0
    # The trials really raced: some sends went out before the hold, some were stopped by it, and some acks had
    # to wait for sends already at the provider.
    assert raced > 0 and blocked > 0 and drained > 0
