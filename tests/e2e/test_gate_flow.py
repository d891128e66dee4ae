"""The gate check at every path that starts sending (issue 15), through HTTP: a campaign activated, or given
prospects, while a sender is unusable or the subscription lapsed is paused with that reason (and resumes by
itself once it is fixed); a refused resume changes nothing; a resume "when unblocked" keeps the member's intent."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from tests.e2e.conftest import MONDAY_0800_PARIS, World, setup_campaign
from tests.e2e.test_health_flow import EMAIL, INVITE, signed, wait_for


async def unipile_status(w: World, account: str, status: str) -> None:
    async with w.suite.http.post(f"{w.unipile_url}/_sandbox/accounts/{account}/status", json={"status": status}) as r:
        assert r.status < 300, await r.text()


async def wait_sender(w: World, auth, path: str, status: str, within_s: float = 10.0) -> None:
    started = time.monotonic()
    while (await w.suite.call("GET", path, auth))[1]["status"] != status:
        assert time.monotonic() - started < within_s, f"{path} never became {status}"
        await asyncio.sleep(0.02)


async def lost_push(w: World, table: str, sender_id: str, status: str) -> None:
    """A sender's status changes in accounts with no event pushed (the reconciliation carries it later)."""
    async with w.db.acquire() as conn, conn.transaction():
        seq = await conn.fetchval("UPDATE accounts.health_sequence SET value = value + 1 RETURNING value")
        await conn.execute(
            f"UPDATE accounts.{table} SET status = $2, version = version + 1, health_sequence = $3,"
            " health_event_id = gen_random_uuid()"
            " WHERE id = $1::uuid",
            sender_id,
            status,
            seq,
        )


async def history(w: World, auth, cid: str) -> list[tuple[str, str, str]]:
    _, got = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/pause-history", auth)
    return [(e["action"], e["reason"], e["actor"].get("source") or e["actor"]["kind"]) for e in got["entries"]]


async def test_activating_with_a_disconnected_account_pauses_with_its_reason_until_it_reconnects(world):
    w = world
    s = await setup_campaign(w, 2, [INVITE], activate=False)
    await unipile_status(w, s.unipile_account_id, "CREDENTIALS")
    await wait_sender(w, s.auth, f"/api/v1/linkedin-accounts/{s.linkedin_account_id}", "disconnected")
    status, answer = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/activate", s.auth)
    assert status == 200 and answer["changed"], answer
    assert answer["campaign"]["status"] == "paused"
    assert answer["campaign"]["paused_reason"] == "linkedin_account_disconnected"
    assert [(r["reason"], r["scope"]) for r in answer["campaign"]["pause_reasons"]] == [
        ("linkedin_account_disconnected", "linkedin")
    ]
    assert "paused at once" in answer["message"] and "disconnected" in answer["message"]
    assert await history(w, s.auth, s.campaign_id) == [("added", "linkedin_account_disconnected", "gate_check")]
    _, page = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}/prospects", s.auth)
    assert all("paused:linkedin_account_disconnected" in p["why_not_now"] for p in page["prospects"])
    # Nothing is sent through the window, and the campaign resumes by itself once the account is back.
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=4))
    assert w.unipile.invitations == []
    await unipile_status(w, s.unipile_account_id, "OK")
    campaign, _ = await wait_for(w, s.auth, s.campaign_id, "active")
    assert campaign["pause_reasons"] == []
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=8))
    assert len(w.unipile.invitations) == 2


async def test_activating_with_a_disconnected_inbox_pauses_email_until_it_is_repaired(world):
    w = world
    s = await setup_campaign(w, 2, [EMAIL], activate=False)
    await lost_push(w, "inboxes", s.inbox_id, "disconnected")
    status, answer = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/activate", s.auth)
    assert status == 200 and answer["campaign"]["status"] == "paused", answer
    assert [(r["reason"], r["scope"]) for r in answer["campaign"]["pause_reasons"]] == [
        ("email_account_disconnected", "email")
    ]
    await lost_push(w, "inboxes", s.inbox_id, "connected")  # repaired; the sweeper carries it
    await wait_for(w, s.auth, s.campaign_id, "active")


async def test_activating_with_a_restricted_account_pauses_until_verified_and_resumed(world):
    w = world
    s = await setup_campaign(w, 1, [INVITE], activate=False)
    status, _ = await w.suite.call(
        "POST",
        f"/api/v1/linkedin-accounts/{s.linkedin_account_id}/restriction",
        s.auth,
        json={"kind": "jail", "detail": "LinkedIn jail notice"},
    )
    assert status == 200
    status, answer = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/activate", s.auth)
    assert status == 200 and answer["campaign"]["paused_reason"] == "account_restricted", answer
    status, refused = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/resume", s.auth)
    assert status == 409 and [b["gate"] for b in refused["error"]["details"]["blocking"]] == [
        "restriction_lifted_and_verified"
    ]
    status, _ = await w.suite.call("POST", f"/api/v1/linkedin-accounts/{s.linkedin_account_id}/verify", s.auth)
    assert status == 200
    status, resumed = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/resume", s.auth)
    assert status == 200 and resumed["campaign"]["status"] == "active", resumed


