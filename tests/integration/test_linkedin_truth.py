"""LinkedIn sends believe the provider (issue 13, DESIGN T1-T3): cool-downs scoped to what they concern,
InMails sent as InMails, invite usage heeded, rendered notes checked before any attempt, and a reconciler that
books a message as sent only when Unipile shows it. The real dispatcher and Unipile client over real HTTP to
the Unipile sandbox, on virtual time."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import web

from services.common.clock import ManualClock
from services.common.providers.smtp import SmtpSettings
from services.common.providers.unipile import UnipileClient
from services.scheduler.dispatcher import ASSUMED_SENT, Dispatcher
from services.scheduler.domain import CampaignPlan, Limits, Step
from services.scheduler.plan_rows_repository import Enrollee
from services.scheduler.providers import Providers
from services.scheduler.repository import Repository
from tests.scheduler_rig import MONDAY_7_UTC, PARIS, Rig, scheduler_rig

ROOMY = Limits(daily_cap=20, weekly_cap=1000, ramp_start=20, ramp_step=0, pacing_min_seconds=0, pacing_max_seconds=0)
MONDAY_EVENING = MONDAY_7_UTC + timedelta(hours=12)
INVITE = (Step(0, "linkedin", "linkedin_invite", 0, "Hi {{first_name}}, about {{company}}"),)
MESSAGE = (Step(0, "linkedin", "linkedin_message", 0, "Hello {{first_name}}"),)
INMAIL = (Step(0, "linkedin", "linkedin_inmail", 0, "Dear {{first_name}}"),)


async def _no_email(_: str) -> SmtpSettings:
    raise AssertionError("no email in this test")


@pytest.fixture
async def rig(fresh_dsn) -> AsyncIterator[Rig]:
    async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC)) as built:
        yield built


async def sender(rig: Rig, **account: object) -> tuple[str, str]:
    sender_id = str(uuid.uuid4())
    account_id = f"acc-{sender_id[:8]}"
    await rig.control("accounts", {"id": account_id, "name": account_id, **account})
    await rig.service.set_sender(
        "linkedin_account",
        sender_id,
        1,
        "connected",
        "Europe/Paris",
        None,
        account_id,
        "",
        {a: ROOMY for a in ("linkedin_invite", "linkedin_message", "linkedin_inmail")},
    )
    return sender_id, account_id


async def campaign(
    rig: Rig, sender_id: str, steps: tuple[Step, ...], prospects: list[tuple[str, dict[str, str]]]
) -> tuple[str, list[str]]:
    """prospects: (provider id, extra values such as company)."""
    campaign_id = str(uuid.uuid4())
    plan = CampaignPlan(campaign_id, str(uuid.uuid4()), 1, PARIS, True, (sender_id,), (), steps)
    assert (await rig.service.upsert_plan(plan))[0]
    ids = [str(uuid.uuid4()) for _ in prospects]
    await rig.service.enroll(
        campaign_id,
        [
            Enrollee(pid, provider, None, f"P{i}", "", values.get("company", "Acme"), {})
            for i, (pid, (provider, values)) in enumerate(zip(ids, prospects, strict=True))
        ],
    )
    return campaign_id, ids


async def plan_of(rig: Rig, prospect_id: str):
    return await rig.pool.fetchrow(
        "SELECT * FROM scheduler.prospect_plans WHERE prospect_id = $1", uuid.UUID(prospect_id)
    )


async def attempts_of(rig: Rig, prospect_id: str) -> list[tuple[str, str]]:
    rows = await rig.pool.fetch(
        "SELECT status, outcome FROM scheduler.send_attempts WHERE prospect_id = $1 ORDER BY started_at, id",
        uuid.UUID(prospect_id),
    )
    return [(r["status"], r["outcome"]) for r in rows]


async def test_a_recipient_cool_down_defers_only_that_prospect(rig):
    sender_id, account = await sender(rig)
    campaign_id, prospects = await campaign(rig, sender_id, INVITE, [(f"prov-{i}", {}) for i in range(3)])
    await rig.control(
        "failures",
        {"endpoint": "send_invite", "account_id": account, "status": 422, "type": "errors/cannot_resend_yet"},
    )
    await rig.run_until(MONDAY_EVENING)
    attempts = {p: await attempts_of(rig, p) for p in prospects}
    [first] = [p for p, a in attempts.items() if a == [("refused", "errors/cannot_resend_yet")]]
    # The other prospects were invited the same day: the sender did not wait for one recipient's cool-down.
    assert [a for p, a in attempts.items() if p != first] == [[("succeeded", "sent")]] * 2
    row = await plan_of(rig, first)
    assert row["state"] == "scheduled" and row["next_action_at"] >= MONDAY_7_UTC + timedelta(days=7)
    [view] = await rig.service.list_plans(campaign_id, [first])
    assert "recipient_cooldown:errors/cannot_resend_yet" in view.why_not_now
    assert [(a.status, a.outcome) for a in view.history] == [("refused", "errors/cannot_resend_yet")]
    # A week on it goes, once.
    await rig.run_until(MONDAY_EVENING + timedelta(days=8))
    assert await attempts_of(rig, first) == [("refused", "errors/cannot_resend_yet"), ("succeeded", "sent")]
    assert sorted(i.provider_id for i in rig.sandbox.invitations) == ["prov-0", "prov-1", "prov-2"]


async def test_a_sender_cool_down_waits_with_its_reason_and_stops_no_prospect(rig):
    sender_id, account = await sender(rig)
    campaign_id, prospects = await campaign(rig, sender_id, INVITE, [(f"prov-{i}", {}) for i in range(2)])
    await rig.control(
        "failures", {"endpoint": "send_invite", "account_id": account, "status": 422, "type": "errors/limit_exceeded"}
    )
    await rig.run_until(MONDAY_EVENING)
    views = await rig.service.list_plans(campaign_id, prospects)
    assert all("sender_cooldown:errors/limit_exceeded" in v.why_not_now for v in views), views
    assert all(v.plan.state == "scheduled" for v in views)
    await rig.run_until(MONDAY_EVENING + timedelta(days=2))
    assert sorted(i.provider_id for i in rig.sandbox.invitations) == ["prov-0", "prov-1"]


async def test_a_note_too_long_once_rendered_stops_the_prospect_before_any_attempt(rig):
    sender_id, _ = await sender(rig)
    note = (Step(0, "linkedin", "linkedin_invite", 0, "Hi {{first_name}}, I read about {{company}}. " + "x" * 200),)
    _, (long_one, short_one) = await campaign(
        rig, sender_id, note, [("prov-long", {"company": "C" * 80}), ("prov-short", {"company": "Acme"})]
    )
    await rig.run_until(MONDAY_EVENING)
    row = await plan_of(rig, long_one)
    assert (row["state"], row["stop_reason"]) == ("stopped", "invite_note_too_long")
    assert await attempts_of(rig, long_one) == [], "caught before the attempt: nothing to retry"
    assert await attempts_of(rig, short_one) == [("succeeded", "sent")]
    assert [i.provider_id for i in rig.sandbox.invitations] == ["prov-short"]
    assert rig.sandbox.calls["send_invite"] == 1
    # Days later nothing has been tried again.
    await rig.run_until(MONDAY_EVENING + timedelta(days=3))
    assert rig.sandbox.calls["send_invite"] == 1


async def test_an_inmail_goes_as_an_inmail_through_the_accounts_seat(rig):
    classic, classic_account = await sender(rig, inmail_credits=1)
    navigator, navigator_account = await sender(rig, inmail_credits=1, premium_features=["sales_navigator"])
    _, [to_classic] = await campaign(rig, classic, INMAIL, [("stranger-1", {})])
    _, [to_navigator] = await campaign(rig, navigator, INMAIL, [("stranger-2", {})])
    await rig.run_until(MONDAY_EVENING)
    assert await attempts_of(rig, to_classic) == [("succeeded", "sent")]
    assert await attempts_of(rig, to_navigator) == [("succeeded", "sent")]
    chats = {c.account_id: c for c in rig.sandbox.chats.values()}
    assert chats[classic_account].inmail and chats[classic_account].api is None
    assert chats[navigator_account].inmail and chats[navigator_account].api == "sales_navigator"


async def test_no_inmail_credits_is_the_senders_cool_down_and_a_refused_inmail_stops_one_prospect(rig):
    poor, _ = await sender(rig, inmail_credits=0)
    campaign_id, [prospect] = await campaign(rig, poor, INMAIL, [("stranger-1", {})])
    rich, rich_account = await sender(rig, inmail_credits=5)
    _, pair = await campaign(rig, rich, INMAIL, [("stranger-2", {}), ("stranger-3", {})])
    await rig.control(
        "failures",
        {"endpoint": "start_chat", "account_id": rich_account, "status": 422, "type": "errors/not_allowed_inmail"},
    )
    await rig.run_until(MONDAY_EVENING)
    assert await attempts_of(rig, prospect) == [("failed", "sender_cooldown")]
    [view] = await rig.service.list_plans(campaign_id, [prospect])
    assert "sender_cooldown:errors/insufficient_credits" in view.why_not_now
    outcomes = {p: await attempts_of(rig, p) for p in pair}
    [refused] = [p for p, a in outcomes.items() if a == [("refused", "errors/not_allowed_inmail")]]
    assert [a for p, a in outcomes.items() if p != refused] == [[("succeeded", "sent")]]
    row = await plan_of(rig, refused)
    assert (row["state"], row["stop_reason"]) == ("stopped", "errors/not_allowed_inmail")


async def test_invite_usage_is_recorded_and_slows_the_sender_before_linkedin_stops_it(rig):
    sender_id, _ = await sender(rig, invite_limit=10)
    campaign_id, prospects = await campaign(rig, sender_id, INVITE, [(f"prov-{i}", {}) for i in range(12)])
    await rig.run_until(MONDAY_EVENING)
    # Usage 50 % after 5 invites (cap 20 -> 15), 80 % after 8 (-> 10), 90 % after 9 (-> 5): the day stops at 9.
    assert len(rig.sandbox.invitations) == 9
    state = await rig.pool.fetchrow(
        "SELECT invite_usage FROM scheduler.sender_states WHERE sender_id = $1", uuid.UUID(sender_id)
    )
    assert state["invite_usage"] == 90
    views = await rig.service.list_plans(campaign_id, prospects)
    waiting = [v for v in views if v.plan.state == "scheduled"]
    assert len(waiting) == 3
    [view] = await rig.service.list_plans(campaign_id, [waiting[0].plan.prospect_id])
    assert "provider_usage_90_percent" in view.why_not_now, view.why_not_now


@pytest.mark.parametrize("after_acting", [True, False])
async def test_a_lost_message_answer_is_settled_from_the_chat(rig, after_acting):
    impatient = UnipileClient(rig.sandbox_url, "test-key", rig.http, timeout_s=0.2, now=rig.clock.now)
    rig.dispatcher = Dispatcher(
        Repository(rig.pool),
        Providers(impatient, _no_email),
        rig.clock,
        unipile=impatient,
        stale_after=timedelta(minutes=10),
    )
    sender_id, account = await sender(rig, connections=["friend-1"])
    campaign_id, [prospect] = await campaign(rig, sender_id, MESSAGE, [("friend-1", {})])
    await rig.control("latency", {"endpoint": "start_chat", "ms": 500, "after_acting": after_acting})
    await rig.run_until(MONDAY_7_UTC + timedelta(hours=2))
    assert await attempts_of(rig, prospect) == [("started", "")], "no answer: the attempt stays open"
    await asyncio.sleep(0.6)  # the sandbox finishes what it was doing
    await rig.control("latency", {"endpoint": "start_chat", "ms": 0, "after_acting": after_acting})
    rig.clock.advance(timedelta(minutes=11))
    assert await rig.dispatcher.reconcile_once() == 1
    await rig.run_until(MONDAY_EVENING)
    sent = [m for c in rig.sandbox.chats.values() if c.account_id == account for m in c.messages]
    assert len(sent) == 1, "sent exactly once"
    if after_acting:
        assert await attempts_of(rig, prospect) == [("reconciled_sent", "confirmed")]
    else:
        assert await attempts_of(rig, prospect) == [("abandoned", "not_sent"), ("succeeded", "sent")]


async def test_when_the_provider_cannot_answer_for_a_day_the_assumption_is_in_the_history(rig):
    sender_id, account = await sender(rig, connections=["friend-1"])
    campaign_id, [prospect] = await campaign(rig, sender_id, MESSAGE, [("friend-1", {})])
    # The send gets a 5xx that cannot tell; then Unipile cannot list the account's chats for a long while.
    await rig.control(
        "failures", {"endpoint": "start_chat", "account_id": account, "status": 504, "type": "errors/request_timeout"}
    )
    await rig.control(
        "failures",
        {
            "endpoint": "list_chats",
            "account_id": account,
            "status": 503,
            "type": "errors/no_client_session",
            "count": 1000,
        },
    )
    await rig.run_until(MONDAY_7_UTC + timedelta(hours=2))
    for hours in (1, 12, 22):
        rig.clock.set(MONDAY_7_UTC + timedelta(hours=2 + hours))
        assert await rig.dispatcher.reconcile_once() == 0, "it could still tell: ask again, never guess"
    rig.clock.set(MONDAY_7_UTC + timedelta(hours=27))
    assert await rig.dispatcher.reconcile_once() == 1
    [view] = await rig.service.list_plans(campaign_id, [prospect])
    assert [(a.status, a.outcome, a.note) for a in view.history] == [("reconciled_sent", "assumed", ASSUMED_SENT)]
    assert view.plan.state == "done"


async def test_campaign_creation_warns_when_long_values_would_overflow_an_invite_note(suite):
    _, auth = await suite.new_workspace()
    account = await suite.linkedin_account(auth)
    schedule = {"days": ["mon"], "window": {"start": "09:00", "end": "17:00"}, "timezone": "Europe/Paris"}

    async def create(text: str) -> dict:
        status, body = await suite.call(
            "POST",
            "/api/v1/campaigns",
            auth,
            json={
                "name": "Notes",
                "schedule": schedule,
                "senders": {"linkedin_account_ids": [account]},
                "steps": [{"channel": "linkedin", "action": "invite", "text": text}],
            },
        )
        assert status == 201, body
        return body

    # 150 characters as written: fine for "Ann" at "Acme", over 300 for a long name at a long company name.
    risky = await create("Hi {{first_name}} {{last_name}}, I saw what {{company}} does with {{topic}}. " + "x" * 90)
    [warning] = risky["warnings"]
    assert warning["field"] == "steps.0.text" and warning["sample_length"] > 300
    assert "300" in warning["message"]
    assert (await create("Hi {{first_name}}, glad to connect."))["warnings"] == []


async def test_a_chat_answered_without_a_message_id_is_a_send(rig):
    """Unipile documents `message_id` (and `chat_id`) as nullable: a 2xx without them is still its yes."""

    async def answer(_: web.Request) -> web.Response:
        return web.json_response({"object": "ChatStarted", "chat_id": "c-9", "message_id": None}, status=201)

    app = web.Application()
    app.router.add_post("/api/v1/chats", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        client = UnipileClient(f"http://127.0.0.1:{port}", "test-key", rig.http)
        rig.dispatcher = Dispatcher(Repository(rig.pool), Providers(client, _no_email), rig.clock, unipile=client)
        sender_id, _ = await sender(rig, connections=["friend-1"])
        _, [prospect] = await campaign(rig, sender_id, MESSAGE, [("friend-1", {})])
        await rig.run_until(MONDAY_EVENING)
        row = await rig.pool.fetchrow(
            "SELECT status, provider_ref FROM scheduler.send_attempts WHERE prospect_id = $1", uuid.UUID(prospect)
        )
        assert (row["status"], row["provider_ref"]) == ("succeeded", "c-9")
        assert (await plan_of(rig, prospect))["state"] == "done"
    finally:
        await runner.cleanup()
