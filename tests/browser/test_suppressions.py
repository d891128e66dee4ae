"""The Suppressions page in Chromium against the real suite: entries added (emails, a whole domain, a LinkedIn
profile URL), an invalid line refused in place naming its line with nothing written, search, remove, and the
whole list downloaded as CSV with the member's token."""

from __future__ import annotations

import asyncio
from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.helpers import no_axe_violations, raw_codes, sign_in
from tests.e2e.conftest import World


async def listed(w: World, auth) -> list[tuple[str, str, str]]:
    _, page = await w.suite.call("GET", "/api/v1/suppressions", auth)
    return sorted((s["type"], s["value"], s["source"]) for s in page["suppressions"])


async def test_list_add_search_remove_and_export_suppressions(world: World, browser: Browser) -> None:
    w = world
    _, auth = await w.suite.new_workspace()
    context = await browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await sign_in(page, w.suite.base_url, auth)
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Suppressions").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Suppressions")
        await expect(page.get_by_text("The suppression list is empty.")).to_be_visible()
        await no_axe_violations(page, "suppressions empty")

        values = page.get_by_label("Values, one a line")
        add = page.get_by_role("button", name="Add to the suppression list")
        await values.fill("ann@x.example\nnot an address")
        await add.click()  # the API refuses the second line: named, focused, nothing written
        await expect(page.locator("#suppress-out [role=alert]")).to_have_text(
            "Line 2 (not an address) is not a valid email."
        )
        await expect(values).to_be_focused()
        await expect(values).to_have_attribute("aria-invalid", "true")
        assert await listed(w, auth) == []
        await no_axe_violations(page, "suppression refused")

        await values.fill("Ann@X.example\nbob@y.example\n")
        await add.click()
        await expect(page.locator("#status-line")).to_have_text("2 entries added to the suppression list.")
        await page.get_by_label("Kind").select_option("domain")
        await values.fill("competitor.example")
        await add.click()
        await expect(page.locator("#status-line")).to_have_text("1 entry added to the suppression list.")
        await page.get_by_label("Kind").select_option("linkedin")
        await values.fill("https://www.linkedin.com/in/ada-lovelace/")
        await add.click()
        await expect(page.locator("#status-line")).to_have_text("1 entry added to the suppression list.")
        rows = page.locator("#suppressions tbody tr")
        await expect(rows).to_have_count(4)
        assert await listed(w, auth) == [
            ("domain", "competitor.example", "member"),
            ("email", "ann@x.example", "member"),
            ("email", "bob@y.example", "member"),
            ("linkedin", "ada-lovelace", "member"),
        ]
        await expect(page.locator('tr[data-type="domain"]')).to_contain_text("Whole domain")
        await expect(page.locator('tr[data-type="domain"]')).to_contain_text("Added by a member")
        assert await raw_codes(page) == []
        await no_axe_violations(page, "suppressions listed")

        await page.get_by_label("Search").fill("ann@")
        await expect(rows).to_have_count(1)
        await expect(rows.first.locator("th")).to_have_text("ann@x.example")
        await page.get_by_role("button", name="Remove ann@x.example").click()
        await expect(page.locator("#status-line")).to_have_text(
            "ann@x.example is no longer suppressed. Prospects it already stopped stay stopped."
        )
        await expect(page.get_by_text("Nothing on the list matches “ann@”.")).to_be_visible()
        await expect(page.get_by_label("Search")).to_be_focused()
        assert [v for _, v, _ in await listed(w, auth)] == ["competitor.example", "bob@y.example", "ada-lovelace"]
        await no_axe_violations(page, "suppression removed")

        async with page.expect_download() as downloading:
            await page.get_by_role("button", name="Download as CSV").click()
        download = await downloading.value
        assert download.suggested_filename == "suppressions.csv"
        lines = (await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8")).splitlines()
        assert lines[0] == "type,value,source,created_at"
        assert sorted(line.split(",")[1] for line in lines[1:]) == [
            "ada-lovelace",
            "bob@y.example",
            "competitor.example",
        ]
        assert errors == []
    finally:
        await context.close()
