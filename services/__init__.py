"""Holdfast's services: accounts, campaigns, scheduler, the gateway, and what they share (`common`).

One process-wide setting lives here because it must be in place before any module imports grpc, and every process
that runs Holdfast's code imports this package first: gRPC's sockets are served by grpc.aio's own poller (gRPC core's
iomgr) instead of the newer EventEngine's threads. A call then wakes one thread fewer; on the gateway -> campaigns
hop that is 5-10 % less CPU per request in each process (B5, docs/BENCHMARKS.md). An operator's own
GRPC_EXPERIMENTS wins (docs/OPERATIONS.md)."""

import os

GRPC_EXPERIMENTS = (
    "-event_engine_client,-event_engine_listener,-event_engine_for_all_other_endpoints,-event_engine_callback_cq"
)
os.environ.setdefault("GRPC_EXPERIMENTS", GRPC_EXPERIMENTS)
