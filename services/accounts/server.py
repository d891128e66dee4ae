"""gRPC edge of the accounts service: the servicer and its protobuf <-> domain mapping, nothing else. Outbound
clients are in clients.py, the wiring and background loops in main.py."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc

from holdfast.accounts.v1 import accounts_pb2 as pb
from holdfast.accounts.v1 import accounts_pb2_grpc as pb_grpc
from holdfast.common.v1 import types_pb2
from services.accounts import oauth
from services.accounts.audit_server import AuditRpcs
from services.accounts.clients import SUBSCRIPTION, health_event_pb, limit_pb
from services.accounts.domain import (
    HistoryEntry,
    Inbox,
    LinkedInAccount,
    SendingLimit,
    ServerConfig,
    ServerLogin,
    Workspace,
)
from services.accounts.members_server import MembersRpcs
from services.accounts.service import AccountsService
from services.accounts.sign_in_server import SignInRpcs
from services.accounts.webhooks_server import WebhooksRpcs
from services.common.grpc_server import Registration
from services.common.limits import limit_values
from services.common.proto_enums import from_word, to_word
from services.common.proto_time import from_timestamp, to_timestamp


def _workspace(w: Workspace) -> pb.Workspace:
    return pb.Workspace(
        id=w.id,
        name=w.name,
        subscription_status=SUBSCRIPTION[w.subscription_status],
        created_at=to_timestamp(w.created_at),
    )


def _word(enum_type: Any, value: int) -> str:
    """The word of an enum value; "" for UNSPECIFIED or a number this build does not know."""
    try:
        return to_word(enum_type, value) or ""
    except ValueError:
        return ""


def limits_from_pb(limits: Any) -> list[SendingLimit]:
    return [SendingLimit(action_type=_word(types_pb2.ActionType, x.action_type), **limit_values(x)) for x in limits]


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


def history_pb(history: Sequence[HistoryEntry]) -> list[pb.HealthChange]:
    return [
        pb.HealthChange(
            status=from_word(types_pb2.SenderStatus, h.status), detail=h.detail, at=to_timestamp(h.at), source=h.source
        )
        for h in history
    ]


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
        bounce_poll_error=i.bounce_poll_error,
        next_probe_at=to_timestamp(i.next_probe_at) if i.next_probe_at is not None else None,
    )


def _login(request: Any, name: str) -> ServerLogin | None:
    if not request.HasField(name):
        return None
    s = getattr(request, name)
    return ServerLogin(host=s.host, port=s.port, security=s.security, username=s.username, password=s.password)


def _actor(actor: types_pb2.Actor) -> str:
    if actor.kind == types_pb2.ACTOR_KIND_MEMBER:
        return f"member:{actor.member_id}"
    return ":".join(part for part in (actor.source, actor.event_id) if part)


class AccountsServicer(MembersRpcs, WebhooksRpcs, AuditRpcs, SignInRpcs, pb_grpc.AccountsServiceServicer):
    def __init__(self, service: AccountsService):
        self._service = service

    async def CreateWorkspace(
        self, request: pb.CreateWorkspaceRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateWorkspaceResponse:
        workspace, member_id, token = await self._service.workspaces.create_workspace(request.name, request.owner_email)
        return pb.CreateWorkspaceResponse(workspace=_workspace(workspace), owner_member_id=member_id, token=token)

    async def Authenticate(
        self, request: pb.AuthenticateRequest, context: grpc.aio.ServicerContext
    ) -> pb.AuthenticateResponse:
        principal = await self._service.workspaces.authenticate(request.token)
        return pb.AuthenticateResponse(
            workspace_id=principal.workspace_id,
            member_id=principal.member_id,
            role=principal.role,
            scopes=principal.scopes,
            token_id=principal.token_id,
        )

    async def GetWorkspace(
        self, request: pb.GetWorkspaceRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetWorkspaceResponse:
        workspace = await self._service.workspaces.get_workspace(request.workspace_id)
        return pb.GetWorkspaceResponse(workspace=_workspace(workspace))

    async def CreateLinkedInAccount(
        self, request: pb.CreateLinkedInAccountRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateLinkedInAccountResponse:
        account = await self._service.linkedin.create_linkedin_account(
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
        accounts = await self._service.linkedin.list_linkedin_accounts(request.workspace_id)
        return pb.ListLinkedInAccountsResponse(accounts=[linkedin_account_pb(a) for a in accounts])

    async def GetLinkedInAccount(
        self, request: pb.GetLinkedInAccountRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetLinkedInAccountResponse:
        account = await self._service.linkedin.get_linkedin_account(request.workspace_id, request.account_id)
        return pb.GetLinkedInAccountResponse(account=linkedin_account_pb(account))

    async def CreateInbox(
        self, request: pb.CreateInboxRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateInboxResponse:
        inbox = await self._service.inboxes.create_inbox(
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
        inboxes = await self._service.inboxes.list_inboxes(request.workspace_id)
        return pb.ListInboxesResponse(inboxes=[inbox_pb(i) for i in inboxes])

    async def GetInbox(self, request: pb.GetInboxRequest, context: grpc.aio.ServicerContext) -> pb.GetInboxResponse:
        return pb.GetInboxResponse(
            inbox=inbox_pb(await self._service.inboxes.get_inbox(request.workspace_id, request.inbox_id))
        )

    async def UpdateInboxCredentials(
        self, request: pb.UpdateInboxCredentialsRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateInboxCredentialsResponse:
        inbox = await self._service.inboxes.update_inbox_credentials(
            request.workspace_id,
            request.inbox_id,
            _login(request, "smtp"),
            _login(request, "imap"),
            _actor(request.actor),
        )
        return pb.UpdateInboxCredentialsResponse(inbox=inbox_pb(inbox))

    async def CheckInbox(
        self, request: pb.CheckInboxRequest, context: grpc.aio.ServicerContext
    ) -> pb.CheckInboxResponse:
        inbox = await self._service.inboxes.check_inbox(request.workspace_id, request.inbox_id)
        return pb.CheckInboxResponse(inbox=inbox_pb(inbox))

    async def StartInboxOAuth(
        self, request: pb.StartInboxOAuthRequest, context: grpc.aio.ServicerContext
    ) -> pb.StartInboxOAuthResponse:
        kind = _word(pb.InboxAuthKind, request.provider)
        url = await self._service.inbox_oauth.start_inbox_oauth(
            request.workspace_id, request.inbox_id, oauth.PROVIDER_OF.get(kind, kind), request.redirect_uri
        )
        return pb.StartInboxOAuthResponse(url=url)

    async def CompleteInboxOAuth(
        self, request: pb.CompleteInboxOAuthRequest, context: grpc.aio.ServicerContext
    ) -> pb.CompleteInboxOAuthResponse:
        inbox = await self._service.inbox_oauth.complete_inbox_oauth(request.state, request.code)
        return pb.CompleteInboxOAuthResponse(inbox=inbox_pb(inbox))

    async def UpdateSendingLimits(
        self, request: pb.UpdateSendingLimitsRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateSendingLimitsResponse:
        limits = await self._service.senders.update_limits(
            request.workspace_id,
            _word(types_pb2.SenderKind, request.sender_kind),
            request.sender_id,
            limits_from_pb(request.limits),
        )
        return pb.UpdateSendingLimitsResponse(limits=[limit_pb(x) for x in limits])

    async def GetSenderCredentials(
        self, request: pb.GetSenderCredentialsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetSenderCredentialsResponse:
        found = await self._service.senders.sender_credentials(
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
        changed = await self._service.linkedin.handle_account_status_webhook(
            request.unipile_account_id, request.message
        )
        return pb.HandleAccountStatusWebhookResponse(changed=changed)

    async def ReportAccountFailure(
        self, request: pb.ReportAccountFailureRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReportAccountFailureResponse:
        changed = await self._service.senders.report_account_failure(
            _word(types_pb2.SenderKind, request.sender_kind),
            request.sender_id,
            _word(types_pb2.SenderStatus, request.status),
            request.restriction_kind,
            request.detail,
            request.attempt_id,
            sender_refused=request.sender_refused,
            sender_version=request.sender_version,
        )
        return pb.ReportAccountFailureResponse(changed=changed)

    async def RecordRestriction(
        self, request: pb.RecordRestrictionRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordRestrictionResponse:
        account = await self._service.linkedin.record_restriction(
            request.workspace_id, request.account_id, request.kind, request.detail, _actor(request.actor)
        )
        return pb.RecordRestrictionResponse(account=linkedin_account_pb(account))

    async def VerifyLinkedInAccount(
        self, request: pb.VerifyLinkedInAccountRequest, context: grpc.aio.ServicerContext
    ) -> pb.VerifyLinkedInAccountResponse:
        account = await self._service.linkedin.verify_linkedin_account(
            request.workspace_id, request.account_id, _actor(request.actor)
        )
        return pb.VerifyLinkedInAccountResponse(account=linkedin_account_pb(account))

    async def CreateReconnectLink(
        self, request: pb.CreateReconnectLinkRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateReconnectLinkResponse:
        link = await self._service.linkedin.create_reconnect_link(request.workspace_id, request.account_id)
        return pb.CreateReconnectLinkResponse(url=link.url, expires_at=to_timestamp(link.expires_at))

    async def CreateConnectLink(
        self, request: pb.CreateConnectLinkRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateConnectLinkResponse:
        link = await self._service.linkedin.create_connect_link(
            request.workspace_id, request.name, request.timezone or "UTC"
        )
        return pb.CreateConnectLinkResponse(url=link.url, expires_at=to_timestamp(link.expires_at))

    async def CompleteLinkedInConnect(
        self, request: pb.CompleteLinkedInConnectRequest, context: grpc.aio.ServicerContext
    ) -> pb.CompleteLinkedInConnectResponse:
        account, created = await self._service.linkedin.complete_connect(request.token, request.unipile_account_id)
        return pb.CompleteLinkedInConnectResponse(account=linkedin_account_pb(account), created=created)

    async def ApplyBillingEvent(
        self, request: pb.ApplyBillingEventRequest, context: grpc.aio.ServicerContext
    ) -> pb.ApplyBillingEventResponse:
        applied = await self._service.workspaces.apply_billing_event(
            request.event_id,
            request.type,
            request.workspace_id,
            from_timestamp(request.occurred_at) if request.HasField("occurred_at") else None,
        )
        return pb.ApplyBillingEventResponse(applied=applied)

    async def ListHealthEvents(
        self, request: pb.ListHealthEventsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListHealthEventsResponse:
        events, last = await self._service.health_feed.list_health_events(request.after_sequence, request.limit)
        return pb.ListHealthEventsResponse(events=[health_event_pb(e) for e in events], last_sequence=last)


def registration(servicer: AccountsServicer) -> Registration:
    """The servicer as the gRPC server registers it."""
    return Registration(
        pb.DESCRIPTOR.services_by_name["AccountsService"].full_name,
        lambda server: pb_grpc.add_AccountsServiceServicer_to_server(servicer, server),
    )
