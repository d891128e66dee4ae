"""What the campaigns use cases need from the outside, implemented at the gRPC edge (server.py) so the
use cases hold neither protobuf nor network code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.campaigns.domain import Campaign, Prospect, Senders
from services.campaigns.repository import Event


class Events(Protocol):
    """Builds the outbox events that carry campaign changes to the scheduler."""

    def plan(self, campaign: Campaign) -> Event: ...

    def holds(self, campaign: Campaign) -> Event: ...

    def enrollment(self, campaign: Campaign, prospects: list[Prospect]) -> list[Event]: ...


@dataclass(frozen=True, slots=True)
class PlanInfo:
    state: str
    step_index: int
    next_action_at: datetime | None
    why_not_now: list[str]


class Scheduler(Protocol):
    async def next_sends(self, campaign_id: str) -> dict[str, datetime]: ...

    async def plans(self, campaign_id: str, prospect_ids: list[str]) -> dict[str, PlanInfo]: ...


class Directory(Protocol):
    async def check_senders(self, workspace_id: str, senders: Senders) -> None:
        """Raise InvalidArgument naming the field when a sender is not one of the workspace's."""
        ...


class Outbox(Protocol):
    def kick(self) -> None: ...

    async def wait_delivered(self, event_id: int, within_s: float) -> bool: ...
