"""Campaign and pause-state rules (DESIGN P1-P9). Pure: no I/O."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.common.errors import InvalidArgument
from services.common.pause_reasons import REASONS as REASONS  # every reason, for the rules' tests

# P2: the reason shown when several are active, highest first.
PRECEDENCE = (
    "account_restricted",
    "subscription_canceled",
    "linkedin_account_disconnected",
    "email_account_disconnected",
    "linkedin_high_failure_rate",
    "email_high_bounce_rate",
    "manual",
)
SCOPES = ("campaign", "linkedin", "email")
# P5: which reason a sender's status calls for, and the channel it holds. A sender in any of these states
# is unusable: a campaign with an active step on that channel is never active without that reason.
SENDER_REASONS = {
    ("linkedin_account", "disconnected"): ("linkedin_account_disconnected", "linkedin"),
    ("linkedin_account", "restricted"): ("account_restricted", "linkedin"),
    ("inbox", "disconnected"): ("email_account_disconnected", "email"),
}
KINDS = ("outreach", "warmup")


@dataclass(frozen=True, slots=True)
class ReasonInfo:
    explanation: str
    action: str
    # P7: whether the system clears it by itself once its cause is gone, and when.
    clears_automatically: bool
    # P5: what it holds ("campaign", "linkedin" or "email").
    scope: str = "campaign"
    clears_when: str = "never"


# What the UI shows on hover and what a refused resume tells the user to do. Written for the person
# running the campaign: what happened, and the one thing to do next.
CATALOG: dict[str, ReasonInfo] = {
    "manual": ReasonInfo(
        "Someone in your workspace paused this campaign. It stays paused until someone resumes it.",
        "Click Resume when you want sending to continue.",
        clears_automatically=False,
        scope="campaign",
        clears_when="never: only a member's Resume",
    ),
    "linkedin_account_disconnected": ReasonInfo(
        "The LinkedIn account that sends for this campaign lost its connection (LinkedIn ended the "
        "session, the password changed, or a security check is waiting). LinkedIn steps are held; "
        "nothing is lost.",
        "Reconnect the account on the LinkedIn accounts page; the campaign resumes by itself within seconds.",
        clears_automatically=True,
        scope="linkedin",
        clears_when="the account is connected again (auto-resume within seconds, P9 cool-down aside)",
    ),
    "linkedin_high_failure_rate": ReasonInfo(
        "Too many recent LinkedIn sends from this account failed. Sending on through a streak of "
        "failures is a strong signal for LinkedIn's abuse checks, so LinkedIn steps are held.",
        "Fix the cause (a broken template, missing InMail credits, wrong recipients), then click "
        "Resume. For a while after, a smaller number of failures pauses again.",
        clears_automatically=True,
        scope="linkedin",
        clears_when="the failure rate over its window falls back under the threshold",
    ),
    "account_restricted": ReasonInfo(
        "LinkedIn restricted the sending account (a warning, a temporary jail or a partial "
        "restriction). Sending now would likely make it worse.",
        "Wait until LinkedIn lifts the restriction, then ask your administrator to verify the account. "
        "Resume only works after that verification.",
        clears_automatically=False,
        scope="linkedin",
        clears_when="never: once the restriction is lifted and an administrator verified the account, a member's "
        "Resume",
    ),
    "subscription_canceled": ReasonInfo(
        "The workspace's subscription has lapsed. Every prospect keeps its place, but nothing is sent.",
        "Renew the subscription; campaigns resume by themselves.",
        clears_automatically=True,
        scope="campaign",
        clears_when="the workspace subscribes again",
    ),
    "email_account_disconnected": ReasonInfo(
        "The mailbox that sends for this campaign can no longer log in (its password or app password "
        "changed, or the Google / Microsoft sign-in expired). Email steps are held; nothing is lost.",
        "Reconnect the inbox with its new password or sign in again; the campaign continues exactly where it stopped.",
        clears_automatically=True,
        scope="email",
        clears_when="the inbox is reconnected and a live login succeeds",
    ),
    "email_high_bounce_rate": ReasonInfo(
        "Too many recent emails from this inbox bounced (the addresses do not exist), which hurts the "
        "inbox's sender reputation and can get it blocked. Email steps are held; LinkedIn steps go on, and "
        "prospects whose email bounced get no more emails.",
        "Check the prospect list (verify or remove invalid addresses), then click Resume. It also clears by "
        "itself once the share of bounces over the last days falls back under the limit.",
        clears_automatically=True,
        scope="email",
        clears_when="the bounce share over its window falls back under the limit",
    ),
}


@dataclass(frozen=True, slots=True)
class ReasonView:
    """What the API and the UI say of one active reason, true to the campaign's state now."""

    explanation: str
    action: str
    # P9: when a reason whose cause is gone clears at the end of the cool-down, that instant and why.
    clears_at: datetime | None = None
    cooldown: str = ""


