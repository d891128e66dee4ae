"""An inbox connected with Google or Microsoft OAuth, end to end (issue 5): its campaign's emails go out through the
provider's SMTP server with SASL XOAUTH2 and a cached access token, refreshed when it nears expiry; the user revokes
the app's access at the provider, so the next send is refused (the revoked access token, then invalid_grant on
refresh) and three probes later the inbox is disconnected and the campaign paused (email scope); connecting the inbox
again through the OAuth flow resumes the campaign within seconds, and sending continues with the next prospect in
line: everyone gets the email once, none twice. No token or client secret is ever logged or stored in plaintext.

The whole suite runs in-process on one manual clock shared with the OAuth sandboxes; the SMTP sandbox accepts only
the access tokens they issued, to the user they were issued to, while live."""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import structlog
from aiohttp import web

from holdfast.accounts.v1 import accounts_pb2, accounts_pb2_grpc
from holdfast.common.v1 import types_pb2
from sandbox.oauth import STATE as OAUTH_STATE
from sandbox.oauth import OAuthState
from sandbox.oauth import create_app as create_oauth
from sandbox.smtp import SandboxSmtp
from sandbox.unipile import SandboxState
from services.accounts import main as accounts_main
from services.accounts.config import Settings as AccountsSettings
from services.accounts.repository import Repository
from services.accounts.service import AccountsService
from services.common import config
from services.common.clock import ManualClock
from services.common.crypto import Keyring, key_id_of
from services.common.db import create_pool
from services.common.errors import FailedPrecondition, Unavailable
from services.common.grpc_client import open_channel
from tests.conftest import TEST_SECRET_KEYS, create_database, start_suite, suite_env
from tests.e2e.conftest import MONDAY_0800_PARIS, World
from tests.e2e.test_no_plaintext_secrets import dump_database, variants

USER = "sender@acme.example"
PROSPECTS = 6
PACING_S = 1800
# 09:00 to 17:00 in Paris, no randomizing: one email every 30 minutes from 09:00.
SCHEDULE = {
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "window": {"start": "09:00", "end": "17:00"},
    "timezone": "Europe/Paris",
    "randomize_within_window": False,
}
PARIS_0900 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PROBE_STEP = timedelta(seconds=361)  # more than the largest jittered probe interval (300 s + 20 %)


@dataclass
class OAuthWorld:
    world: World
    providers: dict[str, OAuthState]
    urls: dict[str, str]
    replica: AccountsService
    replica_repository: Repository


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Every log line the services write, rendered (and redacted) as they write it, at debug level."""
    root = logging.getLogger()
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    rendering = [h.formatter for h in root.handlers if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter)]
    assert rendering, "services.common.logging.configure ran (tests/conftest.py)"
    handler.setFormatter(rendering[0])
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
async def ow(logs: io.StringIO, pg_dsn: str) -> AsyncIterator[OAuthWorld]:
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
        smtp = SandboxSmtp()
        smtp.trust_oauth(*providers.values())
        smtp_port = await smtp.start()
        stack.push_async_callback(smtp.stop)
        for name in ("google", "microsoft"):
            up = name.upper()
            env |= {
                f"HOLDFAST_{up}_CLIENT_ID": f"{name}-client-id",
                f"HOLDFAST_{up}_CLIENT_SECRET": f"{name}-client-secret",
                f"HOLDFAST_{up}_AUTH_URL": f"{urls[name]}/authorize",
                f"HOLDFAST_{up}_TOKEN_URL": f"{urls[name]}/token",
                # The provider's SMTP server is the sandbox's (no TLS there).
                f"HOLDFAST_{up}_SMTP": f"127.0.0.1:{smtp_port}",
                f"HOLDFAST_{up}_SMTP_SECURITY": "none",
            }
        dsn = await create_database(pg_dsn)
        suite = await start_suite(dsn, stack, clock, HOLDFAST_PUBLIC_URL="http://127.0.0.1:1", **env)
        db = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
        stack.push_async_callback(db.close)
        # Another accounts replica on the suite's database: runs the probe job when the test says so.
        pool = await create_pool(dsn, application_name="test-accounts-replica", max_size=2)
        stack.push_async_callback(pool.close)
        replica = accounts_main.build_service(
            config.load(AccountsSettings, suite_env(dsn, **env)), pool, clock, unipile=None
        )
        # An email-only world: no Unipile.
        world = World(suite, clock, SandboxState("unused"), "", smtp, smtp_port, db)
        yield OAuthWorld(world, providers, urls, replica, Repository(pool))


async def wait_for_status(w: World, auth: dict, cid: str, status: str, within_s: float = 10.0) -> dict:
    deadline = time.monotonic() + within_s
    while True:
        _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{cid}", auth)
        if campaign["status"] == status:
            return campaign
        assert time.monotonic() < deadline, f"campaign never became {status}: {campaign}"
        await asyncio.sleep(0.01)


async def connect_with_oauth(w: World, auth: dict, inbox_id: str, provider: str, provider_url: str) -> dict:
    """The user's round trip: our start -> the provider's consent page -> its redirect to our gateway's callback."""
    callback = f"{w.suite.base_url}/oauth/callback"
    status, started = await w.suite.call(
        "POST", f"/api/v1/inboxes/{inbox_id}/oauth/start", auth, json={"provider": provider, "redirect_uri": callback}
    )
    assert status == 200 and started["url"].startswith(f"{provider_url}/authorize?"), started
    async with w.suite.http.get(started["url"], allow_redirects=False) as r:
        assert r.status == 302, await r.text()
        location = r.headers["Location"]
    assert location.startswith(f"{callback}?")
    async with w.suite.http.get(location) as r:
        body = await r.json()
        assert r.status == 200, body
    return body


