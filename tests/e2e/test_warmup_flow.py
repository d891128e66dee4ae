"""Warm-up campaigns end to end (issue 5, DESIGN S6): one inbox writes to the workspace's other inboxes, one more
email each day it actually sent (ramp 2, 4, 6, ...). Paused for three days, it resumes on the ramp day it had
reached: the first sending day after the resume sends what that day allows, not a fresh start and not three
days' worth at once."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from services.common import config
from services.common.db import create_pool
from services.scheduler.config import Settings as SchedulerSettings
from services.scheduler.repository import Repository
from services.scheduler.service import SchedulerService
from services.scheduler.warmup import WarmupFeeder
from tests.conftest import suite_env
from tests.e2e.conftest import World

SCHEDULE = {
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "window": {"start": "09:00", "end": "17:00"},
    "timezone": "Europe/Paris",
    "randomize_within_window": False,
}
RAMP = {
    "daily_cap": 20,
    "weekly_cap": 100,
    "ramp_start": 2,
    "ramp_step": 2,
    "pacing_min_seconds": 600,
    "pacing_max_seconds": 600,
}
WARMED = "warm@acme.example"
POOL = ("peer.one@acme.example", "peer.two@acme.example")
PASSWORD = "app-password-w"


def paris(day: date, hour: int) -> datetime:
    """`hour` o'clock in Paris in March 2026 (UTC+1, before the switch to summer time)."""
    return datetime(day.year, day.month, day.day, hour - 1, tzinfo=UTC)


MON = date(2026, 3, 2)


@pytest.fixture
async def feeder(world: World) -> AsyncIterator[WarmupFeeder]:
    """Another scheduler replica's warm-up feeder on the suite's database, run when the test says so (the suite's
    own loop runs on wall-clock time, which does not move with the virtual clock)."""
    pool = await create_pool(world.suite.dsn, application_name="test-warmup-feeder", max_size=2)
    settings = config.load(SchedulerSettings, suite_env(world.suite.dsn))
    repository = Repository(pool)
    yield WarmupFeeder(
        repository,
        SchedulerService(repository, world.clock, hold_drain_seconds=settings.hold_drain_seconds),
        world.clock,
    )
    await pool.close()


async def inbox(w: World, auth: dict, email: str, limits: dict | None = None) -> str:
    w.smtp.set_password(email, PASSWORD)
    server = {"host": "127.0.0.1", "port": w.smtp_port, "security": "none", "username": email, "password": PASSWORD}
    body = {"email": email, "smtp": server, "imap": {**server, "port": 1}, "timezone": "Europe/Paris"}
    if limits:
        body["limits"] = {"email": limits}
    status, created = await w.suite.call("POST", "/api/v1/inboxes", auth, json=body)
    assert status == 201, created
    return created["id"]


async def sent_per_day(w: World, cid: str) -> Counter[date]:
    rows = await w.db.fetch(
        "SELECT sender_local_date AS day FROM scheduler.send_attempts WHERE campaign_id = $1 AND status = 'succeeded'",
        uuid.UUID(cid),
    )
    return Counter(r["day"] for r in rows)


async def progress(w: World, auth: dict, cid: str) -> dict:
    status, body = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/warmup", auth)
    assert status == 200, body
    return body


async def live_day(w: World, feeder: WarmupFeeder, day: date) -> None:
    """One day of the warm-up: the feeder tops up before the window opens, then the day runs to its end."""
    w.clock.set(paris(day, 8))
    await feeder.feed_once()
    await w.run_until(paris(day, 18))


