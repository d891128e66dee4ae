"""What the accounts use cases need from the outside, implemented at the edge (clients.py) and wired in main.py,
so the use cases hold neither protobuf nor network code of their own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from services.accounts.domain import Sender, ServerLogin
from services.accounts.health_domain import HealthEvent
from services.common.providers.unipile import UnipileClient


class SenderStatePayload(Protocol):
    """The outbox payload telling the scheduler a sender's state (a SetSenderStateRequest)."""

    def __call__(self, sender: Sender, *, credentials_renewed: bool = False) -> bytes: ...


# The outbox payload telling campaigns of a health change (an ApplyHealthEventRequest).
HealthEventPayload = Callable[[HealthEvent], bytes]
# Called after each committed write that enqueued an outbox row: it kicks the outbox relay.
Committed = Callable[[], None]
# Checks one server login: raises SmtpError or ImapError (anything with a FailureKind `kind` and a `message`).
LoginCheck = Callable[[ServerLogin, float], Awaitable[None]]


# What the accounts service asks Unipile (an account, its hosted-auth connect and reconnect links): the shared client
# itself, not a Protocol here that repeated its signatures; tests point it at the sandbox's Unipile.
Unipile = UnipileClient


class WebhookPoster(Protocol):
    """Sends one signed webhook (clients.py `HttpWebhookPoster`)."""

    async def resolve(self, host: str) -> list[str]:
        """Every address `host` resolves to (an address resolves to itself); [] when it does not resolve."""
        ...

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> int:
        """The HTTP status of the answer; raises OSError (or a subclass) when no answer came."""
        ...
