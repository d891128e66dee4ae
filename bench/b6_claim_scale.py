"""B6: the dispatcher's claim of due actions costs the same with 1,000,000 and 10,000,000 planned prospects,
because it reads only what is due. The plan rows are generated with set-based SQL straight into the
scheduler's schema: a fixed number of due actions (one per sender) and every other prospect planned in the
future, each size in its own database on one server. The claim timed is the one the dispatcher runs
(`Tx.claim`), inside a transaction that is rolled back so every run sees the same rows, alternating between
the sizes run for run. Target: time at the larger size <= 1.3x the time at the smaller.

    .venv/bin/python -m bench.b6_claim_scale [--prospects 1000000 10000000] [--senders 2000] [--batch 100 2000]
                                             [--explain]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time
from datetime import UTC, datetime

import asyncpg

from bench import summary
from bench.common import new_id, scheduler_databases
from services.scheduler.repository import Tx

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
CAMPAIGNS = 100


async def seed(pool: asyncpg.Pool, senders: int) -> tuple[list[str], list[str]]:
    """Senders (connected, free to send now) and active, unheld campaigns with one LinkedIn step."""
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
    await pool.execute(
        """INSERT INTO scheduler.campaign_plans (campaign_id, workspace_id, version, days, window_start, window_end,
               timezone, randomize, active, linkedin_account_ids, updated_at)
           SELECT c, gen_random_uuid(), 1, ARRAY['mon','tue','wed','thu','fri','sat','sun'], '00:00', '23:59',
                  'UTC', true, true, $2::uuid[], $3 FROM unnest($1::uuid[]) AS t(c)""",
        campaign_ids,
        sender_ids,
        NOW,
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
    return sender_ids, campaign_ids


async def grow_plans(
    pool: asyncpg.Pool, sender_ids: list[str], campaign_ids: list[str], first: int, last: int
) -> float:
    """Add plan rows first..last. Row g <= len(senders) is due now (one per sender); every other one is planned
    over the next 30 days. Indexes and keys are dropped for the load and rebuilt after it (a sort each, instead
    of 10M random inserts into the uuid key), so the table ends with exactly its migrated definition."""
    started = time.perf_counter()
    async with pool.acquire() as conn:
        await conn.execute("SET maintenance_work_mem = '1GB'")
        await conn.execute("SET max_parallel_maintenance_workers = 2")
        constraints = await conn.fetch(
            """SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
                WHERE conrelid = 'scheduler.prospect_plans'::regclass AND contype IN ('p', 'f')"""
        )
        indexes = await conn.fetch(
            """SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'scheduler'
                 AND tablename = 'prospect_plans' AND indexname NOT IN (
                     SELECT conname FROM pg_constraint WHERE conrelid = 'scheduler.prospect_plans'::regclass)"""
        )
        for c in constraints:
            await conn.execute(f'ALTER TABLE scheduler.prospect_plans DROP CONSTRAINT "{c["conname"]}"')
        for i in indexes:
            await conn.execute(f'DROP INDEX scheduler."{i["indexname"]}"')
        step = 1_000_000
        for low in range(first, last + 1, step):
            high = min(last, low + step - 1)
            await conn.execute(
                """INSERT INTO scheduler.prospect_plans (prospect_id, campaign_id, linkedin_provider_id, state,
                       channel, action_type, sender_id, due_at, next_action_at, linkedin_sender_id, updated_at)
                   SELECT gen_random_uuid(), ($2::uuid[])[1 + g % $6], 'p' || g, 'scheduled', 'linkedin',
                          'linkedin_invite', ($1::uuid[])[1 + g % $5], d, d, ($1::uuid[])[1 + g % $5], $3
                     FROM generate_series($4::bigint, $7::bigint) AS g,
                          LATERAL (SELECT CASE WHEN g <= $5 THEN $3::timestamptz - interval '1 minute'
                                               ELSE $3::timestamptz + interval '1 hour'
                                                    + make_interval(secs => g % 2592000)
                                          END AS d) AS due""",
                sender_ids,
                campaign_ids,
                NOW,
                low,
                len(sender_ids),
                len(campaign_ids),
                high,
            )
        for c in constraints:
            await conn.execute(f'ALTER TABLE scheduler.prospect_plans ADD CONSTRAINT "{c["conname"]}" {c["def"]}')
        for i in indexes:
            await conn.execute(i["indexdef"])
        await conn.execute("VACUUM ANALYZE scheduler.prospect_plans")
    return time.perf_counter() - started


async def claim_once(pool: asyncpg.Pool, batch: int) -> tuple[float, int]:
    """One claim, timed, in a transaction rolled back (locks released, nothing changed); and how many it claimed."""
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            started = time.perf_counter()
            rows = await Tx(conn).claim(NOW, batch)
            return time.perf_counter() - started, len(rows)
        finally:
            await transaction.rollback()


async def explain_claim(pool: asyncpg.Pool, batch: int) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement the claim sends, captured as it runs (not a copy)."""
    captured: list[tuple[str, tuple]] = []
    async with pool.acquire() as conn:

        def remember(record: object) -> None:
            if record.query.lstrip().upper().startswith(("SELECT", "WITH")):  # type: ignore[attr-defined]
                captured.append((record.query, record.args))  # type: ignore[attr-defined]

        conn.add_query_logger(remember)
        async with conn.transaction():
            await Tx(conn).claim(NOW, batch)
            conn.remove_query_logger(remember)
        out = []
        for query, args in captured:
            async with conn.transaction():  # FOR UPDATE locks, released at once; nothing is written
                rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {query}", *args)
            # The claimed senders' ids, spelled out in full, would drown the plan.
            out.append("\n".join(re.sub(r"'\{[^}]{200,}\}'", "'{...ids...}'", r[0]) for r in rows))
    return "\n\n".join(out)


