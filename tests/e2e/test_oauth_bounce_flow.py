"""Bounce detection for an inbox connected with Google or Microsoft OAuth (issue 5): its campaign's emails go out
through the provider's SMTP server with XOAUTH2; the receiving side's delivery-status notification lands in the
provider's IMAP server (the sandbox, trusting the same OAuth sandboxes); a bounce poll logs in there with
AUTHENTICATE XOAUTH2 and the access token the sends cached (no refresh of its own), and the scheduler counts the hard
bounce. Once the user revoked the app's access, the poll gets no token (invalid_grant): it is skipped, its error
recorded without any secret, and the inbox's health is left to the login probe."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import pytest
from aiohttp import web

from sandbox.imap import LoginAttempt, SandboxImap
from sandbox.oauth import STATE as OAUTH_STATE
from sandbox.oauth import OAuthState
from sandbox.oauth import create_app as create_oauth
from sandbox.smtp import SandboxSmtp
from sandbox.unipile import SandboxState
from services.accounts import main as accounts_main
from services.accounts.config import Settings as AccountsSettings
from services.accounts.inbox_poller import InboxPoller
from services.common import config
from services.common.clock import ManualClock
from services.common.db import create_pool
from tests.conftest import create_database, start_suite, suite_env
from tests.e2e.conftest import MONDAY_0800_PARIS, World
from tests.e2e.test_oauth_inbox_flow import PARIS_0900, SCHEDULE, connect_with_oauth

USER = "sender@acme.example"
PROSPECTS = 3
POLL_STEP = timedelta(seconds=361)  # more than the largest jittered poll interval (300 s + 20 %)


@dataclass
class OAuthBounceWorld:
    world: World
    imap: SandboxImap
    providers: dict[str, OAuthState]
    urls: dict[str, str]
    poller: InboxPoller


@pytest.fixture
async def obw(pg_dsn: str) -> AsyncIterator[OAuthBounceWorld]:
    async with AsyncExitStack() as stack:
        clock = ManualClock(MONDAY_0800_PARIS)
        providers, urls, env = {}, {}, {}
        for name in ("google", "microsoft"):
            app = create_oauth(name, f"{name}-client-id", f"{name}-client-secret")
            app[OAUTH_STATE].clock = clock.now  # access tokens expire on the suite's virtual time
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            stack.push_async_callback(runner.cleanup)
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            urls[name] = f"http://127.0.0.1:{runner.addresses[0][1]}"
            providers[name] = app[OAUTH_STATE]
        smtp, imap = SandboxSmtp(), SandboxImap()
        smtp.trust_oauth(*providers.values())
        imap.trust_oauth(*providers.values())
        smtp_port, imap_port = await smtp.start(), await imap.start()
        stack.push_async_callback(smtp.stop)
        stack.push_async_callback(imap.stop)
        for name in ("google", "microsoft"):
            up = name.upper()
            env |= {
                f"HOLDFAST_{up}_CLIENT_ID": f"{name}-client-id",
                f"HOLDFAST_{up}_CLIENT_SECRET": f"{name}-client-secret",
                f"HOLDFAST_{up}_AUTH_URL": f"{urls[name]}/authorize",
                f"HOLDFAST_{up}_TOKEN_URL": f"{urls[name]}/token",
                # The provider's mail servers are the sandboxes (no TLS there).
                f"HOLDFAST_{up}_SMTP": f"127.0.0.1:{smtp_port}",
                f"HOLDFAST_{up}_SMTP_SECURITY": "none",
                f"HOLDFAST_{up}_IMAP": f"127.0.0.1:{imap_port}",
                f"HOLDFAST_{up}_IMAP_SECURITY": "none",
            }
        dsn = await create_database(pg_dsn)
        # The suite's own bounce loop is off: the test's replica polls when the test says so.
        suite = await start_suite(
            dsn, stack, clock, HOLDFAST_PUBLIC_URL="http://127.0.0.1:1", HOLDFAST_BOUNCE_POLLS_ENABLED="false", **env
        )
        db = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
        stack.push_async_callback(db.close)
        pool = await create_pool(dsn, application_name="test-bounce-poller", max_size=2)
        stack.push_async_callback(pool.close)
        poller = accounts_main.build_inbox_poller(config.load(AccountsSettings, suite_env(dsn, **env)), pool, clock)
        world = World(suite, clock, SandboxState("unused"), "", smtp, smtp_port, db)  # email only: no Unipile
        yield OAuthBounceWorld(world, imap, providers, urls, poller)


async def until(read, check, within_s: float = 10.0) -> None:
    """Wait until `check(await read())` holds (the outbox delivers in the background)."""
    deadline = time.monotonic() + within_s
    while not check(value := await read()):
        assert time.monotonic() < deadline, f"still {value!r}"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("provider", ["google", "microsoft"])
async def test_an_oauth_inbox_bounce_reports_are_read_with_xoauth2_and_a_revoked_grant_only_skips_the_poll(
    obw: OAuthBounceWorld, provider: str
) -> None:
    w, imap, oauth_server = obw.world, obw.imap, obw.providers[provider]
    _, auth = await w.suite.new_workspace()
    no_pacing = {
        "daily_cap": 100,
        "weekly_cap": 500,
        "ramp_start": 100,
        "ramp_step": 0,
        "pacing_min_seconds": 0,
        "pacing_max_seconds": 0,
    }
    placeholder = {"host": "127.0.0.1", "port": 1, "security": "none", "username": USER, "password": "not-used-1"}
    status, inbox = await w.suite.call(
        "POST",
        "/api/v1/inboxes",
        auth,
        json={
            "email": USER,
            "smtp": placeholder,
            "imap": placeholder,
            "timezone": "Europe/Paris",
            "limits": {"email": no_pacing},
        },
    )
    assert status == 201, inbox
    inbox_id = inbox["id"]
    connected = await connect_with_oauth(w, auth, inbox_id, provider, obw.urls[provider])
    assert connected["auth_kind"] == f"{provider}_oauth"
    status, campaign = await w.suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "OAuth bounces",
            "schedule": SCHEDULE,
            "steps": [{"channel": "email", "action": "email", "subject": "Hello {{first_name}}", "body": "A note"}],
            "senders": {"inbox_ids": [inbox_id]},
        },
    )
    assert status == 201, campaign
    cid = campaign["id"]
    status, added = await w.suite.call(
        "POST",
        f"/api/v1/campaigns/{cid}/prospects",
        auth,
        json={"prospects": [{"email": f"p{i}@prospect.example", "first_name": f"Name{i}"} for i in range(PROSPECTS)]},
    )
    assert status == 200 and added["added"] == PROSPECTS, added
    status, activated = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)
    assert status == 200, activated
    await w.run_until(PARIS_0900 + timedelta(minutes=30))
    assert len(w.smtp.messages) == PROSPECTS
    assert {(m.user, m.mechanism) for m in w.smtp.messages} == {(USER, "XOAUTH2")}

    # p0's email bounces: the DSN lands in the provider's INBOX, next to a mail that is no report.
    imap.deliver(USER, b"From: someone@else.example\r\nSubject: out of office\r\n\r\nBack Monday.\r\n")
    p0 = next(m.message.as_bytes() for m in w.smtp.messages if m.rcpt_tos == ("p0@prospect.example",))
    imap.deliver_dsn(USER, p0)
    refreshes = oauth_server.refresh_grants
    w.clock.advance(POLL_STEP)
    assert await obw.poller.poll_once() == 1
    await until(lambda: w.db.fetchval("SELECT count(*) FROM scheduler.bounces"), lambda n: n == 1)
    assert imap.login_attempts == [LoginAttempt(USER, True, "XOAUTH2")]
    assert oauth_server.refresh_grants == refreshes, "the poll used the access token the sends cached"
    bounce = await w.db.fetchrow("SELECT sender_id, recipient, status FROM scheduler.bounces")
    assert (str(bounce["sender_id"]), bounce["recipient"], bounce["status"]) == (
        inbox_id,
        "p0@prospect.example",
        "5.1.1",
    )
    cursor = await w.db.fetchrow(
        "SELECT bounce_last_uid, last_bounce_poll_error FROM accounts.inboxes WHERE id = $1", uuid.UUID(inbox_id)
    )
    assert (cursor["bounce_last_uid"], cursor["last_bounce_poll_error"]) == (2, "")

    # The user removes the app's access; an hour on, the cached token has expired and the refresh answers
    # invalid_grant. The poll is skipped (no login, the cursor stays), its error kept; the inbox stays connected
    # (the login probe, off in this suite, decides its health).
    async with w.suite.http.post(f"{obw.urls[provider]}/_sandbox/revoke") as r:
        assert r.status == 200
    imap.deliver_dsn(
        USER, next(m.message.as_bytes() for m in w.smtp.messages if m.rcpt_tos == ("p1@prospect.example",))
    )
    imap.clear()
    w.clock.advance(timedelta(hours=1))
    assert await obw.poller.poll_once() == 1
    assert imap.login_attempts == []
    row = await w.db.fetchrow(
        "SELECT status, bounce_last_uid, last_bounce_poll_error FROM accounts.inboxes WHERE id = $1",
        uuid.UUID(inbox_id),
    )
    assert row["status"] == "connected" and row["bounce_last_uid"] == 2, dict(row)
    assert "invalid_grant" in row["last_bounce_poll_error"], row["last_bounce_poll_error"]
    assert not any(token in row["last_bounce_poll_error"] for token in oauth_server.access_tokens)
    assert await w.db.fetchval("SELECT count(*) FROM scheduler.bounces") == 1
