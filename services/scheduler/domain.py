"""Scheduler rules (DESIGN S3-S8). Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from services.common.timemath import Schedule

ACTION_TYPES = ("linkedin_invite", "linkedin_message", "linkedin_inmail", "email")
CHANNEL_OF = {"linkedin_invite": "linkedin", "linkedin_message": "linkedin", "linkedin_inmail": "linkedin",
              "email": "email"}
# Attempts that count against a sender's caps: the provider was asked to act.
COUNTED = ("started", "succeeded", "refused", "reconciled_sent")


@dataclass(frozen=True, slots=True)
class Limits:
    daily_cap: int
    weekly_cap: int
    ramp_start: int
    ramp_step: int
    pacing_min_seconds: int
    pacing_max_seconds: int

    def cap_on_ramp_day(self, ramp_day: int) -> int:
        """S6: the cap grows with each day the sender actually sent, up to its daily cap."""
        return min(self.daily_cap, self.ramp_start + self.ramp_step * max(ramp_day, 0))


@dataclass(frozen=True, slots=True)
class Step:
    index: int
    channel: str
    action_type: str
    delay_hours: int
    text: str = ""
    subject: str = ""
    body: str = ""


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    campaign_id: str
    workspace_id: str
    version: int
    schedule: Schedule
    active: bool
    linkedin_account_ids: tuple[str, ...]
    inbox_ids: tuple[str, ...]
    steps: tuple[Step, ...] = field(default=())

    def step(self, index: int) -> Step | None:
        return self.steps[index] if 0 <= index < len(self.steps) else None


@dataclass(frozen=True, slots=True)
class Sender:
    sender_id: str
    kind: str  # "linkedin_account" or "inbox"
    status: str
    timezone: str
    unipile_account_id: str
    email: str
    ramp_day: int
    last_sent_local_date: object | None
    next_send_after: datetime
    limits: dict[str, Limits]

    @property
    def can_send(self) -> bool:
        return self.status in ("connected", "degraded")


_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


def render(template: str, values: dict[str, str]) -> str:
    """Fill {{first_name}}-style placeholders; an unknown one becomes empty rather than leaking braces."""
    return _PLACEHOLDER.sub(lambda m: values.get(m[1], ""), template)


def hold_blocks(held_scopes: list[str] | tuple[str, ...], channel: str) -> bool:
    return "campaign" in held_scopes or channel in held_scopes
