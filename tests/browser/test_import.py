"""Prospects from a CSV file in Chromium: parsed in the browser (BOM, CRLF, quoted commas), columns mapped
(guessed, then changed), a dry run with a verdict and reason per row, then the import in batches through the
prospects API with a progress bar; the API then holds exactly the new rows, custom fields included."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browser.helpers import no_axe_violations, sign_in
from tests.e2e.conftest import World, setup_campaign

EMAIL_STEP = {"channel": "email", "action": "email", "subject": "Hi {{first_name}}", "body": "About {{job_title}}"}
GENERATED = 2500


def csv_file() -> bytes:
    lines = [
        "Email,First name,Last name,Company,LinkedIn URL,Job title,Notes",
        "p0@prospect.example,Zed,Old,Acme,,CEO,x",  # already in the campaign
        'new1@x.example,Ann,Lee,"Acme, Inc.",https://www.linkedin.com/in/ann-lee/,CTO,"said ""hi"""',
        "NEW1@x.example,Ann,Again,Acme,,CTO,",  # the same person as line 3
        "not-an-email,Carl,,,,,",
        ",Bob,,,https://example.com/bob,,",  # neither an email nor a LinkedIn profile URL
        ",,,,,,",  # blank: skipped
        *[f"gen{i}@x.example,Gen{i},,Co{i},,Role{i}," for i in range(GENERATED)],
    ]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


async def all_prospects(w: World, s) -> list[dict]:
    found, token = [], ""
    while True:
        _, page = await w.suite.call(
            "GET", f"/api/v1/campaigns/{s.campaign_id}/prospects?page_size=100&page_token={token}", s.auth
        )
        found += page["prospects"]
        token = page["next_page_token"]
        if not token:
            return found


async def test_csv_import_maps_checks_each_row_and_imports_in_batches(world: World, browser: Browser) -> None:
    w = world
    s = await setup_campaign(w, 2, [EMAIL_STEP])
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await sign_in(page, w.suite.base_url, s.auth)
        await page.locator(f'[data-campaign-id="{s.campaign_id}"] a').click()
        await page.get_by_role("link", name="Import prospects from a CSV file").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Import prospects into “Founders”")
        await page.locator("#csv-file").set_input_files(
            files=[{"name": "leads.csv", "mimeType": "text/csv", "buffer": csv_file()}]
        )
        await expect(page.locator("#file-out")).to_have_text(
            f"leads.csv: {GENERATED + 5:,} rows, 7 columns.", use_inner_text=True
        )

        # Guessed from the headers; "Notes" is changed to be ignored.
        for column, target in (
            ("Email", "email"),
            ("First name", "first_name"),
            ("Last name", "last_name"),
            ("Company", "company"),
            ("LinkedIn URL", "linkedin_url"),
            ("Job title", "field"),
            ("Notes", "field"),
        ):
            await expect(page.get_by_label(f"Use {column} as")).to_have_value(target)
        await no_axe_violations(page, "import mapping")
        await page.get_by_label("Use Notes as").select_option("ignore")
        await page.get_by_role("button", name="Check the rows").click()
        await expect(page.locator("#summary")).to_have_text(f"{GENERATED + 1:,} new, 2 duplicate, 2 invalid.")
        await expect(page.locator("#check-h")).to_be_focused()
        verdicts = page.locator("#verdicts tbody tr")
        await expect(verdicts).to_have_count(200)  # the first 200 drawn; the counts cover every row
        await page.get_by_label("Show").select_option("duplicate")
        await expect(verdicts).to_have_count(2)
        await expect(page.locator('tr[data-line="2"]')).to_contain_text("already in the campaign")
        await expect(page.locator('tr[data-line="4"]')).to_contain_text("same person as line 3")
        await page.get_by_label("Show").select_option("invalid")
        await expect(page.locator('tr[data-line="5"]')).to_contain_text("the email is not an email address")
        await expect(page.locator('tr[data-line="6"]')).to_contain_text(
            "not a linkedin.com/in/ or Sales Navigator lead address"
        )
        await no_axe_violations(page, "import dry run")

        await page.get_by_role("button", name=f"Import {GENERATED + 1:,} new prospects").click()
        progress = page.locator("#import-progress")
        await expect(page.locator("#progress-text")).to_have_text(
            f"Done: {GENERATED + 1:,} prospects added.", timeout=30_000
        )
        assert await progress.evaluate("p => [p.value, p.max]") == [GENERATED + 1, GENERATED + 1]
        await no_axe_violations(page, "import done")
        prospects = await all_prospects(w, s)
        assert len(prospects) == 2 + GENERATED + 1
        ann = next(p for p in prospects if p["email"] == "new1@x.example")
        assert (
            ann["first_name"],
            ann["last_name"],
            ann["company"],
            ann["linkedin_public_identifier"],
            ann["fields"],
        ) == ("Ann", "Lee", "Acme, Inc.", "ann-lee", {"job_title": "CTO"}), ann
        await page.get_by_role("link", name="Open the campaign").click()
        await expect(page.locator("#prospects tbody tr")).to_have_count(100)
        assert errors == []
    finally:
        await context.close()
