from __future__ import annotations

from dataclasses import dataclass

from services.common.config import ServiceSettings, parse_listen, setting
from services.common.crypto import Keyring


@dataclass(frozen=True, kw_only=True)
class Settings(ServiceSettings):
    grpc_listen: str = setting(
        "HOLDFAST_GRPC_LISTEN",
        "127.0.0.1:50051",
        parse=parse_listen,
        help="host:port the accounts gRPC server listens on",
    )
    secret_keys: Keyring = setting(
        "HOLDFAST_SECRET_KEYS",
        parse=Keyring.parse,
        secret=True,
        help="keys encrypting stored credentials: comma-separated key_id:base64url(32 bytes); the first "
        "encrypts, all decrypt (rotation)",
    )
    scheduler_target: str = setting(
        "HOLDFAST_SCHEDULER_TARGET",
        "127.0.0.1:50053",
        parse=parse_listen,
        help="host:port of the scheduler gRPC service",
    )
