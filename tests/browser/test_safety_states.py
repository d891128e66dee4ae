"""Safety states that never mislead, in Chromium against the real suite: words instead of codes, Resume disabled
while a gate is known to block, messages replaced and automatic pauses and resumes announced (aria-live), focus
kept on the control after Pause and Resume, a refused resume in words, Verify for a restricted account."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from tests.browser.helpers import no_axe_violations, raw_codes, sign_in
from tests.browser.test_ui import EMAIL, INVITE, WAIT_MS
from tests.e2e.conftest import World, setup_campaign


async def unipile_status(w: World, account: str, status: str) -> None:
    async with w.suite.http.post(f"{w.unipile_url}/_sandbox/accounts/{account}/status", json={"status": status}) as r:
        assert r.status < 300, await r.text()


async def test_messages_follow_the_state_focus_stays_and_changes_are_announced(world: World, browser: Browser):
    w = world
    s = await setup_campaign(w, 3, [INVITE, EMAIL])
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        await page.locator(f'[data-campaign-id="{s.campaign_id}"] a').click()
        status = page.locator("#campaign-status")
        await expect(status).to_have_attribute("data-status", "active")
        live = page.locator("#status-line")
        await expect(live).to_have_attribute("aria-live", "polite")

        # Pause: the message confirms it and focus lands on Resume, the control now in the same place.
        await page.get_by_role("button", name="Pause").click()
        await expect(status).to_have_attribute("data-status", "paused")
        await expect(live).to_have_text("Campaign paused.")
        await expect(page.get_by_role("button", name="Resume", exact=True)).to_be_focused()
        await page.keyboard.press("Enter")  # Resume from the keyboard, where focus was left
        await expect(status).to_have_attribute("data-status", "active")
        await expect(live).to_contain_text("Campaign resumed.")
        await expect(page.get_by_role("button", name="Pause")).to_be_focused()

        # LinkedIn disconnects: the pause is announced in words and replaces the stale "resumed" message.
        await unipile_status(w, s.unipile_account_id, "CREDENTIALS")
        await expect(status).to_have_attribute("data-status", "paused", timeout=WAIT_MS)
        await expect(live).to_have_text("The campaign paused automatically: LinkedIn account disconnected.")
        await expect(page.get_by_text("Campaign resumed")).to_have_count(0)
        await expect(page.get_by_role("button", name="Resume", exact=True)).to_be_disabled()
        assert await raw_codes(page) == []
        await no_axe_violations(page, "auto-paused, resume blocked")

        # It reconnects: the automatic resume is announced too, and Resume gives way to Pause.
        await unipile_status(w, s.unipile_account_id, "OK")
        await expect(status).to_have_attribute("data-status", "active", timeout=WAIT_MS)
        await expect(live).to_have_text("The campaign resumed automatically: nothing holds it any more.")
        await expect(page.locator("#resume-why")).to_be_hidden()

        # The list announces an automatic pause as well.
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
        row = page.locator(f'[data-campaign-id="{s.campaign_id}"]')
        await expect(row).to_have_attribute("data-status", "active")
        await unipile_status(w, s.unipile_account_id, "CREDENTIALS")
        await expect(row).to_have_attribute("data-status", "paused", timeout=WAIT_MS)
        await expect(live).to_have_text("“Founders” paused automatically: LinkedIn account disconnected.")
        assert await raw_codes(page) == []
        assert errors == []
    finally:
        await context.close()


async def test_a_resume_refused_between_two_polls_is_explained_in_words(world: World, browser: Browser):
    w = world
    s = await setup_campaign(w, 2, [INVITE, EMAIL])
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    await page.clock.install()  # polling waits for the test: the page still shows the state before the disconnect
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        await page.locator(f'[data-campaign-id="{s.campaign_id}"] a').click()
        await expect(page.locator("#campaign-status")).to_have_attribute("data-status", "active")
        await page.get_by_role("button", name="Pause").click()
        resume = page.get_by_role("button", name="Resume", exact=True)
        await expect(resume).to_be_enabled()
        await unipile_status(w, s.unipile_account_id, "CREDENTIALS")
        for _ in range(100):
            _, got = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
            if any(r["reason"] == "linkedin_account_disconnected" for r in got["pause_reasons"]):
                break
            await page.wait_for_timeout(50)
        await resume.click()
        alert = page.locator("#resume-alert [role=alert]")
        await expect(alert).to_contain_text("Not resumed")
        await expect(alert).to_contain_text("LinkedIn account disconnected")
        await expect(alert).to_contain_text("What to do: Reconnect the account")
        await expect(alert.get_by_role("link", name="Go to LinkedIn accounts")).to_be_visible()
        await expect(alert).to_have_css("background-color", "rgb(253, 226, 225)")  # an error looks like one
        assert await raw_codes(page) == []
        await no_axe_violations(page, "resume refused")
        # The refusal takes focus, and the page learned what blocks: Resume is disabled with its reason.
        await expect(alert).to_be_focused()
        await expect(resume).to_be_disabled()
        await expect(page.locator("#resume-why")).to_contain_text("LinkedIn account disconnected")
    finally:
        await context.close()


async def test_a_restricted_account_is_verified_from_its_page(world: World, browser: Browser):
    w = world
    s = await setup_campaign(w, 1, [INVITE])
    status, _ = await w.suite.call(
        "POST",
        f"/api/v1/linkedin-accounts/{s.linkedin_account_id}/restriction",
        s.auth,
        json={"kind": "jail", "detail": "Weekly invitation limit"},
    )
    assert status == 200
    await unipile_status(w, s.unipile_account_id, "CREDENTIALS")  # LinkedIn has not lifted it yet
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        await page.locator(f'[data-campaign-id="{s.campaign_id}"] a').click()
        why = page.locator("#resume-why")
        await expect(why).to_contain_text("LinkedIn account restricted")
        await expect(why).to_contain_text("click Verify on the LinkedIn accounts page")
        assert "administrator" not in await why.inner_text()
        await why.get_by_role("link", name="Go to LinkedIn accounts").click()
        account = page.locator(f'[data-account-id="{s.linkedin_account_id}"]')
        await expect(account).to_have_attribute("data-status", "restricted")
        verify = account.get_by_role("button", name=re.compile("^Verify"))
        await verify.click()
        refused = account.get_by_role("alert")
        await expect(refused).to_contain_text("Not verified")
        await expect(refused).to_be_focused()
        assert await raw_codes(page) == []
        await no_axe_violations(page, "verify refused")
        await unipile_status(w, s.unipile_account_id, "OK")
        await verify.click()
        await expect(account).to_have_attribute("data-status", "connected", timeout=WAIT_MS)
        await expect(account.get_by_role("status")).to_contain_text("Verified")
        await expect(account.get_by_role("button", name=re.compile("^Verify"))).to_have_count(0)
    finally:
        await context.close()


async def test_a_pause_the_scheduler_has_not_confirmed_is_not_announced_as_done(world: World, browser: Browser):
    """While the scheduler cannot apply the holds (its row locked here), Pause answers with holds_pending: the page
    says the pause is recorded but not enforced yet, never "Campaign paused."; Archive, which pauses a sending
    campaign, says the same."""
    w = world
    s = await setup_campaign(w, 2, [EMAIL])
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        await page.locator(f'[data-campaign-id="{s.campaign_id}"] a').click()
        status = page.locator("#campaign-status")
        await expect(status).to_have_attribute("data-status", "active")
        live = page.locator("#status-line")
        async with w.db.acquire() as lock, lock.transaction():
            await lock.execute(
                "SELECT 1 FROM scheduler.campaign_holds WHERE campaign_id = $1::uuid FOR UPDATE", s.campaign_id
            )
            await page.get_by_role("button", name="Pause").click()
            await expect(live).to_contain_text("Pause recorded. Not enforced yet", timeout=WAIT_MS)
        await expect(status).to_have_attribute("data-status", "paused")
        await expect(page.get_by_text("Campaign paused.")).to_have_count(0)
        # Archiving a sending campaign pauses it: the same when the scheduler has not confirmed that pause.
        await page.get_by_role("button", name="Resume", exact=True).click()
        await expect(status).to_have_attribute("data-status", "active", timeout=WAIT_MS)
        async with w.db.acquire() as lock, lock.transaction():
            await lock.execute(
                "SELECT 1 FROM scheduler.campaign_holds WHERE campaign_id = $1::uuid FOR UPDATE", s.campaign_id
            )
            await page.get_by_role("button", name="Archive").click()
            await expect(live).to_contain_text("Campaign archived and paused. Not enforced yet", timeout=WAIT_MS)
        await expect(page.get_by_text("it sends nothing from the archive")).to_have_count(0)
    finally:
        await context.close()


async def test_an_edit_the_scheduler_has_not_taken_is_said_so(world: World, browser: Browser):
    """While the scheduler cannot take the saved plan (its row locked here), the edit is saved and the page says
    sends follow the campaign as it was until the scheduler takes it."""
    w = world
    s = await setup_campaign(w, 2, [EMAIL])
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        await page.locator(f'[data-campaign-id="{s.campaign_id}"] a').click()
        await page.get_by_role("group", name="Manage the campaign").get_by_role("link", name="Edit").click()
        await page.locator("#step-0-subject").fill("Hello again")
        await page.get_by_role("button", name="Review the changes").click()
        async with w.db.acquire() as lock, lock.transaction():
            await lock.execute(
                "SELECT 1 FROM scheduler.campaign_plans WHERE campaign_id = $1::uuid FOR UPDATE", s.campaign_id
            )
            await page.locator("#edit-preview").get_by_role("button", name="Save the changes").click()
            await expect(page.locator("#status-line")).to_contain_text(
                "Changes saved. The scheduler has not taken them yet", timeout=WAIT_MS
            )
    finally:
        await context.close()