async def sent_to(w: World) -> list[str]:
    return [m.rcpt_tos[0] for m in w.smtp.messages]


@pytest.mark.parametrize("provider", ["google", "microsoft"])
async def test_oauth_inbox_sends_with_xoauth2_pauses_on_revoke_and_resumes_after_oauth_reconnect(
    ow: OAuthWorld, provider: str, logs: io.StringIO, capfd: pytest.CaptureFixture[str]
) -> None:
    w, oauth_server = ow.world, ow.providers[provider]
    refresh_tokens: set[str] = set()  # every one the provider issued (it forgets revoked ones)
    _, auth = await w.suite.new_workspace()
    limits = {
        "daily_cap": 100,
        "weekly_cap": 500,
        "ramp_start": 100,
        "ramp_step": 0,
        "pacing_min_seconds": PACING_S,
        "pacing_max_seconds": PACING_S,
    }
    # An inbox is created with a login, then connected with OAuth (as the UI does); its old login is never used.
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
            "limits": {"email": limits},
        },
    )
    assert status == 201, inbox
    inbox_id = inbox["id"]
    connected = await connect_with_oauth(w, auth, inbox_id, provider, ow.urls[provider])
    assert (connected["auth_kind"], connected["status"]) == (f"{provider}_oauth", "connected")
    refresh_tokens |= set(oauth_server.refresh_tokens)

    status, campaign = await w.suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "OAuth inbox",
            "schedule": SCHEDULE,
            "steps": [{"channel": "email", "action": "email", "subject": "Hello {{first_name}}", "body": "A note"}],
            "senders": {"inbox_ids": [inbox_id]},
        },
    )
    assert status == 201, campaign
    cid = campaign["id"]
    emails = [f"p{i}@prospect.example" for i in range(PROSPECTS)]
    status, added = await w.suite.call(
        "POST",
        f"/api/v1/campaigns/{cid}/prospects",
        auth,
        json={"prospects": [{"email": e, "first_name": f"Name{i}"} for i, e in enumerate(emails)]},
    )
    assert status == 200 and added["added"] == PROSPECTS, added
    status, activated = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)
    assert status == 200, activated

    # 09:00, 09:30 and 10:00 (Paris): three emails through the provider's SMTP server, logged in with XOAUTH2.
    refreshes_before = oauth_server.refresh_grants
    await w.run_until(PARIS_0900 + timedelta(minutes=65))
    before = await sent_to(w)
    assert len(before) == 3, before
    assert {(m.user, m.mechanism) for m in w.smtp.messages} == {(USER, "XOAUTH2")}
    # The access token is cached: refreshed for 09:00, reused at 09:30, refreshed again at 10:00 (it expires at
    # 09:59:59, less than five minutes ahead).
    assert oauth_server.refresh_grants - refreshes_before == 2
    row = await w.db.fetchrow(
        "SELECT oauth_access_token, oauth_access_expires_at FROM accounts.inboxes WHERE id = $1", uuid.UUID(inbox_id)
    )
    keyring = Keyring.parse(TEST_SECRET_KEYS)
    cached = keyring.decrypt(row["oauth_access_token"], context=f"inbox:{inbox_id}:oauth_access")
    assert oauth_server.bearer_refusal(USER, cached) is None, "the cached token is a live one the provider issued"
    assert key_id_of(row["oauth_access_token"]) == "test1" and cached.encode() not in bytes(row["oauth_access_token"])
    assert row["oauth_access_expires_at"] == PARIS_0900 + timedelta(hours=1, seconds=3599)
    refresh_tokens |= set(oauth_server.refresh_tokens)
    rows = await dump_database(w.db)

    # The user removes the app's access at the provider (its control API, over HTTP).
    async with w.suite.http.post(f"{ow.urls[provider]}/_sandbox/revoke") as r:
        assert r.status == 200 and (await r.json())["revoked"] == 1
    # 10:30: the mail server refuses the cached access token (revoked with the grant). 11:00 (the pacing gap after
    # that attempt): the cached token was dropped when the failure was reported, and the refresh answers
    # invalid_grant. Both are account-level failures; nothing is sent.
    await w.run_until(PARIS_0900 + timedelta(minutes=125))
    assert await sent_to(w) == before
    failed = await w.db.fetch(
        "SELECT outcome, detail FROM scheduler.send_attempts WHERE status = 'failed' ORDER BY started_at"
    )
    assert [f["outcome"] for f in failed] == ["disconnected", "disconnected"], failed
    refused = "5.7.8 Username and Password not accepted" if provider == "google" else "5.7.3 Authentication unsucc"
    assert refused in failed[0]["detail"] and "invalid_grant" in failed[1]["detail"], failed
    assert cached not in str([dict(f) for f in failed])
    # A refused send only makes the inbox due for a probe (A4): probes refresh the token, get invalid_grant, and
    # three in a row disconnect the inbox.
    for _ in range(3):
        w.clock.advance(PROBE_STEP)
        await w.settle()
        assert await ow.replica.inboxes.probe_inboxes_once() == 1
    campaign = await wait_for_status(w, auth, cid, "paused")
    assert campaign["paused_reason"] == "email_account_disconnected"
    assert [(r["reason"], r["scope"]) for r in campaign["pause_reasons"]] == [("email_account_disconnected", "email")]
    _, got = await w.suite.call("GET", f"/api/v1/inboxes/{inbox_id}", auth)
    assert got["status"] == "disconnected" and "invalid_grant" in got["status_detail"], got

    # Who is next, in the scheduler's line (held in place while paused).
    line = [
        r["email"]
        for r in await w.db.fetch(
            "SELECT email FROM scheduler.prospect_plans WHERE campaign_id = $1 AND state = 'scheduled'"
            " ORDER BY next_action_at, due_at, prospect_id",
            uuid.UUID(cid),
        )
    ]
    assert sorted(before + line) == sorted(emails)
    # Paused for two hours: nothing goes out.
    await w.run_until(w.clock.now() + timedelta(hours=2))
    assert await sent_to(w) == before

    # Connecting again through the OAuth flow: the campaign is active within seconds.
    started = time.monotonic()
    reconnected = await connect_with_oauth(w, auth, inbox_id, provider, ow.urls[provider])
    assert reconnected["status"] == "connected", reconnected
    refresh_tokens |= set(oauth_server.refresh_tokens)
    await wait_for_status(w, auth, cid, "active")
    elapsed = time.monotonic() - started
    assert elapsed < 5.0
    _, history = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/pause-history", auth)
    assert [(e["action"], e["reason"]) for e in history["entries"]] == [
        ("added", "email_account_disconnected"),
        ("cleared", "email_account_disconnected"),
    ]

    # Sending continues with the next prospect in line, with the new grant's tokens; nobody gets the email twice.
    await w.run_until(w.clock.now() + timedelta(days=1))
    sent = await sent_to(w)
    assert sent[: len(before)] == before
    assert sorted(sent) == sorted(emails) and len(set(sent)) == len(sent) == PROSPECTS, sent
    assert sent[len(before) :] == line, "in sequence: the next email goes to the next prospect in line"
    assert {(m.user, m.mechanism) for m in w.smtp.messages} == {(USER, "XOAUTH2")}
    succeeded = await w.db.fetchval("SELECT count(*) FROM scheduler.send_attempts WHERE status = 'succeeded'")
    assert succeeded == PROSPECTS

    # A5: no token, nor the client secret, in any log line or database row, in any encoding (the XOAUTH2 initial
    # response included).
    refresh_tokens |= set(oauth_server.refresh_tokens)
    rows += await dump_database(w.db)
    captured = capfd.readouterr()
    lines = logs.getvalue().splitlines() + captured.out.splitlines() + captured.err.splitlines()
    secrets = {f"refresh token {i}": t for i, t in enumerate(sorted(refresh_tokens))}
    secrets |= {f"access token {i}": t for i, t in enumerate(sorted(oauth_server.access_tokens))}
    secrets["client secret"] = f"{provider}-client-secret"
    assert len(oauth_server.access_tokens) >= 4 and len(refresh_tokens) >= 2 and len(lines) > 100
    leaks = []
    for label, secret in secrets.items():
        forms = variants(secret)
        forms["xoauth2"] = base64.b64encode(f"user={USER}\x01auth=Bearer {secret}\x01\x01".encode()).decode()
        for form, text in forms.items():
            leaks += [f"{label} ({form}) in a log line: {line[:300]}" for line in lines if text in line]
            leaks += [f"{label} ({form}) in a row: {row[:300]}" for row in rows if text in row]
    assert not leaks, "\n".join(leaks[:20])
    # Key rotation re-encrypts the cached access token like the other secrets.
    context = f"inbox:{inbox_id}:oauth_access"
    query = "SELECT oauth_access_token FROM accounts.inboxes WHERE id = $1"
    last = keyring.decrypt(await w.db.fetchval(query, uuid.UUID(inbox_id)), context=context)
    rotated = Keyring.parse("k2:" + "A" * 43 + "=," + TEST_SECRET_KEYS)
    rotation = await AccountsService(
        ow.replica_repository, w.clock, keyring=rotated, sender_state=lambda s: b""
    ).keys.rotate_secret_keys()
    assert rotation.unreadable == 0
    stored = await w.db.fetchval(query, uuid.UUID(inbox_id))
    assert key_id_of(stored) == "k2" and rotated.decrypt(stored, context=context) == last
    # Printed last: capfd has taken everything printed before (quoted in docs/EMAIL.md).
    print(f"\n{provider} OAuth reconnect -> campaign active: {elapsed * 1000:.0f} ms")  # noqa: T201


