"""sender.disconnected and sender.reconnected: Unipile reports a LinkedIn account's session ended, then OK again
(the sandbox Unipile calls our webhook for real); each health change sends its signed event, verified by the
`standardwebhooks` package."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import aiohttp
import pytest
import standardwebhooks

from sandbox.serving import serve
from sandbox.unipile import create_app as create_unipile
from services.common.clock import ManualClock
from services.common.providers.unipile import UnipileClient
from tests.conftest import create_database, start_suite
from tests.integration.test_outbound_webhooks import Receiver, Rig, until

API_KEY = "sandbox-key"
UNIPILE_SECRET = "unipile-whsec-sender-events"


@pytest.fixture(scope="module")
async def unipile_rig(pg_dsn: str) -> AsyncIterator[tuple[Rig, str]]:
    async with AsyncExitStack() as stack:
        receiver = Receiver()
        receiver.url = await serve(receiver.app(), stack) + "/hook"
        unipile_url = await serve(create_unipile(API_KEY), stack)
        # Not advanced: the verifier compares the message's timestamp with the time now.
        clock = ManualClock(datetime.now(UTC))
        suite = await start_suite(
            await create_database(pg_dsn),
            stack,
            clock,
            HOLDFAST_UNIPILE_DSN=unipile_url,
            HOLDFAST_UNIPILE_API_KEY=API_KEY,
            HOLDFAST_UNIPILE_WEBHOOK_SECRET=UNIPILE_SECRET,
            HOLDFAST_WEBHOOKS_ALLOW_PRIVATE="true",
            HOLDFAST_WEBHOOK_DELIVERY_SECONDS="0.05",
        )
        http = aiohttp.ClientSession()
        stack.push_async_callback(http.close)
        await UnipileClient(unipile_url, API_KEY, http).create_webhook(
            f"{suite.base_url}/webhooks/unipile", "account_status", {"Unipile-Auth": UNIPILE_SECRET}
        )
        yield Rig(suite, receiver, clock), unipile_url


async def test_a_disconnection_and_a_reconnection_are_announced(unipile_rig):
    r, unipile_url = unipile_rig
    _, auth = await r.suite.new_workspace("Senders")
    status, endpoint = await r.suite.call(
        "POST",
        "/api/v1/webhook-endpoints",
        auth,
        json={"url": r.receiver.url, "events": ["sender.disconnected", "sender.reconnected"]},
    )
    assert status == 201, endpoint
    unipile_id = f"acc-{uuid.uuid4().hex[:10]}"
    async with r.suite.http.post(f"{unipile_url}/_sandbox/accounts", json={"id": unipile_id, "name": "Ana"}) as resp:
        assert resp.status < 300
    account_id = await r.suite.linkedin_account(auth, unipile_account_id=unipile_id)
    for unipile_status, expected in (("CREDENTIALS", 1), ("OK", 2)):
        async with r.suite.http.post(
            f"{unipile_url}/_sandbox/accounts/{unipile_id}/status", json={"status": unipile_status, "notify": True}
        ) as resp:
            assert resp.status < 300
        await until(lambda n=expected: len(r.receiver.got) >= n, f"{expected} sender events")
    await asyncio.sleep(0.3)
    verifier = standardwebhooks.Webhook(endpoint["secret"])
    messages = [verifier.verify(body, headers) for headers, body, _ in r.receiver.got]
    assert [m["type"] for m in messages] == ["sender.disconnected", "sender.reconnected"]
    assert [(m["data"]["previous_status"], m["data"]["status"]) for m in messages] == [
        ("connected", "disconnected"),
        ("disconnected", "connected"),
    ]
    assert {m["data"]["sender_id"] for m in messages} == {account_id}
    assert {m["data"]["sender_kind"] for m in messages} == {"linkedin_account"}
    assert "CREDENTIALS" in messages[0]["data"]["detail"]
