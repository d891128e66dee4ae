"""A campaign end to end through HTTP, on virtual time: the whole suite in-process on one shared manual
clock, the Unipile sandbox and a real SMTP server, invite -> acceptance (by webhook) -> message -> email,
and a three-day pause whose backlog is spread as the resume preview said."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg
import pytest
from aiohttp import web

from sandbox.smtp import SandboxSmtp
from sandbox.unipile import STATE, SandboxState
from sandbox.unipile import create_app as create_unipile
from services.common import timemath
from services.common.clock import ManualClock
from services.common.providers.unipile import UnipileClient
from tests.conftest import Suite, create_database, start_suite

MONDAY_0800_PARIS = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
SCHEDULE = {"days": ["mon", "tue", "wed", "thu", "fri"], "window": {"start": "09:00", "end": "17:00"},
            "timezone": "Europe/Paris", "randomize_within_window": True}
PARIS = timemath.Schedule.parse(SCHEDULE["days"], "09:00", "17:00", "Europe/Paris", True)
WEBHOOK_SECRET = "whsec-test-0123456789"


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
                self.clock.now())
            outbox = await self.db.fetchval("SELECT (SELECT count(*) FROM campaigns.outbox)"
                                            " + (SELECT count(*) FROM accounts.outbox)")
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
                      AND NOT (h.held_scopes && ARRAY['campaign', p.channel])""")
            if nxt is None or nxt > end:
                self.clock.set(max(end, self.clock.now()))
                await self.settle()
                return
            self.clock.set(max(nxt, self.clock.now()))
            await self.settle()


@pytest.fixture
async def world(pg_dsn) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        clock = ManualClock(MONDAY_0800_PARIS)
        unipile_app = create_unipile("sandbox-key")
        runner = web.AppRunner(unipile_app, access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        unipile_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
        smtp = SandboxSmtp()
        smtp.set_password("sender@acme.example", "app-password-1")
        smtp_port = await smtp.start()
        stack.push_async_callback(smtp.stop)
        dsn = await create_database(pg_dsn)
        suite = await start_suite(dsn, stack, clock, HOLDFAST_UNIPILE_DSN=unipile_url,
                                  HOLDFAST_UNIPILE_API_KEY="sandbox-key",
                                  HOLDFAST_UNIPILE_WEBHOOK_SECRET=WEBHOOK_SECRET)
        db = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
        stack.push_async_callback(db.close)
        async with aiohttp.ClientSession() as http:
            client = UnipileClient(unipile_url, "sandbox-key", http)
            await client.create_webhook(f"{suite.base_url}/webhooks/unipile", "users",
                                        {"Unipile-Auth": WEBHOOK_SECRET})
        yield World(suite, clock, unipile_app[STATE], unipile_url, smtp, smtp_port, db)


async def setup_campaign(w: World, prospects: int, steps: list[dict], invite_cap: int = 100) -> tuple[dict, str]:
    _, auth = await w.suite.new_workspace()
    account = f"acc-{uuid.uuid4().hex[:8]}"
    async with w.suite.http.post(f"{w.unipile_url}/_sandbox/accounts", json={"id": account, "name": "Ana"}) as r:
        assert r.status < 300
    no_pacing = {"daily_cap": invite_cap, "weekly_cap": max(invite_cap * 5, 200), "ramp_start": invite_cap,
                 "ramp_step": 0, "pacing_min_seconds": 0, "pacing_max_seconds": 0}
    li = await w.suite.linkedin_account(auth, unipile_account_id=account, timezone="Europe/Paris",
                                        limits={"linkedin_invite": no_pacing, "linkedin_message": no_pacing})
    server = {"host": "127.0.0.1", "port": w.smtp_port, "security": "none", "username": "sender@acme.example",
              "password": "app-password-1"}
    status, inbox = await w.suite.call("POST", "/api/v1/inboxes", auth, json={
        "email": "sender@acme.example", "smtp": server, "imap": {**server, "port": 1},
        "timezone": "Europe/Paris", "limits": {"email": {**no_pacing, "daily_cap": 100, "ramp_start": 100}}})
    assert status == 201, inbox
    status, campaign = await w.suite.call("POST", "/api/v1/campaigns", auth, json={
        "name": "Founders", "schedule": SCHEDULE, "steps": steps,
        "senders": {"linkedin_account_ids": [li], "inbox_ids": [inbox["id"]]}})
    assert status == 201, campaign
    cid = campaign["id"]
    status, added = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/prospects", auth, json={"prospects": [
        {"linkedin_provider_id": f"ACo{i:04d}", "email": f"p{i}@prospect.example", "first_name": f"Name{i}"}
        for i in range(prospects)]})
    assert status == 200 and added["added"] == prospects, added
    status, activated = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)
    assert status == 200, activated
    return auth, cid


