"""Services as real processes: start-up, configuration errors, graceful shutdown, and the local runner
behind `make run`."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import asyncpg
import grpc
import psutil
from grpc_health.v1 import health_pb2, health_pb2_grpc

from holdfast.campaigns.v1 import campaigns_pb2, campaigns_pb2_grpc
from holdfast.common.v1 import types_pb2
from tests.conftest import free_port, suite_env

ROOT = Path(__file__).resolve().parents[2]


async def wait_serving(target: str, within_s: float = 30) -> None:
    deadline = time.monotonic() + within_s
    async with grpc.aio.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{target} never became SERVING")


def test_missing_required_setting_stops_start_up_with_a_clear_message():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "services.campaigns"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "DATABASE_URL is required" in result.stderr


def test_malformed_setting_is_reported_without_echoing_secrets():
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://u:pw@h/db",
        "HOLDFAST_GRPC_LISTEN": "nonsense",
        "HOLDFAST_DB_POOL_MAX": "many",
    }
    result = subprocess.run(
        [sys.executable, "-m", "services.accounts"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "HOLDFAST_GRPC_LISTEN='nonsense' is invalid" in result.stderr
    assert "HOLDFAST_DB_POOL_MAX='many' is invalid" in result.stderr


async def test_sigterm_drains_in_flight_calls_then_exits_zero(fresh_dsn):
    """SIGTERM: health goes NOT_SERVING, a call already running finishes, the process exits 0."""
    port = free_port()
    env = {
        **os.environ,
        **suite_env(fresh_dsn),
        "HOLDFAST_GRPC_LISTEN": f"127.0.0.1:{port}",
        "HOLDFAST_SHUTDOWN_GRACE_SECONDS": "20",
        "HOLDFAST_LOG_FORMAT": "json",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.campaigns",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    target = f"127.0.0.1:{port}"
    try:
        await wait_serving(target)
        async with grpc.aio.insecure_channel(target) as channel:
            stub = campaigns_pb2_grpc.CampaignsServiceStub(channel)
            workspace = "6d3f1a52-54f4-4b1c-9d26-1f0b8a0c7e11"
            member = types_pb2.Actor(kind=types_pb2.ACTOR_KIND_MEMBER, member_id="0b5e0f6c-9a7e-4a59-8d0c-2e3c4f5a6b7c")
            request = campaigns_pb2.CreateCampaignRequest(
                workspace_id=workspace,
                name="c",
                actor=member,
                schedule=campaigns_pb2.Schedule(days=["mon"], window_start="09:00", window_end="10:00", timezone="UTC"),
            )
            await stub.CreateCampaign(request, timeout=5)  # warm: the schema is there

            # Lock the table so the next create blocks inside the server, in flight.
            blocker = await asyncpg.connect(fresh_dsn)
            tx = blocker.transaction()
            await tx.start()
            await blocker.execute("LOCK TABLE campaigns.campaigns IN EXCLUSIVE MODE")
            watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(), timeout=30)
            assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
            in_flight = asyncio.ensure_future(stub.CreateCampaign(request, timeout=30))
            await asyncio.sleep(0.5)
            assert not in_flight.done()

            proc.send_signal(signal.SIGTERM)
            assert (await watch.read()).status == health_pb2.HealthCheckResponse.NOT_SERVING
            await asyncio.sleep(0.3)
            assert not in_flight.done(), "the in-flight call was cut off"
            await tx.rollback()
            await blocker.close()
            reply = await in_flight
            assert reply.campaign.status == campaigns_pb2.CAMPAIGN_STATUS_DRAFT and reply.campaign.id
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    output = (await proc.stdout.read()).decode()
    assert '"event": "shutting down"' in output and '"event": "stopped"' in output


def test_make_run_runner_starts_everything_and_stops_cleanly(tmp_path):
    """The runner behind `make run`: ready within a minute, then SIGTERM leaves no process behind."""
    http_port = free_port()
    ports = [free_port() for _ in range(3)]
    env = {
        **os.environ,
        "HOLDFAST_HTTP_PORT": str(http_port),
        "HOLDFAST_LOG_FORMAT": "json",
        "HOLDFAST_ACCOUNTS_LISTEN": f"127.0.0.1:{ports[0]}",
        "HOLDFAST_CAMPAIGNS_LISTEN": f"127.0.0.1:{ports[1]}",
        "HOLDFAST_SCHEDULER_LISTEN": f"127.0.0.1:{ports[2]}",
        "HOLDFAST_LOCAL_DATA": str(tmp_path / "data"),
        # Not the sandbox's fixed defaults, which a developer's `make run` (or another test run) may hold.
        **{
            f"HOLDFAST_SANDBOX_{name}_PORT": str(free_port())
            for name in ("UNIPILE", "SMTP", "IMAP", "GOOGLE_OAUTH", "MICROSOFT_OAUTH")
        },
    }
    env.pop("DATABASE_URL", None)
    with (tmp_path / "run.log").open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "deploy/local/run.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "run.log").read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/readyz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
            time.sleep(0.3)
        descendants = psutil.Process(proc.pid).children(recursive=True)
        assert len([p for p in descendants if "services." in " ".join(p.cmdline())]) == 4
        postgres = [p for p in psutil.process_iter(["cmdline"]) if str(tmp_path) in " ".join(p.info["cmdline"] or [])]
        assert postgres, "the embedded PostgreSQL runs from the given data folder"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        time.sleep(0.5)
        left = [p for p in descendants + postgres if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert left == [], left
        assert "ready at" in (tmp_path / "run.log").read_text()
        assert (tmp_path / "data" / "pgdata" / "PG_VERSION").exists(), "data is kept between runs"
    finally:
        if proc.poll() is None:
            proc.kill()