async def test_warmup_ramps_by_sending_day_and_a_three_day_pause_resumes_on_the_same_ramp_day(
    world: World, feeder: WarmupFeeder
) -> None:
    w = world
    _, auth = await w.suite.new_workspace()
    warmed = await inbox(w, auth, WARMED, RAMP)
    for email in POOL:
        await inbox(w, auth, email)
    status, campaign = await w.suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={"name": "Warm up", "kind": "warmup", "schedule": SCHEDULE, "senders": {"inbox_ids": [warmed]}},
    )
    assert status == 201, campaign
    cid = campaign["id"]
    assert campaign["kind"] == "warmup"
    await w.settle()
    status, activated = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)
    assert status == 200, activated
    await w.settle()
    # Activation queues the first emails at once: what ramp days 0 and 1 allow (2 + 4).
    assert (await progress(w, auth, cid))["queued"] == 6

    # Monday and Tuesday: 2 then 4 emails (ramp days 0 and 1).
    await live_day(w, feeder, MON)
    await live_day(w, feeder, MON + timedelta(days=1))
    assert await sent_per_day(w, cid) == {MON: 2, MON + timedelta(days=1): 4}
    before_pause = await progress(w, auth, cid)
    assert (before_pause["ramp_day"], before_pause["limit_today"], before_pause["sent_today"]) == (1, 4, 4)
    assert before_pause["pool_size"] == 2

    # Paused on Wednesday morning for three days: nothing is sent, the ramp does not move.
    w.clock.set(paris(MON + timedelta(days=2), 8))
    status, paused = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth)
    assert status == 200 and paused["campaign"]["status"] == "paused", paused
    queued_at_pause = (await progress(w, auth, cid))["queued"]
    for offset in (2, 3, 4):
        await live_day(w, feeder, MON + timedelta(days=offset))
    assert sum((await sent_per_day(w, cid)).values()) == 6
    held = await progress(w, auth, cid)
    assert held["queued"] == queued_at_pause  # a held warm-up's queue waits in place; nothing added, nothing lost
    assert held["sent_total"] == 6

    # Resumed on Saturday morning, three days later: the next sending day (Monday) is ramp day 2, as Wednesday
    # would have been: 6 emails, not 2 (a reset) and not 12 (three days of ramp) or a backlog burst.
    w.clock.set(paris(MON + timedelta(days=5), 8))
    status, resumed = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/resume", auth)
    assert status == 200 and resumed["campaign"]["status"] == "active", resumed
    next_monday = MON + timedelta(days=7)
    for offset in (5, 6, 7, 8):
        await live_day(w, feeder, MON + timedelta(days=offset))
    days = await sent_per_day(w, cid)
    assert days == {MON: 2, MON + timedelta(days=1): 4, next_monday: 6, next_monday + timedelta(days=1): 8}, days
    after = await progress(w, auth, cid)
    assert (after["ramp_day"], after["limit_today"], after["sent_today"]) == (3, 8, 8)

    # What went out: from the warmed inbox to the other two, in turn, with text and no unfilled placeholder.
    sent = [m for m in w.smtp.messages if m.mail_from == WARMED]
    assert len(sent) == 20
    assert {m.rcpt_tos[0] for m in sent} == set(POOL)
    assert all(m.subject and m.body.strip() and "{{" not in m.subject + m.body for m in sent)
    assert len({m.message_id for m in sent}) == 20  # nothing sent twice


async def test_warmup_definition_is_checked(world: World) -> None:
    w = world
    _, auth = await w.suite.new_workspace()
    warmed = await inbox(w, auth, WARMED, RAMP)

    async def create(**overrides: object) -> tuple[int, dict]:
        body = {
            "name": "Warm up",
            "kind": "warmup",
            "schedule": SCHEDULE,
            "senders": {"inbox_ids": [warmed]},
            **overrides,
        }
        return await w.suite.call("POST", "/api/v1/campaigns", auth, json=body)

    status, alone = await create()
    assert status == 400 and alone["error"]["details"]["field"] == "senders.inbox_ids", alone
    other = await inbox(w, auth, POOL[0])
    status, steps = await create(steps=[{"channel": "email", "action": "email", "subject": "s", "body": "b"}])
    assert status == 400 and steps["error"]["details"]["field"] == "steps", steps
    status, two = await create(senders={"inbox_ids": [warmed, other]})
    assert status == 400 and two["error"]["details"]["field"] == "senders.inbox_ids", two
    status, campaigns = await w.suite.call("GET", "/api/v1/campaigns", auth)
    assert status == 200 and campaigns["campaigns"] == []  # refused definitions wrote nothing

    status, campaign = await create()
    assert status == 201, campaign
    status, refused = await w.suite.call(
        "POST",
        f"/api/v1/campaigns/{campaign['id']}/prospects",
        auth,
        json={"prospects": [{"email": "someone@prospect.example"}]},
    )
    assert status == 409 and refused["error"]["code"] == "warmup_takes_no_prospects", refused
    status, draft = await w.suite.call("GET", f"/api/v1/campaigns/{campaign['id']}/warmup", auth)
    assert status == 200 and (draft["sent_total"], draft["queued"]) == (0, 0), draft

    status, outreach = await w.suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": "Outreach",
            "schedule": SCHEDULE,
            "senders": {"inbox_ids": [warmed]},
            "steps": [{"channel": "email", "action": "email", "subject": "Hi", "body": "Hello"}],
        },
    )
    assert status == 201, outreach
    status, not_warmup = await w.suite.call("GET", f"/api/v1/campaigns/{outreach['id']}/warmup", auth)
    assert status == 409 and not_warmup["error"]["code"] == "not_warmup", not_warmup
