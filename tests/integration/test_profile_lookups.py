"""Prospects by LinkedIn profile URL (issue 13): resolved in the background through their sender with
`GET /users/{identifier}` (the Unipile sandbox over real HTTP), paced per sender with a daily cap, planned
once resolved, `not_found` with the provider's reason otherwise; and refused per row at upload when the
value is no LinkedIn profile at all (through HTTP)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from services.common.clock import ManualClock
from services.scheduler.domain import CampaignPlan, Limits
from services.scheduler.plan_rows_repository import Enrollee
from services.scheduler.repository import Repository
from services.scheduler.resolver import ProfileResolver
from tests.integration.test_campaign_definition import enrolled
from tests.scheduler_rig import INVITE_THEN_MESSAGE, MONDAY_7_UTC, PARIS, Rig, scheduler_rig

ROOMY = Limits(daily_cap=50, weekly_cap=500, ramp_start=50, ramp_step=0, pacing_min_seconds=0, pacing_max_seconds=0)
IN_WINDOW = MONDAY_7_UTC + timedelta(hours=2)
GAP = timedelta(seconds=60)


@pytest.fixture
async def rig(fresh_dsn) -> AsyncIterator[Rig]:
    async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC)) as built:
        yield built


async def setup(rig: Rig, identifiers: list[str], daily_cap: int = 80) -> tuple[str, list[str], ProfileResolver]:
    sender_id = await rig.add_sender(ROOMY)
    for n in range(3):
        await rig.control(
            "profiles", {"provider_id": f"ACoMEMBER{n}", "public_identifier": f"member-{n}", "full_name": f"Member {n}"}
        )
    campaign_id = str(uuid.uuid4())
    plan = CampaignPlan(campaign_id, str(uuid.uuid4()), 1, PARIS, True, (sender_id,), (), INVITE_THEN_MESSAGE)
    assert (await rig.service.upsert_plan(plan))[0]
    prospects = [str(uuid.uuid4()) for _ in identifiers]
    await rig.service.enroll(
        campaign_id,
        [
            Enrollee(p, None, None, f"P{i}", "", "", {}, linkedin_public_identifier=x)
            for i, (p, x) in enumerate(zip(prospects, identifiers, strict=True))
        ],
    )
    resolver = ProfileResolver(
        Repository(rig.pool),
        rig.dispatcher._unipile,
        rig.clock,  # noqa: SLF001
        daily_cap=daily_cap,
        gap=GAP,
    )
    return campaign_id, prospects, resolver


async def states(rig: Rig, prospects: list[str]) -> list[tuple]:
    out = []
    for p in prospects:
        r = await rig.pool.fetchrow(
            "SELECT state, linkedin_provider_id, stop_reason FROM scheduler.prospect_plans WHERE prospect_id = $1",
            uuid.UUID(p),
        )
        out.append(tuple(r))
    return out


async def test_prospects_are_resolved_one_per_sender_at_a_time_then_invited(rig):
    campaign_id, prospects, resolver = await setup(rig, ["member-0", "member-1", "nobody-at-all"])
    assert await states(rig, prospects) == [("resolving", None, "")] * 3
    views = await rig.service.list_plans(campaign_id, prospects)
    assert {tuple(v.why_not_now) for v in views} == {("resolving_linkedin_profile",)}
    # Nothing is sent while they resolve.
    await rig.run_until(IN_WINDOW)
    assert rig.sandbox.calls["send_invite"] == 0

    assert await resolver.run_once() == 1
    assert await resolver.run_once() == 0, "one look-up per sender per gap"
    for _ in range(2):
        rig.clock.advance(GAP * 1.3)
        assert await resolver.run_once() == 1
    assert rig.sandbox.calls["get_user"] == 3
    assert sorted(await states(rig, prospects)) == sorted(
        [
            ("scheduled", "ACoMEMBER0", ""),
            ("scheduled", "ACoMEMBER1", ""),
            ("not_found", None, "not_found:errors/invalid_recipient"),
        ]
    )
    [missing] = [p for p, s in zip(prospects, await states(rig, prospects), strict=True) if s[0] == "not_found"]
    [view] = await rig.service.list_plans(campaign_id, [missing])
    assert view.why_not_now == ["not_found:errors/invalid_recipient"]

    await rig.run_until(IN_WINDOW + timedelta(hours=3))
    assert sorted(i.provider_id for i in rig.sandbox.invitations) == ["ACoMEMBER0", "ACoMEMBER1"]


async def test_the_daily_look_up_cap_and_holds_are_respected(rig):
    campaign_id, prospects, resolver = await setup(rig, ["member-0", "member-1", "member-2"], daily_cap=2)
    rig.clock.set(IN_WINDOW)
    for _ in range(5):
        await resolver.run_once()
        rig.clock.advance(GAP * 1.3)
    assert rig.sandbox.calls["get_user"] == 2, "two a day"
    # A held campaign looks nobody up either (look-ups are LinkedIn activity).
    await rig.service.set_holds(campaign_id, 1, ["linkedin"])
    rig.clock.set(IN_WINDOW + timedelta(days=1))
    assert await resolver.run_once() == 0
    await rig.service.set_holds(campaign_id, 2, [])
    assert await resolver.run_once() == 1
    assert [s[0] for s in await states(rig, prospects)] == ["scheduled"] * 3


async def test_a_failing_look_up_keeps_the_prospect_resolving(rig):
    _, prospects, resolver = await setup(rig, ["member-0"])
    account = await rig.pool.fetchval("SELECT unipile_account_id FROM scheduler.sender_states")
    await rig.control(
        "failures", {"endpoint": "get_user", "account_id": account, "status": 503, "type": "errors/no_client_session"}
    )
    rig.clock.set(IN_WINDOW)
    assert await resolver.run_once() == 1
    assert await states(rig, prospects) == [("resolving", None, "")]
    rig.clock.advance(GAP * 1.3)
    assert await resolver.run_once() == 1
    assert await states(rig, prospects) == [("scheduled", "ACoMEMBER0", "")]


async def test_uploads_take_profile_urls_and_refuse_what_is_no_profile(suite):
    _, auth = await suite.new_workspace()
    account = await suite.linkedin_account(auth)
    status, created = await suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "By URL",
            "schedule": {"days": ["mon"], "window": {"start": "09:00", "end": "17:00"}, "timezone": "Europe/Paris"},
            "steps": [{"channel": "linkedin", "action": "invite", "text": "Hi {{first_name}}"}],
            "senders": {"linkedin_account_ids": [account]},
        },
    )
    assert status == 201, created
    status, added = await suite.call(
        "POST",
        f"/api/v1/campaigns/{created['id']}/prospects",
        auth,
        json={
            "prospects": [
                {"linkedin_url": "https://www.linkedin.com/in/ada-lovelace/", "first_name": "Ada"},
                {"linkedin_public_identifier": "grace-hopper"},
                {"linkedin_url": "https://www.linkedin.com/company/acme/"},
                {"linkedin_public_identifier": "not an identifier"},
                {"first_name": "No LinkedIn at all"},
            ]
        },
    )
    assert status == 200, added
    assert added["added"] == 2
    assert [(r["index"], r["code"]) for r in added["refused"]] == [
        (2, "invalid_linkedin_url"),
        (3, "invalid_linkedin_identifier"),
        (4, "missing_identity"),
    ]
    assert all(r["message"] for r in added["refused"])
    page = await enrolled(suite, auth, created["id"])
    assert [
        (p["linkedin_public_identifier"], p["state"], p["why_not_now"], p["history"]) for p in page["prospects"]
    ] == [
        ("ada-lovelace", "resolving", ["resolving_linkedin_profile"], []),
        ("grace-hopper", "resolving", ["resolving_linkedin_profile"], []),
    ]
