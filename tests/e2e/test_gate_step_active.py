"""The gate check of a step becoming active again (issue 15, found by the model-based test): a prospect whose
reply stopped it is back in its sequence when a member re-classifies the reply as an out-of-office. If every
sender of its next step's channel became unusable meanwhile (while no prospect had a step there, so no reason
was called for), the campaign gets that channel's reason, and resumes by itself once the sender is repaired."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from tests.e2e.conftest import MONDAY_0800_PARIS, World, setup_campaign
from tests.e2e.test_gate_flow import history, lost_push
from tests.e2e.test_health_flow import EMAIL, INVITE, wait_for

INVITE_THEN_EMAIL = [INVITE, {**EMAIL, "delay": {"hours": 2}}]


async def sweeper_caught_up(w: World) -> None:
    """The reconciliation has read every health change accounts knows of."""
    started = time.monotonic()
    while await w.db.fetchval(
        "SELECT coalesce(max(position), 0) FROM campaigns.sync_cursors WHERE name = 'accounts'"
    ) < await w.db.fetchval("SELECT value FROM accounts.health_sequence"):
        assert time.monotonic() - started < 10, "the sweeper never caught up"
        await asyncio.sleep(0.02)
    await w.settle()


async def test_a_prospect_back_in_its_sequence_brings_the_reason_of_its_channel(world):
    w = world
    s = await setup_campaign(w, 1, INVITE_THEN_EMAIL)
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=3))
    assert [i.provider_id for i in w.unipile.invitations] == ["ACo0000"]
    # The prospect replies on LinkedIn: stopped; no prospect has a step left, so no channel is active.
    async with w.suite.http.post(
        f"{w.unipile_url}/_sandbox/accounts/{s.unipile_account_id}/messages",
        json={"provider_id": "ACo0000", "text": "Yes, Thursday works."},
    ) as r:
        assert r.status == 201, await r.text()
    _, page = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}/prospects", s.auth)
    prospect = page["prospects"][0]
    assert prospect["state"] == "replied", prospect
    # The inbox's login breaks: no campaign with an active email step, so no reason (P6).
    await lost_push(w, "inboxes", s.inbox_id, "disconnected")
    await sweeper_caught_up(w)
    _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
    # Its one prospect stopped, the campaign reads completed (nothing left to send), with no pause reason.
    assert campaign["status"] == "completed" and campaign["pause_reasons"] == [], campaign

    # A member says the reply was an out-of-office: the prospect is back, its email step ahead of it.
    _, detail = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}/prospects/{prospect['id']}", s.auth)
    reply_id = detail["replies"][0]["id"]
    status, answer = await w.suite.call(
        "POST",
        f"/api/v1/campaigns/{s.campaign_id}/prospects/{prospect['id']}/replies/{reply_id}/classification",
        s.auth,
        json={"classification": "out_of_office", "until": w.clock.now().isoformat()},
    )
    assert status == 200 and answer["changed"], answer
    campaign, _ = await wait_for(w, s.auth, s.campaign_id, "paused")
    assert [(r["reason"], r["scope"]) for r in campaign["pause_reasons"]] == [("email_account_disconnected", "email")]
    assert await history(w, s.auth, s.campaign_id) == [("added", "email_account_disconnected", "gate_check")]

    # Repaired: the campaign resumes by itself, and once the invite is accepted the email goes out.
    await lost_push(w, "inboxes", s.inbox_id, "connected")
    await wait_for(w, s.auth, s.campaign_id, "active")
    async with w.suite.http.post(
        f"{w.unipile_url}/_sandbox/accounts/{s.unipile_account_id}/accept", json={"provider_id": "ACo0000"}
    ) as r:
        assert r.status < 300, await r.text()
    await w.settle()
    # The waits above move the virtual clock by however long the machine takes; the email's step is two hours
    # after the acceptance (and an out-of-office parked until "now"), so give it until the next day's window.
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=1, hours=8))
    assert [m.rcpt_tos for m in w.smtp.messages] == [("p0@prospect.example",)]
