"""Transactional outbox: events between services are written in the same transaction as the change that
causes them, then delivered over gRPC by a relay, with retries, in order per ordering key.

Each service that sends events has a `<schema>.outbox` table (see `table_sql`). The relay claims the
oldest undelivered row of each key with FOR UPDATE SKIP LOCKED, so several replicas share the work and
never deliver the same row at once; a delivered row is deleted. Receivers are idempotent (event id or
per-entity version), so a row delivered twice after a crash changes nothing the second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

import asyncpg
import structlog

from services.common.errors import DomainError
from services.common.metrics import OUTBOX_BACKLOG
from services.common.webhook_relay import RECORD_WEBHOOK_EVENT

log = structlog.get_logger(__name__)

Deliver = Callable[[bytes], Awaitable[None]]


def grpc_destination(
    call: Callable[..., Awaitable[object]], parse: Callable[[bytes], object], *, timeout: float | None = None
) -> Deliver:
    """An outbox destination that is one gRPC method: the stored payload, parsed as its request (`parse`, the
    request type's FromString), sent as is. Without `timeout` the channel's default deadline applies."""

    async def deliver(payload: bytes) -> None:
        request = parse(payload)
        await (call(request) if timeout is None else call(request, timeout=timeout))

    return deliver


def grpc_destinations(
    service: str, stub: object, requests: object, timeouts: dict[str, float | None]
) -> dict[str, Deliver]:
    """The destinations "<service>.<Method>" of an outbox, one per gRPC method of `stub`, each parsing its payload
    as `<Method>Request` of the `requests` module. `timeouts`: each method's deadline (None: the channel's).
    A misspelt method fails at wiring, when the service starts."""
    return {
        f"{service}.{method}": grpc_destination(
            getattr(stub, method), getattr(requests, f"{method}Request").FromString, timeout=timeout
        )
        for method, timeout in timeouts.items()
    }


def table_sql(schema: str) -> str:
    return f"""
CREATE TABLE {schema}.outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destination text NOT NULL,
    ordering_key text NOT NULL,
    payload bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    last_error text
);
CREATE INDEX outbox_by_key ON {schema}.outbox (ordering_key, id);
"""


async def enqueue(conn: asyncpg.Connection, schema: str, destination: str, ordering_key: str, payload: bytes) -> int:
    """Write an event inside the caller's transaction; returns its id."""
    return int(
        await conn.fetchval(
            f"INSERT INTO {schema}.outbox (destination, ordering_key, payload) VALUES ($1, $2, $3) RETURNING id",
            destination,
            ordering_key,
            payload,
        )
    )


