"""How the scheduler repository reads its rows: the records a prospect's plan is enrolled from and read as, and
the mapping of plan, sender and campaign-plan rows to them and to domain records. No SQL here."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.common.attempts import Attempt
from services.common.timemath import Schedule
from services.scheduler.domain import CampaignPlan, Limits, Sender, Step

WEEKDAY_NUMBER = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
WEEKDAY_NAME = {v: k for k, v in WEEKDAY_NUMBER.items()}


@dataclass(frozen=True, slots=True)
class Enrollee:
    prospect_id: str
    linkedin_provider_id: str | None
    email: str | None
    first_name: str
    last_name: str
    company: str
    fields: dict[str, str]
    # Issue 13: resolved into linkedin_provider_id in the background when that is missing.
    linkedin_public_identifier: str | None = None


@dataclass(frozen=True, slots=True)
class PlanRow:
    prospect_id: str
    campaign_id: str
    step_index: int
    state: str
    channel: str | None
    action_type: str | None
    sender_id: str | None
    due_at: datetime | None
    next_action_at: datetime | None
    linkedin_provider_id: str | None
    email: str | None
    first_name: str
    last_name: str
    company: str
    fields: dict[str, str]
    linkedin_sender_id: str | None
    inbox_id: str | None
    failures: int
    stop_reason: str
    # V1/V3: what the prospect said ("" for nothing yet) and, for an out-of-office, until when it is parked.
    voice: str = ""
    parked_until: datetime | None = None


def _text(v: object) -> str | None:
    return None if v is None else str(v)


def _fields(raw: Any) -> dict[str, str]:
    # jsonb comes as its text; "{}" (no custom fields, the common case) needs no parser.
    if isinstance(raw, str):
        decoded: dict[str, str] = {} if raw == "{}" else json.loads(raw)
        return decoded
    return dict(raw)


def plan_row(r: asyncpg.Record) -> PlanRow:
    # Positional, in PlanRow's field order (PLAN_ROW_ORDER, checked below): the dispatcher maps every claimed row,
    # and 21 keyword arguments cost about as much as the rest of the mapping (B11).
    return PlanRow(
        str(r["prospect_id"]),
        str(r["campaign_id"]),
        r["step_index"],
        r["state"],
        r["channel"],
        r["action_type"],
        _text(r["sender_id"]),
        r["due_at"],
        r["next_action_at"],
        r["linkedin_provider_id"],
        r["email"],
        r["first_name"],
        r["last_name"],
        r["company"],
        _fields(r["fields"]),
        _text(r["linkedin_sender_id"]),
        _text(r["inbox_id"]),
        r["failures"],
        r["stop_reason"],
        r["voice"],
        r["parked_until"],
    )


def attempt_row(r: asyncpg.Record) -> Attempt:
    """A row of scheduler.send_attempts as the prospect's history shows it (T2): its detail is the note."""
    return Attempt(
        r["step_index"], r["action_type"], r["status"], r["outcome"], r["detail"], r["started_at"], r["finished_at"]
    )


# The order plan_row passes its values in; a field added, removed or moved in PlanRow must be moved there too.
PLAN_ROW_ORDER = (
    "prospect_id",
    "campaign_id",
    "step_index",
    "state",
    "channel",
    "action_type",
    "sender_id",
    "due_at",
    "next_action_at",
    "linkedin_provider_id",
    "email",
    "first_name",
    "last_name",
    "company",
    "fields",
    "linkedin_sender_id",
    "inbox_id",
    "failures",
    "stop_reason",
    "voice",
    "parked_until",
)
if tuple(f.name for f in dataclass_fields(PlanRow)) != PLAN_ROW_ORDER:  # pragma: no cover - a programming error
    raise RuntimeError("PlanRow's fields moved: update plan_row and PLAN_ROW_ORDER")


def aware(value: datetime) -> datetime:
    # asyncpg returns PostgreSQL's -infinity/infinity as naive datetime.min/max.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def sender_from_row(r: asyncpg.Record, limits: dict[str, Limits]) -> Sender:
    return Sender(
        sender_id=str(r["sender_id"]),
        kind=r["sender_kind"],
        status=r["status"],
        timezone=r["timezone"],
        unipile_account_id=r["unipile_account_id"],
        email=r["email"],
        ramp_day=r["ramp_day"],
        last_sent_local_date=r["last_sent_local_date"],
        next_send_after=aware(r["next_send_after"]),
        limits=limits,
        provider_block=r["provider_block"],
        invite_usage=r["invite_usage"],
        invite_usage_at=r["invite_usage_at"],
        version=r["version"],
    )


def campaign_plan_from_row(r: asyncpg.Record, steps: Sequence[asyncpg.Record]) -> CampaignPlan:
    return CampaignPlan(
        campaign_id=str(r["campaign_id"]),
        workspace_id=str(r["workspace_id"]),
        version=r["version"],
        schedule=Schedule(
            days=frozenset(WEEKDAY_NUMBER[d] for d in r["days"]),
            window_start=r["window_start"],
            window_end=r["window_end"],
            timezone=r["timezone"],
            randomize_within_window=r["randomize"],
        ),
        active=r["active"],
        linkedin_account_ids=tuple(str(x) for x in r["linkedin_account_ids"]),
        inbox_ids=tuple(str(x) for x in r["inbox_ids"]),
        steps=tuple(
            Step(s["index"], s["channel"], s["action_type"], s["delay_hours"], s["text"], s["subject"], s["body"])
            for s in steps
        ),
        warmup=r["warmup"],
        stop_on_reply=r["stop_on_reply"],
    )


def limits_from_rows(rows: Sequence[asyncpg.Record]) -> dict[str, dict[str, Limits]]:
    out: dict[str, dict[str, Limits]] = {}
    for r in rows:
        out.setdefault(str(r["sender_id"]), {})[r["action_type"]] = Limits(
            r["daily_cap"],
            r["weekly_cap"],
            r["ramp_start"],
            r["ramp_step"],
            r["pacing_min_seconds"],
            r["pacing_max_seconds"],
        )
    return out


# A sender the ready queue named with nothing to claim moves on to its earliest claimable action (or never), unless
# a plan, hold or campaign write touched its row since the walk read it (its version moved: that writer lowered
