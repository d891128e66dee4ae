"""The end-to-end world: the whole suite in-process on one shared manual clock, the Unipile sandbox and a
real SMTP server on real sockets, webhooks registered the way make run registers them."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import asyncpg
import pytest

from sandbox.imap import SandboxImap
from sandbox.serving import serve
from sandbox.smtp import SandboxSmtp
from sandbox.unipile import STATE, SandboxState
from sandbox.unipile import create_app as create_unipile
from services.accounts import main as accounts_main
from services.accounts.config import Settings as AccountsSettings
from services.accounts.service import AccountsService
from services.common import config, timemath
from services.common.clock import ManualClock
from services.common.db import create_pool
from services.common.providers.unipile import UnipileClient
from tests.conftest import Suite, create_database, start_suite, suite_env

MONDAY_0800_PARIS = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
SCHEDULE = {
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "window": {"start": "09:00", "end": "17:00"},
    "timezone": "Europe/Paris",
    "randomize_within_window": True,
}
PARIS = timemath.Schedule.parse(SCHEDULE["days"], "09:00", "17:00", "Europe/Paris", True)
WEBHOOK_SECRET = "whsec-test-0123456789"
# The inbox login the world's SMTP sandbox (and the `imap` fixture) accept from the start.
SENDER = "sender@acme.example"
SENDER_PASSWORD = "app-password-1"
BILLING_SECRET = "billing-secret-0123456789"


@dataclass
class World:
    suite: Suite
    clock: ManualClock
    unipile: SandboxState
    unipile_url: str
    smtp: SandboxSmtp
    smtp_port: int
    db: asyncpg.Pool

    async def settle(self, within_s: float = 10.0) -> None:
        """Wait until the dispatcher has done everything due at the current virtual instant."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            pending = await self.db.fetchval(
                """SELECT count(*) FROM scheduler.prospect_plans p
                     JOIN scheduler.sender_states s ON s.sender_id = p.sender_id
                     JOIN scheduler.campaign_holds h ON h.campaign_id = p.campaign_id
                     JOIN scheduler.campaign_plans c ON c.campaign_id = p.campaign_id AND c.active
                    WHERE (p.state = 'in_flight')
                       OR (p.state = 'scheduled' AND p.next_action_at <= $1 AND s.next_send_after <= $1
                           AND s.status = 'connected' AND NOT (h.held_scopes && ARRAY['campaign', p.channel]))""",
                self.clock.now(),
            )
            outbox = await self.db.fetchval(
                "SELECT (SELECT count(*) FROM campaigns.outbox) + (SELECT count(*) FROM accounts.outbox)"
            )
            if pending == 0 and outbox == 0:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the suite did not settle")

    async def run_until(self, end: datetime) -> None:
        """Jump from one due action to the next (virtual time), letting the real dispatcher work."""
        await self.settle()
        while True:
            nxt = await self.db.fetchval(
                """SELECT min(greatest(p.next_action_at, s.next_send_after)) FROM scheduler.prospect_plans p
                     JOIN scheduler.sender_states s ON s.sender_id = p.sender_id
                     JOIN scheduler.campaign_holds h ON h.campaign_id = p.campaign_id
                    WHERE p.state = 'scheduled' AND s.status = 'connected'
                      AND NOT (h.held_scopes && ARRAY['campaign', p.channel])"""
            )
            if nxt is None or nxt > end:
                self.clock.set(max(end, self.clock.now()))
                await self.settle()
                return
            self.clock.set(max(nxt, self.clock.now()))
            await self.settle()


@pytest.fixture
async def world(pg_dsn) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        yield await open_world(pg_dsn, stack)


