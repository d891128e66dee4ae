"""The README's screenshots, at 1440 and 375 px wide: run by `make screenshots` only (this module is not named
test_*, so `make test` never collects it and never rewrites a tracked file). Each scene is a real page of the
running suite in Chromium; the pictures go to docs/screenshots/ (or HOLDFAST_SCREENSHOTS_DIR)."""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from sandbox.serving import serve
from services.common.clock import ManualClock
from tests.browser.helpers import no_axe_violations, sign_in
from tests.browser.test_import import csv_file
from tests.browser.test_ui import WAIT_MS
from tests.conftest import create_database, start_suite
from tests.e2e.conftest import MONDAY_0800_PARIS, SCHEDULE, World, setup_campaign
from tests.e2e.test_results_stats import STEPS
from tests.integration.test_outbound_webhooks import Receiver, until
from tests.sign_in_helpers import mails_to, system_smtp, tokens_in

OUT = Path(os.environ.get("HOLDFAST_SCREENSHOTS_DIR") or Path(__file__).resolve().parents[2] / "docs" / "screenshots")
WIDTHS = {"1440": (1440, 900), "375": (375, 740)}


async def snap(page: Page, name: str) -> None:
    """The page at both widths; a phone never scrolls sideways, and axe finds nothing in either."""
    for label, (width, height) in WIDTHS.items():
        await page.set_viewport_size({"width": width, "height": height})
        await page.wait_for_timeout(150)
        assert await page.evaluate("document.documentElement.scrollWidth") <= width, (name, label)
        await no_axe_violations(page, f"{name}-{label}")
        await page.screenshot(path=str(OUT / f"{name}-{label}.png"), full_page=True)
    await page.set_viewport_size({"width": 1440, "height": 900})


async def test_screenshots(world: World, browser: Browser) -> None:
    OUT.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once, before the browser starts)
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
    context = await browser.new_context(viewport={"width": 1440, "height": 900}, timezone_id="Europe/Paris")
    page = await context.new_page()
    nav = page.get_by_role("navigation", name="Main")
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        row = page.locator(f'[data-campaign-id="{s.campaign_id}"]')
        await expect(row.locator(".key-figures")).to_be_visible()
        async with w.suite.http.post(
            f"{w.unipile_url}/_sandbox/accounts/{s.unipile_account_id}/status", json={"status": "CREDENTIALS"}
        ) as r:
            assert r.status < 300, await r.text()
        await expect(row).to_have_attribute("data-status", "paused", timeout=WAIT_MS)
        await snap(page, "campaigns")

        await nav.get_by_role("link", name="Needs attention").click()
        await expect(page.locator('#att-paused li[data-reason="linkedin_account_disconnected"]')).to_be_visible()
        await expect(page.locator(f'#att-senders [data-account-id="{s.linkedin_account_id}"]')).to_be_visible()
        await snap(page, "home")

        await nav.get_by_role("link", name="Campaigns").click()
        await row.get_by_role("link").click()
        await expect(page.get_by_role("img", name="Sends per day", exact=False)).to_be_visible()
        await snap(page, "campaign")

        await page.get_by_role("group", name="Manage the campaign").get_by_role("link", name="Edit").click()
        await expect(page.locator("#edit-locked")).to_be_visible()
        await expect(page.get_by_label("Campaign name")).to_have_value("Founders")
        await page.locator("#window-start").fill("10:00")
        await page.get_by_role("button", name="Review the changes").click()
        await expect(page.locator("#edit-changes")).to_have_text("This changes the sending window.")
        await snap(page, "edit")

        await nav.get_by_role("link", name="LinkedIn accounts").click()
        await expect(page.locator(f'[data-account-id="{s.linkedin_account_id}"] .usage')).to_be_visible()
        await snap(page, "accounts")

        await nav.get_by_role("link", name="Inboxes").click()
        await expect(page.locator(f'[data-inbox-id="{s.inbox_id}"] .usage')).to_be_visible()
        await snap(page, "inboxes")

        await page.get_by_role("link", name="Add inbox").click()
        await page.get_by_role("radio", name="Outlook / Microsoft 365").check()
        await snap(page, "add-inbox")

        await nav.get_by_role("link", name="Campaigns").click()
        await page.get_by_role("link", name="Create a campaign").click()
        await page.get_by_label("Campaign name").fill("Q3 founders")
        await page.locator("#step-0-text").fill("Hi {{first_name}}, we met at the {{company}} meetup.")
        await page.get_by_role("button", name="Add a step").click()
        await page.locator("#step-1-text").fill("Thanks for connecting, {{first_name}}!")
        await snap(page, "builder")

        await page.goto(f"{w.suite.base_url}/#/campaigns/{s.campaign_id}/import")
        await page.locator("#csv-file").set_input_files(
            files=[{"name": "leads.csv", "mimeType": "text/csv", "buffer": csv_file()}]
        )
        await page.get_by_role("button", name="Check the rows").click()
        await expect(page.locator("#summary")).to_contain_text("new")
        await page.get_by_label("Show").select_option("invalid")
        await snap(page, "import")
    finally:
        await context.close()


