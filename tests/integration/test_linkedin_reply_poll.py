"""V2 safety net: a reply whose message_received webhook was lost is found by the jittered poll of each LinkedIn
sender's recent chats (the real Unipile client against the sandbox, real PostgreSQL, virtual time); two
replicas polling at once read Unipile once; a message is recorded once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from services.common.clock import ManualClock
from services.common.providers.unipile import UnipileClient
from services.scheduler.domain import Limits
from services.scheduler.linkedin_replies import LinkedInReplies
from services.scheduler.repository import Repository
from services.scheduler.voices import ProspectVoices
from tests.scheduler_rig import MONDAY_7_UTC, scheduler_rig

LIMITS = Limits(daily_cap=50, weekly_cap=200, ramp_start=50, ramp_step=0, pacing_min_seconds=0, pacing_max_seconds=0)
POLL = timedelta(minutes=15)


async def test_a_missed_webhook_is_caught_by_the_chat_poll_once_and_by_one_replica(fresh_dsn):
    async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC)) as rig:
        repo = Repository(rig.pool)
        voices = ProspectVoices(repo, rig.clock)
        unipile = UnipileClient(rig.sandbox_url, "test-key", rig.http)
        replicas = [LinkedInReplies(repo, unipile, voices, rig.clock, poll_interval=POLL) for _ in range(2)]
        sender = await rig.add_sender(LIMITS)
        account = await rig.account_of(sender)
        campaign_id, prospects = await rig.campaign([sender], 3)
        await rig.run_until(MONDAY_7_UTC + timedelta(hours=6))
        providers = [f"prov-{p[:12]}" for p in prospects]
        for provider in providers:
            await rig.accept(account, provider)
            await rig.dispatcher.invite_accepted(account, provider)

        # The first poll reads everything there is (nothing from prospects yet).
        assert sum(await asyncio.gather(*(r.poll_once() for r in replicas))) == 0
        await rig.control(
            f"accounts/{account}/messages",
            {"provider_id": providers[0], "text": "Sounds good, call me", "notify": False},
        )
        await rig.control(
            f"accounts/{account}/messages", {"provider_id": "stranger-1", "text": "unsubscribe", "notify": False}
        )
        # Not due yet: nothing is read.
        calls = rig.sandbox.calls["list_chats"]
        assert await replicas[0].poll_once() == 0 and rig.sandbox.calls["list_chats"] == calls

        rig.clock.set(rig.clock.now() + POLL * 1.3)
        found = await asyncio.gather(*(r.poll_once() for r in replicas))
        assert sorted(found) == [0, 1]
        assert rig.sandbox.calls["list_chats"] == calls + 1, "two replicas, one read"
        plans = {v.plan.prospect_id: v for v in await rig.service.list_plans(campaign_id, prospects)}
        assert plans[prospects[0]].why_not_now == ["replied"]
        assert plans[prospects[1]].plan.state == "scheduled"

        # Later polls do not record it again; a new message is found.
        await rig.control(
            f"accounts/{account}/messages",
            {"provider_id": providers[1], "text": "I am out of the office until March 20.", "notify": False},
        )
        rig.clock.set(rig.clock.now() + POLL * 1.3)
        assert await replicas[1].poll_once() == 1
        events = await voices.events(prospects[1])
        assert [e.voice for e in events] == ["out_of_office"] and events[0].channel == "linkedin"
        assert len(await voices.events(prospects[0])) == 1
        assert await rig.pool.fetchval("SELECT count(*) FROM scheduler.voice_events") == 2
