"""Crash safety of the dispatcher (DESIGN S8) with real processes: `python -m services.scheduler` on a real
PostgreSQL, sending over real HTTP to `python -m sandbox`, SIGKILLed while invites are in flight, and two
schedulers sharing one database. No mocks: what the test checks is what the sandbox received and what the
scheduler wrote.

One shortcut, in the set-up only: enrolling spreads new prospects evenly over what is left of today's window
(DESIGN S4; with a window open all day that means hours), so once they are planned the test pulls every planned
action forward to "now" with a single UPDATE, making the whole list due at once."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import grpc
import psutil
from grpc_health.v1 import health_pb2, health_pb2_grpc

from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2 as pb
from holdfast.scheduler.v1 import scheduler_pb2_grpc as pb_grpc
from services.common.grpc_client import open_channel
from tests.conftest import free_port, suite_env

ROOT = Path(__file__).resolve().parents[2]
API_KEY = "reliability-key-5Kp"
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Settings of the developer's shell that would change what the processes do.
INHERITED = (
    "DATABASE_URL",
    "HOLDFAST_UNIPILE_DSN",
    "HOLDFAST_UNIPILE_API_KEY",
    "HOLDFAST_SANDBOX",
    "HOLDFAST_DISPATCH_ENABLED",
    "HOLDFAST_MIGRATE_ON_START",
)
# Per-test seed for the kill timings and latencies; set RELIABILITY_SEED to replay a run.
SEED = int(os.environ.get("RELIABILITY_SEED") or random.SystemRandom().randrange(2**32))


def base_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in INHERITED}


async def spawn(log: Path, *args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    """Start `python <args>` with its output appended to `log` (a file never blocks the child, a pipe can)."""
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, *args, cwd=ROOT, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
        )


async def reap(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
        await proc.wait()


def log_events(log: Path) -> list[dict[str, Any]]:
    events = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except ValueError:
                pass
    return events


@asynccontextmanager
async def sandbox(tmp_path: Path) -> AsyncIterator[str]:
    """`python -m sandbox` on free ports; yields the Unipile fake's base URL."""
    log = tmp_path / "sandbox.log"
    proc = await spawn(
        log,
        "-m",
        "sandbox",
        "--unipile-port",
        "0",
        "--smtp-port",
        "0",
        "--api-key",
        API_KEY,
        env={**base_env(), "HOLDFAST_LOG_FORMAT": "json"},
    )
    try:
        deadline = time.monotonic() + 30
        url = None
        while url is None:
            assert proc.returncode is None, log.read_text()
            assert time.monotonic() < deadline, f"the sandbox never served: {log.read_text()}"
            url = next((e["unipile_url"] for e in log_events(log) if e.get("event") == "sandbox serving"), None)
            if url is None:
                await asyncio.sleep(0.05)
        yield url
    finally:
        await reap(proc)


async def migrate(dsn: str, tmp_path: Path) -> None:
    log = tmp_path / "migrate.log"
    proc = await spawn(log, "-m", "services.scheduler", "migrate", env={**base_env(), **suite_env(dsn)})
    try:
        assert await asyncio.wait_for(proc.wait(), 60) == 0, log.read_text()
    finally:
        await reap(proc)


class Scheduler:
    """One `python -m services.scheduler` on a fixed port, which can be SIGKILLed and started again."""

    def __init__(self, dsn: str, sandbox_url: str, log: Path):
        self.port = free_port()
        self.target = f"127.0.0.1:{self.port}"
        self.log = log
        self.proc: asyncio.subprocess.Process | None = None
        self.pids: list[int] = []
        self.env = {
            **base_env(),
            **suite_env(dsn),
            "HOLDFAST_GRPC_LISTEN": self.target,
            "HOLDFAST_UNIPILE_DSN": sandbox_url,
            "HOLDFAST_UNIPILE_API_KEY": API_KEY,
            "HOLDFAST_DISPATCH_INTERVAL_SECONDS": "0.05",
            "HOLDFAST_ATTEMPT_STALE_SECONDS": "1",
            "HOLDFAST_PROVIDER_TIMEOUT_SECONDS": "0.5",
            "HOLDFAST_DISPATCH_BATCH": "20",
            "HOLDFAST_LOG_FORMAT": "json",
        }

    async def start(self) -> None:
        assert self.proc is None or self.proc.returncode is not None
        self.proc = await spawn(self.log, "-m", "services.scheduler", env=self.env)
        self.pids.append(self.proc.pid)

    async def wait_serving(self, within_s: float = 30) -> None:
        deadline = time.monotonic() + within_s
        async with grpc.aio.insecure_channel(self.target) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while True:
                assert self.proc is not None and self.proc.returncode is None, self.log.read_text()[-4000:]
                try:
                    reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                except grpc.aio.AioRpcError:
                    pass
                assert time.monotonic() < deadline, f"{self.target} never became SERVING"
                await asyncio.sleep(0.05)

    async def kill(self, *, after_provider_s: float = 0) -> None:
        """SIGKILL. With `after_provider_s`, first freeze the process (SIGSTOP) that long: its requests already
        written reach the provider, which acts and answers into a socket nobody reads, so the process dies
        after the provider acted but before it recorded the outcome."""
        assert self.proc is not None
        if after_provider_s and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGSTOP)
            await asyncio.sleep(after_provider_s)
        await reap(self.proc)

    def errors(self) -> list[dict[str, Any]]:
        return [e for e in log_events(self.log) if e.get("level") in ("error", "critical")]


