"""Request and response bodies of the HTTP API. Requests are strict (unknown fields and wrong types are
refused, naming the field); responses are built through these models, so the OpenAPI document cannot
drift from what the handlers send."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from services.common.pause_reasons import PauseReason

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Status = Literal["draft", "active", "paused", "finished", "completed"]
Reason = PauseReason


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def integral(value: object) -> object:
    # JSON has one number type: 602.0 is the integer 602 (JSON Schema agrees); 602.5 stays a float and is refused.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer of a request body: strict (no strings, no booleans), but a whole number written 602.0 is accepted.
Integer = Annotated[int, BeforeValidator(integral)]

# What the validation enforces, stated in the OpenAPI document too (schema only: the services keep their own
# messages). The services strip text with Python's str.strip(), whose whitespace is this class (written out: JSON
# Schema's \s is not Python's). Required text is never blank once stripped.
WS = "\\u0009-\\u000d\\u001c-\\u0020\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NOT_BLANK = f"^[{WS}]*[^{WS}\\u0000][^\\u0000]*$"


def stripped(max_chars: int, *, required: bool = True) -> str:
    """Text of 1 (or 0 when not required) to max_chars characters once surrounding whitespace is stripped."""
    core = f"[^{WS}\u0000]([^\u0000]{{0,{max_chars - 2}}}[^{WS}\u0000])?"
    return f"^[{WS}]*{core if required else f'({core})?'}[{WS}]*$"


# The accounts service's email check (services/accounts/domain.py), without NUL.
_EMAIL_PART = f"[^@{WS}\\u0000]+"
EMAIL_PATTERN = f"^[{WS}]*{_EMAIL_PART}@{_EMAIL_PART}\\.{_EMAIL_PART}[{WS}]*$"
TIMEZONES = sorted(available_timezones())
# Request text is refused with NUL in it (PostgreSQL cannot store it; api.check_text).
NO_NUL = "^[^\\u0000]*$"
# Any JSON without NUL in a key or a string, at any depth: what a webhook's body may be (components/schemas).
JSON_WITHOUT_NUL = {
    "anyOf": [
        {"type": "string", "pattern": NO_NUL},
        {"type": ["number", "boolean", "null"]},
        {"type": "array", "items": {"$ref": "#/components/schemas/JsonWithoutNul"}},
        {
            "type": "object",
            "propertyNames": {"pattern": NO_NUL},
            "additionalProperties": {"$ref": "#/components/schemas/JsonWithoutNul"},
        },
    ]
}


def json_object_without_nul(description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "propertyNames": {"pattern": NO_NUL},
        "additionalProperties": {"$ref": "#/components/schemas/JsonWithoutNul"},
    }


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Requests


class CreateWorkspace(Request):
    name: str = Field(max_length=100, examples=["Acme Sales"], json_schema_extra={"pattern": NOT_BLANK})
    owner_email: str = Field(
        max_length=254, examples=["owner@acme.example"], json_schema_extra={"pattern": EMAIL_PATTERN}
    )


UNIQUE = {"uniqueItems": True}
# The campaigns service takes 00:00 to 23:59 (the gateway's own pattern only checks the shape).
_HH_MM = {"pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}


class Window(Request):
    start: str = Field(
        pattern=r"^\d{2}:\d{2}$", examples=["09:00"], description="local time, HH:MM", json_schema_extra=_HH_MM
    )
    end: str = Field(
        pattern=r"^\d{2}:\d{2}$",
        examples=["17:00"],
        description="local time, HH:MM, after start (windows across midnight are refused)",
        json_schema_extra=_HH_MM,
    )


class ScheduleIn(Request):
    days: list[Weekday] = Field(min_length=1, max_length=7, json_schema_extra={"uniqueItems": True})
    window: Window
    timezone: str = Field(
        max_length=64, examples=["Europe/Paris"], description="IANA timezone", json_schema_extra={"enum": TIMEZONES}
    )
    randomize_within_window: bool = False


class Delay(Request):
    days: Integer = Field(0, ge=0, le=366)
    hours: Integer = Field(0, ge=0, le=23)


class StepIn(Request):
    channel: Literal["linkedin", "email"]
    action: Literal["invite", "message", "inmail", "email"]
    delay: Delay = Field(
        default_factory=Delay,
        description="after the previous step completed (for a message after an invite: after the invite was accepted)",
    )
    text: str = Field(
        "",
        max_length=8000,
        description="invite note (up to 300) or LinkedIn message; "
        "{{first_name}}, {{last_name}}, {{company}} and custom fields are filled in",
    )
    subject: str = Field("", max_length=998, description="email subject")
    body: str = Field("", max_length=100_000, description="email body")


class SendersIn(Request):
    linkedin_account_ids: list[str] = Field(default_factory=list, max_length=20, json_schema_extra=UNIQUE)
    inbox_ids: list[str] = Field(default_factory=list, max_length=20, json_schema_extra=UNIQUE)


class CreateCampaign(Request):
    name: str = Field(max_length=200, json_schema_extra={"pattern": NOT_BLANK})
    kind: Literal["outreach", "warmup"] = Field(
        "outreach",
        description="warmup: one inbox (senders.inbox_ids, exactly one) sends a daily volume that grows "
        "with each day it sent, to the workspace's other inboxes; give no steps or prospects",
    )
    schedule: ScheduleIn
    steps: list[StepIn] = Field(default_factory=list, max_length=50)
    senders: SendersIn = Field(default_factory=SendersIn)
    stop_on_reply: Literal["prospect", "company"] = Field(
        "prospect",
        description="a reply stops its author (prospect) or every prospect of its company: same email "
        "domain (free-mail excluded) or same company name (company)",
    )


class ProspectIn(Request):
    linkedin_provider_id: str | None = Field(None, max_length=200)
    linkedin_public_identifier: str | None = Field(
        None,
        max_length=500,
        description="a public identifier (ada-lovelace) or a profile URL; Holdfast looks up the provider id itself",
    )
    linkedin_url: str | None = Field(
        None,
        max_length=500,
        examples=["https://www.linkedin.com/in/ada-lovelace/"],
        description="a LinkedIn profile URL (or Sales Navigator lead URL); same as linkedin_public_identifier",
    )
    email: str | None = Field(None, max_length=254)
    first_name: str = Field("", max_length=200)
    last_name: str = Field("", max_length=200)
    company: str = Field("", max_length=200)
    fields: dict[str, str] = Field(default_factory=dict, description="custom fields for templates")


class AddProspects(Request):
    prospects: list[ProspectIn] = Field(max_length=10_000)


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
    explanation: str = Field(description="what happened, in plain language, true to the state now")
    action: str = Field(description="what the user can do about it")
    clears_at: str | None = Field(
        None,
        description="set when the cause is gone but the reason waits for the "
        "auto-resume cool-down (P9): when it clears",
    )
    cooldown: str | None = Field(
        None, description="why it waits for the cool-down, e.g. 'the cause appeared 2 times in 3 minutes'"
    )


class StepOut(Response):
    index: int
    channel: Literal["linkedin", "email"]
    action: Literal["invite", "message", "inmail", "email"]
    delay: dict[Literal["days", "hours"], int]
    text: str
    subject: str
    body: str


class SendersOut(Response):
    linkedin_account_ids: list[str]
    inbox_ids: list[str]


class CampaignOut(Response):
    id: str
    name: str
    kind: Literal["outreach", "warmup"]
    status: Status
    paused_reason: Reason | None = Field(description="the highest-precedence active reason; null unless paused")
    pause_reasons: list[PauseReasonOut]
    schedule: ScheduleOut
    steps: list[StepOut]
    senders: SendersOut
    stop_on_reply: Literal["prospect", "company"]
    created_at: str
    updated_at: str
    archived_at: str | None = Field(None, description="set when archived: read-only, out of the default list")


class TemplateWarningOut(Response):
    field: str = Field(examples=["steps.0.text"])
    message: str
    sample_length: int = Field(description="the text's length filled with long sample values")


class CreatedCampaign(CampaignOut):
    warnings: list[TemplateWarningOut] = Field(
        description="templates that would pass their channel's limit with long names, companies or fields"
    )


class CampaignList(Response):
    campaigns: list[CampaignOut]
    next_page_token: str | None


class WaitingGateOut(Response):
    reason: Reason
    gate: str
    message: str
    action: str


class CampaignChange(Response):
    campaign: CampaignOut
    changed: bool = Field(description="false when the call found the campaign already in that state")
    message: str
    next_sends: dict[Literal["linkedin", "email"], str] | None = Field(
        None, description="after a resume: when each channel's next send is planned"
    )
    waiting_for: list[WaitingGateOut] | None = Field(
        None,
        description="after a resume with when_unblocked: the gates the campaign still waits for before it "
        "resumes by itself (empty when it resumed now)",
    )
    holds_pending: bool = Field(
        False,
        description="after a pause, resume, activation or archive: true when the scheduler had not confirmed the "
        "change before this answer (it is applied once the scheduler answers); until then a paused or archived "
        "campaign may still start a send, and an activated one starts sending only once it does",
    )


class ResumeBody(Request):
    when_unblocked: bool = Field(
        False,
        description="when a gate still blocks: clear the manual pause and resume by itself once the other "
        "reasons clear, instead of a refusal that changes nothing",
    )


class RefusedOut(Response):
    index: int = Field(description="position in the request's prospects")
    code: str
    message: str


class AddedProspects(Response):
    added: int
    already_present: int = Field(description="already in the campaign under one of their identifiers")
    refused: list[RefusedOut]
    suppressed: int = Field(0, description="added, but on the workspace's suppression list: never sent (V6)")


class AttemptOut(Response):
    step: int
    action: str = Field(examples=["linkedin_invite"])
    status: str = Field(description="started, succeeded, refused, failed, reconciled_sent or abandoned")
    outcome: str = Field(description="the provider's error type, an outcome class, or confirmed/assumed")
    note: str = Field(description='e.g. "assumed sent: the provider\'s answer was lost"')
    started_at: str
    finished_at: str | None


class ProspectOut(Response):
    id: str
    linkedin_provider_id: str | None
    linkedin_public_identifier: str | None
    email: str | None
    first_name: str
    last_name: str
    company: str
    fields: dict[str, str]
    state: str = Field(
        description="enrolling, resolving (its LinkedIn profile is being looked up), scheduled, "
        "in_flight, waiting_acceptance, done, stopped or not_found; or what the prospect said: "
        "replied, opted_out, suppressed, out_of_office"
    )
    current_step: int
    next_action_at: str | None
    why_not_now: list[str] = Field(description="every reason the next action is not happening now (S11)")
    out_of_office_until: str | None = Field(None, description="while an out-of-office parks the prospect")
    history: list[AttemptOut] = Field(description="send attempts, oldest first, with the provider's answer (T2)")


class ProspectPage(Response):
    prospects: list[ProspectOut]
    next_page_token: str | None


class PreviewDay(Response):
    date: str = Field(description="local date in the campaign's timezone")
    channel: Literal["linkedin", "email"]
    count: int


class ResumePreview(Response):
    overdue: int = Field(description="actions that fell due while the campaign could not send")
    days: list[PreviewDay]
    first_at: str | None
    last_at: str | None
    left_out: dict[str, int] = Field(
        default_factory=dict,
        description="prospects a resume leaves out because of "
        "what they said, per reason: replied, opted_out, suppressed, out_of_office",
    )


class WarmupProgress(Response):
    inbox_id: str = Field(description="the inbox being warmed up")
    ramp_day: int = Field(description="days on which the inbox actually sent before today (a pause never moves it)")
    limit_today: int = Field(description="emails today's ramp day allows, up to the inbox's daily cap")
    sent_today: int = Field(description="emails the inbox sent today (its local day), all campaigns together")
    sent_total: int = Field(description="warm-up emails this campaign has sent")
    queued: int = Field(description="warm-up emails planned and not sent yet")
    pool_size: int = Field(description="the workspace's other inboxes the warm-up writes to")


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
