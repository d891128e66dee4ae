"""Real LinkedIn accounts only, and a lost webhook costs minutes (issue 13, DESIGN T4): through HTTP, the real
gRPC services and a Unipile sandbox over real HTTP. A new account is read from Unipile first; an account that
is not OK is re-read on its own schedule; `python -m services.accounts register-webhooks` registers ours."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.serving import serve
from sandbox.unipile import STATE, SandboxState
from sandbox.unipile import create_app as create_unipile
from services.common.clock import SystemClock
from tests.conftest import TEST_SECRET_KEYS, Suite, create_database, start_suite

ROOT = Path(__file__).parent.parent.parent
KEY = "sandbox-key"


@dataclass
class Sandboxed:
    suite: Suite
    unipile: SandboxState
    unipile_url: str


@pytest.fixture
async def sandboxed(pg_dsn: str) -> AsyncIterator[Sandboxed]:
    async with AsyncExitStack() as stack:
        app = create_unipile(KEY)
        url = await serve(app, stack)
        suite = await start_suite(
            await create_database(pg_dsn),
            stack,
            SystemClock(),
            HOLDFAST_UNIPILE_DSN=url,
            HOLDFAST_UNIPILE_API_KEY=KEY,
            HOLDFAST_ACCOUNT_RECHECK_SECONDS="1",
        )
        yield Sandboxed(suite, app[STATE], url)


async def sandbox_account(s: Sandboxed, **body: object) -> str:
    account_id = f"acc-{uuid.uuid4().hex[:8]}"
    async with s.suite.http.post(
        f"{s.unipile_url}/_sandbox/accounts", json={"id": account_id, "name": "Ana", **body}
    ) as r:
        assert r.status == 201, await r.text()
    return account_id


async def test_an_account_unipile_does_not_know_or_not_linkedin_is_refused_and_nothing_written(sandboxed):
    s = sandboxed.suite
    _, auth = await s.new_workspace()
    whatsapp = await sandbox_account(sandboxed, type="WHATSAPP")
    for unipile_id, code in (("acc-made-up-123", "unipile_account_unknown"), (whatsapp, "not_a_linkedin_account")):
        status, body = await s.call(
            "POST", "/api/v1/linkedin-accounts", auth, json={"unipile_account_id": unipile_id, "name": "Ana"}
        )
        assert status == 422, body
        assert body["error"]["code"] == code and body["error"]["details"]["field"] == "unipile_account_id"
    status, listed = await s.call("GET", "/api/v1/linkedin-accounts", auth)
    assert (status, listed["linkedin_accounts"]) == (200, [])


async def test_an_account_starts_with_the_health_unipile_reports(sandboxed):
    s = sandboxed.suite
    _, auth = await s.new_workspace()
    fine = await sandbox_account(sandboxed)
    logged_out = await sandbox_account(sandboxed, status="CREDENTIALS")
    status, ok = await s.call(
        "POST", "/api/v1/linkedin-accounts", auth, json={"unipile_account_id": fine, "name": "Fine"}
    )
    assert (status, ok["status"]) == (201, "connected"), ok
    status, out = await s.call(
        "POST", "/api/v1/linkedin-accounts", auth, json={"unipile_account_id": logged_out, "name": "Out"}
    )
    assert (status, out["status"]) == (201, "disconnected"), out


async def test_an_account_back_without_a_webhook_is_found_connected_by_the_re_read(sandboxed):
    s = sandboxed.suite
    _, auth = await s.new_workspace()
    unipile_id = await sandbox_account(sandboxed, status="CREDENTIALS")
    status, created = await s.call(
        "POST", "/api/v1/linkedin-accounts", auth, json={"unipile_account_id": unipile_id, "name": "Ana"}
    )
    assert (status, created["status"]) == (201, "disconnected"), created
    # The user reconnects at Unipile; the webhook is lost (none is registered here).
    sandboxed.unipile.accounts[unipile_id].status = "OK"
    deadline = time.monotonic() + 15
    while True:
        _, got = await s.call("GET", f"/api/v1/linkedin-accounts/{created['id']}", auth)
        if got["status"] == "connected":
            break
        assert time.monotonic() < deadline, f"never re-read: {got['status']}"
        await asyncio.sleep(0.2)
    assert got["history"][0]["source"] == "unipile_read"


def _command(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.accounts", "register-webhooks"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_register_webhooks_is_idempotent_and_fails_loudly(sandboxed):
    env = {
        "DATABASE_URL": sandboxed.suite.dsn,
        "HOLDFAST_SECRET_KEYS": TEST_SECRET_KEYS,
        "HOLDFAST_UNIPILE_DSN": sandboxed.unipile_url,
        "HOLDFAST_UNIPILE_API_KEY": KEY,
        "HOLDFAST_UNIPILE_WEBHOOK_SECRET": "whsec-1",
        "HOLDFAST_PUBLIC_URL": "https://holdfast.example",
    }
    first = await asyncio.to_thread(_command, env)
    assert first.returncode == 0, first.stderr
    assert "created ['account_status', 'messaging', 'users']" in first.stdout
    again = await asyncio.to_thread(_command, env)
    assert again.returncode == 0 and "kept ['account_status', 'messaging', 'users']" in again.stdout
    hooks = sandboxed.unipile.webhooks
    assert sorted((w.source, w.request_url, w.headers["Unipile-Auth"]) for w in hooks) == [
        (source, "https://holdfast.example/webhooks/unipile", "whsec-1")
        for source in ("account_status", "messaging", "users")
    ]
    wrong_key = await asyncio.to_thread(_command, {**env, "HOLDFAST_UNIPILE_API_KEY": "wrong"})
    assert wrong_key.returncode == 1 and "missing_credentials" in wrong_key.stderr
    no_secret = await asyncio.to_thread(_command, {**env, "HOLDFAST_UNIPILE_WEBHOOK_SECRET": ""})
    assert no_secret.returncode == 1 and "HOLDFAST_UNIPILE_WEBHOOK_SECRET" in no_secret.stderr


async def test_a_new_account_connects_through_a_hosted_link_and_is_recorded_when_unipile_notifies(sandboxed):
    s = sandboxed.suite
    _, auth = await s.new_workspace()
    status, link = await s.call(
        "POST", "/api/v1/linkedin-connect-links", auth, json={"name": "Jane's LinkedIn", "timezone": "Europe/Paris"}
    )
    assert status == 201, link
    [hosted] = sandboxed.unipile.hosted_links.values()
    assert hosted.type == "create" and hosted.notify_url.endswith("/webhooks/unipile/connected")
    assert hosted.name and len(hosted.name) >= 40, "the link is named by an unguessable token"
    # HOLDFAST_PUBLIC_URL is not this test gateway's address: send Unipile's notification where it listens.
    hosted.notify_url = f"{s.base_url}/webhooks/unipile/connected"
    async with s.http.post(f"{link['url']}/complete", allow_redirects=False) as done:  # the user signs in
        assert done.status == 303 and done.headers["Location"].endswith("/linkedin-accounts?connected=1")
    [delivery] = [d for d in sandboxed.unipile.deliveries if d.source == "notify_url"]
    assert delivery.status == 200, delivery
    unipile_id = delivery.payload["account_id"]
    status, listed = await s.call("GET", "/api/v1/linkedin-accounts", auth)
    assert [(a["unipile_account_id"], a["name"], a["timezone"], a["status"]) for a in listed["linkedin_accounts"]] == [
        (unipile_id, "Jane's LinkedIn", "Europe/Paris", "connected")
    ]
    # A repeated notification records nothing more; a forged one (unknown token) is refused.
    async with s.http.post(f"{s.base_url}/webhooks/unipile/connected", json=delivery.payload) as again:
        assert again.status == 200 and (await again.json())["changed"] is False
    forged = {**delivery.payload, "name": "x" * 43}
    async with s.http.post(f"{s.base_url}/webhooks/unipile/connected", json=forged) as refused:
        assert refused.status == 404
    status, listed = await s.call("GET", "/api/v1/linkedin-accounts", auth)
    assert len(listed["linkedin_accounts"]) == 1
