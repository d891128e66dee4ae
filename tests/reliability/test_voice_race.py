"""V8: no send to a prospect starts after its reply, opt-out or suppression was acknowledged, and none is still
at the provider then.

Tested as the pause race is (test_pause_race.py): each trial races one dispatcher round against a voice being
recorded for a prospect whose action is due (or a domain suppression for every prospect of the trial), with
the real Dispatcher, ProspectVoices and the real Unipile client against the sandbox with a small latency, so
the voice often lands while sends are in flight. Events are ordered by the database's clock: each attempt's
claimed_at and settled_at, the plan row's voice_changed_at (written after its row lock), and the ack read
right after the call returns. The prospect must also end stopped: the outcome of a send claimed before the
voice never revives it.

Set VOICE_RACE_SEED to replay a run."""

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
from services.scheduler.repository import Repository
from services.scheduler.service import pick
from services.scheduler.voices import ProspectVoices
from tests.scheduler_rig import Rig, scheduler_rig

TRIALS = int(os.environ.get("VOICE_RACE_TRIALS") or 1000)
CONTROL_TRIALS = 30
PROSPECTS = 3
SEED = int(os.environ.get("VOICE_RACE_SEED") or random.SystemRandom().randrange(2**32))
ALWAYS = timemath.Schedule.parse(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "00:00", "23:59", "UTC")
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
UNLIMITED = Limits(
    daily_cap=100_000, weekly_cap=100_000, ramp_start=100_000, ramp_step=0, pacing_min_seconds=0, pacing_max_seconds=0
)
INVITE = (Step(0, "linkedin", "linkedin_invite", 0, "Hi {{first_name}}"),)


async def due_campaign(rig: Rig, senders: list[str], workspace: str, domain: str) -> list[str]:
    """A campaign with one prospect per sender, every action due now; returns the prospects."""
    campaign = str(uuid.uuid4())
    assert (
        await rig.service.upsert_plan(CampaignPlan(campaign, workspace, 1, ALWAYS, True, tuple(senders), (), INVITE))
    )[0]
    prospects: dict[str, str] = {}
    while len(prospects) < len(senders):
        candidate = str(uuid.uuid4())
        prospects.setdefault(pick(tuple(senders), candidate) or "", candidate)
    await rig.service.enroll(
        campaign,
        [Enrollee(p, f"prov-{p}", f"p{i}@{domain}", "P", "", "", {}) for i, p in enumerate(prospects.values())],
    )
    await rig.pool.execute(
        "UPDATE scheduler.prospect_plans SET next_action_at = $2 WHERE campaign_id = $1 AND state = 'scheduled'",
        uuid.UUID(campaign),
        rig.clock.now(),
    )
    return list(prospects.values())


async def forget(rig: Rig, prospects: list[str]) -> None:
    """Forget the trial's plan (its attempts stay in the ledger)."""
    await rig.pool.execute(
        "DELETE FROM scheduler.campaign_plans WHERE campaign_id = (SELECT campaign_id FROM scheduler.prospect_plans"
        " WHERE prospect_id = $1)",
        uuid.UUID(prospects[0]),
    )


async def jitter(rng: random.Random) -> None:
    if rng.random() < 0.5:
        for _ in range(rng.randrange(0, 30)):
            await asyncio.sleep(0)
    else:
        await asyncio.sleep(rng.uniform(0, 0.006))


async def test_no_send_to_a_prospect_starts_after_its_reply_opt_out_or_suppression_is_acknowledged(fresh_dsn):
    rng = random.Random(SEED)
    async with scheduler_rig(fresh_dsn, ManualClock(NOON)) as rig:
        voices = ProspectVoices(Repository(rig.pool), rig.clock)
        workspace = str(uuid.uuid4())
        await rig.control("latency", {"endpoint": "send_invite", "ms": 3})
        senders = [await rig.add_sender(UNLIMITED, tz="UTC") for _ in range(PROSPECTS)]

        # Control: without a voice the same round sends, so the assertions below can fail.
        for n in range(CONTROL_TRIALS):
            prospects = await due_campaign(rig, senders, workspace, f"control{n}.example")
            assert await rig.dispatcher.run_once() == PROSPECTS
            await forget(rig, prospects)
        assert len(rig.sandbox.invitations) == CONTROL_TRIALS * PROSPECTS

        raced = blocked = drained = after_write = after_ack = in_flight_after_ack = revived = 0
        kinds: dict[str, int] = {}
        for n in range(TRIALS):
            domain = f"trial{n}.example"
            prospects = await due_campaign(rig, senders, workspace, domain)
            kind = rng.choice(["replied", "opted_out", "suppression"])
            kinds[kind] = kinds.get(kind, 0) + 1
            spoken = prospects if kind == "suppression" else [rng.choice(prospects)]

            async def dispatch() -> int:
                await jitter(rng)
                return await rig.dispatcher.run_once()

            async def speak(kind: str = kind, spoken: list[str] = spoken, domain: str = domain) -> datetime:
                await jitter(rng)
                if kind == "suppression":
                    await voices.change_suppressions(workspace, [("domain", domain)], [])
                else:
                    assert (await voices.record(str(uuid.uuid4()), spoken[0], kind)).applied
                return await rig.pool.fetchval("SELECT clock_timestamp()")

            sent, ack = await asyncio.gather(dispatch(), speak())
            rows = await rig.pool.fetch(
                "SELECT prospect_id, state, stop_reason, voice_changed_at FROM scheduler.prospect_plans"
                " WHERE prospect_id = ANY($1::uuid[])",
                [uuid.UUID(p) for p in spoken],
            )
            attempts = await rig.pool.fetch(
                "SELECT prospect_id, claimed_at, settled_at FROM scheduler.send_attempts"
                " WHERE prospect_id = ANY($1::uuid[])",
                [uuid.UUID(p) for p in prospects],
            )
            assert len(attempts) == sent
            changed = {r["prospect_id"]: r["voice_changed_at"] for r in rows}
            mine = [a for a in attempts if a["prospect_id"] in changed]
            after_write += sum(a["claimed_at"] > changed[a["prospect_id"]] for a in mine)
            after_ack += sum(a["claimed_at"] > ack for a in mine)
            in_flight_after_ack += sum(a["settled_at"] is None or a["settled_at"] > ack for a in mine)
            revived += sum(r["state"] != "stopped" for r in rows)
            raced += len(mine)
            blocked += len(mine) < len(spoken)
            drained += any(a["settled_at"] is not None and a["settled_at"] > changed[a["prospect_id"]] for a in mine)
            await forget(rig, prospects)
        # What the provider received is exactly what the ledger says was sent: nothing went out unrecorded.
        assert len(rig.sandbox.invitations) == await rig.pool.fetchval("SELECT count(*) FROM scheduler.send_attempts")

    print(
        f"\nvoice race (seed {SEED}): trials {TRIALS} {kinds}, sends to the speaking prospect raced through "
        f"before its voice {raced}, trials where the voice stopped a send {blocked}, trials whose ack waited for a "
        f"send in flight {drained}; violations: claimed after the ack {after_ack}, claimed after the voice was "
        f"written {after_write}, still in flight after the ack {in_flight_after_ack}, prospects revived {revived}"
    )
    assert after_ack == 0 and after_write == 0
    assert in_flight_after_ack == 0
    assert revived == 0
    assert raced > 0 and blocked > 0 and drained > 0