async def test_sender_credentials_refresh_once_across_replicas_and_classify_refresh_errors(ow: OAuthWorld) -> None:
    """GetSenderCredentials of an OAuth inbox, asked of two accounts replicas at once (the suite's over gRPC, another
    in-process): one refresh, one token; Microsoft's rotated refresh token kept; then the token endpoint down
    (Unavailable: try again later) and the grant revoked (oauth_revoked: an account-level failure)."""
    w, microsoft = ow.world, ow.providers["microsoft"]
    _, auth = await w.suite.new_workspace()
    placeholder = {"host": "127.0.0.1", "port": 1, "security": "none", "username": USER, "password": "not-used-1"}
    status, inbox = await w.suite.call(
        "POST", "/api/v1/inboxes", auth, json={"email": USER, "smtp": placeholder, "imap": placeholder}
    )
    assert status == 201, inbox
    inbox_id = inbox["id"]
    await connect_with_oauth(w, auth, inbox_id, "microsoft", ow.urls["microsoft"])
    channel = open_channel(f"127.0.0.1:{w.suite.ports['accounts']}")
    try:
        stub = accounts_pb2_grpc.AccountsServiceStub(channel)
        request = accounts_pb2.GetSenderCredentialsRequest(sender_kind=types_pb2.SENDER_KIND_INBOX, sender_id=inbox_id)
        before = microsoft.refresh_grants
        over_grpc = asyncio.gather(*(stub.GetSenderCredentials(request) for _ in range(4)))
        in_process = asyncio.gather(*(ow.replica.senders.sender_credentials("inbox", inbox_id) for _ in range(4)))
        replies, found = await asyncio.gather(over_grpc, in_process)
        assert microsoft.refresh_grants - before == 1, "one refresh for eight requests on two replicas"
        tokens = {r.oauth_access_token for r in replies} | {getattr(f, "access_token", "") for f in found}
        assert len(tokens) == 1 and microsoft.bearer_refusal(USER, tokens.pop()) is None
        smtp = replies[0].smtp
        assert (smtp.host, smtp.port, smtp.security, smtp.username, smtp.password) == (
            "127.0.0.1",
            w.smtp_port,
            "none",
            USER,
            "",
        )
        stored = await w.db.fetchval(
            "SELECT oauth_refresh_token FROM accounts.inboxes WHERE id = $1", uuid.UUID(inbox_id)
        )
        kept = Keyring.parse(TEST_SECRET_KEYS).decrypt(stored, context=f"inbox:{inbox_id}:oauth")
        assert list(microsoft.refresh_tokens) == [kept], "Microsoft's new refresh token replaced the used one"

        # 56 minutes later less than five are left: the next send refreshes, and the token endpoint is down.
        w.clock.advance(timedelta(minutes=56))
        microsoft.fail_status, microsoft.fail_count = 503, 1
        with pytest.raises(Unavailable) as down:
            await stub.GetSenderCredentials(request)
        assert down.value.code == "oauth_unavailable"
        # The user removed the app's access: invalid_grant.
        microsoft.revoke()
        with pytest.raises(FailedPrecondition) as revoked:
            await stub.GetSenderCredentials(request)
        assert revoked.value.code == "oauth_revoked" and "invalid_grant" in revoked.value.message
        assert kept not in revoked.value.message
    finally:
        await channel.close()
