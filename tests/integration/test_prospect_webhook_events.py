"""The prospect and campaign webhook events (docs/API.md): prospect.replied, prospect.out_of_office,
prospect.opted_out, prospect.bounced and campaign.completed, each written to the scheduler's outbox by the
transaction that records the fact, carried to accounts and delivered signed to an endpoint; every message is
checked with the `standardwebhooks` package's own signing. A redelivered reply announces nothing new."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime

import asyncpg
import pytest
import standardwebhooks
from google.protobuf.timestamp_pb2 import Timestamp

from holdfast.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from services.accounts.audit_repository import SYSTEM_ACTOR
from services.common.clock import ManualClock
from services.common.errors import NotFound
from services.common.grpc_client import open_channel
from tests.integration.test_outbound_webhooks import SCHEDULE, Rig, paused_campaign_rig, rig, until

EVENTS = ["prospect.replied", "prospect.out_of_office", "prospect.opted_out", "prospect.bounced", "campaign.completed"]


@pytest.fixture
async def hooks(pg_dsn: str) -> AsyncIterator[Rig]:
    """The suite on an injected clock, delivering to a local receiver (test_outbound_webhooks.rig)."""
    async with AsyncExitStack() as stack:
        yield await rig(pg_dsn, stack, ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC)))


def verified(secret: str, got: tuple[dict[str, str], bytes, int]) -> dict:
    """The message, once the standardwebhooks package signs it as we did."""
    headers, body, _ = got
    signed_at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=UTC)
    assert standardwebhooks.Webhook(secret).sign(headers["webhook-id"], signed_at, body) == headers["webhook-signature"]
    return json.loads(body)


async def test_replies_out_of_office_opt_out_bounce_and_completion_are_delivered_signed(hooks):
    r = hooks
    _, auth = await r.suite.new_workspace("Voices")
    status, endpoint = await r.suite.call(
        "POST", "/api/v1/webhook-endpoints", auth, json={"url": r.receiver.url, "events": EVENTS}
    )
    assert status == 201, endpoint
    assert sorted(endpoint["events"]) == sorted(EVENTS)
    account = await r.suite.linkedin_account(auth)
    status, campaign = await r.suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "Voices",
            "schedule": SCHEDULE,
            "steps": [{"channel": "linkedin", "action": "invite"}],
            "senders": {"linkedin_account_ids": [account]},
        },
    )
    assert status == 201, campaign
    cid = campaign["id"]
    people = [
        {"linkedin_provider_id": f"ACo{i}", "email": f"p{i}@prospect.example", "first_name": f"P{i}"} for i in range(3)
    ]
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{cid}/prospects", auth, json={"prospects": people}))[
        0
    ] == 200
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth, json={}))[0] == 200
    status, page = await r.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects", auth)
    assert status == 200, page
    ids = {p["linkedin_provider_id"]: p["id"] for p in page["prospects"]}
    replied, away, leaving = ids["ACo0"], ids["ACo1"], ids["ACo2"]

    async with open_channel(f"127.0.0.1:{r.suite.ports['scheduler']}") as channel:
        stub = scheduler_pb2_grpc.SchedulerServiceStub(channel)

        async def voice(event_id: str, prospect_id: str, kind: str) -> None:
            await stub.RecordProspectVoice(
                scheduler_pb2.RecordProspectVoiceRequest(
                    event_id=event_id, prospect_id=prospect_id, voice=kind, source="imap", snippet=f"a {kind}"
                )
            )

        await voice("msg-replied", replied, "replied")
        await voice("msg-replied", replied, "replied")  # redelivered (V9): nothing new is announced
        await voice("msg-away", away, "out_of_office")
        await voice("msg-leaving", leaving, "opted_out")
        await until(lambda: len(r.receiver.got) >= 3, "three voices")
        await asyncio.sleep(0.5)
        assert len(r.receiver.got) == 3, "the redelivered reply and the parked prospect announce nothing more"

        # The prospect away answered an email of ours: it bounces, which stops it, the campaign's last one.
        inbox_id, attempt_id = str(uuid.uuid4()), str(uuid.uuid4())
        conn = await asyncpg.connect(r.suite.dsn)
        try:
            await conn.execute(
                """INSERT INTO scheduler.send_attempts (id, prospect_id, campaign_id, step_index, sender_id, channel,
                       action_type, status, started_at, finished_at, sender_local_date)
                   VALUES ($1, $2, $3, 0, $4, 'email', 'email', 'succeeded', now(), now(), current_date)""",
                attempt_id,
                away,
                cid,
                inbox_id,
            )
        finally:
            await conn.close()
        reply = await stub.RecordBounces(
            scheduler_pb2.RecordBouncesRequest(
                inbox_id=inbox_id,
                bounces=[
                    scheduler_pb2.Bounce(
                        message_id=f"<{attempt_id}@holdfast>",
                        recipient="p1@prospect.example",
                        status="5.1.1",
                        diagnostic="550 5.1.1 no such user",
                        received_at=Timestamp(seconds=1_772_440_000),
                    )
                ],
            )
        )
        assert reply.recorded == 1
    await until(lambda: len(r.receiver.got) >= 5, "the bounce and the completion")
    await asyncio.sleep(0.5)
    assert len(r.receiver.got) == 5, [json.loads(b)["type"] for _, b, _ in r.receiver.got]

    messages = [verified(endpoint["secret"], got) for got in r.receiver.got]
    by_type = {m["type"]: m for m in messages}
    assert sorted(by_type) == sorted(EVENTS)
    assert len({h["webhook-id"] for h, _, _ in r.receiver.got}) == 5
    for kind, prospect in (("replied", replied), ("out_of_office", away), ("opted_out", leaving)):
        data = by_type[f"prospect.{kind}"]["data"]
        assert data["campaign_id"] == cid and data["prospect_id"] == prospect and data["snippet"] == f"a {kind}"
        assert data["source"] == "imap" and data["reply_id"]
    assert by_type["prospect.out_of_office"]["data"]["until"] is not None
    assert by_type["prospect.replied"]["data"]["until"] is None
    bounced = by_type["prospect.bounced"]["data"]
    assert (bounced["prospect_id"], bounced["inbox_id"], bounced["status"]) == (away, inbox_id, "5.1.1")
    assert bounced["recipient"] == "p1@prospect.example" and bounced["campaign_id"] == cid
    completed = by_type["campaign.completed"]["data"]
    assert completed == {"campaign_id": cid, "prospects": 3, "finished": 0, "stopped": 3}
    # The completion is dated by the fact that completed the campaign (delivery order is not promised).
    assert by_type["campaign.completed"]["timestamp"] >= by_type["prospect.bounced"]["timestamp"]


async def test_a_campaign_is_not_complete_while_a_prospect_is_left_and_is_announced_once(hooks):
    r = hooks
    _, auth = await r.suite.new_workspace("Finishing")
    status, endpoint = await r.suite.call(
        "POST", "/api/v1/webhook-endpoints", auth, json={"url": r.receiver.url, "events": ["campaign.completed"]}
    )
    assert status == 201, endpoint
    account = await r.suite.linkedin_account(auth)
    status, campaign = await r.suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "Two",
            "schedule": SCHEDULE,
            "steps": [{"channel": "linkedin", "action": "invite"}],
            "senders": {"linkedin_account_ids": [account]},
        },
    )
    cid = campaign["id"]
    people = [{"linkedin_provider_id": f"ACo{i}"} for i in range(2)]
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{cid}/prospects", auth, json={"prospects": people}))[
        0
    ] == 200
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth, json={}))[0] == 200
    status, page = await r.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects", auth)
    first, second = (p["id"] for p in page["prospects"])
    async with open_channel(f"127.0.0.1:{r.suite.ports['scheduler']}") as channel:
        stub = scheduler_pb2_grpc.SchedulerServiceStub(channel)
        await stub.RecordProspectVoice(
            scheduler_pb2.RecordProspectVoiceRequest(event_id="one", prospect_id=first, voice="replied")
        )
        await asyncio.sleep(1.0)
        assert r.receiver.got == [], "one prospect is still in its sequence"
        await stub.RecordProspectVoice(
            scheduler_pb2.RecordProspectVoiceRequest(event_id="two", prospect_id=second, voice="opted_out")
        )
        await until(lambda: len(r.receiver.got) >= 1, "the completion")
        # A stopped prospect stopped again (a re-classification) changes no state: no second completion.
        await stub.RecordProspectVoice(
            scheduler_pb2.RecordProspectVoiceRequest(event_id="three", prospect_id=first, voice="opted_out")
        )
        await asyncio.sleep(1.0)
        assert len(r.receiver.got) == 1
        message = verified(endpoint["secret"], r.receiver.got[0])
        assert message["type"] == "campaign.completed"
        assert message["data"] == {"campaign_id": cid, "prospects": 2, "finished": 0, "stopped": 2}

        # A prospect added later reopens the campaign; once it is stopped too, the completion is announced again.
        assert (
            await r.suite.call(
                "POST",
                f"/api/v1/campaigns/{cid}/prospects",
                auth,
                json={"prospects": [{"linkedin_provider_id": "ACo9"}]},
            )
        )[0] == 200
        _, page = await r.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects", auth)
        third = next(p["id"] for p in page["prospects"] if p["linkedin_provider_id"] == "ACo9")
        for _ in range(100):  # enrolled in the scheduler through the campaigns outbox
            try:
                await stub.RecordProspectVoice(
                    scheduler_pb2.RecordProspectVoiceRequest(event_id="four", prospect_id=third, voice="replied")
                )
                break
            except NotFound:
                await asyncio.sleep(0.1)
        await until(lambda: len(r.receiver.got) >= 2, "the second completion")
    again = verified(endpoint["secret"], r.receiver.got[1])
    assert again["data"] == {"campaign_id": cid, "prospects": 3, "finished": 0, "stopped": 3}
    assert r.receiver.got[0][0]["webhook-id"] != r.receiver.got[1][0]["webhook-id"]


async def test_an_endpoint_holdfast_disables_is_flagged_and_the_workspace_told_in_its_audit_log(hooks):
    r = hooks
    auth, endpoint, campaign_id = await paused_campaign_rig(r, events=("campaign.paused",))
    r.receiver.answer = 410
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{campaign_id}/pause", auth, json={}))[0] == 200
    await until(lambda: len(r.receiver.got) == 1, "the 410")
    for _ in range(100):  # the answer is recorded just after the receiver got the request
        status, listed = await r.suite.call("GET", "/api/v1/webhook-endpoints", auth)
        (flagged,) = listed["endpoints"]
        if not flagged["enabled"]:
            break
        await asyncio.sleep(0.05)
    assert not flagged["enabled"] and flagged["disabled_reason"] == "the endpoint answered 410 Gone"
    status, audit = await r.suite.call("GET", "/api/v1/audit?action=disable_webhook_endpoint", auth)
    assert status == 200, audit
    (entry,) = audit["entries"]
    assert entry["member_id"] == SYSTEM_ACTOR and entry["member_email"] == "" and entry["token_id"] is None
    assert entry["target"] == {"endpoint_id": endpoint["id"]}
    assert entry["changes"] == {
        "enabled": False,
        "disabled_reason": "the endpoint answered 410 Gone",
        "url": r.receiver.url,
    }
    # Re-enabled by a member, then disabled again: told again (one entry per time Holdfast disables it).
    r.receiver.answer = 200
    assert (await r.suite.call("PATCH", f"/api/v1/webhook-endpoints/{endpoint['id']}", auth, json={"enabled": True}))[
        0
    ] == 200
    await until(lambda: len(r.receiver.acknowledged()) == 1, "the held delivery")
    _, audit = await r.suite.call("GET", "/api/v1/audit?action=disable_webhook_endpoint", auth)
    assert len(audit["entries"]) == 1, "a delivery that succeeds tells nobody anything"


async def test_two_transactions_finishing_the_last_two_prospects_at_once_announce_the_completion_once(hooks):
    """Each transaction alone still sees the other's prospect unfinished; the check runs at commit, one after the
    other, so the second sees the first's change."""
    r = hooks
    _, auth = await r.suite.new_workspace("Race")
    status, endpoint = await r.suite.call(
        "POST", "/api/v1/webhook-endpoints", auth, json={"url": r.receiver.url, "events": ["campaign.completed"]}
    )
    assert status == 201, endpoint
    account = await r.suite.linkedin_account(auth)
    status, campaign = await r.suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "Race",
            "schedule": SCHEDULE,
            "steps": [{"channel": "linkedin", "action": "invite"}],
            "senders": {"linkedin_account_ids": [account]},
        },
    )
    cid = campaign["id"]
    people = [{"linkedin_provider_id": f"ACo{i}"} for i in range(2)]
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{cid}/prospects", auth, json={"prospects": people}))[
        0
    ] == 200
    assert (await r.suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth, json={}))[0] == 200
    _, page = await r.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects", auth)
    first, second = (p["id"] for p in page["prospects"])
    stop = (
        "UPDATE scheduler.prospect_plans SET state = 'stopped', next_action_at = NULL, stop_reason = 'replied',"
        " updated_at = now() WHERE prospect_id = $1"
    )
    one, two = await asyncpg.connect(r.suite.dsn), await asyncpg.connect(r.suite.dsn)
    try:
        a, b = one.transaction(), two.transaction()
        await a.start()
        await b.start()
        await one.execute(stop, first)
        await two.execute(stop, second)
        await a.commit()
        await b.commit()
    finally:
        await one.close()
        await two.close()
    await until(lambda: len(r.receiver.got) >= 1, "the completion")
    await asyncio.sleep(1.0)
    assert len(r.receiver.got) == 1
    assert verified(endpoint["secret"], r.receiver.got[0])["data"] == {
        "campaign_id": cid,
        "prospects": 2,
        "finished": 0,
        "stopped": 2,
    }
