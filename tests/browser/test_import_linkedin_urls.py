"""A CSV of LinkedIn profile URLs only, imported into a LinkedIn campaign in Chromium: the rows are valid (the
column maps to linkedin_url), the prospects show "Looking up LinkedIn profile" while Holdfast resolves them, then
the one LinkedIn does not know reads "Profile not found" (words, never a raw code)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from playwright.async_api import Browser, expect

from tests.browser.helpers import no_axe_violations, raw_codes, sign_in
from tests.e2e.conftest import World, setup_campaign

INVITE = {"channel": "linkedin", "action": "invite", "text": ""}
CSV = (
    "LinkedIn profile\r\nhttps://www.linkedin.com/in/ada-lovelace/\r\nlinkedin.com/in/nobody-at-all\r\n"
    "https://example.com/in/not-linkedin\r\n"
)


async def test_profile_urls_alone_import_then_resolve_or_read_not_found(world: World, browser: Browser) -> None:
    w = world
    s = await setup_campaign(w, 0, [INVITE])
    async with w.suite.http.post(
        f"{w.unipile_url}/_sandbox/profiles",
        json={"provider_id": "ACoADA", "public_identifier": "ada-lovelace", "full_name": "Ada Lovelace"},
    ) as r:
        assert r.status == 201
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, timezone_id="Europe/Paris")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        await page.goto(f"{w.suite.base_url}/#/campaigns/{s.campaign_id}/import")
        await page.locator("#csv-file").set_input_files(
            files=[{"name": "urls.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
        )
        await expect(page.get_by_label("Use LinkedIn profile as")).to_have_value("linkedin_url")
        await page.get_by_role("button", name="Check the rows").click()
        await expect(page.locator("#summary")).to_have_text("2 new, 0 duplicate, 1 invalid.")
        await page.get_by_label("Show").select_option("invalid")
        await expect(page.locator('tr[data-line="4"]')).to_contain_text("not a linkedin.com/in/")
        await no_axe_violations(page, "profile URLs checked")
        await page.get_by_role("button", name="Import 2 new prospects").click()
        await expect(page.locator("#progress-text")).to_have_text("Done: 2 prospects added.", timeout=30_000)
        _, listed = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}/prospects", s.auth)
        assert sorted(p["linkedin_public_identifier"] for p in listed["prospects"]) == ["ada-lovelace", "nobody-at-all"]

        await page.get_by_role("link", name="Open the campaign").click()
        rows = page.locator("#prospects tbody tr")
        await expect(rows).to_have_count(2)
        # Looked up one per sender at a time: at least one still waits for its look-up.
        await expect(page.locator('tr[data-state="resolving"]').first).to_contain_text("Looking up LinkedIn profile")
        await no_axe_violations(page, "looking up profiles")
        resolving = page.locator('tr[data-state="resolving"]')
        for _ in range(40):  # the look-ups are paced in the sender's (virtual) time
            if not await resolving.count():
                break
            w.clock.advance(timedelta(minutes=5))
            await asyncio.sleep(1)
        missing = page.locator('tr[data-state="not_found"]')
        await expect(missing).to_contain_text("Profile not found")
        await expect(missing.locator("th")).to_have_text("nobody-at-all")
        await expect(page.locator('tr[data-state="not_found"], tr[data-state="resolving"]')).to_have_count(1)
        await no_axe_violations(page, "profile not found")
        assert await raw_codes(page) == []
        assert errors == []
    finally:
        await context.close()
