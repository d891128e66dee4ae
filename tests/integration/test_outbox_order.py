"""The outbox relay sends webhook-event rows after the others (B4): a bulk pause writes one per campaign, and the
holds that make the pause take effect must not wait behind thousands of them. Each key keeps its order."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from services.common import outbox
from services.common.outbox import Relay
from services.common.webhook_relay import RECORD_WEBHOOK_EVENT
from services.scheduler.repository import Repository


async def test_webhook_events_go_after_other_rows_and_a_few_at_a_time(fresh_dsn: str) -> None:
    conn = await asyncpg.connect(fresh_dsn)
    pool = await asyncpg.create_pool(fresh_dsn, min_size=1, max_size=2)
    try:
        await conn.execute("CREATE SCHEMA relay_test")
        await conn.execute(outbox.table_sql("relay_test"))
        sent: list[tuple[str, bytes]] = []

        def recorder(destination: str):
            async def deliver(payload: bytes) -> None:
                sent.append((destination, payload))

            return deliver

        # 30 webhook events written first (as a bulk pause's history does), then the holds, then a second
        # event of the first campaign's key, which must still follow that key's first one.
        for n in range(30):
            await outbox.enqueue(conn, "relay_test", RECORD_WEBHOOK_EVENT, f"webhooks:{n}", f"w{n}".encode())
        await outbox.enqueue(conn, "relay_test", "scheduler.SetCampaignHoldsBatch", "holds-batch:1", b"h1")
        await outbox.enqueue(conn, "relay_test", "scheduler.SetCampaignHolds", "webhooks:0", b"k0-second")
        relay = Relay(
            pool,
            "relay_test",
            {
                RECORD_WEBHOOK_EVENT: recorder(RECORD_WEBHOOK_EVENT),
                "scheduler.SetCampaignHoldsBatch": recorder("holds"),
                "scheduler.SetCampaignHolds": recorder("holds"),
            },
            batch=10,
        )

        # The holds alone: webhook events do not share a round with other rows (B4).
        assert await relay.deliver_once() == 1
        assert sent == [("holds", b"h1")]
        assert await relay.deliver_once() == 2  # then 2 (10 // 5) webhook events at a time
        assert [p for _, p in sent[1:]] == [b"w0", b"w1"]
        while await relay.deliver_once():
            pass
        payloads = [p for _, p in sent]
        assert len(payloads) == 32
        assert payloads.index(b"k0-second") > payloads.index(b"w0")
        assert await conn.fetchval("SELECT count(*) FROM relay_test.outbox") == 0
    finally:
        await pool.close()
        await conn.close()


async def test_a_kick_during_a_claim_is_not_lost(fresh_dsn: str) -> None:
    """A row committed while the relay's claim runs (too late for it to see) comes with a kick: the relay must
    deliver it now, not after its poll (here 30 s; it waited a whole poll when the kick was wiped)."""
    conn = await asyncpg.connect(fresh_dsn)
    pool = await asyncpg.create_pool(fresh_dsn, min_size=1, max_size=2)
    try:
        await conn.execute("CREATE SCHEMA relay_race")
        await conn.execute(outbox.table_sql("relay_race"))
        delivered = asyncio.Event()

        async def deliver(payload: bytes) -> None:
            delivered.set()

        class CommitDuringClaim(Relay):
            claims = 0
            late = 0

            async def deliver_once(self) -> int:
                self.claims += 1
                if self.claims == 1:
                    found = await super().deliver_once()  # sees nothing yet
                    # Another transaction commits its row and kicks before this claim returns.
                    self.late = await outbox.enqueue(conn, "relay_race", "x.Deliver", "k", b"late")
                    self.kick()
                    return found
                return await super().deliver_once()

        relay = CommitDuringClaim(pool, "relay_race", {"x.Deliver": deliver}, poll_seconds=30)
        await relay.start()
        try:
            await asyncio.wait_for(delivered.wait(), 5)
            assert await relay.wait_delivered(relay.late, 5)  # its delete commits just after the delivery
        finally:
            await relay.stop()
    finally:
        await pool.close()
        await conn.close()


async def test_every_committed_scheduler_transaction_kicks_its_relay(fresh_dsn: str) -> None:
    """Triggers write the scheduler's webhook events into its outbox in transactions that do not know it: the
    repository tells the relay after every commit (and not after a rollback, which left nothing)."""
    pool = await asyncpg.create_pool(fresh_dsn, min_size=1, max_size=1)
    try:
        kicks: list[str] = []
        repository = Repository(pool, committed=lambda: kicks.append("kick"))
        async with repository.transaction() as tx:
            await tx.conn.execute("SELECT 1")
        assert kicks == ["kick"]
        with pytest.raises(RuntimeError):
            async with repository.transaction() as tx:
                await tx.conn.execute("SELECT 1")
                raise RuntimeError("rolled back")
        assert kicks == ["kick"]
    finally:
        await pool.close()


async def test_a_row_its_destination_cannot_take_is_retried_and_the_relay_goes_on(fresh_dsn: str) -> None:
    """A payload that fails with anything but a DomainError (it cannot be parsed, a bug) must not stop the relay's
    loop: that row is retried with backoff, and the rows of other keys are delivered."""
    conn = await asyncpg.connect(fresh_dsn)
    pool = await asyncpg.create_pool(fresh_dsn, min_size=1, max_size=2)
    try:
        await conn.execute("CREATE SCHEMA relay_poison")
        await conn.execute(outbox.table_sql("relay_poison"))
        delivered = asyncio.Event()

        async def parse(payload: bytes) -> None:
            if payload == b"poison":
                raise ValueError("not a request")
            delivered.set()

        poison = await outbox.enqueue(conn, "relay_poison", "x.Deliver", "k1", b"poison")
        good = await outbox.enqueue(conn, "relay_poison", "x.Deliver", "k2", b"good")
        relay = Relay(pool, "relay_poison", {"x.Deliver": parse}, poll_seconds=0.05)
        await relay.start()
        try:
            await asyncio.wait_for(delivered.wait(), 5)
            assert await relay.wait_delivered(good, 5)
            row = await conn.fetchrow("SELECT attempts, last_error FROM relay_poison.outbox WHERE id = $1", poison)
            assert row["attempts"] >= 1 and row["last_error"] == "ValueError: not a request", row
            assert relay._task is not None and not relay._task.done()  # the loop still runs
        finally:
            await relay.stop()
    finally:
        await pool.close()
        await conn.close()
