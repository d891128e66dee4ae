"""Outbound side of the scheduler service: its events as other services' requests (for the outbox), the
accounts client for sender credentials, and where each outbox destination goes. Protobuf <-> domain only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from holdfast.accounts.v1 import accounts_pb2, accounts_pb2_grpc
from holdfast.campaigns.v1 import campaigns_pb2, campaigns_pb2_grpc
from holdfast.common.v1 import types_pb2
from services.common.outbox import Deliver, grpc_destinations
from services.common.proto_enums import from_word
from services.common.proto_time import to_timestamp
from services.common.providers.smtp import SmtpSettings
from services.common.webhook_relay import RECORD_WEBHOOK_EVENT, webhook_event_request
from services.scheduler.bounce_rate import BounceSignal
from services.scheduler.domain import AccountFailure, Event, FailureSignal
from services.scheduler.providers import SendingAs


class ProtoEvents:
    """Scheduler facts as other services' requests, for the outbox."""

    def failure_rate(self, signal: FailureSignal) -> Event:
        request = campaigns_pb2.ApplyFailureRateSignalRequest(
            event_id=signal.event_id,
            sender_kind=from_word(types_pb2.SenderKind, signal.sender_kind),
            sender_id=signal.sender_id,
            above_threshold=signal.above,
            failure_rate=signal.rate,
            sample_size=signal.sample,
            window_end=to_timestamp(signal.window_end),
        )
        # In order per sender: an "above" and the "below" after it must not swap.
        return "campaigns.ApplyFailureRateSignal", signal.sender_id, request.SerializeToString()

    def bounce_rate(self, signal: BounceSignal) -> Event:
        request = campaigns_pb2.ApplyBounceRateSignalRequest(
            event_id=signal.event_id,
            inbox_id=signal.inbox_id,
            above_threshold=signal.above,
            bounce_rate=signal.rate,
            sample_size=signal.sample,
            bounces=signal.bounces,
            window_end=to_timestamp(signal.window_end),
        )
        # The inbox's key, like its failure-rate signals: an "above" and the "below" after it never swap.
        return "campaigns.ApplyBounceRateSignal", signal.inbox_id, request.SerializeToString()

    def prospect_back(self, event_id: str, campaign_id: str, prospect_id: str, step_index: int) -> Event:
        """Issue 15: a stopped prospect is back in its sequence (a reply re-classified as an out-of-office), so a
        step of its campaign may be active again: campaigns runs the gate check on the active channels."""
        request = campaigns_pb2.ApplyProspectProgressRequest(
            event_id=event_id,
            campaign_id=campaign_id,
            prospect_id=prospect_id,
            completed_step=step_index,
            finished=False,
            outcome="back_in_sequence",
        )
        return "campaigns.ApplyProspectProgress", campaign_id, request.SerializeToString()

    def suppress_opt_out(self, workspace_id: str, prospect_id: str, source: str) -> Event:
        """V6: a prospect who asked to stop in a reply joins its workspace's suppression list."""
        request = campaigns_pb2.RecordOptOutRequest(
            workspace_id=workspace_id, prospect_id=prospect_id, source=source, suppress_only=True
        )
        return "campaigns.RecordOptOut", f"opt-out:{prospect_id}", request.SerializeToString()

    def account_failure(self, failure: AccountFailure) -> Event:
        request = accounts_pb2.ReportAccountFailureRequest(
            sender_kind=from_word(types_pb2.SenderKind, failure.sender_kind),
            sender_id=failure.sender_id,
            status=from_word(types_pb2.SenderStatus, failure.status),
            restriction_kind=failure.restriction_kind,
            detail=failure.detail[:500],
            attempt_id=failure.attempt_id,
            sender_refused=failure.sender_refused,
            sender_version=failure.sender_version,
        )
        # Its own ordering key: a receiver that is down (campaigns) must not hold up accounts' reports.
        return "accounts.ReportAccountFailure", f"accounts:{failure.sender_id}", request.SerializeToString()


def sender_credentials(accounts: accounts_pb2_grpc.AccountsServiceStub) -> Callable[[str], Awaitable[SendingAs]]:
    """How the email sender logs in as an inbox: its SMTP login (or OAuth token), asked of accounts."""

    async def credentials(inbox_id: str) -> SendingAs:
        reply = await accounts.GetSenderCredentials(
            accounts_pb2.GetSenderCredentialsRequest(sender_kind=types_pb2.SENDER_KIND_INBOX, sender_id=inbox_id)
        )
        # An OAuth inbox comes with an access token (and no password): the sender logs in with XOAUTH2.
        return SendingAs(
            SmtpSettings(
                host=reply.smtp.host,
                port=reply.smtp.port,
                security=reply.smtp.security,
                username=reply.smtp.username,
                password=reply.smtp.password,
                access_token=reply.oauth_access_token,
            ),
            display_name=reply.display_name,
        )

    return credentials


def outbox_deliveries(
    campaigns: campaigns_pb2_grpc.CampaignsServiceStub, accounts: accounts_pb2_grpc.AccountsServiceStub
) -> dict[str, Deliver]:
    # Events to campaigns (failure-rate signals) and accounts (account-level failures), retried until taken.
    return {
        **grpc_destinations(
            "campaigns",
            campaigns,
            campaigns_pb2,
            {
                "ApplyFailureRateSignal": None,
                "ApplyBounceRateSignal": None,
                "RecordOptOut": 30,
                "ApplyProspectProgress": None,
            },
        ),
        **grpc_destinations("accounts", accounts, accounts_pb2, {"ReportAccountFailure": None}),
        # prospect.accepted, written by a trigger on the prospect plans (migrations/011_webhook_events.sql), as JSON.
        RECORD_WEBHOOK_EVENT: lambda b: accounts.RecordWebhookEvent(webhook_event_request(b)),
    }
