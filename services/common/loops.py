"""Background loops of a service: run a step forever, log its failures, never die of them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


async def run_loop(name: str, interval_s: float, step: Callable[[], Awaitable[int]], *, idle_only: bool = True) -> None:
    """Run `step` forever. With `idle_only`, sleep only when it found nothing to do (so a backlog drains at
    full speed); otherwise sleep after every run."""
    while True:
        done = 0
        try:
            done = await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background step failed", loop=name)
        if not done or not idle_only:
            await asyncio.sleep(interval_s)


async def cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
