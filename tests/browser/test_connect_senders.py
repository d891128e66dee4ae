"""Connecting senders in the browser: an inbox added through the form (presets fill the servers, bad input is
refused in place, the inbox appears connected), Google sign-in coming back to the Inboxes page (never JSON), and
the hosted LinkedIn reconnect coming back to the accounts page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import asyncpg
import pytest
from aiohttp import web
from playwright.async_api import Browser, expect

from sandbox.imap import SandboxImap
from sandbox.oauth import STATE as OAUTH_STATE
from sandbox.oauth import create_app as create_oauth
from sandbox.smtp import SandboxSmtp
from sandbox.unipile import SandboxState
from services.common.clock import ManualClock
from tests.browser.helpers import no_axe_violations, raw_codes, sign_in
from tests.conftest import create_database, start_suite
from tests.e2e.conftest import MONDAY_0800_PARIS, SENDER, SENDER_PASSWORD, World, setup_campaign

PRESET_SERVERS = {
    "Outlook / Microsoft 365": ("smtp.office365.com", "587", "starttls", "outlook.office365.com", "993", "ssl"),
    "Zoho Mail": ("smtp.zoho.com", "465", "ssl", "imap.zoho.com", "993", "ssl"),
    "Fastmail": ("smtp.fastmail.com", "465", "ssl", "imap.fastmail.com", "993", "ssl"),
    "Gmail / Google Workspace": ("smtp.gmail.com", "465", "ssl", "imap.gmail.com", "993", "ssl"),
}
FIELDS = ("#smtp-host", "#smtp-port", "#smtp-security", "#imap-host", "#imap-port", "#imap-security")


async def test_add_an_inbox_with_presets_refusals_in_place_and_the_live_api(
    live_login_world: World, imap: SandboxImap, browser: Browser
) -> None:
    w = live_login_world
    imap_port = imap._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    _, auth = await w.suite.new_workspace()
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, timezone_id="Europe/Paris")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await sign_in(page, w.suite.base_url, auth)
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Inboxes").click()
        await expect(page.get_by_text("No inboxes yet.")).to_be_visible()
        await page.get_by_role("link", name="Add inbox").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Add an inbox")
        # Each preset fills both servers and says how to get an app password.
        for label, expected in PRESET_SERVERS.items():
            await page.get_by_role("radio", name=label).check()
            assert tuple([await page.locator(f).input_value() for f in FIELDS]) == expected, label
        await expect(page.locator("#preset-help")).to_contain_text("App passwords")
        await expect(page.get_by_label("Timezone of the inbox")).to_have_value("Europe/Paris")
        await page.get_by_role("radio", name="Other").check()
        await expect(page.locator("#smtp-host")).to_have_value("")
        await expect(page.locator("#servers")).to_have_attribute("open", "")
        await no_axe_violations(page, "add inbox, other provider")

        await page.get_by_label("Email address", exact=True).fill(SENDER)
        await page.get_by_label("App password").fill(SENDER_PASSWORD)
        await page.get_by_label("Timezone of the inbox").fill("Mars/Olympus")
        submit = page.get_by_role("button", name="Check and add the inbox")
        await submit.click()
        await expect(page.get_by_role("alert")).to_contain_text("Choose a timezone from the list")
        await expect(page.get_by_label("Timezone of the inbox")).to_be_focused()
        await page.get_by_label("Timezone of the inbox").fill("Europe/Paris")
        for kind, port in (("smtp", w.smtp_port), ("imap", 70000)):
            await page.locator(f"#{kind}-host").fill("127.0.0.1")
            await page.locator(f"#{kind}-port").fill(str(port))
            await page.locator(f"#{kind}-security").select_option("none")
        await submit.click()  # the API refuses the port and names the field: it is focused, nothing was added
        await expect(page.get_by_role("alert")).to_have_text("IMAP port must be 1 to 65535.")
        await expect(page.locator("#imap-port")).to_be_focused()
        await expect(page.locator("#imap-port")).to_have_attribute("aria-invalid", "true")
        await no_axe_violations(page, "add inbox refused")
        _, listed = await w.suite.call("GET", "/api/v1/inboxes", auth)
        assert listed["inboxes"] == []
        await page.locator("#imap-port").fill(str(imap_port))
        # A wrong app password: both logins are tried before anything is saved, and the failure names them.
        await page.get_by_label("App password").fill("not-the-password")
        await submit.click()
        refused = page.locator('#inbox-out [role="alert"]')
        await expect(refused).to_contain_text("Not added: the SMTP and IMAP login failed.", timeout=15_000)
        await expect(refused.locator('li[data-server="smtp"]')).to_contain_text("the password was refused")
        await expect(refused).to_be_focused()
        await no_axe_violations(page, "add inbox, login failed")
        _, listed = await w.suite.call("GET", "/api/v1/inboxes", auth)
        assert listed["inboxes"] == []
        await page.get_by_label("App password").fill(SENDER_PASSWORD)
        await submit.click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Email inboxes")
        await expect(page.locator("#status-line")).to_have_text(f"{SENDER} is added.")
        _, listed = await w.suite.call("GET", "/api/v1/inboxes", auth)
        (inbox,) = listed["inboxes"]
        assert (inbox["email"], inbox["timezone"], inbox["smtp"]["port"], inbox["imap"]["port"]) == (
            SENDER,
            "Europe/Paris",
            w.smtp_port,
            imap_port,
        ), inbox
        row = page.locator(f'[data-inbox-id="{inbox["id"]}"]')
        await expect(row).to_have_attribute("data-status", "connected")
        assert await raw_codes(page) == []
        await no_axe_violations(page, "inbox added")
        assert errors == []
    finally:
        await context.close()


@pytest.fixture
async def oauth_world(pg_dsn) -> AsyncIterator[World]:
    """A suite whose Google sign-in is the OAuth sandbox (as under `make run`)."""
    async with AsyncExitStack() as stack:
        clock = ManualClock(MONDAY_0800_PARIS)
        app = create_oauth("google", "google-client-id", "google-client-secret")
        app[OAUTH_STATE].clock = clock.now
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        smtp = SandboxSmtp()
        smtp.trust_oauth(app[OAUTH_STATE])
        smtp_port = await smtp.start()
        stack.push_async_callback(smtp.stop)
        dsn = await create_database(pg_dsn)
        suite = await start_suite(
            dsn,
            stack,
            clock,
            HOLDFAST_PUBLIC_URL="http://127.0.0.1:1",
            HOLDFAST_GOOGLE_CLIENT_ID="google-client-id",
            HOLDFAST_GOOGLE_CLIENT_SECRET="google-client-secret",
            HOLDFAST_GOOGLE_AUTH_URL=f"{url}/authorize",
            HOLDFAST_GOOGLE_TOKEN_URL=f"{url}/token",
            HOLDFAST_GOOGLE_SMTP=f"127.0.0.1:{smtp_port}",
            HOLDFAST_GOOGLE_SMTP_SECURITY="none",
        )
        db = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
        stack.push_async_callback(db.close)
        yield World(suite, clock, SandboxState("unused"), "", smtp, smtp_port, db)


async def test_google_sign_in_comes_back_to_the_inboxes_page(oauth_world: World, browser: Browser) -> None:
    w = oauth_world
    _, auth = await w.suite.new_workspace()
    placeholder = {"host": "127.0.0.1", "port": 1, "security": "none", "username": SENDER, "password": "unused-1"}
    status, inbox = await w.suite.call(
        "POST",
        "/api/v1/inboxes",
        auth,
        json={"email": SENDER, "smtp": placeholder, "imap": placeholder, "timezone": "Europe/Paris"},
    )
    assert status == 201, inbox
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    try:
        await sign_in(page, w.suite.base_url, auth)
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Inboxes").click()
        row = page.locator(f'[data-inbox-id="{inbox["id"]}"]')
        async with context.expect_page() as opened:
            await row.get_by_role("button", name="Sign in with Google").click()
        back = await opened.value
        # The provider consents at once and sends the browser back: the Inboxes page, not the API's JSON.
        await expect(back.get_by_role("heading", level=1)).to_have_text("Email inboxes")
        assert back.url == f"{w.suite.base_url}/#/inboxes"
        await expect(back.locator("#status-line")).to_have_text(f"{SENDER} is connected with Google.")
        await expect(back.locator(f'[data-inbox-id="{inbox["id"]}"]')).to_contain_text("Signed in with Google")
        _, got = await w.suite.call("GET", f"/api/v1/inboxes/{inbox['id']}", auth)
        assert (got["auth_kind"], got["status"]) == ("google_oauth", "connected"), got
        # The same address again (the code is single use): refused in words on the page, never JSON.
        await back.goto(back.url.replace("/#/inboxes", "/oauth/return?state=used&code=used"))
        await expect(back.get_by_role("heading", level=1)).to_have_text("Email inboxes")
        await expect(back.locator("#error-line")).to_contain_text("The sign-in was not completed")
        await no_axe_violations(back, "sign-in refused")
        await back.goto(f"{w.suite.base_url}/oauth/return?error=access_denied")
        await expect(back.locator("#error-line")).to_contain_text("the provider did not give access")
    finally:
        await context.close()


async def test_the_hosted_reconnect_comes_back_to_the_accounts_page(world: World, browser: Browser) -> None:
    w = world
    s = await setup_campaign(w, 1, [{"channel": "linkedin", "action": "invite", "text": ""}])
    _, got = await w.suite.call("GET", f"/api/v1/linkedin-accounts/{s.linkedin_account_id}", s.auth)
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        # Where Unipile's success_redirect_url points (the accounts service's PUBLIC_URL + this path).
        await page.goto(f"{w.suite.base_url}/linkedin-accounts/{s.linkedin_account_id}?reconnected=1")
        await expect(page.get_by_role("heading", level=1)).to_have_text("LinkedIn accounts")
        await expect(page.locator("#returned")).to_have_text(
            f"Back from the reconnect page: {got['name']} is connected. Its campaigns resume by themselves.",
            use_inner_text=True,
        )
        await expect(page.get_by_role("link", name="LinkedIn accounts")).to_have_attribute("aria-current", "page")
        await no_axe_violations(page, "back from reconnect")
        async with w.suite.http.get(f"{w.suite.base_url}/linkedin-accounts/not%20an%20id", allow_redirects=False) as r:
            assert (r.status, r.headers["Location"]) == (302, "/#/accounts")
    finally:
        await context.close()


async def test_add_a_linkedin_account_connected_in_unipile(world: World, browser: Browser) -> None:
    w = world
    _, auth = await w.suite.new_workspace()
    async with w.suite.http.post(f"{w.unipile_url}/_sandbox/accounts", json={"id": "acc-dayone", "name": "Ana"}) as r:
        assert r.status < 300  # connected at Unipile (its hosted page or dashboard), not yet known to Holdfast
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, timezone_id="Europe/Paris")
    page = await context.new_page()
    try:
        await sign_in(page, w.suite.base_url, auth)
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="LinkedIn accounts").click()
        await expect(page.get_by_text("No LinkedIn accounts yet.")).to_be_visible()
        await page.get_by_text("Add an account already connected in Unipile").click()
        add = page.get_by_role("button", name="Add the account")
        await add.click()
        await expect(page.locator("#account-out [role=alert]")).to_have_text("Enter the Unipile account id.")
        await expect(page.get_by_label("Unipile account id")).to_be_focused()
        await no_axe_violations(page, "add account refused")
        await page.get_by_label("Unipile account id").fill("acc-dayone")
        await page.get_by_label("Name (shown in Holdfast)").fill("Ana's LinkedIn")
        await add.click()
        await expect(page.locator("#status-line")).to_have_text("Ana's LinkedIn is added: connected.")
        card = page.locator("li[data-account-id]")
        await expect(card).to_have_attribute("data-status", "connected")
        await expect(card.get_by_role("heading", name="Ana's LinkedIn")).to_be_visible()
        _, listed = await w.suite.call("GET", "/api/v1/linkedin-accounts", auth)
        (account,) = listed["linkedin_accounts"]
        assert (account["unipile_account_id"], account["timezone"]) == ("acc-dayone", "Europe/Paris"), account
    finally:
        await context.close()
