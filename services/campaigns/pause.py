"""The canonical pause helper (DESIGN P4): the only code that adds or clears pause reasons, whoever asks
(a member, a webhook, a sweeper, the failure detector, billing). Each change locks the campaign row,
writes the reason, recomputes status and displayed reason (P2), and records history with its actor, in
one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from asyncpg import Record

from services.campaigns.domain import (
    CATALOG,
    PRECEDENCE,
    ActiveReason,
    Actor,
    Campaign,
    Gate,
    displayed_reason,
    status_for,
)
from services.campaigns.gates import GATE_CHECK, Needed, missing
from services.campaigns.ports import Events, HoldState
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
    # After a resume "when unblocked": the gates the campaign still waits for before it resumes by itself.
    waiting: tuple[Gate, ...] = ()
    # The scheduler had not applied the new holds when the caller was answered (they are delivered later).
    holds_pending: bool = False


@dataclass(frozen=True, slots=True)
class BulkChange:
    """What a change of many campaigns did: the campaigns changed, those of them now active again (resumed),
    and the outbox events carrying their holds to the scheduler."""

    changed: tuple[str, ...]
    resumed: tuple[str, ...]
    holds_events: tuple[int, ...]


class PauseStates:
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        gate_check: GateCheck,
        events: Events,
        *,
        auto_resume_cooldown: timedelta = timedelta(minutes=10),
        probation: timedelta = timedelta(hours=24),
    ):
        self._repo = repository
        self._clock = clock
        self._gate_check = gate_check
        self._events = events
        self._cooldown = auto_resume_cooldown
        self._probation = probation

    async def add(
        self,
        workspace_id: str,
        campaign_id: str,
        reason: str,
        scope: str,
        actor: Actor,
        *,
        subject: str = "",
        detail: str = "",
        caused_at: datetime | None = None,
    ) -> Change:
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

    async def clear(
        self,
        workspace_id: str,
        campaign_id: str,
        reason: str,
        actor: Actor,
        *,
        subject: str = "",
        damped: bool = True,
        caused_at: datetime | None = None,
    ) -> Change:
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

    async def add_many(
        self,
        campaign_ids: Sequence[str],
        reason: str,
        scope: str,
        actor: Actor,
        *,
        subject: str = "",
        detail: str = "",
        caused_at: datetime | None = None,
        committed: Callable[[], None] = lambda: None,
    ) -> BulkChange:
        """`add` for many campaigns (a subscription lapse, an account used by thousands of campaigns): three
        statements per chunk of campaigns (the lock, the change with its history, then the holds), each chunk one
        transaction, the chunks side by side. Campaigns not started are skipped; one that has the reason already is
        left as it is. Each campaign changed gets its history row and its holds. `committed` is called once every
        chunk has committed (to send the holds at once)."""

        async def chunk(ids: Sequence[str]) -> BulkChange:
            async with self._repo.transaction() as tx:
                now = self._clock.now()
                # The lock, then reason, status, displayed reason and history (with its webhook events) in one
                # statement, then the holds in one more (B4).
                rows = await tx.pause_many(ids, reason, scope, subject, detail, PRECEDENCE, now, actor)
                if not rows:
                    return BulkChange((), (), ())
                events = await tx.enqueue_many(
                    self._events.holds_many(
                        [HoldState(r["id"], r["pause_version"], tuple(r["held"])) for r in rows], caused_at or now
                    )
                )
                PAUSE_CHANGES.labels(reason, "added", actor.source or actor.kind).inc(len(rows))
            return BulkChange(tuple(r["id"] for r in rows), (), tuple(events))

        return await _in_chunks(campaign_ids, chunk, committed)

    async def clear_many(
        self,
        campaign_ids: Sequence[str],
        reason: str,
        actor: Actor,
        *,
        subject: str = "",
        damped: bool = True,
        caused_at: datetime | None = None,
        committed: Callable[[], None] = lambda: None,
    ) -> BulkChange:
        """`clear` for many campaigns, in chunks like `add_many`, with the same P9 damping per campaign: a system
        clear of a campaign's last reason within the cool-down of its last auto-resume waits for the sweeper."""

        async def chunk(ids: Sequence[str]) -> BulkChange:
            async with self._repo.transaction() as tx:
                locked = await tx.lock_started_many(ids)
                now = self._clock.now()
                # P9: those whose last reason this is and that auto-resumed less than a cool-down ago wait.
                recently = [c for c, resumed in locked.items() if resumed and now - resumed < self._cooldown]
                held_back = []
                if damped and actor.kind == "system" and recently:
                    held_back = await tx.only_reason(recently, reason, subject)
                if held_back:
                    await tx.mark_clears_pending(held_back, reason, subject)
                waiting = set(held_back)
                removed = await tx.remove_reasons([c for c in locked if c not in waiting], reason, subject)
                if not removed:
                    return BulkChange((), (), ())
                rows = await tx.recompute_pause_states(
                    list(removed), PRECEDENCE, now, auto_resumed=actor.kind == "system"
                )
                events = await self._record_many(tx, rows, removed, actor, "cleared", caused_at or now)
                resumed = [str(r["id"]) for r in rows if r["status"] == "active" and r["status_before"] == "paused"]
            return BulkChange(tuple(removed), tuple(resumed), tuple(events))

        return await _in_chunks(campaign_ids, chunk, committed)

    async def add_needed(self, tx: Transaction, campaign: Campaign, needed: Sequence[Needed]) -> Campaign:
        """Within the caller's transaction (the campaign row locked, the campaign started): add each needed
        reason the campaign lacks, as the gate check. The caller sends the holds."""
        now = self._clock.now()
        for n in missing(campaign, needed):
            if await tx.add_reason(campaign.id, n.reason, n.scope, n.subject, n.detail, now):
                campaign = await self._apply(
                    tx, campaign, GATE_CHECK, "added", ActiveReason(n.reason, n.scope, n.subject, now, n.detail)
                )
        return campaign

    async def enforce(self, workspace_id: str, campaign_id: str, needed: Sequence[Needed]) -> Change:
        """The gate check's own transaction: a started campaign gets every needed reason it lacks."""
        if not needed:
            return Change(await self._get(workspace_id, campaign_id), False, "no reason missing")
        async with self._repo.transaction() as tx:
            campaign = await self._lock_started(tx, workspace_id, campaign_id)
            if not missing(campaign, needed):
                return Change(campaign, False, "no reason missing")
            campaign = await self.add_needed(tx, campaign, needed)
            event = await tx.enqueue(self._events.holds(campaign, self._clock.now()))
        return Change(campaign, True, "paused: " + ", ".join(n.reason for n in missing(campaign, needed)), event)

    async def resume(
        self, campaign: Campaign, actor: Actor, *, needed: Sequence[Needed] = (), when_unblocked: bool = False
    ) -> Change:
        """P8: every gate passes (those of the active reasons, and `needed`: what the senders and subscription
        call for now) and every reason is cleared; else the resume is refused naming each blocking gate, and
        nothing changes. With `when_unblocked` the member's intent is kept instead: the reasons whose gates pass
        are cleared, the needed ones added, and the campaign resumes by itself once the rest clear. `campaign` is
        the caller's read (one read per resume); under the lock the row is read again only if it changed since."""
        workspace_id, campaign_id = campaign.workspace_id, campaign.id
        if campaign.status == "active":
            return Change(campaign, False, "campaign is already active")
        if campaign.status != "paused":
            raise FailedPrecondition(
                f"a {campaign.status} campaign cannot be resumed",
                code="invalid_state",
                details={"status": campaign.status},
            )
        # Gates may call other services: evaluate them before taking the row lock.
        gates = {(r.reason, r.subject): await self._gate_check(campaign, r) for r in campaign.reasons}
        event = None
        async with self._repo.transaction() as tx:
            campaign = campaign_before = await self._lock_started(tx, workspace_id, campaign_id, read=campaign)
            blocking: list[Gate] = [n.gate() for n in missing(campaign, needed)]
            passing: list[ActiveReason] = []
            for reason in campaign.reasons:
                gate = gates.get((reason.reason, reason.subject))
                if gate is None or not gate.passes:
                    # A reason added after the gates were read is never cleared unchecked.
                    blocking.append(
                        gate
                        or Gate(
                            reason.reason,
                            "not_checked",
                            False,
                            "this reason appeared while resuming",
                            "Try Resume again.",
                        )
                    )
                else:
                    passing.append(reason)
            if blocking and not when_unblocked:
                refused = _refusal(blocking)
            else:
                refused = None
                for reason in passing:
                    removed = await tx.remove_reason(campaign.id, reason.reason, reason.subject)
                    if removed is not None:
                        campaign = await self._apply(tx, campaign, actor, "cleared", removed)
                campaign = await self.add_needed(tx, campaign, needed)
                if campaign != campaign_before:
                    event = await tx.enqueue(self._events.holds(campaign, self._clock.now()))
                failing = [
                    r.subject for r in passing if r.reason in ("linkedin_high_failure_rate", "email_high_bounce_rate")
                ]
                if failing:
                    # P7: after a member's resume, a smaller sample of failures pauses again for a while; an
                    # inbox's bounce sample starts afresh (the old list's bounces no longer count).
                    await tx.enqueue(self._events.probation(failing, self._clock.now() + self._probation))
        if refused is not None:
            raise refused
        if blocking:
            waiting = tuple(_unique(blocking))
            return Change(
                campaign,
                event is not None,
                "resumes by itself once: " + "; ".join(g.message or g.reason for g in waiting),
                event,
                waiting=waiting,
            )
        return Change(campaign, True, "campaign resumed", event)

    async def _get(self, workspace_id: str, campaign_id: str) -> Campaign:
        campaign = await self._repo.get_campaign(workspace_id, campaign_id)
        if campaign is None:
            raise NotFound("campaign not found")
        return campaign

    async def _lock_started(
        self, tx: Transaction, workspace_id: str, campaign_id: str, *, read: Campaign | None = None
    ) -> Campaign:
        """Lock a started campaign's row; `read`: the caller's read of it, not read again if the row is as read."""
        campaign = await (
            tx.lock_campaign(workspace_id, campaign_id) if read is None else tx.lock_campaign_as_read(read)
        )
        if campaign is None:
            raise NotFound("campaign not found")
        if campaign.status not in ("active", "paused"):
            raise FailedPrecondition(
                f"a {campaign.status} campaign has no pause state; "
                + ("activate it first" if campaign.status == "draft" else "it has ended"),
                code="invalid_state",
                details={"status": campaign.status},
            )
        return campaign

    async def _apply(
        self, tx: Transaction, campaign: Campaign, actor: Actor, action: str, reason: ActiveReason
    ) -> Campaign:
        now = self._clock.now()
        # `campaign` is the locked row as this transaction left it: the row these writes leave is known without
        # reading it back (one read per resume, issue 12).
        updated = _after_change(campaign, action, reason, now, by_system=actor.kind == "system")
        await tx.set_status(campaign.id, updated.status, updated.paused_reason, now, pause_changed=True)
        await tx.record_history(campaign.id, action, reason, actor, updated.status, now)
        PAUSE_CHANGES.labels(reason.reason, action, actor.source or actor.kind).inc()
        if updated.last_auto_resumed_at != campaign.last_auto_resumed_at:
            await tx.set_auto_resumed(campaign.id, now)
        return updated

    async def _record_many(
        self,
        tx: Transaction,
        rows: Sequence[Record],
        changed: dict[str, ActiveReason],
        actor: Actor,
        action: str,
        caused_at: datetime,
    ) -> list[int]:
        """After a bulk change (`rows`: id, status, pause_version, held per campaign changed): the outbox events
        carrying the new holds to the scheduler, then a history row per campaign with its actor. The holds are
        written first so that the relay, which goes in id order, sends them before the campaign.paused webhook
        events the history rows bring (one per campaign, written by a trigger). Returns the holds events."""
        now = self._clock.now()
        holds = [HoldState(str(r["id"]), r["pause_version"], tuple(r["held"])) for r in rows]
        events = await tx.enqueue_many(self._events.holds_many(holds, caused_at))
        await tx.record_histories(
            [(str(r["id"]), changed[str(r["id"])], r["status"]) for r in rows], action, actor, now
        )
        PAUSE_CHANGES.labels(next(iter(changed.values())).reason, action, actor.source or actor.kind).inc(len(rows))
        return events


