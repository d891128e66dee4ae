"""Wiring of the campaigns service: the pool, the outbox relay, the use cases, the sweeper loop (through
services/common/loops.py) and the gRPC server. `python -m services.campaigns` starts it."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

from holdfast.accounts.v1 import accounts_pb2_grpc
from holdfast.scheduler.v1 import scheduler_pb2_grpc
from services.campaigns.clients import AccountsDirectory, ProtoEvents, SchedulerClient, outbox_deliveries
from services.campaigns.config import Settings
from services.campaigns.repository import Repository
from services.campaigns.server import CampaignsServicer, registration
from services.campaigns.service import CampaignsService
from services.common.clock import Clock, SystemClock
from services.common.db import create_pool
from services.common.grpc_client import open_channel
from services.common.grpc_server import RunningServer, start_server
from services.common.loops import cancel, run_loop
from services.common.outbox import Relay
from services.common.service_main import prepare_schema

MIGRATIONS = Path(__file__).parent / "migrations"


async def start(settings: Settings, stack: AsyncExitStack, clock: Clock | None = None) -> RunningServer:
    pool = await create_pool(
        settings.database_url,
        application_name="holdfast-campaigns",
        max_size=settings.db_pool_max,
        wait_seconds=settings.db_wait_seconds,
    )
    stack.push_async_callback(pool.close)
    await prepare_schema(pool, "campaigns", MIGRATIONS, apply=settings.migrate_on_start)
    channels = {
        name: open_channel(target, default_timeout=settings.rpc_timeout_seconds)
        for name, target in (("accounts", settings.accounts_target), ("scheduler", settings.scheduler_target))
    }
    for channel in channels.values():
        stack.push_async_callback(channel.close)
    scheduler = scheduler_pb2_grpc.SchedulerServiceStub(channels["scheduler"])
    accounts = accounts_pb2_grpc.AccountsServiceStub(channels["accounts"])
    relay = Relay(pool, "campaigns", outbox_deliveries(scheduler, accounts))
    await relay.start()
    stack.push_async_callback(relay.stop)
    service = CampaignsService(
        Repository(pool),
        clock or SystemClock(),
        events=ProtoEvents(),
        outbox=relay,
        scheduler=SchedulerClient(scheduler),
        directory=AccountsDirectory(accounts),
        auto_resume_cooldown=timedelta(seconds=settings.auto_resume_cooldown_seconds),
        probation=timedelta(seconds=settings.probation_seconds),
    )
    if settings.sweeper_enabled:
        sweeper = asyncio.create_task(
            run_loop("sweeper", settings.sweep_seconds, service.health.sweep_once, idle_only=False)
        )
        stack.push_async_callback(cancel, sweeper)
    servicer = CampaignsServicer(service)
    running = await start_server(settings.grpc_listen, [registration(servicer)])
    stack.push_async_callback(running.stop, settings.shutdown_grace_seconds)
    return running
