"""The words of the pause reasons (DESIGN P1), written once: campaigns decides with them, the gateway's API
documents and answers them (the protobuf enum PauseReason carries them between the two)."""

from __future__ import annotations

from typing import Literal, get_args

PauseReason = Literal[
    "manual",
    "linkedin_account_disconnected",
    "linkedin_high_failure_rate",
    "account_restricted",
    "subscription_canceled",
    "email_account_disconnected",
    "email_high_bounce_rate",
]
REASONS: tuple[str, ...] = get_args(PauseReason)
