"""Every periodic job is safe with several replicas: two of each, on one database, never do the same work
twice (the dispatcher's two-process test is in test_scheduler_crashes.py)."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from datetime import timedelta

import asyncpg

from services.campaigns.repository import Repository as CampaignsRepository
from services.common import timemath
from services.common.clock import ManualClock
from services.common.migrations import migrate
from services.common.outbox import Relay, enqueue, table_sql
from services.scheduler.dispatcher import Dispatcher
from services.scheduler.domain import Limits
from services.scheduler.repository import Repository
from tests.scheduler_rig import MONDAY_7_UTC, scheduler_rig

FAST = Limits(100, 1000, 100, 0, 0, 0)


async def test_two_outbox_relays_deliver_each_event_once_and_in_order_per_key(fresh_dsn, tmp_path):
    (tmp_path / "001_outbox.sql").write_text(table_sql("demo"))
    pools = [await asyncpg.create_pool(fresh_dsn, min_size=1, max_size=4) for _ in range(2)]
    try:
        async with pools[0].acquire() as conn:
            await migrate(conn, "demo", tmp_path)
            async with conn.transaction():
                for i in range(300):
                    await enqueue(conn, "demo", "receiver", f"key-{i % 7}", f"{i % 7}:{i}".encode())
        received: list[tuple[str, int]] = []

        async def receiver(payload: bytes) -> None:
            key, n = payload.decode().split(":")
            await asyncio.sleep(0.001)  # a network hop: let the other replica race
            received.append((key, int(n)))

        relays = [Relay(pool, "demo", {"receiver": receiver}, poll_seconds=0.05, batch=20) for pool in pools]
        for relay in relays:
            await relay.start()
        for _ in range(200):
            if len(received) >= 300 and await relays[0].backlog() == 0:
                break
            await asyncio.sleep(0.05)
        for relay in relays:
            await relay.stop()
    finally:
        for pool in pools:
            await pool.close()
    assert Counter(n for _, n in received) == Counter(range(300)), "each event once"
    per_key = defaultdict(list)
    for key, n in received:
        per_key[key].append(n)
    assert all(ns == sorted(ns) for ns in per_key.values()), "in order per ordering key"


async def test_only_one_sweeper_runs_at_a_time(fresh_dsn):
    pools = [await asyncpg.create_pool(fresh_dsn, min_size=1, max_size=2) for _ in range(2)]
    try:
        first, second = (CampaignsRepository(pool) for pool in pools)
        async with first.exclusive("sweeper") as mine, second.exclusive("sweeper") as theirs:
            assert (mine, theirs) == (True, False)
        async with second.exclusive("sweeper") as theirs:
            assert theirs, "released when the holder is done"
    finally:
        for pool in pools:
            await pool.close()


async def test_two_relation_pollers_read_each_account_once(fresh_dsn):
    clock = ManualClock(MONDAY_7_UTC)
    async with scheduler_rig(fresh_dsn, clock) as rig:
        senders = [await rig.add_sender(FAST) for _ in range(6)]
        await rig.campaign(senders, 30)
        await rig.run_until(MONDAY_7_UTC + timedelta(days=1))
        other_pool = await asyncpg.create_pool(fresh_dsn, min_size=1, max_size=4)
        try:
            twin = Dispatcher(
                Repository(other_pool),
                rig.dispatcher._providers,
                clock,  # noqa: SLF001
                unipile=rig.dispatcher._unipile,
            )  # noqa: SLF001
            before = rig.sandbox.calls["list_relations"]
            await asyncio.gather(
                rig.dispatcher.poll_acceptances_once(),
                twin.poll_acceptances_once(),
                rig.dispatcher.poll_acceptances_once(),
                twin.poll_acceptances_once(),
            )
        finally:
            await other_pool.close()
        waiting = await rig.pool.fetchval(
            "SELECT count(DISTINCT linkedin_sender_id) FROM scheduler.prospect_plans WHERE state = 'waiting_acceptance'"
        )
        assert waiting >= 3
        assert rig.sandbox.calls["list_relations"] - before == waiting, "each account's relations read once"


async def test_two_reconcilers_resolve_each_cut_off_attempt_once(fresh_dsn):
    clock = ManualClock(MONDAY_7_UTC + timedelta(hours=2))
    async with scheduler_rig(fresh_dsn, clock) as rig:
        senders = [await rig.add_sender(FAST) for _ in range(10)]
        await rig.campaign(senders, 10)
        # Attempts left 'started' as if the process had died right after claiming them (one per sender).
        async with rig.service._repo.transaction() as tx:  # noqa: SLF001
            claimed = await tx.claim(clock.now(), 50)
            assert len(claimed) >= 4
            for row, sender in claimed:
                await tx.start_attempt(
                    row, sender, timemath.local_date(sender.timezone, clock.now()), clock.now(), clock.now()
                )
        clock.advance(timedelta(minutes=11))
        other_pool = await asyncpg.create_pool(fresh_dsn, min_size=1, max_size=4)
        try:
            twin = Dispatcher(
                Repository(other_pool),
                rig.dispatcher._providers,
                clock,  # noqa: SLF001
                unipile=rig.dispatcher._unipile,
                stale_after=timedelta(minutes=10),
            )  # noqa: SLF001
            resolved = await asyncio.gather(rig.dispatcher.reconcile_once(), twin.reconcile_once())
        finally:
            await other_pool.close()
        assert sum(resolved) == len(claimed)
        statuses = Counter(r["status"] for r in await rig.pool.fetch("SELECT status FROM scheduler.send_attempts"))
        assert statuses == {"abandoned": len(claimed)}, "each resolved once: nothing was sent, each may be retried"
        assert await rig.pool.fetchval("SELECT count(*) FROM scheduler.prospect_plans WHERE state = 'scheduled'") == 10
