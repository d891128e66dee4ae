"""A campaign's definition and its lifecycle: create, edit (re-planning who waits on a changed delay or window, S3),
duplicate and archive. Part of the campaigns use cases (`CampaignsService` mixes it in); no gRPC and no SQL here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import structlog

from services.campaigns.domain import (
    KINDS,
    Actor,
    Campaign,
    Schedule,
    Senders,
    Step,
    changed_fields,
    started_edit_refusal,
    validate_senders,
    validate_steps,
    validate_warmup,
)
from services.campaigns.pause import Change, PauseStates
from services.campaigns.ports import Directory, Events, Outbox, PlanMove, Scheduler
from services.campaigns.repository import Repository
from services.common.clock import Clock
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.ids import parse_uuid
from services.common.timemath import Schedule as TimeSchedule
from services.common.timemath import ScheduleError

log = structlog.get_logger(__name__)
# How long pause/resume wait for the scheduler to apply the new holds before answering.
HOLDS_ACK_SECONDS = 5.0
# Said when the scheduler has not confirmed a member's change before the answer (Change.holds_pending).
HOLD_NOT_CONFIRMED = "; not enforced yet: the scheduler has not confirmed the hold, and a send may start until it does"
RELEASE_NOT_CONFIRMED = "; the scheduler has not confirmed yet: sending resumes once it does"
PLAN_NOT_CONFIRMED = "; the scheduler has not confirmed yet: sending starts once it does"


def validate_schedule(schedule: Schedule) -> Schedule:
    """S1: days, a window inside one day and an IANA timezone; errors name the field."""
    try:
        parsed = TimeSchedule.parse(
            schedule.days,
            schedule.window_start,
            schedule.window_end,
            schedule.timezone,
            schedule.randomize_within_window,
        )
    except ScheduleError as exc:
        raise InvalidArgument(exc.message, field=f"schedule.{exc.field}") from None
    return Schedule(
        days=tuple(schedule.days),
        window_start=parsed.window_start.strftime("%H:%M"),
        window_end=parsed.window_end.strftime("%H:%M"),
        timezone=parsed.timezone,
        randomize_within_window=parsed.randomize_within_window,
    )


def _checked_name_schedule(name: str, schedule: Schedule, stop_on_reply: str) -> tuple[str, Schedule]:
    """The checks a new campaign and an edit share: its name, schedule (S1) and stop-on-reply scope (V4)."""
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidArgument("name must be 1 to 200 characters", field="name")
    schedule = validate_schedule(schedule)
    if stop_on_reply not in ("prospect", "company"):
        raise InvalidArgument("stop_on_reply must be prospect or company", field="stop_on_reply")
    return name, schedule


def _check_sender_ids(senders: Senders) -> None:
    for field_name, ids in (("linkedin_account_ids", senders.linkedin_account_ids), ("inbox_ids", senders.inbox_ids)):
        for i, sender_id in enumerate(ids):
            parse_uuid(sender_id, f"senders.{field_name}.{i}")


@dataclass(frozen=True, slots=True)
class EditResult:
    campaign: Campaign
    saved: bool
    moved: int
    moves: list[PlanMove]
    changed: list[str]
    # The scheduler had not taken the saved plan when the answer was given (it will: the outbox keeps delivering).
    plan_pending: bool = False


# How many moves an edit's preview lists (the count covers every one).
PREVIEW_MOVES = 50


def read_only(campaign: Campaign) -> None:
    if campaign.archived_at is not None:
        raise FailedPrecondition(
            "an archived campaign is read-only; bring it back from the archive first", code="archived"
        )


class CampaignLifecycle:
    """Create, edit, duplicate and archive; `CampaignsService` provides what is declared here."""

    _repo: Repository
    _clock: Clock
    _events: Events
    _outbox: Outbox
    _scheduler: Scheduler
    _directory: Directory
    _cooldown: timedelta
    pause_states: PauseStates

    get: Callable[[str, str], Awaitable[Campaign]]
    _acknowledge_holds: Callable[[Change, float], Awaitable[bool]]

    async def create(
        self,
        workspace_id: str,
        name: str,
        kind: str,
        schedule: Schedule,
        steps: list[Step] | None = None,
        senders: Senders | None = None,
        stop_on_reply: str = "prospect",
    ) -> Campaign:
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        if kind not in KINDS:
            raise InvalidArgument(f"kind must be one of {', '.join(KINDS)}", field="kind")
        name, schedule = _checked_name_schedule(name, schedule, stop_on_reply)
        senders = senders or Senders()
        steps = validate_warmup(steps or [], senders) if kind == "warmup" else validate_steps(steps or [])
        _check_sender_ids(senders)
        validate_senders(steps, senders)
        await self._directory.check_senders(workspace_id, senders)
        if kind == "warmup" and await self._directory.inbox_count(workspace_id) < 2:
            raise InvalidArgument(
                "a warm-up writes to the workspace's other inboxes: connect at least one more inbox first",
                field="senders.inbox_ids",
            )
        campaign = await self._repo.create_campaign(
            workspace_id, name, kind, schedule, steps, senders, self._clock.now(), self._events.plan, stop_on_reply
        )
        self._outbox.kick()
        log.info("campaign created", campaign_id=campaign.id, workspace_id=workspace_id, steps=len(steps))
        return campaign

    def _definition(
        self, campaign: Campaign, name: str, schedule: Schedule, steps: list[Step], senders: Senders, stop_on_reply: str
    ) -> tuple[str, Schedule, list[Step], Senders]:
        """The checks of `create`, for an edit; returns the normalized definition."""
        name, schedule = _checked_name_schedule(name, schedule, stop_on_reply)
        if campaign.kind == "warmup":
            # A warm-up writes its own emails from its one inbox: only its name and schedule change.
            steps, senders = list(campaign.steps), campaign.senders
        else:
            steps = validate_steps(steps)
            _check_sender_ids(senders)
            validate_senders(steps, senders)
        if campaign.status != "draft":
            refused = started_edit_refusal(campaign, steps, senders)
            if refused is not None:
                code, message, field_name = refused
                raise FailedPrecondition(message, code=code, details={"field": field_name})
        return name, schedule, steps, senders

    async def update(
        self,
        workspace_id: str,
        campaign_id: str,
        actor: Actor,
        *,
        name: str,
        schedule: Schedule,
        steps: list[Step],
        senders: Senders,
        stop_on_reply: str,
        preview: bool,
        ack_within: float = HOLDS_ACK_SECONDS,
    ) -> EditResult:
        """Edit a campaign's definition (see the RPC). The scheduler re-plans the prospects waiting on a changed
        delay or window when the new plan reaches it (S3); the preview asks it who would move. `ack_within`: how
        long to wait for the scheduler to take the saved plan before answering (within the caller's deadline)."""
        campaign = await self.get(workspace_id, campaign_id)
        read_only(campaign)
        name, schedule, steps, senders = self._definition(campaign, name, schedule, steps, senders, stop_on_reply)
        changed = changed_fields(campaign, name, schedule, steps, senders, stop_on_reply)
        candidate = replace(
            campaign, name=name, schedule=schedule, steps=tuple(steps), senders=senders, stop_on_reply=stop_on_reply
        )
        moved, moves = 0, []
        if campaign.status != "draft" and any(f.startswith("schedule") or f.endswith(".delay") for f in changed):
            moved, moves = await self._scheduler.preview_plan_change(candidate, PREVIEW_MOVES)
        if preview or not changed:
            return EditResult(candidate if preview else campaign, False, moved, moves, changed)
        if campaign.status == "draft" and senders != campaign.senders:
            await self._directory.check_senders(campaign.workspace_id, senders)
        async with self._repo.transaction() as tx:
            locked = await tx.lock_campaign(campaign.workspace_id, campaign.id)
            if (
                locked is None
                or locked.archived_at is not None
                or (locked.status == "draft") != (campaign.status == "draft")
            ):
                raise FailedPrecondition("the campaign changed meanwhile; try again", code="conflict")
            await tx.update_definition(locked, name, schedule, steps, senders, stop_on_reply, self._clock.now())
            saved = await tx.get_campaign(campaign.workspace_id, campaign.id)
            assert saved is not None
            event = await tx.enqueue(self._events.plan(saved))
        pending = not await self._outbox.wait_delivered(event, ack_within)
        if pending:
            log.warning(
                "the new plan is not yet applied by the scheduler; the outbox keeps retrying", campaign_id=campaign.id
            )
        log.info("campaign edited", campaign_id=campaign.id, changed=changed, moved=moved, actor=actor.kind)
        return EditResult(saved, True, moved, moves, changed, plan_pending=pending)

    async def duplicate(self, workspace_id: str, campaign_id: str, actor: Actor, name: str = "") -> Campaign:
        """A new draft with the campaign's definition and no prospects."""
        source = await self.get(workspace_id, campaign_id)
        name = name.strip() or f"Copy of {source.name}"[:200]
        steps = [] if source.kind == "warmup" else list(source.steps)
        copy = await self.create(
            source.workspace_id, name, source.kind, source.schedule, steps, source.senders, source.stop_on_reply
        )
        log.info("campaign duplicated", campaign_id=source.id, copy_id=copy.id, actor=actor.kind)
        return copy

    async def archive(
        self,
        workspace_id: str,
        campaign_id: str,
        actor: Actor,
        archived: bool,
        *,
        ack_within: float = HOLDS_ACK_SECONDS,
    ) -> Change:
        """Archive: read-only and out of the default list. A started campaign is paused by the member first, so
        an archived campaign never sends (only a member's resume clears that, and it is refused while archived).
        `ack_within`: how long to wait for the scheduler to apply that pause before answering (within the caller's
        deadline); past it the answer says the pause is not enforced yet."""
        campaign = await self.get(workspace_id, campaign_id)
        if (campaign.archived_at is not None) == archived:
            return Change(campaign, False, "campaign is already archived" if archived else "campaign is not archived")
        held = True
        if archived and campaign.status in ("active", "paused"):
            paused = await self.pause_states.add(
                campaign.workspace_id, campaign.id, "manual", "campaign", actor, subject=""
            )
            held = await self._acknowledge_holds(paused, ack_within)
        async with self._repo.transaction() as tx:
            locked = await tx.lock_campaign(campaign.workspace_id, campaign.id)
            if locked is None:
                raise NotFound("campaign not found")
            now = self._clock.now()
            await tx.set_archived(campaign.id, now if archived else None, now)
            after = await tx.get_campaign(campaign.workspace_id, campaign.id)
            assert after is not None
        log.info("campaign archived" if archived else "campaign unarchived", campaign_id=campaign.id)
        if not archived:
            return Change(after, True, "campaign brought back from the archive")
        message = "campaign archived" + (" and paused" if after.status == "paused" else "")
        return Change(after, True, message + ("" if held else HOLD_NOT_CONFIRMED), holds_pending=not held)
