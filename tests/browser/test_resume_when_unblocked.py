"""Resume when unblocked and visible cool-downs, in Chromium against the real suite: next to a disabled Resume a
member can lift their own pause so the campaign resumes by itself once the gate clears (the page says what it
waits for); a cause that is gone but within the auto-resume cool-down shows when it ends and why."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Browser, expect

from tests.browser.helpers import no_axe_violations, raw_codes, sign_in
from tests.browser.test_safety_states import unipile_status
from tests.browser.test_ui import INVITE, WAIT_MS
from tests.e2e.conftest import World, setup_campaign
from tests.e2e.test_gate_flow import wait_for, wait_sender


async def test_resume_when_unblocked_lifts_the_pause_and_says_what_it_waits_for(world: World, browser: Browser):
    w = world
    s = await setup_campaign(w, 1, [INVITE])
    await unipile_status(w, s.unipile_account_id, "CREDENTIALS")
    await wait_for(w, s.auth, s.campaign_id, "paused")
    status, _ = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/pause", s.auth)
    assert status == 200
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        await page.goto(f"{w.suite.base_url}/#/campaigns/{s.campaign_id}")
        await expect(page.get_by_role("button", name="Resume", exact=True)).to_be_disabled()
        later = page.get_by_role("button", name="Resume when unblocked")
        await expect(later).to_be_enabled()
        await expect(page.locator("#waiting-for")).to_be_hidden()  # the member's own pause still holds it
        await no_axe_violations(page, "resume blocked, when unblocked offered")

        await later.click()
        await expect(page.locator("#status-line")).to_have_text(
            "Your pause is lifted: the campaign resumes by itself once “LinkedIn account disconnected” clears."
        )
        await expect(later).to_be_hidden()
        waiting = page.locator("#waiting-for")
        await expect(waiting).to_have_text(
            "Resumes by itself once this clears: LinkedIn account disconnected.", use_inner_text=True
        )
        await expect(waiting).to_be_focused()
        await expect(page.locator("#campaign-status")).to_have_attribute("data-status", "paused")
        _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
        assert [r["reason"] for r in campaign["pause_reasons"]] == ["linkedin_account_disconnected"]
        assert await raw_codes(page) == []
        await no_axe_violations(page, "waiting for the gate")

        await unipile_status(w, s.unipile_account_id, "OK")  # the gate clears: it resumes by itself
        await expect(page.locator("#campaign-status")).to_have_attribute("data-status", "active", timeout=WAIT_MS)
        await expect(waiting).to_be_hidden()
        assert errors == []
    finally:
        await context.close()


async def test_a_cool_down_shows_when_it_ends_and_why(world: World, browser: Browser):
    w = world
    s = await setup_campaign(w, 1, [INVITE])
    await unipile_status(w, s.unipile_account_id, "CREDENTIALS")
    await wait_for(w, s.auth, s.campaign_id, "paused")
    await unipile_status(w, s.unipile_account_id, "OK")
    await wait_for(w, s.auth, s.campaign_id, "active")
    resumed_at = w.clock.now()
    w.clock.advance(timedelta(minutes=2))
    await unipile_status(w, s.unipile_account_id, "CREDENTIALS")
    await wait_for(w, s.auth, s.campaign_id, "paused")
    w.clock.advance(timedelta(minutes=1))
    await unipile_status(w, s.unipile_account_id, "OK")
    await wait_sender(w, s.auth, f"/api/v1/linkedin-accounts/{s.linkedin_account_id}", "connected")
    await w.settle()
    clears = resumed_at + timedelta(minutes=10)
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, timezone_id="UTC")
    page = await context.new_page()
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        await page.goto(f"{w.suite.base_url}/#/campaigns/{s.campaign_id}")
        cooldown = page.locator('#cooldowns li[data-reason="linkedin_account_disconnected"]')
        await expect(cooldown).to_contain_text(
            "LinkedIn account disconnected: fixed, but the cool-down keeps the campaign paused until"
        )
        await expect(cooldown).to_contain_text(f"{clears:%H:%M}")
        await expect(cooldown).to_contain_text("because the cause appeared 2 times in 3 minutes.")
        await expect(page.locator("#waiting-for")).to_contain_text("(cool-down until")
        await expect(page.get_by_role("button", name="Resume when unblocked")).to_be_hidden()
        assert await raw_codes(page) == []
        await no_axe_violations(page, "cool-down")
        w.clock.set(clears)  # at its end the campaign resumes by itself and the cool-down goes
        await expect(page.locator("#campaign-status")).to_have_attribute("data-status", "active", timeout=WAIT_MS)
        await expect(cooldown).to_have_count(0)
    finally:
        await context.close()
