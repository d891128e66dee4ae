"""What the benchmarks share: a throwaway embedded PostgreSQL with the scheduler's schema, and timing."""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import asyncpg

from sandbox.serving import serve
from sandbox.unipile import create_app as create_unipile
from services.common import embedded_pg
from services.common.clock import SystemClock
from services.common.migrations import migrate
from services.common.providers.unipile import UnipileClient
from services.gateway.webhooks import sign
from services.scheduler.main import MIGRATIONS

if TYPE_CHECKING:
    from tests.conftest import Suite


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


@asynccontextmanager
async def scheduler_databases(count: int) -> AsyncIterator[list[asyncpg.Pool]]:
    """`count` databases with the scheduler's schema on one throwaway server: two sizes measured side by side,
    run for run, share the machine's noise."""
    server, dsn = embedded_pg.start_throwaway()
    pools: list[asyncpg.Pool] = []
    try:
        admin = await asyncpg.connect(dsn)
        try:
            for n in range(count):
                await admin.execute(f'CREATE DATABASE "bench_{n}"')
        finally:
            await admin.close()
        for n in range(count):
            pool = await asyncpg.create_pool(embedded_pg.with_database(dsn, f"bench_{n}"), min_size=1, max_size=4)
            pools.append(pool)
            async with pool.acquire() as conn:
                await migrate(conn, "scheduler", MIGRATIONS)
        yield pools
    finally:
        for pool in pools:
            await pool.close()
        server.cleanup()  # type: ignore[attr-defined]


UNIPILE_KEY = "bench-key"
UNIPILE_WEBHOOK_SECRET = "bench-unipile-secret-0123456789"
BILLING_SECRET = "bench-billing-secret-0123456789"


@dataclass
class RunningSuite:
    """The whole suite in-process (real gRPC and HTTP, as the tests start it) on the system clock, with the
    Unipile sandbox on a real port and its webhooks pointed at the gateway."""

    suite: Suite
    unipile_url: str
    db: asyncpg.Pool

    async def post(self, url: str, **kwargs: Any) -> Any:
        async with self.suite.http.post(url, **kwargs) as r:
            assert r.status < 300, (url, r.status, await r.text())
            return await r.json()

    async def unipile_account(self, name: str) -> str:
        """A LinkedIn account in the sandbox; returns its Unipile id."""
        account = f"acc-{uuid.uuid4().hex[:12]}"
        await self.post(f"{self.unipile_url}/_sandbox/accounts", json={"id": account, "name": name})
        return account

    async def account_status_webhook(self, unipile_account_id: str, message: str) -> None:
        """What Unipile posts when an account's status changes (the sandbox's state is set first, quietly)."""
        await self.post(
            f"{self.suite.base_url}/webhooks/unipile",
            json={"AccountStatus": {"account_id": unipile_account_id, "account_type": "LINKEDIN", "message": message}},
            headers={"Unipile-Auth": UNIPILE_WEBHOOK_SECRET},
        )

    async def billing_webhook(self, workspace_id: str, event_type: str) -> None:
        at = int(time.time())
        raw = json.dumps(
            {"id": f"evt_{uuid.uuid4().hex}", "type": event_type, "created": at, "data": {"workspace_id": workspace_id}}
        ).encode()
        await self.post(
            f"{self.suite.base_url}/webhooks/billing",
            data=raw,
            headers={
                "Holdfast-Signature": f"t={at},v1={sign(BILLING_SECRET, at, raw)}",
                "Content-Type": "application/json",
            },
        )


