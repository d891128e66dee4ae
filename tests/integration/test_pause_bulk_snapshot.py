"""A bulk pause that waits for a campaign's row lock sees what the lock's holder committed (P5).

Found by the model-based test (a LinkedIn scope held by the scheduler with no reason calling for it): the bulk pause
locked its campaigns and read their other reasons in one statement, and a statement's snapshot is taken before it
waits for a lock. A single clear that held the lock and committed meanwhile had removed a reason the bulk pause still
counted, so the holds it sent, with the newest version, held that scope again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from services.campaigns.domain import PRECEDENCE, Actor
from services.campaigns.repository import Transaction
from services.common.migrations import migrate

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "campaigns" / "migrations"
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


async def test_a_bulk_pause_waiting_for_a_lock_holds_only_the_reasons_left_once_it_gets_it(fresh_dsn: str) -> None:
    setup = await asyncpg.connect(fresh_dsn)
    holder = await asyncpg.connect(fresh_dsn)
    bulk = await asyncpg.connect(fresh_dsn)
    try:
        await migrate(setup, "campaigns", MIGRATIONS)
        campaign = str(
            await setup.fetchval(
                """INSERT INTO campaigns.campaigns (workspace_id, name, status, paused_reason, pause_version,
                       schedule_days, window_start, window_end, timezone, created_at, updated_at)
                   VALUES (gen_random_uuid(), 'c', 'paused', 'linkedin_account_disconnected', 1, ARRAY['mon'],
                           '09:00', '17:00', 'UTC', $1, $1)
                   RETURNING id""",
                NOW,
            )
        )
        await setup.execute(
            "INSERT INTO campaigns.pause_reasons (campaign_id, reason, scope, subject, since)"
            " VALUES ($1, 'linkedin_account_disconnected', 'linkedin', 'acc-1', $2)",
            campaign,
            NOW,
        )

        # A single clear in flight: the account is back; the campaign's row locked, its reason removed, not committed.
        clearing = holder.transaction()
        await clearing.start()
        await holder.execute("SELECT 1 FROM campaigns.campaigns WHERE id = $1 FOR UPDATE", campaign)
        await holder.execute("DELETE FROM campaigns.pause_reasons WHERE campaign_id = $1", campaign)
        await holder.execute(
            "UPDATE campaigns.campaigns SET status = 'active', paused_reason = NULL,"
            " pause_version = pause_version + 1 WHERE id = $1",
            campaign,
        )

        # Meanwhile an inbox goes: the bulk pause of its campaigns waits for that lock.
        async def pause_for_the_inbox() -> list[asyncpg.Record]:
            async with bulk.transaction():
                return await Transaction(bulk).pause_many(
                    [campaign],
                    "email_account_disconnected",
                    "email",
                    "inbox-1",
                    "",
                    list(PRECEDENCE),
                    NOW,
                    Actor("system", source="inbox_health"),
                )

        paused = asyncio.create_task(pause_for_the_inbox())
        await asyncio.sleep(0.5)
        assert not paused.done(), "the bulk pause should wait for the campaign's row lock"
        await clearing.commit()
        rows = await asyncio.wait_for(paused, 10)

        assert [(r["status"], r["status_before"], r["pause_version"], list(r["held"])) for r in rows] == [
            ("paused", "active", 3, ["email"])
        ]
        assert await setup.fetch(
            "SELECT reason, scope FROM campaigns.pause_reasons WHERE campaign_id = $1", campaign
        ) == [("email_account_disconnected", "email")]
    finally:
        for conn in (setup, holder, bulk):
            await conn.close()
