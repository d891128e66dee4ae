"""Records two services exchange over gRPC, defined once: each side maps them to and from protobuf at its edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Bounce:
    """A hard bounce found in an inbox's delivery report (accounts reads it, the scheduler records it)."""

    # The Message-ID of the email that bounced.
    message_id: str
    # The report's Final-Recipient (or Original-Recipient when it has no Final-Recipient).
    recipient: str
    status: str
    diagnostic: str
    received_at: datetime
    original_recipient: str = ""


@dataclass(frozen=True, slots=True)
class WarmupProgress:
    """Where a warm-up campaign stands (S6): its inbox's ramp day and today's volume (the scheduler counts it,
    campaigns answers with it)."""

    inbox_id: str
    ramp_day: int
    limit_today: int
    sent_today: int
    sent_total: int
    queued: int
    pool_size: int


@dataclass(frozen=True, slots=True)
class ReplyCandidate:
    """A message in an inbox's INBOX that may be a prospect's reply (V2): accounts reads it over IMAP, the
    scheduler matches it to a prospect and classifies it."""

    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    from_address: str
    subject: str
    # What the sender wrote (quoted text cut), at most a few kilobytes.
    text: str
    received_at: datetime
    # The auto-reply headers, lower-cased names (auto-submitted, x-autoreply, x-autorespond, precedence).
    headers: dict[str, str] = field(default_factory=dict)
