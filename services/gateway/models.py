"""Request and response bodies of the HTTP API. Requests are strict (unknown fields and wrong types are
refused, naming the field); responses are built through these models, so the OpenAPI document cannot
drift from what the handlers send."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Status = Literal["draft", "active", "paused", "finished"]
Reason = Literal["manual", "linkedin_account_disconnected", "linkedin_high_failure_rate", "account_restricted",
                 "subscription_canceled", "email_account_disconnected", "email_high_bounce_rate"]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Requests


class CreateWorkspace(Request):
    name: str = Field(max_length=100, examples=["Acme Sales"])
    owner_email: str = Field(max_length=254, examples=["owner@acme.example"])


class Window(Request):
    start: str = Field(pattern=r"^\d{2}:\d{2}$", examples=["09:00"], description="local time, HH:MM")
    end: str = Field(pattern=r"^\d{2}:\d{2}$", examples=["17:00"],
                     description="local time, HH:MM, after start (windows across midnight are refused)")


class ScheduleIn(Request):
    days: list[Weekday] = Field(min_length=1, max_length=7)
    window: Window
    timezone: str = Field(max_length=64, examples=["Europe/Paris"], description="IANA timezone")
    randomize_within_window: bool = False


class CreateCampaign(Request):
    name: str = Field(max_length=200)
    kind: Literal["outreach", "warmup"] = "outreach"
    schedule: ScheduleIn


# Responses


class WorkspaceOut(Response):
    id: str
    name: str
    subscription_status: Literal["active", "canceled"]


class CreatedWorkspace(Response):
    workspace: WorkspaceOut
    token: str = Field(description="bearer token for Authorization: Bearer; shown only once")


class ScheduleOut(Response):
    days: list[Weekday]
    window: dict[Literal["start", "end"], str]
    timezone: str
    randomize_within_window: bool


class PauseReasonOut(Response):
    reason: Reason
    scope: Literal["campaign", "linkedin", "email"]
    since: str
    detail: str
    explanation: str = Field(description="what happened, in plain language")
    action: str = Field(description="what the user can do about it")


class CampaignOut(Response):
    id: str
    name: str
    kind: Literal["outreach", "warmup"]
    status: Status
    paused_reason: Reason | None = Field(description="the highest-precedence active reason; null unless paused")
    pause_reasons: list[PauseReasonOut]
    schedule: ScheduleOut
    created_at: str
    updated_at: str


class CampaignList(Response):
    campaigns: list[CampaignOut]
    next_page_token: str | None


class CampaignChange(Response):
    campaign: CampaignOut
    changed: bool = Field(description="false when the call found the campaign already in that state")
    message: str


class ActorOut(Response):
    kind: Literal["member", "system"]
    member_id: str | None = None
    source: str | None = None
    event_id: str | None = None


class HistoryEntryOut(Response):
    id: int
    action: Literal["added", "cleared"]
    reason: Reason
    scope: Literal["campaign", "linkedin", "email"]
    actor: ActorOut
    detail: str
    at: str
    status_after: Status


class PauseHistory(Response):
    entries: list[HistoryEntryOut]
    next_page_token: str | None


class ErrorBody(Response):
    code: str = Field(examples=["invalid_argument"])
    message: str
    details: dict[str, Any]


class ErrorOut(Response):
    error: ErrorBody


class Health(Response):
    status: Literal["ok", "ready"]
    upstreams: dict[str, str] | None = None
