"""gRPC edge of the scheduler service. The planner and dispatcher arrive with the scheduler issue; until
then its RPCs answer UNIMPLEMENTED (the generated base servicer), and the service runs its schema and
health like the others."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

from holdfast.scheduler.v1 import scheduler_pb2 as pb
from holdfast.scheduler.v1 import scheduler_pb2_grpc as pb_grpc
from services.common.clock import Clock
from services.common.db import create_pool
from services.common.grpc_server import Registration, RunningServer, start_server
from services.common.service_main import prepare_schema
from services.scheduler.config import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


class SchedulerServicer(pb_grpc.SchedulerServiceServicer):
    pass


async def start(settings: Settings, stack: AsyncExitStack, clock: Clock | None = None) -> RunningServer:
    pool = await create_pool(settings.database_url, application_name="holdfast-scheduler",
                             max_size=settings.db_pool_max, wait_seconds=settings.db_wait_seconds)
    stack.push_async_callback(pool.close)
    await prepare_schema(pool, "scheduler", MIGRATIONS, apply=settings.migrate_on_start)
    servicer = SchedulerServicer()
    running = await start_server(settings.grpc_listen, [Registration(
        pb.DESCRIPTOR.services_by_name["SchedulerService"].full_name,
        lambda server: pb_grpc.add_SchedulerServiceServicer_to_server(servicer, server),
    )])
    stack.push_async_callback(running.stop, settings.shutdown_grace_seconds)
    return running
