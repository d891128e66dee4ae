"""What the accounts use cases need from the outside, implemented at the edge (clients.py) and wired in main.py,
so the use cases hold neither protobuf nor network code of their own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from services.accounts.domain import Sender, ServerLogin
from services.accounts.health_domain import HealthEvent
from services.common.providers.unipile import Account as UnipileAccount


class SenderStatePayload(Protocol):
    """The outbox payload telling the scheduler a sender's state (a SetSenderStateRequest)."""

    def __call__(self, sender: Sender, *, credentials_renewed: bool = False) -> bytes: ...


# The outbox payload telling campaigns of a health change (an ApplyHealthEventRequest).
HealthEventPayload = Callable[[HealthEvent], bytes]
# Called after each committed write that enqueued an outbox row: it kicks the outbox relay.
Committed = Callable[[], None]
# Checks one server login: raises SmtpError or ImapError (anything with a FailureKind `kind` and a `message`).
LoginCheck = Callable[[ServerLogin, float], Awaitable[None]]


class Unipile(Protocol):
    """What the accounts service asks Unipile (services.common.providers.unipile.UnipileClient)."""

    async def get_account(self, account_id: str) -> UnipileAccount: ...

    async def create_reconnect_link(
        self,
        account_id: str,
        expires_on: datetime,
        api_url: str,
        notify_url: str | None = None,
        success_redirect_url: str | None = None,
    ) -> str: ...

    async def create_account_link(
        self,
        expires_on: datetime,
        api_url: str,
        notify_url: str,
        name: str,
        success_redirect_url: str | None = None,
    ) -> str: ...


class WebhookPoster(Protocol):
    """Sends one signed webhook (clients.py `HttpWebhookPoster`)."""

    async def resolve(self, host: str) -> list[str]:
        """Every address `host` resolves to (an address resolves to itself); [] when it does not resolve."""
        ...

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> int:
        """The HTTP status of the answer; raises OSError (or a subclass) when no answer came."""
        ...
