"""asyncpg pool with a start-up check: the service waits (bounded) for the database, then proves a
round trip before it reports ready."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import structlog

log = structlog.get_logger(__name__)


async def create_pool(dsn: str, *, application_name: str, min_size: int = 1, max_size: int = 10,
                      wait_seconds: float = 30.0) -> asyncpg.Pool:
    deadline = time.monotonic() + wait_seconds
    delay = 0.1
    while True:
        try:
            pool = await asyncpg.create_pool(
                dsn, min_size=min_size, max_size=max_size, command_timeout=60,
                server_settings={"application_name": application_name},
            )
            async with pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
            return pool
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            if time.monotonic() >= deadline:
                raise RuntimeError(f"database not reachable after {wait_seconds:.0f}s: {exc}") from exc
            log.warning("database not ready, retrying", error=str(exc), retry_in=round(delay, 2))
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
