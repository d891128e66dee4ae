"""Campaign and pause-state rules (DESIGN P1-P9). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

REASONS = (
    "manual",
    "linkedin_account_disconnected",
    "linkedin_high_failure_rate",
    "account_restricted",
    "subscription_canceled",
    "email_account_disconnected",
    "email_high_bounce_rate",
)
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
KINDS = ("outreach", "warmup")


@dataclass(frozen=True, slots=True)
class ReasonInfo:
    explanation: str
    action: str
    # P7: whether the system clears it by itself once its cause is gone.
    clears_automatically: bool


# What the UI shows on hover and what a refused resume tells the user to do. Written for the person
# running the campaign: what happened, and the one thing to do next.
CATALOG: dict[str, ReasonInfo] = {
    "manual": ReasonInfo(
        "Someone in your workspace paused this campaign. It stays paused until someone resumes it.",
        "Click Resume when you want sending to continue.",
        clears_automatically=False,
    ),
    "linkedin_account_disconnected": ReasonInfo(
        "The LinkedIn account that sends for this campaign lost its connection (LinkedIn ended the "
        "session, the password changed, or a security check is waiting). LinkedIn steps are held; "
        "nothing is lost.",
        "Reconnect the account on the LinkedIn accounts page; the campaign resumes by itself within "
        "seconds.",
        clears_automatically=True,
    ),
    "linkedin_high_failure_rate": ReasonInfo(
        "Too many recent LinkedIn sends from this account failed. Sending on through a streak of "
        "failures is a strong signal for LinkedIn's abuse checks, so LinkedIn steps are held.",
        "Fix the cause (a broken template, missing InMail credits, wrong recipients), then click "
        "Resume. For a while after, a smaller number of failures pauses again.",
        clears_automatically=True,
    ),
    "account_restricted": ReasonInfo(
        "LinkedIn restricted the sending account (a warning, a temporary jail or a partial "
        "restriction). Sending now would likely make it worse.",
        "Wait until LinkedIn lifts the restriction, then ask your administrator to verify the account. "
        "Resume only works after that verification.",
        clears_automatically=False,
    ),
    "subscription_canceled": ReasonInfo(
        "The workspace's subscription has lapsed. Every prospect keeps its place, but nothing is sent.",
        "Renew the subscription; campaigns resume by themselves.",
        clears_automatically=True,
    ),
    "email_account_disconnected": ReasonInfo(
        "The mailbox that sends for this campaign can no longer log in (its password or app password "
        "changed, or the Google / Microsoft sign-in expired). Email steps are held; nothing is lost.",
        "Reconnect the inbox with its new password or sign in again; the campaign continues exactly "
        "where it stopped.",
        clears_automatically=True,
    ),
    "email_high_bounce_rate": ReasonInfo(
        "Too many recent emails from this inbox bounced, which hurts its sender reputation. Email steps "
        "are held.",
        "Clean the prospect list of invalid addresses, then click Resume.",
        clears_automatically=True,
    ),
}


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


@dataclass(frozen=True, slots=True)
class Schedule:
    days: tuple[str, ...]
    window_start: str  # "HH:MM"
    window_end: str
    timezone: str
    randomize_within_window: bool


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