# A bulk change is cut in this many chunks of at least BULK_CHUNK_MIN campaigns, one transaction each, side by
# side; each campaign still changes atomically, as one by one. Measured on 2 cores (B4, 10,000 campaigns): two
# chunks of one statement each beat four (which contend) and one (which leaves a core idle).
BULK_CHUNKS = 2
BULK_CHUNK_MIN = 1000


async def _in_chunks(
    campaign_ids: Sequence[str], work: Callable[[Sequence[str]], Awaitable[BulkChange]], committed: Callable[[], None]
) -> BulkChange:
    # Sorted before cutting: every chunk locks its rows in id order, and no two chunks share a row.
    ids = sorted(set(campaign_ids))
    size = max(BULK_CHUNK_MIN, -(-len(ids) // BULK_CHUNKS))
    try:
        done = await asyncio.gather(*(work(ids[i : i + size]) for i in range(0, len(ids), size)))
    finally:
        # Once, when every chunk has committed (or failed): the chunks commit within moments of each other, and
        # their holds then leave in one relay round side by side, not one round after the other (B4).
        committed()
    return BulkChange(
        tuple(c for d in done for c in d.changed),
        tuple(c for d in done for c in d.resumed),
        tuple(e for d in done for e in d.holds_events),
    )


def _after_change(
    campaign: Campaign, action: str, changed: ActiveReason, now: datetime, *, by_system: bool
) -> Campaign:
    """The locked campaign as `_apply`'s writes leave it once `changed` is added or cleared: its reasons (in the
    order a read gives them: since, then name), status and displayed reason (P2), `updated_at`, pause version,
    and the auto-resume mark when the system resumed it (P9)."""
    key = (changed.reason, changed.subject)
    reasons = [r for r in campaign.reasons if (r.reason, r.subject) != key]
    if action == "added":
        reasons = sorted([*reasons, changed], key=lambda r: (r.since, r.reason))
    names = [r.reason for r in reasons]
    status = status_for(names)
    auto_resumed = by_system and status == "active" and campaign.status == "paused"
    return replace(
        campaign,
        reasons=tuple(reasons),
        status=status,
        paused_reason=displayed_reason(names),
        updated_at=now,
        pause_version=campaign.pause_version + 1,
        last_auto_resumed_at=now if auto_resumed else campaign.last_auto_resumed_at,
    )


def _refusal(blocking: list[Gate]) -> FailedPrecondition:
    return FailedPrecondition(
        "the campaign cannot resume yet: " + "; ".join(sorted({g.reason for g in blocking})),
        code="resume_blocked",
        details={
            "blocking": [
                {
                    "reason": g.reason,
                    "gate": g.gate,
                    "message": g.message,
                    "action": g.action or CATALOG[g.reason].action,
                }
                for g in _unique(blocking)
            ]
        },
    )


def _unique(gates: list[Gate]) -> list[Gate]:
    seen: set[tuple[str, str]] = set()
    out = []
    for gate in gates:
        if (gate.reason, gate.gate) not in seen:
            seen.add((gate.reason, gate.gate))
            out.append(gate)
    return out
