"""Scheduler rules (DESIGN S3-S8). Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from services.common.limits import Limits
from services.common.templates import render  # noqa: F401 -- re-exported: the scheduler fills the shared templates
from services.common.timemath import Schedule

ACTION_TYPES = ("linkedin_invite", "linkedin_message", "linkedin_inmail", "email")
CHANNEL_OF = {
    "linkedin_invite": "linkedin",
    "linkedin_message": "linkedin",
    "linkedin_inmail": "linkedin",
    "email": "email",
}
# Attempts that count against a sender's caps: the provider was asked to act.
COUNTED = ("started", "succeeded", "refused", "reconciled_sent")

# Failure rate (S10). Attempts are outcomes that reached the provider or were refused by it: succeeded,
# refused, and failed transient or unknown. Rate limits and cool-downs are the provider pacing us, and
# disconnected or restricted accounts have reasons of their own: neither counts.
FAILED_OUTCOMES_COUNTED = ("transient", "unknown")
# Refusals decided before any provider call (the prospect lacks an address): they say nothing of the account.
NOTE_TOO_LONG = "invite_note_too_long"
LOCAL_REFUSALS = ("missing_provider_id", "missing_email", NOTE_TOO_LONG)
# Refusals that are attempts but not failures of the sender: the recipient's own cool-downs (T3).
HARMLESS_REFUSALS = ("errors/already_invited_recently", "errors/cannot_resend_yet", "errors/cannot_resend_within_24hrs")
# Senders whose failure rate is watched: the pause reason it feeds is linkedin_high_failure_rate (P1).
FAILURE_RATE_KINDS = ("linkedin_account",)


# Used only until a sender's own limits arrive from accounts: the most careful of the defaults.
FALLBACK_LIMITS = Limits(
    daily_cap=10, weekly_cap=50, ramp_start=5, ramp_step=5, pacing_min_seconds=300, pacing_max_seconds=600
)


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
    warmup: bool = False
    # V4: "prospect" (a reply stops its author) or "company" (every prospect of the author's company).
    stop_on_reply: str = "prospect"

    def step(self, index: int) -> Step | None:
        return self.steps[index] if 0 <= index < len(self.steps) else None


# Invite usage (%) the provider reported -> the share of the invite cap still used (95 % and over: none).
USAGE_SLOWDOWN = ((95, 0.0), (90, 0.25), (75, 0.5), (50, 0.75))
USAGE_TRUSTED = timedelta(days=7)


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
    # Set when a send failed with an account-level error ("disconnected", "restricted"), or the provider asked
    # this sender to wait ("cooldown:<error type>", "rate_limited:<error type>").
    provider_block: str = ""
    # T3: the share (%) of LinkedIn's invitation limit the provider last said this sender used, and when.
    invite_usage: int | None = None
    invite_usage_at: datetime | None = None
    # The version of the sender's state (accounts' version, from SetSenderState) when it was read.
    version: int = 0

    def invite_cap(self, cap: int, now: datetime) -> int:
        """The invitation cap once the provider's own usage figure is heeded: a sender near LinkedIn's limit
        slows down before LinkedIn stops it. A figure is trusted for a week (LinkedIn's limit is weekly)."""
        if self.invite_usage is None or self.invite_usage_at is None or now - self.invite_usage_at > USAGE_TRUSTED:
            return cap
        for threshold, share in USAGE_SLOWDOWN:
            if self.invite_usage >= threshold:
                return int(cap * share)
        return cap

    @property
    def can_send(self) -> bool:
        return self.status in ("connected", "degraded")

    def ramp_day_on(self, day: date) -> int:
        """S6: the ramp day a send on local `day` counts on: ramp_day counts the sending days before the last one,
        so a later day than the last sending day is the next ramp day (a pause, sending nothing, moves nothing)."""
        last = self.last_sent_local_date
        return self.ramp_day + (1 if last is not None and last < day else 0)  # type: ignore[operator]


def template_values(plan: object) -> dict[str, str]:
    """The values a prospect's templates are filled with."""
    p: Any = plan  # a plan row or a prospect: anything with these attributes
    return {"first_name": p.first_name, "last_name": p.last_name, "company": p.company, **p.fields}


def hold_blocks(held_scopes: list[str] | tuple[str, ...], channel: str) -> bool:
    return "campaign" in held_scopes or channel in held_scopes


@dataclass(frozen=True, slots=True)
class FailurePolicy:
    """S10/P7: a sender is above when, over the sliding window, failures / attempts exceeds the threshold
    with at least the minimum sample (a smaller one while on probation)."""

    window_seconds: float = 6 * 3600.0
    threshold: float = 0.5
    min_sample: int = 10
    probation_sample: int = 3

    def judge(self, attempts: int, failures: int, on_probation: bool) -> tuple[bool, float]:
        """(above, rate); a sample too small is never above."""
        rate = failures / attempts if attempts else 0.0
        needed = self.probation_sample if on_probation else self.min_sample
        return attempts >= max(needed, 1) and rate > self.threshold, rate


@dataclass(frozen=True, slots=True)
class FailureSignal:
    """A sender crossed the failure-rate threshold (above) or came back under it (or its sample got too small)."""

    event_id: str
    sender_kind: str
    sender_id: str
    above: bool
    rate: float
    sample: int
    window_end: datetime


@dataclass(frozen=True, slots=True)
class AccountFailure:
    """A provider said the account cannot send (disconnected or restricted), seen by one attempt."""

    sender_kind: str
    sender_id: str
    status: str  # "disconnected" or "restricted"
    restriction_kind: str
    detail: str
    attempt_id: str
    # An inbox whose mail server refused the inbox itself (its sender address, relaying: T3, T5) though its login
    # works: accounts records it at once, since no login probe can see it.
    sender_refused: bool = False
    # The sender's state version the attempt was sent with: accounts ignores a refusal of replaced credentials.
    sender_version: int = 0


# An outbox event: (destination, ordering key, payload).
Event = tuple[str, str, bytes]


_RESTRICTION_KIND = re.compile(r"\b(warning|jail|partial)\b", re.IGNORECASE)


def restriction_kind(*texts: str) -> str:
    """A2: the kind of a restriction ("warning", "jail", "partial") when the provider's words name it."""
    for text in texts:
        match = _RESTRICTION_KIND.search(text or "")
        if match:
            return match[1].lower()
    return ""


# V4: addresses at these domains belong to people, not companies: a reply from one stops no colleague.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.fr",
        "hotmail.co.uk",
        "live.com",
        "live.fr",
        "msn.com",
        "yahoo.com",
        "yahoo.fr",
        "yahoo.co.uk",
        "yahoo.de",
        "yahoo.es",
        "yahoo.it",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "web.de",
        "t-online.de",
        "orange.fr",
        "wanadoo.fr",
        "free.fr",
        "sfr.fr",
        "laposte.net",
        "libero.it",
        "virgilio.it",
        "mail.com",
        "zoho.com",
        "yandex.com",
        "yandex.ru",
        "mail.ru",
        "qq.com",
        "163.com",
        "fastmail.com",
        "hey.com",
        "tutanota.com",
        "seznam.cz",
        "wp.pl",
        "o2.pl",
        "interia.pl",
        "telenet.be",
        "skynet.be",
        "ziggo.nl",
        "kpnmail.nl",
        "bluewin.ch",
        "terra.com.br",
        "uol.com.br",
        "bol.com.br",
    }
)


def company_domain(email: str | None) -> str | None:
    """V4: the company an address names by its domain, or None for a free-mail (or no) address."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower()
    return None if not domain or domain in FREE_MAIL_DOMAINS else domain
