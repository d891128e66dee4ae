"""Health news becomes pause state (DESIGN P2, P5, P6, P7, P9): health events as accounts sends them, over
real gRPC to campaigns, with the real scheduler deciding which steps are active."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from holdfast.campaigns.v1 import campaigns_pb2, campaigns_pb2_grpc
from holdfast.common.v1 import types_pb2
from services.common.grpc_client import open_channel

SCHEDULE = {
    "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    "window": {"start": "00:00", "end": "23:59"},
    "timezone": "UTC",
}
INVITE = {"channel": "linkedin", "action": "invite"}
EMAIL = {"channel": "email", "action": "email", "subject": "Hi", "body": "Hello"}
SERVER = {"host": "127.0.0.1", "port": 1, "security": "none", "username": "u", "password": "p"}


class Health:
    """Sends health events the way accounts does, with increasing versions per subject."""

    def __init__(self, suite):
        self.stub = campaigns_pb2_grpc.CampaignsServiceStub(open_channel(f"127.0.0.1:{suite.ports['campaigns']}"))
        self.versions: dict[str, int] = {}

    async def send(
        self,
        workspace_id: str,
        *,
        sender: tuple[str, str] | None = None,
        status: str = "",
        subscription: str = "",
        event_id: str | None = None,
        version: int | None = None,
        verified: bool = False,
    ) -> campaigns_pb2.ApplyHealthEventResponse:
        subject = sender[1] if sender else workspace_id
        self.versions[subject] = version if version is not None else self.versions.get(subject, 0) + 1
        event = types_pb2.HealthEvent(
            event_id=event_id or str(uuid.uuid4()),
            workspace_id=workspace_id,
            version=self.versions[subject],
            occurred_at=Timestamp(seconds=1),
        )
        if sender:
            kind = types_pb2.SENDER_KIND_INBOX if sender[0] == "inbox" else types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT
            event.sender.CopyFrom(
                types_pb2.SenderHealth(
                    kind=kind,
                    sender_id=sender[1],
                    status=types_pb2.SenderStatus.Value(f"SENDER_STATUS_{status.upper()}"),
                    restriction_verified=verified,
                )
            )
        else:
            event.subscription.CopyFrom(
                types_pb2.SubscriptionHealth(
                    status=types_pb2.SubscriptionStatus.Value(f"SUBSCRIPTION_STATUS_{subscription.upper()}")
                )
            )
        return await self.stub.ApplyHealthEvent(campaigns_pb2.ApplyHealthEventRequest(event=event))


async def setup(suite, steps, prospects=2, *, workspace=None):
    workspace_id, auth = workspace or await suite.new_workspace()
    li = await suite.linkedin_account(auth)
    status, inbox = await suite.call(
        "POST",
        "/api/v1/inboxes",
        auth,
        json={"email": f"{uuid.uuid4().hex[:8]}@acme.example", "smtp": SERVER, "imap": SERVER},
    )
    assert status == 201
    status, campaign = await suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "c",
            "schedule": SCHEDULE,
            "steps": steps,
            "senders": {"linkedin_account_ids": [li], "inbox_ids": [inbox["id"]]},
        },
    )
    assert status == 201, campaign
    cid = campaign["id"]
    if prospects:
        await suite.call(
            "POST",
            f"/api/v1/campaigns/{cid}/prospects",
            auth,
            json={
                "prospects": [
                    {"linkedin_provider_id": f"P{i}-{uuid.uuid4().hex[:6]}", "email": f"p{i}@x.example"}
                    for i in range(prospects)
                ]
            },
        )
    status, activated = await suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)
    assert status == 200, activated
    return workspace_id, auth, cid, li, inbox["id"]


async def campaign(suite, auth, cid):
    status, body = await suite.call("GET", f"/api/v1/campaigns/{cid}", auth)
    assert status == 200
    return body


async def holds(suite, cid) -> list[str]:
    conn = await asyncpg.connect(suite.dsn)
    try:
        for _ in range(100):  # the holds travel by outbox; pause/resume wait for them, events do not
            if not await conn.fetchval("SELECT count(*) FROM campaigns.outbox WHERE ordering_key = $1", cid):
                break
            await asyncio.sleep(0.05)
        return sorted(
            await conn.fetchval(
                "SELECT held_scopes FROM scheduler.campaign_holds WHERE campaign_id = $1", uuid.UUID(cid)
            )
        )
    finally:
        await conn.close()


async def test_a_disconnected_account_pauses_its_campaigns_linkedin_scope_and_reconnecting_resumes(suite):
    health = Health(suite)
    ws, auth, cid, li, _ = await setup(suite, [INVITE, EMAIL])
    _, _, other, _, _ = await setup(suite, [INVITE])  # another workspace's campaign, another account
    answer = await health.send(ws, sender=("linkedin_account", li), status="disconnected")
    assert (answer.applied, answer.campaigns_paused) == (True, 1)
    got = await campaign(suite, auth, cid)
    assert got["status"] == "paused" and got["paused_reason"] == "linkedin_account_disconnected"
    assert [(r["reason"], r["scope"]) for r in got["pause_reasons"]] == [("linkedin_account_disconnected", "linkedin")]
    assert await holds(suite, cid) == ["linkedin"], "only the LinkedIn steps are held; email goes on (P5)"
    answer = await health.send(ws, sender=("linkedin_account", li), status="connected")
    assert (answer.applied, answer.campaigns_resumed) == (True, 1)
    got = await campaign(suite, auth, cid)
    assert got["status"] == "active" and got["pause_reasons"] == []
    assert await holds(suite, cid) == []
    _, history = await suite.call("GET", f"/api/v1/campaigns/{cid}/pause-history", auth)
    assert [(e["action"], e["actor"]["kind"], e["actor"]["source"]) for e in history["entries"]] == [
        ("added", "system", "account_health"),
        ("cleared", "system", "account_health"),
    ]


async def test_a_campaign_with_no_active_linkedin_step_is_not_paused(suite):
    """P6: the EXISTS-active-step rule. Email-only campaigns and campaigns with nobody left to contact on
    LinkedIn keep going when the LinkedIn account drops."""
    health = Health(suite)
    ws, auth, email_only, li, _ = await setup(suite, [EMAIL])
    _, _, empty, _, _ = await setup(suite, [INVITE], prospects=0, workspace=(ws, auth))
    answer = await health.send(ws, sender=("linkedin_account", li), status="disconnected")
    assert answer.campaigns_paused == 0
    assert (await campaign(suite, auth, email_only))["status"] == "active"
    assert (await campaign(suite, auth, empty))["status"] == "active"


async def test_duplicated_and_stale_events_change_nothing(suite):
    health = Health(suite)
    ws, auth, cid, li, _ = await setup(suite, [INVITE])
    first = await health.send(ws, sender=("linkedin_account", li), status="disconnected", event_id="evt-a", version=5)
    again = await health.send(ws, sender=("linkedin_account", li), status="disconnected", event_id="evt-a", version=5)
    stale = await health.send(ws, sender=("linkedin_account", li), status="connected", event_id="evt-b", version=4)
    assert (first.applied, again.applied, stale.applied) == (True, False, False)
    got = await campaign(suite, auth, cid)
    assert got["status"] == "paused", "a reordered (older) 'connected' did not resume it"
    _, history = await suite.call("GET", f"/api/v1/campaigns/{cid}/pause-history", auth)
    assert len(history["entries"]) == 1


async def test_several_reasons_at_once_show_the_highest_and_resume_only_when_all_clear(suite):
    health = Health(suite)
    ws, auth, cid, li, _ = await setup(suite, [INVITE])
    await health.send(ws, sender=("linkedin_account", li), status="disconnected")
    answer = await health.send(ws, subscription="canceled")
    assert answer.campaigns_paused == 1
    got = await campaign(suite, auth, cid)
    assert got["paused_reason"] == "subscription_canceled"
    assert {r["reason"] for r in got["pause_reasons"]} == {"subscription_canceled", "linkedin_account_disconnected"}
    await health.send(ws, sender=("linkedin_account", li), status="connected")
    got = await campaign(suite, auth, cid)
    assert got["status"] == "paused" and got["paused_reason"] == "subscription_canceled", (
        "reconnecting while the subscription is canceled stays paused"
    )
    assert await holds(suite, cid) == ["campaign"]
    await health.send(ws, subscription="active")
    got = await campaign(suite, auth, cid)
    assert got["status"] == "active"


async def test_a_restriction_is_never_cleared_by_the_system(suite):
    health = Health(suite)
    ws, auth, cid, li, _ = await setup(suite, [INVITE])
    await health.send(ws, sender=("linkedin_account", li), status="restricted")
    await health.send(ws, sender=("linkedin_account", li), status="connected", verified=True)
    got = await campaign(suite, auth, cid)
    assert got["status"] == "paused" and got["paused_reason"] == "account_restricted"


async def test_a_manual_pause_outlives_the_health_cause(suite):
    health = Health(suite)
    ws, auth, cid, li, _ = await setup(suite, [INVITE])
    await suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth)
    await health.send(ws, sender=("linkedin_account", li), status="disconnected")
    await health.send(ws, sender=("linkedin_account", li), status="connected")
    got = await campaign(suite, auth, cid)
    assert got["status"] == "paused" and got["paused_reason"] == "manual"


async def test_failure_rate_signals_pause_and_clear(suite):
    ws, auth, cid, li, _ = await setup(suite, [INVITE])
    stub = Health(suite).stub
    window_end = Timestamp()
    window_end.FromDatetime(datetime(2026, 3, 2, tzinfo=UTC))

    async def signal(above: bool, minutes: int, event_id: str | None = None):
        end = Timestamp()
        end.FromDatetime(datetime(2026, 3, 2, tzinfo=UTC) + timedelta(minutes=minutes))
        return await stub.ApplyFailureRateSignal(
            campaigns_pb2.ApplyFailureRateSignalRequest(
                event_id=event_id or str(uuid.uuid4()),
                sender_kind=types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT,
                sender_id=li,
                above_threshold=above,
                failure_rate=0.6,
                sample_size=10,
                window_end=end,
            )
        )

    assert (await signal(True, 1)).applied
    got = await campaign(suite, auth, cid)
    assert got["paused_reason"] == "linkedin_high_failure_rate"
    assert "60%" in got["pause_reasons"][0]["detail"]
    assert not (await signal(False, 0)).applied, "an older signal arriving late is ignored"
    assert (await campaign(suite, auth, cid))["status"] == "paused"
    assert (await signal(False, 2)).applied
    assert (await campaign(suite, auth, cid))["status"] == "active"


@pytest.mark.parametrize("cooldown_passed", [False, True])
async def test_a_flapping_account_does_not_resume_more_than_once_per_cooldown(suite, cooldown_passed):
    """P9: connected -> auto-resume; disconnected again and connected again within the cool-down leaves the
    campaign paused (the clear waits); the sweeper finishes it once the cool-down has passed."""
    health = Health(suite)
    ws, auth, cid, li, _ = await setup(suite, [INVITE])
    for status in ("disconnected", "connected", "disconnected", "connected"):
        await health.send(ws, sender=("linkedin_account", li), status=status)
    got = await campaign(suite, auth, cid)
    assert got["status"] == "paused", "the second auto-resume within the cool-down is held back"
    conn = await asyncpg.connect(suite.dsn)
    try:
        assert await conn.fetchval(
            "SELECT clear_pending FROM campaigns.pause_reasons WHERE campaign_id = $1", uuid.UUID(cid)
        )
        if cooldown_passed:
            await conn.execute(
                "UPDATE campaigns.campaigns SET last_auto_resumed_at = now() - interval '1 hour' WHERE id = $1",
                uuid.UUID(cid),
            )
    finally:
        await conn.close()
    # The sweeper runs every 0.2 s in the test suite; give it a few rounds.
    for _ in range(30):
        await asyncio.sleep(0.1)
        got = await campaign(suite, auth, cid)
        if got["status"] == "active":
            break
    assert got["status"] == ("active" if cooldown_passed else "paused")
