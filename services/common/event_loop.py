"""The event loop every service process runs on: uvloop (libuv), which does the same asyncio work as the standard
loop for less CPU per socket event; on the hop gateway -> gRPC -> campaigns most of the work is socket events
(B5, docs/BENCHMARKS.md). Tests keep pytest-asyncio's standard loop: behaviour does not depend on the loop."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


def new_loop() -> asyncio.AbstractEventLoop:
    return uvloop.new_event_loop()


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on uvloop."""
    with asyncio.Runner(loop_factory=new_loop) as runner:
        return runner.run(main)


def freeze_heap() -> None:
    """Called once a process has started: what it built to start (modules, classes, stubs, pools) lives as long as
    the process, so it leaves the garbage collector's full collections (gc.freeze). Each full collection walked that
    whole heap again, and a 10,000-prospect import allocates enough to trigger several (docs/BENCHMARKS.md)."""
    gc.collect()
    gc.freeze()
