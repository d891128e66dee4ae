"""The entry point every internal service shares: `python -m services.<name> [serve|migrate|<command>]`.

A service may register extra one-shot commands (`main(..., commands={"rotate-keys": fn})`): `fn(settings)` is
awaited with the loaded settings, logging configured, and its return value is the process's exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import structlog

from services.common import config, event_loop, logging
from services.common.db import DatabaseProbe, create_pool
from services.common.grpc_server import RunningServer, serve_forever
from services.common.metrics import serve_metrics
from services.common.migrations import MigrationError, check, migrate

Start = Callable[[Any, AsyncExitStack], Awaitable[RunningServer]]
Command = Callable[[Any], Coroutine[Any, Any, int]]


async def prepare_schema(pool: Any, schema: str, folder: Path, *, apply: bool) -> None:
    log = structlog.get_logger(__name__)
    async with pool.acquire() as conn:
        if apply:
            applied = await migrate(conn, schema, folder)
            log.info("schema migrated", schema=schema, applied=applied)
        else:
            await check(conn, schema, folder)


async def _migrate_only(settings: config.ServiceSettings, schema: str, folder: Path) -> None:
    pool = await create_pool(
        settings.database_url,
        application_name=f"holdfast-{schema}-migrate",
        max_size=1,
        wait_seconds=settings.db_wait_seconds,
    )
    try:
        await prepare_schema(pool, schema, folder, apply=True)
    finally:
        await pool.close()


async def _with_metrics(
    settings: config.ServiceSettings, stack: AsyncExitStack, start: Start, name: str
) -> RunningServer:
    if settings.metrics_port:
        host = settings.grpc_listen.rpartition(":")[0]  # type: ignore[attr-defined]
        runner = await serve_metrics(host, settings.metrics_port)
        stack.push_async_callback(runner.cleanup)
    probe = DatabaseProbe(settings.database_url, application_name=f"holdfast-{name}-readiness")
    stack.push_async_callback(probe.close)  # closed last: the server's stop ends the follower first
    running = await start(settings, stack)
    event_loop.freeze_heap()
    running.follow(probe.answers)
    return running


def _summary(command: Command) -> str:
    doc = (command.__doc__ or "").strip()
    return doc.split("\n\n")[0].replace("\n", " ") if doc else "(no description)"


def main(
    *, name: str, settings_cls: type, start: Start, migrations: Path, commands: dict[str, Command] | None = None
) -> None:
    extra = dict(commands or {})
    clash = {"serve", "migrate"} & set(extra)
    if clash:
        raise ValueError(f"commands may not replace the built-in ones: {sorted(clash)}")
    epilog = "\n".join(f"  {cmd}: {_summary(fn)}" for cmd, fn in extra.items())
    parser = argparse.ArgumentParser(
        prog=f"python -m services.{name}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"other commands:\n{epilog}" if epilog else None,
    )
    parser.add_argument(
        "command",
        nargs="?",
        default="serve",
        choices=["serve", "migrate", *extra],
        help="serve (default), apply the schema migrations and exit, or one of the commands below",
    )
    args = parser.parse_args()
    try:
        settings: Any = config.load(settings_cls)  # one of the services' Settings classes
    except config.ConfigError as exc:
        print(f"holdfast {name}: {exc}", file=sys.stderr)
        sys.exit(2)
    logging.configure(name, level=settings.log_level, fmt=settings.log_format)
    log = structlog.get_logger(__name__)
    try:
        if args.command == "migrate":
            event_loop.run(_migrate_only(settings, name, migrations))
        elif args.command in extra:
            code: int = event_loop.run(extra[args.command](settings))
            sys.exit(code)
        else:
            event_loop.run(
                serve_forever(
                    lambda stack: _with_metrics(settings, stack, start, name), grace=settings.shutdown_grace_seconds
                )
            )
    except (MigrationError, RuntimeError) as exc:
        log.error("start-up failed", error=str(exc))
        sys.exit(1)
