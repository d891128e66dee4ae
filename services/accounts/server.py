"""gRPC edge of the accounts service: protobuf <-> domain, nothing else."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import grpc
import structlog
from google.protobuf.message import DecodeError

from holdfast.accounts.v1 import accounts_pb2 as pb
from holdfast.accounts.v1 import accounts_pb2_grpc as pb_grpc
from holdfast.campaigns.v1 import campaigns_pb2, campaigns_pb2_grpc
from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from services.accounts import oauth
from services.accounts.bounces import RECORD_BOUNCES, BouncePoller, FoundBounce
from services.accounts.config import Settings
from services.accounts.domain import (
    HealthChange,
    HealthEvent,
    Inbox,
    LinkedInAccount,
    Sender,
    SenderHealthEvent,
    SendingLimit,
    ServerConfig,
    ServerLogin,
    Workspace,
)
from services.accounts.oauth import providers_from
from services.accounts.repository import SCHEMA, Repository
from services.accounts.service import APPLY_HEALTH_EVENT, SET_SENDER_STATE, AccountsService, InboxHealthSettings
from services.common.clock import Clock, SystemClock
from services.common.db import create_pool
from services.common.errors import DomainError, FailedPrecondition
from services.common.grpc_client import open_channel
from services.common.grpc_server import Registration, RunningServer, start_server
from services.common.outbox import Relay
from services.common.proto_enums import from_word, to_word
from services.common.proto_time import from_timestamp, to_timestamp
from services.common.providers.unipile import UnipileClient
from services.common.service_main import prepare_schema

log = structlog.get_logger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
_SUBSCRIPTION = {
    "active": types_pb2.SUBSCRIPTION_STATUS_ACTIVE,
    "canceled": types_pb2.SUBSCRIPTION_STATUS_CANCELED,
}


def _workspace(w: Workspace) -> pb.Workspace:
    return pb.Workspace(
        id=w.id,
        name=w.name,
        subscription_status=_SUBSCRIPTION[w.subscription_status],
        created_at=to_timestamp(w.created_at),
    )


def _word(enum_type: Any, value: int) -> str:
    """The word of an enum value; "" for UNSPECIFIED or a number this build does not know."""
    try:
        return to_word(enum_type, value) or ""
    except ValueError:
        return ""


def limit_pb(limit: SendingLimit) -> types_pb2.SendingLimit:
    return types_pb2.SendingLimit(
        action_type=from_word(types_pb2.ActionType, limit.action_type),
        daily_cap=limit.daily_cap,
        weekly_cap=limit.weekly_cap,
        ramp_start=limit.ramp_start,
        ramp_step=limit.ramp_step,
        pacing_min_seconds=limit.pacing_min_seconds,
        pacing_max_seconds=limit.pacing_max_seconds,
    )


def limits_from_pb(limits: Any) -> list[SendingLimit]:
    return [
        SendingLimit(
            action_type=_word(types_pb2.ActionType, x.action_type),
            daily_cap=x.daily_cap,
            weekly_cap=x.weekly_cap,
            ramp_start=x.ramp_start,
            ramp_step=x.ramp_step,
            pacing_min_seconds=x.pacing_min_seconds,
            pacing_max_seconds=x.pacing_max_seconds,
        )
        for x in limits
    ]


def linkedin_account_pb(a: LinkedInAccount) -> pb.LinkedInAccount:
    return pb.LinkedInAccount(
        id=a.id,
        workspace_id=a.workspace_id,
        unipile_account_id=a.unipile_account_id,
        name=a.name,
        status=from_word(types_pb2.SenderStatus, a.status),
        status_since=to_timestamp(a.status_since),
        status_detail=a.status_detail,
        restriction_kind=a.restriction_kind or "",
        restriction_verified=a.restriction_verified,
        limits=[limit_pb(x) for x in a.limits],
        history=history_pb(a.history),
        created_at=to_timestamp(a.created_at),
        timezone=a.timezone,
    )


def history_pb(history: Sequence[HealthChange]) -> list[pb.HealthChange]:
    return [pb.HealthChange(status=from_word(types_pb2.SenderStatus, h.status), detail=h.detail,
                            at=to_timestamp(h.at), source=h.source) for h in history]


def _server_pb(config: ServerConfig | None) -> pb.ServerSettings | None:
    if config is None:
        return None
    # The password is write-only: it is never set on a response.
    return pb.ServerSettings(host=config.host, port=config.port, security=config.security, username=config.username)


def inbox_pb(i: Inbox) -> pb.Inbox:
    return pb.Inbox(
        id=i.id,
        workspace_id=i.workspace_id,
        email=i.email,
        auth_kind=from_word(pb.InboxAuthKind, i.auth_kind),
        smtp=_server_pb(i.smtp),
        imap=_server_pb(i.imap),
        status=from_word(types_pb2.SenderStatus, i.status),
        status_since=to_timestamp(i.status_since),
        status_detail=i.status_detail,
        limits=[limit_pb(x) for x in i.limits],
        history=history_pb(i.history),
        created_at=to_timestamp(i.created_at),
        timezone=i.timezone,
        display_name=i.display_name,
    )


def _login(request: Any, name: str) -> ServerLogin | None:
    if not request.HasField(name):
        return None
    s = getattr(request, name)
    return ServerLogin(host=s.host, port=s.port, security=s.security, username=s.username, password=s.password)


def sender_state(sender: Sender) -> bytes:
    """The outbox payload telling the scheduler a sender's state: a SetSenderStateRequest."""
    request = scheduler_pb2.SetSenderStateRequest(
        sender_id=sender.id,
        version=sender.version,
        status=from_word(types_pb2.SenderStatus, sender.status),
        limits=[limit_pb(x) for x in sender.limits],
        timezone=sender.timezone,
        workspace_id=sender.workspace_id,
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
        message.subscription.CopyFrom(types_pb2.SubscriptionHealth(status=_SUBSCRIPTION[event.status]))
    return message


def health_event_payload(event: HealthEvent) -> bytes:
    """The outbox payload telling campaigns of a health change: an ApplyHealthEventRequest."""
    return campaigns_pb2.ApplyHealthEventRequest(event=health_event_pb(event)).SerializeToString()


def _actor(actor: types_pb2.Actor) -> str:
    if actor.kind == types_pb2.ACTOR_KIND_MEMBER:
        return f"member:{actor.member_id}"
    return ":".join(part for part in (actor.source, actor.event_id) if part)


class AccountsServicer(pb_grpc.AccountsServiceServicer):
    def __init__(self, service: AccountsService):
        self._service = service

    async def CreateWorkspace(
        self, request: pb.CreateWorkspaceRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateWorkspaceResponse:
        workspace, member_id, token = await self._service.create_workspace(request.name, request.owner_email)
        return pb.CreateWorkspaceResponse(workspace=_workspace(workspace), owner_member_id=member_id, token=token)

    async def Authenticate(
        self, request: pb.AuthenticateRequest, context: grpc.aio.ServicerContext
    ) -> pb.AuthenticateResponse:
        principal = await self._service.authenticate(request.token)
        return pb.AuthenticateResponse(workspace_id=principal.workspace_id, member_id=principal.member_id)

    async def GetWorkspace(
        self, request: pb.GetWorkspaceRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetWorkspaceResponse:
        return pb.GetWorkspaceResponse(workspace=_workspace(await self._service.get_workspace(request.workspace_id)))

    async def CreateLinkedInAccount(
        self, request: pb.CreateLinkedInAccountRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateLinkedInAccountResponse:
        account = await self._service.create_linkedin_account(
            request.workspace_id,
            request.unipile_account_id,
            request.name,
            request.timezone,
            limits_from_pb(request.limits),
        )
        return pb.CreateLinkedInAccountResponse(account=linkedin_account_pb(account))

    async def ListLinkedInAccounts(
        self, request: pb.ListLinkedInAccountsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListLinkedInAccountsResponse:
        accounts = await self._service.list_linkedin_accounts(request.workspace_id)
        return pb.ListLinkedInAccountsResponse(accounts=[linkedin_account_pb(a) for a in accounts])

    async def GetLinkedInAccount(
        self, request: pb.GetLinkedInAccountRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetLinkedInAccountResponse:
        account = await self._service.get_linkedin_account(request.workspace_id, request.account_id)
        return pb.GetLinkedInAccountResponse(account=linkedin_account_pb(account))

    async def CreateInbox(
        self, request: pb.CreateInboxRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateInboxResponse:
        inbox = await self._service.create_inbox(
            request.workspace_id,
            request.email,
            request.display_name,
            request.timezone,
            _word(pb.InboxAuthKind, request.auth_kind) if request.auth_kind else "",
            _login(request, "smtp"),
            _login(request, "imap"),
            limits_from_pb(request.limits),
        )
        return pb.CreateInboxResponse(inbox=inbox_pb(inbox))

    async def ListInboxes(
        self, request: pb.ListInboxesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListInboxesResponse:
        inboxes = await self._service.list_inboxes(request.workspace_id)
        return pb.ListInboxesResponse(inboxes=[inbox_pb(i) for i in inboxes])

    async def GetInbox(self, request: pb.GetInboxRequest, context: grpc.aio.ServicerContext) -> pb.GetInboxResponse:
        return pb.GetInboxResponse(
            inbox=inbox_pb(await self._service.get_inbox(request.workspace_id, request.inbox_id))
        )

    async def UpdateInboxCredentials(
        self, request: pb.UpdateInboxCredentialsRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateInboxCredentialsResponse:
        inbox = await self._service.update_inbox_credentials(
            request.workspace_id,
            request.inbox_id,
            _login(request, "smtp"),
            _login(request, "imap"),
            _actor(request.actor),
        )
        return pb.UpdateInboxCredentialsResponse(inbox=inbox_pb(inbox))

    async def StartInboxOAuth(
        self, request: pb.StartInboxOAuthRequest, context: grpc.aio.ServicerContext
    ) -> pb.StartInboxOAuthResponse:
        kind = _word(pb.InboxAuthKind, request.provider)
        url = await self._service.start_inbox_oauth(
            request.workspace_id, request.inbox_id, oauth.PROVIDER_OF.get(kind, kind), request.redirect_uri
        )
        return pb.StartInboxOAuthResponse(url=url)

    async def CompleteInboxOAuth(
        self, request: pb.CompleteInboxOAuthRequest, context: grpc.aio.ServicerContext
    ) -> pb.CompleteInboxOAuthResponse:
        inbox = await self._service.complete_inbox_oauth(request.state, request.code)
        return pb.CompleteInboxOAuthResponse(inbox=inbox_pb(inbox))

    async def UpdateSendingLimits(
        self, request: pb.UpdateSendingLimitsRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateSendingLimitsResponse:
        limits = await self._service.update_limits(
            request.workspace_id,
            _word(types_pb2.SenderKind, request.sender_kind),
            request.sender_id,
            limits_from_pb(request.limits),
        )
        return pb.UpdateSendingLimitsResponse(limits=[limit_pb(x) for x in limits])

    async def GetSenderCredentials(
        self, request: pb.GetSenderCredentialsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetSenderCredentialsResponse:
        found = await self._service.sender_credentials(
            _word(types_pb2.SenderKind, request.sender_kind), request.sender_id
        )
        reply = pb.GetSenderCredentialsResponse(
            email=found.email, display_name=found.display_name, unipile_account_id=found.unipile_account_id
        )
        if found.smtp is not None:
            s = found.smtp
            reply.smtp.CopyFrom(
                pb.ServerSettings(
                    host=s.host, port=s.port, security=s.security, username=s.username, password=s.password
                )
            )
        if isinstance(found, oauth.OAuthSenderCredentials):
            reply.oauth_access_token = found.access_token
        return reply

    # Health (DESIGN A1-A3, A6)

    async def HandleAccountStatusWebhook(
        self, request: pb.HandleAccountStatusWebhookRequest, context: grpc.aio.ServicerContext
    ) -> pb.HandleAccountStatusWebhookResponse:
        changed = await self._service.handle_account_status_webhook(request.unipile_account_id, request.message)
        return pb.HandleAccountStatusWebhookResponse(changed=changed)

    async def ReportAccountFailure(
        self, request: pb.ReportAccountFailureRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReportAccountFailureResponse:
        changed = await self._service.report_account_failure(
            _word(types_pb2.SenderKind, request.sender_kind),
            request.sender_id,
            _word(types_pb2.SenderStatus, request.status),
            request.restriction_kind,
            request.detail,
            request.attempt_id,
        )
        return pb.ReportAccountFailureResponse(changed=changed)

    async def RecordRestriction(
        self, request: pb.RecordRestrictionRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordRestrictionResponse:
        account = await self._service.record_restriction(
            request.workspace_id, request.account_id, request.kind, request.detail, _actor(request.actor)
        )
        return pb.RecordRestrictionResponse(account=linkedin_account_pb(account))

    async def VerifyLinkedInAccount(
        self, request: pb.VerifyLinkedInAccountRequest, context: grpc.aio.ServicerContext
    ) -> pb.VerifyLinkedInAccountResponse:
        account = await self._service.verify_linkedin_account(
            request.workspace_id, request.account_id, _actor(request.actor)
        )
        return pb.VerifyLinkedInAccountResponse(account=linkedin_account_pb(account))

    async def CreateReconnectLink(
        self, request: pb.CreateReconnectLinkRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateReconnectLinkResponse:
        link = await self._service.create_reconnect_link(request.workspace_id, request.account_id)
        return pb.CreateReconnectLinkResponse(url=link.url, expires_at=to_timestamp(link.expires_at))

    async def ApplyBillingEvent(
        self, request: pb.ApplyBillingEventRequest, context: grpc.aio.ServicerContext
    ) -> pb.ApplyBillingEventResponse:
        applied = await self._service.apply_billing_event(
            request.event_id,
            request.type,
            request.workspace_id,
            from_timestamp(request.occurred_at) if request.HasField("occurred_at") else None,
        )
        return pb.ApplyBillingEventResponse(applied=applied)

    async def ListHealthEvents(
        self, request: pb.ListHealthEventsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListHealthEventsResponse:
        events, last = await self._service.list_health_events(request.after_sequence, request.limit)
        return pb.ListHealthEventsResponse(events=[health_event_pb(e) for e in events], last_sequence=last)


def scheduler_delivery(stub: scheduler_pb2_grpc.SchedulerServiceStub) -> Any:
    """The outbox handler of SET_SENDER_STATE: the stored payload, sent to the scheduler as is."""

    async def deliver(payload: bytes) -> None:
        try:
            request = scheduler_pb2.SetSenderStateRequest.FromString(payload)
        except DecodeError:
            raise DomainError("the outbox payload is not a SetSenderStateRequest") from None
        await stub.SetSenderState(request)  # the channel's interceptor sets the deadline

    return deliver


def bounces_payload(inbox_id: str, bounces: list[FoundBounce]) -> bytes:
    """The outbox payload telling the scheduler of an inbox's hard bounces: a RecordBouncesRequest."""
    return scheduler_pb2.RecordBouncesRequest(inbox_id=inbox_id, bounces=[scheduler_pb2.Bounce(
        message_id=b.message_id, recipient=b.recipient, status=b.status, diagnostic=b.diagnostic,
        received_at=to_timestamp(b.received_at)) for b in bounces]).SerializeToString()


def bounces_delivery(stub: scheduler_pb2_grpc.SchedulerServiceStub) -> Any:
    """The outbox handler of RECORD_BOUNCES; the scheduler records each bounce once, so a retry is harmless."""

    async def deliver(payload: bytes) -> None:
        try:
            request = scheduler_pb2.RecordBouncesRequest.FromString(payload)
        except DecodeError:
            raise DomainError("the outbox payload is not a RecordBouncesRequest") from None
        await stub.RecordBounces(request)

    return deliver


def build_bounce_poller(settings: Settings, pool: asyncpg.Pool, clock: Clock, *,
                        committed: Callable[[], None] = lambda: None,
                        service: AccountsService | None = None) -> BouncePoller:
    """The bounce poller wired as the server runs it (tests build another one, like another replica). OAuth inboxes
    are read with the access token their sends use: `service`'s cached one, refreshed by the same path."""
    service = service or build_service(settings, pool, clock, unipile=None)

    async def access_token(inbox_id: str) -> str:
        credentials = await service.sender_credentials("inbox", inbox_id)
        if not isinstance(credentials, oauth.OAuthSenderCredentials):
            raise FailedPrecondition("this inbox is no longer connected with OAuth", code="no_credentials")
        return credentials.access_token

    oauth_imap = {}
    for provider, auth_kind in oauth.AUTH_KINDS.items():
        host, _, port = getattr(settings, f"{provider}_imap").rpartition(":")
        oauth_imap[auth_kind] = (host, int(port), getattr(settings, f"{provider}_imap_security"))
    return BouncePoller(Repository(pool), clock, keyring=settings.secret_keys, payload=bounces_payload,
                        committed=committed, interval=timedelta(seconds=settings.bounce_poll_seconds),
                        login_timeout_s=settings.inbox_login_timeout_seconds, oauth_imap=oauth_imap,
                        access_token=access_token)


def campaigns_delivery(stub: campaigns_pb2_grpc.CampaignsServiceStub) -> Any:
    """The outbox handler of APPLY_HEALTH_EVENT: the stored payload, sent to campaigns as is. A failure (campaigns
    down, or UNIMPLEMENTED) leaves the row for a retry; campaigns is idempotent by event id and version."""

    async def deliver(payload: bytes) -> None:
        try:
            request = campaigns_pb2.ApplyHealthEventRequest.FromString(payload)
        except DecodeError:
            raise DomainError("the outbox payload is not an ApplyHealthEventRequest") from None
        await stub.ApplyHealthEvent(request)

    return deliver


def build_service(
    settings: Settings,
    pool: asyncpg.Pool,
    clock: Clock,
    *,
    unipile: UnipileClient | None,
    committed: Callable[[], None] = lambda: None,
) -> AccountsService:
    """The accounts use cases wired as the server runs them (tests build a second one, like another replica)."""
    return AccountsService(
        Repository(pool),
        clock,
        keyring=settings.secret_keys,
        sender_state=sender_state,
        committed=committed,
        health_event=health_event_payload,
        unipile=unipile,
        unipile_api_url=settings.unipile_dsn,
        grace=settings.grace,
        public_url=settings.public_url,
        inbox_health=inbox_health_settings(settings),
        oauth=providers_from(settings),
    )


def inbox_health_settings(settings: Settings) -> InboxHealthSettings:
    return InboxHealthSettings(
        probe_interval=timedelta(seconds=settings.inbox_probe_seconds),
        auth_failures=settings.inbox_auth_failures,
        network_grace=timedelta(seconds=settings.inbox_network_grace_seconds),
        login_timeout_s=settings.inbox_login_timeout_seconds,
    )


def probe_loop_interval_seconds(settings: Settings) -> float:
    """How often inboxes due for a login probe are looked for: a tenth of the probe interval, at most 30 s."""
    return min(settings.inbox_probe_seconds / 10, 30.0)


def grace_interval_seconds(settings: Settings) -> float:
    """How often degraded accounts past their grace period are looked for: a quarter of it, at most a minute."""
    return min(settings.account_grace_seconds / 4, 60.0)


async def _every(name: str, interval_s: float, step: Callable[[], Awaitable[int]]) -> None:
    """Run `step` forever, at once again while it finds work, else after `interval_s`; errors are logged."""
    while True:
        done = 0
        try:
            done = await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background step failed", loop=name)
        if not done:
            await asyncio.sleep(interval_s)


PROBE_BATCH = 50


async def _probe_every(interval_s: float, service: AccountsService) -> None:
    """Probe the inboxes due, first after `interval_s`, then every `interval_s` (at once again only while whole
    batches are due): each login takes a while, and probe times are spread by their own jitter."""
    while True:
        await asyncio.sleep(interval_s)
        while True:
            probed = 0
            try:
                probed = await service.probe_inboxes_once(PROBE_BATCH)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background step failed", loop="inbox-probe")
            if probed < PROBE_BATCH:
                break


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def start(settings: Settings, stack: AsyncExitStack, clock: Clock | None = None) -> RunningServer:
    pool = await create_pool(
        settings.database_url,
        application_name="holdfast-accounts",
        max_size=settings.db_pool_max,
        wait_seconds=settings.db_wait_seconds,
    )
    stack.push_async_callback(pool.close)
    await prepare_schema(pool, SCHEMA, MIGRATIONS, apply=settings.migrate_on_start)
    # Sender state reaches the scheduler, and health changes reach campaigns, through the outbox. The stack
    # unwinds last-in first-out: the server stops first, then the grace loop, the relay, the Unipile session,
    # the channels, then the pool.
    channel = open_channel(settings.scheduler_target, default_timeout=settings.rpc_timeout_seconds)
    stack.push_async_callback(channel.close)
    campaigns_channel = open_channel(settings.campaigns_target, default_timeout=settings.rpc_timeout_seconds)
    stack.push_async_callback(campaigns_channel.close)
    unipile: UnipileClient | None = None
    if settings.unipile_dsn:
        if not settings.unipile_api_key:
            raise RuntimeError("HOLDFAST_UNIPILE_API_KEY is required when HOLDFAST_UNIPILE_DSN is set")
        http = aiohttp.ClientSession()
        stack.push_async_callback(http.close)
        # Short: a health decision waits for this read while it holds the account's row lock.
        unipile = UnipileClient(settings.unipile_dsn, settings.unipile_api_key, http, timeout_s=10.0)
    relay = Relay(
        pool,
        SCHEMA,
        {
            SET_SENDER_STATE: scheduler_delivery(scheduler_pb2_grpc.SchedulerServiceStub(channel)),
            RECORD_BOUNCES: bounces_delivery(scheduler_pb2_grpc.SchedulerServiceStub(channel)),
            APPLY_HEALTH_EVENT: campaigns_delivery(campaigns_pb2_grpc.CampaignsServiceStub(campaigns_channel)),
        },
    )
    await relay.start()
    stack.push_async_callback(relay.stop)
    service = build_service(settings, pool, clock or SystemClock(), unipile=unipile, committed=relay.kick)
    grace_loop = asyncio.create_task(
        _every("grace", grace_interval_seconds(settings), service.expire_grace_once), name="accounts-grace"
    )
    stack.push_async_callback(_cancel, grace_loop)
    if settings.inbox_probes_enabled:
        probe_loop = asyncio.create_task(
            _probe_every(probe_loop_interval_seconds(settings), service), name="accounts-inbox-probe"
        )
        stack.push_async_callback(_cancel, probe_loop)
    if settings.bounce_polls_enabled:
        poller = build_bounce_poller(settings, pool, clock or SystemClock(), committed=relay.kick, service=service)
        bounce_loop = asyncio.create_task(
            _every("bounce-poll", min(settings.bounce_poll_seconds / 10, 30.0), poller.poll_once),
            name="accounts-bounce-poll",
        )
        stack.push_async_callback(_cancel, bounce_loop)
    servicer = AccountsServicer(service)
    running = await start_server(
        settings.grpc_listen,
        [
            Registration(
                pb.DESCRIPTOR.services_by_name["AccountsService"].full_name,
                lambda server: pb_grpc.add_AccountsServiceServicer_to_server(servicer, server),
            )
        ],
    )
    stack.push_async_callback(running.stop, settings.shutdown_grace_seconds)
    return running
