"""A member's pause or resume that the scheduler has not confirmed before the answer says so (`holds_pending`),
within the caller's deadline rather than as a time-out, and the holds are enforced once the scheduler applies them.
The scheduler is kept from applying them the way a slow scheduler would be: its holds row is locked meanwhile."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tests.e2e.conftest import SCHEDULE, World, setup_campaign

EMAILS = [{"channel": "email", "action": "email", "subject": "Hello", "body": "A note"}]


@asynccontextmanager
async def _scheduler_row_locked(w: World, table: str, campaign_id: str) -> AsyncIterator[None]:
    """The campaign's row of a scheduler table locked meanwhile, as a slow scheduler would hold it up."""
    async with w.db.acquire() as lock, lock.transaction():
        await lock.execute(f"SELECT 1 FROM scheduler.{table} WHERE campaign_id = $1::uuid FOR UPDATE", campaign_id)
        yield


async def _timed(w: World, path: str, auth: dict[str, str]) -> tuple[int, dict, float]:
    """POST `path`: its status, answer and how long it took."""
    started = time.monotonic()
    status, answer = await w.suite.call("POST", path, auth)
    return status, answer, time.monotonic() - started


async def _held(w: World, campaign_id: str) -> list[str]:
    scopes = await w.db.fetchval(
        "SELECT held_scopes FROM scheduler.campaign_holds WHERE campaign_id = $1::uuid", campaign_id
    )
    return list(scopes)


async def _eventually_held(w: World, campaign_id: str, scopes: list[str]) -> None:
    deadline = time.monotonic() + 15
    while await _held(w, campaign_id) != scopes:
        assert time.monotonic() < deadline, await _held(w, campaign_id)
        await asyncio.sleep(0.05)


async def test_a_pause_the_scheduler_has_not_confirmed_says_so_and_holds_once_it_does(world: World) -> None:
    w = world
    s = await setup_campaign(w, 2, EMAILS)
    pause = f"/api/v1/campaigns/{s.campaign_id}/pause"
    async with _scheduler_row_locked(w, "campaign_holds", s.campaign_id):
        status, answer, took = await _timed(w, pause, s.auth)
        assert await _held(w, s.campaign_id) == []  # still not applied while the row is locked
    assert status == 200, answer
    assert answer["campaign"]["status"] == "paused" and answer["changed"] is True
    assert answer["holds_pending"] is True and "not enforced yet" in answer["message"], answer
    assert took < 5.0, took  # answered within the gateway's 5 s deadline, not timed out
    await _eventually_held(w, s.campaign_id, ["campaign"])

    # The same with the scheduler answering: nothing pending, the holds applied before the answer.
    resume = f"/api/v1/campaigns/{s.campaign_id}/resume"
    status, answer = await w.suite.call("POST", resume, s.auth)
    assert status == 200 and answer["holds_pending"] is False and "not confirmed" not in answer["message"], answer
    assert await _held(w, s.campaign_id) == []
    status, answer = await w.suite.call("POST", pause, s.auth)
    assert status == 200 and answer["holds_pending"] is False, answer
    assert await _held(w, s.campaign_id) == ["campaign"]

    # A resume the scheduler has not confirmed says so too, and the campaign is released once it does.
    async with _scheduler_row_locked(w, "campaign_holds", s.campaign_id):
        status, answer = await w.suite.call("POST", resume, s.auth)
    assert status == 200 and answer["campaign"]["status"] == "active", answer
    assert answer["holds_pending"] is True and "not confirmed" in answer["message"], answer
    await _eventually_held(w, s.campaign_id, [])


async def _eventually_active_plan(w: World, campaign_id: str) -> None:
    deadline = time.monotonic() + 15
    query = "SELECT active FROM scheduler.campaign_plans WHERE campaign_id = $1::uuid"
    while not await w.db.fetchval(query, campaign_id):
        assert time.monotonic() < deadline, "the plan never reached the scheduler"
        await asyncio.sleep(0.05)


