"""B5: the gateway under load: `GET /api/v1/campaigns/{id}` with wrk at 64 connections against the suite as
`make run` starts it (deploy/local/run.py: gateway, accounts, campaigns and scheduler as processes of their own,
gRPC between them, a throwaway embedded PostgreSQL). Each request is authenticated (its bearer token) and read
through the campaigns service; the requests go round 64 distinct campaigns of the workspace, so reads made at the
same moment are of different rows (the gateway sends concurrent reads to campaigns together: it prints how many per
call). Targets: at least half the baseline's requests/s, and a p99 at most 1.5x the baseline's.

Baseline, in the same run and against the same database and rows: a bare aiohttp app whose handler runs the
equivalent queries (the token's principal, then the campaign with its pause reasons) directly with asyncpg and
answers the row as JSON. The two are measured in turns (`--slices`, default 5: gateway 2 s, baseline 2 s, five
times for `--seconds 10`), so that other work on the machine weighs on both alike; requests/s, CPU and the
p50/p99 of each side are pooled over its slices. wrk comes from Debian (`apt-get install wrk`); the benchmark
stops with that advice when it is missing.

    .venv/bin/python -m bench.b5_gateway [--seconds 15] [--connections 64] [--slices 5] [--profile DIR [--native]]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web

from bench import summary
from services.campaigns.campaign_rows_repository import WITH_REASONS
from services.common import embedded_pg

ROOT = Path(__file__).resolve().parents[1]
# wrk calls done() once at the end: the figures as one JSON line (latencies in microseconds), with the latency at
# each of QUANTILES so that slices of a run can be pooled (`pooled`).
QUANTILES = (50.0, 75.0, *(90 + i / 10 for i in range(101)))
WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  local q = {}
  for _, p in ipairs({50, 75}) do q[#q + 1] = string.format("%d", latency:percentile(p)) end
  for i = 0, 100 do q[#q + 1] = string.format("%d", latency:percentile(90 + i / 10)) end
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, '
    .. '"non_2xx": %d, "timeouts": %d, "p50": %d, "p90": %d, "p99": %d, "max": %d, "q": [%s]}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, table.concat(q, ",")))
end
"""


# Distinct campaigns the requests go round (each request the next one): concurrent requests read different rows, as
# members polling their own campaigns do, so reads sent together are not the same read.
CAMPAIGNS = 64


def rotating(paths: list[str]) -> str:
    """wrk's request function: the paths in turn."""
    listed = ", ".join(f'"{p}"' for p in paths)
    return f"""
local paths = {{{listed}}}
local turn = 0
request = function()
  turn = turn % #paths + 1
  return wrk.format(nil, paths[turn])
end
"""


