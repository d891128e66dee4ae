"""Sandbox-only controls through HTTP: off without HOLDFAST_SANDBOX_UNIPILE_URL (404 sandbox_disabled); on, they
change the Unipile sandbox's account for an account of the caller's workspace only."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest

from sandbox.serving import serve
from sandbox.unipile import STATE, SandboxState
from sandbox.unipile import create_app as create_unipile
from services.common.clock import SystemClock
from tests.conftest import Suite, create_database, start_suite

ACTIONS = ("disconnect", "reconnect", "fail-sends")


@dataclass
class Sandboxed:
    suite: Suite
    unipile: SandboxState
    unipile_url: str


@pytest.fixture
async def sandboxed(pg_dsn: str) -> AsyncIterator[Sandboxed]:
    async with AsyncExitStack() as stack:
        app = create_unipile("sandbox-key")
        url = await serve(app, stack)
        suite = await start_suite(
            await create_database(pg_dsn),
            stack,
            SystemClock(),
            HOLDFAST_UNIPILE_DSN=url,
            HOLDFAST_UNIPILE_API_KEY="sandbox-key",
            HOLDFAST_SANDBOX_UNIPILE_URL=url,
        )
        yield Sandboxed(suite, app[STATE], url)


async def test_disabled_answers_404_sandbox_disabled(suite: Suite) -> None:
    _, auth = await suite.new_workspace()
    account_id = await suite.linkedin_account(auth)
    status, body = await suite.call("GET", "/api/v1/sandbox", auth)
    assert (status, body) == (200, {"enabled": False})
    for action in ACTIONS:
        status, body = await suite.call(
            "POST", f"/api/v1/sandbox/linkedin-accounts/{account_id}/{action}", auth, json={}
        )
        assert status == 404, body
        assert body["error"]["code"] == "sandbox_disabled"
    status, body = await suite.call("POST", f"/api/v1/sandbox/linkedin-accounts/{account_id}/disconnect", json={})
    assert status == 401, body


async def test_enabled_controls_the_sandbox_account_of_this_workspace_only(sandboxed: Sandboxed) -> None:
    s = sandboxed.suite
    unipile_id = f"acc-{uuid.uuid4().hex[:8]}"
    async with s.http.post(f"{sandboxed.unipile_url}/_sandbox/accounts", json={"id": unipile_id, "name": "Ana"}) as r:
        assert r.status == 201, await r.text()
    _, auth = await s.new_workspace()
    account_id = await s.linkedin_account(auth, unipile_account_id=unipile_id)
    status, body = await s.call("GET", "/api/v1/sandbox", auth)
    assert (status, body) == (200, {"enabled": True})
    base = f"/api/v1/sandbox/linkedin-accounts/{account_id}"

    status, body = await s.call("POST", f"{base}/disconnect", auth, json={})
    assert status == 200, body
    assert body == {"account_id": account_id, "unipile_account_id": unipile_id, "action": "disconnect"}
    assert sandboxed.unipile.accounts[unipile_id].status == "CREDENTIALS"

    status, body = await s.call("POST", f"{base}/reconnect", auth, json={})
    assert status == 200, body
    assert sandboxed.unipile.accounts[unipile_id].status == "OK"

    status, body = await s.call("POST", f"{base}/fail-sends", auth, json={"count": 3})
    assert status == 200, body
    failure = sandboxed.unipile.failures[f"send_invite@{unipile_id}"]
    assert (failure.status, failure.type, failure.remaining) == (422, "errors/invalid_recipient", 3)
    assert "send_invite" not in sandboxed.unipile.failures, "other accounts' sends are untouched"
    status, body = await s.call("POST", f"{base}/fail-sends", auth, json={"count": 0})
    assert status == 400, body

    # Another workspace cannot touch this account: 404, and the sandbox is unchanged.
    _, other = await s.new_workspace("Other")
    for action in ACTIONS:
        status, body = await s.call("POST", f"{base}/{action}", other, json={})
        assert status == 404, body
        assert body["error"]["code"] == "not_found"
    assert sandboxed.unipile.accounts[unipile_id].status == "OK"
    assert sandboxed.unipile.failures[f"send_invite@{unipile_id}"].remaining == 3
