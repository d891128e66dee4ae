"""The scheduler's planner and dispatcher on virtual time: real PostgreSQL, the real Unipile client over
real HTTP to the Unipile-compatible sandbox."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import asyncpg
import pytest

from services.common import timemath
from services.common.clock import ManualClock
from services.common.providers.unipile import UnipileClient
from services.scheduler.dispatcher import Dispatcher
from services.scheduler.domain import Limits
from services.scheduler.providers import Providers
from services.scheduler.repository import Repository
from tests.scheduler_rig import MONDAY_7_UTC, PARIS, Rig, scheduler_rig


@pytest.fixture
async def rig(fresh_dsn) -> AsyncIterator[Rig]:
    async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC)) as built:
        yield built


NO_PACING = Limits(
    daily_cap=10, weekly_cap=1000, ramp_start=10, ramp_step=0, pacing_min_seconds=0, pacing_max_seconds=0
)


async def planned(rig: Rig, campaign_id: str) -> list[datetime]:
    rows = await rig.pool.fetch(
        "SELECT next_action_at FROM scheduler.prospect_plans WHERE campaign_id = $1"
        " AND state = 'scheduled' ORDER BY next_action_at",
        uuid.UUID(campaign_id),
    )
    return [r["next_action_at"] for r in rows]


def per_local_day(instants: list[datetime], tz: str = "Europe/Paris") -> Counter:
    return Counter(timemath.local_date(tz, i) for i in instants)


async def test_enrolling_a_large_list_spreads_it_under_the_cap(rig):
    sender = await rig.add_sender(NO_PACING)
    campaign, _ = await rig.campaign([sender], 25)
    times = await planned(rig, campaign)
    assert len(times) == 25
    assert sorted(per_local_day(times).values()) == [5, 10, 10]
    assert all(timemath.is_open(PARIS, t) for t in times)


async def test_invites_go_out_inside_windows_under_caps_once_each(rig):
    sender = await rig.add_sender(NO_PACING)
    campaign, prospects = await rig.campaign([sender], 25)
    sent = await rig.run_until(MONDAY_7_UTC + timedelta(days=7))
    assert sent == 25
    invites = rig.sandbox.invitations
    assert len(invites) == 25
    assert len({i.provider_id for i in invites}) == 25, "nobody was invited twice"
    attempts = await rig.pool.fetch("SELECT started_at, status FROM scheduler.send_attempts")
    assert {a["status"] for a in attempts} == {"succeeded"}
    assert all(timemath.is_open(PARIS, a["started_at"]) for a in attempts)
    assert max(per_local_day([a["started_at"] for a in attempts]).values()) <= 10
    states = await rig.pool.fetch("SELECT state FROM scheduler.prospect_plans")
    assert {s["state"] for s in states} == {"waiting_acceptance"}


async def test_acceptance_schedules_the_message_after_its_delay_and_never_reinvites(rig):
    sender = await rig.add_sender(NO_PACING)
    campaign, prospects = await rig.campaign([sender], 3)
    await rig.run_until(MONDAY_7_UTC + timedelta(days=1))
    invitation = rig.sandbox.invitations[0]
    accepted_at = rig.clock.now()
    await rig.accept(invitation.account_id, invitation.provider_id)
    advanced = await rig.dispatcher.invite_accepted(invitation.account_id, invitation.provider_id, accepted_at)
    assert advanced == 1
    row = await rig.pool.fetchrow(
        "SELECT * FROM scheduler.prospect_plans WHERE linkedin_provider_id = $1", invitation.provider_id
    )
    assert row["state"] == "scheduled" and row["step_index"] == 1
    assert row["due_at"] == accepted_at + timedelta(hours=48)
    assert row["next_action_at"] >= row["due_at"] and timemath.is_open(PARIS, row["next_action_at"])
    # Accepting again (a duplicated webhook) changes nothing.
    assert await rig.dispatcher.invite_accepted(invitation.account_id, invitation.provider_id, accepted_at) == 0
    await rig.run_until(accepted_at + timedelta(days=5))
    messages = [m for c in rig.sandbox.chats.values() for m in c.messages]
    assert len(messages) == 1 and "Thanks for connecting" in messages[0].text
    assert len([i for i in rig.sandbox.invitations if i.provider_id == invitation.provider_id]) == 1


async def test_a_three_day_pause_spreads_its_backlog_as_the_preview_said(rig):
    sender = await rig.add_sender(NO_PACING)
    campaign, _ = await rig.campaign([sender], 40)
    await rig.run_until(MONDAY_7_UTC + timedelta(hours=3))  # Monday morning: some went out
    sent_before = len(rig.sandbox.invitations)
    assert 0 < sent_before <= 10
    assert (await rig.service.set_holds(campaign, 1, ["campaign"]))[0]
    await rig.run_until(MONDAY_7_UTC + timedelta(days=3, hours=3))  # held: nothing goes out until Thursday
    assert len(rig.sandbox.invitations) == sent_before

    preview = await rig.service.preview(campaign)
    overdue_ids = [
        r["prospect_id"]
        for r in await rig.pool.fetch(
            "SELECT prospect_id FROM scheduler.prospect_plans WHERE state = 'scheduled' AND next_action_at <= $1",
            rig.clock.now(),
        )
    ]
    assert preview.overdue == len(overdue_ids) > 0
    applied, replanned = await rig.service.set_holds(campaign, 2, [])
    assert applied and replanned == preview.overdue
    replanned_times = [
        r["next_action_at"]
        for r in await rig.pool.fetch(
            "SELECT next_action_at FROM scheduler.prospect_plans WHERE prospect_id = ANY($1)", overdue_ids
        )
    ]
    assert {(d, "linkedin", n) for d, n in per_local_day(replanned_times).items()} == set(preview.days)
    times = await planned(rig, campaign)
    assert max(per_local_day(times).values()) <= 10, "no day over the cap: no burst"
    assert min(times) >= rig.clock.now() and all(timemath.is_open(PARIS, t) for t in times)
    # Order is kept: who was due first goes first.
    rows = await rig.pool.fetch(
        "SELECT due_at, next_action_at FROM scheduler.prospect_plans WHERE state = 'scheduled' ORDER BY next_action_at"
    )
    assert [r["due_at"] for r in rows] == sorted(r["due_at"] for r in rows)
    # A stale hold version changes nothing.
    assert (await rig.service.set_holds(campaign, 1, ["campaign"])) == (False, 0)


async def test_a_batch_with_two_versions_of_a_campaign_replans_by_the_newest(rig):
    """A batch of holds may carry two versions of one campaign, the newer first: the newest is stored, and the
    backlog of the scope it releases is re-planned by it (not by the older scopes, which still held it)."""
    sender = await rig.add_sender(NO_PACING)
    campaign, _ = await rig.campaign([sender], 40)
    await rig.run_until(MONDAY_7_UTC + timedelta(hours=3))
    assert (await rig.service.set_holds(campaign, 1, ["linkedin"]))[0]
    await rig.run_until(MONDAY_7_UTC + timedelta(days=3, hours=3))
    overdue = await rig.pool.fetchval(
        "SELECT count(*) FROM scheduler.prospect_plans WHERE state = 'scheduled' AND next_action_at <= $1",
        rig.clock.now(),
    )
    assert overdue > 0
    applied, replanned = await rig.service.set_holds_many([(campaign, 3, [], None), (campaign, 2, ["linkedin"], None)])
    assert (applied, replanned) == (1, overdue)
    assert (
        await rig.pool.fetchval("SELECT held_scopes FROM scheduler.campaign_holds WHERE campaign_id = $1", campaign)
        == []
    )
    times = await planned(rig, campaign)
    assert min(times) >= rig.clock.now() and max(per_local_day(times).values()) <= 10


async def test_a_held_channel_does_not_stop_the_other(rig):
    sender = await rig.add_sender(NO_PACING)
    campaign, _ = await rig.campaign([sender], 5)
    await rig.service.set_holds(campaign, 1, ["email"])
    assert await rig.run_until(MONDAY_7_UTC + timedelta(days=1)) == 5


async def test_an_attempt_cut_off_by_a_crash_is_reconciled_not_repeated(rig):
    sender = await rig.add_sender(NO_PACING)
    campaign, prospects = await rig.campaign([sender], 2)
    rig.clock.set(MONDAY_7_UTC + timedelta(hours=2))
    # Simulate a crash after the provider call: the invite exists at Unipile, the attempt stayed 'started'.
    async with rig.service._repo.transaction() as tx:  # noqa: SLF001 (test drives the claim itself)
        claimed = await tx.claim(rig.clock.now(), 10)
        assert len(claimed) == 1
        row, snd = claimed[0]
        await tx.start_attempt(
            row, snd, timemath.local_date("Europe/Paris", rig.clock.now()), rig.clock.now(), rig.clock.now()
        )
    await rig.dispatcher._unipile.send_invite(snd.unipile_account_id, row.linkedin_provider_id, "Hi")  # noqa: SLF001
    rig.clock.advance(timedelta(minutes=11))
    assert await rig.dispatcher.reconcile_once() == 1
    attempt = await rig.pool.fetchrow("SELECT status, outcome FROM scheduler.send_attempts")
    assert (attempt["status"], attempt["outcome"]) == ("reconciled_sent", "confirmed")
    await rig.run_until(MONDAY_7_UTC + timedelta(days=2))
    assert sorted(i.provider_id for i in rig.sandbox.invitations) == sorted(f"prov-{p[:12]}" for p in prospects), (
        "each prospect invited exactly once"
    )


async def test_a_crash_before_the_provider_call_retries_the_step_once(rig):
    sender = await rig.add_sender(NO_PACING)
    await rig.campaign([sender], 1)
    rig.clock.set(MONDAY_7_UTC + timedelta(hours=2))
    async with rig.service._repo.transaction() as tx:  # noqa: SLF001
        row, snd = (await tx.claim(rig.clock.now(), 10))[0]
        await tx.start_attempt(
            row, snd, timemath.local_date("Europe/Paris", rig.clock.now()), rig.clock.now(), rig.clock.now()
        )
    rig.clock.advance(timedelta(minutes=11))
    assert await rig.dispatcher.reconcile_once() == 1
    assert await rig.pool.fetchval("SELECT status FROM scheduler.send_attempts") == "abandoned"
    await rig.run_until(MONDAY_7_UTC + timedelta(days=1))
    assert len(rig.sandbox.invitations) == 1
    assert await rig.pool.fetchval("SELECT count(*) FROM scheduler.send_attempts WHERE status = 'succeeded'") == 1


async def test_two_dispatchers_on_one_database_never_send_twice(rig, fresh_dsn):
    senders = [await rig.add_sender(Limits(50, 1000, 50, 0, 0, 0)) for _ in range(4)]
    await rig.campaign(senders, 120)
    other_pool = await asyncpg.create_pool(fresh_dsn, min_size=1, max_size=8)
    try:
        second = Dispatcher(Repository(other_pool), rig.dispatcher._providers, rig.clock, batch=50)  # noqa: SLF001
        rig.clock.set(MONDAY_7_UTC + timedelta(hours=8, minutes=59))  # 16:59 in Paris: all of Monday is due
        for _ in range(100):
            done = await asyncio.gather(rig.dispatcher.run_once(), second.run_once())
            if sum(done) == 0:
                break
    finally:
        await other_pool.close()
    assert len(rig.sandbox.invitations) == 120
    assert len({i.provider_id for i in rig.sandbox.invitations}) == 120


async def test_rate_limits_defer_without_counting_and_disconnection_stops_the_sender(rig):
    sender = await rig.add_sender(NO_PACING)
    campaign, _ = await rig.campaign([sender], 3)
    rig.clock.set(MONDAY_7_UTC + timedelta(hours=2))
    await rig.control(
        "failures", {"endpoint": "send_invite", "status": 429, "type": "errors/too_many_requests", "retry_after": 600}
    )
    assert await rig.dispatcher.run_once() == 1
    attempt = await rig.pool.fetchrow("SELECT status, outcome FROM scheduler.send_attempts")
    assert (attempt["status"], attempt["outcome"]) == ("failed", "rate_limited")
    assert await rig.dispatcher.run_once() == 0, "the sender waits out the provider's Retry-After"
    rig.clock.advance(timedelta(minutes=11))
    await rig.control("failures", {"endpoint": "send_invite", "status": 401, "type": "errors/disconnected_account"})
    assert await rig.dispatcher.run_once() == 1
    # The provider's word stops the sender at once; its status stays what accounts says.
    assert await rig.pool.fetchval("SELECT status FROM scheduler.sender_states") == "connected"
    rig.clock.advance(timedelta(minutes=10))
    assert await rig.dispatcher.run_once() == 0
    ids = [str(r[0]) for r in await rig.pool.fetch("SELECT prospect_id FROM scheduler.prospect_plans")]
    views = await rig.service.list_plans(campaign, ids)
    assert all("sender_reported_disconnected" in v.why_not_now for v in views), [v.why_not_now for v in views]
    # Accounts re-read the account and found it fine (it says nothing): sending resumes after the block.
    await rig.run_until(MONDAY_7_UTC + timedelta(hours=5))
    assert len(rig.sandbox.invitations) == 3


async def test_a_disconnection_confirmed_by_accounts_stops_the_sender_until_it_reconnects(rig):
    sender = await rig.add_sender(NO_PACING)
    campaign, ids = await rig.campaign([sender], 3)
    rig.clock.set(MONDAY_7_UTC + timedelta(hours=2))
    account = await rig.pool.fetchval("SELECT unipile_account_id FROM scheduler.sender_states")
    await rig.service.set_sender("linkedin_account", sender, 2, "disconnected", "Europe/Paris", None, account, "", {})
    await rig.run_until(MONDAY_7_UTC + timedelta(days=3))
    assert rig.sandbox.invitations == [], "nothing is sent through a disconnected account"
    views = await rig.service.list_plans(campaign, ids)
    assert all("sender_disconnected" in v.why_not_now for v in views)
    await rig.service.set_sender("linkedin_account", sender, 3, "connected", "Europe/Paris", None, account, "", {})
    await rig.run_until(MONDAY_7_UTC + timedelta(days=4))
    assert len(rig.sandbox.invitations) == 3


async def test_pacing_never_pushes_a_send_past_the_window_end(rig):
    """Found by the 30-day simulation: an action planned inside the window, delayed by its sender's pacing
    gap past the window's end, must wait for the next window rather than go out late."""
    short = timemath.Schedule.parse(["mon", "tue", "wed", "thu", "fri"], "09:00", "10:00", "Europe/Paris")
    # Planned 10 minutes apart (the minimum gap), but each real gap is drawn up to 50 minutes.
    sender = await rig.add_sender(Limits(10, 100, 10, 0, 600, 3000))
    await rig.campaign([sender], 12, schedule=short)
    await rig.run_until(MONDAY_7_UTC + timedelta(days=14))
    attempts = await rig.pool.fetch("SELECT started_at FROM scheduler.send_attempts WHERE status = 'succeeded'")
    assert len(attempts) == 12
    assert all(timemath.is_open(short, a["started_at"]) for a in attempts)
    assert len(per_local_day([a["started_at"] for a in attempts])) > 2, "the overflow waited for later windows"


