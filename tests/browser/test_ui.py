"""The web UI against the real suite: sign in, watch a campaign auto-pause and auto-resume without reloading,
read a reason's explanation from the keyboard, Resume disabled while a gate blocks, Reconnect, manual pause and
resume, and creating a workspace on a 375 px wide screen."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from tests.e2e.conftest import World, setup_campaign

INVITE = {"channel": "linkedin", "action": "invite", "text": "Hi {{first_name}}"}
EMAIL = {"channel": "email", "action": "email", "delay": {"days": 3}, "subject": "Hello", "body": "A note"}
WAIT_MS = 8000  # polling is every 2 s; the suite reacts in well under 100 ms


async def test_disconnect_pause_refused_resume_reconnect_and_manual_pause(world: World, browser: Browser, shots):
    w = world
    s = await setup_campaign(w, 3, [INVITE, EMAIL])
    token = s.auth["Authorization"].split()[1]
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, timezone_id="America/New_York")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # Sign in with the token; it is kept in localStorage.
        await page.goto(w.suite.base_url + "/")
        await expect(page.get_by_role("heading", name="Sign in to Holdfast")).to_be_visible()
        await page.get_by_label("API token", exact=True).fill(token)
        await page.get_by_role("button", name="Sign in", exact=True).click()
        row = page.locator(f'[data-campaign-id="{s.campaign_id}"]')
        await expect(row).to_have_attribute("data-status", "active")
        await expect(row.locator(".badge")).to_have_text("Active")
        assert await page.evaluate("localStorage.getItem('holdfast.token')") == token
        await shots(page, "list-active")

        # Unipile says the session ended: the campaign pauses by itself and the list updates without a reload.
        marker = await page.evaluate("window.__noReload = 1")  # lost if the page reloaded
        async with w.suite.http.post(
            f"{w.unipile_url}/_sandbox/accounts/{s.unipile_account_id}/status", json={"status": "CREDENTIALS"}
        ) as r:
            assert r.status < 300, await r.text()
        await expect(row).to_have_attribute("data-status", "paused", timeout=WAIT_MS)
        chip = row.locator('.chip[data-reason="linkedin_account_disconnected"]')
        await expect(chip).to_contain_text("LinkedIn account disconnected")
        await expect(chip).to_contain_text("LinkedIn held — email continues")
        assert await page.evaluate("window.__noReload") == 1, marker
        # Keyboard focus shows the explanation and the action, tied to the chip by aria-describedby.
        await chip.focus()
        tip = page.locator(f"#{await chip.get_attribute('aria-describedby')}")
        await expect(tip).to_be_visible()
        await expect(tip).to_have_attribute("role", "tooltip")
        await expect(tip).to_contain_text("What to do:")
        await expect(tip).to_contain_text("Reconnect")
        await expect(chip).to_have_accessible_description(re.compile("Reconnect"))
        await shots(page, "list-paused-chip-focused")

        # The campaign: the chip, the resume preview, and Resume disabled with the reason.
        await row.get_by_role("link").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Founders")
        detail_chip = page.locator('#reasons .chip[data-reason="linkedin_account_disconnected"]')
        await expect(detail_chip).to_be_visible()
        await expect(page.locator("#preview")).to_contain_text("If you resume now")
        await expect(page.locator("#prospects tbody tr")).to_have_count(3)
        await expect(page.locator("#prospects thead")).to_contain_text("Your time (America/New_York)")
        await expect(page.locator("#prospects tbody tr").first).to_contain_text("Outside the sending window")
        # A gate known to block: Resume is disabled, described by the reason and what to do, with the way there.
        resume = page.get_by_role("button", name="Resume", exact=True)
        await expect(resume).to_be_disabled()
        await expect(resume).to_have_accessible_description(re.compile("Resume is not possible yet"))
        why = page.locator("#resume-why")
        await expect(why).to_contain_text("LinkedIn account disconnected")
        await expect(why).to_contain_text("Reconnect the account on the LinkedIn accounts page")
        await detail_chip.hover()
        await shots(page, "detail-resume-blocked")

        # Reconnect: the API's hosted link opens in a new tab; completing it resumes the campaign by itself.
        await why.get_by_role("link", name="Go to LinkedIn accounts").click()
        account = page.locator(f'[data-account-id="{s.linkedin_account_id}"]')
        await expect(account).to_have_attribute("data-status", "disconnected")
        await expect(account.locator("details summary")).to_contain_text("History")
        async with context.expect_page() as opened:
            await account.get_by_role("button", name=re.compile("Reconnect")).click()
        hosted = await opened.value
        url = hosted.url if hosted.url != "about:blank" else ""
        if not url:
            await hosted.wait_for_load_state()
            url = hosted.url
        assert url.startswith(f"{w.unipile_url}/_sandbox/hosted/"), url
        await shots(page, "accounts-reconnect")
        await hosted.close()
        link_token = url.rstrip("/").rsplit("/", 1)[-1]
        async with w.suite.http.post(
            f"{w.unipile_url}/_sandbox/hosted/{link_token}/complete", allow_redirects=False
        ) as r:
            assert r.status < 400, await r.text()
        await expect(account).to_have_attribute("data-status", "connected", timeout=WAIT_MS)
        await page.get_by_role("link", name="Campaigns").click()
        await page.locator(f'[data-campaign-id="{s.campaign_id}"] a').click()
        await expect(page.locator("#campaign-status")).to_have_attribute("data-status", "active", timeout=WAIT_MS)
        await expect(page.locator("#history li")).to_have_count(2)

        # Manual pause and resume.
        await page.get_by_role("button", name="Pause").click()
        await expect(page.locator("#campaign-status")).to_have_attribute("data-status", "paused", timeout=WAIT_MS)
        manual = page.locator('#reasons .chip[data-reason="manual"]')
        await expect(manual).to_contain_text("All sending held")
        await manual.focus()
        await expect(page.locator(f"#{await manual.get_attribute('aria-describedby')}")).to_be_visible()
        await shots(page, "detail-manual-pause")
        # The same page on a 375 px wide phone: nothing wider than the screen (the table scrolls in its region).
        await page.set_viewport_size({"width": 375, "height": 740})
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        await shots(page, "detail-manual-pause-phone")
        await page.set_viewport_size({"width": 1100, "height": 900})
        await page.get_by_role("button", name="Resume", exact=True).click()
        await expect(page.locator("#campaign-status")).to_have_attribute("data-status", "active", timeout=WAIT_MS)
        await expect(page.locator("main [role=alert]")).to_have_count(0)
        await expect(page.locator("#error-line")).to_be_hidden()
        _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
        assert campaign["status"] == "active"
        await shots(page, "detail-resumed")
        assert errors == []
    finally:
        await context.close()


async def test_create_workspace_on_a_phone(world: World, browser: Browser, shots):
    context = await browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = await context.new_page()
    try:
        await page.goto(world.suite.base_url + "/")
        # Keyboard: the skip link comes first, then the brand, then the email sign-in (email, password, its two
        # buttons, the reset link), then the token field; a wrong token is refused in an alert.
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.className") == "skip"
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("link", name="Holdfast")).to_be_focused()
        await page.keyboard.press("Tab")
        await expect(page.get_by_label("Email", exact=True)).to_be_focused()
        for _ in range(5):
            await page.keyboard.press("Tab")
        await expect(page.get_by_label("API token", exact=True)).to_be_focused()
        await page.keyboard.type("hf_not-a-real-token")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("alert")).to_contain_text("not valid")
        assert await page.evaluate("localStorage.getItem('holdfast.token')") is None
        await page.get_by_label("Workspace name").fill("Phone Co")
        await page.get_by_label("Owner email").fill("me@phone.example")
        await page.get_by_role("button", name="Create workspace").click()
        shown = page.get_by_label("Your API token")
        await expect(shown).to_be_visible()
        created = await shown.input_value()
        status, _ = await world.suite.call("GET", "/api/v1/campaigns", {"Authorization": f"Bearer {created}"})
        assert status == 200
        # Nothing is wider than the screen.
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        await shots(page, "phone-token-once")
        await page.get_by_role("link", name="Continue to campaigns").click()
        await expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
        await expect(page.get_by_text("No campaigns yet")).to_be_visible()
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        await shots(page, "phone-campaigns")
    finally:
        await context.close()


async def test_sandbox_controls_disconnect_pauses_and_reconnect_resumes(sandbox_world: World, browser: Browser, shots):
    w = sandbox_world
    s = await setup_campaign(w, 3, [INVITE, EMAIL])
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await page.goto(w.suite.base_url + "/")
        await page.get_by_label("API token", exact=True).fill(s.auth["Authorization"].split()[1])
        await page.get_by_role("button", name="Sign in", exact=True).click()
        row = page.locator(f'[data-campaign-id="{s.campaign_id}"]')
        await expect(row).to_have_attribute("data-status", "active")

        await page.get_by_role("link", name="LinkedIn accounts").click()
        account = page.locator(f'[data-account-id="{s.linkedin_account_id}"]')
        group = account.get_by_role("group", name="Sandbox")
        await expect(group).to_be_visible()
        await expect(group.get_by_role("button", name="Make sends fail", exact=True)).to_be_visible()
        await group.get_by_role("button", name="Disconnect", exact=True).click()
        await expect(account).to_have_attribute("data-status", "disconnected", timeout=WAIT_MS)
        assert w.unipile.accounts[s.unipile_account_id].status == "CREDENTIALS"
        await shots(page, "sandbox-disconnected")
        await page.get_by_role("link", name="Campaigns").click()
        await expect(row).to_have_attribute("data-status", "paused", timeout=WAIT_MS)
        await expect(row.locator('.chip[data-reason="linkedin_account_disconnected"]')).to_be_visible()

        await page.get_by_role("link", name="LinkedIn accounts").click()
        await group.get_by_role("button", name="Reconnect", exact=True).click()
        await expect(account).to_have_attribute("data-status", "connected", timeout=WAIT_MS)
        await page.get_by_role("link", name="Campaigns").click()
        await expect(row).to_have_attribute("data-status", "active", timeout=WAIT_MS)
        assert errors == []
    finally:
        await context.close()
