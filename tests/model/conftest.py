"""The model-based test runs on the end-to-end world: the whole suite in-process on one virtual clock, started
once for every sequence. Its loops poll more often than the other suites' (the dispatcher every 10 ms, the
sweeper every 20 ms), so a step waits milliseconds, not a poll interval, for what it caused; and the failure
and bounce detectors judge smaller samples, so a burst of a few failures or bounces is enough to pause."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from tests.e2e.conftest import World, open_world

MODEL_ENV = {
    "HOLDFAST_DISPATCH_INTERVAL_SECONDS": "0.01",
    "HOLDFAST_SWEEP_SECONDS": "0.02",
    "HOLDFAST_AUTO_RESUME_COOLDOWN_SECONDS": "600",
    "HOLDFAST_FAILURE_MIN_SAMPLE": "3",
    "HOLDFAST_BOUNCE_MIN_SAMPLE": "2",
}


@pytest.fixture
async def world(pg_dsn: str) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        yield await open_world(pg_dsn, stack, **MODEL_ENV)
