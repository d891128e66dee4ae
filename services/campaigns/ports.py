"""What the campaigns use cases need from the outside, implemented at the gRPC edge (server.py) so the
use cases hold neither protobuf nor network code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.campaigns.domain import Campaign, Prospect, Senders
from services.campaigns.repository import Event
from services.campaigns.suppression_entries import Entry
from services.common.attempts import Attempt
from services.common.records import WarmupProgress


@dataclass(frozen=True, slots=True)
class HoldState:
    """A campaign's held scopes at one version of its pause state, as the scheduler enforces them."""

    campaign_id: str
    version: int
    held_scopes: tuple[str, ...]


class Events(Protocol):
    """Builds the outbox events that carry campaign changes to the scheduler."""

    def plan(self, campaign: Campaign) -> Event: ...

    def holds(self, campaign: Campaign, caused_at: datetime) -> Event: ...

    def holds_many(self, states: list[HoldState], caused_at: datetime) -> list[Event]:
        """The holds of many campaigns, in a few events (each one scheduler call)."""
        ...

    def enrollment(self, campaign: Campaign, prospects: list[Prospect]) -> list[Event]: ...

    def probation(self, sender_ids: list[str], until: datetime) -> Event: ...

    def suppressions(self, workspace_id: str, add: Sequence[Entry], remove: Sequence[Entry]) -> Event:
        """V6: changes to the workspace's suppression list, in order per workspace."""
        ...

    def opt_out(self, event_id: str, prospect_id: str, source: str) -> Event:
        """V5: a prospect's opt-out, for the scheduler to stop it."""
        ...


@dataclass(frozen=True, slots=True)
class PlanInfo:
    state: str
    step_index: int
    next_action_at: datetime | None
    why_not_now: list[str]
    # V3: set while an out-of-office parks the prospect.
    out_of_office_until: datetime | None = None
    # DESIGN T2: the prospect's send attempts, oldest first.
    history: tuple[Attempt, ...] = ()


@dataclass(frozen=True, slots=True)
class PlanMove:
    """A waiting prospect whose next action a definition change moves."""

    prospect_id: str
    step_index: int
    before: datetime
    after: datetime


class Scheduler(Protocol):
    async def next_sends(self, campaign_id: str) -> dict[str, datetime]: ...

    async def warmup_progress(self, campaign_id: str) -> WarmupProgress: ...

    async def active_channels(self, campaign_ids: list[str]) -> dict[str, set[str]]: ...

    async def active_on_channel(self, campaign_ids: list[str], channel: str) -> set[str]:
        """Of these campaigns, those `active_channels` would give with `channel` (P6)."""
        ...

    async def plans(self, campaign_id: str, prospect_ids: list[str]) -> dict[str, PlanInfo]: ...

    async def progress(self, campaign_ids: list[str]) -> dict[str, tuple[int, int]]:
        """Per campaign: prospects enrolled, and those not yet done or stopped."""
        ...

    async def preview_plan_change(self, campaign: Campaign, limit: int) -> tuple[int, list[PlanMove]]:
        """How many waiting prospects this definition would move, and the first `limit` of them."""
        ...


@dataclass(frozen=True, slots=True)
class SenderHealth:
    status: str  # connected, degraded, disconnected, restricted
    restriction_verified: bool = False


class Directory(Protocol):
    """What accounts knows: the workspace's senders, their health and its subscription."""

    async def check_senders(self, workspace_id: str, senders: Senders) -> None:
        """Raise InvalidArgument naming the field when a sender is not one of the workspace's."""
        ...

    async def sender_health(self, workspace_id: str, kind: str, sender_id: str) -> SenderHealth | None: ...

    async def subscription_active(self, workspace_id: str) -> bool: ...

    async def inbox_count(self, workspace_id: str) -> int: ...

    async def health_since(self, sequence: int) -> tuple[list[HealthChange], int]:
        """Current health of every subject changed after `sequence`, and the new sequence."""
        ...


@dataclass(frozen=True, slots=True)
class HealthChange:
    """A health event from accounts, in the campaigns' words."""

    event_id: str
    workspace_id: str
    version: int
    # "linkedin_account", "inbox" or "subscription".
    kind: str
    subject_id: str
    status: str  # connected/degraded/disconnected/restricted, or active/canceled for a subscription
    restriction_verified: bool = False
    detail: str = ""
    occurred_at: datetime | None = None


class Outbox(Protocol):
    def kick(self) -> None: ...

    async def wait_delivered(self, event_id: int, within_s: float) -> bool: ...
