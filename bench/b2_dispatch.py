"""B2: dispatch throughput end to end: claim with its gates, the provider call to the Unipile sandbox over
real HTTP, the outcome recorded and each sender's failure rate evaluated, as the scheduler runs it;
2,000 senders with an action due each. Targets: >= 1,000 actions/s with a provider that answers at once,
>= 500 actions/s with 50 ms of provider latency (concurrency, not waiting). The baseline, measured in the same
run, is the same number of bare attempt INSERTs (the database's floor).

Throughput on a shared 2-core machine is noisy, so each run also prints two figures that noise hardly moves:
statements sent to PostgreSQL per action (BEGIN and COMMIT included; an executemany counts once), and the CPU
time per action of the PostgreSQL backends and of the dispatcher's process (the Unipile sandbox runs in a
process of its own, as under `make run`: the provider's work is not the dispatcher's).

    .venv/bin/python -m bench.b2_dispatch [--senders 2000] [--batch 500] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import asyncpg

from bench import summary
from bench.common import new_id, scheduler_database
from services.common import timemath
from services.common.clock import ManualClock
from services.common.providers.unipile import UnipileClient
from services.scheduler.clients import ProtoEvents
from services.scheduler.dispatcher import Dispatcher
from services.scheduler.domain import CampaignPlan, Limits, Step
from services.scheduler.failure_rate import FailureRateMonitor
from services.scheduler.providers import Providers
from services.scheduler.repository import Repository, Tx
from services.scheduler.service import SchedulerService

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
EVERY_DAY = timemath.Schedule.parse(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "00:00", "23:59", "UTC")
LIMITS = Limits(daily_cap=100, weekly_cap=500, ramp_start=100, ramp_step=0, pacing_min_seconds=0, pacing_max_seconds=0)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Result:
    rate: float
    floor: float
    statements_per_action: float
    db_cpu_ms_per_action: float
    own_cpu_ms_per_action: float


class CountingRepository(Repository):
    """The scheduler's repository, counting the statements each transaction sends (the measure that noise
    does not move)."""

    def __init__(self, pool: asyncpg.Pool):
        super().__init__(pool)
        self.statements = 0

    def _count(self, _query: object) -> None:
        self.statements += 1

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self.pool.acquire() as conn:
            conn.add_query_logger(self._count)
            try:
                async with conn.transaction():
                    self.statements += 2  # BEGIN and COMMIT, which asyncpg does not log
                    yield Tx(conn)
            finally:
                conn.remove_query_logger(self._count)


async def backend_cpu_seconds(pool: asyncpg.Pool) -> float:
    """CPU time used so far by this database's client backends (they run on this machine: read /proc)."""
    pids = [r[0] for r in await pool.fetch("SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend'")]
    return _cpu_seconds(pids)


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def unipile_sandbox() -> AsyncIterator[str]:
    """The Unipile sandbox in a process of its own (`python -m sandbox`, as `make run` starts it): the provider
    is not part of the dispatcher's work, so its CPU time is not charged to it. Yields its URL."""
    unipile, smtp, imap = _free_port(), _free_port(), _free_port()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        "--unipile-port",
        str(unipile),
        "--smtp-port",
        str(smtp),
        "--imap-port",
        str(imap),
        "--api-key",
        "bench-key",
        stdout=asyncio.subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            if child.returncode is not None:
                raise SystemExit(f"the sandbox exited during start-up (exit {child.returncode})")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", unipile)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            break
        else:
            raise SystemExit("the sandbox did not listen within 30 s")
        yield f"http://127.0.0.1:{unipile}"
    finally:
        if child.returncode is None:
            child.terminate()
        await child.wait()


