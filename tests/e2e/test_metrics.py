"""Prometheus metrics are served by every service and move with the traffic."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

import aiohttp
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.conftest import free_port, suite_env
from tests.e2e.test_processes import ROOT, wait_serving


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_the_gateway_serves_metrics_by_route_pattern(suite):
    _, auth = await suite.new_workspace()
    cid = str(uuid.uuid4())
    read_calls = {"method": "/holdfast.campaigns.v1.CampaignsService/GetCampaigns", "code": "OK"}
    async with suite.http.get(f"{suite.base_url}/metrics") as r:
        text = await r.text()
        before = sample(text, "holdfast_http_requests_total", route="/api/v1/campaigns/{campaign_id}", status="404")
        calls_before = sample(text, "holdfast_grpc_requests_total", **read_calls)
    for _ in range(3):
        await suite.call("GET", f"/api/v1/campaigns/{cid}", auth)
    async with suite.http.get(f"{suite.base_url}/metrics") as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain")
        text = await r.text()
    assert (
        sample(text, "holdfast_http_requests_total", route="/api/v1/campaigns/{campaign_id}", status="404")
        == before + 3
    )
    assert cid not in text, "labels carry the route pattern, never an id"
    # One read at a time: each its own call (services/gateway/campaign_reads.py), which answers its read's not
    # found inside an OK call.
    assert sample(text, "holdfast_grpc_requests_total", **read_calls) == calls_before + 3
    assert "holdfast_http_request_seconds_bucket" in text


@pytest.mark.parametrize("service", ["accounts", "campaigns", "scheduler"])
async def test_each_grpc_service_serves_metrics(fresh_dsn, service):
    port, metrics = free_port(), free_port()
    env = {
        **os.environ,
        **suite_env(fresh_dsn),
        "HOLDFAST_GRPC_LISTEN": f"127.0.0.1:{port}",
        "HOLDFAST_METRICS_PORT": str(metrics),
        "HOLDFAST_LOG_FORMAT": "json",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        f"services.{service}",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await wait_serving(f"127.0.0.1:{port}")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            for _ in range(2):
                await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{metrics}/metrics") as r:
            assert r.status == 200
            text = await r.text()
        assert sample(text, "holdfast_grpc_requests_total", method="/grpc.health.v1.Health/Check", code="OK") >= 2
        assert "holdfast_grpc_request_seconds_bucket" in text
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 30) == 0