async def set_up_campaign(
    target: str, http: aiohttp.ClientSession, sandbox_url: str, prospects: int, senders_count: int = 4
) -> list[str]:
    """Over gRPC, as accounts and campaigns would: `senders_count` LinkedIn senders (each with its own sandbox account),
    one active campaign with one invite step, open all day every day, then `prospects` enrolled. Returns
    their provider ids."""
    now = datetime.now(UTC)
    # Open all day in UTC; within minutes of midnight, a zone where it is midday keeps the test in one window.
    timezone = "UTC" if 0 < now.hour < 23 else "Etc/GMT-12"
    limits = types_pb2.SendingLimit(
        action_type=types_pb2.ACTION_TYPE_LINKEDIN_INVITE,
        daily_cap=500,
        weekly_cap=2000,
        ramp_start=500,
        ramp_step=0,
        pacing_min_seconds=0,
        pacing_max_seconds=0,
    )
    channel = open_channel(target, default_timeout=10)
    try:
        stub = pb_grpc.SchedulerServiceStub(channel)
        senders = []
        for _ in range(senders_count):
            sender_id = str(uuid.uuid4())
            account = f"acc-{sender_id[:8]}"
            async with http.post(f"{sandbox_url}/_sandbox/accounts", json={"id": account, "name": account}) as r:
                assert r.status == 201, await r.text()
            reply = await stub.SetSenderState(
                pb.SetSenderStateRequest(
                    kind=types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT,
                    sender_id=sender_id,
                    version=1,
                    status=types_pb2.SENDER_STATUS_CONNECTED,
                    limits=[limits],
                    timezone=timezone,
                    unipile_account_id=account,
                )
            )
            assert reply.applied
            senders.append(sender_id)
        campaign_id = str(uuid.uuid4())
        reply = await stub.UpsertCampaignPlan(
            pb.UpsertCampaignPlanRequest(
                campaign_id=campaign_id,
                workspace_id=str(uuid.uuid4()),
                version=1,
                days=DAYS,
                window_start="00:00",
                window_end="23:59",
                timezone=timezone,
                randomize_within_window=False,
                active=True,
                linkedin_account_ids=senders,
                steps=[
                    pb.PlanStep(
                        index=0,
                        channel=types_pb2.CHANNEL_LINKEDIN,
                        action_type=types_pb2.ACTION_TYPE_LINKEDIN_INVITE,
                        delay_hours=0,
                        text="Hi {{first_name}}",
                    )
                ],
            )
        )
        assert reply.applied
        provider_ids = [f"prov-{i:04d}-{uuid.uuid4().hex[:8]}" for i in range(prospects)]
        reply = await stub.EnrollProspects(
            pb.EnrollProspectsRequest(
                campaign_id=campaign_id,
                prospects=[
                    pb.EnrolledProspect(prospect_id=str(uuid.uuid4()), linkedin_provider_id=p, first_name=f"P{i}")
                    for i, p in enumerate(provider_ids)
                ],
            )
        )
        assert reply.enrolled == prospects
    finally:
        await channel.close()
    return provider_ids


async def make_all_due_now(pool: asyncpg.Pool) -> int:
    """The set-up shortcut of the module docstring: every planned action becomes due now."""
    status = await pool.execute(
        "UPDATE scheduler.prospect_plans SET next_action_at = now() WHERE state = 'scheduled'"
        " AND next_action_at > now()"
    )
    return int(status.split()[-1])


async def set_latency(http: aiohttp.ClientSession, sandbox_url: str, ms: int) -> None:
    async with http.post(f"{sandbox_url}/_sandbox/latency", json={"endpoint": "send_invite", "ms": ms}) as r:
        assert r.status == 200, await r.text()