async def run(sizes: list[int], senders: int, batches: list[int], runs: int, explain: bool) -> None:
    # One database per size on one server; the claims of both sizes then alternate, run for run, so that the
    # noise of a shared machine falls on both alike.
    async with scheduler_databases(len(sizes)) as pools:
        for pool, size in zip(pools, sizes, strict=True):
            sender_ids, campaign_ids = await seed(pool, senders)
            generated = await grow_plans(pool, sender_ids, campaign_ids, 1, size)
            due = await pool.fetchval("SELECT count(*) FROM scheduler.prospect_plans WHERE next_action_at <= $1", NOW)
            print(
                f"B6 {size:>11,} planned prospects ({due:,} due, {senders:,} senders): generated in "
                f"{generated:6.1f} s (rows added, keys and indexes rebuilt, analyzed)",
                flush=True,
            )
        await pools[0].execute("CHECKPOINT")  # the loads' dirty pages are written before anything is timed
        for batch in batches:
            timings: dict[int, list[float]] = {size: [] for size in sizes}
            claimed: dict[int, int] = {}
            for run_number in range(runs + 3):
                for pool, size in zip(pools, sizes, strict=True):
                    elapsed, claimed[size] = await claim_once(pool, batch)
                    if run_number >= 3:  # the first runs warm the caches
                        timings[size].append(elapsed)
            for size in sizes:
                print(
                    f"B6 {size:>11,} planned: claim of {claimed[size]:>5,} due actions (batch {batch}): median "
                    f"{statistics.median(timings[size]) * 1000:7.2f} ms, best {min(timings[size]) * 1000:7.2f} ms"
                    f" over {runs} runs",
                    flush=True,
                )
            small, large = (statistics.median(timings[n]) for n in (min(sizes), max(sizes)))
            print(
                f"B6 claim (batch {batch}) at {max(sizes):,} vs {min(sizes):,} planned: {large * 1000:.2f} ms vs "
                f"{small * 1000:.2f} ms (medians); ratio {large / small:.2f}x (target <= 1.3x)",
                flush=True,
            )
            summary.record(
                "B6",
                f"claim, batch {batch}, {max(sizes):,} planned",
                f"median {large * 1000:.1f} ms",
                f"same claim at {min(sizes):,}: {small * 1000:.1f} ms",
                large / small,
                "<= 1.3x",
                large / small <= 1.3,
            )
        if explain:
            for pool, size in zip(pools, sizes, strict=True):
                print(f"--- EXPLAIN (ANALYZE, BUFFERS) of the claim, batch {batches[0]}, {size:,} planned ---")
                print(await explain_claim(pool, batches[0]), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prospects", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--senders", type=int, default=2000, help="senders, each with one action due now")
    parser.add_argument(
        "--batch",
        type=int,
        nargs="+",
        default=[100, 2000],
        help="senders claimed per round (the dispatcher's default is 100)",
    )
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of the claim")
    args = parser.parse_args()
    asyncio.run(run(args.prospects, args.senders, args.batch, args.runs, args.explain))


if __name__ == "__main__":
    main()