async def test_invite_acceptance_message_and_email_go_out_at_valid_times(world):
    w = world
    steps = [{"channel": "linkedin", "action": "invite", "text": "Hi {{first_name}}"},
             {"channel": "linkedin", "action": "message", "delay": {"days": 1}, "text": "Thanks {{first_name}}!"},
             {"channel": "email", "action": "email", "delay": {"days": 2}, "subject": "Hello {{first_name}}",
              "body": "Following up, {{first_name}}."}]
    auth, cid = await setup_campaign(w, 3, steps)
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=1))
    assert sorted(i.provider_id for i in w.unipile.invitations) == ["ACo0000", "ACo0001", "ACo0002"]

    # Two accept; Unipile tells us by webhook, and the gateway hands it to the scheduler.
    accepted_at = w.clock.now()
    for provider in ("ACo0000", "ACo0002"):
        account = w.unipile.invitations[0].account_id
        async with w.suite.http.post(f"{w.unipile_url}/_sandbox/accounts/{account}/accept",
                                     json={"provider_id": provider}) as r:
            assert r.status < 300, await r.text()
            deliveries = (await r.json()).get("deliveries", [])
        assert any(d.get("status") == 200 for d in deliveries), deliveries
    await w.settle()
    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects", auth)
    by_provider = {p["linkedin_provider_id"]: p for p in page["prospects"]}
    assert by_provider["ACo0001"]["state"] == "waiting_acceptance"
    assert by_provider["ACo0001"]["why_not_now"] == ["waiting_for_acceptance"]
    waiting = by_provider["ACo0000"]
    assert waiting["state"] == "scheduled" and waiting["current_step"] == 1
    assert datetime.fromisoformat(waiting["next_action_at"]) >= accepted_at + timedelta(days=1)

    await w.run_until(MONDAY_0800_PARIS + timedelta(days=10))
    chats = [(c.attendee_provider_id, m.text, m.sent_at) for c in w.unipile.chats.values() for m in c.messages]
    assert sorted((p, t) for p, t, _ in chats) == [("ACo0000", "Thanks Name0!"), ("ACo0002", "Thanks Name2!")]
    emails = w.smtp.messages
    assert sorted((m.rcpt_tos[0], m.subject) for m in emails) == [
        ("p0@prospect.example", "Hello Name0"), ("p2@prospect.example", "Hello Name2")]
    attempts = await w.db.fetch("SELECT action_type, started_at, status FROM scheduler.send_attempts")
    assert {a["status"] for a in attempts} == {"succeeded"}
    assert Counter(a["action_type"] for a in attempts) == {"linkedin_invite": 3, "linkedin_message": 2, "email": 2}
    assert all(timemath.is_open(PARIS, a["started_at"]) for a in attempts), "every send inside a window"
    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects", auth)
    assert sorted(p["state"] for p in page["prospects"]) == ["done", "done", "waiting_acceptance"]


async def test_a_three_day_pause_resumes_as_the_preview_said_without_a_burst(world):
    w = world
    auth, cid = await setup_campaign(w, 40, [{"channel": "linkedin", "action": "invite"}], invite_cap=10)
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=4))  # Monday noon in Paris
    before = len(w.unipile.invitations)
    assert 0 < before <= 10
    status, paused = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth)
    assert status == 200 and paused["campaign"]["status"] == "paused"
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=3, hours=4))  # Thursday noon
    assert len(w.unipile.invitations) == before, "nothing is sent while paused"
    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects?page_size=200", auth)
    assert all("paused:manual" in p["why_not_now"] for p in page["prospects"] if p["state"] == "scheduled")

    status, preview = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/resume-preview", auth)
    assert status == 200 and preview["overdue"] > 0
    overdue_before = {p["id"] for p in page["prospects"] if p["state"] == "scheduled"
                      and datetime.fromisoformat(p["next_action_at"]) <= w.clock.now()}
    assert len(overdue_before) == preview["overdue"]
    status, resumed = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/resume", auth)
    assert status == 200 and resumed["campaign"]["status"] == "active", resumed
    assert datetime.fromisoformat(resumed["next_sends"]["linkedin"]) >= w.clock.now()

    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects?page_size=200", auth)
    # The dispatcher runs meanwhile: an action it already sent counts at the instant it went out.
    sent_at = {str(r["prospect_id"]): r["started_at"] for r in await w.db.fetch(
        "SELECT prospect_id, started_at FROM scheduler.send_attempts WHERE started_at >= $1", w.clock.now())}
    replanned = [datetime.fromisoformat(p["next_action_at"]) if p["next_action_at"] else sent_at[p["id"]]
                 for p in page["prospects"] if p["id"] in overdue_before]
    per_day = Counter(timemath.local_date("Europe/Paris", t).isoformat() for t in replanned)
    assert sorted(per_day.items()) == sorted((d["date"], d["count"]) for d in preview["days"])

    await w.run_until(MONDAY_0800_PARIS + timedelta(days=14))
    sent = await w.db.fetch("SELECT started_at FROM scheduler.send_attempts WHERE status = 'succeeded'")
    assert len(sent) == 40 and len({i.provider_id for i in w.unipile.invitations}) == 40
    daily = Counter(timemath.local_date("Europe/Paris", s["started_at"]) for s in sent)
    assert max(daily.values()) <= 10, f"no day over the cap after the resume: {daily}"