async def test_team_screenshots(pg_dsn: str, browser: Browser) -> None:
    """The team pages: sign-in, Members with invitations waiting, an invitation's page, API tokens, Webhooks
    with an endpoint's deliveries, the Audit log. Invitations are emailed through a sandbox SMTP server (the
    system SMTP server); webhooks go to a local receiver."""
    OUT.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 (once, before the browser starts)
    async with AsyncExitStack() as stack:
        smtp, env = await system_smtp(stack)
        clock = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
        suite = await start_suite(
            await create_database(pg_dsn),
            stack,
            clock,
            HOLDFAST_WEBHOOKS_ALLOW_PRIVATE="true",
            HOLDFAST_WEBHOOK_DELIVERY_SECONDS="0.05",
            **env,
        )
        receiver = Receiver()
        receiver.url = await serve(receiver.app(), stack) + "/hook"
        status, made = await suite.call(
            "POST", "/api/v1/workspaces", json={"name": "Acme", "owner_email": "maya@acme.example"}
        )
        assert status == 201, made
        owner = {"Authorization": f"Bearer {made['token']}"}
        for address, role in (
            ("lin@acme.example", "admin"),
            ("sam@acme.example", "member"),
            ("jo@acme.example", "viewer"),
        ):
            status, body = await suite.call("POST", "/api/v1/members", owner, json={"email": address, "role": role})
            assert status == 201, body
        for address, role in (("ada@acme.example", "admin"), ("grace@acme.example", "member")):
            status, body = await suite.call("POST", "/api/v1/invitations", owner, json={"email": address, "role": role})
            assert status == 201, body
        _, ws = await suite.call("GET", "/api/v1/workspace", owner)
        ids = {m["email"]: m["id"] for m in ws["members"]}
        for name, scopes, who in (
            ("CRM sync", ["read", "write"], "sam@acme.example"),
            ("Reporting", ["read"], "jo@acme.example"),
            ("Old export", ["read"], "lin@acme.example"),
        ):
            status, body = await suite.call(
                "POST", "/api/v1/tokens", owner, json={"member_id": ids[who], "name": name, "scopes": scopes}
            )
            assert status == 201, body
        status, _ = await suite.call("DELETE", f"/api/v1/tokens/{body['token']['id']}", owner)
        assert status in (200, 204)
        status, body = await suite.call(
            "POST",
            "/api/v1/webhook-endpoints",
            owner,
            json={"url": receiver.url, "events": ["campaign.paused", "campaign.resumed", "prospect.replied"]},
        )
        assert status == 201, body
        account = await suite.linkedin_account(owner)
        status, campaign = await suite.call(
            "POST",
            "/api/v1/campaigns",
            owner,
            json={
                "name": "Founders",
                "schedule": SCHEDULE,
                "steps": [{"channel": "linkedin", "action": "invite"}],
                "senders": {"linkedin_account_ids": [account]},
            },
        )
        assert status == 201, campaign
        for change in ("activate", "pause", "resume"):
            status, body = await suite.call("POST", f"/api/v1/campaigns/{campaign['id']}/{change}", owner, json={})
            assert status == 200, body
        await until(lambda: len(receiver.acknowledged()) >= 2, "the deliveries")

        context = await browser.new_context(viewport={"width": 1440, "height": 900}, timezone_id="Europe/Paris")
        page = await context.new_page()
        nav = page.get_by_role("navigation", name="Main")
        try:
            await page.goto(suite.base_url + "/")
            await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Holdfast")
            await snap(page, "sign-in")

            [token] = tokens_in(mails_to(smtp, "ada@acme.example")[-1])
            await page.goto(f"{suite.base_url}/#/accept-invitation?token={token}")
            await expect(page.get_by_role("heading", level=1)).to_have_text("Join your team on Holdfast")
            await snap(page, "invitation")

            await sign_in(page, suite.base_url, owner)
            await nav.get_by_role("link", name="Members", exact=True).click()
            await expect(page.locator("#pending")).to_contain_text("grace@acme.example")
            await snap(page, "members")

            await nav.get_by_role("link", name="API tokens", exact=True).click()
            await expect(page.get_by_text("Old export")).to_be_visible()
            await snap(page, "tokens")

            await nav.get_by_role("link", name="Webhooks", exact=True).click()
            await page.get_by_role("button", name=f"Deliveries to {receiver.url}").click()
            await expect(page.locator("#deliveries tbody tr")).to_have_count(2)
            await snap(page, "webhooks")

            await nav.get_by_role("link", name="Audit log", exact=True).click()
            await expect(page.locator("#audit tbody tr").first).to_be_visible()
            await snap(page, "audit")
        finally:
            await context.close()
