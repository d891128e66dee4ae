"""asyncpg pool with a start-up check: the service waits (bounded) for the database, then proves a
round trip before it reports ready."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import asyncpg
import structlog

log = structlog.get_logger(__name__)


class Connection(asyncpg.Connection):  # type: ignore[misc]
    """A pooled connection released without asyncpg's reset query (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL:
    one more round trip per release, about a tenth of a quick read's cost in B5) unless something left session
    state on it. Nothing does but a session advisory lock, and its holder says so (`mark_session_state`). An open
    transaction is still rolled back on release, and listeners still removed (asyncpg does both either way)."""

    _session_state = False

    def mark_session_state(self) -> None:
        """This connection now carries session state (a session advisory lock): reset it in full on release."""
        self._session_state = True

    def get_reset_query(self) -> str:
        if not self._session_state:
            return ""
        self._session_state = False
        return str(super().get_reset_query())


def mark_session_state(conn: asyncpg.Connection) -> None:
    """Say that `conn` (pooled) now carries session state, so its release resets it in full. A connection of
    another class (a pool not made by `create_pool`) resets in full anyway."""
    mark = getattr(conn, "mark_session_state", None)
    if mark is not None:
        mark()


async def create_pool(
    dsn: str, *, application_name: str, min_size: int = 1, max_size: int = 10, wait_seconds: float = 30.0
) -> asyncpg.Pool:
    deadline = time.monotonic() + wait_seconds
    delay = 0.1
    while True:
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=min_size,
                max_size=max_size,
                command_timeout=60,
                connection_class=Connection,
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


# What a database that is down, restarting or cut off looks like to a client: a refused or dropped connection,
# or the server saying it is shutting down or starting up. Not a bug of ours: callers answer "unavailable".
UNREACHABLE_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,
    FileNotFoundError,  # the unix socket is gone while the server is stopped
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # 57P01 admin shutdown, 57P02 crash, 57P03 cannot connect now
)


def is_unreachable(exc: BaseException) -> bool:
    if isinstance(exc, asyncpg.InterfaceError):
        # asyncpg's word for a connection it already knows to be closed.
        return "connection is closed" in str(exc)
    return isinstance(exc, UNREACHABLE_ERRORS)


class DatabaseProbe:
    """Whether the database answers right now, on a connection of its own (so a busy pool does not make a
    healthy database look down). Reconnects as needed; never raises."""

    def __init__(self, dsn: str, *, application_name: str, timeout_s: float = 2.0):
        self._dsn = dsn
        self._application_name = application_name
        self._timeout_s = timeout_s
        self._conn: asyncpg.Connection | None = None

    async def answers(self) -> bool:
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await asyncpg.connect(
                    self._dsn, timeout=self._timeout_s, server_settings={"application_name": self._application_name}
                )
            await self._conn.fetchval("SELECT 1", timeout=self._timeout_s)
            return True
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await self.close()
            return False

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None


Q = TypeVar("Q")


@asynccontextmanager
async def transaction(pool: asyncpg.Pool, queries: Callable[[asyncpg.Connection], Q]) -> AsyncIterator[Q]:
    """A pooled connection inside a transaction, as a service's query class (`queries(conn)`): every statement
    of one use case runs on it and commits together when the block ends, or rolls back on an exception."""
    async with pool.acquire() as conn, conn.transaction():
        yield queries(conn)