class Relay:
    """Delivers outbox rows. `kick()` after a commit delivers at once; a poll catches rows written by
    other replicas and retries failures with backoff."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        schema: str,
        destinations: dict[str, Deliver],
        *,
        poll_seconds: float = 1.0,
        batch: int = 100,
        max_backoff: timedelta = timedelta(seconds=30),
        deliver_last: Sequence[str] = (RECORD_WEBHOOK_EVENT,),
    ):
        self._pool = pool
        # Destinations that wait while others have rows ready (each key still in order): a bulk pause writes a
        # webhook event per campaign, and the holds that make the pause take effect must not queue behind
        # 10,000 of them (B4).
        self._deliver_last = list(deliver_last)
        self._last_batch = max(1, batch // 5)
        self._schema = schema
        self._destinations = destinations
        self._poll = poll_seconds
        self._batch = batch
        self._max_backoff = max_backoff
        self._wake = asyncio.Event()
        self._delivered = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    def kick(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self._schema}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait_delivered(self, event_id: int, within_s: float) -> bool:
        """Wait until the row is gone (delivered, here or by another replica). False on time-out."""
        self.kick()
        deadline = time.monotonic() + within_s
        while True:
            exists = await self._pool.fetchval(f"SELECT true FROM {self._schema}.outbox WHERE id = $1", event_id)
            if not exists:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            async with self._delivered:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._delivered.wait(), min(remaining, 0.05))

    async def backlog(self) -> int:
        return int(await self._pool.fetchval(f"SELECT count(*) FROM {self._schema}.outbox"))

    async def _run(self) -> None:
        while True:
            # Cleared before the claim, not after: a kick that lands while the claim runs (its row committed too
            # late for the claim to see) must wake the next wait, not be wiped by it and wait a whole poll.
            self._wake.clear()
            try:
                delivered = await self.deliver_once()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("outbox relay cannot reach the database", error=str(exc))
                delivered = 0
            if delivered:
                continue  # there may be more, including the next row of the same keys
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                OUTBOX_BACKLOG.labels(self._schema).set(await self.backlog())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)

    async def deliver_once(self) -> int:
        """Claim and deliver one batch; returns how many were delivered."""
        async with self._pool.acquire() as conn, conn.transaction():
            # Two claims, not one sorted by destination: the rows not to deliver last; when there are none, the
            # oldest ready rows whatever their destination (the rows to deliver last, bar one that turned ready since
            # the first claim), a few at a time. Each key's order holds in both (the NOT EXISTS looks at every row of
            # the key). One claim sorted by destination read, anti-joined and sorted every row of a 10,000-event
            # backlog each round (~20 ms, and 500 rounds to drain it): the first claim now filters them out before
            # the join, the second walks the ids in order and stops at its few rows (B4).
            rows = await conn.fetch(
                self._claim_sql("AND o.destination <> ALL($2::text[])"), self._batch, self._deliver_last
            )
            if not rows and self._deliver_last:
                rows = await conn.fetch(self._claim_sql(""), self._last_batch)
            if not rows:
                return 0
            results = await asyncio.gather(*(self._deliver(r["destination"], r["payload"]) for r in rows))
            done = [r["id"] for r, error in zip(rows, results, strict=True) if error is None]
            failed = [(r["id"], r["attempts"], error) for r, error in zip(rows, results, strict=True) if error]
            if done:
                await conn.execute(f"DELETE FROM {self._schema}.outbox WHERE id = ANY($1::bigint[])", done)
            for row_id, attempts, error in failed:
                backoff = min(self._max_backoff.total_seconds(), 0.2 * 2 ** min(attempts, 10))
                await conn.execute(
                    f"UPDATE {self._schema}.outbox SET attempts = attempts + 1, last_error = $2,"
                    f" next_attempt_at = clock_timestamp() + make_interval(secs => $3) WHERE id = $1",
                    row_id,
                    error[:500],
                    backoff,
                )
                log.warning("outbox delivery failed", event_id=row_id, attempts=attempts + 1, error=error)
        if done:
            async with self._delivered:
                self._delivered.notify_all()
        return len(done)

    def _claim_sql(self, among: str) -> str:
        """The oldest ready row of each key, in id order, up to $1, among the rows `among` says."""
        return f"""SELECT o.id, o.destination, o.payload, o.attempts FROM {self._schema}.outbox o
                    WHERE o.next_attempt_at <= clock_timestamp() {among}
                      AND NOT EXISTS (SELECT 1 FROM {self._schema}.outbox p
                                       WHERE p.ordering_key = o.ordering_key AND p.id < o.id)
                    ORDER BY o.id LIMIT $1 FOR UPDATE SKIP LOCKED"""

    async def _deliver(self, destination: str, payload: bytes) -> str | None:
        handler = self._destinations.get(destination)
        if handler is None:
            return f"no handler for {destination}"
        try:
            await handler(payload)
        except DomainError as exc:
            return f"{exc.code}: {exc.message}"
        except Exception as exc:  # noqa: BLE001 - a payload that cannot be parsed, a bug: retried, never fatal
            # Anything else would escape the relay's loop and stop every delivery of this service; the row is
            # retried with backoff instead (its key waits, the others go on) and the error is logged.
            return f"{type(exc).__name__}: {exc}"
        return None