def describe(campaign: Campaign, reason: ActiveReason, *, cooldown: timedelta, now: datetime) -> ReasonView:
    """The catalog's texts, unless the state says otherwise: a reason waiting for its cool-down says so and
    when it ends (not "resumes within seconds"), and a reason that clears by itself says what else holds."""
    info = CATALOG[reason.reason]
    others = sorted(
        {r.reason for r in campaign.reasons if (r.reason, r.subject) != (reason.reason, reason.subject)},
        key=PRECEDENCE.index,
    )
    also = f" The campaign also stays paused for: {', '.join(others)}." if others else ""
    resumed = campaign.last_auto_resumed_at
    if not (reason.clear_pending and resumed):
        return ReasonView(info.explanation, info.action + (also if info.clears_automatically else ""))
    clears_at = max(resumed + cooldown, now)
    minutes = max(1, math.ceil(cooldown.total_seconds() / 60))
    recent = [t for t in reason.recent_adds if t >= resumed - cooldown] or [reason.since]
    span = max(1, math.ceil((now - min(recent)).total_seconds() / 60))
    why = f"the cause appeared {len(recent)} times in {span} minutes"
    explanation = (
        f"The cause is gone now, but {why}, and this campaign resumed by itself at {resumed:%H:%M} UTC. "
        f"To avoid switching on and off, it resumes by itself at most once every {minutes} minutes."
    )
    then = "this reason clears" if others else "the campaign resumes by itself"
    action = f"Nothing to do: {then} at {clears_at:%H:%M} UTC. Click Resume to continue now.{also}"
    return ReasonView(explanation, action, clears_at, why)


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # "member" or "system"
    member_id: str | None = None
    source: str = ""
    event_id: str = ""


@dataclass(frozen=True, slots=True)
class ActiveReason:
    reason: str
    scope: str
    subject: str
    since: datetime
    detail: str
    # P9: its cause is gone but the clear waits for the auto-resume cool-down; then when it was added lately.
    clear_pending: bool = False
    recent_adds: tuple[datetime, ...] = ()


@dataclass(frozen=True, slots=True)
class Schedule:
    days: tuple[str, ...]
    window_start: str  # "HH:MM"
    window_end: str
    timezone: str
    randomize_within_window: bool


@dataclass(frozen=True, slots=True)
class Step:
    index: int
    channel: str  # "linkedin" or "email"
    action: str  # "invite", "message", "inmail" or "email"
    delay_hours: int
    text: str = ""
    subject: str = ""
    body: str = ""

    @property
    def action_type(self) -> str:
        return "email" if self.channel == "email" else f"linkedin_{self.action}"


@dataclass(frozen=True, slots=True)
class Senders:
    linkedin_account_ids: tuple[str, ...] = ()
    inbox_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Campaign:
    id: str
    workspace_id: str
    name: str
    kind: str
    status: str
    paused_reason: str | None
    schedule: Schedule
    created_at: datetime
    updated_at: datetime
    pause_version: int
    reasons: tuple[ActiveReason, ...] = field(default=())
    steps: tuple[Step, ...] = field(default=())
    senders: Senders = field(default_factory=Senders)
    definition_version: int = 1
    last_auto_resumed_at: datetime | None = None
    # V4: a reply stops its author ("prospect") or every prospect of its company ("company").
    stop_on_reply: str = "prospect"
    # Archived: read-only and out of the default list.
    archived_at: datetime | None = None
    # Shown as "completed": started, not paused, and every prospect is done or stopped (derived on reading).
    completed: bool = False

    @property
    def shown_status(self) -> str:
        return "completed" if self.completed and self.status == "active" else self.status

    def uses(self, channel: str) -> bool:
        return any(step.channel == channel for step in self.steps)

    def held_scopes(self) -> list[str]:
        return sorted({r.scope for r in self.reasons})


