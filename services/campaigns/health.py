"""How health news becomes pause state (DESIGN P5-P9): sender and subscription events from accounts,
failure-rate signals from the scheduler, and the sweeper that reconciles what a push may have missed.
Every change goes through the canonical pause helper."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from services.campaigns.domain import SENDER_REASONS, Actor
from services.campaigns.pause import PauseStates
from services.campaigns.ports import Directory, HealthChange, Outbox, Scheduler
from services.campaigns.repository import Repository
from services.common.clock import Clock
from services.common.errors import DomainError

log = structlog.get_logger(__name__)
_RECOVERABLE = {"linkedin_account": "linkedin_account_disconnected", "inbox": "email_account_disconnected"}


@dataclass(frozen=True, slots=True)
class Effect:
    applied: bool
    paused: int = 0
    resumed: int = 0


class HealthReactions:
    def __init__(
        self,
        repository: Repository,
        pause_states: PauseStates,
        scheduler: Scheduler,
        directory: Directory,
        outbox: Outbox,
        clock: Clock,
        *,
        cooldown: timedelta,
    ):
        self._repo = repository
        self._outbox = outbox
        self._pause = pause_states
        self._scheduler = scheduler
        self._directory = directory
        self._clock = clock
        self._cooldown = cooldown
        self._applying: dict[str, tuple[asyncio.Lock, int]] = {}  # per subject: its lock and who holds or waits

    async def apply(self, change: HealthChange, source: str = "account_health") -> Effect:
        """Idempotent: an event seen before, or older than the last applied for its subject, changes nothing.
        The effects themselves are idempotent too, so a crash between them and the record is harmless."""
        subject = f"{change.kind}:{change.subject_id}"
        # One event of a subject at a time here: the same change pushed by accounts and pulled by the sweeper at
        # once would otherwise both apply it, the second waiting on the first's row locks of thousands of
        # campaigns only to change nothing. (Across replicas the effects are idempotent, as they always were.)
        async with self._subject_lock(subject):
            async with self._repo.transaction() as tx:
                if await tx.seen_event(change.event_id, subject, change.version):
                    return Effect(False)
            actor = Actor(kind="system", source=source, event_id=change.event_id)
            if change.kind == "subscription":
                effect = await self._subscription(change, actor)
            else:
                effect = await self._sender(change, actor)
            async with self._repo.transaction() as tx:
                await tx.record_event(change.event_id, subject, change.version, self._clock.now())
        if effect.paused or effect.resumed:
            self._outbox.kick()  # the new holds leave for the scheduler now, not at the next poll
        log.info("health applied", subject=subject, status=change.status, paused=effect.paused, resumed=effect.resumed)
        return effect

    @contextlib.asynccontextmanager
    async def _subject_lock(self, subject: str) -> AsyncIterator[None]:
        lock, users = self._applying.get(subject, (asyncio.Lock(), 0))
        self._applying[subject] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._applying[subject]
            if users == 1:
                del self._applying[subject]
            else:
                self._applying[subject] = (lock, users - 1)

    async def _hold_users_of(
        self, sender_id: str, reason: str, channel: str, actor: Actor, detail: str, caused_at: datetime | None = None
    ) -> int:
        """P6: of the campaigns using the sender, only those with an active step on the channel are held."""
        using = [c for _, c in await self._repo.started_campaigns(sender_id=sender_id)]
        # Only which of them are active on the channel is asked: an account may send for thousands (B4).
        active = await self._scheduler.active_on_channel(using, channel) if using else set()
        # One set-based change for all of them.
        done = await self._pause.add_many(
            [c for c in using if c in active],
            reason,
            channel,
            actor,
            subject=sender_id,
            detail=detail,
            caused_at=caused_at,
            committed=self._outbox.kick,
        )
        return len(done.changed)

    async def _sender(self, change: HealthChange, actor: Actor) -> Effect:
        reason = SENDER_REASONS.get((change.kind, change.status))
        if reason is not None:
            return Effect(
                True,
                paused=await self._hold_users_of(change.subject_id, *reason, actor, change.detail, change.occurred_at),
            )
        if change.status in ("connected", "degraded"):
            # A restriction is never cleared by the system (P7): verification makes Resume pass its gate.
            return Effect(
                True,
                resumed=await self._clear(
                    _RECOVERABLE[change.kind], change.subject_id, actor, caused_at=change.occurred_at
                ),
            )
        return Effect(True)

    async def _subscription(self, change: HealthChange, actor: Actor) -> Effect:
        if change.status == "canceled":
            started = await self._repo.started_campaigns(workspace_id=change.workspace_id)
            done = await self._pause.add_many(
                [c for _, c in started],
                "subscription_canceled",
                "campaign",
                actor,
                caused_at=change.occurred_at,
                committed=self._outbox.kick,
            )
            return Effect(True, paused=len(done.changed))
        return Effect(
            True,
            resumed=await self._clear(
                "subscription_canceled", "", actor, workspace_id=change.workspace_id, caused_at=change.occurred_at
            ),
        )

    async def _clear(
        self,
        reason: str,
        subject: str,
        actor: Actor,
        workspace_id: str | None = None,
        caused_at: datetime | None = None,
    ) -> int:
        holding = [
            c
            for ws, c in await self._repo.campaigns_with_reason(reason, subject)
            if workspace_id is None or ws == workspace_id
        ]
        done = await self._pause.clear_many(
            holding, reason, actor, subject=subject, caused_at=caused_at, committed=self._outbox.kick
        )
        return len(done.resumed)

    async def failure_signal(
        self,
        event_id: str,
        sender_id: str,
        above: bool,
        order: int,
        detail: str,
        *,
        reason: str = "linkedin_high_failure_rate",
        channel: str = "linkedin",
        source: str = "failure_detector",
    ) -> Effect:
        """S10: a sender's failure rate crossed its threshold (above) or fell back (auto-clear, P7); with
        reason email_high_bounce_rate, channel email and source bounce_detector, an inbox's bounce rate.
        `order` (the evaluation's window end) puts a late, older signal behind a newer one."""
        subject = f"{reason}:{sender_id}" if reason != "linkedin_high_failure_rate" else f"failure_rate:{sender_id}"
        async with self._repo.transaction() as tx:
            if await tx.seen_event(event_id, subject, order):
                return Effect(False)
        actor = Actor(kind="system", source=source, event_id=event_id)
        if above:
            effect = Effect(True, paused=await self._hold_users_of(sender_id, reason, channel, actor, detail))
        else:
            effect = Effect(True, resumed=await self._clear(reason, sender_id, actor))
        async with self._repo.transaction() as tx:
            await tx.record_event(event_id, subject, order, self._clock.now())
        if effect.paused or effect.resumed:
            self._outbox.kick()
        return effect

    async def sweep_once(self) -> int:
        """The safety net behind every push, run by one replica at a time: damped clears whose cool-down has
        passed, then every health change accounts knows of that was not applied here."""
        async with self._repo.exclusive("sweeper") as mine:
            if not mine:
                return 0
            done = 0
            actor = Actor(kind="system", source="sweeper")
            due: dict[tuple[str, str], list[str]] = {}
            for _, campaign_id, reason, subject in await self._repo.due_pending_clears(
                self._clock.now() - self._cooldown
            ):
                due.setdefault((reason, subject), []).append(campaign_id)
            for (reason, subject), campaign_ids in due.items():
                change = await self._pause.clear_many(campaign_ids, reason, actor, subject=subject, damped=False)
                done += len(change.changed)
            if done:
                self._outbox.kick()
            try:
                changes, position = await self._directory.health_since(await self._repo.cursor("accounts"))
            except DomainError as exc:
                log.warning("reconciliation with accounts failed", error=exc.message)
                return done
            for change in changes:
                done += (await self.apply(change, source="reconciliation")).applied
            await self._repo.set_cursor("accounts", position)
            return done
