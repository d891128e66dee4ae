"""prospect.accepted end to end on virtual time: the invitation goes out, the prospect accepts in the Unipile
sandbox (which calls our webhook), and the integrator's endpoint receives the signed event, checked with the
`standardwebhooks` package's own signing."""

from __future__ import annotations

import asyncio
import json
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import standardwebhooks

from sandbox.serving import serve
from tests.e2e.conftest import MONDAY_0800_PARIS, setup_campaign
from tests.integration.test_outbound_webhooks import Receiver, until


async def test_an_accepted_invitation_is_announced_once(world):
    w = world
    async with AsyncExitStack() as stack:
        receiver = Receiver()
        receiver.url = await serve(receiver.app(), stack) + "/hook"
        setup = await setup_campaign(
            w,
            2,
            [
                {"channel": "linkedin", "action": "invite", "text": "Hi"},
                {"channel": "linkedin", "action": "message", "delay": {"days": 1}, "text": "Thanks"},
            ],
        )
        status, endpoint = await w.suite.call(
            "POST", "/api/v1/webhook-endpoints", setup.auth, json={"url": receiver.url, "events": ["prospect.accepted"]}
        )
        assert status == 201, endpoint
        await w.run_until(MONDAY_0800_PARIS + timedelta(days=1))
        async with w.suite.http.post(
            f"{w.unipile_url}/_sandbox/accounts/{setup.unipile_account_id}/accept", json={"provider_id": "ACo0001"}
        ) as r:
            assert r.status < 300, await r.text()
        await w.settle()
        await until(lambda: len(receiver.got) >= 1, "prospect.accepted")
        await asyncio.sleep(0.5)
        assert len(receiver.got) == 1, "only the prospect who accepted"
        headers, body, _ = receiver.got[0]
        signed_at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=UTC)
        assert (
            standardwebhooks.Webhook(endpoint["secret"]).sign(headers["webhook-id"], signed_at, body)
            == headers["webhook-signature"]
        )
        message = json.loads(body)
        assert message["type"] == "prospect.accepted"
        assert message["data"]["campaign_id"] == setup.campaign_id
        assert message["data"]["linkedin_provider_id"] == "ACo0001"
        assert message["data"]["sender_id"] == setup.linkedin_account_id
        status, page = await w.suite.call("GET", f"/api/v1/campaigns/{setup.campaign_id}/prospects", setup.auth)
        accepted = next(p for p in page["prospects"] if p["linkedin_provider_id"] == "ACo0001")
        assert message["data"]["prospect_id"] == accepted["id"]