async def run(senders: int, batch: int, latency_ms: int) -> Result:
    connector = aiohttp.TCPConnector(limit=batch)
    async with (
        unipile_sandbox() as url,
        scheduler_database() as pool,
        aiohttp.ClientSession(connector=connector) as http,
    ):
        await http.post(f"{url}/_sandbox/latency", json={"endpoint": None, "ms": latency_ms})
        clock = ManualClock(NOW)
        service = SchedulerService(Repository(pool), clock)
        ids = [new_id() for _ in range(senders)]
        for sender in ids:
            await http.post(f"{url}/_sandbox/accounts", json={"id": f"acc-{sender}", "name": "bench"})
            await service.set_sender(
                "linkedin_account",
                sender,
                1,
                "connected",
                "UTC",
                None,
                f"acc-{sender}",
                "",
                {"linkedin_invite": LIMITS},
            )
        campaign = new_id()
        await service.upsert_plan(
            CampaignPlan(
                campaign, new_id(), 1, EVERY_DAY, True, tuple(ids), (), (Step(0, "linkedin", "linkedin_invite", 0),)
            )
        )
        await pool.execute(
            """INSERT INTO scheduler.prospect_plans (prospect_id, campaign_id, linkedin_provider_id, state,
                   channel, action_type, sender_id, due_at, next_action_at, linkedin_sender_id, updated_at)
               SELECT gen_random_uuid(), $1, 'p' || g, 'scheduled', 'linkedin', 'linkedin_invite', s, $3, $3, s, $3
                 FROM unnest($2::uuid[]) WITH ORDINALITY AS t(s, g)""",
            campaign,
            ids,
            NOW,
        )
        unipile = UnipileClient(url, "bench-key", http)

        async def no_email(_: str):
            raise AssertionError

        repository = CountingRepository(pool)
        events = ProtoEvents()
        # As the scheduler runs it: the failure rate of every sender is evaluated with its outcomes.
        failure_rates = FailureRateMonitor(repository, clock, events)
        dispatcher = Dispatcher(
            repository,
            Providers(unipile, no_email),
            clock,
            batch=batch,
            unipile=unipile,
            failure_rates=failure_rates,
            events=events,
        )
        cpu_before, own_cpu_before = await backend_cpu_seconds(pool), time.process_time()
        started = time.perf_counter()
        done = 0
        while done < senders:
            sent = await dispatcher.run_once()
            assert sent, "nothing due"
            done += sent
        elapsed = time.perf_counter() - started
        own_cpu = time.process_time() - own_cpu_before
        db_cpu = await backend_cpu_seconds(pool) - cpu_before
        assert await pool.fetchval("SELECT count(*) FROM scheduler.send_attempts WHERE status = 'succeeded'") == senders
        assert (
            await pool.fetchval("SELECT count(*) FROM scheduler.prospect_plans WHERE state = 'waiting_acceptance'")
            == senders
        )
        # Baseline: the same number of attempt rows written by a bare INSERT.
        started = time.perf_counter()
        await pool.execute(
            """INSERT INTO scheduler.send_attempts (prospect_id, campaign_id, step_index, sender_id, channel,
                   action_type, status, started_at, sender_local_date)
               SELECT gen_random_uuid(), $1, 1, s, 'linkedin', 'linkedin_invite', 'failed', $3, '2026-03-05'
                 FROM unnest($2::uuid[]) AS t(s)""",
            campaign,
            ids,
            NOW,
        )
        baseline = time.perf_counter() - started
        return Result(
            senders / elapsed,
            senders / baseline,
            repository.statements / senders,
            1000 * db_cpu / senders,
            1000 * own_cpu / senders,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--senders", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--runs", type=int, default=1, help="repeat each measurement (the machine is noisy)")
    args = parser.parse_args()
    for latency, target in ((0, 1000), (50, 500)):
        for _ in range(args.runs):
            r = asyncio.run(run(args.senders, args.batch, latency))
            print(
                f"B2 dispatch, provider latency {latency:>2} ms: {r.rate:7.0f} actions/s (target >= {target}); "
                f"bare INSERT floor {r.floor:9.0f} rows/s; ratio {r.rate / r.floor:.3f}; "
                f"{r.statements_per_action:.2f} statements/action; "
                f"CPU ms/action: PostgreSQL {r.db_cpu_ms_per_action:.3f}, dispatcher {r.own_cpu_ms_per_action:.3f}"
            )
            summary.record(
                "B2",
                f"dispatch {args.senders:,} senders, provider latency {latency} ms",
                f"{r.rate:.0f} actions/s",
                f"bare INSERT {r.floor:.0f} rows/s",
                r.rate / r.floor,
                f">= {target} actions/s",
                r.rate >= target,
                f"PostgreSQL {r.db_cpu_ms_per_action:.3f} ms, dispatcher {r.own_cpu_ms_per_action:.3f} ms per action",
            )


if __name__ == "__main__":
    main()
