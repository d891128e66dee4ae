"""The claim finds its senders through the due actions of active, unheld campaigns (B11): a sender whose due
actions are all held, or whose campaign is inactive, takes no place in the batch, even when it comes first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from services.common.migrations import migrate
from services.scheduler.main import MIGRATIONS
from services.scheduler.repository import Tx

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


async def _sender(conn: asyncpg.Connection, next_send_after: datetime) -> str:
    sender = str(uuid.uuid4())
    await conn.execute(
        """INSERT INTO scheduler.sender_states (sender_kind, sender_id, version, status, timezone, updated_at,
               unipile_account_id, next_send_after) VALUES ('linkedin_account', $1, 1, 'connected', 'UTC', $2,
               'acc', $3)""",
        sender,
        NOW,
        next_send_after,
    )
    await conn.execute(
        """INSERT INTO scheduler.sender_limits (sender_id, action_type, daily_cap, weekly_cap, ramp_start,
               ramp_step, pacing_min_seconds, pacing_max_seconds)
           VALUES ($1, 'linkedin_invite', 10, 50, 10, 0, 0, 0)""",
        sender,
    )
    return sender


async def _campaign_with_due_invite(
    conn: asyncpg.Connection, sender: str, *, active: bool = True, held: tuple[str, ...] = ()
) -> str:
    campaign = str(uuid.uuid4())
    await conn.execute(
        """INSERT INTO scheduler.campaign_plans (campaign_id, workspace_id, version, days, window_start, window_end,
               timezone, randomize, active, linkedin_account_ids, updated_at)
           VALUES ($1, gen_random_uuid(), 1, ARRAY['mon','tue','wed','thu','fri','sat','sun'], '00:00', '23:59',
                   'UTC', false, $2, ARRAY[$3::uuid], $4)""",
        campaign,
        active,
        sender,
        NOW,
    )
    await conn.execute(
        "INSERT INTO scheduler.plan_steps (campaign_id, index, channel, action_type, delay_hours)"
        " VALUES ($1, 0, 'linkedin', 'linkedin_invite', 0)",
        campaign,
    )
    await conn.execute(
        "INSERT INTO scheduler.campaign_holds (campaign_id, version, held_scopes, updated_at) VALUES ($1, 1, $2, $3)",
        campaign,
        list(held),
        NOW,
    )
    due = NOW - timedelta(minutes=5)
    await conn.execute(
        """INSERT INTO scheduler.prospect_plans (prospect_id, campaign_id, linkedin_provider_id, state, channel,
               action_type, sender_id, due_at, next_action_at, linkedin_sender_id, updated_at)
           VALUES (gen_random_uuid(), $1, 'ACo1', 'scheduled', 'linkedin', 'linkedin_invite', $2, $3, $3, $2, $4)""",
        campaign,
        sender,
        due,
        NOW,
    )
    return campaign


async def test_senders_with_only_held_or_inactive_due_actions_take_no_place_in_the_batch(fresh_dsn: str) -> None:
    conn = await asyncpg.connect(fresh_dsn)
    try:
        await migrate(conn, "scheduler", MIGRATIONS)
        # First in line (longest since their last send), but nothing they may send now.
        held = await _sender(conn, datetime(2026, 1, 1, tzinfo=UTC))
        await _campaign_with_due_invite(conn, held, held=("campaign",))
        linkedin_held = await _sender(conn, datetime(2026, 1, 2, tzinfo=UTC))
        await _campaign_with_due_invite(conn, linkedin_held, held=("linkedin",))
        inactive = await _sender(conn, datetime(2026, 1, 3, tzinfo=UTC))
        await _campaign_with_due_invite(conn, inactive, active=False)
        ready = await _sender(conn, NOW - timedelta(hours=1))
        sendable = await _campaign_with_due_invite(conn, ready)

        async with conn.transaction():
            claimed = await Tx(conn).claim(NOW, 1)
        assert [(plan.campaign_id, sender.sender_id) for plan, sender in claimed] == [(sendable, ready)]

        async with conn.transaction():
            everything = await Tx(conn).claim(NOW, 10)
        assert [plan.campaign_id for plan, _ in everything] == [sendable]
    finally:
        await conn.close()


async def _claimed(conn: asyncpg.Connection, now: datetime) -> list[str]:
    async with conn.transaction():
        return [sender.sender_id for _, sender in await Tx(conn).claim(now, 10)]


async def test_the_ready_queue_names_a_sender_again_when_its_action_becomes_claimable(fresh_dsn: str) -> None:
    """The claim moves a sender with nothing to claim on in its ready queue (migration 013); every write that makes
    an action claimable brings it back: a hold lifted, a campaign activated, a plan written, time passing."""
    conn = await asyncpg.connect(fresh_dsn)
    try:
        await migrate(conn, "scheduler", MIGRATIONS)
        held_sender = await _sender(conn, NOW - timedelta(days=1))
        held = await _campaign_with_due_invite(conn, held_sender, held=("linkedin",))
        inactive_sender = await _sender(conn, NOW - timedelta(days=1))
        inactive = await _campaign_with_due_invite(conn, inactive_sender, active=False)
        later_sender = await _sender(conn, NOW - timedelta(days=1))
        later = await _campaign_with_due_invite(conn, later_sender)
        await conn.execute(
            "UPDATE scheduler.prospect_plans SET next_action_at = $2 WHERE campaign_id = $1",
            uuid.UUID(later),
            NOW + timedelta(hours=2),
        )
        idle_sender = await _sender(conn, NOW - timedelta(days=1))

        assert await _claimed(conn, NOW) == []
        due = {
            str(r["sender_id"]): r["due"]
            for r in await conn.fetch(
                "SELECT sender_id, CASE WHEN due_at = 'infinity' THEN 'never' ELSE due_at::text END AS due"
                " FROM scheduler.sender_due"
            )
        }
        # Requeued: never for the held and the inactive ones and the one with no plan, in two hours for the other.
        assert [due[held_sender], due[inactive_sender], due[idle_sender]] == ["never"] * 3
        assert due[later_sender] != "never"
        assert await conn.fetchval(
            "SELECT due_at FROM scheduler.sender_due WHERE sender_id = $1", uuid.UUID(later_sender)
        ) == NOW + timedelta(hours=2)
        assert await _claimed(conn, NOW) == []

        await conn.execute(
            "UPDATE scheduler.campaign_holds SET version = 2, held_scopes = '{}' WHERE campaign_id = $1",
            uuid.UUID(held),
        )
        assert await _claimed(conn, NOW) == [held_sender]
        await conn.execute(
            "UPDATE scheduler.campaign_plans SET active = true WHERE campaign_id = $1", uuid.UUID(inactive)
        )
        assert sorted(await _claimed(conn, NOW)) == sorted([held_sender, inactive_sender])
        await _campaign_with_due_invite(conn, idle_sender)
        assert sorted(await _claimed(conn, NOW)) == sorted([held_sender, inactive_sender, idle_sender])
        assert sorted(await _claimed(conn, NOW + timedelta(hours=3))) == sorted(
            [held_sender, inactive_sender, idle_sender, later_sender]
        )
    finally:
        await conn.close()
