"""Use cases of the scheduler. No gRPC and no SQL here."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import structlog

from services.common import timemath
from services.common.clock import Clock
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.metrics import HOLD_DELAY, Labelled
from services.scheduler import replan
from services.scheduler.bounce_rate import BounceRateMonitor
from services.scheduler.domain import FALLBACK_LIMITS, CampaignPlan, Limits, hold_blocks
from services.scheduler.failure_rate import FailureRateMonitor
from services.scheduler.plan_rows_repository import Enrollee
from services.scheduler.plan_views import PlanViews
from services.scheduler.planner import SenderLoad, place
from services.scheduler.repository import Repository, Tx
from services.scheduler.voice_repository import VoiceTx

log = structlog.get_logger(__name__)
CHANNELS = ("linkedin", "email")
_HOLD_DELAY = Labelled(HOLD_DELAY)


@dataclass(frozen=True, slots=True)
class Preview:
    overdue: int
    days: list[tuple[date, str, int]]
    first_at: datetime | None
    last_at: datetime | None


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the overdue actions of one sender and action type go, in the order they were due."""

    channel: str
    sender_id: str
    action_type: str
    at: list[datetime]


def pick(ids: tuple[str, ...], prospect_id: str) -> str | None:
    """A sticky, even choice of sender per prospect."""
    if len(ids) < 2:  # no choice to make: no hash (an enrollment of 10,000 picks 20,000 times)
        return ids[0] if ids else None
    return ids[int(hashlib.sha256(prospect_id.encode()).hexdigest(), 16) % len(ids)]