@dataclass(frozen=True)
class Load:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    # CPU time spent serving (our processes; PostgreSQL's backends), measured around the run: unlike requests/s,
    # hardly moved by other work on the machine.
    app_cpu_s: float = 0.0
    db_cpu_s: float = 0.0
    # The same per process (its name: the service's module, "bench" for the baseline), CPU seconds.
    per_process: tuple[tuple[str, float], ...] = ()
    duration_s: float = 0.0
    # Latency in ms at each of QUANTILES.
    quantiles: tuple[float, ...] = ()
    # The gateway's campaign reads per GetCampaigns call (services/gateway/campaign_reads.py), from its metrics.
    reads_per_call: float = 0.0

    def cpu_ms_per_request(self) -> tuple[float, float]:
        return 1000 * self.app_cpu_s / self.requests, 1000 * self.db_cpu_s / self.requests

    def per_process_ms(self) -> str:
        return ", ".join(f"{name} {1000 * cpu / self.requests:.2f}" for name, cpu in self.per_process)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (they run on this machine: read /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def process_name(pid: int) -> str:
    """The service a process runs (`services.gateway` -> gateway), else "bench"."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return str(pid)
    for part in command:
        if part.startswith(b"services."):
            return part.decode().removeprefix("services.")
    return "bench"


def service_pids(runner: int) -> list[int]:
    """The Holdfast services started by the local runner (its children running `-m services.<name>`)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if ppid == runner and b"-m" in command and any(part.startswith(b"services.") for part in command):
            pids.append(int(entry.name))
    return pids


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit(
            "B5 needs wrk, which is not installed. Install it from Debian's packages:\n"
            "    sudo apt-get -o DPkg::Lock::Timeout=600 update\n"
            "    sudo apt-get -o DPkg::Lock::Timeout=600 install -y wrk\n"
            "(nothing is downloaded at run time)"
        )
    return wrk


def free_ports(count: int) -> list[int]:
    """Distinct free ports (all bound at once, so none is handed out twice)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


async def wrk(binary: str, url: str, token: str, seconds: int, connections: int, script: Path) -> Load:
    process = await asyncio.create_subprocess_exec(
        binary,
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        "-H",
        f"Authorization: Bearer {token}",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode:
        raise SystemExit(f"wrk failed (exit {process.returncode}): {err.decode().strip()}")
    report = json.loads(out.decode().strip().splitlines()[-1])
    failed = {
        k: report[k] for k in ("connect_errors", "read_errors", "write_errors", "non_2xx", "timeouts") if report[k]
    }
    if failed:
        raise SystemExit(f"wrk saw failures against {url}: {failed}")
    return Load(
        report["requests"] / (report["duration_us"] / 1e6),
        report["p50"] / 1000,
        report["p99"] / 1000,
        report["max"] / 1000,
        report["requests"],
        duration_s=report["duration_us"] / 1e6,
        quantiles=tuple(q / 1000 for q in report["q"]),
    )


def _share_at_most(load: Load, ms: float) -> float:
    """The share of `load`'s requests answered within `ms` (linear between its quantiles; 0 below its median)."""
    points = list(zip(load.quantiles, (q / 100 for q in QUANTILES), strict=True))
    if ms < points[0][0]:
        return 0.0
    for (x0, p0), (x1, p1) in itertools.pairwise(points):
        if ms <= x1:
            return p1 if x1 == x0 else p0 + (p1 - p0) * (ms - x0) / (x1 - x0)
    return 1.0


def pooled(slices: list[Load]) -> Load:
    """One figure for slices of a run: requests over time, CPU summed, and the p50 and p99 of all their requests
    together (each slice weighed by its requests; from the quantiles wrk printed)."""
    requests = sum(s.requests for s in slices)

    def quantile(p: float) -> float:
        low, high = 0.0, max(s.max_ms for s in slices)
        for _ in range(60):
            mid = (low + high) / 2
            if sum(s.requests * _share_at_most(s, mid) for s in slices) / requests >= p:
                high = mid
            else:
                low = mid
        return high

    per_process: dict[str, float] = {}
    for s in slices:
        for name, cpu in s.per_process:
            per_process[name] = per_process.get(name, 0.0) + cpu
    duration = sum(s.duration_s for s in slices)
    return Load(
        requests / duration,
        quantile(0.5),
        quantile(0.99),
        max(s.max_ms for s in slices),
        requests,
        app_cpu_s=sum(s.app_cpu_s for s in slices),
        db_cpu_s=sum(s.db_cpu_s for s in slices),
        per_process=tuple(sorted(per_process.items(), key=lambda item: -item[1])),
        duration_s=duration,
    )


async def measured(run: Awaitable[Load], app_pids: list[int], db: asyncpg.Pool) -> Load:
    """`run`, with the CPU time our processes and PostgreSQL's backends spent meanwhile."""
    backends = [
        r[0]
        for r in await db.fetch(
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
    ]
    app, database = cpu_seconds(app_pids), cpu_seconds(backends)
    each = {pid: cpu_seconds([pid]) for pid in app_pids}
    load = await run
    per_process = tuple(
        sorted(
            ((process_name(pid), cpu_seconds([pid]) - before) for pid, before in each.items()),
            key=lambda item: -item[1],
        )
    )
    return replace(
        load, app_cpu_s=cpu_seconds(app_pids) - app, db_cpu_s=cpu_seconds(backends) - database, per_process=per_process
    )


@asynccontextmanager
async def suite(dsn: str, data: Path) -> AsyncIterator[tuple[str, str, list[int]]]:
    """The suite as `make run` starts it (with its Unipile sandbox), on free ports; yields the gateway's URL,
    the sandbox's and the services' process ids."""
    port, accounts, campaigns, scheduler, unipile, smtp, imap, google, microsoft = free_ports(9)
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "HOLDFAST_LOCAL_DATA": str(data),
        "HOLDFAST_HTTP_PORT": str(port),
        "HOLDFAST_ACCOUNTS_LISTEN": f"127.0.0.1:{accounts}",
        "HOLDFAST_CAMPAIGNS_LISTEN": f"127.0.0.1:{campaigns}",
        "HOLDFAST_SCHEDULER_LISTEN": f"127.0.0.1:{scheduler}",
        "HOLDFAST_SANDBOX_UNIPILE_PORT": str(unipile),
        "HOLDFAST_SANDBOX_SMTP_PORT": str(smtp),
        "HOLDFAST_SANDBOX_IMAP_PORT": str(imap),
        "HOLDFAST_SANDBOX_GOOGLE_OAUTH_PORT": str(google),
        "HOLDFAST_SANDBOX_MICROSOFT_OAUTH_PORT": str(microsoft),
    }
    log = (data / "suite.log").open("wb")
    runner = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "deploy" / "local" / "run.py"), env=env, stdout=log, stderr=asyncio.subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 120
            while True:
                if runner.returncode is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the suite did not start; see {data / 'suite.log'}")
                try:
                    async with http.get(f"{base}/readyz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.3)
        yield base, f"http://127.0.0.1:{unipile}", service_pids(runner.pid)
    finally:
        if runner.returncode is None:
            runner.send_signal(signal.SIGTERM)
        await runner.wait()
        log.close()


@asynccontextmanager
async def baseline_app(pool: asyncpg.Pool) -> AsyncIterator[str]:
    """The floor: the same reads (token, then campaign with its reasons) straight from asyncpg, as JSON."""

    async def get_campaign(request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").partition(" ")[2]
        async with pool.acquire() as conn:
            principal = await conn.fetchrow(
                "SELECT workspace_id, member_id FROM accounts.api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                hashlib.sha256(token.encode()).digest(),
            )
            if principal is None:
                return web.json_response({"error": {"code": "unauthenticated"}}, status=401)
            row = await conn.fetchrow(
                f"{WITH_REASONS} WHERE c.id = $1 AND c.workspace_id = $2",
                request.match_info["campaign_id"],
                principal["workspace_id"],
            )
        if row is None:
            return web.json_response({"error": {"code": "not_found"}}, status=404)
        return web.json_response(dict(row), dumps=lambda v: json.dumps(v, default=str))

    app = web.Application()
    app.router.add_get("/api/v1/campaigns/{campaign_id}", get_campaign)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


async def read_batches(http: aiohttp.ClientSession, base: str) -> tuple[float, float]:
    """(GetCampaigns calls, campaign reads sent in them) the gateway has made so far, from its /metrics."""
    async with http.get(f"{base}/metrics") as r:
        text = await r.text()
    samples = dict(line.rsplit(" ", 1) for line in text.splitlines() if line.startswith(READ_BATCH))
    return float(samples[f"{READ_BATCH}_count"]), float(samples[f"{READ_BATCH}_sum"])


READ_BATCH = "holdfast_gateway_campaign_read_batch_size"


async def created(http: aiohttp.ClientSession, url: str, body: dict, headers: dict[str, str] | None = None) -> dict:
    """POST that must answer 201; a 503 is retried for a while (services just started may still be connecting
    to each other)."""
    for _ in range(50):
        async with http.post(url, json=body, headers=headers) as r:
            if r.status != 503:
                assert r.status == 201, await r.text()
                return await r.json()
        await asyncio.sleep(0.2)
    raise SystemExit(f"{url} still unavailable after 10 s")


async def create_campaigns(http: aiohttp.ClientSession, base: str, unipile: str, count: int) -> tuple[str, list[str]]:
    """A workspace, a LinkedIn account and `count` campaigns sent from it, through the API; returns (token, campaign
    ids)."""
    token = (await created(http, f"{base}/api/v1/workspaces", {"name": "Bench", "owner_email": "b5@bench.example"}))[
        "token"
    ]
    auth = {"Authorization": f"Bearer {token}"}
    async with http.post(f"{unipile}/_sandbox/accounts", json={"id": "acc-b5", "name": "Ana"}) as r:
        assert r.status < 300, await r.text()
    account = (
        await created(http, f"{base}/api/v1/linkedin-accounts", {"unipile_account_id": "acc-b5", "name": "Ana"}, auth)
    )["id"]
    body = {
        "name": "Founders",
        "schedule": {
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "window": {"start": "09:00", "end": "17:00"},
            "timezone": "Europe/Paris",
            "randomize_within_window": True,
        },
        "steps": [
            {"channel": "linkedin", "action": "invite", "text": "Hi {{first_name}}"},
            {"channel": "linkedin", "action": "message", "delay": {"days": 2}, "text": "Thanks!"},
        ],
        "senders": {"linkedin_account_ids": [account]},
    }
    return token, [
        (await created(http, f"{base}/api/v1/campaigns", {**body, "name": f"Founders {n}"}, auth))["id"]
        for n in range(count)
    ]


async def profiled(
    pids: list[int], seconds: int, into: Path | None, native: bool = False
) -> list[asyncio.subprocess.Process]:
    """py-spy on each service for the measured run (`--profile DIR`: DIR/<service>.raw, collapsed stacks;
    `--native`: C frames too, so grpc's core and the event loop show by name)."""
    if into is None:
        return []
    into.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before the run
    spy = str(Path(sys.executable).parent / "py-spy")
    mode = ["--native"] if native else ["--nonblocking"]
    return [
        await asyncio.create_subprocess_exec(
            spy, "record", *mode, "-r", "250", "-f", "raw", "-d", str(seconds), "--pid", str(pid),
            "-o", str(into / f"{process_name(pid)}.raw"),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        for pid in pids
    ]  # fmt: skip


async def run(
    seconds: int, connections: int, profile: Path | None = None, native: bool = False, slices: int = 5
) -> tuple[Load, Load]:
    binary = require_wrk()
    server, dsn = embedded_pg.start_throwaway()
    data = Path(tempfile.mkdtemp(prefix="b5-", dir=ROOT / ".holdfast" / "tmp"))
    try:
        script = data / "report.lua"
        script.write_text(WRK_REPORT)
        async with suite(dsn, data) as (base, unipile, services), aiohttp.ClientSession() as http:
            token, campaigns = await create_campaigns(http, base, unipile, CAMPAIGNS)
            paths = [f"/api/v1/campaigns/{c}" for c in campaigns]
            for path in paths:
                async with http.get(f"{base}{path}", headers={"Authorization": f"Bearer {token}"}) as r:
                    assert r.status == 200, await r.text()
            script.write_text(rotating(paths) + WRK_REPORT)
            path = paths[0]
            pool = await asyncpg.create_pool(dsn, min_size=4, max_size=10)
            try:
                async with baseline_app(pool) as floor:
                    gateway_url, floor_url = f"{base}{path}", f"{floor}{path}"
                    # Warm both up (connections, caches), then measure them in turns: slices of the gateway and
                    # of the baseline one after the other, so that both see the same load from other work on the
                    # machine (one 10-second run of each, one after the other, moved the ratio 0.34-0.61 for the
                    # same code).
                    await wrk(binary, gateway_url, token, 2, connections, script)
                    await wrk(binary, floor_url, token, 2, connections, script)
                    batches_before = await read_batches(http, base)
                    spies = await profiled(services, 2 * seconds + 2, profile, native)
                    turns, runs = max(1, slices), {"gateway": list[Load](), "baseline": list[Load]()}
                    each = max(1, round(seconds / turns))
                    for _ in range(turns):
                        runs["gateway"].append(
                            await measured(wrk(binary, gateway_url, token, each, connections, script), services, pool)
                        )
                        runs["baseline"].append(
                            await measured(
                                wrk(binary, floor_url, token, each, connections, script), [os.getpid()], pool
                            )
                        )
                    for spy in spies:
                        await spy.wait()
                calls, reads = (n - b for n, b in zip(await read_batches(http, base), batches_before, strict=True))
                gateway, baseline = pooled(runs["gateway"]), pooled(runs["baseline"])
                gateway = replace(gateway, reads_per_call=reads / calls if calls else 0.0)
            finally:
                await pool.close()
        return gateway, baseline
    finally:
        shutil.rmtree(data, ignore_errors=True)
        server.cleanup()  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--profile", type=Path, help="py-spy each service during the gateway's run, into this folder")
    parser.add_argument("--native", action="store_true", help="with --profile: C frames too (slower sampling)")
    parser.add_argument(
        "--slices", type=int, default=5, help="turns of gateway then baseline the seconds are cut in (1: one run each)"
    )
    args = parser.parse_args()
    require_wrk()
    gateway, baseline = asyncio.run(run(args.seconds, args.connections, args.profile, args.native, args.slices))
    ratio = gateway.requests_per_s / baseline.requests_per_s
    for name, load in (
        ("gateway (gRPC to accounts and campaigns)", gateway),
        ("baseline (bare aiohttp + asyncpg)", baseline),
    ):
        app_cpu, db_cpu = load.cpu_ms_per_request()
        print(
            f"B5 {name:<42} {load.requests_per_s:8.0f} req/s  p50 {load.p50_ms:6.1f} ms  "
            f"p99 {load.p99_ms:6.1f} ms  max {load.max_ms:6.1f} ms  CPU per request: Python {app_cpu:.2f} ms, "
            f"PostgreSQL {db_cpu:.2f} ms"
        )
        print(f"B5   CPU ms per request by process: {load.per_process_ms()}")
        if load.reads_per_call:
            print(f"B5   campaign reads per GetCampaigns call: {load.reads_per_call:.1f}")
    p99_ratio = gateway.p99_ms / baseline.p99_ms
    print(
        f"B5 ratio {ratio:.2f} (target >= 0.5: {'met' if ratio >= 0.5 else 'MISSED'}); gateway p99 "
        f"{gateway.p99_ms:.1f} ms, {p99_ratio:.2f}x the baseline's (target <= 1.5x: "
        f"{'met' if p99_ratio <= 1.5 else 'MISSED'})"
    )
    app_cpu, db_cpu = gateway.cpu_ms_per_request()
    base_app_cpu, base_db_cpu = baseline.cpu_ms_per_request()
    summary.record(
        "B5",
        f"GET /api/v1/campaigns/{{id}}, wrk {args.connections} connections",
        f"{gateway.requests_per_s:.0f} req/s, p99 {gateway.p99_ms:.1f} ms",
        f"bare aiohttp + asyncpg {baseline.requests_per_s:.0f} req/s, p99 {baseline.p99_ms:.1f} ms",
        ratio,
        ">= 0.5x, p99 <= 1.5x bare",
        ratio >= 0.5 and p99_ratio <= 1.5,
        f"Python {app_cpu:.2f} ms, PostgreSQL {db_cpu:.2f} ms per request (bare: {base_app_cpu:.2f}, "
        f"{base_db_cpu:.2f})",
    )


if __name__ == "__main__":
    main()
