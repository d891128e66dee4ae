"""Outbound side of the campaigns service: its events as the scheduler's requests (for the outbox), and the
scheduler and accounts clients behind the ports. Protobuf <-> domain, nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from holdfast.accounts.v1 import accounts_pb2, accounts_pb2_grpc
from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from services.campaigns.domain import (
    Campaign,
    Prospect,
    Senders,
)
from services.campaigns.ports import (
    HealthChange,
    HoldState,
    PlanInfo,
    PlanMove,
    SenderHealth,
    WarmupProgress,
)
from services.campaigns.repository import Event
from services.campaigns.suppression_entries import Entry
from services.common.attempts import Attempt
from services.common.errors import InvalidArgument, NotFound
from services.common.outbox import Deliver, grpc_destinations
from services.common.proto_enums import from_word, to_word
from services.common.proto_time import from_timestamp, to_timestamp
from services.common.webhook_relay import RECORD_WEBHOOK_EVENT, webhook_event_request

# Campaigns per SetCampaignHoldsBatch call: about 350 kB, well under gRPC's 4 MB limit. Fewer, larger calls: each
# is one transaction and one statement in the scheduler (B4).
HOLDS_PER_BATCH = 5000
ENROLL_PER_EVENT = 10_000


def plan_request(campaign: Campaign) -> scheduler_pb2.UpsertCampaignPlanRequest:
    return scheduler_pb2.UpsertCampaignPlanRequest(
        campaign_id=campaign.id,
        workspace_id=campaign.workspace_id,
        version=campaign.definition_version,
        days=list(campaign.schedule.days),
        window_start=campaign.schedule.window_start,
        window_end=campaign.schedule.window_end,
        timezone=campaign.schedule.timezone,
        randomize_within_window=campaign.schedule.randomize_within_window,
        steps=[
            scheduler_pb2.PlanStep(
                index=s.index,
                channel=from_word(types_pb2.Channel, s.channel),
                action_type=from_word(types_pb2.ActionType, s.action_type),
                delay_hours=s.delay_hours,
                text=s.text,
                subject=s.subject,
                body=s.body,
            )
            for s in campaign.steps
        ],
        linkedin_account_ids=list(campaign.senders.linkedin_account_ids),
        inbox_ids=list(campaign.senders.inbox_ids),
        active=campaign.status in ("active", "paused"),
        warmup=campaign.kind == "warmup",
        stop_on_reply=campaign.stop_on_reply,
    )


class ProtoEvents:
    """Campaign changes as the scheduler's requests, ordered per campaign."""

    def plan(self, campaign: Campaign) -> Event:
        return "scheduler.UpsertCampaignPlan", campaign.id, plan_request(campaign).SerializeToString()

    def holds(self, campaign: Campaign, caused_at: datetime) -> Event:
        request = scheduler_pb2.SetCampaignHoldsRequest(
            campaign_id=campaign.id,
            version=campaign.pause_version,
            held_scopes=[from_word(types_pb2.Scope, s) for s in campaign.held_scopes()],
            caused_at=to_timestamp(caused_at),
        )
        return "scheduler.SetCampaignHolds", campaign.id, request.SerializeToString()

    def holds_many(self, states: list[HoldState], caused_at: datetime) -> list[Event]:
        caused = to_timestamp(caused_at)
        scopes = {s: from_word(types_pb2.Scope, s) for h in states for s in h.held_scopes}
        if len(states) == 1:
            # One campaign: the ordinary event, in line with that campaign's other events.
            h = states[0]
            request = scheduler_pb2.SetCampaignHoldsRequest(
                campaign_id=h.campaign_id,
                version=h.version,
                caused_at=caused,
                held_scopes=[scopes[s] for s in h.held_scopes],
            )
            return [("scheduler.SetCampaignHolds", h.campaign_id, request.SerializeToString())]
        events = []
        for start in range(0, len(states), HOLDS_PER_BATCH):
            batch = scheduler_pb2.SetCampaignHoldsBatchRequest()
            add = batch.holds.add  # built in place: a message per hold then a copy of each cost 3x (B4)
            for h in states[start : start + HOLDS_PER_BATCH]:
                add(
                    campaign_id=h.campaign_id, version=h.version, held_scopes=[scopes[s] for s in h.held_scopes]
                ).caused_at.CopyFrom(caused)
            # Campaigns of one batch are in no other batch of it, and each campaign's version orders its holds
            # whatever the delivery order, so the batches need no common key: they go out side by side.
            events.append(("scheduler.SetCampaignHoldsBatch", f"holds-batch:{uuid.uuid4()}", batch.SerializeToString()))
        return events

    def probation(self, sender_ids: list[str], until: datetime) -> Event:
        request = scheduler_pb2.StartProbationRequest(
            event_id=str(uuid.uuid4()), sender_ids=sorted(set(sender_ids)), until=to_timestamp(until)
        )
        return "scheduler.StartProbation", f"probation:{','.join(sorted(set(sender_ids)))}", request.SerializeToString()

    def suppressions(self, workspace_id: str, add: Sequence[Entry], remove: Sequence[Entry]) -> Event:
        request = scheduler_pb2.ApplySuppressionsRequest(
            workspace_id=workspace_id,
            add=[scheduler_pb2.SuppressionEntry(kind=e.kind, value=e.value) for e in add],
            remove=[scheduler_pb2.SuppressionEntry(kind=e.kind, value=e.value) for e in remove],
        )
        return "scheduler.ApplySuppressions", f"suppressions:{workspace_id}", request.SerializeToString()

    def opt_out(self, event_id: str, prospect_id: str, source: str) -> Event:
        request = scheduler_pb2.RecordProspectVoiceRequest(
            event_id=event_id,
            prospect_id=prospect_id,
            voice="opted_out",
            channel=types_pb2.CHANNEL_EMAIL,
            source=source,
        )
        return "scheduler.RecordProspectVoice", f"voice:{prospect_id}", request.SerializeToString()

    def enrollment(self, campaign: Campaign, prospects: list[Prospect]) -> list[Event]:
        events = []
        # Up to 10,000 a request (about 1 MB, well under gRPC's 4 MB): each request is one enrollment and one re-clamp
        # in the scheduler, so an import of 100,000 is 10 of them, not 50.
        for start in range(0, len(prospects), ENROLL_PER_EVENT):
            request = scheduler_pb2.EnrollProspectsRequest(campaign_id=campaign.id)
            # Written in place (add): messages given to the constructor as a list are each copied once more.
            add = request.prospects.add
            for p in prospects[start : start + ENROLL_PER_EVENT]:
                data = p.data
                row = add(
                    prospect_id=p.id,
                    linkedin_provider_id=data.linkedin_provider_id or "",
                    linkedin_public_identifier=data.linkedin_public_identifier or "",
                    email=data.email or "",
                    first_name=data.first_name,
                    last_name=data.last_name,
                    company=data.company,
                )
                if data.fields:  # set one by one: a map given as an argument goes through a slower generic update
                    fields = row.fields
                    for key, value in data.fields.items():
                        fields[key] = value
            events.append(("scheduler.EnrollProspects", campaign.id, request.SerializeToString()))
        return events