async def progress(pool: asyncpg.Pool) -> tuple[Counter[str], Counter[str]]:
    """(prospects per plan state, attempts per status)."""
    states = Counter(
        {
            r["state"]: r["n"]
            for r in await pool.fetch("SELECT state, count(*) AS n FROM scheduler.prospect_plans GROUP BY 1")
        }
    )
    attempts = Counter(
        {
            r["status"]: r["n"]
            for r in await pool.fetch("SELECT status, count(*) AS n FROM scheduler.send_attempts GROUP BY 1")
        }
    )
    return states, attempts


async def unfinished(pool: asyncpg.Pool) -> set[str]:
    return {str(r["id"]) for r in await pool.fetch("SELECT id FROM scheduler.send_attempts WHERE status = 'started'")}


async def wait_settled(pool: asyncpg.Pool, prospects: int, within_s: float, tick: Any = None) -> None:
    """Until every prospect waits for acceptance and no attempt is unfinished."""
    deadline = time.monotonic() + within_s
    while True:
        states, attempts = await progress(pool)
        if states["waiting_acceptance"] == prospects and attempts["started"] == 0:
            return
        assert time.monotonic() < deadline, f"not settled after {within_s}s: plans {states}, attempts {attempts}"
        if tick is not None:
            tick()
        await asyncio.sleep(0.2)


async def sandbox_state(http: aiohttp.ClientSession, sandbox_url: str) -> dict[str, Any]:
    async with http.get(f"{sandbox_url}/_sandbox/state") as r:
        assert r.status == 200
        return await r.json()


def assert_each_invited_once(state: dict[str, Any], provider_ids: list[str]) -> None:
    invited = Counter(i["provider_id"] for i in state["invitations"])
    twice = {p: n for p, n in invited.items() if n > 1}
    assert not twice, f"invited more than once: {twice}"
    assert set(invited) == set(provider_ids), (
        f"never invited: {sorted(set(provider_ids) - set(invited))[:10]}, "
        f"unknown: {sorted(set(invited) - set(provider_ids))[:10]}"
    )


async def assert_ledger(pool: asyncpg.Pool, prospects: int) -> Counter[str]:
    """The attempts agree with the sandbox: one counted send per prospect, nothing left open, and no second
    attempt that reached the provider (the sandbox would have refused it as 'already invited')."""
    _, attempts = await progress(pool)
    assert attempts["started"] == 0, attempts
    assert attempts["succeeded"] + attempts["reconciled_sent"] == prospects, attempts
    odd = await pool.fetch(
        "SELECT status, outcome, detail FROM scheduler.send_attempts"
        " WHERE status NOT IN ('succeeded', 'reconciled_sent', 'abandoned') LIMIT 5"
    )
    assert not odd, f"attempts that should not exist ({attempts}): {[dict(r) for r in odd]}"
    per_prospect = await pool.fetchval(
        """SELECT count(*) FROM (SELECT prospect_id FROM scheduler.send_attempts
            WHERE status IN ('succeeded', 'reconciled_sent') GROUP BY 1 HAVING count(*) <> 1) x"""
    )
    assert per_prospect == 0
    return attempts


