"""Two walks in Chromium. Day one: from an empty workspace to a campaign that sends, through the UI alone (the
test calls no API; it only moves the suite's virtual clock). Keyboard only: sign in, pause and resume, build and
start a campaign, with Tab, Shift+Tab, Enter and Space, focus always where the next key is pressed."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import Browser, Page, expect

from sandbox.imap import SandboxImap
from tests.browser.helpers import no_axe_violations, raw_codes
from tests.e2e.conftest import MONDAY_0800_PARIS, SENDER, SENDER_PASSWORD, World, setup_campaign

PROSPECTS_CSV = "email,first_name,company\r\nana@prospect.example,Ana,Acme\r\nbo@prospect.example,Bo,Beta\r\n"


async def test_day_one_from_an_empty_workspace_to_a_sending_campaign(
    world: World, imap: SandboxImap, browser: Browser
) -> None:
    w = world
    imap_port = imap._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, timezone_id="Europe/Paris")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # A workspace.
        await page.goto(w.suite.base_url + "/")
        await page.get_by_label("Workspace name").fill("Day One Co")
        await page.get_by_label("Owner email").fill("owner@dayone.example")
        await page.get_by_role("button", name="Create workspace").click()
        await expect(page.get_by_label("Your API token")).to_be_visible()
        await page.get_by_role("link", name="Continue to campaigns").click()
        await expect(page.get_by_text("No campaigns yet.")).to_be_visible()

        # An inbox, from the empty state's link.
        await page.get_by_role("link", name="add an email inbox").click()
        await page.get_by_role("link", name="Add inbox").click()
        await page.get_by_role("radio", name="Other").check()
        await page.get_by_label("Email address", exact=True).fill(SENDER)
        await page.get_by_label("App password").fill(SENDER_PASSWORD)
        for kind, port in (("smtp", w.smtp_port), ("imap", imap_port)):
            await page.locator(f"#{kind}-host").fill("127.0.0.1")
            await page.locator(f"#{kind}-port").fill(str(port))
            await page.locator(f"#{kind}-security").select_option("none")
        await page.get_by_role("button", name="Check and add the inbox").click()
        await expect(page.locator("li[data-inbox-id]")).to_have_attribute("data-status", "connected")

        # A campaign of one email.
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
        await page.get_by_role("link", name="Create a campaign").click()
        await page.get_by_label("Campaign name").fill("First outreach")
        await page.locator("#step-0-action").select_option("email")
        await page.locator("#step-0-subject").fill("Hello {{first_name}}")
        await page.locator("#step-0-text").fill("A short note for {{company}}.")
        await page.locator("input[name=inbox]").check()
        await page.get_by_role("button", name="Save the campaign as a draft").click()
        await expect(page.locator("#campaign-status")).to_have_attribute("data-status", "draft")

        # Its prospects, from a CSV file.
        await page.get_by_role("link", name="Import prospects from a CSV file").click()
        await page.locator("#csv-file").set_input_files(
            files=[{"name": "first.csv", "mimeType": "text/csv", "buffer": PROSPECTS_CSV.encode()}]
        )
        await page.get_by_role("button", name="Check the rows").click()
        await expect(page.locator("#summary")).to_have_text("2 new, 0 duplicate, 0 invalid.")
        await page.get_by_role("button", name="Import 2 new prospects").click()
        await expect(page.locator("#progress-text")).to_have_text("Done: 2 prospects added.")
        await page.get_by_role("link", name="Open the campaign").click()

        # Start it; the morning passes (the suite's virtual clock) and the emails go out.
        await page.get_by_role("button", name="Activate").click()
        status = page.locator("#campaign-status")
        await expect(status).to_have_attribute("data-status", "active")
        await expect(page.locator("#status-line")).to_have_text("Campaign started.")
        await w.run_until(MONDAY_0800_PARIS + timedelta(hours=6))
        sent = sorted(m.rcpt_tos[0] for m in w.smtp.messages)
        assert sent == ["ana@prospect.example", "bo@prospect.example"], sent
        await expect(page.locator("#results .figures")).to_contain_text("2 sent", timeout=8000)
        await expect(page.locator("#prospects tbody .step")).to_have_text(["Done", "Done"])
        await expect(status).to_have_attribute("data-status", "completed")
        await expect(page.locator("#status-line")).to_have_text(
            "The campaign completed: every prospect is through the sequence."
        )
        await expect(page.locator("#reasons")).to_have_text(
            "Completed: every prospect is through the sequence, nothing more will be sent. "
            "Import more prospects to go on."
        )
        assert await raw_codes(page) == []
        await no_axe_violations(page, "day one: sending")
        assert errors == []
    finally:
        await context.close()


async def tab_to(page: Page, name: str | re.Pattern[str], backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until the focused element's accessible text matches `name`."""
    for _ in range(limit):
        await page.keyboard.press("Shift+Tab" if backwards else "Tab")
        label = await page.evaluate("""() => { const e = document.activeElement; if (!e) return '';
            const l = e.labels && e.labels[0] ? e.labels[0].textContent : '';
            return (e.getAttribute('aria-label') || l || e.textContent || e.value || '').trim(); }""")
        if name.search(label) if isinstance(name, re.Pattern) else label == name:
            return
    raise AssertionError(f"never reached {name!r} with the keyboard")