class SchedulerClient:
    def __init__(self, stub: scheduler_pb2_grpc.SchedulerServiceStub):
        self._stub = stub

    async def next_sends(self, campaign_id: str) -> dict[str, datetime]:
        reply = await self._stub.GetNextSends(scheduler_pb2.GetNextSendsRequest(campaign_id=campaign_id))
        return {to_word(types_pb2.Channel, n.channel) or "": from_timestamp(n.planned_at) for n in reply.next_sends}

    async def warmup_progress(self, campaign_id: str) -> WarmupProgress:
        r = await self._stub.GetWarmupProgress(scheduler_pb2.GetWarmupProgressRequest(campaign_id=campaign_id))
        return WarmupProgress(r.inbox_id, r.ramp_day, r.limit_today, r.sent_today, r.sent_total, r.queued, r.pool_size)

    async def active_channels(self, campaign_ids: list[str]) -> dict[str, set[str]]:
        reply = await self._stub.GetActiveChannels(scheduler_pb2.GetActiveChannelsRequest(campaign_ids=campaign_ids))
        # Thousands of campaigns per call (B4): each set of channels converted once (a fresh set per campaign).
        words: dict[tuple[int, ...], frozenset[str]] = {}
        found = {}
        for c in reply.campaigns:
            codes = tuple(c.channels)
            channels = words.get(codes)
            if channels is None:
                channels = words[codes] = frozenset(to_word(types_pb2.Channel, ch) or "" for ch in codes)
            found[c.campaign_id] = set(channels)
        return found

    async def active_on_channel(self, campaign_ids: list[str], channel: str) -> set[str]:
        # A sender's thousands of campaigns (B4): one list of ids each way, no message per campaign.
        reply = await self._stub.GetCampaignsActiveOnChannel(
            scheduler_pb2.GetCampaignsActiveOnChannelRequest(
                campaign_ids=campaign_ids, channel=from_word(types_pb2.Channel, channel)
            )
        )
        return set(reply.campaign_ids)

    async def progress(self, campaign_ids: list[str]) -> dict[str, tuple[int, int]]:
        reply = await self._stub.GetCampaignProgress(
            scheduler_pb2.GetCampaignProgressRequest(campaign_ids=campaign_ids)
        )
        return {c.campaign_id: (c.enrolled, c.unfinished) for c in reply.campaigns}

    async def preview_plan_change(self, campaign: Campaign, limit: int) -> tuple[int, list[PlanMove]]:
        reply = await self._stub.PreviewPlanChange(
            scheduler_pb2.PreviewPlanChangeRequest(plan=plan_request(campaign), limit=limit)
        )
        return reply.moved, [
            PlanMove(m.prospect_id, m.step_index, from_timestamp(getattr(m, "from")), from_timestamp(m.to))
            for m in reply.moves
        ]

    async def plans(self, campaign_id: str, prospect_ids: list[str]) -> dict[str, PlanInfo]:
        reply = await self._stub.ListProspectPlans(
            scheduler_pb2.ListProspectPlansRequest(campaign_id=campaign_id, prospect_ids=prospect_ids)
        )
        return {
            p.prospect_id: PlanInfo(
                p.state,
                p.step_index,
                from_timestamp(p.next_action_at) if p.HasField("next_action_at") else None,
                list(p.why_not_now),
                from_timestamp(p.out_of_office_until) if p.HasField("out_of_office_until") else None,
                tuple(_attempt(a) for a in p.history),
            )
            for p in reply.plans
        }


