"""Settings parsed once from the environment at start-up.

Every service describes its settings as a frozen dataclass whose fields carry their environment
variable name in `metadata`; `load()` reads them all, reports every missing or malformed value at once
and stops start-up with a clear message. The same descriptions list the variables for the README and the
deployment drift test.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")
REQUIRED: Any = object()


class ConfigError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))
        self.problems = problems


def setting(
    env: str, default: Any = REQUIRED, *, parse: Callable[[str], Any] = str, help: str = "", secret: bool = False
) -> Any:
    """Declare a settings field read from `env`."""
    meta = {"env": env, "parse": parse, "help": help, "secret": secret, "required": default is REQUIRED}
    if default is REQUIRED:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


# Where each internal gRPC service listens by default; every other service reaches it there.
DEFAULT_PORTS = {"accounts": 50051, "campaigns": 50052, "scheduler": 50053}


def listen_setting(service: str) -> Any:
    """The `grpc_listen` setting of `service`'s own server."""
    return setting(
        "HOLDFAST_GRPC_LISTEN",
        f"127.0.0.1:{DEFAULT_PORTS[service]}",
        parse=parse_listen,
        help=f"host:port the {service} gRPC server listens on",
    )


def target_setting(service: str) -> Any:
    """The `<service>_target` setting: where another service reaches `service`'s gRPC server."""
    return setting(
        f"HOLDFAST_{service.upper()}_TARGET",
        f"127.0.0.1:{DEFAULT_PORTS[service]}",
        parse=parse_listen,
        help=f"host:port of the {service} gRPC service",
    )


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


def parse_listen(raw: str) -> str:
    host, sep, port = raw.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected host:port, got {raw!r}")
    return raw


def parse_login_timeout(raw: str) -> float:
    """HOLDFAST_INBOX_LOGIN_TIMEOUT_SECONDS, which accounts waits on and the gateway budgets for."""
    seconds = float(raw)
    if not 0 < seconds <= 120:
        raise ValueError("must be more than 0 and at most 120")
    return seconds


def allow_public_plaintext_setting() -> Any:
    """HOLDFAST_ALLOW_PUBLIC_PLAINTEXT, read alike by every service that logs in to an inbox's mail servers."""
    return setting(
        "HOLDFAST_ALLOW_PUBLIC_PLAINTEXT",
        False,
        parse=parse_bool,
        help="let an inbox with security `none` send its password in plaintext to a public address (by default only "
        "loopback and private addresses may: reason plaintext_refused)",
    )


def load(cls: type[T], environ: Mapping[str, str] | None = None) -> T:
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    problems: list[str] = []
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        meta = field.metadata
        if "env" not in meta:
            continue
        raw = environ.get(meta["env"])
        if raw is None or raw == "":
            if meta["required"]:
                problems.append(f"{meta['env']} is required but not set ({meta['help'] or field.name})")
            continue
        try:
            values[field.name] = meta["parse"](raw)
        except ValueError as exc:
            shown = "<hidden>" if meta["secret"] else repr(raw)
            problems.append(f"{meta['env']}={shown} is invalid: {exc}")
    if problems:
        raise ConfigError(problems)
    return cls(**values)


def describe(cls: type) -> list[dict[str, Any]]:
    """Every environment variable a settings class reads, for docs and the drift test."""
    rows = []
    for field in dataclasses.fields(cls):
        meta = field.metadata
        if "env" in meta:
            default = None if meta["required"] else field.default
            rows.append(
                {
                    "env": meta["env"],
                    "required": meta["required"],
                    "default": default,
                    "help": meta["help"],
                    "secret": meta["secret"],
                }
            )
    return rows


@dataclasses.dataclass(frozen=True, kw_only=True)
class CommonSettings:
    """Settings every process reads."""

    log_level: str = setting("HOLDFAST_LOG_LEVEL", "info", help="debug, info, warning or error")
    log_format: str = setting(
        "HOLDFAST_LOG_FORMAT", "auto", help="json, console, or auto (json unless stdout is a terminal)"
    )
    shutdown_grace_seconds: float = setting(
        "HOLDFAST_SHUTDOWN_GRACE_SECONDS", 10.0, parse=float, help="how long in-flight calls may finish after SIGTERM"
    )
    rpc_timeout_seconds: float = setting(
        "HOLDFAST_RPC_TIMEOUT_SECONDS", 5.0, parse=float, help="deadline of calls to other services"
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServiceSettings(CommonSettings):
    """Settings every internal (database-owning) service reads."""

    database_url: str = setting(
        "DATABASE_URL", parse=str, secret=True, help="PostgreSQL URL, e.g. postgresql://user:pw@host:5432/holdfast"
    )
    migrate_on_start: bool = setting(
        "HOLDFAST_MIGRATE_ON_START",
        True,
        parse=parse_bool,
        help="apply pending migrations at start (else only check them)",
    )
    db_pool_max: int = setting("HOLDFAST_DB_POOL_MAX", 10, parse=int, help="database connections per process")
    db_wait_seconds: float = setting(
        "HOLDFAST_DB_WAIT_SECONDS", 30.0, parse=float, help="how long start-up waits for the database"
    )
    metrics_port: int = setting(
        "HOLDFAST_METRICS_PORT", 0, parse=int, help="port of the Prometheus /metrics endpoint (0: not served)"
    )