async def test_keyboard_only_sign_in_pause_resume_build_and_start(world: World, browser: Browser) -> None:
    w = world
    s = await setup_campaign(w, 2, [{"channel": "linkedin", "action": "invite", "text": ""}])
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    try:
        await page.goto(w.suite.base_url + "/")
        await tab_to(page, "API token")
        await page.keyboard.type(s.auth["Authorization"].split()[1])
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", level=1, name="Campaigns")).to_be_focused()

        # Open the campaign, pause and resume it: focus stays on the control each time.
        await tab_to(page, "Founders")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", level=1, name="Founders")).to_be_focused()
        await tab_to(page, "Pause")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("button", name="Resume", exact=True)).to_be_focused()
        await expect(page.locator("#campaign-status")).to_have_attribute("data-status", "paused")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("button", name="Pause")).to_be_focused()
        await expect(page.locator("#campaign-status")).to_have_attribute("data-status", "active")

        # Build a campaign: an invitation with a note, then a message.
        await tab_to(page, "Campaigns", backwards=True)
        await page.keyboard.press("Enter")
        await tab_to(page, "Create a campaign")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", level=1, name="New campaign")).to_be_focused()
        await tab_to(page, "Campaign name")
        await page.keyboard.type("Keyboard campaign")
        await tab_to(page, "Invitation note (optional)")
        await page.keyboard.type("Hello ")
        await tab_to(page, "{{first_name}}")
        await page.keyboard.press("Enter")
        await expect(page.locator("#step-0-text")).to_be_focused()
        await expect(page.locator("#step-0-text")).to_have_value("Hello {{first_name}}")
        await tab_to(page, "Add a step")
        await page.keyboard.press("Enter")
        await expect(page.locator("#step-1-action")).to_be_focused()
        await tab_to(page, "Message")
        await page.keyboard.type("Thanks for connecting, {{first_name}}.")
        await tab_to(page, re.compile(r"^Sales Nav"))
        await page.keyboard.press("Space")
        await expect(page.locator(f'input[name=linkedin][value="{s.linkedin_account_id}"]')).to_be_checked()
        await tab_to(page, "Save the campaign as a draft")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", level=1, name="Keyboard campaign")).to_be_visible()
        await tab_to(page, "Activate")
        await page.keyboard.press("Enter")
        await expect(page.locator("#campaign-status")).to_have_attribute("data-status", "active")
        await expect(page.get_by_role("button", name="Pause")).to_be_focused()
    finally:
        await context.close()