async def test_sigkill_mid_dispatch_never_sends_twice_nor_loses_an_action(fresh_dsn, tmp_path):
    """S8: the scheduler is SIGKILLed eight times while invites are in flight (half of the kills after the
    provider acted, half before) and started again on the same port; in the end every prospect was invited
    exactly once and every attempt is resolved, each cut-off one by asking Unipile."""
    prospects, kills = 150, 8
    rng = random.Random(SEED)
    began = time.monotonic()
    async with AsyncExitStack() as stack:
        sandbox_url = await stack.enter_async_context(sandbox(tmp_path))
        await migrate(fresh_dsn, tmp_path)
        http = await stack.enter_async_context(aiohttp.ClientSession())
        pool = await asyncpg.create_pool(fresh_dsn, min_size=1, max_size=2)
        stack.push_async_callback(pool.close)
        scheduler = Scheduler(fresh_dsn, sandbox_url, tmp_path / "scheduler.log")
        try:
            latency_ms = rng.randint(150, 300)
            await set_latency(http, sandbox_url, latency_ms)
            await scheduler.start()
            await scheduler.wait_serving()
            # Three senders: few enough that the list outlasts the eight kills, so each one cuts calls off.
            provider_ids = await set_up_campaign(scheduler.target, http, sandbox_url, prospects, senders_count=3)
            await make_all_due_now(pool)

            cut_off: set[str] = set()  # attempts a kill left unfinished
            cut_per_kill = []
            for i in range(kills):
                await asyncio.sleep(rng.uniform(0.2, 1.0))
                # Every other kill lands after the provider acted, the others while calls are on their way.
                await scheduler.kill(after_provider_s=latency_ms / 1000 + 0.3 if i % 2 else 0)
                cut = await unfinished(pool) - cut_off
                cut_per_kill.append(len(cut))
                cut_off |= cut
                latency_ms = rng.randint(150, 300)
                await set_latency(http, sandbox_url, latency_ms)
                await scheduler.start()
                await scheduler.wait_serving()
            killed_at = time.monotonic()
            await wait_settled(pool, prospects, within_s=60)
            settled_at = time.monotonic()

            state = await sandbox_state(http, sandbox_url)
            assert_each_invited_once(state, provider_ids)
            attempts = await assert_ledger(pool, prospects)
            outcomes = Counter(
                {
                    (r["status"], r["outcome"]): r["n"]
                    for r in await pool.fetch(
                        "SELECT status, outcome, count(*) AS n FROM scheduler.send_attempts GROUP BY 1, 2"
                    )
                }
            )
            calls = state["calls"].get("send_invite", 0)
            # A call beyond one per prospect may only follow an attempt the provider showed never took effect.
            assert calls <= prospects + attempts["abandoned"], (calls, attempts)
            assert cut_off, "no kill caught an invite in flight: the test proved nothing"
            # Both kinds of cut-off were met: sent before the crash (found at Unipile) and never sent (retried).
            assert attempts["reconciled_sent"] > 0 and attempts["abandoned"] > 0, attempts
            longest = await pool.fetchval(
                "SELECT max(extract(epoch FROM finished_at - started_at))"
                " FROM scheduler.send_attempts WHERE status = 'succeeded'"
            )
            errors = scheduler.errors()
            print(
                f"\nFIGURES sigkill: seed={SEED} kills_survived={kills} processes={len(scheduler.pids)}"
                f" attempts_cut_off={len(cut_off)} {cut_per_kill}"
                f" succeeded={attempts['succeeded']} reconciled_sent={attempts['reconciled_sent']}"
                f" (confirmed={outcomes['reconciled_sent', 'confirmed']},"
                f" assumed={outcomes['reconciled_sent', 'assumed']})"
                f" abandoned_and_retried={attempts['abandoned']} invites={len(state['invitations'])}"
                f" send_invite_calls={calls} longest_live_attempt={float(longest or 0):.2f}s"
                f" error_log_lines={len(errors)} kill_phase={killed_at - began:.1f}s"
                f" settle={settled_at - killed_at:.1f}s total={time.monotonic() - began:.1f}s"
            )
            for event in errors[:5]:
                print("  scheduler error:", json.dumps(event)[:400])
            assert not errors, "a restarted scheduler logged errors"
        finally:
            await scheduler.kill()


async def test_two_scheduler_processes_on_one_database_never_dispatch_twice(fresh_dsn, tmp_path):
    """Two replicas on one database and one Unipile: both send, and no action is claimed, attempted or sent
    twice (the provider is asked exactly once per prospect)."""
    prospects = 200
    rng = random.Random(SEED + 1)
    began = time.monotonic()
    async with AsyncExitStack() as stack:
        sandbox_url = await stack.enter_async_context(sandbox(tmp_path))
        sandbox_port = int(sandbox_url.rsplit(":", 1)[1])
        await migrate(fresh_dsn, tmp_path)
        http = await stack.enter_async_context(aiohttp.ClientSession())
        pool = await asyncpg.create_pool(fresh_dsn, min_size=1, max_size=2)
        stack.push_async_callback(pool.close)
        schedulers = [Scheduler(fresh_dsn, sandbox_url, tmp_path / f"scheduler-{i}.log") for i in range(2)]
        try:
            await set_latency(http, sandbox_url, rng.randint(150, 300))
            for s in schedulers:
                await s.start()
            for s in schedulers:
                await s.wait_serving()
            provider_ids = await set_up_campaign(schedulers[0].target, http, sandbox_url, prospects)
            await make_all_due_now(pool)

            # Which processes talked to Unipile: their open (keep-alive) connections to the sandbox's port.
            talked: set[int] = set()

            def sample() -> None:
                for i, s in enumerate(schedulers):
                    assert s.proc is not None
                    try:
                        connections = psutil.Process(s.proc.pid).net_connections(kind="tcp")
                    except psutil.Error:
                        continue
                    if any(c.raddr and c.raddr.port == sandbox_port for c in connections):
                        talked.add(i)

            await wait_settled(pool, prospects, within_s=60, tick=sample)
            sample()
            settled_at = time.monotonic()
            for s in schedulers:
                assert s.proc is not None and s.proc.returncode is None, "a scheduler died"

            state = await sandbox_state(http, sandbox_url)
            assert_each_invited_once(state, provider_ids)
            attempts = await assert_ledger(pool, prospects)
            calls = state["calls"].get("send_invite", 0)
            assert calls == prospects, f"the provider was asked {calls} times for {prospects} invites"
            assert talked == {0, 1}, f"only scheduler(s) {sorted(talked)} sent anything"
            longest = await pool.fetchval(
                "SELECT max(extract(epoch FROM finished_at - started_at))"
                " FROM scheduler.send_attempts WHERE status = 'succeeded'"
            )
            errors = [e for s in schedulers for e in s.errors()]
            print(
                f"\nFIGURES two-processes: seed={SEED} prospects={prospects} invites={len(state['invitations'])}"
                f" send_invite_calls={calls} attempts={dict(attempts)} both_sent={talked == {0, 1}}"
                f" longest_live_attempt={float(longest or 0):.2f}s error_log_lines={len(errors)}"
                f" total={settled_at - began:.1f}s"
            )
            for event in errors[:5]:
                print("  scheduler error:", json.dumps(event)[:400])
            assert not errors, "a scheduler logged errors"
            # Nothing crashed, so nothing needed the reconciler: a live attempt is never judged stale.
            assert dict(attempts) == {"succeeded": prospects}, attempts
        finally:
            for s in schedulers:
                await s.kill()


