"""What the scheduler says of each prospect's plan: its attempts (T2) and why its next action is not happening now
(S11), for the prospect list and page. Part of the scheduler's use cases (`SchedulerService` mixes it in)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.common import timemath
from services.common.attempts import Attempt
from services.common.clock import Clock
from services.scheduler.domain import FALLBACK_LIMITS, CampaignPlan, Sender, hold_blocks
from services.scheduler.plan_rows_repository import PlanRow
from services.scheduler.repository import Repository, Tx
from services.scheduler.why_not_now import value as why


@dataclass(frozen=True, slots=True)
class PlanView:
    plan: PlanRow
    why_not_now: list[str]
    # T2: the prospect's attempts, oldest first.
    history: list[Attempt] = field(default_factory=list)


def _sender_wait(block: str) -> str:
    """S11/T3: why a sender waits: the provider's word ("sender_cooldown:errors/limit_exceeded",
    "rate_limited:errors/too_many_requests", "sender_reported_disconnected") or its own pacing."""
    if not block:
        return why("pacing")
    if block.startswith("cooldown:"):
        return why("sender_cooldown:<type>", block.removeprefix("cooldown:"))
    if block.startswith("rate_limited:"):
        return why("rate_limited:<type>", block.removeprefix("rate_limited:"))
    return why("sender_reported_<block>", block)


class PlanViews:
    """`SchedulerService` provides what is declared here."""

    _repo: Repository
    _clock: Clock

    _plan: Callable[[Tx, str], Awaitable[CampaignPlan]]

    async def list_plans(self, campaign_id: str, prospect_ids: list[str]) -> list[PlanView]:
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            plan = await self._plan(tx, campaign_id)
            rows = [r for r in await tx.plans(prospect_ids) if r.campaign_id == campaign_id]
            held = await tx.held_scopes(campaign_id)
            senders = await tx.senders({r.sender_id for r in rows if r.sender_id})
            histories = await tx.attempt_history([r.prospect_id for r in rows])
            views = []
            for row in rows:
                sender = senders.get(row.sender_id or "")
                history = histories.get(row.prospect_id, [])
                views.append(PlanView(row, await self._why_not_now(tx, plan, row, held, sender, now), history))
        return views

    async def _why_not_now(
        self, tx: Tx, plan: CampaignPlan, row: PlanRow, held: list[str], sender: Sender | None, now: datetime
    ) -> list[str]:
        """S11: every reason the prospect's next action is not happening now, most important first. Values come
        only from the catalog (why_not_now.py), which the docs' table is generated from."""
        if row.voice in ("replied", "opted_out", "suppressed"):
            return [why(row.voice)]  # V1: it stops for good, whatever else holds it
        if row.state == "done":
            return [why("done")]
        if row.state == "stopped":
            return [why("stopped:<reason>", row.stop_reason or "unknown")]
        if row.state == "not_found":
            return [why("not_found:<reason>", (row.stop_reason or "unknown").removeprefix("not_found:"))]
        if row.state == "waiting_acceptance":
            return [why("waiting_for_acceptance")]
        if row.state == "in_flight":
            return [why("sending_now")]
        if row.state == "resolving":
            return [why("resolving_linkedin_profile")]
        reasons = []
        if row.voice == "out_of_office" and row.parked_until and row.parked_until > now:
            reasons.append(why("out_of_office"))  # V3: parked until its return
        if not plan.active:
            reasons.append(why("campaign_not_active"))
        if row.channel and hold_blocks(held, row.channel):
            reasons.append(why("held:<channel>", row.channel))
        if sender is None or not sender.can_send:
            reasons.append(why("sender_<status>", sender.status if sender else "unknown"))
        if not timemath.is_open(plan.schedule, now):
            local = now.astimezone(plan.schedule.zone)
            reasons.append(why("day_not_in_schedule" if local.weekday() not in plan.schedule.days else "window_closed"))
        if sender is not None and row.action_type:
            limits = sender.limits.get(row.action_type, FALLBACK_LIMITS)
            day = timemath.local_date(sender.timezone, now)
            sent_today = await tx.counted(sender.sender_id, row.action_type, day, day)
            ramp = sender.ramp_day_on(day)
            if sent_today >= limits.daily_cap:
                reasons.append(why("daily_cap_reached"))
            elif sent_today >= limits.cap_on_ramp_day(ramp):
                reasons.append(why("ramp_limit_reached"))
            elif row.action_type == "linkedin_invite" and sent_today >= sender.invite_cap(limits.daily_cap, now):
                reasons.append(why("provider_usage_<n>_percent", str(sender.invite_usage)))
            if await tx.counted(sender.sender_id, row.action_type, day - timedelta(days=6), day) >= limits.weekly_cap:
                reasons.append(why("weekly_cap_reached"))
            if sender.next_send_after > now:
                reasons.append(_sender_wait(sender.provider_block))
        if row.stop_reason.startswith("recipient_cooldown:") and row.next_action_at and row.next_action_at > now:
            # A scheduled prospect's own wait (T3).
            reasons.append(why("recipient_cooldown:<type>", row.stop_reason.removeprefix("recipient_cooldown:")))
        if row.next_action_at and row.next_action_at > now and not reasons:
            reasons.append(why("scheduled_later"))
        return reasons
