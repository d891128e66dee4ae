"""The Members, API tokens, Webhooks and Audit log pages in Chromium against the real suite: an owner is told an
invitation cannot be emailed without a system SMTP server, changes a role and removes a member, creates a token
whose secret is shown once and works, revokes it; adds a webhook
endpoint with chosen events (secret shown once), sees it flagged when Holdfast disabled it after a 410, enables
it, lists its deliveries and replays one with the same webhook-id, rotates its secret and deletes it; reads the
audit log paged and filtered by who, what and when. A viewer sees the same pages with every control it may not
use hidden or disabled, naming the role it needs. axe-core finds no violation of any impact on each page, and a
token is created with the keyboard alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from playwright.async_api import Browser, Page, expect

from sandbox.serving import serve
from tests.browser.conftest import _world
from tests.browser.helpers import no_axe_violations, raw_codes, sign_in
from tests.e2e.conftest import SCHEDULE, World
from tests.integration.test_outbound_webhooks import Receiver, until
from tests.integration.test_roles import add_member


@pytest.fixture
async def hooks_world(pg_dsn) -> AsyncIterator[World]:
    """The e2e world whose webhooks may go to this machine (a local receiver), delivered at once."""
    async for made in _world(pg_dsn, HOLDFAST_WEBHOOKS_ALLOW_PRIVATE="true", HOLDFAST_WEBHOOK_DELIVERY_SECONDS="0.05"):
        yield made


async def open_page(browser: Browser, errors: list[str]) -> Page:
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, timezone_id="UTC")
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


async def go(page: Page, link: str, heading: str) -> None:
    await page.get_by_role("navigation", name="Main").get_by_role("link", name=link, exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(heading)


async def test_an_owner_manages_members_tokens_webhooks_and_reads_the_audit_log(
    hooks_world: World, browser: Browser
) -> None:
    w = hooks_world
    _, owner = await w.suite.new_workspace("Team")
    viewer_id, _ = await add_member(w.suite, owner, "viewer", ["read"])
    errors: list[str] = []
    page = await open_page(browser, errors)
    async with AsyncExitStack() as stack:
        receiver = Receiver(answer=410)
        receiver.url = await serve(receiver.app(), stack) + "/hook"
        await sign_in(page, w.suite.base_url, owner)

        # Members: the viewer becomes a member, then is removed.
        await go(page, "Members", "Members")
        row = page.locator(f"tr[data-member-id='{viewer_id}']")
        await expect(row).to_have_attribute("data-role", "viewer")
        await expect(page.get_by_text("You are owner here.")).to_be_visible()
        await no_axe_violations(page, "members")
        # Invited through the form: an empty address is refused in place; with no system SMTP server set here,
        # the invitation is refused in words (the emailed flow: tests/browser/test_invite_and_transfer.py).
        await page.get_by_role("button", name="Send invitation").click()
        await expect(page.locator("#add-out [role=alert]")).to_have_text("Enter the new member's email address.")
        await expect(page.get_by_label("Email address")).to_be_focused()
        await page.get_by_label("Email address").fill("newcomer@acme.example")
        await page.locator("#member-role").select_option("admin")
        await page.get_by_role("button", name="Send invitation").click()
        await expect(page.locator("#add-out [role=alert]")).to_contain_text("Holdfast cannot send email here")
        await expect(page.locator("#pending")).to_have_text("No invitation is waiting to be accepted.")
        await no_axe_violations(page, "invitation refused")
        email = (await row.locator("th").text_content() or "").strip()
        await page.get_by_label(f"Role of {email}").select_option("member")
        await expect(page.locator("#status-line")).to_have_text(f"{email} is now member.")
        await expect(row).to_have_attribute("data-role", "member")
        _, ws = await w.suite.call("GET", "/api/v1/workspace", owner)
        assert {m["id"]: m["role"] for m in ws["members"]}[viewer_id] == "member"
        await page.get_by_role("button", name=f"Remove {email}").click()
        await page.get_by_role("button", name=f"Confirm: remove {email}").click()
        await expect(page.locator("#status-line")).to_have_text(
            f"{email} was removed; their API tokens no longer work."
        )
        await expect(row).to_have_count(0)
        assert await raw_codes(page) == []

        # Tokens: created with scopes, the secret shown once and working; revoked, it stops.
        await go(page, "API tokens", "API tokens")
        await no_axe_violations(page, "tokens")
        await page.get_by_label("Name").fill("CRM sync")
        await page.get_by_label("Write: also pauses").check()
        await page.get_by_role("button", name="Create token").click()
        secret_box = page.get_by_role("textbox", name="The new token:")
        await expect(secret_box).to_be_focused()
        secret = await secret_box.input_value()
        assert secret.startswith("hf_")
        await no_axe_violations(page, "token created")
        status, _ = await w.suite.call("GET", "/api/v1/campaigns", {"Authorization": f"Bearer {secret}"})
        assert status == 200
        status, listed = await w.suite.call("GET", "/api/v1/tokens", owner)
        crm = next(t for t in listed["tokens"] if t["name"] == "CRM sync")
        assert crm["scopes"] == ["read", "write"] and "secret" not in crm
        await page.get_by_role("button", name="Revoke CRM sync").click()
        await page.get_by_role("button", name="Confirm: revoke CRM sync").click()
        await expect(page.locator("#status-line")).to_have_text("The token CRM sync was revoked: it no longer works.")
        await expect(page.locator(f"tr[data-token-id='{crm['id']}'] td[data-label=State]")).to_contain_text("Revoked")
        # The secret stays on screen until the page is left.
        await expect(page.get_by_role("textbox", name="The new token:")).to_have_count(1)
        for _ in range(40):  # the gateway forgets a revoked token's principal at once; allow its cache a moment
            status, _ = await w.suite.call("GET", "/api/v1/campaigns", {"Authorization": f"Bearer {secret}"})
            if status == 401:
                break
            await asyncio.sleep(0.1)
        assert status == 401

        # Webhooks: an endpoint with two events; its secret shown once.
        await go(page, "Webhooks", "Webhooks")
        await expect(page.get_by_text("No endpoints yet.")).to_be_visible()
        await no_axe_violations(page, "webhooks empty")
        await page.get_by_role("button", name="Add endpoint").click()
        await expect(page.locator("#hook-out [role=alert]")).to_have_text("Enter the endpoint's http or https URL.")
        await page.get_by_label("URL").fill(receiver.url)
        await page.get_by_role("button", name="Add endpoint").click()
        await expect(page.locator("#hook-out [role=alert]")).to_have_text("Choose at least one event.")
        await page.get_by_label("Campaign paused").check()
        await page.get_by_label("Prospect replied").check()
        await page.get_by_role("button", name="Add endpoint").click()
        signing = page.get_by_role("textbox", name="The endpoint's signing secret:")
        await expect(signing).to_be_focused()
        assert (await signing.input_value()).startswith("whsec_")
        _, endpoints = await w.suite.call("GET", "/api/v1/webhook-endpoints", owner)
        (endpoint,) = endpoints["endpoints"]
        assert sorted(endpoint["events"]) == ["campaign.paused", "prospect.replied"]
        await no_axe_violations(page, "endpoint added")

        # A campaign pauses; the receiver answers 410: Holdfast disables the endpoint, and the page says so.
        account = await w.suite.linkedin_account(owner)
        status, campaign = await w.suite.call(
            "POST",
            "/api/v1/campaigns",
            owner,
            json={
                "name": "Hooked",
                "schedule": SCHEDULE,
                "steps": [{"channel": "linkedin", "action": "invite"}],
                "senders": {"linkedin_account_ids": [account]},
            },
        )
        assert status == 201, campaign
        assert (await w.suite.call("POST", f"/api/v1/campaigns/{campaign['id']}/activate", owner, json={}))[0] == 200
        assert (await w.suite.call("POST", f"/api/v1/campaigns/{campaign['id']}/pause", owner, json={}))[0] == 200
        await until(lambda: len(receiver.got) == 1, "the 410")
        notice = page.locator(f"#disabled-notices [data-disabled='{endpoint['id']}']")
        await expect(notice).to_contain_text("Holdfast disabled the endpoint")
        await expect(notice).to_contain_text("the endpoint answered 410 Gone")
        card = page.locator(f"li[data-endpoint-id='{endpoint['id']}']")
        await expect(card).to_have_attribute("data-enabled", "false")
        await no_axe_violations(page, "endpoint disabled")
        receiver.answer = 200
        await page.get_by_role("button", name=f"Enable {receiver.url}").click()
        await expect(page.locator("#status-line")).to_have_text(
            "Endpoint enabled: its waiting deliveries are sent again."
        )
        await expect(card).to_have_attribute("data-enabled", "true")
        await expect(notice).to_have_count(0)
        await until(lambda: len(receiver.acknowledged()) == 1, "the held delivery")

        # Deliveries, and a replay with the same webhook-id.
        await page.get_by_role("button", name=f"Deliveries to {receiver.url}").click()
        await expect(page.get_by_role("heading", name="Deliveries")).to_be_focused()
        delivery = page.locator("#deliveries tbody tr")
        await expect(delivery).to_have_count(1)
        await expect(delivery).to_have_attribute("data-status", "delivered")
        await expect(delivery.locator("th")).to_have_text("Campaign paused")
        await no_axe_violations(page, "deliveries")
        await delivery.get_by_role("button", name="Replay").click()
        await expect(page.locator("#status-line")).to_have_text("Sent again, with the same webhook id.")
        await until(lambda: len(receiver.acknowledged()) == 2, "the replay")
        assert receiver.got[-1][0]["webhook-id"] == receiver.got[0][0]["webhook-id"]
        assert await raw_codes(page) == []

        # Rotate: a new secret shown once; delete.
        await page.get_by_role("button", name=f"Rotate secret of {receiver.url}").click()
        rotated = page.get_by_role("textbox", name="The new signing secret:")
        await expect(rotated).to_be_focused()
        assert (await rotated.input_value()).startswith("whsec_")
        assert await rotated.input_value() != await signing.input_value()
        await page.get_by_role("button", name=f"Delete {receiver.url}").click()
        await page.get_by_role("button", name=f"Confirm: delete {receiver.url}").click()
        await expect(page.get_by_text("No endpoints yet.")).to_be_visible()
        assert (await w.suite.call("GET", "/api/v1/webhook-endpoints", owner))[1]["endpoints"] == []

        # Audit: everything above, newest first, paged and filtered.
        for i in range(20):
            assert (
                await w.suite.call(
                    "POST",
                    "/api/v1/suppressions",
                    owner,
                    json={"entries": [{"type": "email", "value": f"s{i}@x.example"}]},
                )
            )[0] == 200
        await go(page, "Audit log", "Audit log")
        rows = page.locator("#audit tbody tr")
        await expect(rows).to_have_count(25)
        await expect(rows.first).to_have_attribute("data-action", "add_suppressions")
        await no_axe_violations(page, "audit")
        newer = await rows.evaluate_all("rs => rs.map(r => r.dataset.action)")
        await page.get_by_role("button", name="Older changes").click()
        await expect(rows.first).not_to_have_attribute("data-action", "add_suppressions")
        older = await rows.evaluate_all("rs => rs.map(r => r.dataset.action)")
        assert newer[:4] == ["add_suppressions"] * 4 and len(newer) + len(older) > 25
        assert {
            "disable_webhook_endpoint",
            "create_token",
            "revoke_token",
            "remove_member",
            "change_member_role",
            "create_endpoint",
            "update_endpoint",
            "replay_delivery",
            "rotate_secret",
            "delete_endpoint",
        } <= set(newer + older)
        await page.get_by_role("button", name="Newer changes").click()
        await expect(rows).to_have_count(25)

        await page.get_by_label("Who").select_option(label="Holdfast itself")
        await page.get_by_role("button", name="Apply filters").click()
        await expect(rows).to_have_count(1)
        await expect(rows.first.locator("td[data-label=Who]")).to_have_text("Holdfast")
        await expect(rows.first.locator("th")).to_have_text("Disabled a failing webhook endpoint")
        await expect(rows.first.locator("td[data-label=Details]")).to_contain_text("the endpoint answered 410 Gone")
        await page.get_by_label("Who").select_option("")
        await page.get_by_label("What").select_option(label="Changed a member's role")
        await page.get_by_role("button", name="Apply filters").click()
        await expect(rows).to_have_count(1)
        await expect(rows.first.locator("td[data-label=Details]")).to_have_text("Role: member")
        day = w.clock.now().date()
        await page.get_by_label("What").select_option("")
        await page.get_by_label("From (day)").fill(day.isoformat())
        await page.get_by_label("To (day, included)").fill(day.isoformat())
        await page.get_by_role("button", name="Apply filters").click()
        await expect(rows).to_have_count(25)
        await page.get_by_label("From (day)").fill(day.replace(day=day.day - 1).isoformat())
        await page.get_by_label("To (day, included)").fill(day.replace(day=day.day - 1).isoformat())
        await page.get_by_role("button", name="Apply filters").click()
        await expect(page.get_by_text("No change matches these filters.")).to_be_visible()
        await no_axe_violations(page, "audit filtered")
        assert await raw_codes(page) == []
    assert errors == []


async def test_a_viewer_sees_each_page_with_what_it_may_not_use_hidden_or_disabled(
    hooks_world: World, browser: Browser
) -> None:
    w = hooks_world
    _, owner = await w.suite.new_workspace("Team")
    _, viewer = await add_member(w.suite, owner, "viewer", ["read"])
    errors: list[str] = []
    page = await open_page(browser, errors)
    await sign_in(page, w.suite.base_url, viewer)
    await go(page, "Members", "Members")
    await expect(page.get_by_text("You are viewer here.")).to_be_visible()
    await expect(page.locator("[data-needs-role=admin]")).to_contain_text("Needs the Admin role or higher.")
    await expect(page.get_by_role("button", name="Send invitation")).to_have_count(0)
    await expect(page.locator("#pending-slot, #transfer-slot")).to_have_text(["", ""])
    await expect(page.locator("#members select")).to_have_count(0)
    removes = page.locator("#members button", has_text="Remove")
    await expect(removes).to_have_count(1)  # the viewer itself; the owner has none
    await expect(removes).to_be_disabled()
    await expect(removes).to_have_attribute("title", "Needs the Admin role or higher.")
    await no_axe_violations(page, "members as viewer")
    for link, heading in (("API tokens", "API tokens"), ("Webhooks", "Webhooks"), ("Audit log", "Audit log")):
        await go(page, link, heading)
        await expect(page.locator("[data-needs-role=admin]")).to_contain_text("Needs the Admin role or higher.")
        await expect(page.locator("main form")).to_have_count(0)
        await expect(page.locator("main table")).to_have_count(0)
        await no_axe_violations(page, f"{link} as viewer")
        assert await raw_codes(page) == []
    assert errors == []


async def test_a_token_is_created_with_the_keyboard_alone(hooks_world: World, browser: Browser) -> None:
    w = hooks_world
    _, owner = await w.suite.new_workspace("Team")
    errors: list[str] = []
    page = await open_page(browser, errors)
    await sign_in(page, w.suite.base_url, owner)
    await page.goto(w.suite.base_url + "/#/tokens")
    await expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    await expect(page.get_by_label("Name")).to_be_visible()
    focused = "document.activeElement.id"
    # From the page's heading (focused by the route), Tab walks the form in reading order.
    await page.get_by_role("heading", level=1).focus()
    await page.keyboard.press("Tab")
    assert await page.evaluate(focused) == "token-name"
    await page.keyboard.type("Keyboard")
    await page.keyboard.press("Tab")
    assert await page.evaluate(focused) == "token-member"
    await page.keyboard.press("Tab")
    assert await page.evaluate(focused) == "scope-read"
    await page.keyboard.press("Tab")
    assert await page.evaluate(focused) == "scope-write"
    await page.keyboard.press("Space")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Space")  # admin too
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Create token"
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("textbox", name="The new token:")).to_be_focused()
    _, listed = await w.suite.call("GET", "/api/v1/tokens", owner)
    made = next(t for t in listed["tokens"] if t["name"] == "Keyboard")
    assert made["scopes"] == ["read", "write", "admin"]
    # Tab reaches Copy, then the new row's Revoke; Enter twice revokes it.
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.textContent") == "Copy"
    await page.get_by_role("button", name="Revoke Keyboard").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("button", name="Confirm: revoke Keyboard")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#status-line")).to_have_text("The token Keyboard was revoked: it no longer works.")
    await expect(page.locator("#tokens-h")).to_be_focused()
    await no_axe_violations(page, "token revoked by keyboard")
    assert errors == []
