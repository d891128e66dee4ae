"""Scheduler rules (DESIGN S3-S8). Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from services.common.timemath import Schedule

ACTION_TYPES = ("linkedin_invite", "linkedin_message", "linkedin_inmail", "email")
CHANNEL_OF = {"linkedin_invite": "linkedin", "linkedin_message": "linkedin", "linkedin_inmail": "linkedin",
              "email": "email"}
# Attempts that count against a sender's caps: the provider was asked to act.
COUNTED = ("started", "succeeded", "refused", "reconciled_sent")

# Failure rate (S10). Attempts are outcomes that reached the provider or were refused by it: succeeded,
# refused, and failed transient or unknown. Rate limits and cool-downs are the provider pacing us, and
# disconnected or restricted accounts have reasons of their own: neither counts.
FAILED_OUTCOMES_COUNTED = ("transient", "unknown")
# Refusals decided before any provider call (the prospect lacks an address): they say nothing of the account.
LOCAL_REFUSALS = ("missing_provider_id", "missing_email")
# Refusals that are attempts but not failures: an invitation is already out there.
HARMLESS_REFUSALS = ("errors/already_invited_recently",)
# Senders whose failure rate is watched: the pause reason it feeds is linkedin_high_failure_rate (P1).
FAILURE_RATE_KINDS = ("linkedin_account",)


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
    warmup: bool = False
    # V4: "prospect" (a reply stops its author) or "company" (every prospect of the author's company).
    stop_on_reply: str = "prospect"

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
    # Set when a send failed with an account-level error ("disconnected", "restricted").
    provider_block: str = ""

    @property
    def can_send(self) -> bool:
        return self.status in ("connected", "degraded")

    def ramp_day_on(self, day: date) -> int:
        """S6: the ramp day a send on local `day` counts on: ramp_day counts the sending days before the last one,
        so a later day than the last sending day is the next ramp day (a pause, sending nothing, moves nothing)."""
        last = self.last_sent_local_date
        return self.ramp_day + (1 if last is not None and last < day else 0)  # type: ignore[operator]


_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


def render(template: str, values: dict[str, str]) -> str:
    """Fill {{first_name}}-style placeholders; an unknown one becomes empty rather than leaking braces."""
    return _PLACEHOLDER.sub(lambda m: values.get(m[1], ""), template)


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


# An outbox event: (destination, ordering key, payload).
Event = tuple[str, str, bytes]


class Events(Protocol):
    """Turns scheduler facts into other services' requests (implemented at the gRPC edge)."""

    def failure_rate(self, signal: FailureSignal) -> Event: ...

    def account_failure(self, failure: AccountFailure) -> Event: ...


_RESTRICTION_KIND = re.compile(r"\b(warning|jail|partial)\b", re.IGNORECASE)


def restriction_kind(*texts: str) -> str:
    """A2: the kind of a restriction ("warning", "jail", "partial") when the provider's words name it."""
    for text in texts:
        match = _RESTRICTION_KIND.search(text or "")
        if match:
            return match[1].lower()
    return ""


# V4: addresses at these domains belong to people, not companies: a reply from one stops no colleague.
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.fr", "hotmail.co.uk", "live.com",
    "live.fr", "msn.com", "yahoo.com", "yahoo.fr", "yahoo.co.uk", "yahoo.de", "yahoo.es", "yahoo.it", "ymail.com",
    "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "pm.me", "gmx.de", "gmx.net",
    "gmx.com", "web.de", "t-online.de", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net",
    "libero.it", "virgilio.it", "mail.com", "zoho.com", "yandex.com", "yandex.ru", "mail.ru", "qq.com",
    "163.com", "fastmail.com", "hey.com", "tutanota.com", "seznam.cz", "wp.pl", "o2.pl", "interia.pl",
    "telenet.be", "skynet.be", "ziggo.nl", "kpnmail.nl", "bluewin.ch", "terra.com.br", "uol.com.br", "bol.com.br",
})


def company_domain(email: str | None) -> str | None:
    """V4: the company an address names by its domain, or None for a free-mail (or no) address."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower()
    return None if not domain or domain in FREE_MAIL_DOMAINS else domain