@dataclass(frozen=True, slots=True)
class ProspectIn:
    linkedin_provider_id: str | None
    linkedin_public_identifier: str | None
    email: str | None
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Prospect:
    id: str
    seq: int
    data: ProspectIn
    created_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: int
    action: str
    reason: str
    scope: str
    actor: Actor
    detail: str
    status_after: str
    at: datetime


def displayed_reason(reasons: list[str] | tuple[str, ...]) -> str | None:
    """P2: the highest-precedence active reason, None when there is none."""
    active = set(reasons)
    return next((r for r in PRECEDENCE if r in active), None)


def status_for(reasons: list[str] | tuple[str, ...]) -> str:
    """P2: paused exactly when at least one reason is active (for a campaign that has started)."""
    return "paused" if reasons else "active"


@dataclass(frozen=True, slots=True)
class Gate:
    """The outcome of checking one reason's gate on resume (P8)."""

    reason: str
    gate: str
    passes: bool
    message: str = ""
    action: str = ""


MAX_STEPS = 50
LINKEDIN_ACTIONS = ("invite", "message", "inmail")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def validate_steps(steps: list[Step]) -> list[Step]:
    """The sequence must make sense before it is stored: each error names its field."""
    if len(steps) > MAX_STEPS:
        raise InvalidArgument(f"at most {MAX_STEPS} steps", field="steps")
    invited = False
    for i, step in enumerate(steps):
        where = f"steps.{i}"
        if step.channel not in ("linkedin", "email"):
            raise InvalidArgument("channel must be linkedin or email", field=f"{where}.channel")
        allowed = LINKEDIN_ACTIONS if step.channel == "linkedin" else ("email",)
        if step.action not in allowed:
            raise InvalidArgument(
                f"a {step.channel} step's action is one of {', '.join(allowed)}", field=f"{where}.action"
            )
        if not 0 <= step.delay_hours <= 366 * 24:
            raise InvalidArgument("delay must be between 0 and 366 days", field=f"{where}.delay")
        if step.action == "invite":
            if invited:
                raise InvalidArgument("a campaign invites a prospect once", field=f"{where}.action")
            invited = True
            if len(step.text) > 300:
                raise InvalidArgument(
                    "LinkedIn allows at most 300 characters in an invitation note", field=f"{where}.text"
                )
        elif step.action in ("message", "inmail"):
            if step.action == "message" and not invited:
                raise InvalidArgument(
                    "a LinkedIn message goes to a connection: put an invite step before it (or use inmail)",
                    field=f"{where}.action",
                )
            if not 1 <= len(step.text.strip()) <= 8000:
                raise InvalidArgument("text must be 1 to 8000 characters", field=f"{where}.text")
        else:
            if not 1 <= len(step.subject.strip()) <= 998:
                raise InvalidArgument("subject must be 1 to 998 characters", field=f"{where}.subject")
            if not 1 <= len(step.body.strip()) <= 100_000:
                raise InvalidArgument("body must be 1 to 100000 characters", field=f"{where}.body")
    return [Step(i, s.channel, s.action, s.delay_hours, s.text, s.subject, s.body) for i, s in enumerate(steps)]


# A warm-up writes its own emails: the scheduler fills these placeholders for each one it queues
# (services/scheduler/warmup.py), so every warm-up email reads differently.
WARMUP_STEP = Step(0, "email", "email", 0, subject="{{warmup_subject}}", body="{{warmup_body}}")


def validate_warmup(steps: list[Step], senders: Senders) -> list[Step]:
    """A warm-up campaign sends from exactly one inbox, to the workspace's other inboxes, with its own emails."""
    if steps:
        raise InvalidArgument("a warm-up campaign writes its own emails: give no steps", field="steps")
    if senders.linkedin_account_ids:
        raise InvalidArgument("a warm-up campaign sends email only", field="senders.linkedin_account_ids")
    if len(senders.inbox_ids) != 1:
        raise InvalidArgument("a warm-up campaign warms exactly one inbox", field="senders.inbox_ids")
    return [WARMUP_STEP]


def validate_senders(steps: list[Step], senders: Senders) -> None:
    for field_name, ids in (("linkedin_account_ids", senders.linkedin_account_ids), ("inbox_ids", senders.inbox_ids)):
        if len(ids) > 20:
            raise InvalidArgument("at most 20 senders of each kind", field=f"senders.{field_name}")
        if len(set(ids)) != len(ids):
            raise InvalidArgument("a sender is listed twice", field=f"senders.{field_name}")
    if any(s.channel == "linkedin" for s in steps) and not senders.linkedin_account_ids:
        raise InvalidArgument("LinkedIn steps need at least one LinkedIn account", field="senders.linkedin_account_ids")
    if any(s.channel == "email" for s in steps) and not senders.inbox_ids:
        raise InvalidArgument("email steps need at least one inbox", field="senders.inbox_ids")


