"""The README's screenshots, at 1440 and 375 px wide: run by `make screenshots` only (this module is not named
test_*, so `make test` never collects it and never rewrites a tracked file). Each scene is a real page of the
running suite in Chromium; the pictures go to docs/screenshots/ (or HOLDFAST_SCREENSHOTS_DIR)."""

from __future__ import annotations

import os
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.browser.test_ui import EMAIL, INVITE, WAIT_MS
from tests.e2e.conftest import World, setup_campaign

OUT = Path(os.environ.get("HOLDFAST_SCREENSHOTS_DIR") or Path(__file__).resolve().parents[2] / "docs" / "screenshots")
WIDTHS = {"1440": (1440, 900), "375": (375, 740)}


async def snap(page: Page, name: str) -> None:
    """The page at both widths; a phone never scrolls sideways."""
    for label, (width, height) in WIDTHS.items():
        await page.set_viewport_size({"width": width, "height": height})
        await page.wait_for_timeout(150)
        assert await page.evaluate("document.documentElement.scrollWidth") <= width, (name, label)
        await page.screenshot(path=str(OUT / f"{name}-{label}.png"), full_page=True)


async def test_screenshots(world: World, browser: Browser) -> None:
    OUT.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once, before the browser starts)
    w = world
    s = await setup_campaign(w, 3, [INVITE, EMAIL])
    context = await browser.new_context(viewport={"width": 1440, "height": 900}, timezone_id="Europe/Paris")
    page = await context.new_page()
    try:
        await page.goto(w.suite.base_url + "/")
        await page.get_by_label("API token", exact=True).fill(s.auth["Authorization"].split()[1])
        await page.get_by_role("button", name="Sign in").click()
        row = page.locator(f'[data-campaign-id="{s.campaign_id}"]')
        async with w.suite.http.post(f"{w.unipile_url}/_sandbox/accounts/{s.unipile_account_id}/status",
                                     json={"status": "CREDENTIALS"}) as r:
            assert r.status < 300, await r.text()
        await expect(row).to_have_attribute("data-status", "paused", timeout=WAIT_MS)
        await snap(page, "campaigns")

        await row.get_by_role("link").click()
        await page.get_by_role("button", name="Resume").click()
        await expect(page.get_by_role("alert")).to_be_visible()
        await snap(page, "campaign")

        await page.get_by_role("navigation", name="Main").get_by_role("link", name="LinkedIn accounts").click()
        await expect(page.locator(f'[data-account-id="{s.linkedin_account_id}"]')).to_be_visible()
        await snap(page, "accounts")

        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Inboxes").click()
        await expect(page.locator(f'[data-inbox-id="{s.inbox_id}"]')).to_be_visible()
        await snap(page, "inboxes")
    finally:
        await context.close()
