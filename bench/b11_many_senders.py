"""B11: dispatch at 50,000 senders, 10 % of them with an action due (the rest free to send but with nothing due
before tomorrow: the senders a claim must not pay for).

Two figures, both sizes generated with set-based SQL straight into the scheduler's schema, each in its own
database on one server:
- the claim's cost per round (`Tx.claim`, the dispatcher's default batch of 100, in a transaction rolled back so
  every run sees the same rows), alternating between 2,000 and 50,000 senders run for run so the machine's noise
  falls on both alike. Target: at 50,000 <= 1.5x the 2,000-sender case.
- dispatch end to end at 50,000 (claim and gates, the provider call to the Unipile sandbox in its own process,
  outcomes recorded, failure rates evaluated, as B2 runs it) until every due action is sent. Target: >= 1,000
  actions/s; CPU per action of PostgreSQL and of the dispatcher printed beside it.

    .venv/bin/python -m bench.b11_many_senders [--senders 2000 50000] [--due 0.1] [--batch 100]
                                               [--dispatch-batch 500] [--explain]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import timedelta

import aiohttp
import asyncpg

from bench import summary
from bench.b2_dispatch import NOW, CountingRepository, backend_cpu_seconds, unipile_sandbox
from bench.b6_claim_scale import claim_once, explain_claim
from bench.common import new_id, scheduler_databases
from services.common.clock import ManualClock
from services.common.providers.unipile import UnipileClient
from services.scheduler.clients import ProtoEvents
from services.scheduler.dispatcher import Dispatcher
from services.scheduler.failure_rate import FailureRateMonitor
from services.scheduler.providers import Providers

CAMPAIGNS = 10


async def seed(pool: asyncpg.Pool, senders: int, due_share: float) -> list[str]:
    """`senders` connected senders, each with one planned invite: the first `due_share` of them due a minute
    ago, the others tomorrow. Returns the ids of the senders with an action due."""
    sender_ids = [new_id() for _ in range(senders)]
    campaign_ids = [new_id() for _ in range(CAMPAIGNS)]
    await pool.execute(
        """INSERT INTO scheduler.sender_states (sender_kind, sender_id, version, status, timezone, updated_at,
               unipile_account_id)
           SELECT 'linkedin_account', s, 1, 'connected', 'UTC', $2, 'acc-' || s FROM unnest($1::uuid[]) AS t(s)""",
        sender_ids,
        NOW,
    )
    await pool.execute(
        """INSERT INTO scheduler.sender_limits (sender_id, action_type, daily_cap, weekly_cap, ramp_start, ramp_step,
               pacing_min_seconds, pacing_max_seconds)
           SELECT s, 'linkedin_invite', 100, 500, 100, 0, 0, 0 FROM unnest($1::uuid[]) AS t(s)""",
        sender_ids,
    )
    # Each campaign is sent from its share of the senders (campaign i: senders i, i + 10, ...).
    await pool.execute(
        """INSERT INTO scheduler.campaign_plans (campaign_id, workspace_id, version, days, window_start, window_end,
               timezone, randomize, active, linkedin_account_ids, updated_at)
           SELECT c, gen_random_uuid(), 1, ARRAY['mon','tue','wed','thu','fri','sat','sun'], '00:00', '23:59',
                  'UTC', true, true,
                  ARRAY(SELECT s FROM unnest($2::uuid[]) WITH ORDINALITY AS u(s, n) WHERE (n - 1) % $4 = i - 1), $3
             FROM unnest($1::uuid[]) WITH ORDINALITY AS t(c, i)""",
        campaign_ids,
        sender_ids,
        NOW,
        CAMPAIGNS,
    )
    await pool.execute(
        """INSERT INTO scheduler.plan_steps (campaign_id, index, channel, action_type, delay_hours)
           SELECT c, 0, 'linkedin', 'linkedin_invite', 0 FROM unnest($1::uuid[]) AS t(c)""",
        campaign_ids,
    )
    await pool.execute(
        """INSERT INTO scheduler.campaign_holds (campaign_id, version, held_scopes, updated_at)
           SELECT c, 1, '{}', $2 FROM unnest($1::uuid[]) AS t(c)""",
        campaign_ids,
        NOW,
    )
    await pool.execute(
        """INSERT INTO scheduler.prospect_plans (prospect_id, campaign_id, linkedin_provider_id, state, channel,
               action_type, sender_id, due_at, next_action_at, linkedin_sender_id, updated_at)
           SELECT gen_random_uuid(), ($2::uuid[])[1 + (n - 1) % $4], 'p' || n, 'scheduled', 'linkedin',
                  'linkedin_invite', s, d, d, s, $3
             FROM unnest($1::uuid[]) WITH ORDINALITY AS t(s, n),
                  LATERAL (SELECT CASE WHEN n % $5 = 0 THEN $3::timestamptz - interval '1 minute'
                                       ELSE $3::timestamptz + interval '1 day' END AS d) AS due""",
        sender_ids,
        campaign_ids,
        NOW,
        CAMPAIGNS,
        round(1 / due_share),
    )
    await pool.execute("VACUUM ANALYZE")
    return [
        str(r[0])
        for r in await pool.fetch("SELECT sender_id FROM scheduler.prospect_plans WHERE next_action_at <= $1", NOW)
    ]


async def dispatch_all(pool: asyncpg.Pool, due_senders: list[str], batch: int) -> tuple[float, float, float, float]:
    """Every due action sent, as the scheduler sends them; (actions/s, statements per action, CPU ms per action
    of PostgreSQL and of this process)."""
    async with unipile_sandbox() as url, aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=batch)) as http:
        for start in range(0, len(due_senders), 100):  # the sandbox knows every account that will send
            await asyncio.gather(
                *(
                    http.post(f"{url}/_sandbox/accounts", json={"id": f"acc-{s}", "name": "bench"})
                    for s in due_senders[start : start + 100]
                )
            )
        unipile = UnipileClient(url, "bench-key", http)

        async def no_email(_: str) -> None:
            raise AssertionError

        clock = ManualClock(NOW + timedelta(seconds=1))
        repository = CountingRepository(pool)
        events = ProtoEvents()
        dispatcher = Dispatcher(
            repository,
            Providers(unipile, no_email),
            clock,
            batch=batch,
            unipile=unipile,
            failure_rates=FailureRateMonitor(repository, clock, events),
            events=events,
        )
        cpu_before, own_before = await backend_cpu_seconds(pool), time.process_time()
        started = time.perf_counter()
        done = 0
        while done < len(due_senders):
            sent = await dispatcher.run_once()
            assert sent, f"nothing claimed after {done} of {len(due_senders)}"
            done += sent
        elapsed = time.perf_counter() - started
        own = time.process_time() - own_before
        database = await backend_cpu_seconds(pool) - cpu_before
        succeeded = await pool.fetchval("SELECT count(*) FROM scheduler.send_attempts WHERE status = 'succeeded'")
        assert succeeded == len(due_senders), (succeeded, len(due_senders))
        n = len(due_senders)
        return n / elapsed, repository.statements / n, 1000 * database / n, 1000 * own / n


async def run(sizes: list[int], due_share: float, batch: int, dispatch_batch: int, runs: int, explain: bool) -> None:
    async with scheduler_databases(len(sizes)) as pools:
        due: dict[int, list[str]] = {}
        for pool, size in zip(pools, sizes, strict=True):
            started = time.perf_counter()
            due[size] = await seed(pool, size, due_share)
            print(
                f"B11 {size:>7,} senders ({len(due[size]):,} with an action due) generated in "
                f"{time.perf_counter() - started:5.1f} s",
                flush=True,
            )
        await pools[0].execute("CHECKPOINT")
        timings: dict[int, list[float]] = {size: [] for size in sizes}
        for run_number in range(runs + 3):
            for pool, size in zip(pools, sizes, strict=True):
                elapsed, claimed = await claim_once(pool, batch)
                assert claimed == min(batch, len(due[size])), (size, claimed)
                if run_number >= 3:  # the first runs warm the caches
                    timings[size].append(elapsed)
        small, large = (statistics.median(timings[n]) for n in (min(sizes), max(sizes)))
        for size in sizes:
            print(
                f"B11 {size:>7,} senders: claim of {min(batch, len(due[size])):,} (batch {batch}): median "
                f"{statistics.median(timings[size]) * 1000:7.2f} ms over {runs} runs",
                flush=True,
            )
        print(
            f"B11 claim at {max(sizes):,} vs {min(sizes):,} senders: ratio {large / small:.2f}x (target <= 1.5x: "
            f"{'met' if large / small <= 1.5 else 'MISSED'})",
            flush=True,
        )
        summary.record(
            "B11",
            f"claim per round, batch {batch}, {max(sizes):,} senders ({due_share:.0%} due)",
            f"median {large * 1000:.1f} ms",
            f"same claim at {min(sizes):,} senders: {small * 1000:.1f} ms",
            large / small,
            "<= 1.5x",
            large / small <= 1.5,
        )
        if explain:
            print(f"--- EXPLAIN (ANALYZE, BUFFERS) of the claim at {max(sizes):,} senders ---")
            print(await explain_claim(pools[-1], batch), flush=True)
        rate, statements, db_cpu, own_cpu = await dispatch_all(pools[-1], due[max(sizes)], dispatch_batch)
        print(
            f"B11 dispatch at {max(sizes):,} senders: {rate:7.0f} actions/s (target >= 1,000: "
            f"{'met' if rate >= 1000 else 'MISSED'}); {statements:.2f} statements/action; CPU ms/action: "
            f"PostgreSQL {db_cpu:.3f}, dispatcher {own_cpu:.3f}",
            flush=True,
        )
        summary.record(
            "B11",
            f"dispatch end to end, {max(sizes):,} senders ({len(due[max(sizes)]):,} due)",
            f"{rate:.0f} actions/s",
            "—",
            None,
            ">= 1,000 actions/s",
            rate >= 1000,
            f"PostgreSQL {db_cpu:.3f} ms, dispatcher {own_cpu:.3f} ms per action",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--senders", type=int, nargs=2, default=[2000, 50_000])
    parser.add_argument("--due", type=float, default=0.1, help="share of the senders with an action due")
    parser.add_argument("--batch", type=int, default=100, help="senders per claim timed (the dispatcher's default)")
    parser.add_argument("--dispatch-batch", type=int, default=500, help="senders per round end to end (as B2)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of the claim")
    args = parser.parse_args()
    asyncio.run(run(sorted(args.senders), args.due, args.batch, args.dispatch_batch, args.runs, args.explain))


if __name__ == "__main__":
    main()
