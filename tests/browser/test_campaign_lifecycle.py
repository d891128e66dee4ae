"""A campaign's lifecycle in Chromium (issue 17): edit a started campaign (its steps' actions and senders locked),
review which waiting prospects a shorter delay moves, save; duplicate as a new draft; archive (read-only, out of
the list, under the Archived filter) and bring back; a campaign whose every prospect is done reads Completed.
axe-core finds 0 violations on each page and state."""

from __future__ import annotations

from datetime import datetime, timedelta

from playwright.async_api import Browser, expect

from tests.browser.helpers import no_axe_violations, raw_codes, sign_in
from tests.e2e.conftest import MONDAY_0800_PARIS, World, setup_campaign
from tests.e2e.test_campaign_lifecycle import EMAILS


async def test_edit_with_a_preview_duplicate_archive_and_completed(world: World, browser: Browser) -> None:
    w = world
    s = await setup_campaign(w, 2, EMAILS)
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=10))  # the first emails go out; the second ones wait
    _, page_ = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}/prospects", s.auth)
    before = {p["id"]: datetime.fromisoformat(p["next_action_at"]) for p in page_["prospects"]}
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, timezone_id="Europe/Paris")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        await page.locator(f'[data-campaign-id="{s.campaign_id}"]').get_by_role("link").click()
        await page.get_by_role("group", name="Manage the campaign").get_by_role("link", name="Edit").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Edit campaign")
        await expect(page.locator("#edit-locked")).to_be_visible()
        await expect(page.get_by_label("Campaign name")).to_have_value("Founders")
        await expect(page.locator("#step-1-days")).to_have_value("3")
        await expect(page.locator("#step-1-action")).to_be_disabled()
        await expect(page.get_by_role("button", name="Add a step")).to_be_hidden()
        await expect(page.locator("#senders input[name=inbox]")).to_be_checked()
        await expect(page.locator("#senders input[name=inbox]")).to_be_disabled()
        await page.locator("#step-1-days").fill("1")
        await page.get_by_role("button", name="Review the changes").click()
        review = page.locator("#edit-preview")
        await expect(review).to_be_focused()
        await expect(review.locator("#edit-changes")).to_have_text("This changes step 2's wait.")
        await expect(review.locator("#edit-moves")).to_have_text("2 waiting prospects move to a new time.")
        await expect(review.locator("tbody tr")).to_have_count(2)
        await no_axe_violations(page, "edit preview")
        _, unchanged = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
        assert unchanged["steps"][1]["delay"] == {"days": 3, "hours": 0}  # the review saved nothing
        await review.get_by_role("button", name="Save the changes").click()
        await expect(page.locator("#status-line")).to_have_text("Changes saved. 2 waiting prospects were re-planned.")
        await w.settle()
        _, page_ = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}/prospects", s.auth)
        assert {p["id"]: datetime.fromisoformat(p["next_action_at"]) for p in page_["prospects"]} == {
            p: at - timedelta(days=2) for p, at in before.items()
        }

        # Duplicate: a new draft, opened at once.
        await page.get_by_role("button", name="Duplicate").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Copy of Founders")
        await expect(page.locator("#campaign-status [data-status]")).to_have_text("Draft")
        await expect(page.locator("#prospects")).to_contain_text("No prospects yet")
        await page.get_by_role("link", name="← All campaigns").click()
        await expect(page.locator(".campaign-row")).to_have_count(2)

        # Archive the original: paused, read-only, out of the list, under the Archived filter; then bring it back.
        await page.locator(f'[data-campaign-id="{s.campaign_id}"]').get_by_role("link").click()
        await page.get_by_role("button", name="Archive").click()
        await expect(page.locator("#status-line")).to_have_text(
            "Campaign archived and paused: it sends nothing from the archive."
        )
        await expect(page.locator("#archived-note")).to_be_visible()
        await expect(page.get_by_role("button", name="Bring back from the archive")).to_be_focused()
        await expect(page.locator("#resume-btn")).to_be_hidden()
        await expect(page.locator("#edit-link")).to_be_hidden()
        await expect(page.locator("#import-link")).to_be_hidden()
        await no_axe_violations(page, "archived campaign")
        await page.get_by_role("link", name="← All campaigns").click()
        await expect(page.locator(".campaign-row")).to_have_count(1)
        await expect(page.locator(f'[data-campaign-id="{s.campaign_id}"]')).to_have_count(0)
        await page.get_by_role("navigation", name="Which campaigns").get_by_role("link", name="Archived").click()
        row = page.locator(f'[data-campaign-id="{s.campaign_id}"]')
        await expect(row).to_contain_text("Archived")
        await no_axe_violations(page, "archived campaigns list")
        await row.get_by_role("link").click()
        await page.get_by_role("button", name="Bring back from the archive").click()
        await expect(page.locator("#archived-note")).to_be_hidden()
        await expect(page.get_by_role("button", name="Archive")).to_be_focused()
        await page.get_by_role("button", name="Resume", exact=True).click()
        await expect(page.locator("#campaign-status [data-status]")).to_have_text("Active")

        # Every prospect through the sequence: Completed, in the list and on its page.
        await w.run_until(MONDAY_0800_PARIS + timedelta(days=3, hours=10))
        await page.reload()
        await expect(page.locator("#campaign-status [data-status]")).to_have_text("Completed")
        await expect(page.locator("#reasons")).to_contain_text("Completed: every prospect is through the sequence")
        await page.get_by_role("link", name="← All campaigns").click()
        await expect(page.locator(f'[data-campaign-id="{s.campaign_id}"] [data-status]')).to_have_text("Completed")
        await no_axe_violations(page, "completed campaign in the list")
        assert await raw_codes(page) == []
        assert errors == []
    finally:
        await context.close()
