"""The web UI shows where a warm-up campaign stands: its ramp day and today's volume, kept across a pause."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Browser, expect

from services.scheduler.warmup import WarmupFeeder
from tests.browser.test_ui import WAIT_MS
from tests.e2e.conftest import World
from tests.e2e.test_warmup_flow import MON, POOL, RAMP, SCHEDULE, WARMED, feeder, inbox, live_day  # noqa: F401


async def test_warmup_progress_is_shown_and_kept_while_paused(
    world: World,
    feeder: WarmupFeeder,  # noqa: F811
    browser: Browser,
    shots,
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
    await w.settle()
    status, _ = await w.suite.call("POST", f"/api/v1/campaigns/{campaign['id']}/activate", auth)
    assert status == 200
    await live_day(w, feeder, MON)
    await live_day(w, feeder, MON + timedelta(days=1))

    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    try:
        await page.goto(w.suite.base_url + "/")
        await page.get_by_label("API token", exact=True).fill(auth["Authorization"].split()[1])
        await page.get_by_role("button", name="Sign in", exact=True).click()
        row = page.locator(f'[data-campaign-id="{campaign["id"]}"]')
        await expect(row).to_contain_text("warm-up")
        await row.get_by_role("link").click()
        await expect(page.get_by_role("heading", level=2, name="Warm-up")).to_be_visible()
        progress = page.locator("#warmup-progress")
        await expect(progress).to_contain_text("Ramp day 2: 4 of 4 emails sent today; 6 sent in all")
        await expect(progress).to_contain_text("to 2 other inboxes")

        await page.get_by_role("button", name="Pause").click()
        await expect(page.locator("#campaign-status")).to_have_attribute("data-status", "paused", timeout=WAIT_MS)
        # Three days later the next sending day is still the third ramp day (6 emails), as Wednesday was.
        w.clock.set(w.clock.now() + timedelta(days=3))
        await expect(progress).to_contain_text("Ramp day 3: 0 of 6 emails sent today; 6 sent in all", timeout=WAIT_MS)
        await shots(page, "warmup-paused")
    finally:
        await context.close()
