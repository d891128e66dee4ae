from __future__ import annotations

from dataclasses import dataclass

from services.common.config import ServiceSettings, parse_bool, parse_listen, setting


@dataclass(frozen=True, kw_only=True)
class Settings(ServiceSettings):
    grpc_listen: str = setting("HOLDFAST_GRPC_LISTEN", "127.0.0.1:50053", parse=parse_listen,
                               help="host:port the scheduler gRPC server listens on")
    accounts_target: str = setting("HOLDFAST_ACCOUNTS_TARGET", "127.0.0.1:50051", parse=parse_listen,
                                   help="host:port of the accounts gRPC service")
    dispatch_enabled: bool = setting("HOLDFAST_DISPATCH_ENABLED", True, parse=parse_bool,
                                     help="run the dispatcher, reconciler and acceptance polling in this process")
    dispatch_interval_seconds: float = setting("HOLDFAST_DISPATCH_INTERVAL_SECONDS", 1.0, parse=float,
                                               help="how often the dispatcher looks for due actions when idle")
    dispatch_batch: int = setting("HOLDFAST_DISPATCH_BATCH", 100, parse=int,
                                  help="senders claimed per dispatcher round")
    attempt_stale_seconds: float = setting("HOLDFAST_ATTEMPT_STALE_SECONDS", 600.0, parse=float,
                                           help="an attempt unfinished after this long is reconciled with the provider")
    relations_poll_seconds: float = setting("HOLDFAST_RELATIONS_POLL_SECONDS", 4 * 3600.0, parse=float,
                                            help="how often (jittered ±25%) each LinkedIn sender's relations are "
                                            "read to catch acceptances the webhook missed")
    unipile_dsn: str = setting("HOLDFAST_UNIPILE_DSN", "", help="Unipile base URL (https://apiN.unipile.com:PORT); "
                               "make run points it at the sandbox")
    unipile_api_key: str = setting("HOLDFAST_UNIPILE_API_KEY", "", secret=True, help="Unipile X-API-KEY")
