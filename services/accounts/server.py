"""gRPC edge of the accounts service: protobuf <-> domain, nothing else."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import grpc

from holdfast.accounts.v1 import accounts_pb2 as pb
from holdfast.accounts.v1 import accounts_pb2_grpc as pb_grpc
from holdfast.common.v1 import types_pb2
from services.accounts.config import Settings
from services.accounts.domain import Workspace
from services.accounts.repository import Repository
from services.accounts.service import AccountsService
from services.common.clock import Clock, SystemClock
from services.common.db import create_pool
from services.common.grpc_server import Registration, RunningServer, start_server
from services.common.proto_time import to_timestamp
from services.common.service_main import prepare_schema

MIGRATIONS = Path(__file__).parent / "migrations"
_SUBSCRIPTION = {
    "active": types_pb2.SUBSCRIPTION_STATUS_ACTIVE,
    "canceled": types_pb2.SUBSCRIPTION_STATUS_CANCELED,
}


def _workspace(w: Workspace) -> pb.Workspace:
    return pb.Workspace(id=w.id, name=w.name, subscription_status=_SUBSCRIPTION[w.subscription_status],
                        created_at=to_timestamp(w.created_at))


class AccountsServicer(pb_grpc.AccountsServiceServicer):
    def __init__(self, service: AccountsService):
        self._service = service

    async def CreateWorkspace(self, request: pb.CreateWorkspaceRequest,
                              context: grpc.aio.ServicerContext) -> pb.CreateWorkspaceResponse:
        workspace, member_id, token = await self._service.create_workspace(request.name, request.owner_email)
        return pb.CreateWorkspaceResponse(workspace=_workspace(workspace), owner_member_id=member_id,
                                          token=token)

    async def Authenticate(self, request: pb.AuthenticateRequest,
                           context: grpc.aio.ServicerContext) -> pb.AuthenticateResponse:
        principal = await self._service.authenticate(request.token)
        return pb.AuthenticateResponse(workspace_id=principal.workspace_id, member_id=principal.member_id)

    async def GetWorkspace(self, request: pb.GetWorkspaceRequest,
                           context: grpc.aio.ServicerContext) -> pb.GetWorkspaceResponse:
        return pb.GetWorkspaceResponse(workspace=_workspace(await self._service.get_workspace(
            request.workspace_id)))


async def start(settings: Settings, stack: AsyncExitStack, clock: Clock | None = None) -> RunningServer:
    pool = await create_pool(settings.database_url, application_name="holdfast-accounts",
                             max_size=settings.db_pool_max, wait_seconds=settings.db_wait_seconds)
    stack.push_async_callback(pool.close)
    await prepare_schema(pool, "accounts", MIGRATIONS, apply=settings.migrate_on_start)
    service = AccountsService(Repository(pool), clock or SystemClock())
    servicer = AccountsServicer(service)
    running = await start_server(settings.grpc_listen, [Registration(
        pb.DESCRIPTOR.services_by_name["AccountsService"].full_name,
        lambda server: pb_grpc.add_AccountsServiceServicer_to_server(servicer, server),
    )])
    stack.push_async_callback(running.stop, settings.shutdown_grace_seconds)
    return running
