"""A dispatch round writes in a fixed number of statements, whatever its size (B2), and a round whose batched
writes fail still records every outcome it can. Real PostgreSQL, the real Unipile client over real HTTP to the
sandbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import asyncpg
import pytest

from services.common.clock import ManualClock
from services.common.providers.unipile import UnipileClient
from services.scheduler.clients import ProtoEvents
from services.scheduler.dispatcher import Dispatcher
from services.scheduler.domain import Limits, Step
from services.scheduler.providers import Providers
from services.scheduler.repository import Repository, Tx
from tests.scheduler_rig import MONDAY_7_UTC, Rig, scheduler_rig

LIMITS = Limits(daily_cap=10, weekly_cap=1000, ramp_start=10, ramp_step=0, pacing_min_seconds=0, pacing_max_seconds=0)
INVITE_ONLY = (Step(0, "linkedin", "linkedin_invite", 0, "Hi {{first_name}}"),)
OPEN_WINDOW = MONDAY_7_UTC + timedelta(hours=3)  # 11:00 in Paris


class CountingRepository(Repository):
    """The real repository, counting the statements its transactions send."""

    def __init__(self, pool: asyncpg.Pool):
        super().__init__(pool)
        self.statements = 0

    def _count(self, logged: object) -> None:
        # Ours only: asyncpg's own type introspection on a fresh connection is not the dispatcher's doing.
        if "scheduler." in logged.query:  # type: ignore[attr-defined]
            self.statements += 1

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self.pool.acquire() as conn:
            conn.add_query_logger(self._count)
            try:
                async with conn.transaction():
                    yield Tx(conn)
            finally:
                conn.remove_query_logger(self._count)


@pytest.fixture
async def rig(fresh_dsn) -> AsyncIterator[Rig]:
    async with scheduler_rig(fresh_dsn, ManualClock(OPEN_WINDOW)) as built:
        yield built


async def due_now(rig: Rig, senders: int) -> list[str]:
    """`senders` senders with one invite each, due now; returns the prospects."""
    ids = [await rig.add_sender(LIMITS) for _ in range(senders)]
    campaign, prospects = await rig.campaign(ids, senders, steps=INVITE_ONLY)
    # One prospect per sender, all due now (enrolment spreads them by its own rules).
    await rig.pool.execute(
        """UPDATE scheduler.prospect_plans p SET sender_id = ($3::uuid[])[o.k], linkedin_sender_id = ($3::uuid[])[o.k],
                  next_action_at = $2
             FROM (SELECT prospect_id, row_number() OVER (ORDER BY prospect_id) AS k FROM scheduler.prospect_plans
                    WHERE campaign_id = $1) o
            WHERE p.prospect_id = o.prospect_id""",
        uuid.UUID(campaign),
        rig.clock.now(),
        [uuid.UUID(i) for i in ids],
    )
    assert (
        await rig.pool.fetchval(
            "SELECT count(DISTINCT sender_id) FROM scheduler.prospect_plans WHERE campaign_id = $1", uuid.UUID(campaign)
        )
        == senders
    )
    return prospects


def counting_dispatcher(rig: Rig) -> tuple[Dispatcher, CountingRepository]:
    repository = CountingRepository(rig.pool)
    unipile = UnipileClient(rig.sandbox_url, "test-key", rig.http)
    events = ProtoEvents()

    async def no_email(_: str):
        raise AssertionError("no email here")

    return Dispatcher(
        repository,
        Providers(unipile, no_email),
        rig.clock,
        batch=100,
        unipile=unipile,
        failure_rates=rig.failure_rates,
        events=events,
    ), repository


async def states(rig: Rig, prospects: list[str]) -> list[tuple[str, str | None]]:
    rows = await rig.pool.fetch(
        """SELECT p.state, a.status FROM scheduler.prospect_plans p
             LEFT JOIN scheduler.send_attempts a ON a.prospect_id = p.prospect_id
            WHERE p.prospect_id = ANY($1::uuid[])""",
        [uuid.UUID(p) for p in prospects],
    )
    return sorted((r["state"], r["status"]) for r in rows)


async def test_a_round_costs_the_same_statements_for_3_actions_as_for_40(rig):
    dispatcher, repository = counting_dispatcher(rig)
    costs = {}
    for size in (3, 40):
        prospects = await due_now(rig, size)
        repository.statements = 0
        assert await dispatcher.run_once() == size
        costs[size] = repository.statements
        # Every action was performed once and its outcome recorded: an invite waits for acceptance.
        assert await states(rig, prospects) == [("waiting_acceptance", "succeeded")] * size
        failure_states = await rig.pool.fetch(
            """SELECT failure_sample FROM scheduler.sender_states s
                WHERE EXISTS (SELECT 1 FROM scheduler.prospect_plans p
                               WHERE p.sender_id = s.sender_id AND p.prospect_id = ANY($1::uuid[]))""",
            [uuid.UUID(p) for p in prospects],
        )
        assert [r["failure_sample"] for r in failure_states] == [1] * size, "each sender's rate was evaluated"
    assert len(rig.sandbox.invitations) == 43
    assert costs[3] == costs[40], costs
    assert costs[40] <= 20, f"a round of 40 sent {costs[40]} statements"


async def test_a_round_whose_batched_writes_fail_records_each_outcome_on_its_own(rig):
    prospects = await due_now(rig, 4)
    poisoned = prospects[0]
    # A real failure inside PostgreSQL, for one prospect's outcome only.
    await rig.pool.execute(f"""
        CREATE FUNCTION scheduler.refuse_poisoned() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.prospect_id = '{poisoned}'::uuid AND NEW.status <> 'started' THEN
                RAISE EXCEPTION 'poisoned outcome';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_poisoned BEFORE UPDATE ON scheduler.send_attempts
            FOR EACH ROW EXECUTE FUNCTION scheduler.refuse_poisoned();""")
    dispatcher, _ = counting_dispatcher(rig)
    assert await dispatcher.run_once() == 4
    assert await states(rig, prospects[1:]) == [("waiting_acceptance", "succeeded")] * 3
    # The one that could not be recorded stays in flight, its attempt open for the reconciler (S8).
    assert await states(rig, [poisoned]) == [("in_flight", "started")]
    assert len(rig.sandbox.invitations) == 4
