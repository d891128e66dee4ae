"""Serving a fake's aiohttp app on a local port, the one way tests, benchmarks and `python -m sandbox` do it."""

from __future__ import annotations

from contextlib import AsyncExitStack

from aiohttp import web


async def serve(app: web.Application, stack: AsyncExitStack, host: str = "127.0.0.1", port: int = 0) -> str:
    """Start `app` on host:port (0: a free port), stopped when `stack` closes; returns its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    await web.TCPSite(runner, host, port).start()
    return f"http://{host}:{runner.addresses[0][1]}"