def refusal(prospect: ProspectIn, steps: Sequence[Step]) -> tuple[str, str] | None:
    """Why a prospect cannot join this campaign, or None."""
    return refusal_for(steps)(prospect)


def refusal_for(steps: Sequence[Step]) -> Callable[[ProspectIn], tuple[str, str] | None]:
    """refusal() for many prospects of one campaign: its channels are read once."""
    needs_linkedin = any(s.channel == "linkedin" for s in steps)
    needs_email = any(s.channel == "email" for s in steps)

    def why_not(prospect: ProspectIn) -> tuple[str, str] | None:
        if not (prospect.linkedin_provider_id or prospect.linkedin_public_identifier or prospect.email):
            return "missing_identity", "give linkedin_provider_id, linkedin_public_identifier or email"
        if prospect.email is not None and (len(prospect.email) > 254 or not _EMAIL.match(prospect.email)):
            return "invalid_email", "email is not an email address"
        if needs_linkedin and not (prospect.linkedin_provider_id or prospect.linkedin_public_identifier):
            return (
                "missing_linkedin_identity",
                "the campaign has LinkedIn steps, which need a LinkedIn profile URL, "
                "public identifier or linkedin_provider_id",
            )
        if needs_email and not prospect.email:
            return "missing_email", "the campaign has email steps, which need an email"
        fields = prospect.fields
        if fields and (len(fields) > 50 or any(len(k) > 64 or len(v) > 2000 for k, v in fields.items())):
            return "fields_too_large", "at most 50 fields, keys up to 64 and values up to 2000 characters"
        return None

    return why_not


def started_edit_refusal(before: Campaign, steps: list[Step], senders: Senders) -> tuple[str, str, str] | None:
    """A started campaign's prospects stand at its steps and go out from its senders: an edit keeps the number of
    steps, each one's channel and action, and the senders; delays, texts and the schedule may change.
    Returns (code, message, field) when the edit is refused."""
    if len(steps) != len(before.steps):
        return (
            "steps_locked",
            "a started campaign keeps its number of steps: duplicate it to build another sequence",
            "steps",
        )
    for i, (old, new) in enumerate(zip(before.steps, steps, strict=True)):
        if (old.channel, old.action) != (new.channel, new.action):
            return (
                "steps_locked",
                f"a started campaign keeps each step's channel and action (step {i + 1} is "
                f"a {old.channel} {old.action})",
                f"steps.{i}.action",
            )
    if (sorted(senders.linkedin_account_ids), sorted(senders.inbox_ids)) != (
        sorted(before.senders.linkedin_account_ids),
        sorted(before.senders.inbox_ids),
    ):
        return (
            "senders_locked",
            "a started campaign keeps its senders: each prospect stays with the sender it was given",
            "senders",
        )
    return None


def changed_fields(
    before: Campaign, name: str, schedule: Schedule, steps: list[Step], senders: Senders, stop_on_reply: str
) -> list[str]:
    """What an edit changes, in the API's field names."""
    out = []
    if name != before.name:
        out.append("name")
    if schedule.days != before.schedule.days:
        out.append("schedule.days")
    if (schedule.window_start, schedule.window_end) != (before.schedule.window_start, before.schedule.window_end):
        out.append("schedule.window")
    if schedule.timezone != before.schedule.timezone:
        out.append("schedule.timezone")
    if schedule.randomize_within_window != before.schedule.randomize_within_window:
        out.append("schedule.randomize_within_window")
    if len(steps) != len(before.steps):
        out.append("steps")
    for i, (old, new) in enumerate(zip(before.steps, steps, strict=False)):
        if (old.channel, old.action) != (new.channel, new.action):
            out.append(f"steps.{i}")
            continue
        if old.delay_hours != new.delay_hours:
            out.append(f"steps.{i}.delay")
        if (old.text, old.subject, old.body) != (new.text, new.subject, new.body):
            out.append(f"steps.{i}.text")
    if senders != before.senders:
        out.append("senders")
    if stop_on_reply != before.stop_on_reply:
        out.append("stop_on_reply")
    return out
