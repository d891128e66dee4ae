"""The canonical pause helper (DESIGN P4): the only code that adds or clears pause reasons, whoever asks
(a member, a webhook, a sweeper, the failure detector, billing). Each change locks the campaign row,
writes the reason, recomputes status and displayed reason (P2), and records history with its actor, in
one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.campaigns.domain import (
    CATALOG,
    ActiveReason,
    Actor,
    Campaign,
    Gate,
    displayed_reason,
    status_for,
)
from services.campaigns.ports import Events
from services.campaigns.repository import Repository, Transaction
from services.common.clock import Clock
from services.common.errors import FailedPrecondition, NotFound
from services.common.metrics import PAUSE_CHANGES

# Evaluates the gate of one active reason on resume (P8).
GateCheck = Callable[[Campaign, ActiveReason], Awaitable[Gate]]


@dataclass(frozen=True, slots=True)
class Change:
    campaign: Campaign
    changed: bool
    message: str
    # The outbox event that carries the new holds to the scheduler, when the pause state changed.
    holds_event: int | None = None


class PauseStates:
    def __init__(self, repository: Repository, clock: Clock, gate_check: GateCheck, events: Events, *,
                 auto_resume_cooldown: timedelta = timedelta(minutes=10),
                 probation: timedelta = timedelta(hours=24)):
        self._repo = repository
        self._clock = clock
        self._gate_check = gate_check
        self._events = events
        self._cooldown = auto_resume_cooldown
        self._probation = probation

    async def add(self, workspace_id: str, campaign_id: str, reason: str, scope: str, actor: Actor, *,
                  subject: str = "", detail: str = "", caused_at: datetime | None = None) -> Change:
        """`caused_at`: when the cause happened (a webhook processed upstream), else now."""
        async with self._repo.transaction() as tx:
            campaign = await self._lock_started(tx, workspace_id, campaign_id)
            now = self._clock.now()
            if not await tx.add_reason(campaign.id, reason, scope, subject, detail, now):
                return Change(campaign, False, f"already paused: {reason} is active")
            added = ActiveReason(reason, scope, subject, now, detail)
            campaign = await self._apply(tx, campaign, actor, "added", added)
            event = await tx.enqueue(self._events.holds(campaign, caused_at or now))
        return Change(campaign, True, f"paused: {reason}", event)

    async def clear(self, workspace_id: str, campaign_id: str, reason: str, actor: Actor, *,
                    subject: str = "", damped: bool = True, caused_at: datetime | None = None) -> Change:
        """Clear a reason whose cause is gone. P9: when the system would resume a campaign it auto-resumed
        less than a cool-down ago, the clear waits (the sweeper does it once the cool-down has passed)."""
        async with self._repo.transaction() as tx:
            campaign = await self._lock_started(tx, workspace_id, campaign_id)
            now = self._clock.now()
            is_last = [(r.reason, r.subject) for r in campaign.reasons] == [(reason, subject)]
            resumed = campaign.last_auto_resumed_at
            if damped and actor.kind == "system" and is_last and resumed and now - resumed < self._cooldown:
                await tx.mark_clear_pending(campaign.id, reason, subject)
                return Change(campaign, False, f"{reason} clears after the auto-resume cool-down")
            removed = await tx.remove_reason(campaign.id, reason, subject)
            if removed is None:
                return Change(campaign, False, f"{reason} was not active")
            campaign = await self._apply(tx, campaign, actor, "cleared", removed)
            event = await tx.enqueue(self._events.holds(campaign, caused_at or now))
        return Change(campaign, True, f"cleared: {reason}", event)

    async def resume(self, workspace_id: str, campaign_id: str, actor: Actor) -> Change:
        """P8: clear every reason whose gate passes; if any remains, refuse naming each one."""
        campaign = await self._get(workspace_id, campaign_id)
        if campaign.status == "active":
            return Change(campaign, False, "campaign is already active")
        if campaign.status != "paused":
            raise FailedPrecondition(f"a {campaign.status} campaign cannot be resumed", code="invalid_state",
                                     details={"status": campaign.status})
        # Gates may call other services: evaluate them before taking the row lock.
        gates = {(r.reason, r.subject): await self._gate_check(campaign, r) for r in campaign.reasons}
        event = None
        async with self._repo.transaction() as tx:
            campaign = campaign_before = await self._lock_started(tx, workspace_id, campaign_id)
            blocking: list[Gate] = []
            cleared = False
            for reason in campaign.reasons:
                gate = gates.get((reason.reason, reason.subject))
                if gate is None or not gate.passes:
                    # A reason added after the gates were read is never cleared unchecked.
                    blocking.append(gate or Gate(reason.reason, "not_checked", False,
                                                 "this reason appeared while resuming",
                                                 "Try Resume again."))
                    continue
                removed = await tx.remove_reason(campaign.id, reason.reason, reason.subject)
                if removed is not None:
                    campaign = await self._apply(tx, campaign, actor, "cleared", removed)
                    cleared = True
            if cleared:
                event = await tx.enqueue(self._events.holds(campaign, self._clock.now()))
                failing = [r.subject for r in campaign_before.reasons
                           if r.reason == "linkedin_high_failure_rate" and gates.get((r.reason, r.subject))
                           and gates[(r.reason, r.subject)].passes]
                if failing:
                    # P7: after a member's resume, a smaller sample of failures pauses again for a while.
                    await tx.enqueue(self._events.probation(failing, self._clock.now() + self._probation))
        if blocking:
            raise FailedPrecondition(
                "the campaign cannot resume yet: " + "; ".join(sorted({g.reason for g in blocking})),
                code="resume_blocked",
                details={"blocking": [{"reason": g.reason, "gate": g.gate, "message": g.message,
                                       "action": g.action or CATALOG[g.reason].action}
                                      for g in _unique(blocking)]},
            )
        return Change(campaign, True, "campaign resumed", event)

    async def _get(self, workspace_id: str, campaign_id: str) -> Campaign:
        campaign = await self._repo.get_campaign(workspace_id, campaign_id)
        if campaign is None:
            raise NotFound("campaign not found")
        return campaign

    async def _lock_started(self, tx: Transaction, workspace_id: str, campaign_id: str) -> Campaign:
        campaign = await tx.lock_campaign(workspace_id, campaign_id)
        if campaign is None:
            raise NotFound("campaign not found")
        if campaign.status not in ("active", "paused"):
            raise FailedPrecondition(
                f"a {campaign.status} campaign has no pause state; "
                + ("activate it first" if campaign.status == "draft" else "it has ended"),
                code="invalid_state", details={"status": campaign.status})
        return campaign

    async def _apply(self, tx: Transaction, campaign: Campaign, actor: Actor, action: str,
                     reason: ActiveReason) -> Campaign:
        now = self._clock.now()
        fresh = await tx.get_campaign(campaign.workspace_id, campaign.id)
        assert fresh is not None  # the row is locked by this transaction
        active = [r.reason for r in fresh.reasons]
        status = status_for(active)
        await tx.set_status(campaign.id, status, displayed_reason(active), now, pause_changed=True)
        await tx.record_history(campaign.id, action, reason, actor, status, now)
        PAUSE_CHANGES.labels(reason.reason, action, actor.source or actor.kind).inc()
        if status == "active" and campaign.status == "paused" and actor.kind == "system":
            await tx.set_auto_resumed(campaign.id, now)
        updated = await tx.get_campaign(campaign.workspace_id, campaign.id)
        assert updated is not None
        return updated


def _unique(gates: list[Gate]) -> list[Gate]:
    seen: set[tuple[str, str]] = set()
    out = []
    for gate in gates:
        if (gate.reason, gate.gate) not in seen:
            seen.add((gate.reason, gate.gate))
            out.append(gate)
    return out
