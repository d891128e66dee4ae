"""The Inboxes page against the real suite: the provider changes the app password at both servers, three login
probes disconnect the inbox, and in the browser a wrong password is refused in an inline alert naming the
failed logins (the inbox stays disconnected), then the new password reconnects it."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.async_api import Browser, expect

from sandbox.imap import SandboxImap
from services.accounts.service import AccountsService
from tests.e2e.conftest import World

USER = "sender@acme.example"
OLD_PASSWORD = "app-password-1"  # the world's SMTP sandbox starts with it
NEW_PASSWORD = "app-password-2"
WAIT_MS = 8000
PROBE_STEP = timedelta(seconds=361)  # more than the largest jittered probe interval (300 s + 20 %)


async def test_inbox_disconnects_wrong_password_refused_new_password_reconnects(
    world: World, imap: SandboxImap, replica: AccountsService, browser: Browser, shots
) -> None:
    w = world
    imap_port = imap._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    _, auth = await w.suite.new_workspace()
    token = auth["Authorization"].split()[1]
    smtp = {"host": "127.0.0.1", "port": w.smtp_port, "security": "none", "username": USER, "password": OLD_PASSWORD}
    status, inbox = await w.suite.call(
        "POST",
        "/api/v1/inboxes",
        auth,
        json={"email": USER, "smtp": smtp, "imap": {**smtp, "port": imap_port}, "timezone": "Europe/Paris"},
    )
    assert status == 201, inbox
    assert inbox["status"] == "connected", inbox

    # The provider changes the app password at both servers; three probes in a row are refused.
    w.smtp.set_password(USER, NEW_PASSWORD)
    imap.set_password(USER, NEW_PASSWORD)
    for _ in range(3):
        w.clock.advance(PROBE_STEP)
        assert await replica.inboxes.probe_inboxes_once() == 1
    _, got = await w.suite.call("GET", f"/api/v1/inboxes/{inbox['id']}", auth)
    assert got["status"] == "disconnected", got

    context = await browser.new_context(viewport={"width": 1100, "height": 900}, timezone_id="Europe/Paris")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await page.goto(w.suite.base_url + "/")
        await page.get_by_label("API token", exact=True).fill(token)
        await page.get_by_role("button", name="Sign in", exact=True).click()
        await expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Inboxes").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Email inboxes")
        await expect(page.get_by_role("link", name="Inboxes")).to_have_attribute("aria-current", "page")

        # Disconnected, since when and why.
        row = page.locator(f'[data-inbox-id="{inbox["id"]}"]')
        await expect(row).to_have_attribute("data-status", "disconnected")
        await expect(row.get_by_role("heading", name=USER)).to_be_visible()
        await expect(row.locator(".badge")).to_have_text("Disconnected")
        await expect(row.locator(".inbox-status")).to_contain_text("since")
        await expect(row.locator(".inbox-status")).to_have_attribute("aria-live", "polite")
        await expect(row.locator(".why-status")).to_contain_text("refused the login 3 probes in a row")
        await shots(page, "inbox-disconnected")

        # A wrong password: the alert names both failed logins, takes focus, and the form stays with its field.
        field = row.get_by_label("New password or app password")
        await expect(field).to_have_attribute("type", "password")
        await field.fill("a-wrong-password")
        await row.get_by_role("button", name=re.compile(r"^Reconnect ")).click()
        alert = row.get_by_role("alert")
        await expect(alert).to_contain_text("SMTP and IMAP login failed")
        await expect(alert).to_contain_text("Nothing was changed")
        await expect(alert.locator('li[data-server="smtp"]')).to_contain_text("password was refused")
        await expect(alert.locator('li[data-server="imap"]')).to_contain_text("password was refused")
        await expect(alert).to_be_focused()
        await expect(field).to_be_visible()
        await expect(field).to_have_value("a-wrong-password")
        await expect(row).to_have_attribute("data-status", "disconnected")
        await page.wait_for_timeout(2500)  # one poll later: still disconnected, the alert and the field are kept
        await expect(row).to_have_attribute("data-status", "disconnected")
        await expect(alert).to_be_visible()
        _, got = await w.suite.call("GET", f"/api/v1/inboxes/{inbox['id']}", auth)
        assert got["status"] == "disconnected", got
        await shots(page, "inbox-wrong-password")

        # The same page on a 375 px wide phone: nothing wider than the screen.
        await page.set_viewport_size({"width": 375, "height": 740})
        assert await page.evaluate("document.documentElement.scrollWidth") <= 375
        await shots(page, "inbox-wrong-password-phone")
        await page.set_viewport_size({"width": 1100, "height": 900})

        # Check now (T7: a refused password is not tried again by itself): one probe, still disconnected.
        await row.get_by_role("button", name=f"Check {USER} now").click()
        await expect(row.locator(".check-out")).to_have_text("Checked: disconnected.", timeout=WAIT_MS)
        await expect(row).to_have_attribute("data-status", "disconnected")

        # The new password: connected, the alert is gone.
        await field.fill(NEW_PASSWORD)
        await field.press("Enter")
        await expect(row).to_have_attribute("data-status", "connected", timeout=WAIT_MS)
        await expect(row.locator(".badge")).to_have_text("Connected")
        await expect(row.get_by_role("alert")).to_have_count(0)
        await expect(page.get_by_role("status")).to_contain_text(f"{USER} is connected")
        await expect(field).to_have_value("")
        _, got = await w.suite.call("GET", f"/api/v1/inboxes/{inbox['id']}", auth)
        assert got["status"] == "connected", got
        await shots(page, "inbox-reconnected")
        assert errors == []
    finally:
        await context.close()


async def test_sign_in_with_a_provider_shows_the_apis_refusal_inline(world: World, browser: Browser, shots) -> None:
    w = world
    _, auth = await w.suite.new_workspace()
    smtp = {"host": "127.0.0.1", "port": w.smtp_port, "security": "none", "username": USER, "password": OLD_PASSWORD}
    status, inbox = await w.suite.call(
        "POST",
        "/api/v1/inboxes",
        auth,
        json={"email": USER, "smtp": smtp, "imap": {**smtp, "port": 1}, "timezone": "Europe/Paris"},
    )
    assert status == 201, inbox
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await page.goto(w.suite.base_url + "/")
        await page.get_by_label("API token", exact=True).fill(auth["Authorization"].split()[1])
        await page.get_by_role("button", name="Sign in", exact=True).click()
        await expect(page.get_by_role("heading", name="Campaigns")).to_be_visible()
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Inboxes").click()
        row = page.locator(f'[data-inbox-id="{inbox["id"]}"]')
        await expect(row.get_by_role("button", name="Sign in with Microsoft")).to_be_visible()
        # The world configures no OAuth client: the API's error is shown inline, no tab opens.
        await row.get_by_role("button", name="Sign in with Google").click()
        alert = row.get_by_role("alert")
        await expect(alert).to_be_visible()
        status, refused = await w.suite.call(
            "POST", f"/api/v1/inboxes/{inbox['id']}/oauth/start", auth, json={"provider": "google"}
        )
        assert status >= 400, refused
        await expect(alert).to_have_attribute("data-code", refused["error"]["code"])
        await expect(alert).not_to_contain_text(refused["error"]["code"])  # the code stays out of the copy
        await shots(page, "inbox-oauth-refused")
        assert errors == []
    finally:
        await context.close()