async def test_an_activation_the_scheduler_has_not_confirmed_says_so_within_the_deadline(world: World) -> None:
    """Activation waits for the scheduler to take the new plan; a slow scheduler used to make it a 504 although
    the campaign was active. The plan row is locked meanwhile, as a slow scheduler would hold it."""
    w = world
    s = await setup_campaign(w, 2, EMAILS, activate=False)
    assert await w.db.fetchval(
        "SELECT count(*) FROM scheduler.campaign_plans WHERE campaign_id = $1::uuid", s.campaign_id
    ), "the draft's plan row must exist for this test to hold it"
    async with _scheduler_row_locked(w, "campaign_plans", s.campaign_id):
        status, answer, took = await _timed(w, f"/api/v1/campaigns/{s.campaign_id}/activate", s.auth)
    assert status == 200, answer
    assert answer["campaign"]["status"] == "active" and answer["changed"] is True
    assert answer["holds_pending"] is True and "sending starts once it does" in answer["message"], answer
    assert took < 5.0, took
    await _eventually_active_plan(w, s.campaign_id)


async def test_archiving_while_the_scheduler_has_not_confirmed_the_pause_says_so(world: World) -> None:
    """Archiving a sending campaign pauses it first; with the scheduler slow the answer says the pause is not
    enforced yet (it was a 504), and the hold comes once the scheduler applies it."""
    w = world
    s = await setup_campaign(w, 2, EMAILS)
    async with _scheduler_row_locked(w, "campaign_holds", s.campaign_id):
        status, answer, took = await _timed(w, f"/api/v1/campaigns/{s.campaign_id}/archive", s.auth)
    assert status == 200, answer
    assert answer["campaign"]["status"] == "paused" and answer["campaign"]["archived_at"], answer
    assert answer["holds_pending"] is True and "not enforced yet" in answer["message"], answer
    assert took < 5.0, took
    await _eventually_held(w, s.campaign_id, ["campaign"])
    # With the scheduler answering: nothing pending.
    s2 = await setup_campaign(w, 2, EMAILS)
    status, answer = await w.suite.call("POST", f"/api/v1/campaigns/{s2.campaign_id}/archive", s2.auth)
    assert status == 200 and answer["holds_pending"] is False, answer
    assert await _held(w, s2.campaign_id) == ["campaign"]


async def test_an_edit_the_scheduler_has_not_taken_says_so_within_the_deadline(world: World) -> None:
    """An edit of a started campaign waits for the scheduler to take the saved plan; a slow scheduler used to make it
    a 504 although the edit was saved."""
    w = world
    s = await setup_campaign(w, 2, EMAILS)
    edit = {
        "name": "Founders",
        "schedule": SCHEDULE,
        "steps": [{**EMAILS[0], "subject": "Hello again"}],
        "senders": {"linkedin_account_ids": [s.linkedin_account_id], "inbox_ids": [s.inbox_id]},
    }
    path = f"/api/v1/campaigns/{s.campaign_id}"
    version = "SELECT version FROM scheduler.campaign_plans WHERE campaign_id = $1::uuid"
    before = await w.db.fetchval(version, s.campaign_id)
    async with _scheduler_row_locked(w, "campaign_plans", s.campaign_id):
        started = time.monotonic()
        status, saved = await w.suite.call("PUT", path, s.auth, json=edit)
        took = time.monotonic() - started
        assert await w.db.fetchval(version, s.campaign_id) == before
    assert status == 200 and saved["saved"] is True and saved["changed"] == ["steps.0.text"], saved
    assert saved["plan_pending"] is True, saved
    assert took < 5.0, took
    deadline = time.monotonic() + 15
    while await w.db.fetchval(version, s.campaign_id) == before:
        assert time.monotonic() < deadline, "the edited plan never reached the scheduler"
        await asyncio.sleep(0.05)
    # With the scheduler answering: nothing pending.
    status, saved = await w.suite.call("PUT", path, s.auth, json={**edit, "name": "Founders 2"})
    assert status == 200 and saved["saved"] is True and saved["plan_pending"] is False, saved
