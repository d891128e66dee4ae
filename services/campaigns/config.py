from __future__ import annotations

from dataclasses import dataclass

from services.common.config import ServiceSettings, parse_listen, setting


@dataclass(frozen=True, kw_only=True)
class Settings(ServiceSettings):
    grpc_listen: str = setting("HOLDFAST_GRPC_LISTEN", "127.0.0.1:50052", parse=parse_listen,
                               help="host:port the campaigns gRPC server listens on")
