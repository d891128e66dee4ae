"""Use cases of the campaigns service. No gRPC and no SQL here."""

from __future__ import annotations

import base64
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import structlog

from services.campaigns.domain import (
    CATALOG,
    Actor,
    Campaign,
    HistoryEntry,
    Prospect,
    ProspectIn,
    ReasonView,
    describe,
)
from services.campaigns.gates import Gates, Needed
from services.campaigns.gates import missing as gates_missing
from services.campaigns.health import HealthReactions
from services.campaigns.lifecycle import (
    HOLD_NOT_CONFIRMED,
    HOLDS_ACK_SECONDS,
    PLAN_NOT_CONFIRMED,
    RELEASE_NOT_CONFIRMED,
    CampaignLifecycle,
    read_only,
)
from services.campaigns.pause import Change, PauseStates
from services.campaigns.ports import Directory, Events, Outbox, PlanInfo, Scheduler, WarmupProgress
from services.campaigns.prospect_batch import check_batch
from services.campaigns.replies_read_repository import Read, RepliesReadStore
from services.campaigns.repository import Repository
from services.campaigns.suppressions import Suppressions
from services.common.clock import Clock
from services.common.errors import DomainError, FailedPrecondition, InvalidArgument, NotFound
from services.common.ids import parse_uuid

log = structlog.get_logger(__name__)
MAX_PAGE = 200
MAX_PROSPECTS_PER_CALL = 10_000
MAX_REPLIED = 2**31 - 1  # an int32 over gRPC
# How long pause/resume wait for the scheduler to apply the new holds before answering.


def _page_size(requested: int) -> int:
    if requested < 0:
        raise InvalidArgument("page_size must not be negative", field="page_size")
    return min(requested or 50, MAX_PAGE)


@dataclass(frozen=True, slots=True)
class AddResult:
    added: int
    already_present: int
    refused: list[tuple[int, str, str]]
    # Added but on the workspace's suppression list: never sent (V6).
    suppressed: int = 0


@dataclass(frozen=True, slots=True)
class ProspectView:
    prospect: Prospect
    plan: PlanInfo | None