async def test_a_provider_error_while_reconciling_neither_loses_nor_assumes_an_invite(fresh_dsn, tmp_path):
    """S8 when the provider cannot answer the reconciler: after each kill, Unipile fails the next reads of the
    sent invitations (503). An attempt cut off by the kill must wait for a real answer, then go out exactly once,
    never be written off as 'assumed sent'."""
    prospects, kills = 60, 3
    rng = random.Random(SEED + 2)
    began = time.monotonic()
    async with AsyncExitStack() as stack:
        sandbox_url = await stack.enter_async_context(sandbox(tmp_path))
        await migrate(fresh_dsn, tmp_path)
        http = await stack.enter_async_context(aiohttp.ClientSession())
        pool = await asyncpg.create_pool(fresh_dsn, min_size=1, max_size=2)
        stack.push_async_callback(pool.close)
        scheduler = Scheduler(fresh_dsn, sandbox_url, tmp_path / "scheduler.log")
        try:
            await set_latency(http, sandbox_url, 250)
            await scheduler.start()
            await scheduler.wait_serving()
            provider_ids = await set_up_campaign(scheduler.target, http, sandbox_url, prospects)
            await make_all_due_now(pool)
            cut_off: set[str] = set()
            for i in range(kills):
                await asyncio.sleep(rng.uniform(0.3, 0.8))
                await scheduler.kill(after_provider_s=0.55 if i % 2 else 0)
                cut = await unfinished(pool) - cut_off
                cut_off |= cut
                async with http.post(
                    f"{sandbox_url}/_sandbox/failures",
                    json={
                        "endpoint": "list_sent_invitations",
                        "status": 503,
                        "type": "errors/service_unavailable",
                        "count": len(cut) + 2,
                    },
                ) as r:
                    assert r.status == 201, await r.text()
                await scheduler.start()
                await scheduler.wait_serving()
            await wait_settled(pool, prospects, within_s=40)

            state = await sandbox_state(http, sandbox_url)
            outcomes = Counter(
                {
                    (r["status"], r["outcome"]): r["n"]
                    for r in await pool.fetch(
                        "SELECT status, outcome, count(*) AS n FROM scheduler.send_attempts GROUP BY 1, 2"
                    )
                }
            )
            print(
                f"\nFIGURES reconcile-vs-provider-errors: seed={SEED} kills={kills} attempts_cut_off={len(cut_off)}"
                f" outcomes={dict(outcomes)} invites={len(state['invitations'])}"
                f" sent_list_reads={state['calls'].get('list_sent_invitations', 0)}"
                f" total={time.monotonic() - began:.1f}s"
            )
            assert cut_off, "no kill caught an invite in flight: the test proved nothing"
            assert_each_invited_once(state, provider_ids)
            await assert_ledger(pool, prospects)
            assert outcomes["reconciled_sent", "assumed"] == 0, "an invite can be looked up: never assume"
            errors = scheduler.errors()
            assert not errors, [json.dumps(e)[:400] for e in errors[:3]]
        finally:
            await scheduler.kill()
