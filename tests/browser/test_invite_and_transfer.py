"""Inviting by email and handing over ownership from the Members page, in Chromium against the real suite and a
real SMTP server (the sandbox's, as the system SMTP server): the owner invites two people with chosen roles (the
invitation arrives in the sandbox, the page says it was emailed and lists it as pending), revokes one with a
confirm step (its link then refused), the other joins through the emailed link; the owner transfers ownership to
the newcomer with a confirm step and becomes an admin; the newcomer, in their own browser (session cookie), hands
it back, and the audit log names them by address, not as an API token. axe finds nothing at each step."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from sandbox.smtp import SandboxSmtp
from services.common.clock import ManualClock
from tests.browser.helpers import no_axe_violations, raw_codes, sign_in
from tests.conftest import Suite, create_database, start_suite
from tests.sign_in_helpers import mails_to, signed_in, system_smtp, tokens_in

PASSWORD = "a long enough passphrase"


@dataclass
class Rig:
    suite: Suite
    smtp: SandboxSmtp
    owner: dict[str, str]


@pytest.fixture
async def rig(pg_dsn: str) -> AsyncIterator[Rig]:
    async with AsyncExitStack() as stack:
        smtp, env = await system_smtp(stack)
        clock = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
        suite = await start_suite(await create_database(pg_dsn), stack, clock, **env)
        _, owner = await suite.new_workspace("Invite Co")
        yield Rig(suite, smtp, owner)


async def open_page(browser: Browser, errors: list[str]) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, timezone_id="UTC")
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page


async def members_page(page: Page) -> None:
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Members", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Members")


async def invite(page: Page, address: str, role: str) -> None:
    await page.get_by_label("Email address").fill(address)
    await page.locator("#member-role").select_option(role)
    await page.get_by_role("button", name="Send invitation").click()
    await expect(page.locator("#status-line")).to_have_text(f"An invitation was emailed to {address}.")


async def test_an_owner_invites_by_email_revokes_one_and_hands_over_ownership(rig: Rig, browser: Browser) -> None:
    suite = rig.suite
    newcomer, withdrawn = f"ada-{uuid.uuid4().hex[:6]}@acme.example", f"cy-{uuid.uuid4().hex[:6]}@acme.example"
    errors: list[str] = []
    owner_context, page = await open_page(browser, errors)
    newcomer_context, other = await open_page(browser, errors)
    try:
        await sign_in(page, suite.base_url, rig.owner)
        await members_page(page)
        await expect(page.locator("#pending")).to_have_text("No invitation is waiting to be accepted.")
        await expect(page.get_by_role("heading", name="Transfer ownership")).to_be_visible()
        await no_axe_violations(page, "members, nothing pending")

        # Two invitations: each emailed (in the sandbox), said on the page, listed as pending.
        await invite(page, newcomer, "admin")
        await expect(page.locator("#invite-sent")).to_contain_text(
            f"An invitation was emailed to {newcomer} to join as admin."
        )
        [mail] = mails_to(rig.smtp, newcomer)
        assert "Invite Co" in mail.subject and "as admin" in mail.body
        [token] = tokens_in(mail)
        await invite(page, withdrawn, "viewer")
        assert len(mails_to(rig.smtp, withdrawn)) == 1
        rows = page.locator("#pending tbody tr")
        await expect(rows).to_have_count(2)
        assert sorted(await rows.locator("th").all_text_contents()) == sorted([withdrawn, newcomer])
        await expect(rows.filter(has_text=withdrawn).locator("td[data-label=Role]")).to_have_text("Viewer")
        await expect(rows.filter(has_text=newcomer).locator("td[data-label=Role]")).to_have_text("Admin")
        await no_axe_violations(page, "invitations pending")

        # Revoked with a confirm step: gone from the list, and its link no longer works.
        await page.get_by_role("button", name=f"Revoke the invitation of {withdrawn}").click()
        await page.get_by_role("button", name=f"Confirm: revoke the invitation of {withdrawn}").click()
        await expect(page.locator("#status-line")).to_have_text(
            f"The invitation of {withdrawn} was revoked; its link no longer works."
        )
        await expect(rows).to_have_count(1)
        await expect(page.locator("#pending-h")).to_be_focused()
        [revoked_token] = tokens_in(mails_to(rig.smtp, withdrawn)[-1])
        status, refused, _ = await signed_in(
            suite, "/api/v1/invitations/accept", {"token": revoked_token, "password": PASSWORD}
        )
        assert status == 401 and refused["error"]["code"] == "link_invalid", refused

        # The newcomer joins through the emailed link in their own browser.
        await other.goto(f"{suite.base_url}/#/accept-invitation?token={token}")
        await other.get_by_label("Password", exact=True).fill(PASSWORD)
        await other.get_by_label("Password again").fill(PASSWORD)
        await other.get_by_role("button", name="Join with this password").click()
        await expect(other.get_by_role("heading", level=1, name="Campaigns")).to_be_visible()
        # The owner's page, polling, lists them as a member and no longer as pending.
        await expect(page.locator("#pending")).to_have_text("No invitation is waiting to be accepted.", timeout=10_000)
        await expect(page.locator("#members tbody tr[data-role=admin] th")).to_have_text(newcomer)

        # Transfer of ownership: choose, then confirm; the owner becomes an admin.
        _, ws = await suite.call("GET", "/api/v1/workspace", rig.owner)
        ids = {m["email"]: m["id"] for m in ws["members"]}
        owner_id = next(m["id"] for m in ws["members"] if m["role"] == "owner")
        await page.get_by_label("New owner").select_option(ids[newcomer])
        await page.get_by_role("button", name="Transfer ownership…").click()
        await expect(page.locator("#transfer-out")).to_contain_text("You will become an admin")
        confirm = page.get_by_role("button", name=f"Confirm: make {newcomer} the owner")
        await expect(confirm).to_be_visible()
        await no_axe_violations(page, "transfer confirm")
        _, still = await suite.call("GET", "/api/v1/workspace", rig.owner)
        assert {m["id"]: m["role"] for m in still["members"]}[owner_id] == "owner"  # nothing moved before confirming
        await confirm.click()
        await expect(page.locator("#status-line")).to_have_text(f"{newcomer} is now the owner; you are an admin.")
        await expect(page.get_by_text("You are admin here.")).to_be_visible()
        await expect(page.get_by_role("heading", name="Transfer ownership")).to_have_count(0)
        await expect(page.locator(f"tr[data-member-id='{ids[newcomer]}']")).to_have_attribute("data-role", "owner")
        await no_axe_violations(page, "ownership transferred")
        assert await raw_codes(page) == []

        # The new owner, signed in with a session, hands it back from their Members page.
        await members_page(other)
        await expect(other.get_by_text("You are owner here.")).to_be_visible()
        await other.get_by_label("New owner").select_option(owner_id)
        await other.get_by_role("button", name="Transfer ownership…").click()
        await other.get_by_role("button", name="Confirm: make").click()
        await expect(other.get_by_text("You are admin here.")).to_be_visible()
        _, back = await suite.call("GET", "/api/v1/workspace", rig.owner)
        assert {m["id"]: m["role"] for m in back["members"]} == {owner_id: "owner", ids[newcomer]: "admin"}

        # The audit log names the newcomer's browser change by address, the owner's by its token.
        await other.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log", exact=True).click()
        await expect(other.get_by_role("heading", level=1)).to_have_text("Audit log")
        transfers = other.locator("#audit tr[data-action=transfer_ownership] td[data-label=Who]")
        await expect(transfers).to_have_count(2)
        await expect(transfers.first).to_have_text(newcomer)
        await expect(transfers.nth(1)).to_contain_text("(API token)")
        invited = other.locator("#audit tr[data-action=create_invitation]")
        await expect(invited).to_have_count(2)
        await expect(other.locator("#audit tr[data-action=revoke_invitation] th")).to_have_text("Revoked an invitation")
        await no_axe_violations(other, "audit after the transfers")
        assert errors == []
    finally:
        await owner_context.close()
        await newcomer_context.close()
