"""Prometheus metrics shared by the services. Each process exposes them on /metrics: the gateway on its
HTTP port, the gRPC services on HOLDFAST_METRICS_PORT."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

GRPC_REQUESTS = Counter("holdfast_grpc_requests_total", "gRPC calls served", ["method", "code"])
GRPC_LATENCY = Histogram("holdfast_grpc_request_seconds", "gRPC call latency", ["method"], buckets=LATENCY_BUCKETS)
HTTP_REQUESTS = Counter("holdfast_http_requests_total", "HTTP requests served", ["route", "status"])
HTTP_LATENCY = Histogram("holdfast_http_request_seconds", "HTTP request latency", ["route"], buckets=LATENCY_BUCKETS)
PAUSE_CHANGES = Counter(
    "holdfast_pause_reason_changes_total", "pause reasons added and cleared", ["reason", "action", "actor"]
)
SENDS = Counter("holdfast_sends_total", "send attempts by channel and outcome", ["channel", "outcome"])
DISPATCH_LAG = Histogram(
    "holdfast_dispatch_lag_seconds",
    "claim time minus planned time of a send",
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)
HOLD_DELAY = Histogram(
    "holdfast_hold_delay_seconds",
    "from a pause or resume cause to the scheduler enforcing it",
    ["action"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
BOUNCE_REPORTS_IGNORED = Counter(
    "holdfast_bounce_reports_ignored_total",
    "delivery reports quoting one of our Message-IDs not counted as a bounce (T6)",
    ["reason"],
)
BOUNCE_POLL_ERRORS = Counter("holdfast_bounce_poll_errors_total", "bounce polls of an inbox that failed", ["kind"])
PROVIDER_UNMAPPED_ERRORS = Counter(
    "holdfast_provider_unmapped_errors_total",
    "provider error answers of a type the provider does not document",
    ["status", "type"],
)
CAMPAIGN_READ_BATCH = Histogram(
    "holdfast_gateway_campaign_read_batch_size",
    "campaign reads sent to campaigns in one GetCampaigns call (services/gateway/campaign_reads.py)",
    buckets=(1, 2, 4, 8, 16, 32, 64),
)
OUTBOX_BACKLOG = Gauge("holdfast_outbox_backlog", "outbox events not yet delivered", ["schema"])


class Labelled:
    """`metric.labels(*values)`, remembered: prometheus_client checks the labels and takes a lock each time, which
    is measurable on a path taken once per request or call (B5). The children are prometheus_client's own, so
    what /metrics shows is unchanged. Label values come from a bounded set (route patterns, methods, codes)."""

    def __init__(self, metric: Any):
        self._metric = metric
        self._children: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str) -> Any:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self._metric.labels(*values)
        return child


async def metrics_handler(_: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def serve_metrics(host: str, port: int) -> web.AppRunner:
    """A small HTTP server with /metrics, for the gRPC services."""
    app = web.Application()
    app.router.add_get("/metrics", metrics_handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
