"""A scheduler on virtual time for tests: the real service and dispatcher over real PostgreSQL, the real
Unipile client over real HTTP to the Unipile sandbox, and optionally the real SMTP sender to the SMTP
sandbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg
from aiohttp import web

from sandbox.unipile import STATE, SandboxState
from sandbox.unipile import create_app as create_unipile
from services.common import timemath
from services.common.clock import ManualClock
from services.common.migrations import migrate
from services.common.providers.smtp import SmtpSettings
from services.common.providers.unipile import UnipileClient
from services.scheduler.clients import ProtoEvents
from services.scheduler.dispatcher import Dispatcher
from services.scheduler.domain import CampaignPlan, FailurePolicy, Limits, Step
from services.scheduler.failure_rate import FailureRateMonitor
from services.scheduler.main import MIGRATIONS
from services.scheduler.plan_rows_repository import Enrollee
from services.scheduler.providers import Providers
from services.scheduler.repository import Repository
from services.scheduler.service import SchedulerService

PARIS = timemath.Schedule.parse(["mon", "tue", "wed", "thu", "fri"], "09:00", "17:00", "Europe/Paris")
MONDAY_7_UTC = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 08:00 in Paris, before the window
INVITE_THEN_MESSAGE = (
    Step(0, "linkedin", "linkedin_invite", 0, "Hi {{first_name}}"),
    Step(1, "linkedin", "linkedin_message", 48, "Thanks for connecting, {{first_name}}!"),
)


@dataclass
class Rig:
    clock: ManualClock
    pool: asyncpg.Pool
    service: SchedulerService
    dispatcher: Dispatcher
    sandbox: SandboxState
    sandbox_url: str
    http: aiohttp.ClientSession
    failure_rates: FailureRateMonitor

    async def outbox(self, destination: str) -> list[tuple[str, bytes]]:
        """Events the scheduler wrote for `destination`, oldest first, as (ordering key, payload)."""
        rows = await self.pool.fetch(
            "SELECT ordering_key, payload FROM scheduler.outbox WHERE destination = $1 ORDER BY id", destination
        )
        return [(r["ordering_key"], bytes(r["payload"])) for r in rows]

    async def control(self, path: str, body: dict) -> dict:
        async with self.http.post(f"{self.sandbox_url}/_sandbox/{path}", json=body) as r:
            assert r.status < 300, await r.text()
            return await r.json() if r.content_length != 0 and r.status != 204 else {}

    async def add_sender(self, limits: Limits, tz: str = "Europe/Paris", connections: list[str] | None = None) -> str:
        """A connected LinkedIn sender (its sandbox account already related to `connections`)."""
        sender_id = str(uuid.uuid4())
        account = f"acc-{sender_id[:8]}"
        await self.control("accounts", {"id": account, "name": account, "connections": connections or []})
        await self.service.set_sender(
            "linkedin_account",
            sender_id,
            1,
            "connected",
            tz,
            None,
            account,
            "",
            {"linkedin_invite": limits, "linkedin_message": limits},
        )
        return sender_id

    async def account_of(self, sender_id: str) -> str:
        return await self.pool.fetchval(
            "SELECT unipile_account_id FROM scheduler.sender_states WHERE sender_id = $1", uuid.UUID(sender_id)
        )

    async def accept(self, account_id: str, provider_id: str) -> None:
        await self.control(f"accounts/{account_id}/accept", {"provider_id": provider_id, "notify": False})

    async def campaign(
        self, senders: list[str], n: int, steps=INVITE_THEN_MESSAGE, schedule=PARIS, active: bool = True
    ) -> tuple[str, list[str]]:
        campaign_id = str(uuid.uuid4())
        plan = CampaignPlan(campaign_id, str(uuid.uuid4()), 1, schedule, active, tuple(senders), (), steps)
        assert (await self.service.upsert_plan(plan))[0]
        prospects = [str(uuid.uuid4()) for _ in range(n)]
        await self.service.enroll(
            campaign_id, [Enrollee(p, f"prov-{p[:12]}", None, f"P{i}", "", "", {}) for i, p in enumerate(prospects)]
        )
        return campaign_id, prospects

    async def run_until(self, end: datetime, max_rounds: int = 100_000) -> int:
        """Advance virtual time from event to event (the next due action or paced sender), dispatching."""
        sent = 0
        for _ in range(max_rounds):
            sent += await self.dispatcher.run_once()
            nxt = await self.pool.fetchval(
                """SELECT min(greatest(p.next_action_at, s.next_send_after)) FROM scheduler.prospect_plans p
                     JOIN scheduler.sender_states s ON s.sender_id = p.sender_id
                     JOIN scheduler.campaign_holds h ON h.campaign_id = p.campaign_id
                    WHERE p.state = 'scheduled' AND s.status IN ('connected', 'degraded')
                      AND NOT (h.held_scopes && ARRAY['campaign', p.channel])"""
            )
            if nxt is None or nxt > end:
                self.clock.set(max(end, self.clock.now()))
                return sent
            if nxt > self.clock.now():
                self.clock.set(nxt)
        raise AssertionError("simulation did not settle")


async def _no_email(_: str) -> SmtpSettings:
    raise AssertionError("this rig sends no email")


@asynccontextmanager
async def scheduler_rig(
    dsn: str,
    clock: ManualClock,
    credentials: Callable[[str], Awaitable[SmtpSettings]] = _no_email,
    policy: FailurePolicy | None = None,
    hold_drain_seconds: float = 30.0,
) -> AsyncIterator[Rig]:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=8)
    async with pool.acquire() as conn:
        await migrate(conn, "scheduler", MIGRATIONS)
    app = create_unipile("test-key")
    app[STATE].clock = clock.now  # the sandbox stamps invites and messages on the same virtual time
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    http = aiohttp.ClientSession()
    unipile = UnipileClient(f"http://127.0.0.1:{port}", "test-key", http)
    repo = Repository(pool)
    events = ProtoEvents()
    failure_rates = FailureRateMonitor(repo, clock, events, policy)
    dispatcher = Dispatcher(
        repo,
        Providers(unipile, credentials),
        clock,
        batch=50,
        unipile=unipile,
        stale_after=timedelta(minutes=10),
        failure_rates=failure_rates,
        events=events,
    )
    service = SchedulerService(
        repo,
        clock,
        failure_rates=failure_rates,
        hold_drain_seconds=hold_drain_seconds,
        stale_after=timedelta(minutes=10),
    )
    try:
        yield Rig(clock, pool, service, dispatcher, app[STATE], f"http://127.0.0.1:{port}", http, failure_rates)
    finally:
        await http.close()
        await runner.cleanup()
        await pool.close()
