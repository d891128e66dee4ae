"""The campaign builder in Chromium: steps with delays and templates, a live preview for a sample prospect,
counters at each channel's limit, the schedule with a searchable timezone, senders from the workspace; saved
through the campaign create API as a draft."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.helpers import no_axe_violations, raw_codes, sign_in
from tests.e2e.conftest import World, setup_campaign


async def test_build_a_three_step_campaign_with_previews_counters_schedule_and_senders(
    world: World, browser: Browser
) -> None:
    w = world
    s = await setup_campaign(w, 1, [{"channel": "linkedin", "action": "invite", "text": ""}])
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, timezone_id="Europe/Paris")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        await page.get_by_role("link", name="Create a campaign").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("New campaign")
        await page.get_by_label("Campaign name").fill("Q3 founders")

        # Step 1, an invitation: a variable inserted at the caret, the preview for the sample prospect, the counter.
        note = page.get_by_label("Invitation note (optional)")
        await note.fill("Hi ")
        await (
            page.get_by_role("group", name="Insert a variable into step 1")
            .get_by_role("button", name="{{first_name}}")
            .click()
        )
        await note.press("End")
        await note.type(", glad to connect.")
        await expect(note).to_have_value("Hi {{first_name}}, glad to connect.")
        step1 = page.locator('li[data-step="0"]')
        await expect(step1.locator(".preview-out")).to_have_text("Hi Alex, glad to connect.")
        await expect(page.locator("#step-0-count")).to_have_text("35 of 300 characters")
        await note.fill("x" * 310)
        await expect(page.locator("#step-0-count")).to_have_text("310 of 300 characters — 10 too many")
        await expect(page.locator("#step-0-count")).to_have_class("counter over")
        await no_axe_violations(page, "builder, note too long")

        # Step 2, a message after acceptance; the sample prospect changes every preview.
        await page.get_by_role("button", name="Add a step").click()
        await expect(page.locator("#step-1-action")).to_be_focused()
        await expect(page.locator("#step-1-action")).to_have_value("message")
        await page.locator("#step-1-text").fill("Thanks {{first_name}}! How is {{company}} doing?")
        await page.get_by_label("first name").fill("Jo")
        await expect(page.locator('li[data-step="1"] .preview-out')).to_have_text("Thanks Jo! How is Northwind doing?")

        # Step 3, an email three days later.
        await page.get_by_role("button", name="Add a step").click()
        await page.locator("#step-2-action").select_option("email")
        await page.locator("#step-2-days").fill("3")
        await page.locator("#step-2-subject").fill("{{company}} and us")
        await page.locator("#step-2-text").fill("Hello {{first_name}} {{last_name}}")
        await expect(page.locator('li[data-step="2"] .preview-out')).to_contain_text("Subject: Northwind and us")
        await expect(page.locator('li[data-step="2"] .preview-out')).to_contain_text("Hello Jo Martin")

        # Schedule: no Friday, 10:00-16:00 in New York, no randomizing.
        await page.get_by_role("checkbox", name="Friday").uncheck()
        await page.get_by_label("From", exact=True).fill("10:00")
        await page.get_by_label("To", exact=True).fill("16:00")
        await page.get_by_label("Timezone", exact=True).fill("America/New_York")
        await page.get_by_role("checkbox", name="Spread sends at random").uncheck()
        await expect(page.get_by_role("radio", name="This prospect only")).to_be_checked()
        await page.get_by_role("radio", name="The whole company").check()

        # The over-long note is refused before anything is sent, its field focused.
        save = page.get_by_role("button", name="Save the campaign as a draft")
        await save.click()
        await expect(page.locator("#builder-out [role=alert]")).to_contain_text("Step 1 is longer than")
        await expect(note).to_be_focused()
        await note.fill("Hi {{first_name}}")
        await save.click()  # no sender chosen yet
        await expect(page.locator("#builder-out [role=alert]")).to_contain_text("LinkedIn steps need a")
        await page.locator(f'input[name=linkedin][value="{s.linkedin_account_id}"]').check()
        await page.locator(f'input[name=inbox][value="{s.inbox_id}"]').check()
        await expect(page.locator("#senders")).to_contain_text("a day, ramp from")
        assert await raw_codes(page) == []
        await no_axe_violations(page, "builder, three steps")
        await save.click()

        await expect(page.get_by_role("heading", level=1)).to_have_text("Q3 founders")
        await expect(page.locator("#campaign-status")).to_have_attribute("data-status", "draft")
        await expect(page.locator("#status-line")).to_contain_text("is saved as a draft")
        await expect(page.get_by_role("button", name="Activate")).to_be_visible()
        await expect(page.locator("#stop-scope")).to_have_text("A reply stops the whole company.")
        await no_axe_violations(page, "draft campaign")
        campaign_id = page.url.rsplit("/", 1)[-1]
        _, c = await w.suite.call("GET", f"/api/v1/campaigns/{campaign_id}", s.auth)
        assert [(st["action"], st["delay"]["days"], st["text"], st["subject"], st["body"]) for st in c["steps"]] == [
            ("invite", 0, "Hi {{first_name}}", "", ""),
            ("message", 2, "Thanks {{first_name}}! How is {{company}} doing?", "", ""),
            ("email", 3, "", "{{company}} and us", "Hello {{first_name}} {{last_name}}"),
        ], c["steps"]
        assert c["schedule"] == {
            "days": ["mon", "tue", "wed", "thu"],
            "window": {"start": "10:00", "end": "16:00"},
            "timezone": "America/New_York",
            "randomize_within_window": False,
        }, c["schedule"]
        assert c["senders"] == {"linkedin_account_ids": [s.linkedin_account_id], "inbox_ids": [s.inbox_id]}
        assert c["stop_on_reply"] == "company"
        assert errors == []
    finally:
        await context.close()
