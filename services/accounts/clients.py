"""Outbound adapters of the accounts service: the outbox payloads and deliveries to the scheduler and campaigns,
the Unipile client, and the live SMTP and IMAP login checks. The use cases reach them through ports.py."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
import grpc

from holdfast.campaigns.v1 import campaigns_pb2, campaigns_pb2_grpc
from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from services.accounts.bounces import RECORD_BOUNCES
from services.accounts.config import Settings
from services.accounts.domain import LinkedInAccount, Sender, SendingLimit, ServerLogin
from services.accounts.health_domain import HealthEvent, SenderHealthEvent
from services.accounts.health_events import APPLY_HEALTH_EVENT, SET_SENDER_STATE
from services.accounts.ports import LoginCheck
from services.accounts.replies import RECORD_INBOUND_EMAILS
from services.common.limits import limit_values
from services.common.outbox import Deliver, grpc_destination
from services.common.proto_enums import from_word
from services.common.proto_time import to_timestamp
from services.common.providers import imap as imap_provider
from services.common.providers import smtp as smtp_provider
from services.common.providers.unipile import UnipileClient
from services.common.records import Bounce, ReplyCandidate

SUBSCRIPTION = {
    "active": types_pb2.SUBSCRIPTION_STATUS_ACTIVE,
    "canceled": types_pb2.SUBSCRIPTION_STATUS_CANCELED,
}


def limit_pb(limit: SendingLimit) -> types_pb2.SendingLimit:
    return types_pb2.SendingLimit(action_type=from_word(types_pb2.ActionType, limit.action_type), **limit_values(limit))


def sender_state(sender: Sender, *, credentials_renewed: bool = False) -> bytes:
    """The outbox payload telling the scheduler a sender's state: a SetSenderStateRequest."""
    request = scheduler_pb2.SetSenderStateRequest(
        sender_id=sender.id,
        version=sender.version,
        status=from_word(types_pb2.SenderStatus, sender.status),
        limits=[limit_pb(x) for x in sender.limits],
        timezone=sender.timezone,
        workspace_id=sender.workspace_id,
        credentials_renewed=credentials_renewed,
    )
    if isinstance(sender, LinkedInAccount):
        request.kind = types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT
        request.unipile_account_id = sender.unipile_account_id
    else:
        request.kind = types_pb2.SENDER_KIND_INBOX
        request.email = sender.email
    return request.SerializeToString()


def health_event_pb(event: HealthEvent) -> types_pb2.HealthEvent:
    message = types_pb2.HealthEvent(
        event_id=event.event_id,
        workspace_id=event.workspace_id,
        version=event.version,
        occurred_at=to_timestamp(event.occurred_at),
    )
    if isinstance(event, SenderHealthEvent):
        message.sender.CopyFrom(
            types_pb2.SenderHealth(
                kind=from_word(types_pb2.SenderKind, event.sender_kind),
                sender_id=event.sender_id,
                status=from_word(types_pb2.SenderStatus, event.status),
                restriction_kind=event.restriction_kind or "",
                restriction_verified=event.restriction_verified,
                detail=event.detail,
            )
        )
    else:
        message.subscription.CopyFrom(types_pb2.SubscriptionHealth(status=SUBSCRIPTION[event.status]))
    return message


def health_event_payload(event: HealthEvent) -> bytes:
    """The outbox payload telling campaigns of a health change: an ApplyHealthEventRequest."""
    return campaigns_pb2.ApplyHealthEventRequest(event=health_event_pb(event)).SerializeToString()


def bounces_payload(inbox_id: str, bounces: list[Bounce]) -> bytes:
    """The outbox payload telling the scheduler of an inbox's hard bounces: a RecordBouncesRequest."""
    return scheduler_pb2.RecordBouncesRequest(
        inbox_id=inbox_id,
        bounces=[
            scheduler_pb2.Bounce(
                message_id=b.message_id,
                recipient=b.recipient,
                status=b.status,
                diagnostic=b.diagnostic,
                received_at=to_timestamp(b.received_at),
                original_recipient=b.original_recipient,
            )
            for b in bounces
        ],
    ).SerializeToString()


