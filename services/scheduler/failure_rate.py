"""Failure rate of each sender over a sliding window (DESIGN S10, P7).

Evaluated once per dispatch round, in the transaction that records its outcomes, and by a periodic job,
because the window slides while nothing is sent (a paused campaign sends nothing, yet its sender's old
failures age out). Each sender keeps its alert state; only transitions travel to campaigns (through the
outbox, in order per sender): above the threshold with enough attempts -> above; back under it, or a sample
too small -> below."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg
import structlog

from services.common.clock import Clock
from services.scheduler.domain import FAILURE_RATE_KINDS, FailurePolicy, FailureSignal
from services.scheduler.ports import Events
from services.scheduler.rate_alerts import judge_states
from services.scheduler.repository import Repository, Tx

log = structlog.get_logger(__name__)


class FailureRateMonitor:
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        events: Events,
        policy: FailurePolicy | None = None,
        *,
        every: timedelta = timedelta(seconds=60),
        batch: int = 200,
    ):
        self._repo = repository
        self._clock = clock
        self._events = events
        self.policy = policy or FailurePolicy()
        self._every = every
        self._batch = batch

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.policy.window_seconds)

    async def evaluate(self, tx: Tx, sender_ids: Sequence[str], now: datetime) -> None:
        """Re-evaluate these senders inside the caller's transaction (locks their rows); each that changed state
        has its event written to the outbox."""
        states = await tx.lock_failure_states(sender_ids, FAILURE_RATE_KINDS)
        await self._apply(tx, states, now)

    async def evaluate_failure_rates_once(self) -> int:
        """The periodic job: re-evaluate the senders the sliding window may have changed; returns how many
        were evaluated (0: nothing to do until time moves on). Safe with several replicas."""
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            states = await tx.claim_failure_evaluations(
                now, now - self._every, now - self.window - self._every, FAILURE_RATE_KINDS, self._batch
            )
            await self._apply(tx, states, now)
        return len(states)

    async def _apply(self, tx: Tx, states: Sequence[asyncpg.Record], now: datetime) -> None:
        if not states:
            return
        counts = await tx.failure_counts([str(s["sender_id"]) for s in states], now - self.window, now)

        def on_probation(state: asyncpg.Record) -> bool:
            probation = state["probation_until"]
            return probation is not None and probation > now

        saved, crossings = judge_states(
            states,
            counts,
            "failure_alert",
            lambda s, attempts, failures: self.policy.judge(attempts, failures, on_probation(s)),
        )
        for c in crossings:
            await tx.enqueue(
                self._events.failure_rate(
                    FailureSignal(
                        event_id=str(uuid.uuid4()),
                        sender_kind=c.state["sender_kind"],
                        sender_id=c.subject_id,
                        above=c.above,
                        rate=c.rate,
                        sample=c.sample,
                        window_end=now,
                    )
                )
            )
            log.info(
                "failure rate " + ("above threshold" if c.above else "back under threshold"),
                sender_id=c.subject_id,
                failure_rate=round(c.rate, 3),
                sample=c.sample,
                failures=c.hits,
                probation=on_probation(c.state),
            )
        await tx.save_failure_states(saved, now)