@asynccontextmanager
async def running_suite(**extra_env: str) -> AsyncIterator[RunningSuite]:
    from tests.conftest import create_database, start_suite  # the suite exactly as the tests start it

    server, dsn = embedded_pg.start_throwaway()
    try:
        async with AsyncExitStack() as stack:
            unipile_app = create_unipile(UNIPILE_KEY)
            unipile_url = await serve(unipile_app, stack)
            database = await create_database(dsn)
            suite = await start_suite(
                database,
                stack,
                SystemClock(),
                HOLDFAST_UNIPILE_DSN=unipile_url,
                HOLDFAST_UNIPILE_API_KEY=UNIPILE_KEY,
                HOLDFAST_UNIPILE_WEBHOOK_SECRET=UNIPILE_WEBHOOK_SECRET,
                HOLDFAST_BILLING_WEBHOOK_SECRET=BILLING_SECRET,
                HOLDFAST_PUBLIC_URL="http://127.0.0.1:1",
                **extra_env,
            )
            db = await asyncpg.create_pool(database, min_size=1, max_size=4)
            stack.push_async_callback(db.close)
            client = UnipileClient(unipile_url, UNIPILE_KEY, suite.http)
            await client.create_webhook(
                f"{suite.base_url}/webhooks/unipile", "account_status", {"Unipile-Auth": UNIPILE_WEBHOOK_SECRET}
            )
            yield RunningSuite(suite, unipile_url, db)
    finally:
        server.cleanup()  # type: ignore[attr-defined]


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 (nearest rank) and max."""
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99), "max": ordered[-1]}


async def generate_campaigns(db: asyncpg.Pool, workspace_id: str, linkedin_account_ids: list[str]) -> list[str]:
    """One active campaign per entry of `linkedin_account_ids` (an account may repeat), each with one LinkedIn
    invite step sent from that account and one prospect waiting for it (planned tomorrow), written with set-based
    SQL in the campaigns and scheduler schemas as activation would have left them. Returns their ids, in order."""
    now = datetime.now(UTC)
    ids = [
        str(r[0])
        for r in await db.fetch(
            """INSERT INTO campaigns.campaigns (workspace_id, name, status, schedule_days, window_start, window_end,
               timezone, randomize_within_window, created_at, updated_at)
           SELECT $1, 'c' || g, 'active', ARRAY['mon','tue','wed','thu','fri'], '09:00', '17:00', 'Europe/Paris',
                  true, $3, $3
             FROM generate_series(1, $2) AS g ORDER BY g RETURNING id""",
            workspace_id,
            len(linkedin_account_ids),
            now,
        )
    ]
    await db.execute(
        """INSERT INTO campaigns.steps (campaign_id, index, channel, action, delay_hours, text)
           SELECT c, 0, 'linkedin', 'invite', 0, 'Hi' FROM unnest($1::uuid[]) AS t(c)""",
        ids,
    )
    await db.execute(
        """INSERT INTO campaigns.campaign_senders (campaign_id, sender_kind, sender_id)
           SELECT c, 'linkedin_account', s FROM unnest($1::uuid[], $2::uuid[]) AS t(c, s)""",
        ids,
        linkedin_account_ids,
    )
    await db.execute(
        """INSERT INTO scheduler.campaign_plans (campaign_id, workspace_id, version, days, window_start, window_end,
               timezone, randomize, active, linkedin_account_ids, updated_at)
           SELECT c, $3, 1, ARRAY['mon','tue','wed','thu','fri'], '09:00', '17:00', 'Europe/Paris', true, true,
                  ARRAY[s], $4 FROM unnest($1::uuid[], $2::uuid[]) AS t(c, s)""",
        ids,
        linkedin_account_ids,
        workspace_id,
        now,
    )
    await db.execute(
        """INSERT INTO scheduler.plan_steps (campaign_id, index, channel, action_type, delay_hours, text)
           SELECT c, 0, 'linkedin', 'linkedin_invite', 0, 'Hi' FROM unnest($1::uuid[]) AS t(c)""",
        ids,
    )
    await db.execute(
        """INSERT INTO scheduler.campaign_holds (campaign_id, version, held_scopes, updated_at)
           SELECT c, 0, '{}', $2 FROM unnest($1::uuid[]) AS t(c)""",
        ids,
        now,
    )
    await db.execute(
        """INSERT INTO scheduler.prospect_plans (prospect_id, campaign_id, linkedin_provider_id, state, channel,
               action_type, sender_id, due_at, next_action_at, linkedin_sender_id, updated_at)
           SELECT gen_random_uuid(), c, 'ACo' || c, 'scheduled', 'linkedin', 'linkedin_invite', s,
                  $3::timestamptz + interval '1 day', $3::timestamptz + interval '1 day', s, $3
             FROM unnest($1::uuid[], $2::uuid[]) AS t(c, s)""",
        ids,
        linkedin_account_ids,
        now,
    )
    await db.execute("ANALYZE")
    return ids