async def test_activating_with_a_lapsed_subscription_pauses_until_renewal(world):
    w = world
    s = await setup_campaign(w, 1, [INVITE], activate=False)
    workspace = await w.db.fetchval(
        "SELECT workspace_id::text FROM campaigns.campaigns WHERE id = $1::uuid", s.campaign_id
    )
    now = int(time.time())

    async def billing(event_type: str, event_id: str, created: int) -> None:
        raw, headers = signed(
            {"id": event_id, "type": event_type, "created": created, "data": {"workspace_id": workspace}}, now
        )
        async with w.suite.http.post(f"{w.suite.base_url}/webhooks/billing", data=raw, headers=headers) as r:
            assert r.status == 200, await r.text()

    await billing("subscription.canceled", "evt_gate_1", now - 10)
    status, answer = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/activate", s.auth)
    assert status == 200 and answer["campaign"]["paused_reason"] == "subscription_canceled", answer
    assert answer["campaign"]["pause_reasons"][0]["scope"] == "campaign"
    await billing("subscription.activated", "evt_gate_2", now - 5)
    await wait_for(w, s.auth, s.campaign_id, "active")


async def test_prospects_added_while_the_account_is_down_pause_the_campaign(world):
    """A campaign activated with no prospects has no active step (P6); new prospects make its steps active."""
    w = world
    s = await setup_campaign(w, 0, [INVITE])
    await unipile_status(w, s.unipile_account_id, "CREDENTIALS")
    await wait_sender(w, s.auth, f"/api/v1/linkedin-accounts/{s.linkedin_account_id}", "disconnected")
    _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
    assert campaign["status"] == "active", "no active step yet: nothing to hold (P6)"
    status, added = await w.suite.call(
        "POST",
        f"/api/v1/campaigns/{s.campaign_id}/prospects",
        s.auth,
        json={"prospects": [{"linkedin_provider_id": "ACo9000", "first_name": "Late"}]},
    )
    assert status == 200 and added["added"] == 1
    _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
    assert campaign["status"] == "paused" and campaign["paused_reason"] == "linkedin_account_disconnected"


async def test_a_refused_resume_changes_nothing_and_when_unblocked_keeps_the_members_intent(world):
    w = world
    s = await setup_campaign(w, 1, [INVITE])
    await unipile_status(w, s.unipile_account_id, "CREDENTIALS")
    await wait_for(w, s.auth, s.campaign_id, "paused")
    status, _ = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/pause", s.auth)
    assert status == 200
    _, before = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
    history_before = await history(w, s.auth, s.campaign_id)

    status, refused = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/resume", s.auth)
    assert status == 409 and refused["error"]["code"] == "resume_blocked"
    assert [b["reason"] for b in refused["error"]["details"]["blocking"]] == ["linkedin_account_disconnected"]
    _, after = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
    assert after == before, "a refused resume changes nothing"
    assert await history(w, s.auth, s.campaign_id) == history_before

    status, bad = await w.suite.call(
        "POST", f"/api/v1/campaigns/{s.campaign_id}/resume", s.auth, json={"when_unblocked": "yes"}
    )
    assert status == 400 and bad["error"]["details"]["field"] == "when_unblocked", bad

    status, answer = await w.suite.call(
        "POST", f"/api/v1/campaigns/{s.campaign_id}/resume", s.auth, json={"when_unblocked": True}
    )
    assert status == 200, answer
    assert answer["campaign"]["status"] == "paused"
    assert [r["reason"] for r in answer["campaign"]["pause_reasons"]] == ["linkedin_account_disconnected"]
    assert [(g["reason"], g["gate"]) for g in answer["waiting_for"]] == [
        ("linkedin_account_disconnected", "linkedin_account_connected")
    ]
    assert "resumes by itself once" in answer["message"]
    await unipile_status(w, s.unipile_account_id, "OK")
    await wait_for(w, s.auth, s.campaign_id, "active")
    entries = await history(w, s.auth, s.campaign_id)
    # The account's reason is cleared by the system: by the health push, or by the reconciliation sweep when it
    # reads the account first (both are the system acting on the account being back; which one wins is timing).
    [(action, reason, source)] = entries[len(history_before) + 1 :]
    assert entries[len(history_before)] == ("cleared", "manual", "member")
    assert (action, reason) == ("cleared", "linkedin_account_disconnected")
    assert source in {"account_health", "reconciliation"}, entries


