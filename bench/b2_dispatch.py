"""B2: dispatch throughput end to end: claim with its gates, the provider call to the Unipile sandbox over
real HTTP, and the outcome recorded; 2,000 senders with an action due each. Targets: >= 1,000 actions/s with
a provider that answers at once, >= 500 actions/s with 50 ms of provider latency (concurrency, not waiting).
The baseline, measured in the same run, is the same number of bare attempt INSERTs (the database's floor).

    .venv/bin/python -m bench.b2_dispatch [--senders 2000] [--batch 500]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

import aiohttp
from aiohttp import web

from bench.common import new_id, scheduler_database
from sandbox.unipile import create_app as create_unipile
from services.common import timemath
from services.common.clock import ManualClock
from services.common.providers.unipile import UnipileClient
from services.scheduler.dispatcher import Dispatcher
from services.scheduler.domain import CampaignPlan, Limits, Step
from services.scheduler.providers import Providers
from services.scheduler.repository import Repository
from services.scheduler.service import SchedulerService

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
EVERY_DAY = timemath.Schedule.parse(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "00:00", "23:59", "UTC")
LIMITS = Limits(daily_cap=100, weekly_cap=500, ramp_start=100, ramp_step=0, pacing_min_seconds=0,
                pacing_max_seconds=0)


async def run(senders: int, batch: int, latency_ms: int) -> tuple[float, float]:
    app = create_unipile("bench-key")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    connector = aiohttp.TCPConnector(limit=batch)
    try:
        async with scheduler_database() as pool, aiohttp.ClientSession(connector=connector) as http:
            await http.post(f"{url}/_sandbox/latency", json={"endpoint": None, "ms": latency_ms})
            clock = ManualClock(NOW)
            service = SchedulerService(Repository(pool), clock)
            ids = [new_id() for _ in range(senders)]
            for sender in ids:
                await http.post(f"{url}/_sandbox/accounts", json={"id": f"acc-{sender}", "name": "bench"})
                await service.set_sender("linkedin_account", sender, 1, "connected", "UTC", None, f"acc-{sender}", "",
                                         {"linkedin_invite": LIMITS})
            campaign = new_id()
            await service.upsert_plan(CampaignPlan(campaign, new_id(), 1, EVERY_DAY, True, tuple(ids), (),
                                                   (Step(0, "linkedin", "linkedin_invite", 0),)))
            await pool.execute(
                """INSERT INTO scheduler.prospect_plans (prospect_id, campaign_id, linkedin_provider_id, state,
                       channel, action_type, sender_id, due_at, next_action_at, linkedin_sender_id, updated_at)
                   SELECT gen_random_uuid(), $1, 'p' || g, 'scheduled', 'linkedin', 'linkedin_invite', s, $3, $3, s, $3
                     FROM unnest($2::uuid[]) WITH ORDINALITY AS t(s, g)""", campaign, ids, NOW)
            unipile = UnipileClient(url, "bench-key", http)

            async def no_email(_: str):
                raise AssertionError

            dispatcher = Dispatcher(Repository(pool), Providers(unipile, no_email), clock, batch=batch,
                                    unipile=unipile)
            started = time.perf_counter()
            done = 0
            while done < senders:
                sent = await dispatcher.run_once()
                assert sent, "nothing due"
                done += sent
            elapsed = time.perf_counter() - started
            assert await pool.fetchval("SELECT count(*) FROM scheduler.send_attempts WHERE status = 'succeeded'") \
                == senders
            # Baseline: the same number of attempt rows written by a bare INSERT.
            started = time.perf_counter()
            await pool.execute(
                """INSERT INTO scheduler.send_attempts (prospect_id, campaign_id, step_index, sender_id, channel,
                       action_type, status, started_at, sender_local_date)
                   SELECT gen_random_uuid(), $1, 1, s, 'linkedin', 'linkedin_invite', 'failed', $3, '2026-03-05'
                     FROM unnest($2::uuid[]) AS t(s)""", campaign, ids, NOW)
            baseline = time.perf_counter() - started
            return senders / elapsed, senders / baseline
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--senders", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    for latency, target in ((0, 1000), (50, 500)):
        rate, floor = asyncio.run(run(args.senders, args.batch, latency))
        print(f"B2 dispatch, provider latency {latency:>2} ms: {rate:7.0f} actions/s (target >= {target}); "
              f"bare INSERT floor {floor:9.0f} rows/s; ratio {rate / floor:.3f}")


if __name__ == "__main__":
    main()
