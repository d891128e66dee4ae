"""Use cases of the campaigns service. No gRPC and no SQL here."""

from __future__ import annotations

import base64
from datetime import datetime

import structlog

from services.campaigns.domain import KINDS, Actor, Campaign, HistoryEntry, Schedule
from services.campaigns.gates import check_gate
from services.campaigns.pause import Change, PauseStates
from services.campaigns.repository import Repository
from services.common.clock import Clock
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.ids import parse_uuid
from services.common.timemath import Schedule as TimeSchedule
from services.common.timemath import ScheduleError

log = structlog.get_logger(__name__)
MAX_PAGE = 200


def validate_schedule(schedule: Schedule) -> Schedule:
    """S1: days, a window inside one day and an IANA timezone; errors name the field."""
    try:
        parsed = TimeSchedule.parse(schedule.days, schedule.window_start, schedule.window_end,
                                    schedule.timezone, schedule.randomize_within_window)
    except ScheduleError as exc:
        raise InvalidArgument(exc.message, field=f"schedule.{exc.field}") from None
    return Schedule(days=tuple(schedule.days), window_start=parsed.window_start.strftime("%H:%M"),
                    window_end=parsed.window_end.strftime("%H:%M"), timezone=parsed.timezone,
                    randomize_within_window=parsed.randomize_within_window)


def _page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument("page_size must not be negative", field="page_size")
    return min(requested or 50, MAX_PAGE)


class CampaignsService:
    def __init__(self, repository: Repository, clock: Clock):
        self._repo = repository
        self._clock = clock
        self.pause_states = PauseStates(repository, clock, check_gate)

    async def create(self, workspace_id: str, name: str, kind: str, schedule: Schedule) -> Campaign:
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise InvalidArgument("name must be 1 to 200 characters", field="name")
        if kind not in KINDS:
            raise InvalidArgument(f"kind must be one of {', '.join(KINDS)}", field="kind")
        campaign = await self._repo.create_campaign(workspace_id, name, kind, validate_schedule(schedule),
                                                    self._clock.now())
        log.info("campaign created", campaign_id=campaign.id, workspace_id=workspace_id)
        return campaign

    async def get(self, workspace_id: str, campaign_id: str) -> Campaign:
        campaign = await self._repo.get_campaign(parse_uuid(workspace_id, "workspace_id"),
                                                 parse_uuid(campaign_id, "campaign_id", missing_is_not_found=True))
        if campaign is None:
            raise NotFound("campaign not found")
        return campaign

    async def list(self, workspace_id: str, page_size: int, page_token: str) -> tuple[list[Campaign], str]:
        size = _page_size(page_size)
        after = _decode_cursor(page_token) if page_token else None
        campaigns = await self._repo.list_campaigns(parse_uuid(workspace_id, "workspace_id"), size + 1, after)
        next_token = _encode_cursor(campaigns[size - 1]) if len(campaigns) > size else ""
        return campaigns[:size], next_token

    async def activate(self, workspace_id: str, campaign_id: str, actor: Actor) -> Change:
        campaign = await self.get(workspace_id, campaign_id)
        if campaign.status == "active":
            return Change(campaign, False, "campaign is already active")
        if campaign.status != "draft":
            raise FailedPrecondition(
                f"a {campaign.status} campaign cannot be activated"
                + ("; resume it instead" if campaign.status == "paused" else ""),
                code="invalid_state", details={"status": campaign.status})
        async with self._repo.transaction() as tx:
            locked = await tx.lock_campaign(campaign.workspace_id, campaign.id)
            if locked is None or locked.status != "draft":
                raise FailedPrecondition("the campaign changed meanwhile; try again", code="conflict")
            await tx.set_status(campaign.id, "active", None, self._clock.now(), pause_changed=False)
            activated = await tx.get_campaign(campaign.workspace_id, campaign.id)
        assert activated is not None
        log.info("campaign activated", campaign_id=campaign.id, actor=actor.kind)
        return Change(activated, True, "campaign activated")

    async def pause(self, workspace_id: str, campaign_id: str, actor: Actor) -> Change:
        campaign = await self.get(workspace_id, campaign_id)
        change = await self.pause_states.add(campaign.workspace_id, campaign.id, "manual", "campaign", actor,
                                             subject="")
        if not change.changed:
            return Change(change.campaign, False, "campaign is already paused by a member")
        log.info("campaign paused", campaign_id=campaign.id, reason="manual")
        return change

    async def resume(self, workspace_id: str, campaign_id: str, actor: Actor) -> Change:
        campaign = await self.get(workspace_id, campaign_id)
        change = await self.pause_states.resume(campaign.workspace_id, campaign.id, actor)
        if change.changed:
            log.info("campaign resumed", campaign_id=campaign.id)
        return change

    async def history(self, workspace_id: str, campaign_id: str, page_size: int,
                      page_token: str) -> tuple[list[HistoryEntry], str]:
        campaign = await self.get(workspace_id, campaign_id)
        size = _page_size(page_size)
        try:
            after_id = int(page_token) if page_token else 0
        except ValueError:
            raise InvalidArgument("page_token is not valid", field="page_token") from None
        entries = await self._repo.history(campaign.workspace_id, campaign.id, size + 1, after_id)
        next_token = str(entries[size - 1].id) if len(entries) > size else ""
        return entries[:size], next_token


def _encode_cursor(campaign: Campaign) -> str:
    raw = f"{campaign.created_at.isoformat()}|{campaign.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(token: str) -> tuple[datetime, str]:
    try:
        created, campaign_id = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        return datetime.fromisoformat(created), parse_uuid(campaign_id, "page_token")
    except (ValueError, UnicodeDecodeError, InvalidArgument):
        raise InvalidArgument("page_token is not valid", field="page_token") from None
