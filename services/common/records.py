"""Records two services exchange over gRPC, defined once: each side maps them to and from protobuf at its edge."""

from __future__ import annotations

from dataclasses import dataclass
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
