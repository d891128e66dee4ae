"""A prospect's page in Chromium against the real suite, reached from the campaign's prospect list: why it is not
being sent now in words, its timeline (the invitation sent, the reply with its classification and snippet, an
out-of-office and until when), and a member re-classifying the reply through the API with the effect shown."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Browser, expect

from tests.browser.helpers import no_axe_violations, raw_codes, sign_in
from tests.e2e.conftest import MONDAY_0800_PARIS, World, setup_campaign
from tests.e2e.test_linkedin_replies import INVITE_THEN_MESSAGE, accept_all, write


async def test_a_prospects_timeline_why_not_now_and_reclassifying_its_reply(world: World, browser: Browser) -> None:
    w = world
    s = await setup_campaign(w, 2, INVITE_THEN_MESSAGE)
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=6))
    await accept_all(w, s.unipile_account_id, ["ACo0000", "ACo0001"])
    await write(w, s.unipile_account_id, "ACo0000", "Thanks! Travelling this week,\nlet's talk when I'm back.")
    status, _ = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/pause", s.auth)
    assert status == 200
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, timezone_id="UTC")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        await page.goto(f"{w.suite.base_url}/#/campaigns/{s.campaign_id}")
        await page.locator("#prospects").get_by_role("link", name="Name0").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Name0")
        await expect(page.locator("#prospect-state")).to_have_text("Replied")
        await expect(page.locator("#why-not-now")).to_have_text("Replied: the sequence stopped")
        timeline = page.locator("#timeline")
        await expect(timeline.locator('li[data-kind="attempt"]')).to_contain_text("Step 1, LinkedIn invitation: Sent")
        await expect(timeline.locator('li[data-kind="pause"]')).to_contain_text("Campaign paused: Paused by a member")
        reply = timeline.locator('li[data-kind="reply"]')
        await expect(reply).to_contain_text("Reply (Real reply)")
        await expect(reply).to_contain_text("via LinkedIn")
        await expect(reply.locator(".snippet")).to_have_text("Thanks! Travelling this week, let's talk when I'm back.")
        assert await raw_codes(page) == []
        await no_axe_violations(page, "prospect replied")

        # It was an out-of-office: back on March 10, from where it was.
        await reply.get_by_label("This reply is").select_option("out_of_office")
        await reply.get_by_label("Back on").fill("2026-03-10")
        await reply.get_by_role("button", name="Re-classify").click()
        await expect(page.locator("#reclassified")).to_contain_text(
            "Re-classified as “Out of office”. The prospect is now: Out of office, until"
        )
        await expect(page.locator("#prospect-state")).to_have_attribute("data-state", "out_of_office")
        await expect(page.locator("#ooo-until")).to_contain_text("10 Mar 2026")
        await expect(page.locator("#why-not-now")).to_contain_text("Out of office: waiting until the return date")
        # The reply keeps what it was heard as; the member's re-classification joins the timeline.
        await expect(reply).to_have_attribute("data-classification", "replied")
        changed = timeline.locator('li[data-kind="reclassified"]')
        await expect(changed).to_have_count(1)
        await expect(changed).to_contain_text("Re-classified by a member: Out of office until")
        await expect(reply.get_by_label("This reply is")).to_have_value("out_of_office")
        ids = {
            p["linkedin_provider_id"]: p["id"]
            for p in (await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}/prospects", s.auth))[1]["prospects"]
        }
        _, detail = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}/prospects/{ids['ACo0000']}", s.auth)
        assert detail["prospect"]["state"] == "out_of_office"
        assert detail["prospect"]["out_of_office_until"] >= "2026-03-10"
        assert await raw_codes(page) == []
        await no_axe_violations(page, "prospect re-classified out of office")

        # Then: do not contact. It stops and its address joins the suppression list.
        await reply.get_by_label("This reply is").select_option("opted_out")
        await reply.get_by_role("button", name="Re-classify").click()
        await expect(page.locator("#reclassified")).to_have_text(
            "Re-classified as “Do not contact”. The prospect is now: Opted out.", use_inner_text=True
        )
        await expect(page.locator("#prospect-state")).to_have_text("Opted out")
        await expect(timeline.locator('li[data-kind="reclassified"]').last).to_contain_text(
            "Re-classified by a member: Do not contact"
        )
        _, listed = await w.suite.call("GET", "/api/v1/suppressions", s.auth)
        assert [(x["value"], x["source"]) for x in listed["suppressions"]] == [("p0@prospect.example", "reply")]
        await no_axe_violations(page, "prospect do not contact")
        assert errors == []
    finally:
        await context.close()
