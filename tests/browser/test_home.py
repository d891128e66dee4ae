"""The home view in Chromium (issue 17): what needs attention, each with its next action. A campaign paused because
its LinkedIn account disconnected (grouped under that reason, with the page that fixes it), a member's pause, the
disconnected account itself, an inbox whose bounce rate is high, and a reply not read yet (read once its campaign's
page is opened, for that member: the server keeps it, so another browser of theirs has nothing to read and another
member still has). axe-core finds 0 violations, with and without anything to show."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Browser, expect

from tests.browser.helpers import no_axe_violations, raw_codes, sign_in
from tests.browser.test_safety_states import unipile_status
from tests.browser.test_ui import WAIT_MS
from tests.e2e.conftest import MONDAY_0800_PARIS, World, setup_campaign
from tests.e2e.test_linkedin_replies import INVITE_THEN_MESSAGE, accept_all, write
from tests.integration.test_roles import add_member


async def test_home_lists_what_needs_attention_with_the_next_action(world: World, browser: Browser) -> None:
    w = world
    s = await setup_campaign(w, 2, INVITE_THEN_MESSAGE)
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, timezone_id="Europe/Paris")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Needs attention").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Needs attention")
        await expect(page.locator("#attention-summary")).to_contain_text("Nothing needs your attention")
        await expect(page.locator("#att-paused")).to_contain_text("No campaign is paused.")
        await no_axe_violations(page, "home, nothing to do")

        await w.run_until(MONDAY_0800_PARIS + timedelta(hours=6))
        await accept_all(w, s.unipile_account_id, ["ACo0000", "ACo0001"])
        await write(w, s.unipile_account_id, "ACo0000", "Sounds good, call me Tuesday.")
        # The bounce-rate monitor's last check of the inbox (services/scheduler/bounce_rate.py, tested on its own):
        # 2 of the last 25 emails bounced.
        await w.db.execute(
            "UPDATE scheduler.sender_states SET bounce_rate = 0.08, bounce_sample = 25 WHERE sender_id = $1", s.inbox_id
        )
        await unipile_status(w, s.unipile_account_id, "CREDENTIALS")
        _, second = await w.suite.call(
            "POST",
            "/api/v1/campaigns",
            s.auth,
            json={
                "name": "Partners",
                "schedule": {"days": ["mon"], "window": {"start": "09:00", "end": "17:00"}, "timezone": "Europe/Paris"},
                "steps": [{"channel": "email", "action": "email", "subject": "Hi", "body": "Hello"}],
                "senders": {"inbox_ids": [s.inbox_id]},
            },
        )
        await w.suite.call("POST", f"/api/v1/campaigns/{second['id']}/activate", s.auth)
        await w.suite.call("POST", f"/api/v1/campaigns/{second['id']}/pause", s.auth)

        paused = page.locator("#att-paused")
        disconnected = paused.locator('li[data-reason="linkedin_account_disconnected"]')
        await expect(disconnected).to_contain_text("LinkedIn account disconnected", timeout=WAIT_MS)
        await expect(disconnected.locator(f'[data-campaign-id="{s.campaign_id}"]')).to_contain_text("Founders")
        await expect(disconnected.get_by_role("link", name="Go to LinkedIn accounts")).to_have_attribute(
            "href", "#/accounts"
        )
        manual = paused.locator('li[data-reason="manual"]')
        await expect(manual.locator(f'[data-campaign-id="{second["id"]}"]')).to_contain_text("Partners")
        await expect(manual.get_by_role("link", name="Review and resume")).to_have_attribute(
            "href", f"#/campaigns/{second['id']}"
        )
        senders = page.locator("#att-senders")
        await expect(senders.locator(f'[data-account-id="{s.linkedin_account_id}"]')).to_contain_text(
            "LinkedIn account Sales Nav: Disconnected"
        )
        await expect(senders.get_by_role("link", name="Reconnect it on LinkedIn accounts")).to_be_visible()
        await page.reload()  # figures (bounce rates, replies) are read every 10 s; a reload reads them now
        bounces = page.locator("#att-bounces")
        await expect(bounces.locator(f'[data-inbox-id="{s.inbox_id}"]')).to_contain_text(
            "8% of its last 25 emails bounced", timeout=WAIT_MS
        )
        replies = page.locator("#att-replies")
        await expect(replies.locator(f'[data-campaign-id="{s.campaign_id}"]')).to_contain_text(
            "1 new reply in Founders", timeout=WAIT_MS
        )
        await expect(page.locator("#attention-summary")).to_contain_text("These need you")
        assert await raw_codes(page) == []
        await no_axe_violations(page, "home with everything to do")

        # Reading the campaign's page reads its replies.
        await replies.get_by_role("link", name="Read it").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Founders")
        await expect(page.locator("#results .figures")).to_contain_text("1 replied")
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Needs attention").click()
        await expect(page.locator("#att-replies")).to_contain_text("No new replies.")
        await expect(page.locator("#att-paused li[data-reason]")).to_have_count(2)
        assert errors == []
        assert await page.evaluate("Object.keys(localStorage).filter((k) => k.includes('replies'))") == []

        # What the member read is kept by the server: another browser of theirs has nothing to read either, while
        # another member of the workspace still has the reply to read.
        _, viewer = await add_member(w.suite, s.auth, "viewer", ["read"])
        for auth, expected in ((s.auth, "No new replies."), (viewer, "1 new reply in Founders")):
            other = await browser.new_context(viewport={"width": 1100, "height": 900}, timezone_id="Europe/Paris")
            try:
                elsewhere = await other.new_page()
                await sign_in(elsewhere, w.suite.base_url, auth)
                await (
                    elsewhere.get_by_role("navigation", name="Main").get_by_role("link", name="Needs attention").click()
                )
                await expect(elsewhere.locator("#att-replies")).to_contain_text(expected, timeout=WAIT_MS)
            finally:
                await other.close()
    finally:
        await context.close()
