"""Benchmark (run explicitly, not by `make test`): a campaign page with 10,000 prospects. Server time of its
first page of prospects (and of the campaign's stats, which the page also reads), against the same calls on a
campaign of 10 prospects in the same run; and the page's time from navigation to its first 100 rows drawn.
`.venv/bin/python -m pytest -q -s tests/browser/bench_campaign_page.py`"""

from __future__ import annotations

import statistics
import time

from playwright.async_api import Browser, expect

from bench import summary
from tests.browser.helpers import sign_in
from tests.e2e.conftest import World, setup_campaign

STEPS = [{"channel": "email", "action": "email", "subject": "Hi {{first_name}}", "body": "A note"}]


async def timed(w: World, auth: dict, path: str, runs: int = 21) -> float:
    """Median milliseconds of a GET, after one warm-up call."""
    await w.suite.call("GET", path, auth)
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        status, _ = await w.suite.call("GET", path, auth)
        samples.append((time.perf_counter() - t) * 1000)
        assert status == 200
    return statistics.median(samples)


async def test_campaign_page_with_10000_prospects(world: World, browser: Browser) -> None:
    w = world
    big = await setup_campaign(w, 10, STEPS)
    for start in range(10, 10_000, 5000):
        status, _ = await w.suite.call(
            "POST",
            f"/api/v1/campaigns/{big.campaign_id}/prospects",
            big.auth,
            json={
                "prospects": [
                    {"email": f"p{i}@bench.example", "first_name": f"N{i}"}
                    for i in range(start, min(start + 5000, 10_000))
                ]
            },
        )
        assert status == 200
    small = await setup_campaign(w, 10, STEPS)
    figures = {}
    for name, s in (("10,000", big), ("10", small)):
        figures[name] = (
            await timed(w, s.auth, f"/api/v1/campaigns/{s.campaign_id}/prospects?page_size=100"),
            await timed(w, s.auth, f"/api/v1/campaigns/{s.campaign_id}/stats"),
        )
    context = await browser.new_context(viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    try:
        await sign_in(page, w.suite.base_url, big.auth)
        t = time.perf_counter()
        await page.goto(f"{w.suite.base_url}/#/campaigns/{big.campaign_id}")
        await expect(page.locator("#prospects tbody tr")).to_have_count(100, timeout=30_000)
        drawn = (time.perf_counter() - t) * 1000
    finally:
        await context.close()
    print(
        "\n"
        + "; ".join(
            f"{n} prospects: first page {p:.0f} ms, stats {st:.0f} ms (median)" for n, (p, st) in figures.items()
        )
        + f"; page drawn with 100 rows in {drawn:.0f} ms"
    )
    (page_ms, stats_ms), (small_page_ms, small_stats_ms) = figures["10,000"], figures["10"]
    summary.record(
        "page",
        "campaign page, 10,000 prospects: first page of 100 (median of 21, server time over HTTP)",
        f"{page_ms:.0f} ms (stats {stats_ms:.0f} ms; page drawn in {drawn:.0f} ms)",
        f"10 prospects: {small_page_ms:.0f} ms (stats {small_stats_ms:.0f} ms)",
        page_ms / small_page_ms,
        "<= 300 ms",
        page_ms <= 300,
    )
