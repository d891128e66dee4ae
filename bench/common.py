"""What the benchmarks share: a throwaway embedded PostgreSQL with the scheduler's schema, and timing."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg

from services.common import embedded_pg
from services.common.migrations import migrate
from services.scheduler.server import MIGRATIONS


@asynccontextmanager
async def scheduler_database() -> AsyncIterator[asyncpg.Pool]:
    server, dsn = embedded_pg.start_throwaway()
    try:
        pool = await asyncpg.create_pool(dsn, min_size=2, max_size=8)
        async with pool.acquire() as conn:
            await migrate(conn, "scheduler", MIGRATIONS)
        try:
            yield pool
        finally:
            await pool.close()
    finally:
        server.cleanup()  # type: ignore[attr-defined]


async def best_of(runs: int, prepare: Callable[[], Awaitable[None]], work: Callable[[], Awaitable[object]]) -> float:
    """The fastest of `runs` timings of `work`, each after `prepare` (machines here are shared and noisy)."""
    best = float("inf")
    for _ in range(runs):
        await prepare()
        started = time.perf_counter()
        await work()
        best = min(best, time.perf_counter() - started)
    return best


def new_id() -> str:
    return str(uuid.uuid4())
