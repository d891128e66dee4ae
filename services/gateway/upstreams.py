"""The gateway's gRPC channels and stubs to the internal services."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from holdfast.accounts.v1 import accounts_pb2_grpc
from holdfast.campaigns.v1 import campaigns_pb2_grpc
from holdfast.scheduler.v1 import scheduler_pb2_grpc
from services.common.errors import DomainError
from services.common.grpc_client import open_channel


@dataclass
class Upstreams:
    channels: dict[str, grpc.aio.Channel]
    accounts: accounts_pb2_grpc.AccountsServiceStub
    campaigns: campaigns_pb2_grpc.CampaignsServiceStub
    scheduler: scheduler_pb2_grpc.SchedulerServiceStub

    @classmethod
    def connect(cls, targets: dict[str, str], timeout: float) -> Upstreams:
        channels = {name: open_channel(target, default_timeout=timeout) for name, target in targets.items()}
        return cls(
            channels=channels,
            accounts=accounts_pb2_grpc.AccountsServiceStub(channels["accounts"]),
            campaigns=campaigns_pb2_grpc.CampaignsServiceStub(channels["campaigns"]),
            scheduler=scheduler_pb2_grpc.SchedulerServiceStub(channels["scheduler"]),
        )

    async def health(self, deadline_s: float = 1.0) -> dict[str, str]:
        """Each upstream's health status name, or UNREACHABLE."""

        async def check(channel: grpc.aio.Channel) -> str:
            try:
                reply = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=deadline_s
                )
            except DomainError:
                return "UNREACHABLE"
            return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)

        names = list(self.channels)
        results = await asyncio.gather(*(check(self.channels[n]) for n in names))
        return dict(zip(names, results, strict=True))

    async def close(self) -> None:
        await asyncio.gather(*(channel.close() for channel in self.channels.values()))
