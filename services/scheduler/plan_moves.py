"""How a prospect's plan moves once the dispatcher (or its reconciler, or an acceptance) knows what happened to
its step: on to the next step or done (S3), waiting for an invite's acceptance (S9), rescheduled in its sending
window, or stopped. Each move is one `update_plan` on the caller's transaction; which move to make is the
caller's decision."""

from __future__ import annotations

from datetime import datetime

from services.common.clock import Clock
from services.scheduler.domain import CampaignPlan
from services.scheduler.plan_rows_repository import PlanRow
from services.scheduler.planner import due_after, planned_at
from services.scheduler.repository import Tx


class PlanMoves:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    async def stop(self, tx: Tx, row: PlanRow, reason: str, now: datetime, failures: int | None = None) -> None:
        """The prospect stops for good at its current step; `reason` says why."""
        await tx.update_plan(
            row.prospect_id,
            state="stopped",
            step_index=row.step_index,
            channel=None,
            action_type=None,
            sender_id=None,
            due_at=None,
            next_action_at=None,
            failures=row.failures if failures is None else failures,
            stop_reason=reason,
            now=now,
        )

    async def step_done(self, tx: Tx, row: PlanRow, plan: CampaignPlan, completed_at: datetime) -> None:
        """The current step was performed: an invite waits for acceptance, anything else moves on."""
        if row.action_type == "linkedin_invite":
            await self.wait_acceptance(tx, row, completed_at)
            return
        await self.advance(tx, row, plan, completed_at)

    async def advance(self, tx: Tx, row: PlanRow, plan: CampaignPlan, completed_at: datetime) -> None:
        """On to the next step, due its delay after `completed_at` (S3), or done after the last."""
        now = self._clock.now()
        step = plan.step(row.step_index + 1)
        if step is None:
            await tx.update_plan(
                row.prospect_id,
                state="done",
                step_index=row.step_index + 1,
                channel=None,
                action_type=None,
                sender_id=None,
                due_at=None,
                next_action_at=None,
                failures=0,
                stop_reason="",
                now=now,
            )
            return
        due = due_after(completed_at, step)
        sender = row.linkedin_sender_id if step.channel == "linkedin" else row.inbox_id
        await tx.update_plan(
            row.prospect_id,
            state="scheduled",
            step_index=step.index,
            channel=step.channel,
            action_type=step.action_type,
            sender_id=sender,
            due_at=due,
            next_action_at=planned_at(plan.schedule, max(due, now), row.prospect_id, step.index),
            failures=0,
            stop_reason="",
            now=now,
        )

    async def wait_acceptance(self, tx: Tx, row: PlanRow, now: datetime) -> None:
        """The invite went out: the prospect waits for its acceptance (S9), with no send planned."""
        await tx.update_plan(
            row.prospect_id,
            state="waiting_acceptance",
            step_index=row.step_index,
            channel=row.channel,
            action_type=row.action_type,
            sender_id=row.sender_id,
            due_at=row.due_at,
            next_action_at=None,
            failures=0,
            stop_reason="",
            now=now,
        )

    async def reschedule(
        self,
        tx: Tx,
        row: PlanRow,
        plan: CampaignPlan,
        not_before: datetime,
        now: datetime,
        *,
        failures: int | None = None,
        note: str = "",
    ) -> None:
        """The same step again, planned in its window at `not_before` or after. `note`: why a scheduled prospect
        waits (kept in stop_reason while scheduled; shown by why-not-now)."""
        await tx.update_plan(
            row.prospect_id,
            state="scheduled",
            step_index=row.step_index,
            channel=row.channel,
            action_type=row.action_type,
            sender_id=row.sender_id,
            due_at=row.due_at,
            next_action_at=planned_at(plan.schedule, not_before, row.prospect_id, row.step_index),
            failures=row.failures if failures is None else failures,
            stop_reason=note,
            now=now,
        )
