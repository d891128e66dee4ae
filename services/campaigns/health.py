"""How health news becomes pause state (DESIGN P5-P9): sender and subscription events from accounts,
failure-rate signals from the scheduler, and the sweeper that reconciles what a push may have missed.
Every change goes through the canonical pause helper."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from services.campaigns.domain import Actor
from services.campaigns.pause import PauseStates
from services.campaigns.ports import Directory, HealthChange, Outbox, Scheduler
from services.campaigns.repository import Repository
from services.common.clock import Clock
from services.common.errors import DomainError

log = structlog.get_logger(__name__)
# Which reason a sender's status means, and the channel it holds (P5).
_SENDER_REASONS = {
    ("linkedin_account", "disconnected"): ("linkedin_account_disconnected", "linkedin"),
    ("linkedin_account", "restricted"): ("account_restricted", "linkedin"),
    ("inbox", "disconnected"): ("email_account_disconnected", "email"),
}
_RECOVERABLE = {"linkedin_account": "linkedin_account_disconnected", "inbox": "email_account_disconnected"}


@dataclass(frozen=True, slots=True)
class Effect:
    applied: bool
    paused: int = 0
    resumed: int = 0


class HealthReactions:
    def __init__(self, repository: Repository, pause_states: PauseStates, scheduler: Scheduler,
                 directory: Directory, outbox: Outbox, clock: Clock, *, cooldown: timedelta):
        self._repo = repository
        self._outbox = outbox
        self._pause = pause_states
        self._scheduler = scheduler
        self._directory = directory
        self._clock = clock
        self._cooldown = cooldown

    async def apply(self, change: HealthChange, source: str = "account_health") -> Effect:
        """Idempotent: an event seen before, or older than the last applied for its subject, changes nothing.
        The effects themselves are idempotent too, so a crash between them and the record is harmless."""
        subject = f"{change.kind}:{change.subject_id}"
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
        log.info("health applied", subject=subject, status=change.status, paused=effect.paused,
                 resumed=effect.resumed)
        return effect

    async def _hold_users_of(self, sender_id: str, reason: str, channel: str, actor: Actor, detail: str,
                             caused_at: datetime | None = None) -> int:
        """P6: of the campaigns using the sender, only those with an active step on the channel are held."""
        using = await self._repo.started_campaigns(sender_id=sender_id)
        active = await self._scheduler.active_channels([c for _, c in using]) if using else {}
        paused = 0
        for workspace_id, campaign_id in using:
            if channel in active.get(campaign_id, set()):
                done = await self._pause.add(workspace_id, campaign_id, reason, channel, actor, subject=sender_id,
                                             detail=detail, caused_at=caused_at)
                paused += done.changed
        return paused

    async def _sender(self, change: HealthChange, actor: Actor) -> Effect:
        reason = _SENDER_REASONS.get((change.kind, change.status))
        if reason is not None:
            return Effect(True, paused=await self._hold_users_of(change.subject_id, *reason, actor, change.detail,
                                                                 change.occurred_at))
        if change.status in ("connected", "degraded"):
            # A restriction is never cleared by the system (P7): verification makes Resume pass its gate.
            return Effect(True, resumed=await self._clear(_RECOVERABLE[change.kind], change.subject_id, actor,
                                                          caused_at=change.occurred_at))
        return Effect(True)

    async def _subscription(self, change: HealthChange, actor: Actor) -> Effect:
        if change.status == "canceled":
            paused = 0
            for workspace_id, campaign_id in await self._repo.started_campaigns(workspace_id=change.workspace_id):
                done = await self._pause.add(workspace_id, campaign_id, "subscription_canceled", "campaign", actor,
                                             caused_at=change.occurred_at)
                paused += done.changed
            return Effect(True, paused=paused)
        return Effect(True, resumed=await self._clear("subscription_canceled", "", actor,
                                                      workspace_id=change.workspace_id, caused_at=change.occurred_at))

    async def _clear(self, reason: str, subject: str, actor: Actor, workspace_id: str | None = None,
                     caused_at: datetime | None = None) -> int:
        resumed = 0
        for ws, campaign_id in await self._repo.campaigns_with_reason(reason, subject):
            if workspace_id is not None and ws != workspace_id:
                continue
            done = await self._pause.clear(ws, campaign_id, reason, actor, subject=subject, caused_at=caused_at)
            resumed += done.changed and done.campaign.status == "active"
        return resumed

    async def failure_signal(self, event_id: str, sender_id: str, above: bool, order: int, detail: str) -> Effect:
        """S10: a sender's failure rate crossed its threshold (above) or fell back (auto-clear, P7). `order`
        (the evaluation's window end) puts a late, older signal behind a newer one."""
        subject = f"failure_rate:{sender_id}"
        async with self._repo.transaction() as tx:
            if await tx.seen_event(event_id, subject, order):
                return Effect(False)
        actor = Actor(kind="system", source="failure_detector", event_id=event_id)
        if above:
            effect = Effect(True, paused=await self._hold_users_of(sender_id, "linkedin_high_failure_rate",
                                                                   "linkedin", actor, detail))
        else:
            effect = Effect(True, resumed=await self._clear("linkedin_high_failure_rate", sender_id, actor))
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
            for workspace_id, campaign_id, reason, subject in await self._repo.due_pending_clears(
                    self._clock.now() - self._cooldown):
                change = await self._pause.clear(workspace_id, campaign_id, reason, actor, subject=subject,
                                                 damped=False)
                done += change.changed
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
