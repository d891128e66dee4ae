"""Pooled connections skip asyncpg's reset query on release (B5), yet no session state outlives its holder:
an open transaction is rolled back, and a connection marked as carrying session state (a session advisory lock)
is reset in full."""

from __future__ import annotations

import asyncpg

from services.common.db import create_pool, mark_session_state


async def _statements_seen(conn: asyncpg.Connection) -> list[str]:
    return [
        r[0]
        for r in await conn.fetch("SELECT query FROM pg_stat_activity WHERE application_name = 'pool-release-test'")
    ]


async def test_release_sends_no_reset_query_yet_rolls_back_an_open_transaction(fresh_dsn: str) -> None:
    pool = await create_pool(fresh_dsn, application_name="pool-release-test", min_size=1, max_size=1)
    observer = await asyncpg.connect(fresh_dsn)
    try:
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT 41 + 1")
        # The last statement the pooled session ran is the query itself, not the reset.
        assert await _statements_seen(observer) == ["SELECT 41 + 1"]

        conn = await pool.acquire()
        await conn.execute("BEGIN")
        await conn.execute("CREATE TABLE left_open (x int)")
        await pool.release(conn)
        async with pool.acquire() as again:
            assert not again.is_in_transaction()
            assert await again.fetchval("SELECT to_regclass('left_open')") is None
    finally:
        await observer.close()
        await pool.close()


async def test_a_connection_marked_with_session_state_is_reset_in_full(fresh_dsn: str) -> None:
    pool = await create_pool(fresh_dsn, application_name="pool-release-test", min_size=1, max_size=1)
    observer = await asyncpg.connect(fresh_dsn)
    try:
        async with pool.acquire() as conn:
            mark_session_state(conn)
            assert await conn.fetchval("SELECT pg_try_advisory_lock(4242)")
            # The holder never unlocks (as when its unlock is cancelled): the release must.
        assert await observer.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == 0
        assert "RESET ALL" in (await _statements_seen(observer))[0]
        async with pool.acquire() as conn:  # once reset, the next release is cheap again
            await conn.fetchval("SELECT 1")
        assert await _statements_seen(observer) == ["SELECT 1"]
    finally:
        await observer.close()
        await pool.close()