def inbound_emails_payload(inbox_id: str, messages: list[ReplyCandidate]) -> bytes:
    """The outbox payload handing an inbox's new messages to the scheduler: a RecordInboundEmailsRequest."""
    return scheduler_pb2.RecordInboundEmailsRequest(
        inbox_id=inbox_id,
        emails=[
            scheduler_pb2.InboundEmail(
                message_id=m.message_id,
                in_reply_to=m.in_reply_to,
                references=list(m.references),
                from_address=m.from_address,
                subject=m.subject,
                text=m.text,
                received_at=to_timestamp(m.received_at),
                headers=m.headers,
            )
            for m in messages
        ],
    ).SerializeToString()


def outbox_deliveries(scheduler: grpc.aio.Channel, campaigns: grpc.aio.Channel) -> dict[str, Deliver]:
    """The outbox relay's handler of each destination accounts writes to: each stored payload sent as is (the
    scheduler records each bounce and message once, campaigns is idempotent by event id and version, so a retry
    is harmless; a failure, a payload that cannot be parsed included, leaves the row for one). Without a timeout the
    channel's deadline applies."""
    to_scheduler = scheduler_pb2_grpc.SchedulerServiceStub(scheduler)
    to_campaigns = campaigns_pb2_grpc.CampaignsServiceStub(campaigns)
    return {
        SET_SENDER_STATE: grpc_destination(to_scheduler.SetSenderState, scheduler_pb2.SetSenderStateRequest.FromString),
        RECORD_BOUNCES: grpc_destination(to_scheduler.RecordBounces, scheduler_pb2.RecordBouncesRequest.FromString),
        RECORD_INBOUND_EMAILS: grpc_destination(
            to_scheduler.RecordInboundEmails, scheduler_pb2.RecordInboundEmailsRequest.FromString, timeout=60
        ),
        APPLY_HEALTH_EVENT: grpc_destination(
            to_campaigns.ApplyHealthEvent, campaigns_pb2.ApplyHealthEventRequest.FromString
        ),
    }


async def open_unipile(settings: Settings, stack: AsyncExitStack) -> UnipileClient | None:
    """The Unipile client when HOLDFAST_UNIPILE_DSN is set (its HTTP session closes with the stack), else None."""
    if not settings.unipile_dsn:
        return None
    if not settings.unipile_api_key:
        raise RuntimeError("HOLDFAST_UNIPILE_API_KEY is required when HOLDFAST_UNIPILE_DSN is set")
    http = aiohttp.ClientSession()
    stack.push_async_callback(http.close)
    # Short: a health decision, and the webhook that asked for it, waits for this read.
    return UnipileClient(settings.unipile_dsn, settings.unipile_api_key, http, timeout_s=10.0)


def login_checks(allow_public_plaintext: bool = False) -> dict[str, LoginCheck]:
    """The live login checks of inboxes by server; `allow_public_plaintext`: HOLDFAST_ALLOW_PUBLIC_PLAINTEXT."""

    def check(settings_type: Any, check_login: Callable[[Any, float], Awaitable[None]]) -> LoginCheck:
        """The check of one server: `settings_type` (SmtpSettings, ImapSettings) and its provider's check_login."""

        async def check_server_login(login: ServerLogin, timeout_s: float) -> None:
            settings = settings_type(
                login.host,
                login.port,
                login.security,
                login.username,
                login.password,
                allow_public_plaintext=allow_public_plaintext,
            )
            await check_login(settings, timeout_s)

        return check_server_login

    return {
        "smtp": check(smtp_provider.SmtpSettings, smtp_provider.check_login),
        "imap": check(imap_provider.ImapSettings, imap_provider.check_login),
    }


# The live login checks as the providers' default (plaintext only to loopback and private addresses).
LOGIN_CHECKS = login_checks()


class HttpWebhookPoster:
    """Posts signed webhooks over HTTP(S); follows no redirect (it could lead to a private address)."""

    def __init__(self, session: aiohttp.ClientSession):
        self._session = session

    async def resolve(self, host: str) -> list[str]:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, ValueError):  # no such name, or not one IDNA can encode
            return []
        return sorted({str(info[4][0]) for info in found})

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> int:
        try:
            async with self._session.post(url, data=body, headers=headers, allow_redirects=False) as response:
                await response.read()
                return response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise OSError(str(exc) or type(exc).__name__) from exc


async def open_webhook_poster(settings: Settings, stack: AsyncExitStack) -> HttpWebhookPoster:
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=settings.webhook_timeout_seconds))
    stack.push_async_callback(session.close)
    return HttpWebhookPoster(session)
