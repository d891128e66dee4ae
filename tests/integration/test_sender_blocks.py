"""T8 in the scheduler: a provider's refusal of an account's credentials blocks the sender for a while; the state
that records working credentials again (back to connected, or new credentials while still connected) lifts that
block in the same transaction, and nothing else does."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from services.common.clock import ManualClock
from services.scheduler.domain import Limits
from services.scheduler.repository import Repository
from tests.scheduler_rig import MONDAY_7_UTC, Rig, scheduler_rig

LIMITS = Limits(daily_cap=50, weekly_cap=200, ramp_start=50, ramp_step=0, pacing_min_seconds=0, pacing_max_seconds=0)


@pytest.fixture
async def rig(fresh_dsn) -> AsyncIterator[Rig]:
    async with scheduler_rig(fresh_dsn, ManualClock(MONDAY_7_UTC)) as built:
        yield built


async def _block(rig: Rig, sender_id: str, status: str) -> None:
    async with Repository(rig.pool).transaction() as tx:
        await tx.block_sender(sender_id, status, rig.clock.now() + timedelta(minutes=15))


async def _state(rig: Rig, sender_id: str) -> tuple[str, bool]:
    row = await rig.pool.fetchrow(
        "SELECT provider_block, next_send_after FROM scheduler.sender_states WHERE sender_id = $1", uuid.UUID(sender_id)
    )
    return row["provider_block"], row["next_send_after"] > rig.clock.now()


async def _set(rig: Rig, sender_id: str, version: int, status: str, renewed: bool = False) -> None:
    assert await rig.service.set_sender(
        "inbox",
        sender_id,
        version,
        status,
        "Europe/Paris",
        None,
        "",
        "sales@acme.example",
        {"email": LIMITS},
        credentials_renewed=renewed,
    )


async def test_new_credentials_or_a_return_to_connected_lift_the_block_and_nothing_else_does(rig: Rig) -> None:
    sender_id = str(uuid.uuid4())
    await _set(rig, sender_id, 1, "connected")
    await _block(rig, sender_id, "disconnected")
    assert await _state(rig, sender_id) == ("disconnected", True)

    # A limits change (still connected, same credentials) leaves the block: accounts has not decided yet.
    await _set(rig, sender_id, 2, "connected")
    assert await _state(rig, sender_id) == ("disconnected", True)

    # New credentials while the inbox still reads connected (the refused send came before any probe).
    await _set(rig, sender_id, 3, "connected", renewed=True)
    assert await _state(rig, sender_id) == ("", False)

    # Disconnected by the probes, then connected again: lifted by the transition.
    await _block(rig, sender_id, "sender_refused")
    await _set(rig, sender_id, 4, "disconnected")
    assert await _state(rig, sender_id) == ("sender_refused", True)
    await _set(rig, sender_id, 5, "connected")
    assert await _state(rig, sender_id) == ("", False)

    # An outdated state changes nothing.
    await _block(rig, sender_id, "disconnected")
    assert not await rig.service.set_sender(
        "inbox", sender_id, 5, "connected", "Europe/Paris", None, "", "sales@acme.example", {}, credentials_renewed=True
    )
    assert await _state(rig, sender_id) == ("disconnected", True)
