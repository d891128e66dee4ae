"""Small shared steps of the browser tests: sign in through the page, and find raw codes in what is shown."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page, expect

# What a raw code looks like on screen: snake_case words, or a provider status in capitals.
RAW_CODE = re.compile(
    r"\b[a-z]+(?:_[a-z]+)+\b|\b(?:CREDENTIALS|PERMISSIONS|CONNECTING|STOPPED|UNKNOWN)\b|"
    r"Unipile reports|paused: manual|Stopped: \d{3}\b"
)


async def sign_in(page: Page, base_url: str, auth: dict[str, str], heading: str = "Campaigns") -> None:
    await page.goto(base_url + "/")
    await page.get_by_label("API token", exact=True).fill(auth["Authorization"].split()[1])
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()


async def raw_codes(page: Page) -> list[str]:
    """Every raw code in the text of the page, tooltips and closed details included."""
    text = await page.evaluate("document.body.textContent")
    return RAW_CODE.findall(re.sub(r"\{\{[^}]*\}\}", "", text))  # template variables are the user's own syntax


AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"


async def no_axe_violations(page: Page, where: str) -> None:
    """axe-core (pinned in tests/browser/package.json) finds no violation of any impact on the page as it is."""
    assert AXE.exists(), "axe-core is missing: run `make test` (it installs tests/browser/package.json with npm)"
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    violations = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))"
    )
    assert violations == [], f"{where}: {violations}"