class CampaignsService(CampaignLifecycle):
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        events: Events,
        outbox: Outbox,
        scheduler: Scheduler,
        directory: Directory,
        auto_resume_cooldown: timedelta = timedelta(minutes=10),
        probation: timedelta = timedelta(hours=24),
    ):
        self._repo = repository
        self._clock = clock
        self._events = events
        self._outbox = outbox
        self._scheduler = scheduler
        self._directory = directory
        self._replies_read = RepliesReadStore(repository)
        self.suppressions = Suppressions(repository, clock, outbox, events.suppressions, events.opt_out)
        self._cooldown = auto_resume_cooldown
        self._gates = Gates(directory)
        self.pause_states = PauseStates(
            repository, clock, self._gates.check, events, auto_resume_cooldown=auto_resume_cooldown, probation=probation
        )
        self.health = HealthReactions(
            repository, self.pause_states, scheduler, directory, outbox, clock, cooldown=auto_resume_cooldown
        )

    async def shown(self, campaigns: list[Campaign]) -> list[Campaign]:
        """The campaigns as a member sees them: an active one whose every prospect is done or stopped is
        completed. The scheduler counts what it enrolled; until it has every prospect campaigns holds, the
        campaign is not completed (prospects on their way are not done)."""
        ids = [c.id for c in campaigns if c.status == "active" and c.kind == "outreach"]
        if not ids:
            return campaigns
        counts = await self._repo.prospect_counts(ids)
        ids = [i for i in ids if counts.get(i)]
        progress = await self._scheduler.progress(ids) if ids else {}
        done = {i for i in ids if progress.get(i, (0, 1))[0] >= counts[i] and progress[i][1] == 0}
        return [replace(c, completed=True) if c.id in done else c for c in campaigns]

    def describe(self, campaign: Campaign) -> list[ReasonView]:
        """What to say of each of the campaign's reasons now (P9 cool-downs included)."""
        now = self._clock.now()
        return [describe(campaign, r, cooldown=self._cooldown, now=now) for r in campaign.reasons]

    async def get(self, workspace_id: str, campaign_id: str) -> Campaign:
        campaign = await self._repo.get_campaign(
            parse_uuid(workspace_id, "workspace_id"), parse_uuid(campaign_id, "campaign_id", missing_is_not_found=True)
        )
        if campaign is None:
            raise NotFound("campaign not found")
        return campaign

    async def get_many(self, reads: Sequence[tuple[str, str]]) -> list[Campaign | DomainError]:
        """Each (workspace id, campaign id) read as `get` would answer it alone (the campaign, or the error it
        would raise), with one query for them all."""
        checked: list[tuple[str, str] | DomainError] = []
        for workspace_id, campaign_id in reads:
            try:
                checked.append(
                    (
                        parse_uuid(workspace_id, "workspace_id"),
                        parse_uuid(campaign_id, "campaign_id", missing_is_not_found=True),
                    )
                )
            except DomainError as exc:
                checked.append(exc)
        valid = [read for read in checked if isinstance(read, tuple)]
        found = await self._repo.get_campaigns(valid) if valid else {}
        return [
            read if isinstance(read, DomainError) else found.get(read) or NotFound("campaign not found")
            for read in checked
        ]

    async def list(
        self, workspace_id: str, page_size: int, page_token: str, archived: str = ""
    ) -> tuple[list[Campaign], str]:
        size = _page_size(page_size)
        if archived not in ("", "archived", "all"):
            raise InvalidArgument("archived must be archived or all", field="archived")
        after = _decode_cursor(page_token) if page_token else None
        campaigns = await self._repo.list_campaigns(parse_uuid(workspace_id, "workspace_id"), size + 1, after, archived)
        next_token = _encode_cursor(campaigns[size - 1]) if len(campaigns) > size else ""
        return await self.shown(campaigns[:size]), next_token

    async def activate(
        self, workspace_id: str, campaign_id: str, actor: Actor, *, ack_within: float = HOLDS_ACK_SECONDS
    ) -> Change:
        """`ack_within`: how long to wait, in all, for the scheduler to take the new plan (and any holds the
        campaign starts with) before answering (within the caller's deadline); past it the answer says so."""
        campaign = await self.get(workspace_id, campaign_id)
        read_only(campaign)
        if campaign.status == "active":
            return Change(campaign, False, "campaign is already active")
        if campaign.status != "draft":
            raise FailedPrecondition(
                f"a {campaign.status} campaign cannot be activated"
                + ("; resume it instead" if campaign.status == "paused" else ""),
                code="invalid_state",
                details={"status": campaign.status},
            )
        if not campaign.steps:
            raise FailedPrecondition("add at least one step before activating", code="no_steps")
        # The gate check (P5, P6): a campaign never starts active on a channel it cannot send on. A draft's
        # prospects are all at their first step, so every channel of its steps is active once it has one.
        async with self._repo.transaction() as tx:
            starting = campaign.kind == "warmup" or await tx.has_prospects(campaign.id)
        needed = await self._gates.needed(campaign, _step_channels(campaign)) if starting else []
        async with self._repo.transaction() as tx:
            locked = await tx.lock_campaign(campaign.workspace_id, campaign.id)
            if locked is None or locked.status != "draft":
                raise FailedPrecondition("the campaign changed meanwhile; try again", code="conflict")
            await tx.set_status(campaign.id, "active", None, self._clock.now(), pause_changed=False)
            await tx.bump_definition(campaign.id)
            activated = await tx.get_campaign(campaign.workspace_id, campaign.id)
            assert activated is not None
            if needed:
                # The holds travel before the plan that starts the campaign: it never runs unheld.
                activated = await self.pause_states.add_needed(tx, activated, needed)
                await tx.enqueue(self._events.holds(activated, self._clock.now()))
            event = await tx.enqueue(self._events.plan(activated))
        answer_by = time.monotonic() + ack_within
        # The holds travel before the plan: until the plan is taken, nothing of the campaign is sent.
        unconfirmed = "" if await self._outbox.wait_delivered(event, ack_within) else PLAN_NOT_CONFIRMED
        if unconfirmed:
            log.warning(
                "the new plan is not yet applied by the scheduler; the outbox keeps retrying", campaign_id=campaign.id
            )
        if starting:
            # A sender that failed between the check and the commit was not seen by its health event either
            # (the campaign was still a draft): check once more now that the campaign is started.
            again = await self._enforce(
                activated, _step_channels(activated), within=max(0.1, answer_by - time.monotonic())
            )
            activated = again.campaign
            if again.holds_pending and not unconfirmed:
                unconfirmed = HOLD_NOT_CONFIRMED
        log.info("campaign activated", campaign_id=campaign.id, actor=actor.kind, status=activated.status)
        message = "campaign activated"
        if activated.status == "paused":
            message += ", and paused at once: " + "; ".join(r.detail or r.reason for r in activated.reasons)
        return Change(activated, True, message + unconfirmed, holds_pending=bool(unconfirmed))

    async def _enforce(self, campaign: Campaign, channels: set[str], within: float = HOLDS_ACK_SECONDS) -> Change:
        """The gate check on a started campaign, in its own transaction; answers once the holds are applied, or
        after `within` seconds with holds_pending."""
        change = await self.pause_states.enforce(
            campaign.workspace_id, campaign.id, await self._gates.needed(campaign, channels)
        )
        return change if await self._acknowledge_holds(change, within) else replace(change, holds_pending=True)

    async def pause(
        self, workspace_id: str, campaign_id: str, actor: Actor, *, ack_within: float = HOLDS_ACK_SECONDS
    ) -> Change:
        """`ack_within`: how long to wait for the scheduler to apply the holds before answering (within the
        caller's deadline); past it the answer says the pause is not enforced yet."""
        campaign = await self.get(workspace_id, campaign_id)
        change = await self.pause_states.add(
            campaign.workspace_id, campaign.id, "manual", "campaign", actor, subject=""
        )
        if not change.changed:
            return Change(change.campaign, False, "campaign is already paused by a member")
        log.info("campaign paused", campaign_id=campaign.id, reason="manual")
        if not await self._acknowledge_holds(change, ack_within):
            return replace(change, holds_pending=True, message=change.message + HOLD_NOT_CONFIRMED)
        return change

    async def resume(
        self,
        workspace_id: str,
        campaign_id: str,
        actor: Actor,
        *,
        when_unblocked: bool = False,
        ack_within: float = HOLDS_ACK_SECONDS,
    ) -> tuple[Change, dict[str, datetime]]:
        """Returns the change and, per channel, when the next send is planned (P8). A refused resume changes
        nothing; `when_unblocked` keeps the member's intent instead (see PauseStates.resume). `ack_within` as
        for `pause`."""
        campaign = await self.get(workspace_id, campaign_id)
        read_only(campaign)
        needed: list[Needed] = []
        if campaign.status == "paused":
            needed = await self._needed_on_active_channels(campaign)
        change = await self.pause_states.resume(campaign, actor, needed=needed, when_unblocked=when_unblocked)
        if change.changed:
            log.info("campaign resumed", campaign_id=campaign.id)
            if not await self._acknowledge_holds(change, ack_within):
                change = replace(change, holds_pending=True, message=change.message + RELEASE_NOT_CONFIRMED)
        return change, await self._scheduler.next_sends(campaign.id)

    async def _needed_on_active_channels(self, campaign: Campaign) -> list[Needed]:
        """The gate check of a resume (P5, P6): what the senders of the campaign's active channels and its
        subscription call for. The senders of every step channel are asked first; the scheduler is asked which
        channels are active only when a sender reason is found, so a healthy resume calls the scheduler once."""
        needed = await self._gates.needed(campaign, _step_channels(campaign))
        if all(n.scope == "campaign" for n in needed):
            return needed
        channels = (await self._scheduler.active_channels([campaign.id])).get(campaign.id, set())
        return [n for n in needed if n.scope == "campaign" or n.scope in channels]

    async def prospect_back(self, campaign_id: str) -> bool:
        """The gate check of a step becoming active again (issue 15): a stopped prospect is back in its sequence
        (the scheduler says so once it is), so a channel no sender of which can send on may be active again
        without a reason. Returns whether a reason was added."""
        workspace_id = await self._repo.workspace_of(parse_uuid(campaign_id, "campaign_id"))
        if workspace_id is None:
            return False
        campaign = await self.get(workspace_id, campaign_id)
        if campaign.status not in ("active", "paused"):
            return False
        channels = (await self._scheduler.active_channels([campaign.id])).get(campaign.id, set())
        return (await self._enforce(campaign, set(channels))).changed

    async def _acknowledge_holds(self, change: Change, within: float = HOLDS_ACK_SECONDS) -> bool:
        """Wait until the scheduler enforces the new holds; False (and a line in the log) when it has not within
        `within` seconds: the outbox keeps delivering them."""
        if change.holds_event is None:
            return True
        if await self._outbox.wait_delivered(change.holds_event, within):
            return True
        log.warning("holds not yet applied by the scheduler; the outbox keeps retrying", campaign_id=change.campaign.id)
        return False

    async def add_prospects(self, workspace_id: str, campaign_id: str, prospects: list[ProspectIn]) -> AddResult:
        campaign = await self.get(workspace_id, campaign_id)
        read_only(campaign)
        if len(prospects) > MAX_PROSPECTS_PER_CALL:
            raise InvalidArgument(f"at most {MAX_PROSPECTS_PER_CALL} prospects per call", field="prospects")
        if campaign.status == "finished":
            raise FailedPrecondition("a finished campaign takes no prospects", code="invalid_state")
        if campaign.kind == "warmup":
            raise FailedPrecondition(
                "a warm-up campaign writes to the workspace's other inboxes; it takes no prospects",
                code="warmup_takes_no_prospects",
            )
        valid, refused = check_batch(prospects, campaign.steps)
        # The gate check (P6): new prospects make every step of the campaign active again.
        started = campaign.status in ("active", "paused") and bool(valid)
        needed = await self._gates.needed(campaign, _step_channels(campaign)) if started else []
        holds_event = None
        async with self._repo.transaction() as tx:
            added = await tx.add_prospects(campaign.id, valid, self._clock.now())
            if added and needed:
                locked = await tx.lock_campaign(campaign.workspace_id, campaign.id)
                if locked is not None and locked.status in ("active", "paused") and gates_missing(locked, needed):
                    # The holds travel before the prospects: none of them is ever sent to unheld.
                    held = await self.pause_states.add_needed(tx, locked, needed)
                    holds_event = await tx.enqueue(self._events.holds(held, self._clock.now()))
            for event in self._events.enrollment(campaign, added):
                await tx.enqueue(event)
        self._outbox.kick()
        if holds_event is not None:
            await self._acknowledge_holds(Change(campaign, True, "", holds_event))
        suppressed = sum(
            await self.suppressions.suppressed(
                campaign.workspace_id,
                [(p.data.email, p.data.linkedin_provider_id, p.data.linkedin_public_identifier) for p in added],
            )
        )
        log.info(
            "prospects added", campaign_id=campaign.id, added=len(added), refused=len(refused), suppressed=suppressed
        )
        return AddResult(len(added), len(valid) - len(added), refused, suppressed)

    async def list_prospects(
        self, workspace_id: str, campaign_id: str, page_size: int, page_token: str, only: list[str] | None = None
    ) -> tuple[list[ProspectView], str]:
        campaign = await self.get(workspace_id, campaign_id)
        size = _page_size(page_size)
        try:
            after_seq = int(page_token) if page_token else 0
        except ValueError:
            raise InvalidArgument("page_token is not valid", field="page_token") from None
        only = [parse_uuid(p, "prospect_ids", missing_is_not_found=True) for p in only] if only else None
        prospects = await self._repo.list_prospects(campaign.id, size + 1, after_seq, only)
        next_token = str(prospects[size - 1].seq) if len(prospects) > size else ""
        page = prospects[:size]
        plans = await self._scheduler.plans(campaign.id, [p.id for p in page]) if page else {}
        views = []
        for prospect in page:
            plan = plans.get(prospect.id)
            if plan is not None:
                plan = PlanInfo(
                    plan.state,
                    plan.step_index,
                    plan.next_action_at,
                    _with_reasons(plan.why_not_now, campaign),
                    plan.out_of_office_until,
                    plan.history,
                )
            views.append(ProspectView(prospect, plan))
        return views, next_token

    async def mark_replies_read(self, workspace_id: str, member_id: str, campaign_id: str, replied: int) -> Read:
        """A member has seen `replied` replies of one of their workspace's campaigns (issue 17)."""
        member = parse_uuid(member_id, "member_id")
        if not 0 <= replied <= MAX_REPLIED:
            raise InvalidArgument("replied: a count of replies, 0 or more", field="replied")
        campaign = await self.get(workspace_id, campaign_id)  # another workspace's campaign is not found
        return await self._replies_read.mark(campaign.workspace_id, member, campaign.id, replied, self._clock.now())

    async def replies_read(self, workspace_id: str, member_id: str) -> list[Read]:
        return await self._replies_read.of_member(
            parse_uuid(workspace_id, "workspace_id"), parse_uuid(member_id, "member_id")
        )

    async def warmup_progress(self, workspace_id: str, campaign_id: str) -> WarmupProgress:
        campaign = await self.get(workspace_id, campaign_id)
        if campaign.kind != "warmup":
            raise FailedPrecondition("not a warm-up campaign", code="not_warmup")
        if campaign.status == "draft":
            return WarmupProgress(campaign.senders.inbox_ids[0], 0, 0, 0, 0, 0, 0)
        return await self._scheduler.warmup_progress(campaign.id)

    async def history(
        self, workspace_id: str, campaign_id: str, page_size: int, page_token: str
    ) -> tuple[list[HistoryEntry], str]:
        campaign = await self.get(workspace_id, campaign_id)
        size = _page_size(page_size)
        try:
            after_id = int(page_token) if page_token else 0
        except ValueError:
            raise InvalidArgument("page_token is not valid", field="page_token") from None
        entries = await self._repo.history(campaign.workspace_id, campaign.id, size + 1, after_id)
        next_token = str(entries[size - 1].id) if len(entries) > size else ""
        return entries[:size], next_token


def _step_channels(campaign: Campaign) -> set[str]:
    return {step.channel for step in campaign.steps}


def _with_reasons(why: list[str], campaign: Campaign) -> list[str]:
    """S11: the scheduler knows a channel is held; the campaign knows why. Name the reasons."""
    out: list[str] = []
    for item in why:
        if item.startswith("held:"):
            channel = item.removeprefix("held:")
            reasons = [r.reason for r in campaign.reasons if r.scope in ("campaign", channel)]
            out += [f"paused:{r}" for r in sorted(set(reasons), key=list(CATALOG).index)] or [item]
        else:
            out.append(item)
    return out


def _encode_cursor(campaign: Campaign) -> str:
    raw = f"{campaign.created_at.isoformat()}|{campaign.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(token: str) -> tuple[datetime, str]:
    try:
        created, campaign_id = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        return datetime.fromisoformat(created), parse_uuid(campaign_id, "page_token")
    except (ValueError, UnicodeDecodeError, InvalidArgument):
        raise InvalidArgument("page_token is not valid", field="page_token") from None
