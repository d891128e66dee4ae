"""`python -m services.gateway`: serve the HTTP API until SIGTERM/SIGINT, then drain and stop."""

from __future__ import annotations

import sys

import structlog
from aiohttp import web

from services.common import config, event_loop, logging
from services.gateway.app import create_app
from services.gateway.config import Settings


def main() -> None:
    try:
        settings = config.load(Settings)
    except config.ConfigError as exc:
        print(f"holdfast gateway: {exc}", file=sys.stderr)
        sys.exit(2)
    logging.configure("gateway", level=settings.log_level, fmt=settings.log_format)
    log = structlog.get_logger(__name__)
    log.info("serving", url=f"http://{settings.http_host}:{settings.http_port}")
    app = create_app(settings)

    async def started(_: web.Application) -> None:
        event_loop.freeze_heap()

    app.on_startup.append(started)
    web.run_app(
        app,
        host=settings.http_host,
        port=settings.http_port,
        shutdown_timeout=settings.shutdown_grace_seconds,
        access_log=None,
        print=None,
        loop=event_loop.new_loop(),
    )
    log.info("stopped")


main()
