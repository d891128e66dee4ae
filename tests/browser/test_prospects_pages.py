"""Every prospect is reachable and finished ones read "Done"; empty pages say what to do next."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Browser, expect

from tests.browser.helpers import no_axe_violations, raw_codes, sign_in
from tests.e2e.conftest import World, setup_campaign

EMAIL_NOW = {"channel": "email", "action": "email", "subject": "Hello {{first_name}}", "body": "A note"}


async def finished_count(w: World, s) -> int:
    done, token = 0, ""
    while True:
        _, page = await w.suite.call(
            "GET", f"/api/v1/campaigns/{s.campaign_id}/prospects?page_size=100&page_token={token}", s.auth
        )
        done += sum(p["state"] == "done" for p in page["prospects"])
        token = page["next_page_token"]
        if not token:
            return done


async def test_250_prospects_page_by_page_and_finished_ones_read_done(world: World, browser: Browser):
    w = world
    s = await setup_campaign(w, 250, [EMAIL_NOW])
    await w.run_until(w.clock.now() + timedelta(hours=10))  # Monday's window: part of them are sent
    done = await finished_count(w, s)
    assert 0 < done < 250, done
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        await page.locator(f'[data-campaign-id="{s.campaign_id}"] a').click()
        rows = page.locator("#prospects tbody tr")
        await expect(rows).to_have_count(100)
        label = page.locator("#page-label")
        await expect(label).to_have_text("Prospects 1–100")
        previous = page.get_by_role("button", name="Previous page")
        following = page.get_by_role("button", name="Next page")
        await expect(previous).to_be_disabled()
        seen: set[str] = set()
        finished = 0
        for expected_rows, expected_label in (
            (100, "Prospects 1–100"),
            (100, "Prospects 101–200"),
            (50, "Prospects 201–250"),
        ):
            await expect(label).to_have_text(expected_label)
            await expect(rows).to_have_count(expected_rows)
            seen.update(await rows.evaluate_all("rows => rows.map(r => r.dataset.prospectId)"))
            for state, step in await rows.evaluate_all(
                "rows => rows.map(r => [r.dataset.state, r.querySelector('.step').textContent])"
            ):
                if state == "done":
                    finished += 1
                    assert step == "Done", step
                else:
                    assert step == "Step 1 of 1: Email", step
            if expected_rows == 100:
                await following.click()
        assert len(seen) == 250 and finished == done == await finished_count(w, s)
        await expect(following).to_be_disabled()
        assert await raw_codes(page) == []
        await no_axe_violations(page, "last page of prospects")
        await previous.click()
        await expect(label).to_have_text("Prospects 101–200")
        await expect(rows).to_have_count(100)
    finally:
        await context.close()


async def test_empty_pages_name_the_next_action(world: World, browser: Browser):
    _, auth = await world.suite.new_workspace()
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    try:
        await sign_in(page, world.suite.base_url, auth)
        await expect(page.get_by_text("No campaigns yet.")).to_be_visible()
        await expect(page.get_by_role("link", name="Create a campaign")).to_be_visible()
        await expect(page.get_by_role("link", name="add an email inbox")).to_be_visible()
        await no_axe_violations(page, "empty campaigns")
        nav = page.get_by_role("navigation", name="Main")
        await nav.get_by_role("link", name="Inboxes").click()
        await expect(page.get_by_text("No inboxes yet.")).to_be_visible()
        await expect(page.get_by_text("Loading…")).to_have_count(0)
        await no_axe_violations(page, "empty inboxes")
        await nav.get_by_role("link", name="LinkedIn accounts").click()
        await expect(page.get_by_text("No LinkedIn accounts yet.")).to_be_visible()
        await expect(page.get_by_role("link", name="add an inbox")).to_be_visible()
        await no_axe_violations(page, "empty accounts")
    finally:
        await context.close()
