"""The canonical pause helper's set-based path (B4): one health event reaching many campaigns changes them in
one transaction, with the same rules as one by one: a history row per campaign with its actor, idempotent,
P6 (only campaigns with an active step on the channel), P9 (damped auto-resume), and the holds reach the
scheduler in batches."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from google.protobuf import timestamp_pb2

from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from services.common import errors
from services.common.grpc_client import open_channel
from tests.integration.test_pause_state import EMAIL, INVITE, SCHEDULE, SERVER, Health


async def new_campaign(
    suite, auth, li: str, inbox: str, steps: list[dict], prospects: int = 2, *, activate: bool = True
) -> str:
    status, created = await suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "c",
            "schedule": SCHEDULE,
            "steps": steps,
            "senders": {"linkedin_account_ids": [li], "inbox_ids": [inbox]},
        },
    )
    assert status == 201, created
    cid = created["id"]
    if prospects:
        status, _ = await suite.call(
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
        assert status == 200
    if activate:
        status, body = await suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)
        assert status == 200, body
    return cid


async def shared_account(suite):
    """A workspace, one LinkedIn account and one inbox its campaigns all send from."""
    workspace_id, auth = await suite.new_workspace()
    li = await suite.linkedin_account(auth)
    status, inbox = await suite.call(
        "POST",
        "/api/v1/inboxes",
        auth,
        json={"email": f"{uuid.uuid4().hex[:8]}@acme.example", "smtp": SERVER, "imap": SERVER},
    )
    assert status == 201
    return workspace_id, auth, li, inbox["id"]


async def state(suite, auth, cid) -> dict:
    status, body = await suite.call("GET", f"/api/v1/campaigns/{cid}", auth)
    assert status == 200
    return body


async def history(suite, auth, cid) -> list[tuple[str, str, str, str, str]]:
    _, body = await suite.call("GET", f"/api/v1/campaigns/{cid}/pause-history", auth)
    return [
        (e["action"], e["reason"], e["actor"]["kind"], e["actor"]["source"], e["status_after"]) for e in body["entries"]
    ]


async def eventually_held(suite, campaign_ids: list[str], expected: list[str], within_s: float = 5.0) -> None:
    """The holds travel by outbox (health events do not wait for them): wait until the scheduler has them."""
    conn = await asyncpg.connect(suite.dsn)
    try:
        for _ in range(int(within_s / 0.05)):
            rows = await conn.fetch(
                "SELECT held_scopes FROM scheduler.campaign_holds WHERE campaign_id = ANY($1)",
                [uuid.UUID(c) for c in campaign_ids],
            )
            if len(rows) == len(campaign_ids) and all(sorted(r[0]) == expected for r in rows):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"holds never became {expected}: {[sorted(r[0]) for r in rows]}")
    finally:
        await conn.close()


async def test_an_account_drop_pauses_every_campaign_with_an_active_linkedin_step_each_with_its_history(suite):
    health = Health(suite)
    ws, auth, li, inbox = await shared_account(suite)
    invite = [await new_campaign(suite, auth, li, inbox, [INVITE]) for _ in range(3)]
    email_then_invite = await new_campaign(suite, auth, li, inbox, [EMAIL, INVITE])
    email_only = await new_campaign(suite, auth, li, inbox, [EMAIL])
    nobody_left = await new_campaign(suite, auth, li, inbox, [INVITE], prospects=0)
    draft = await new_campaign(suite, auth, li, inbox, [INVITE], activate=False)
    held = [*invite, email_then_invite]

    answer = await health.send(ws, sender=("linkedin_account", li), status="disconnected")
    assert (answer.applied, answer.campaigns_paused) == (True, 4)
    for cid in held:
        got = await state(suite, auth, cid)
        assert got["status"] == "paused" and got["paused_reason"] == "linkedin_account_disconnected"
        assert [(r["reason"], r["scope"]) for r in got["pause_reasons"]] == [
            ("linkedin_account_disconnected", "linkedin")
        ]
        assert await history(suite, auth, cid) == [
            ("added", "linkedin_account_disconnected", "system", "account_health", "paused")
        ]
    # P6: no active LinkedIn step, no pause; a draft has no pause state at all.
    for cid in (email_only, nobody_left):
        assert (await state(suite, auth, cid))["status"] == "active"
        assert await history(suite, auth, cid) == []
    assert (await state(suite, auth, draft))["status"] == "draft"
    await eventually_held(suite, held, ["linkedin"])
    await eventually_held(suite, [email_only, nobody_left], [])

    # Idempotent: the same cause again (a newer event saying the same) adds nothing and writes no history.
    again = await health.send(ws, sender=("linkedin_account", li), status="disconnected")
    assert (again.applied, again.campaigns_paused) == (True, 0)
    for cid in held:
        assert len(await history(suite, auth, cid)) == 1

    answer = await health.send(ws, sender=("linkedin_account", li), status="connected")
    assert (answer.applied, answer.campaigns_resumed) == (True, 4)
    for cid in held:
        got = await state(suite, auth, cid)
        assert got["status"] == "active" and got["paused_reason"] is None and got["pause_reasons"] == []
        assert [h[0] for h in await history(suite, auth, cid)] == ["added", "cleared"]
        assert (await history(suite, auth, cid))[1] == (
            "cleared",
            "linkedin_account_disconnected",
            "system",
            "account_health",
            "active",
        )
    await eventually_held(suite, held, [])


async def test_a_clear_in_bulk_is_damped_per_campaign_and_keeps_other_reasons(suite):
    """P9 per campaign: one that auto-resumed less than a cool-down ago waits (its reason stays, marked for the
    sweeper); P2: one that also has a manual pause stays paused for it, and shows it."""
    health = Health(suite)
    ws, auth, li, inbox = await shared_account(suite)
    flapping = [await new_campaign(suite, auth, li, inbox, [INVITE]) for _ in range(2)]
    manual = await new_campaign(suite, auth, li, inbox, [INVITE])
    await health.send(ws, sender=("linkedin_account", li), status="disconnected")
    await health.send(ws, sender=("linkedin_account", li), status="connected")  # the first auto-resume
    status, _ = await suite.call("POST", f"/api/v1/campaigns/{manual}/pause", auth)
    assert status == 200
    answer = await health.send(ws, sender=("linkedin_account", li), status="disconnected")
    assert answer.campaigns_paused == 3
    answer = await health.send(ws, sender=("linkedin_account", li), status="connected")
    assert answer.campaigns_resumed == 0, "within the cool-down nothing auto-resumes again"
    for cid in flapping:
        got = await state(suite, auth, cid)
        assert got["status"] == "paused" and got["paused_reason"] == "linkedin_account_disconnected"
        assert [h[0] for h in await history(suite, auth, cid)] == ["added", "cleared", "added"]
    got = await state(suite, auth, manual)
    assert got["status"] == "paused" and got["paused_reason"] == "manual"
    assert [r["reason"] for r in got["pause_reasons"]] == ["manual"], "not the last reason: cleared at once"
    assert [(h[0], h[1], h[4]) for h in await history(suite, auth, manual)][-1] == (
        "cleared",
        "linkedin_account_disconnected",
        "paused",
    )
    conn = await asyncpg.connect(suite.dsn)
    try:
        pending = await conn.fetchval(
            "SELECT count(*) FROM campaigns.pause_reasons WHERE campaign_id = ANY($1) AND clear_pending",
            [uuid.UUID(c) for c in flapping],
        )
    finally:
        await conn.close()
    assert pending == 2, "the sweeper clears them once the cool-down has passed"


async def test_a_lapsed_subscription_pauses_every_started_campaign_of_the_workspace_only(suite):
    health = Health(suite)
    ws, auth, li, inbox = await shared_account(suite)
    started = [await new_campaign(suite, auth, li, inbox, steps) for steps in ([INVITE], [EMAIL], [INVITE])]
    draft = await new_campaign(suite, auth, li, inbox, [INVITE], activate=False)
    other_ws, other_auth, other_li, other_inbox = await shared_account(suite)
    elsewhere = await new_campaign(suite, other_auth, other_li, other_inbox, [INVITE])

    answer = await health.send(ws, subscription="canceled")
    assert answer.campaigns_paused == 3
    for cid in started:
        got = await state(suite, auth, cid)
        assert got["status"] == "paused" and got["paused_reason"] == "subscription_canceled"
        assert await history(suite, auth, cid) == [
            ("added", "subscription_canceled", "system", "account_health", "paused")
        ]
    assert (await state(suite, auth, draft))["status"] == "draft"
    assert (await state(suite, other_auth, elsewhere))["status"] == "active", "another workspace is untouched"
    await eventually_held(suite, started, ["campaign"])

    answer = await health.send(ws, subscription="active")
    assert answer.campaigns_resumed == 3
    for cid in started:
        assert (await state(suite, auth, cid))["status"] == "active"
    await eventually_held(suite, started, [])
    assert (await state(suite, other_auth, elsewhere))["status"] == "active"


async def test_the_scheduler_applies_a_batch_of_holds_by_each_campaign_version(suite):
    stub = scheduler_pb2_grpc.SchedulerServiceStub(open_channel(f"127.0.0.1:{suite.ports['scheduler']}"))
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    linkedin, everything = types_pb2.SCOPE_LINKEDIN, types_pb2.SCOPE_CAMPAIGN

    def hold(cid: str, version: int, *scopes: int) -> scheduler_pb2.SetCampaignHoldsRequest:
        return scheduler_pb2.SetCampaignHoldsRequest(campaign_id=cid, version=version, held_scopes=list(scopes))

    reply = await stub.SetCampaignHoldsBatch(
        scheduler_pb2.SetCampaignHoldsBatchRequest(holds=[hold(a, 2, linkedin), hold(b, 1, everything)])
    )
    assert reply.applied == 2
    await eventually_held(suite, [a], ["linkedin"])
    await eventually_held(suite, [b], ["campaign"])
    # A redelivered or reordered (older) batch changes nothing; a newer version of one campaign does.
    reply = await stub.SetCampaignHoldsBatch(
        scheduler_pb2.SetCampaignHoldsBatchRequest(holds=[hold(a, 1), hold(b, 1, everything), hold(b, 3)])
    )
    assert reply.applied == 1
    await eventually_held(suite, [a], ["linkedin"])
    await eventually_held(suite, [b], [])
    # Bad input: a clear error naming the field, and nothing of the batch applied.
    with pytest.raises(errors.InvalidArgument) as exc:
        await stub.SetCampaignHoldsBatch(
            scheduler_pb2.SetCampaignHoldsBatchRequest(holds=[hold(a, 9), hold("nope", 1)])
        )
    assert exc.value.field == "holds.campaign_id"
    await eventually_held(suite, [a], ["linkedin"])


async def test_a_batch_of_holds_takes_any_uuid_spelling_and_measures_each_campaign(suite):
    """The batch's fast path (B4) takes a canonical id as it is; an id spelt otherwise is still read as its UUID
    (here upper case: the same campaign), and each campaign applied with a cause time is one observation of the
    hold delay, as one by one."""
    from prometheus_client import REGISTRY

    def observed(action: str) -> float:
        return REGISTRY.get_sample_value("holdfast_hold_delay_seconds_count", {"action": action}) or 0.0

    stub = scheduler_pb2_grpc.SchedulerServiceStub(open_channel(f"127.0.0.1:{suite.ports['scheduler']}"))
    a, b, c = (str(uuid.uuid4()) for _ in range(3))
    caused = timestamp_pb2.Timestamp()
    caused.GetCurrentTime()

    def hold(cid: str, version: int, *scopes: int) -> scheduler_pb2.SetCampaignHoldsRequest:
        return scheduler_pb2.SetCampaignHoldsRequest(
            campaign_id=cid, version=version, held_scopes=list(scopes), caused_at=caused
        )

    held, released = observed("held"), observed("released")
    everything, linkedin = types_pb2.SCOPE_CAMPAIGN, types_pb2.SCOPE_LINKEDIN
    reply = await stub.SetCampaignHoldsBatch(
        scheduler_pb2.SetCampaignHoldsBatchRequest(
            holds=[hold(a, 1, everything), hold(b.upper(), 1, linkedin, everything), hold(c, 1, linkedin)]
        )
    )
    assert reply.applied == 3
    assert (observed("held"), observed("released")) == (held + 3, released)
    await eventually_held(suite, [a], ["campaign"])
    await eventually_held(suite, [b], ["campaign", "linkedin"])
    # The upper-case spelling is the same campaign: a newer version of it releases a scope, and then an older one in
    # canonical form changes nothing.
    reply = await stub.SetCampaignHoldsBatch(
        scheduler_pb2.SetCampaignHoldsBatchRequest(holds=[hold(b.upper(), 2, linkedin), hold(a, 2)])
    )
    assert reply.applied == 2
    assert (observed("held"), observed("released")) == (held + 4, released + 1)
    reply = await stub.SetCampaignHoldsBatch(scheduler_pb2.SetCampaignHoldsBatchRequest(holds=[hold(b, 1), hold(c, 1)]))
    assert reply.applied == 0
    await eventually_held(suite, [a], [])
    await eventually_held(suite, [b], ["linkedin"])
    await eventually_held(suite, [c], ["linkedin"])


async def test_active_channels_answer_each_campaign_in_canonical_form_with_its_own_channels(suite):
    """GetActiveChannels for thousands of campaigns (B4) converts each set of channels once: every campaign still
    gets its own, and an id spelt otherwise than canonically is answered in canonical form."""
    _, auth, li, inbox = await shared_account(suite)
    invite = await new_campaign(suite, auth, li, inbox, [INVITE])
    email = await new_campaign(suite, auth, li, inbox, [EMAIL])
    both = await new_campaign(suite, auth, li, inbox, [EMAIL, INVITE])
    other = await new_campaign(suite, auth, li, inbox, [INVITE])
    stub = scheduler_pb2_grpc.SchedulerServiceStub(open_channel(f"127.0.0.1:{suite.ports['scheduler']}"))
    reply = await stub.GetActiveChannels(
        scheduler_pb2.GetActiveChannelsRequest(campaign_ids=[invite.upper(), email, both, other])
    )
    linkedin, mail = types_pb2.CHANNEL_LINKEDIN, types_pb2.CHANNEL_EMAIL
    assert [(c.campaign_id, list(c.channels)) for c in reply.campaigns] == [
        (invite, [linkedin]),
        (email, [mail]),
        (both, [linkedin, mail]),
        (other, [linkedin]),
    ]


async def test_campaigns_active_on_a_channel_are_answered_as_one_list_in_canonical_form(suite):
    """GetCampaignsActiveOnChannel (a sender's health change, B4): of the campaigns asked about, those with an active
    step on the channel, each id in canonical form however it was spelt; no channel is refused."""
    _, auth, li, inbox = await shared_account(suite)
    invite = await new_campaign(suite, auth, li, inbox, [INVITE])
    email = await new_campaign(suite, auth, li, inbox, [EMAIL])
    both = await new_campaign(suite, auth, li, inbox, [EMAIL, INVITE])
    unknown = str(uuid.uuid4())
    stub = scheduler_pb2_grpc.SchedulerServiceStub(open_channel(f"127.0.0.1:{suite.ports['scheduler']}"))
    asked = [invite.upper(), email, both, unknown]
    for channel, expected in ((types_pb2.CHANNEL_LINKEDIN, {invite, both}), (types_pb2.CHANNEL_EMAIL, {email, both})):
        reply = await stub.GetCampaignsActiveOnChannel(
            scheduler_pb2.GetCampaignsActiveOnChannelRequest(campaign_ids=asked, channel=channel)
        )
        assert sorted(reply.campaign_ids) == sorted(expected)
    with pytest.raises(errors.InvalidArgument) as refused:
        await stub.GetCampaignsActiveOnChannel(scheduler_pb2.GetCampaignsActiveOnChannelRequest(campaign_ids=asked))
    assert refused.value.field == "channel"


async def test_each_campaign_changed_in_bulk_gets_a_webhook_event_of_its_own(suite):
    """The events of one bulk statement draw their ids from one random salt and each history row's id (campaigns
    migration 008): every campaign paused and resumed gets its own event, none taken for another's replay
    (accounts records an event id once)."""
    health = Health(suite)
    ws, auth, li, inbox = await shared_account(suite)
    started = [await new_campaign(suite, auth, li, inbox, [INVITE], prospects=0) for _ in range(4)]
    assert (await health.send(ws, subscription="canceled")).campaigns_paused == 4
    assert (await health.send(ws, subscription="active")).campaigns_resumed == 4
    conn = await asyncpg.connect(suite.dsn)
    try:
        for _ in range(200):
            rows = await conn.fetch(
                "SELECT id, type, data->>'campaign_id' AS campaign_id FROM accounts.webhook_events"
                " WHERE workspace_id = $1 AND type IN ('campaign.paused', 'campaign.resumed')",
                uuid.UUID(ws),
            )
            if len(rows) >= 8:
                break
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    assert sorted((r["type"], r["campaign_id"]) for r in rows) == sorted(
        (t, c) for t in ("campaign.paused", "campaign.resumed") for c in started
    )
    assert len({r["id"] for r in rows}) == 8


async def test_a_bulk_pause_of_campaigns_paused_already_shows_the_first_reason_and_holds_every_scope(suite):
    """P2 in the set-based path: campaigns that have reasons already (a lapsed subscription, one also a manual
    pause, both scope campaign) get the new one beside them; the reason shown stays the first of all by precedence
    (not the one added), and the holds carry every scope, sorted."""
    health = Health(suite)
    ws, auth, li, inbox = await shared_account(suite)
    manual, other = [await new_campaign(suite, auth, li, inbox, [INVITE]) for _ in range(2)]
    status, _ = await suite.call("POST", f"/api/v1/campaigns/{manual}/pause", auth)
    assert status == 200
    assert (await health.send(ws, subscription="canceled")).campaigns_paused == 2
    answer = await health.send(ws, sender=("linkedin_account", li), status="disconnected")
    assert answer.campaigns_paused == 2
    for cid, reasons in (
        (manual, ["linkedin_account_disconnected", "manual", "subscription_canceled"]),
        (other, ["linkedin_account_disconnected", "subscription_canceled"]),
    ):
        got = await state(suite, auth, cid)
        assert got["status"] == "paused" and got["paused_reason"] == "subscription_canceled"
        assert sorted(r["reason"] for r in got["pause_reasons"]) == reasons
    await eventually_held(suite, [manual, other], ["campaign", "linkedin"])
