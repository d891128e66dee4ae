"""Connect LinkedIn account in the browser: the accounts page asks for a Unipile hosted-auth link, opens it in a
new tab, and once the user has signed in on the (sandbox) hosted page the new account appears on the page by
itself."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.helpers import no_axe_violations, raw_codes, sign_in
from tests.e2e.conftest import World


async def test_connect_a_linkedin_account_through_the_hosted_page(world: World, browser: Browser) -> None:
    w = world
    _, auth = await w.suite.new_workspace()
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, timezone_id="Europe/Paris")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await sign_in(page, w.suite.base_url, auth)
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="LinkedIn accounts").click()
        await expect(page.get_by_text("No LinkedIn accounts yet.")).to_be_visible()
        connect = page.get_by_role("button", name="Connect LinkedIn account")
        await connect.click()  # no name: refused in place, nothing asked of Unipile
        await expect(page.locator("#connect-out [role=alert]")).to_have_text("Give the account a name.")
        await expect(page.get_by_label("Account name")).to_be_focused()
        assert w.unipile.hosted_links == {}
        await no_axe_violations(page, "connect refused")

        await page.get_by_label("Account name").fill("Jane's LinkedIn")
        async with page.expect_popup() as opened:
            await connect.click()
        hosted_tab = await opened.value
        [hosted] = w.unipile.hosted_links.values()
        assert hosted.type == "create"
        await expect(page.locator("#connect-waiting")).to_contain_text("LinkedIn's sign-in opened in a new tab")
        await expect(page.locator("#connect-link")).to_have_attribute("href", hosted_tab.url)
        await no_axe_violations(page, "connect waiting")
        # This test gateway is not HOLDFAST_PUBLIC_URL: send Unipile's notification and the way back to it.
        hosted.notify_url = f"{w.suite.base_url}/webhooks/unipile/connected"
        hosted.success_redirect_url = f"{w.suite.base_url}/#/accounts?connected=1"
        await expect(hosted_tab.get_by_role("heading", name="Connect a LinkedIn account")).to_be_visible()
        await hosted_tab.get_by_role("button", name="Connect").click()  # the user signs in to LinkedIn
        await expect(hosted_tab.get_by_role("heading", level=1)).to_have_text("LinkedIn accounts")
        await expect(hosted_tab.locator("#reconnect-out")).to_contain_text("Back from LinkedIn's sign-in")
        # The page that started it shows the new account without a reload.
        card = page.locator("li[data-account-id]")
        await expect(card.get_by_role("heading", name="Jane's LinkedIn")).to_be_visible()
        await expect(card).to_have_attribute("data-status", "connected")
        await expect(page.locator("#connected")).to_have_text(
            "Jane's LinkedIn is added: connected. Campaigns can now send from it.", use_inner_text=True
        )
        await expect(page.get_by_label("Account name")).to_have_value("")
        _, listed = await w.suite.call("GET", "/api/v1/linkedin-accounts", auth)
        [account] = listed["linkedin_accounts"]
        assert (account["name"], account["timezone"], account["status"]) == (
            "Jane's LinkedIn",
            "Europe/Paris",
            "connected",
        )
        await no_axe_violations(page, "connected")
        assert await raw_codes(page) == []
        assert errors == []
    finally:
        await context.close()
