"""Browser tests: Playwright's async API driving Debian's Chromium (/usr/bin/chromium, installed by
scripts/ensure_chromium.sh; Playwright's own browser download is never used) against the whole suite
in-process (the e2e world). A missing or broken Chromium makes these tests fail, never skip."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from playwright.async_api import Browser, async_playwright

from sandbox.serving import serve
from sandbox.unipile import STATE
from sandbox.unipile import create_app as create_unipile
from services.common.clock import ManualClock
from services.common.providers.unipile import UnipileClient
from tests.browser.helpers import no_axe_violations
from tests.conftest import create_database, start_suite
from tests.e2e import conftest as e2e
from tests.e2e.conftest import imap, replica, world  # noqa: F401 (fixtures shared with the e2e tests)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest):
    """Saves a screenshot of a page under test-artifacts/browser/<test>-<n>-<name>.png, after axe-core found no
    violation of any impact in that state."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    async def shot(page, name: str, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{next(counter):02d}-{name}.png"
        await no_axe_violations(page, name)
        await page.screenshot(path=str(path), full_page=full_page)
        return path

    return shot


@pytest.fixture
async def sandbox_world(pg_dsn) -> AsyncIterator[e2e.World]:
    """The e2e world with the gateway's sandbox controls on (HOLDFAST_SANDBOX_UNIPILE_URL), like `make run`."""
    async for made in _world(pg_dsn, sandbox=True):
        yield made


@pytest.fixture
async def live_login_world(pg_dsn) -> AsyncIterator[e2e.World]:
    """The e2e world where adding an inbox logs in to its servers first, as in production."""
    async for made in _world(pg_dsn, HOLDFAST_INBOX_CHECK_LOGIN_ON_CREATE="true"):
        yield made


async def _world(pg_dsn: str, sandbox: bool = False, **env: str) -> AsyncIterator[e2e.World]:
    async with AsyncExitStack() as stack:
        clock = ManualClock(e2e.MONDAY_0800_PARIS)
        unipile_app = create_unipile("sandbox-key")
        unipile_app[STATE].clock = clock.now
        unipile_url = await serve(unipile_app, stack)
        smtp = e2e.SandboxSmtp()
        smtp.set_password("sender@acme.example", "app-password-1")
        smtp_port = await smtp.start()
        stack.push_async_callback(smtp.stop)
        dsn = await create_database(pg_dsn)
        suite = await start_suite(
            dsn,
            stack,
            clock,
            HOLDFAST_UNIPILE_DSN=unipile_url,
            HOLDFAST_UNIPILE_API_KEY="sandbox-key",
            HOLDFAST_UNIPILE_WEBHOOK_SECRET=e2e.WEBHOOK_SECRET,
            HOLDFAST_BILLING_WEBHOOK_SECRET=e2e.BILLING_SECRET,
            HOLDFAST_PUBLIC_URL="http://127.0.0.1:1",
            **({"HOLDFAST_SANDBOX_UNIPILE_URL": unipile_url} if sandbox else {}),
            **env,
        )
        db = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
        stack.push_async_callback(db.close)
        async with aiohttp.ClientSession() as http:
            client = UnipileClient(unipile_url, "sandbox-key", http)
            for source in ("users", "account_status"):
                await client.create_webhook(
                    f"{suite.base_url}/webhooks/unipile", source, {"Unipile-Auth": e2e.WEBHOOK_SECRET}
                )
        yield e2e.World(suite, clock, unipile_app[STATE], unipile_url, smtp, smtp_port, db)
