"""What the scheduler's use cases need of the world outside them, as Protocols and callable types; the gRPC
implementations are in clients.py and are wired in main.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from services.scheduler.domain import AccountFailure, Event, FailureSignal

if TYPE_CHECKING:
    from services.common.providers.smtp import SmtpSettings
    from services.scheduler.providers import SendingAs


class Events(Protocol):
    """Turns scheduler facts into other services' requests (implemented at the gRPC edge)."""

    def failure_rate(self, signal: FailureSignal) -> Event: ...

    def account_failure(self, failure: AccountFailure) -> Event: ...


# Builds the event asking campaigns to put an opted-out prospect on its workspace's suppression list:
# (workspace id, prospect id, source).
SuppressEvent = Callable[[str, str, str], Event]
# (event id, campaign, prospect, its step) -> the event telling campaigns a stopped prospect is back (issue 15).
BackEvent = Callable[[str, str, str, int], Event]
# How the email sender logs in as an inbox (asked of accounts).
Credentials = Callable[[str], Awaitable["SmtpSettings | SendingAs"]]