async def test_acceptances_the_webhook_missed_are_found_by_polling_relations(rig):
    sender = await rig.add_sender(NO_PACING)
    await rig.campaign([sender], 3)
    await rig.run_until(MONDAY_7_UTC + timedelta(days=1))
    invitation = rig.sandbox.invitations[1]
    # Accepted on LinkedIn, but no webhook arrives.
    await rig.control(
        f"accounts/{invitation.account_id}/accept", {"provider_id": invitation.provider_id, "notify": False}
    )
    assert await rig.dispatcher.poll_acceptances_once() == 1
    states = dict(await rig.pool.fetch("SELECT linkedin_provider_id, state FROM scheduler.prospect_plans"))
    assert states[invitation.provider_id] == "scheduled"
    assert sorted(states.values()) == ["scheduled", "waiting_acceptance", "waiting_acceptance"]
    # The next poll of that account is a few hours away (4 h +-25 %), not immediate.
    next_poll = await rig.pool.fetchval("SELECT next_relations_poll_at FROM scheduler.sender_states")
    assert timedelta(hours=3) <= next_poll - rig.clock.now() <= timedelta(hours=5)
    assert await rig.dispatcher.poll_acceptances_once() == 0
    rig.clock.advance(timedelta(hours=5))
    assert await rig.dispatcher.poll_acceptances_once() == 0, "nothing new accepted"