async def open_world(pg_dsn: str, stack: AsyncExitStack, **extra_env: str) -> World:
    """The world on `stack`; `extra_env` adds to or overrides the suite's settings (the model test's)."""
    clock = ManualClock(MONDAY_0800_PARIS)
    unipile_app = create_unipile("sandbox-key")
    unipile_app[STATE].clock = clock.now  # the fake third party lives on the same virtual time
    unipile_url = await serve(unipile_app, stack)
    smtp = SandboxSmtp()
    smtp.set_password(SENDER, SENDER_PASSWORD)
    smtp_port = await smtp.start()
    stack.push_async_callback(smtp.stop)
    dsn = await create_database(pg_dsn)
    suite = await start_suite(
        dsn,
        stack,
        clock,
        HOLDFAST_UNIPILE_DSN=unipile_url,
        HOLDFAST_UNIPILE_API_KEY="sandbox-key",
        HOLDFAST_UNIPILE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        HOLDFAST_BILLING_WEBHOOK_SECRET=BILLING_SECRET,
        HOLDFAST_PUBLIC_URL="http://127.0.0.1:1",
        # Outbound webhooks may go to a test's local receiver.
        HOLDFAST_WEBHOOKS_ALLOW_PRIVATE="true",
        HOLDFAST_WEBHOOK_DELIVERY_SECONDS="0.1",
        **extra_env,
    )
    db = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    stack.push_async_callback(db.close)
    async with aiohttp.ClientSession() as http:
        client = UnipileClient(unipile_url, "sandbox-key", http)
        for source in ("users", "account_status", "messaging"):
            await client.create_webhook(f"{suite.base_url}/webhooks/unipile", source, {"Unipile-Auth": WEBHOOK_SECRET})
    return World(suite, clock, unipile_app[STATE], unipile_url, smtp, smtp_port, db)


@dataclass
class Setup:
    auth: dict[str, str]
    campaign_id: str
    linkedin_account_id: str
    unipile_account_id: str
    inbox_id: str


async def setup_campaign(
    w: World, prospects: int, steps: list[dict], invite_cap: int = 100, *, activate: bool = True
) -> Setup:
    _, auth = await w.suite.new_workspace()
    account = f"acc-{uuid.uuid4().hex[:8]}"
    async with w.suite.http.post(f"{w.unipile_url}/_sandbox/accounts", json={"id": account, "name": "Ana"}) as r:
        assert r.status < 300
    no_pacing = {
        "daily_cap": invite_cap,
        "weekly_cap": max(invite_cap * 5, 200),
        "ramp_start": invite_cap,
        "ramp_step": 0,
        "pacing_min_seconds": 0,
        "pacing_max_seconds": 0,
    }
    li = await w.suite.linkedin_account(
        auth,
        unipile_account_id=account,
        timezone="Europe/Paris",
        limits={"linkedin_invite": no_pacing, "linkedin_message": no_pacing},
    )
    server = {
        "host": "127.0.0.1",
        "port": w.smtp_port,
        "security": "none",
        "username": "sender@acme.example",
        "password": "app-password-1",
    }
    status, inbox = await w.suite.call(
        "POST",
        "/api/v1/inboxes",
        auth,
        json={
            "email": "sender@acme.example",
            "smtp": server,
            "imap": {**server, "port": 1},
            "timezone": "Europe/Paris",
            "limits": {"email": {**no_pacing, "daily_cap": 100, "ramp_start": 100}},
        },
    )
    assert status == 201, inbox
    status, campaign = await w.suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "Founders",
            "schedule": SCHEDULE,
            "steps": steps,
            "senders": {"linkedin_account_ids": [li], "inbox_ids": [inbox["id"]]},
        },
    )
    assert status == 201, campaign
    cid = campaign["id"]
    status, added = await w.suite.call(
        "POST",
        f"/api/v1/campaigns/{cid}/prospects",
        auth,
        json={
            "prospects": [
                {"linkedin_provider_id": f"ACo{i:04d}", "email": f"p{i}@prospect.example", "first_name": f"Name{i}"}
                for i in range(prospects)
            ]
        },
    )
    assert status == 200 and added["added"] == prospects, added
    if activate:
        status, activated = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)
        assert status == 200, activated
    return Setup(auth, cid, li, account, inbox["id"])


@pytest.fixture
async def imap() -> AsyncIterator[SandboxImap]:
    """A real IMAP server that accepts the world's sender login (the SMTP sandbox's first password)."""
    sandbox = SandboxImap()
    await sandbox.start()
    sandbox.set_password(SENDER, SENDER_PASSWORD)
    yield sandbox
    await sandbox.stop()


@pytest.fixture
async def replica(world: World) -> AsyncIterator[AccountsService]:
    """Another accounts service on the suite's database: runs the probe job when the test says so."""
    pool = await create_pool(world.suite.dsn, application_name="test-accounts-replica", max_size=2)
    settings = config.load(AccountsSettings, suite_env(world.suite.dsn))
    yield accounts_main.build_service(settings, pool, world.clock, unipile=None)
    await pool.close()