def _attempt(a: scheduler_pb2.AttemptRecord) -> Attempt:
    return Attempt(
        a.step_index,
        a.action_type,
        a.status,
        a.outcome,
        a.note,
        from_timestamp(a.started_at) if a.HasField("started_at") else None,
        from_timestamp(a.finished_at) if a.HasField("finished_at") else None,
    )


def health_change(event: types_pb2.HealthEvent) -> HealthChange:
    occurred = from_timestamp(event.occurred_at) if event.HasField("occurred_at") else None
    if event.HasField("subscription"):
        return HealthChange(
            event.event_id,
            event.workspace_id,
            event.version,
            "subscription",
            event.workspace_id,
            to_word(types_pb2.SubscriptionStatus, event.subscription.status) or "",
            occurred_at=occurred,
        )
    sender = event.sender
    return HealthChange(
        event.event_id,
        event.workspace_id,
        event.version,
        to_word(types_pb2.SenderKind, sender.kind) or "",
        sender.sender_id,
        to_word(types_pb2.SenderStatus, sender.status) or "",
        sender.restriction_verified,
        sender.detail,
        occurred_at=occurred,
    )


class AccountsDirectory:
    def __init__(self, stub: accounts_pb2_grpc.AccountsServiceStub):
        self._stub = stub

    async def sender_health(self, workspace_id: str, kind: str, sender_id: str) -> SenderHealth | None:
        try:
            if kind == "inbox":
                inbox = (
                    await self._stub.GetInbox(
                        accounts_pb2.GetInboxRequest(workspace_id=workspace_id, inbox_id=sender_id)
                    )
                ).inbox
                return SenderHealth(to_word(types_pb2.SenderStatus, inbox.status) or "unknown")
            account = (
                await self._stub.GetLinkedInAccount(
                    accounts_pb2.GetLinkedInAccountRequest(workspace_id=workspace_id, account_id=sender_id)
                )
            ).account
        except NotFound:
            return None
        return SenderHealth(to_word(types_pb2.SenderStatus, account.status) or "unknown", account.restriction_verified)

    async def subscription_active(self, workspace_id: str) -> bool:
        reply = await self._stub.GetWorkspace(accounts_pb2.GetWorkspaceRequest(workspace_id=workspace_id))
        return reply.workspace.subscription_status == types_pb2.SUBSCRIPTION_STATUS_ACTIVE

    async def health_since(self, sequence: int) -> tuple[list[HealthChange], int]:
        reply = await self._stub.ListHealthEvents(
            accounts_pb2.ListHealthEventsRequest(after_sequence=sequence, limit=500)
        )
        return [health_change(e) for e in reply.events], max(reply.last_sequence, sequence)

    async def inbox_count(self, workspace_id: str) -> int:
        reply = await self._stub.ListInboxes(accounts_pb2.ListInboxesRequest(workspace_id=workspace_id))
        return len(reply.inboxes)

    async def check_senders(self, workspace_id: str, senders: Senders) -> None:
        for i, sender_id in enumerate(senders.linkedin_account_ids):
            try:
                await self._stub.GetLinkedInAccount(
                    accounts_pb2.GetLinkedInAccountRequest(workspace_id=workspace_id, account_id=sender_id)
                )
            except NotFound:
                raise InvalidArgument(
                    "not a LinkedIn account of this workspace", field=f"senders.linkedin_account_ids.{i}"
                ) from None
        for i, sender_id in enumerate(senders.inbox_ids):
            try:
                await self._stub.GetInbox(accounts_pb2.GetInboxRequest(workspace_id=workspace_id, inbox_id=sender_id))
            except NotFound:
                raise InvalidArgument("not an inbox of this workspace", field=f"senders.inbox_ids.{i}") from None


def outbox_deliveries(
    scheduler: scheduler_pb2_grpc.SchedulerServiceStub, accounts: accounts_pb2_grpc.AccountsServiceStub
) -> dict[str, Deliver]:
    """Where each outbox destination of campaigns goes: a scheduler or accounts RPC (the relay retries until
    taken)."""
    return {
        **grpc_destinations(
            "scheduler",
            scheduler,
            scheduler_pb2,
            {
                "UpsertCampaignPlan": None,
                "EnrollProspects": 60,
                "SetCampaignHolds": 60,
                "SetCampaignHoldsBatch": 60,
                "StartProbation": None,
                "ApplySuppressions": 60,
                "RecordProspectVoice": 60,
            },
        ),
        # Written by a trigger on the pause history (migrations/005_webhook_events.sql), as JSON.
        RECORD_WEBHOOK_EVENT: lambda b: accounts.RecordWebhookEvent(webhook_event_request(b)),
    }
