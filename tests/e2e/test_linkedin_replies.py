"""LinkedIn replies through HTTP (DESIGN V1-V4, V7): a prospect writes to our account in the Unipile sandbox,
which calls our webhook with Unipile's message_received payload; the scheduler reads the message again and
stops that prospect (or its company) at once. Our own sent messages, forged webhooks and strangers change
nothing; a reply during a pause is honoured at resume and the preview says so."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

from tests.e2e.conftest import MONDAY_0800_PARIS, SCHEDULE, WEBHOOK_SECRET, World, setup_campaign

INVITE_THEN_MESSAGE = [
    {"channel": "linkedin", "action": "invite", "text": "Hi {{first_name}}"},
    {"channel": "linkedin", "action": "message", "delay": {"days": 1}, "text": "Thanks!"},
]


async def write(w: World, account: str, provider_id: str, text: str, notify: bool = True) -> dict:
    async with w.suite.http.post(
        f"{w.unipile_url}/_sandbox/accounts/{account}/messages",
        json={"provider_id": provider_id, "text": text, "notify": notify},
    ) as r:
        assert r.status == 201, await r.text()
        return await r.json()


async def states(w: World, auth: dict, cid: str) -> dict[str, tuple[str, list[str]]]:
    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects?page_size=200", auth)
    assert status == 200, page
    return {p["linkedin_provider_id"]: (p["state"], p["why_not_now"]) for p in page["prospects"]}


async def ids_of(w: World, auth: dict, cid: str) -> dict[str, str]:
    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects?page_size=200", auth)
    return {p["linkedin_provider_id"]: p["id"] for p in page["prospects"]}


async def accept_all(w: World, account: str, providers: list[str]) -> None:
    for provider in providers:
        async with w.suite.http.post(
            f"{w.unipile_url}/_sandbox/accounts/{account}/accept", json={"provider_id": provider}
        ) as r:
            assert r.status < 300, await r.text()
    await w.settle()


async def test_a_linkedin_reply_stops_that_prospect_within_a_second_and_our_own_messages_do_not(world):
    w = world
    setup = await setup_campaign(w, 3, INVITE_THEN_MESSAGE)
    auth, cid, account = setup.auth, setup.campaign_id, setup.unipile_account_id
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=6))
    await accept_all(w, account, ["ACo0000", "ACo0001", "ACo0002"])

    started = time.monotonic()
    sent = await write(w, account, "ACo0000", "Yes, Thursday 10:00 works for me.")
    assert [d["status"] for d in sent["deliveries"]] == [200]
    seen = await states(w, auth, cid)
    elapsed = time.monotonic() - started
    assert seen["ACo0000"] == ("replied", ["replied"]) and elapsed < 1.0, (seen, elapsed)
    await write(w, account, "ACo0002", "Please remove me from your list.")
    # An opt-out feeds the workspace's suppression list (through the scheduler's outbox to campaigns).
    for _ in range(200):
        status, listed = await w.suite.call("GET", "/api/v1/suppressions", auth)
        if listed["suppressions"]:
            break
        await asyncio.sleep(0.02)
    assert [(s["value"], s["source"], s["actor"]) for s in listed["suppressions"]] == [
        ("p2@prospect.example", "opt_out", f"prospect:{(await ids_of(w, auth, cid))['ACo0002']}")
    ]
    # A redelivered webhook (Unipile retries) records nothing new.
    delivery = next(d for d in w.unipile.deliveries if d.source == "messaging")
    status, ack = await w.suite.call(
        "POST", "/webhooks/unipile", {"Unipile-Auth": WEBHOOK_SECRET}, json=delivery.payload
    )
    assert status == 200 and ack["replies_recorded"] == 0, ack

    await w.run_until(MONDAY_0800_PARIS + timedelta(days=4))
    messaged = sorted(c.attendee_provider_id for c in w.unipile.chats.values() if any(m.is_sender for m in c.messages))
    assert messaged == ["ACo0001"], messaged
    seen = await states(w, auth, cid)
    assert seen["ACo0002"] == ("opted_out", ["opted_out"]) and seen["ACo0001"][0] == "done"
    # Our own message was reported too, as Unipile does; it was read back and ignored.
    ours = [
        d
        for d in w.unipile.deliveries
        if d.source == "messaging" and d.payload["sender"]["attendee_provider_id"].startswith("SELF")
    ]
    assert ours and all(d.status == 200 for d in ours)


async def test_forged_webhooks_and_strangers_change_nothing(world):
    w = world
    setup = await setup_campaign(w, 2, INVITE_THEN_MESSAGE)
    auth, cid, account = setup.auth, setup.campaign_id, setup.unipile_account_id
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=6))
    await accept_all(w, account, ["ACo0000", "ACo0001"])
    secret = {"Unipile-Auth": WEBHOOK_SECRET}
    # A message id Unipile does not know, and a real message attributed to another account.
    status, ack = await w.suite.call(
        "POST",
        "/webhooks/unipile",
        secret,
        json={
            "event": "message_received",
            "account_id": account,
            "message_id": "forged-1",
            "chat_id": "x",
            "sender": {"attendee_provider_id": "ACo0000"},
            "message": "stop",
        },
    )
    assert status == 200 and ack["replies_recorded"] == 0
    other = f"acc-{uuid.uuid4().hex[:8]}"
    async with w.suite.http.post(f"{w.unipile_url}/_sandbox/accounts", json={"id": other, "name": "Eve"}) as r:
        assert r.status < 300
    real = await write(w, other, "ACo0000", "unsubscribe", notify=False)
    status, ack = await w.suite.call(
        "POST",
        "/webhooks/unipile",
        secret,
        json={"event": "message_received", "account_id": account, "message_id": real["message_id"]},
    )
    assert status == 200 and ack["replies_recorded"] == 0
    # Someone who is not a prospect writes to our account.
    stranger = await write(w, account, "ACo9999", "Hello there")
    assert [d["status"] for d in stranger["deliveries"]] == [200]
    # Without the shared secret the webhook is refused.
    status, _ = await w.suite.call(
        "POST",
        "/webhooks/unipile",
        {"Unipile-Auth": "wrong"},
        json={"event": "message_received", "account_id": account, "message_id": real["message_id"]},
    )
    assert status == 401
    seen = await states(w, auth, cid)
    assert {p: s for p, (s, _) in seen.items()} == {"ACo0000": "scheduled", "ACo0001": "scheduled"}


async def test_stop_on_reply_company_and_a_reply_during_a_pause_is_honoured_at_resume(world):
    w = world
    setup = await setup_campaign(w, 1, INVITE_THEN_MESSAGE)
    auth, account, li = setup.auth, setup.unipile_account_id, setup.linkedin_account_id
    status, campaign = await w.suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "Company-wide",
            "schedule": SCHEDULE,
            "steps": INVITE_THEN_MESSAGE,
            "stop_on_reply": "company",
            "senders": {"linkedin_account_ids": [li]},
        },
    )
    assert status == 201 and campaign["stop_on_reply"] == "company", campaign
    cid = campaign["id"]
    people = [
        ("ACo0100", "ana@acme.example"),
        ("ACo0101", "bo@acme.example"),
        ("ACo0102", "cy@gmail.com"),
        ("ACo0103", "di@gmail.com"),
        ("ACo0104", "ed@other.example"),
    ]
    status, added = await w.suite.call(
        "POST",
        f"/api/v1/campaigns/{cid}/prospects",
        auth,
        json={"prospects": [{"linkedin_provider_id": p, "email": e} for p, e in people]},
    )
    assert added["added"] == 5
    status, _ = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=6))
    await accept_all(w, account, [p for p, _ in people])

    status, paused = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth)
    assert paused["campaign"]["status"] == "paused"
    await write(w, account, "ACo0100", "Not now, but thanks.")  # acme.example: Ana and Bo stop
    await write(w, account, "ACo0102", "Sure, call me.")  # gmail: only Cy
    await write(w, account, "ACo0104", "I am out of the office until March 20.")
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=3))
    status, preview = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/resume-preview", auth)
    assert preview["left_out"] == {"replied": 3, "out_of_office": 1}, preview
    assert preview["overdue"] == 1  # Di alone
    seen = await states(w, auth, cid)
    assert seen["ACo0104"][0] == "out_of_office" and seen["ACo0104"][1][0] == "out_of_office"
    status, _ = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/resume", auth)
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=30))
    messaged = sorted(c.attendee_provider_id for c in w.unipile.chats.values() if any(m.is_sender for m in c.messages))
    assert messaged == ["ACo0103", "ACo0104"], messaged  # Ed once back, on March 23 (the window after the 21st)
    ed = [
        m.sent_at
        for c in w.unipile.chats.values()
        if c.attendee_provider_id == "ACo0104"
        for m in c.messages
        if m.is_sender
    ]
    assert ed and ed[0].date().isoformat() >= "2026-03-21"


async def test_a_prospects_page_shows_its_replies_and_history_and_a_member_can_reclassify(world):
    w = world
    setup = await setup_campaign(w, 2, INVITE_THEN_MESSAGE)
    auth, cid, account = setup.auth, setup.campaign_id, setup.unipile_account_id
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=6))
    await accept_all(w, account, ["ACo0000", "ACo0001"])
    await write(w, account, "ACo0000", "Thanks! Travelling this week,\nlet's talk when I'm back.")
    ids = {
        p["linkedin_provider_id"]: p["id"]
        for p in (await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects", auth))[1]["prospects"]
    }

    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects/{ids['ACo0000']}", auth)
    assert status == 200 and page["prospect"]["state"] == "replied", page
    (reply,) = page["replies"]
    assert (reply["classification"], reply["channel"], reply["source"]) == ("replied", "linkedin", "unipile")
    assert reply["snippet"] == "Thanks! Travelling this week, let's talk when I'm back."
    assert [(h["action"], h["status"]) for h in page["history"]] == [("linkedin_invite", "succeeded")]

    # It was really an out-of-office: back where it was, parked until the given day, then it continues.
    path = f"/api/v1/campaigns/{cid}/prospects/{ids['ACo0000']}/replies/{reply['id']}/classification"
    status, body = await w.suite.call(
        "POST", path, auth, json={"classification": "out_of_office", "until": "2026-03-10T00:00:00+00:00"}
    )
    assert status == 200 and body["changed"] and body["out_of_office_until"] >= "2026-03-10", body
    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects/{ids['ACo0000']}", auth)
    assert page["prospect"]["state"] == "out_of_office" and page["prospect"]["out_of_office_until"]
    assert [r["classification"] for r in page["replies"]] == ["replied", "out_of_office"]
    assert page["replies"][1]["source"].startswith("member:")

    # The other one asks not to be contacted again: suppressed, and an opt-out is never undone this way.
    await write(w, account, "ACo0001", "Who is this?")
    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects/{ids['ACo0001']}", auth)
    path1 = f"/api/v1/campaigns/{cid}/prospects/{ids['ACo0001']}/replies/{page['replies'][0]['id']}/classification"
    status, body = await w.suite.call("POST", path1, auth, json={"classification": "opted_out"})
    assert status == 200 and body["changed"]
    status, listed = await w.suite.call("GET", "/api/v1/suppressions", auth)
    assert [(s["value"], s["source"]) for s in listed["suppressions"]] == [("p1@prospect.example", "reply")]
    status, body = await w.suite.call("POST", path1, auth, json={"classification": "replied"})
    assert status == 409 and body["error"]["code"] == "opted_out_is_final", body

    # Bad input changes nothing; another workspace sees nothing.
    for bad in (
        {"classification": "maybe"},
        {"classification": "out_of_office", "until": "next week"},
        {"classification": "out_of_office", "until": "2026-03-10T00:00:00"},
    ):
        status, body = await w.suite.call("POST", path, auth, json=bad)
        assert status == 400, (bad, body)
    status, body = await w.suite.call(
        "POST", path.replace(reply["id"], str(uuid.uuid4())), auth, json={"classification": "replied"}
    )
    assert status == 404, body
    _, other = await w.suite.new_workspace("Other")
    status, _ = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects/{ids['ACo0000']}", other)
    assert status == 404
    status, _ = await w.suite.call("POST", path, other, json={"classification": "replied"})
    assert status == 404

    await w.run_until(MONDAY_0800_PARIS + timedelta(days=14))
    sent = [
        m.sent_at
        for c in w.unipile.chats.values()
        if c.attendee_provider_id == "ACo0000"
        for m in c.messages
        if m.is_sender
    ]
    assert len(sent) == 1 and sent[0].date().isoformat() >= "2026-03-10"
    assert not [
        m for c in w.unipile.chats.values() if c.attendee_provider_id == "ACo0001" for m in c.messages if m.is_sender
    ]
