"""Sign-in by email in Chromium against the real suite and a real SMTP server (the sandbox's, as the system SMTP
server): an emailed invitation accepted with a password, the session cookie (HttpOnly, SameSite=Lax) and the CSRF
header api.js sends with a change, sign-out, sign-in with a password and a refusal in words, an emailed sign-in link,
the password reset pages, and a session that expires on the virtual clock. axe finds nothing on each page."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, Page, expect

from sandbox.smtp import SandboxSmtp
from services.common.clock import ManualClock
from tests.browser.helpers import no_axe_violations
from tests.conftest import Suite, create_database, start_suite
from tests.sign_in_helpers import mails_to, signed_in, system_smtp, tokens_in

PASSWORD = "a long enough passphrase"


@dataclass
class Rig:
    suite: Suite
    smtp: SandboxSmtp
    clock: ManualClock
    owner: dict[str, str]


@pytest.fixture
async def rig(pg_dsn: str) -> AsyncIterator[Rig]:
    async with AsyncExitStack() as stack:
        smtp, env = await system_smtp(stack)
        clock = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
        suite = await start_suite(await create_database(pg_dsn), stack, clock, HOLDFAST_SESSION_HOURS="12", **env)
        _, owner = await suite.new_workspace("Browser Co")
        yield Rig(suite, smtp, clock, owner)


def last_token(rig: Rig, address: str) -> str:
    [token] = tokens_in(mails_to(rig.smtp, address)[-1])
    return token


async def campaigns_shown(page: Page) -> None:
    await expect(page.get_by_role("heading", level=1, name="Campaigns")).to_be_visible()


async def test_invitation_password_link_reset_and_expiry_in_the_browser(rig: Rig, browser: Browser) -> None:
    suite, address = rig.suite, f"bea-{uuid.uuid4().hex[:6]}@acme.example"
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        status, _ = await suite.call("POST", "/api/v1/invitations", rig.owner, json={"email": address, "role": "admin"})
        assert status == 201
        # The invitation's page: a mismatch is said in place, then the invitee joins with a password.
        await page.goto(f"{suite.base_url}/#/accept-invitation?token={last_token(rig, address)}")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Join your team on Holdfast")
        await no_axe_violations(page, "accept invitation")
        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        await page.get_by_label("Password again").fill(PASSWORD + "?")
        await page.get_by_role("button", name="Join with this password").click()
        await expect(page.get_by_role("alert")).to_contain_text("The two passwords differ")
        await page.get_by_label("Password again").fill(PASSWORD)
        await page.get_by_role("button", name="Join with this password").click()
        await campaigns_shown(page)
        cookies = {c["name"]: c for c in await context.cookies()}
        assert cookies["holdfast_session"]["httpOnly"] and cookies["holdfast_session"]["sameSite"] == "Lax"
        assert not cookies["holdfast_csrf"]["httpOnly"]
        assert await page.evaluate("document.cookie.includes('holdfast_session')") is False
        assert await page.evaluate("localStorage.getItem('holdfast.token')") is None

        # A change from the UI's API client carries the CSRF header (a fetch without it is refused).
        added = await page.evaluate("""async () => (await import('/ui/api.js')).api('POST', '/suppressions',
            {entries: [{type: 'email', value: 'csrf-ok@blocked.example'}]})""")
        assert added["added"] == 1
        refused = await page.evaluate("""async () => (await fetch('/api/v1/suppressions', {method: 'POST',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({entries: [{type: 'email', value: 'forged@blocked.example'}]})})).status""")
        assert refused == 403
        _, listed = await suite.call("GET", "/api/v1/suppressions", rig.owner)
        assert [s["value"] for s in listed["suppressions"]] == ["csrf-ok@blocked.example"]

        # Sign out (a change: the session is revoked), then sign in with the password; a wrong one is said in words.
        await page.get_by_role("button", name="Sign out").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Holdfast")
        await no_axe_violations(page, "sign in")
        _, audit = await suite.call("GET", "/api/v1/audit", rig.owner)
        assert "sign_out" in [e["action"] for e in audit["entries"]]
        await page.get_by_label("Email", exact=True).fill(address)
        await page.get_by_label("Password", exact=True).fill("not the password")
        await page.get_by_role("button", name="Sign in with password").click()
        await expect(page.locator("#password-result [role=alert]")).to_have_text(
            "This email and password do not match. Check them and try again."
        )
        await page.get_by_label("Password", exact=True).fill(PASSWORD)
        await page.get_by_role("button", name="Sign in with password").click()
        await campaigns_shown(page)

        # Your sessions: this browser's, and one opened elsewhere, which is revoked from here and stops at once.
        _, _, elsewhere = await signed_in(suite, "/api/v1/sign-in", {"email": address, "password": PASSWORD})
        assert elsewhere is not None
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Your sessions").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions")
        rows = page.locator("#sessions-out tbody tr")
        await expect(rows).to_have_count(2)
        await expect(rows.filter(has_text="(this browser)")).to_have_count(1)
        await no_axe_violations(page, "your sessions")
        await page.locator(f'tr[data-session="{elsewhere.session_id}"]').get_by_role("button", name="Revoke").click()
        await expect(page.get_by_role("status")).to_have_text("Session revoked.")
        await expect(rows).to_have_count(1)
        status, _ = await suite.call("GET", "/api/v1/me", elsewhere.headers(csrf=False))
        assert status == 401

        # An emailed sign-in link.
        await page.get_by_role("button", name="Sign out").click()
        await page.get_by_label("Email", exact=True).fill(address)
        await page.get_by_role("button", name="Email me a sign-in link").click()
        await expect(page.locator("#password-result [role=alert]")).to_contain_text("a sign-in link is on its way")
        await page.goto(f"{suite.base_url}/#/sign-in-link?token={last_token(rig, address)}")
        await campaigns_shown(page)

        # Forgot the password: a reset link by email, a new password, signed in.
        await page.get_by_role("button", name="Sign out").click()
        await page.get_by_role("link", name="Forgot your password?").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password")
        await no_axe_violations(page, "forgot password")
        await page.get_by_label("Email", exact=True).fill(address)
        await page.get_by_role("button", name="Email me a reset link").click()
        await expect(page.locator("#forgot-result [role=alert]")).to_contain_text("a reset link is on its way")
        await page.goto(f"{suite.base_url}/#/reset-password?token={last_token(rig, address)}")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
        await no_axe_violations(page, "reset password")
        await page.get_by_label("New password", exact=True).fill("the newer passphrase")
        await page.get_by_role("button", name="Set the new password").click()
        await campaigns_shown(page)

        # Twelve hours later the session has ended: the next poll shows the sign-in page, saying why.
        rig.clock.advance(timedelta(hours=12, seconds=1))
        await expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Holdfast", timeout=10_000)
        await expect(page.get_by_text("Your session ended: sign in again.")).to_be_visible()
        assert errors == []
    finally:
        await context.close()
