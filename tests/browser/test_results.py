"""Results in Chromium: a campaign's figures, progress, per-step rates and per-day chart (our own inline SVG); the
campaigns list with progress and key rates; each sender's day against its caps and its ramp day."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Browser, expect

from tests.browser.helpers import no_axe_violations, raw_codes, sign_in
from tests.e2e.conftest import MONDAY_0800_PARIS, World, setup_campaign
from tests.e2e.test_results_stats import STEPS


async def test_results_per_campaign_step_day_and_sender(world: World, browser: Browser) -> None:
    w = world
    s = await setup_campaign(w, 3, STEPS)
    w.smtp.reject_recipient("p2@prospect.example", 550)
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=10))
    for provider in ("ACo0000", "ACo0002"):
        async with w.suite.http.post(
            f"{w.unipile_url}/_sandbox/accounts/{s.unipile_account_id}/accept", json={"provider_id": provider}
        ) as r:
            assert r.status < 300, await r.text()
    await w.settle()
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=1, hours=10))
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        row = page.locator(f'[data-campaign-id="{s.campaign_id}"]')
        await expect(row.locator(".progress-line")).to_contain_text("2 of 3 prospects (67%)")
        await expect(row.locator(".key-figures")).to_have_text("4 sent · 0% replied · 67% accepted · 0% bounced")
        await no_axe_violations(page, "campaigns with progress")
        await row.get_by_role("link").click()
        results = page.locator("#results")
        await expect(results.locator(".figures")).to_contain_text("3 enrolled")
        await expect(results.locator(".figures")).to_contain_text("4 sent")
        await expect(results.locator(".figures")).to_contain_text("1 finished")
        await expect(results.locator(".figures")).to_contain_text("1 stopped")
        await expect(results.locator(".figures")).to_contain_text("0 replied (0%)")
        await expect(page.get_by_label("Through the sequence")).to_have_attribute("value", "2")
        invite = results.locator('tr[data-step="0"]')
        await expect(invite.locator('[data-label="Sent"]')).to_have_text("3")
        await expect(invite.locator('[data-label="Accepted"]')).to_have_text("2 (67%)")
        email = results.locator('tr[data-step="1"]')
        await expect(email.locator('[data-label="Reached"]')).to_have_text("2")
        await expect(email.locator('[data-label="Failed"]')).to_have_text("1 (50%)")
        await expect(email.locator('[data-label="Bounced"]')).to_have_text("0 (0%)")
        chart = page.get_by_role("img", name="Sends per day: 4 sent over 2 days, at most 3 a day")
        await expect(chart).to_be_visible()
        await expect(chart.locator("rect.bar-sent")).to_have_count(2)
        heights = await chart.locator("rect.bar-sent").evaluate_all(
            "bars => bars.map(b => Number(b.getAttribute('height')))"
        )
        assert heights[0] == 3 * heights[1] > 0, heights  # Monday's 3 invitations, Tuesday's one email
        await expect(chart.locator("rect.bar-failed").nth(1)).not_to_have_attribute("height", "0")
        stopped = page.locator('#prospects tr[data-state="stopped"] [data-label="Why not now"]')
        await expect(stopped).to_have_text("Stopped: the recipient's mail server refused the email")
        assert await raw_codes(page) == []
        await no_axe_violations(page, "campaign results")

        nav = page.get_by_role("navigation", name="Main")
        await nav.get_by_role("link", name="LinkedIn accounts").click()
        await expect(page.locator(f'[data-account-id="{s.linkedin_account_id}"] .usage')).to_have_text(
            "Today 0 of 100 (daily cap), ramp day 2; last 7 days 3 of 500 (weekly cap)"
        )
        await nav.get_by_role("link", name="Inboxes").click()
        await expect(page.locator(f'[data-inbox-id="{s.inbox_id}"] .usage')).to_contain_text("of 100 (daily cap)")
        await no_axe_violations(page, "inboxes with usage")
        assert errors == []
    finally:
        await context.close()
