"""Bounces end to end (issue 5): emails go out through the real SMTP sandbox, the receiving side's delivery-status
notifications land in the inbox's IMAP sandbox, accounts reads them (a bounce poll) and reports each hard bounce
to the scheduler, which stops the prospect and measures the inbox's bounce rate. Above the threshold (5 % of at
least 20 emails over 7 days, the defaults) the campaign's email steps pause with email_high_bounce_rate while its
LinkedIn step keeps going; the same DSN delivered twice counts once; the reason clears by itself once the window
has slid past the bounces, or when a member resumes."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from holdfast.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from sandbox.imap import SandboxImap
from services.accounts import main as accounts_main
from services.accounts.config import Settings as AccountsSettings
from services.accounts.inbox_poller import InboxPoller
from services.common import config
from services.common.db import create_pool
from services.common.grpc_client import open_channel
from services.scheduler import clients as scheduler_clients
from services.scheduler.bounce_rate import BouncePolicy, BounceRateMonitor
from services.scheduler.repository import Repository as SchedulerRepository
from tests.conftest import suite_env
from tests.e2e.conftest import MONDAY_0800_PARIS, SCHEDULE, World

USER = "sender@acme.example"
PASSWORD = "app-password-1"  # the world's SMTP sandbox accepts it
PROSPECTS = 25
POLL_STEP = timedelta(seconds=361)  # more than the largest jittered poll interval (300 s + 20 %)
NO_PACING = {
    "daily_cap": 100,
    "weekly_cap": 500,
    "ramp_start": 100,
    "ramp_step": 0,
    "pacing_min_seconds": 0,
    "pacing_max_seconds": 0,
}


@pytest.fixture
async def poller(world: World) -> AsyncIterator[InboxPoller]:
    """Another accounts replica's bounce poller on the suite's database, run when the test says so."""
    pool = await create_pool(world.suite.dsn, application_name="test-bounce-poller", max_size=2)
    settings = config.load(AccountsSettings, suite_env(world.suite.dsn))
    yield accounts_main.build_inbox_poller(settings, pool, world.clock)
    await pool.close()


@pytest.fixture
async def monitor(world: World) -> AsyncIterator[BounceRateMonitor]:
    """Another scheduler replica's periodic bounce-rate job (the suite's own runs every 60 real seconds)."""
    pool = await create_pool(world.suite.dsn, application_name="test-bounce-monitor", max_size=2)
    yield BounceRateMonitor(
        SchedulerRepository(pool), world.clock, scheduler_clients.ProtoEvents().bounce_rate, BouncePolicy()
    )
    await pool.close()


async def wait_for(w: World, auth: dict, cid: str, check, what: str, within_s: float = 10.0) -> dict:
    deadline = time.monotonic() + within_s
    while True:
        _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{cid}", auth)
        if check(campaign):
            return campaign
        assert time.monotonic() < deadline, f"campaign never {what}: {campaign}"
        await asyncio.sleep(0.02)


async def poll(w: World, poller: InboxPoller) -> None:
    """One bounce poll of every inbox (time moves on so that each is due), then wait for the reports to land."""
    w.clock.advance(POLL_STEP)
    await poller.poll_once()
    await w.settle()


async def until(read, check, within_s: float = 10.0) -> None:
    """Wait until `check(await read())` holds (the outbox delivers in the background)."""
    deadline = time.monotonic() + within_s
    while not check(value := await read()):
        assert time.monotonic() < deadline, f"still {value!r}"
        await asyncio.sleep(0.02)


async def bounced(w: World) -> int:
    return await w.db.fetchval("SELECT count(*) FROM scheduler.bounces")


async def setup(w: World, imap: SandboxImap, steps: list[dict], prospects: int = PROSPECTS) -> tuple[dict, str, str]:
    _, auth = await w.suite.new_workspace()
    account = f"acc-{uuid.uuid4().hex[:8]}"
    async with w.suite.http.post(f"{w.unipile_url}/_sandbox/accounts", json={"id": account, "name": "Ana"}) as r:
        assert r.status < 300
    li = await w.suite.linkedin_account(
        auth, unipile_account_id=account, timezone="Europe/Paris", limits={"linkedin_invite": NO_PACING}
    )
    imap_port = imap._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    smtp = {"host": "127.0.0.1", "port": w.smtp_port, "security": "none", "username": USER, "password": PASSWORD}
    status, inbox = await w.suite.call(
        "POST",
        "/api/v1/inboxes",
        auth,
        json={
            "email": USER,
            "smtp": smtp,
            "imap": {**smtp, "port": imap_port},
            "timezone": "Europe/Paris",
            "limits": {"email": NO_PACING},
        },
    )
    assert status == 201, inbox
    status, campaign = await w.suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "Bounces",
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
    status, activated = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)
    assert status == 200, activated
    return auth, cid, inbox["id"]


def sent_to(w: World, address: str) -> list[bytes]:
    return [m.message.as_bytes() for m in w.smtp.messages if m.rcpt_tos == (address,)]


async def test_bounce_rate_pauses_email_only_counts_a_dsn_once_and_clears_when_the_window_slides(
    world: World, imap: SandboxImap, poller: InboxPoller, monitor: BounceRateMonitor
) -> None:
    w = world
    steps = [
        {"channel": "email", "action": "email", "subject": "Hello {{first_name}}", "body": "A note"},
        {"channel": "linkedin", "action": "invite", "delay": {"days": 1}, "text": "Hi {{first_name}}"},
        {"channel": "email", "action": "email", "delay": {"days": 1}, "subject": "Again", "body": "Thanks"},
    ]
    auth, cid, inbox_id = await setup(w, imap, steps)
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=10))  # Monday 18:00 in Paris: every first email is out
    assert len(w.smtp.messages) == PROSPECTS

    # A mail that is not a report, and p0's DSN delivered twice: one bounce, 1/25 = 4 %, under the threshold.
    imap.deliver(USER, b"From: someone@else.example\r\nSubject: out of office\r\n\r\nBack Monday.\r\n")
    (first_email,) = sent_to(w, "p0@prospect.example")
    imap.deliver_dsn(USER, first_email)
    imap.deliver_dsn(USER, first_email)
    await poll(w, poller)
    await until(lambda: bounced(w), lambda n: n >= 1)
    await poll(w, poller)  # nothing new: the cursor moved past both
    assert await bounced(w) == 1
    plan = await w.db.fetchrow(
        "SELECT state, stop_reason FROM scheduler.prospect_plans WHERE email = $1", "p0@prospect.example"
    )
    assert (plan["state"], plan["stop_reason"]) == ("stopped", "email_bounced")
    _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{cid}", auth)
    assert campaign["status"] == "active"

    # p1 bounces too: 2/25 = 8 % > 5 % with 25 >= 20 emails sent. The email steps pause, and only them.
    imap.deliver_dsn(USER, sent_to(w, "p1@prospect.example")[0], status="5.1.1")
    # A soft bounce (4.x.x, delayed) is no bounce.
    imap.deliver_dsn(
        USER,
        sent_to(w, "p2@prospect.example")[0],
        status="4.4.7",
        action="delayed",
        diagnostic="421 4.4.7 Message delayed",
    )
    started = time.monotonic()
    await poll(w, poller)
    campaign = await wait_for(w, auth, cid, lambda c: c["status"] == "paused", "paused")
    # This replica's poller cannot kick the suite's outbox relay: its 1 s poll is part of the figure.
    print(f"\nbounce poll -> campaign paused: {(time.monotonic() - started) * 1000:.0f} ms")  # noqa: T201
    assert campaign["paused_reason"] == "email_high_bounce_rate"
    assert [(r["reason"], r["scope"]) for r in campaign["pause_reasons"]] == [("email_high_bounce_rate", "email")]
    (reason,) = campaign["pause_reasons"]
    assert reason["detail"] == "8% of the last 25 emails bounced (2)"
    assert "bounced" in reason["explanation"] and "Resume" in reason["action"]
    assert await bounced(w) == 2
    rate = await w.db.fetchrow(
        "SELECT bounce_alert, bounce_rate, bounce_sample FROM scheduler.sender_states WHERE sender_id = $1",
        uuid.UUID(inbox_id),
    )
    assert rate["bounce_alert"] and rate["bounce_sample"] == PROSPECTS and rate["bounce_rate"] == pytest.approx(0.08)

    # Isolation: another inbox cannot bounce this inbox's email (its DSN would name a message it never sent).
    p3_message_id = next(m.message_id for m in w.smtp.messages if m.rcpt_tos == ("p3@prospect.example",))
    async with open_channel(f"127.0.0.1:{w.suite.ports['scheduler']}") as channel:
        reply = await scheduler_pb2_grpc.SchedulerServiceStub(channel).RecordBounces(
            scheduler_pb2.RecordBouncesRequest(
                inbox_id=str(uuid.uuid4()),
                bounces=[
                    scheduler_pb2.Bounce(message_id=p3_message_id, recipient="p3@prospect.example", status="5.1.1")
                ],
            )
        )
    assert reply.recorded == 0 and await bounced(w) == 2

    # Tuesday: the LinkedIn step goes on while email is held, and the bounced prospects get nothing more.
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=1, hours=10))
    invited = sorted(i.provider_id for i in w.unipile.invitations)
    assert invited == [f"ACo{i:04d}" for i in range(2, PROSPECTS)]
    account = w.unipile.invitations[0].account_id
    for provider in ("ACo0002", "ACo0003"):
        async with w.suite.http.post(
            f"{w.unipile_url}/_sandbox/accounts/{account}/accept", json={"provider_id": provider}
        ) as r:
            assert r.status < 300, await r.text()
    await w.settle()
    # Their second email falls due on Wednesday: held.
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=3, hours=10))
    assert len(w.smtp.messages) == PROSPECTS

    # A week after the sends, the bounces have left the window: the rate falls under the threshold (its sample
    # too), the reason clears by itself and the held emails go out, never to a bounced address.
    w.clock.set(MONDAY_0800_PARIS + timedelta(days=7, hours=11))
    await monitor.evaluate_bounce_rates_once()  # (unless the suite's own job got there first)
    # (30 s: the clear goes scheduler -> outbox -> campaigns, which a loaded 2-core CI machine can take seconds for.)
    campaign = await wait_for(w, auth, cid, lambda c: c["status"] == "active", "active again", within_s=30.0)
    assert campaign["pause_reasons"] == []
    _, history = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/pause-history", auth)
    assert [(e["action"], e["reason"], e["actor"]["source"]) for e in history["entries"]] == [
        ("added", "email_high_bounce_rate", "bounce_detector"),
        ("cleared", "email_high_bounce_rate", "bounce_detector"),
    ]
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=8, hours=10))
    second = sorted(m.rcpt_tos[0] for m in w.smtp.messages[PROSPECTS:])
    assert second == ["p2@prospect.example", "p3@prospect.example"]
    assert len(sent_to(w, "p0@prospect.example")) == len(sent_to(w, "p1@prospect.example")) == 1


async def test_member_resume_clears_the_bounce_rate_and_the_old_bounces_no_longer_count(
    world: World, imap: SandboxImap, poller: InboxPoller
) -> None:
    w = world
    steps = [
        {"channel": "email", "action": "email", "subject": "Hello {{first_name}}", "body": "A note"},
        {"channel": "email", "action": "email", "delay": {"days": 1}, "subject": "Again", "body": "Thanks"},
    ]
    auth, cid, _ = await setup(w, imap, steps, prospects=20)
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=10))
    assert len(w.smtp.messages) == 20
    for address in ("p0@prospect.example", "p1@prospect.example"):
        imap.deliver_dsn(USER, sent_to(w, address)[0])
    await poll(w, poller)
    campaign = await wait_for(w, auth, cid, lambda c: c["status"] == "paused", "paused")
    assert campaign["paused_reason"] == "email_high_bounce_rate"

    # The member cleaned the list and resumes: the gate is theirs to pass.
    status, resumed = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/resume", auth)
    assert status == 200, resumed
    assert resumed["campaign"]["status"] == "active", resumed
    # The inbox's sample starts afresh: the two old bounces do not pause again.
    await until(
        lambda: w.db.fetchval("SELECT bounce_alert FROM scheduler.sender_states WHERE sender_kind = 'inbox'"),
        lambda alert: alert is False,
    )
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=1, hours=10))
    second = sorted(m.rcpt_tos[0] for m in w.smtp.messages[20:])
    assert second == sorted(f"p{i}@prospect.example" for i in range(2, 20))
    _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{cid}", auth)
    assert campaign["status"] == "completed"  # not paused again; every prospect is through the sequence (issue 17)
    _, history = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/pause-history", auth)
    entries = [(e["action"], e["reason"], e["actor"]["kind"]) for e in history["entries"]]
    assert entries == [("added", "email_high_bounce_rate", "system"), ("cleared", "email_high_bounce_rate", "member")]