async def test_an_unknown_outcome_is_reconciled_not_retried_blindly(rig):
    """S8: no answer within the time-out means Unipile may have acted. The attempt stays open; the
    reconciler asks Unipile, finds no invitation, and only then is the step tried again, once."""
    sender = await rig.add_sender(NO_PACING)
    await rig.campaign([sender], 1)
    rig.clock.set(MONDAY_7_UTC + timedelta(hours=2))
    impatient = UnipileClient(rig.sandbox_url, "test-key", rig.http, timeout_s=0.2)
    hasty = Dispatcher(
        Repository(rig.pool),
        Providers(impatient, rig.dispatcher._providers._credentials),  # noqa: SLF001
        rig.clock,
        unipile=impatient,
    )
    await rig.control("latency", {"endpoint": "send_invite", "ms": 1000})
    assert await hasty.run_once() == 1
    await rig.control("latency", {"endpoint": "send_invite", "ms": 0})
    assert await rig.pool.fetchval("SELECT status FROM scheduler.send_attempts") == "started"
    assert await rig.pool.fetchval("SELECT state FROM scheduler.prospect_plans") == "in_flight"
    rig.clock.advance(timedelta(minutes=5))
    assert await rig.dispatcher.run_once() == 0, "not retried while its outcome is unknown"
    rig.clock.advance(timedelta(minutes=6))
    assert await rig.dispatcher.reconcile_once() == 1
    await rig.run_until(MONDAY_7_UTC + timedelta(days=1))
    assert len(rig.sandbox.invitations) == 1
    statuses = sorted(r["status"] for r in await rig.pool.fetch("SELECT status FROM scheduler.send_attempts"))
    assert statuses == ["abandoned", "succeeded"]
