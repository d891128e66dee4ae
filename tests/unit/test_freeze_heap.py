"""A started service process moves its start-up heap out of the garbage collector's full collections
(services/common/event_loop.freeze_heap): the internal services once `start` returned, so an import's full
collections no longer walk every module, class and stub again (docs/BENCHMARKS.md, issue 17)."""

from __future__ import annotations

import gc
from contextlib import AsyncExitStack
from types import SimpleNamespace
from typing import Any

from services.common import event_loop, service_main


def test_freeze_heap_moves_what_lives_now_out_of_the_collections() -> None:
    try:
        gc.unfreeze()
        assert gc.get_freeze_count() == 0
        event_loop.freeze_heap()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


async def test_a_service_freezes_its_heap_once_started() -> None:
    frozen_when_started: list[int] = []

    class Running:
        def follow(self, answers: Any) -> None:
            frozen_when_started.append(gc.get_freeze_count())

    async def start(settings: Any, stack: AsyncExitStack) -> Any:
        assert gc.get_freeze_count() == 0  # not before: what start builds is part of the start-up heap
        return Running()

    settings = SimpleNamespace(metrics_port=0, database_url="postgresql://127.0.0.1:1/none")
    try:
        gc.unfreeze()
        async with AsyncExitStack() as stack:
            await service_main._with_metrics(settings, stack, start, "test")  # type: ignore[arg-type]
        assert frozen_when_started and frozen_when_started[0] > 0
    finally:
        gc.unfreeze()
