from __future__ import annotations

from dataclasses import dataclass

from services.common.config import ServiceSettings, parse_listen, setting


@dataclass(frozen=True, kw_only=True)
class Settings(ServiceSettings):
    grpc_listen: str = setting("HOLDFAST_GRPC_LISTEN", "127.0.0.1:50052", parse=parse_listen,
                               help="host:port the campaigns gRPC server listens on")
    accounts_target: str = setting("HOLDFAST_ACCOUNTS_TARGET", "127.0.0.1:50051", parse=parse_listen,
                                   help="host:port of the accounts gRPC service")
    scheduler_target: str = setting("HOLDFAST_SCHEDULER_TARGET", "127.0.0.1:50053", parse=parse_listen,
                                    help="host:port of the scheduler gRPC service")