class SchedulerService(PlanViews):
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        failure_rates: FailureRateMonitor | None = None,
        bounce_rates: BounceRateMonitor | None = None,
        hold_drain_seconds: float = 30.0,
        stale_after: timedelta = timedelta(minutes=10),
    ):
        """`hold_drain_seconds`: how long set_holds waits for sends already at the provider on a held channel;
        `stale_after`: an attempt older than this was cut off by a crash (the reconciler's), not in flight."""
        self._repo = repository
        self._clock = clock
        self._failure_rates = failure_rates
        self._bounce_rates = bounce_rates
        self._hold_drain_seconds = hold_drain_seconds
        self._stale_after = stale_after

    @property
    def repository(self) -> Repository:
        return self._repo

    @property
    def clock(self) -> Clock:
        return self._clock

    async def upsert_plan(self, plan: CampaignPlan) -> tuple[bool, int]:
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            previous = await tx.plan(plan.campaign_id)
            applied, became_active = await tx.upsert_plan(plan, now)
            replanned = 0
            if applied and previous is not None and replan.changes(previous, plan):
                # S3: a changed delay or window re-plans who waits on it.
                replanned = await tx.move(
                    plan.campaign_id,
                    replan.moves(previous, plan, await tx.waiting(plan.campaign_id, lock=True), now),
                    now,
                )
                log.info("plan changed", campaign_id=plan.campaign_id, replanned=replanned)
            if became_active:
                released = [c for c in CHANNELS if not hold_blocks(await tx.held_scopes(plan.campaign_id), c)]
                replanned += await self._reclamp(tx, plan, released, now)
        return applied, replanned

    async def preview_plan_change(self, plan: CampaignPlan) -> list[replan.Move]:
        """What upsert_plan would re-plan for this definition; saves nothing."""
        async with self._repo.transaction() as tx:
            previous = await tx.plan(plan.campaign_id)
            if previous is None or not replan.changes(previous, plan):
                return []
            return replan.moves(previous, plan, await tx.waiting(plan.campaign_id), self._clock.now())

    async def progress(self, campaign_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        async with self._repo.transaction() as tx:
            return await tx.progress(list(dict.fromkeys(campaign_ids)))

    async def enroll(self, campaign_id: str, enrollees: list[Enrollee]) -> int:
        async with self._repo.transaction() as tx:
            plan = await tx.plan(campaign_id)
            if plan is None:
                # The plan travels first on the same ordered channel; the sender retries.
                raise FailedPrecondition("the campaign's plan has not arrived yet", code="plan_unknown")
            return await self.enroll_in(tx, plan, enrollees)

    async def enroll_in(self, tx: Tx, plan: CampaignPlan, enrollees: list[Enrollee]) -> int:
        """Plan new prospects inside the caller's transaction: due now, then spread by the re-clamp."""
        now = self._clock.now()
        campaign_id = plan.campaign_id
        first = plan.step(0)
        rows = []
        uses_linkedin = any(step.channel == "linkedin" for step in plan.steps)
        for e in enrollees:
            linkedin = pick(plan.linkedin_account_ids, e.prospect_id)
            inbox = pick(plan.inbox_ids, e.prospect_id)
            if first is None:
                state, channel, action, sender, due = "done", None, None, None, None
            else:
                state, channel, action, due = "scheduled", first.channel, first.action_type, now
                sender = linkedin if first.channel == "linkedin" else inbox
            next_at = due
            if state == "scheduled" and uses_linkedin and not e.linkedin_provider_id and e.linkedin_public_identifier:
                # Issue 13: its provider id is looked up first (services/scheduler/resolver.py), then it is planned.
                state, next_at = "resolving", None
            # New prospects are due now and, like a backlog after a pause, get spread by the re-clamp.
            rows.append(
                (
                    e.prospect_id,
                    campaign_id,
                    e.linkedin_provider_id,
                    e.email,
                    e.first_name,
                    e.last_name,
                    e.company,
                    json.dumps(e.fields),
                    linkedin,
                    inbox,
                    state,
                    channel,
                    action,
                    sender,
                    due,
                    next_at,
                    e.linkedin_public_identifier,
                )
            )
        # V6: the workspace's suppression list is read under its lock, so a suppression being added either
        # sees these rows or is seen by them.
        await VoiceTx(tx).lock_suppressions(plan.workspace_id)
        enrolled = await tx.enroll(rows, now)
        await VoiceTx(tx).suppress_enrolled(plan.workspace_id, [e.prospect_id for e in enrollees])
        if plan.active and enrolled:
            held = await tx.held_scopes(campaign_id)
            await self._reclamp(tx, plan, [c for c in CHANNELS if not hold_blocks(held, c)], now)
        return enrolled

    async def set_holds(
        self, campaign_id: str, version: int, scopes: list[str], caused_at: datetime | None = None
    ) -> tuple[bool, int]:
        """Returns (applied, re-planned). Releasing a scope re-plans what fell due while it was held (S4).

        The pause guarantee: once this returns, no send on a held channel of the campaign starts, and none is
        still at the provider. Claims read the holds row FOR SHARE, so this change waits for running claims
        and every later claim sees it; then the sends those claims started are waited for (drained). A
        redelivered or stale request drains too, so a caller that timed out and retries gets the same promise."""
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            released = await tx.set_holds(campaign_id, version, scopes, now)
            held = scopes if released is not None else await tx.held_scopes(campaign_id)
            replanned = 0
            if released is not None:
                plan = await tx.plan(campaign_id)
                channels = [
                    c for c in CHANNELS if not hold_blocks(scopes, c) and ("campaign" in released or c in released)
                ]
                replanned = await self._reclamp(tx, plan, channels, now) if plan and plan.active and channels else 0
        if released is not None:
            log.info("holds set", campaign_id=campaign_id, held=scopes, released=released, replanned=replanned)
            if caused_at is not None:
                # From the cause (a webhook processed, a member's click) to the scheduler enforcing it.
                HOLD_DELAY.labels("held" if scopes else "released").observe(
                    max(0.0, (self._clock.now() - caused_at).total_seconds())
                )
        await self._drain(campaign_id, held)
        return released is not None, replanned

    async def set_holds_many(self, holds: Sequence[tuple[str, int, list[str], datetime | None]]) -> tuple[int, int]:
        """`set_holds` for many campaigns in one transaction, with the same guarantee for each; returns (applied,
        re-planned). Only released campaigns with an action that fell due while held are re-planned."""
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            released = await tx.set_holds_many([(c, v, s) for c, v, s, _ in holds], now)
            releasing = [c for c, r in released.items() if r]
            replanned = 0
            if releasing:
                # Each campaign's newest scopes (a batch may carry two versions of one campaign; the newest applies).
                scopes = {c: s for c, _, s, _ in sorted(holds, key=lambda h: h[1])}
                for campaign_id in await tx.with_overdue(releasing, now):
                    plan = await tx.plan(campaign_id)
                    gone = released[campaign_id]
                    channels = [
                        c
                        for c in CHANNELS
                        if not hold_blocks(scopes[campaign_id], c) and ("campaign" in gone or c in gone)
                    ]
                    if plan and plan.active and channels:
                        replanned += await self._reclamp(tx, plan, channels, now)
        if released:
            log.info("holds set", campaigns=len(released), released=len(releasing), replanned=replanned)
            done = self._clock.now()
            # One delay per cause time (a batch has one), observed per campaign as set_holds does (B4).
            delays: dict[datetime, float] = {}
            for campaign_id, _, held, caused_at in holds:
                if caused_at is not None and campaign_id in released:
                    delay = delays.get(caused_at)
                    if delay is None:
                        delay = delays[caused_at] = max(0.0, (done - caused_at).total_seconds())
                    _HOLD_DELAY("held" if held else "released").observe(delay)
        await self._drain_many([c for c, _, _, _ in holds])
        return len(released), replanned

    async def _drain_many(self, campaign_ids: list[str]) -> None:
        """`_drain` for many campaigns: one query per look, on the holds as they now stand."""
        deadline = time.monotonic() + self._hold_drain_seconds
        pause = 0.002
        while True:
            async with self._repo.transaction() as tx:
                in_flight = await tx.in_flight_held(campaign_ids, self._clock.now() - self._stale_after)
            if not in_flight:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.warning(
                    "holds set but sends are still in flight on the held scopes",
                    campaigns=len(campaign_ids),
                    in_flight=in_flight,
                    waited_seconds=self._hold_drain_seconds,
                )
                return
            await asyncio.sleep(min(pause, remaining))
            pause = min(pause * 2, 0.05)

    async def _drain(self, campaign_id: str, held: list[str]) -> None:
        """Wait (up to hold_drain_seconds) until no attempt of the campaign on a held channel is at the provider."""
        channels = [c for c in CHANNELS if hold_blocks(held, c)]
        if not channels:
            return
        deadline = time.monotonic() + self._hold_drain_seconds
        pause = 0.002
        while True:
            async with self._repo.transaction() as tx:
                in_flight = await tx.in_flight(campaign_id, channels, self._clock.now() - self._stale_after)
            if not in_flight:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.warning(
                    "holds set but sends are still in flight on the held scope",
                    campaign_id=campaign_id,
                    held=held,
                    in_flight=in_flight,
                    waited_seconds=self._hold_drain_seconds,
                )
                return
            await asyncio.sleep(min(pause, remaining))
            pause = min(pause * 2, 0.05)

    async def active_channels(self, campaign_ids: Sequence[str]) -> dict[str, list[str]]:
        """P6: per campaign (every one asked for), the channels of its active steps, in CHANNELS order."""
        async with self._repo.transaction() as tx:
            found = await tx.active_channels(list(dict.fromkeys(campaign_ids)))
        return {c: [ch for ch in CHANNELS if ch in found.get(c, ())] for c in campaign_ids}

    async def active_on_channel(self, campaign_ids: Sequence[str], channel: str) -> list[str]:
        """P6 for one channel: of these campaigns, those whose active channels (`active_channels`) include it."""
        if channel not in CHANNELS:
            raise InvalidArgument("channel must be linkedin or email", field="channel")
        async with self._repo.transaction() as tx:
            return await tx.active_on_channel(list(dict.fromkeys(campaign_ids)), channel)

    async def start_probation(self, event_id: str, sender_ids: Sequence[str], until: datetime) -> bool:
        """P7: after a member resumed a campaign paused for a high failure rate, its senders' samples start
        afresh and, until `until`, a smaller one re-pauses. Idempotent per event id; returns whether applied."""
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            if not await tx.first_time(event_id, "start_probation", now):
                return False
            started = await tx.start_probation(list(dict.fromkeys(sender_ids)), until, now)
            if self._failure_rates is not None:
                await self._failure_rates.evaluate(tx, started, now)
            if self._bounce_rates is not None:
                # Inboxes resumed from email_high_bounce_rate: their sample of sent emails starts afresh.
                await self._bounce_rates.restart(tx, started, now)
        unknown = sorted(set(sender_ids) - set(started))
        log.info("probation started", senders=started, until=until.isoformat(), unknown_senders=unknown)
        return True

    async def set_sender(
        self,
        kind: str,
        sender_id: str,
        version: int,
        status: str,
        timezone: str,
        workspace_id: str | None,
        unipile_account_id: str,
        email: str,
        limits: dict[str, Limits],
        *,
        credentials_renewed: bool = False,
    ) -> bool:
        async with self._repo.transaction() as tx:
            applied = await tx.set_sender(
                kind,
                sender_id,
                version,
                status,
                timezone or "UTC",
                workspace_id,
                unipile_account_id,
                email,
                limits,
                self._clock.now(),
                credentials_renewed=credentials_renewed,
            )
        return applied

    async def preview(self, campaign_id: str) -> Preview:
        """What a resume would do now: how many actions are overdue and when they would go out. The same
        computation as the re-clamp a resume runs (`_placements`), so every figure is what the plan will hold."""
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            plan = await self._plan(tx, campaign_id)
            overdue = await tx.overdue_count(campaign_id, now)
            placements = await self._placements(tx, plan, list(CHANNELS), now)
        per_day: dict[tuple[date, str], int] = {}
        instants = [at for p in placements for at in p.at]
        for p in placements:
            for at in p.at:
                key = (timemath.local_date(plan.schedule.timezone, at), p.channel)
                per_day[key] = per_day.get(key, 0) + 1
        return Preview(
            overdue,
            [(d, c, n) for (d, c), n in sorted(per_day.items())],
            min(instants) if instants else None,
            max(instants) if instants else None,
        )

    async def reclamp(self, campaign_id: str, scopes: list[str]) -> int:
        """Re-plan now what is overdue in these scopes ("campaign" means every channel)."""
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            plan = await self._plan(tx, campaign_id)
            held = await tx.held_scopes(campaign_id)
            channels = [c for c in CHANNELS if ("campaign" in scopes or c in scopes) and not hold_blocks(held, c)]
            return await self._reclamp(tx, plan, channels, now) if plan.active else 0

    async def next_sends(self, campaign_id: str) -> dict[str, datetime]:
        async with self._repo.transaction() as tx:
            return await tx.next_sends(campaign_id)

    async def _plan(self, tx: Tx, campaign_id: str) -> CampaignPlan:
        plan = await tx.plan(campaign_id)
        if plan is None:
            raise NotFound("no plan for this campaign")
        return plan

    async def _placements(self, tx: Tx, plan: CampaignPlan, channels: list[str], now: datetime) -> list[Placement]:
        """Where the campaign's overdue actions go, per sender and action type, under caps, ramp, window and
        the pacing gap against everything else planned for each sender, whatever the campaign (S4)."""
        groups = [g for g in await tx.overdue_groups(plan.campaign_id, channels, now) if g["sender_id"] is not None]
        sender_ids = sorted({str(g["sender_id"]) for g in groups})
        senders = await tx.senders(sender_ids)
        usage = await tx.used_per_day(
            [(str(g["sender_id"]), g["action_type"]) for g in groups], now, exclude_overdue_of=plan.campaign_id
        )
        busy = await tx.planned_instants(sender_ids, now, exclude_overdue_of=plan.campaign_id)
        out: list[Placement] = []
        for g in groups:
            sender_id, action = str(g["sender_id"]), g["action_type"]
            sender = senders.get(sender_id)
            tz = sender.timezone if sender else "UTC"
            limits = sender.limits.get(action, FALLBACK_LIMITS) if sender else FALLBACK_LIMITS
            load = SenderLoad(
                limits,
                tz,
                sender.ramp_day if sender else 0,
                sender.last_sent_local_date if sender else None,  # type: ignore[arg-type]
                usage[(sender_id, action)],
            )
            # The dispatcher keeps one gap per sender whatever the action: the widest of its action types.
            gap = timedelta(
                seconds=max(
                    [lim.pacing_min_seconds for lim in (sender.limits.values() if sender else ())]
                    + [limits.pacing_min_seconds]
                )
            )
            start = max(now, sender.next_send_after) if sender else now
            at = place(plan.schedule, load, start, g["n"], busy.setdefault(sender_id, []), gap)
            out.append(Placement("email" if action == "email" else "linkedin", sender_id, action, at))
        return out

    async def _reclamp(self, tx: Tx, plan: CampaignPlan | None, channels: list[str], now: datetime) -> int:
        if plan is None or not channels:
            return 0
        placements = await self._placements(tx, plan, channels, now)
        return await tx.reclamp(
            plan.campaign_id,
            channels,
            now,
            [(p.sender_id, p.action_type, k, at) for p in placements for k, at in enumerate(p.at)],
        )