async def test_a_resume_checks_the_senders_even_when_their_reason_was_never_added(world):
    """A lost push: the account is down but the campaign only has its manual reason. Resume is refused naming
    the account (and changes nothing); when_unblocked adds the account's reason and resumes once it is back."""
    w = world
    s = await setup_campaign(w, 1, [INVITE])
    status, _ = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/pause", s.auth)
    assert status == 200
    await w.db.execute(
        "UPDATE accounts.linkedin_accounts SET status = 'disconnected' WHERE id = $1::uuid", s.linkedin_account_id
    )
    status, refused = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/resume", s.auth)
    assert status == 409, refused
    assert [(b["reason"], b["gate"]) for b in refused["error"]["details"]["blocking"]] == [
        ("linkedin_account_disconnected", "linkedin_account_connected")
    ]
    _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
    assert [r["reason"] for r in campaign["pause_reasons"]] == ["manual"]
    status, answer = await w.suite.call(
        "POST", f"/api/v1/campaigns/{s.campaign_id}/resume", s.auth, json={"when_unblocked": True}
    )
    assert status == 200 and [r["reason"] for r in answer["campaign"]["pause_reasons"]] == [
        "linkedin_account_disconnected"
    ], answer
    assert (await history(w, s.auth, s.campaign_id))[-2:] == [
        ("cleared", "manual", "member"),
        ("added", "linkedin_account_disconnected", "gate_check"),
    ]
    await lost_push(w, "linkedin_accounts", s.linkedin_account_id, "connected")
    await wait_for(w, s.auth, s.campaign_id, "active")


async def test_a_cool_down_is_shown_with_when_it_ends_and_why_and_then_the_campaign_resumes(world):
    """P9 made visible: an account that comes back a second time within the cool-down leaves its reason with
    `clears_at` and why, and texts that say so (not "resumes by itself within seconds"); at `clears_at`
    the campaign resumes by itself."""
    w = world
    s = await setup_campaign(w, 1, [INVITE])
    await unipile_status(w, s.unipile_account_id, "CREDENTIALS")
    await wait_for(w, s.auth, s.campaign_id, "paused")
    await unipile_status(w, s.unipile_account_id, "OK")
    await wait_for(w, s.auth, s.campaign_id, "active")
    resumed_at = w.clock.now()
    w.clock.advance(timedelta(minutes=2))
    await unipile_status(w, s.unipile_account_id, "CREDENTIALS")
    campaign, _ = await wait_for(w, s.auth, s.campaign_id, "paused")
    [reason] = campaign["pause_reasons"]
    assert reason["clears_at"] is None and reason["cooldown"] is None
    assert "within seconds" in reason["action"], "while disconnected, the catalog's text is right"
    w.clock.advance(timedelta(minutes=1))
    await unipile_status(w, s.unipile_account_id, "OK")
    await wait_sender(w, s.auth, f"/api/v1/linkedin-accounts/{s.linkedin_account_id}", "connected")
    await w.settle()
    _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
    assert campaign["status"] == "paused", "the second comeback within the cool-down waits"
    [reason] = campaign["pause_reasons"]
    assert datetime.fromisoformat(reason["clears_at"]) == resumed_at + timedelta(minutes=10)
    assert reason["cooldown"] == "the cause appeared 2 times in 3 minutes"
    assert "within seconds" not in reason["explanation"] + reason["action"]
    assert f"resumes by itself at {resumed_at + timedelta(minutes=10):%H:%M} UTC" in reason["action"]
    w.clock.set(resumed_at + timedelta(minutes=10))
    campaign, _ = await wait_for(w, s.auth, s.campaign_id, "active")
    assert (await history(w, s.auth, s.campaign_id))[-1] == ("cleared", "linkedin_account_disconnected", "sweeper")


async def test_an_inbox_found_broken_by_reconciliation_holds_a_campaign_whose_email_step_is_ahead(world):
    """A LinkedIn-then-email campaign whose inbox login breaks (the change reaches campaigns through the
    reconciliation) is held on email with the inbox's reason (P6: the email step is ahead of its prospects,
    so it is active)."""
    w = world
    s = await setup_campaign(w, 1, [INVITE, {**EMAIL, "delay": {"hours": 2}}])
    await lost_push(w, "inboxes", s.inbox_id, "disconnected")
    campaign, _ = await wait_for(w, s.auth, s.campaign_id, "paused")
    assert [(r["reason"], r["scope"]) for r in campaign["pause_reasons"]] == [("email_account_disconnected", "email")]
