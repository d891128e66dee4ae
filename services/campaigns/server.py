"""gRPC edge of the campaigns service: protobuf <-> domain, nothing else."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from contextlib import AsyncExitStack
from datetime import datetime, timedelta
from pathlib import Path

import grpc

from holdfast.accounts.v1 import accounts_pb2, accounts_pb2_grpc
from holdfast.campaigns.v1 import campaigns_pb2 as pb
from holdfast.campaigns.v1 import campaigns_pb2_grpc as pb_grpc
from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from services.campaigns.config import Settings
from services.campaigns.domain import (
    CATALOG,
    Actor,
    Campaign,
    HistoryEntry,
    Prospect,
    ProspectIn,
    ReasonView,
    Schedule,
    Senders,
    Step,
)
from services.campaigns.pause import Change
from services.campaigns.ports import AttemptInfo, HealthChange, HoldState, PlanInfo, SenderHealth, WarmupProgress
from services.campaigns.repository import Event, Repository
from services.campaigns.service import CampaignsService
from services.campaigns.suppression_entries import Entry
from services.campaigns.suppression_repository import Suppression
from services.common.clock import Clock, SystemClock
from services.common.db import create_pool
from services.common.errors import InvalidArgument, NotFound
from services.common.grpc_client import open_channel
from services.common.grpc_server import Registration, RunningServer, start_server
from services.common.ids import parse_uuid
from services.common.loops import cancel, run_loop
from services.common.outbox import Relay
from services.common.proto_enums import from_word, to_word
from services.common.proto_time import from_timestamp, to_timestamp
from services.common.service_main import prepare_schema
from services.common.webhook_relay import RECORD_WEBHOOK_EVENT, webhook_event_request

MIGRATIONS = Path(__file__).parent / "migrations"
# Campaigns per SetCampaignHoldsBatch call: about 70 kB, well under gRPC's 4 MB limit.
HOLDS_PER_BATCH = 1000


def campaign_pb(c: Campaign, views: list[ReasonView] | None = None) -> pb.Campaign:
    """`views`: what to say of each reason now (CampaignsService.describe); the catalog's texts without it."""
    views = views or [ReasonView(CATALOG[r.reason].explanation, CATALOG[r.reason].action) for r in c.reasons]
    return pb.Campaign(
        id=c.id, workspace_id=c.workspace_id, name=c.name,
        kind=from_word(pb.CampaignKind, c.kind), status=from_word(pb.CampaignStatus, c.status),
        paused_reason=from_word(types_pb2.PauseReason, c.paused_reason),
        pause_reasons=[pb.ActivePauseReason(
            reason=from_word(types_pb2.PauseReason, r.reason), scope=from_word(types_pb2.Scope, r.scope),
            since=to_timestamp(r.since), detail=r.detail, explanation=v.explanation, action=v.action,
            clears_at=to_timestamp(v.clears_at) if v.clears_at else None, cooldown=v.cooldown)
            for r, v in zip(c.reasons, views, strict=True)],
        schedule=pb.Schedule(days=list(c.schedule.days), window_start=c.schedule.window_start,
                             window_end=c.schedule.window_end, timezone=c.schedule.timezone,
                             randomize_within_window=c.schedule.randomize_within_window),
        steps=[pb.Step(index=s.index, channel=from_word(types_pb2.Channel, s.channel),
                       action=from_word(pb.StepAction, s.action),
                       delay=pb.Delay(days=s.delay_hours // 24, hours=s.delay_hours % 24), text=s.text,
                       subject=s.subject, body=s.body) for s in c.steps],
        senders=pb.Senders(linkedin_account_ids=list(c.senders.linkedin_account_ids),
                           inbox_ids=list(c.senders.inbox_ids)),
        created_at=to_timestamp(c.created_at), updated_at=to_timestamp(c.updated_at), stop_on_reply=c.stop_on_reply,
    )


def _step(s: pb.Step) -> Step:
    return Step(index=s.index, channel=to_word(types_pb2.Channel, s.channel) or "",
                action=to_word(pb.StepAction, s.action) or "", delay_hours=s.delay.days * 24 + s.delay.hours,
                text=s.text, subject=s.subject, body=s.body)


def _prospect_pb(p: ProspectIn) -> pb.Prospect:
    return pb.Prospect(linkedin_provider_id=p.linkedin_provider_id or "",
                       linkedin_public_identifier=p.linkedin_public_identifier or "", email=p.email or "",
                       first_name=p.first_name, last_name=p.last_name, company=p.company, fields=p.fields)


class ProtoEvents:
    """Campaign changes as the scheduler's requests, ordered per campaign."""

    def plan(self, campaign: Campaign) -> Event:
        request = scheduler_pb2.UpsertCampaignPlanRequest(
            campaign_id=campaign.id, workspace_id=campaign.workspace_id, version=campaign.definition_version,
            days=list(campaign.schedule.days), window_start=campaign.schedule.window_start,
            window_end=campaign.schedule.window_end, timezone=campaign.schedule.timezone,
            randomize_within_window=campaign.schedule.randomize_within_window,
            steps=[scheduler_pb2.PlanStep(index=s.index, channel=from_word(types_pb2.Channel, s.channel),
                                          action_type=from_word(types_pb2.ActionType, s.action_type),
                                          delay_hours=s.delay_hours, text=s.text, subject=s.subject, body=s.body)
                   for s in campaign.steps],
            linkedin_account_ids=list(campaign.senders.linkedin_account_ids),
            inbox_ids=list(campaign.senders.inbox_ids), active=campaign.status in ("active", "paused"),
            warmup=campaign.kind == "warmup", stop_on_reply=campaign.stop_on_reply)
        return "scheduler.UpsertCampaignPlan", campaign.id, request.SerializeToString()

    def holds(self, campaign: Campaign, caused_at: datetime) -> Event:
        request = scheduler_pb2.SetCampaignHoldsRequest(
            campaign_id=campaign.id, version=campaign.pause_version,
            held_scopes=[from_word(types_pb2.Scope, s) for s in campaign.held_scopes()],
            caused_at=to_timestamp(caused_at))
        return "scheduler.SetCampaignHolds", campaign.id, request.SerializeToString()

    def holds_many(self, states: list[HoldState], caused_at: datetime) -> list[Event]:
        caused = to_timestamp(caused_at)
        scopes = {s: from_word(types_pb2.Scope, s) for h in states for s in h.held_scopes}
        requests = [scheduler_pb2.SetCampaignHoldsRequest(
            campaign_id=h.campaign_id, version=h.version, caused_at=caused,
            held_scopes=[scopes[s] for s in h.held_scopes]) for h in states]
        if len(requests) == 1:
            # One campaign: the ordinary event, in line with that campaign's other events.
            return [("scheduler.SetCampaignHolds", states[0].campaign_id, requests[0].SerializeToString())]
        events = []
        for start in range(0, len(requests), HOLDS_PER_BATCH):
            request = scheduler_pb2.SetCampaignHoldsBatchRequest(holds=requests[start:start + HOLDS_PER_BATCH])
            # Campaigns of one batch are in no other batch of it, and each campaign's version orders its holds
            # whatever the delivery order, so the batches need no common key: they go out side by side.
            events.append(("scheduler.SetCampaignHoldsBatch", f"holds-batch:{uuid.uuid4()}",
                           request.SerializeToString()))
        return events

    def probation(self, sender_ids: list[str], until: datetime) -> Event:
        request = scheduler_pb2.StartProbationRequest(event_id=str(uuid.uuid4()), sender_ids=sorted(set(sender_ids)),
                                                      until=to_timestamp(until))
        return "scheduler.StartProbation", f"probation:{','.join(sorted(set(sender_ids)))}", request.SerializeToString()

    def suppressions(self, workspace_id: str, add: Sequence[Entry], remove: Sequence[Entry]) -> Event:
        request = scheduler_pb2.ApplySuppressionsRequest(
            workspace_id=workspace_id, add=[scheduler_pb2.SuppressionEntry(kind=e.kind, value=e.value) for e in add],
            remove=[scheduler_pb2.SuppressionEntry(kind=e.kind, value=e.value) for e in remove])
        return "scheduler.ApplySuppressions", f"suppressions:{workspace_id}", request.SerializeToString()

    def opt_out(self, event_id: str, prospect_id: str, source: str) -> Event:
        request = scheduler_pb2.RecordProspectVoiceRequest(
            event_id=event_id, prospect_id=prospect_id, voice="opted_out", channel=types_pb2.CHANNEL_EMAIL,
            source=source)
        return "scheduler.RecordProspectVoice", f"voice:{prospect_id}", request.SerializeToString()

    def enrollment(self, campaign: Campaign, prospects: list[Prospect]) -> list[Event]:
        events = []
        for start in range(0, len(prospects), 2000):
            request = scheduler_pb2.EnrollProspectsRequest(campaign_id=campaign.id, prospects=[
                scheduler_pb2.EnrolledProspect(
                    prospect_id=p.id, linkedin_provider_id=p.data.linkedin_provider_id or "",
                    linkedin_public_identifier=p.data.linkedin_public_identifier or "",
                    email=p.data.email or "", first_name=p.data.first_name, last_name=p.data.last_name,
                    company=p.data.company, fields=p.data.fields) for p in prospects[start:start + 2000]])
            events.append(("scheduler.EnrollProspects", campaign.id, request.SerializeToString()))
        return events


class SchedulerClient:
    def __init__(self, stub: scheduler_pb2_grpc.SchedulerServiceStub):
        self._stub = stub

    async def next_sends(self, campaign_id: str) -> dict[str, datetime]:
        reply = await self._stub.ReclampOnResume(scheduler_pb2.ReclampOnResumeRequest(campaign_id=campaign_id))
        return {to_word(types_pb2.Channel, n.channel) or "": from_timestamp(n.planned_at) for n in reply.next_sends}

    async def warmup_progress(self, campaign_id: str) -> WarmupProgress:
        r = await self._stub.GetWarmupProgress(scheduler_pb2.GetWarmupProgressRequest(campaign_id=campaign_id))
        return WarmupProgress(r.inbox_id, r.ramp_day, r.limit_today, r.sent_today, r.sent_total, r.queued,
                              r.pool_size)

    async def active_channels(self, campaign_ids: list[str]) -> dict[str, set[str]]:
        reply = await self._stub.GetActiveChannels(scheduler_pb2.GetActiveChannelsRequest(campaign_ids=campaign_ids))
        return {c.campaign_id: {to_word(types_pb2.Channel, ch) or "" for ch in c.channels} for c in reply.campaigns}

    async def plans(self, campaign_id: str, prospect_ids: list[str]) -> dict[str, PlanInfo]:
        reply = await self._stub.ListProspectPlans(scheduler_pb2.ListProspectPlansRequest(
            campaign_id=campaign_id, prospect_ids=prospect_ids))
        return {p.prospect_id: PlanInfo(p.state, p.step_index,
                                        from_timestamp(p.next_action_at) if p.HasField("next_action_at") else None,
                                        list(p.why_not_now),
                                        from_timestamp(p.out_of_office_until)
                                        if p.HasField("out_of_office_until") else None,
                                        tuple(_attempt(a) for a in p.history)) for p in reply.plans}


def _attempt(a: scheduler_pb2.AttemptRecord) -> AttemptInfo:
    return AttemptInfo(a.step_index, a.action_type, a.status, a.outcome, a.note,
                       from_timestamp(a.started_at) if a.HasField("started_at") else None,
                       from_timestamp(a.finished_at) if a.HasField("finished_at") else None)


def health_change(event: types_pb2.HealthEvent) -> HealthChange:
    occurred = from_timestamp(event.occurred_at) if event.HasField("occurred_at") else None
    if event.HasField("subscription"):
        return HealthChange(event.event_id, event.workspace_id, event.version, "subscription", event.workspace_id,
                            to_word(types_pb2.SubscriptionStatus, event.subscription.status) or "",
                            occurred_at=occurred)
    sender = event.sender
    return HealthChange(event.event_id, event.workspace_id, event.version,
                        to_word(types_pb2.SenderKind, sender.kind) or "", sender.sender_id,
                        to_word(types_pb2.SenderStatus, sender.status) or "", sender.restriction_verified,
                        sender.detail, occurred_at=occurred)


class AccountsDirectory:
    def __init__(self, stub: accounts_pb2_grpc.AccountsServiceStub):
        self._stub = stub

    async def sender_health(self, workspace_id: str, kind: str, sender_id: str) -> SenderHealth | None:
        try:
            if kind == "inbox":
                inbox = (await self._stub.GetInbox(accounts_pb2.GetInboxRequest(
                    workspace_id=workspace_id, inbox_id=sender_id))).inbox
                return SenderHealth(to_word(types_pb2.SenderStatus, inbox.status) or "unknown")
            account = (await self._stub.GetLinkedInAccount(accounts_pb2.GetLinkedInAccountRequest(
                workspace_id=workspace_id, account_id=sender_id))).account
        except NotFound:
            return None
        return SenderHealth(to_word(types_pb2.SenderStatus, account.status) or "unknown", account.restriction_verified)

    async def subscription_active(self, workspace_id: str) -> bool:
        reply = await self._stub.GetWorkspace(accounts_pb2.GetWorkspaceRequest(workspace_id=workspace_id))
        return reply.workspace.subscription_status == types_pb2.SUBSCRIPTION_STATUS_ACTIVE

    async def health_since(self, sequence: int) -> tuple[list[HealthChange], int]:
        reply = await self._stub.ListHealthEvents(accounts_pb2.ListHealthEventsRequest(after_sequence=sequence,
                                                                                       limit=500))
        return [health_change(e) for e in reply.events], max(reply.last_sequence, sequence)

    async def inbox_count(self, workspace_id: str) -> int:
        reply = await self._stub.ListInboxes(accounts_pb2.ListInboxesRequest(workspace_id=workspace_id))
        return len(reply.inboxes)

    async def check_senders(self, workspace_id: str, senders: Senders) -> None:
        for i, sender_id in enumerate(senders.linkedin_account_ids):
            try:
                await self._stub.GetLinkedInAccount(accounts_pb2.GetLinkedInAccountRequest(
                    workspace_id=workspace_id, account_id=sender_id))
            except NotFound:
                raise InvalidArgument("not a LinkedIn account of this workspace",
                                      field=f"senders.linkedin_account_ids.{i}") from None
        for i, sender_id in enumerate(senders.inbox_ids):
            try:
                await self._stub.GetInbox(accounts_pb2.GetInboxRequest(workspace_id=workspace_id, inbox_id=sender_id))
            except NotFound:
                raise InvalidArgument("not an inbox of this workspace", field=f"senders.inbox_ids.{i}") from None


def actor_from_pb(actor: types_pb2.Actor) -> Actor:
    if actor.kind == types_pb2.ACTOR_KIND_MEMBER and actor.member_id:
        return Actor(kind="member", member_id=actor.member_id, event_id=actor.event_id)
    if actor.kind == types_pb2.ACTOR_KIND_SYSTEM and actor.source:
        return Actor(kind="system", source=actor.source, event_id=actor.event_id)
    raise InvalidArgument("actor must be a member with member_id or the system with a source", field="actor")


def actor_pb(actor: Actor) -> types_pb2.Actor:
    return types_pb2.Actor(kind=from_word(types_pb2.ActorKind, actor.kind), member_id=actor.member_id or "",
                           source=actor.source, event_id=actor.event_id)


def history_pb(e: HistoryEntry) -> pb.PauseHistoryEntry:
    return pb.PauseHistoryEntry(
        id=e.id, action=from_word(pb.PauseHistoryAction, e.action),
        reason=from_word(types_pb2.PauseReason, e.reason), scope=from_word(types_pb2.Scope, e.scope),
        actor=actor_pb(e.actor), detail=e.detail, at=to_timestamp(e.at),
        status_after=from_word(pb.CampaignStatus, e.status_after))


def _schedule(s: pb.Schedule) -> Schedule:
    return Schedule(days=tuple(s.days), window_start=s.window_start, window_end=s.window_end,
                    timezone=s.timezone, randomize_within_window=s.randomize_within_window)


class CampaignsServicer(pb_grpc.CampaignsServiceServicer):
    def __init__(self, service: CampaignsService):
        self._service = service

    def _pb(self, campaign: Campaign) -> pb.Campaign:
        return campaign_pb(campaign, self._service.describe(campaign))

    def _change(self, change: Change) -> dict[str, object]:
        return {"campaign": self._pb(change.campaign), "changed": change.changed, "message": change.message}

    async def CreateCampaign(self, request: pb.CreateCampaignRequest,
                             context: grpc.aio.ServicerContext) -> pb.CreateCampaignResponse:
        kind = to_word(pb.CampaignKind, request.kind) or "outreach"
        campaign = await self._service.create(
            request.workspace_id, request.name, kind, _schedule(request.schedule),
            [_step(s) for s in request.steps],
            Senders(tuple(request.senders.linkedin_account_ids), tuple(request.senders.inbox_ids)),
            request.stop_on_reply or "prospect")
        return pb.CreateCampaignResponse(campaign=self._pb(campaign))

    async def AddProspects(self, request: pb.AddProspectsRequest,
                           context: grpc.aio.ServicerContext) -> pb.AddProspectsResponse:
        result = await self._service.add_prospects(request.workspace_id, request.campaign_id, [ProspectIn(
            linkedin_provider_id=p.linkedin_provider_id or None,
            linkedin_public_identifier=p.linkedin_public_identifier or None, email=p.email or None,
            first_name=p.first_name, last_name=p.last_name, company=p.company, fields=dict(p.fields))
            for p in request.prospects])
        return pb.AddProspectsResponse(added=result.added, already_present=result.already_present, refused=[
            pb.RefusedProspect(index=i, code=code, message=message) for i, code, message in result.refused],
            suppressed=result.suppressed)

    async def AddSuppressions(self, request: pb.AddSuppressionsRequest,
                              context: grpc.aio.ServicerContext) -> pb.AddSuppressionsResponse:
        actor = actor_from_pb(request.actor)
        added = await self._service.suppressions.add(
            parse_uuid(request.workspace_id, "workspace_id"), [(e.type, e.value) for e in request.entries],
            request.source or "member", actor.member_id or actor.source)
        return pb.AddSuppressionsResponse(added=added.added, already_listed=added.already_listed,
                                          enforced=added.enforced)

    async def ListSuppressions(self, request: pb.ListSuppressionsRequest,
                               context: grpc.aio.ServicerContext) -> pb.ListSuppressionsResponse:
        rows, token = await self._service.suppressions.page(
            parse_uuid(request.workspace_id, "workspace_id"), request.query, request.page_size, request.page_token)
        return pb.ListSuppressionsResponse(suppressions=[_suppression_pb(s) for s in rows], next_page_token=token)

    async def DeleteSuppression(self, request: pb.DeleteSuppressionRequest,
                                context: grpc.aio.ServicerContext) -> pb.DeleteSuppressionResponse:
        gone = await self._service.suppressions.delete(
            parse_uuid(request.workspace_id, "workspace_id"),
            parse_uuid(request.suppression_id, "suppression_id", missing_is_not_found=True))
        return pb.DeleteSuppressionResponse(suppression=_suppression_pb(gone))

    async def RecordOptOut(self, request: pb.RecordOptOutRequest,
                           context: grpc.aio.ServicerContext) -> pb.RecordOptOutResponse:
        recorded = await self._service.suppressions.opt_out(
            parse_uuid(request.workspace_id, "workspace_id"),
            parse_uuid(request.prospect_id, "prospect_id", missing_is_not_found=True), request.source or "unsubscribe",
            record_voice=not request.suppress_only)
        return pb.RecordOptOutResponse(recorded=recorded)

    async def ListProspects(self, request: pb.ListProspectsRequest,
                            context: grpc.aio.ServicerContext) -> pb.ListProspectsResponse:
        views, token = await self._service.list_prospects(request.workspace_id, request.campaign_id,
                                                          request.page_size, request.page_token,
                                                          list(request.prospect_ids) or None)
        return pb.ListProspectsResponse(next_page_token=token, prospects=[pb.ProspectView(
            id=v.prospect.id, prospect=_prospect_pb(v.prospect.data),
            state=v.plan.state if v.plan else "enrolling", current_step=v.plan.step_index if v.plan else 0,
            next_action_at=to_timestamp(v.plan.next_action_at) if v.plan else None,
            why_not_now=v.plan.why_not_now if v.plan else ["enrolling"],
            out_of_office_until=to_timestamp(v.plan.out_of_office_until) if v.plan else None,
            history=[pb.ProspectAttempt(step_index=a.step_index, action_type=a.action_type, status=a.status,
                                        outcome=a.outcome, note=a.note, started_at=to_timestamp(a.started_at),
                                        finished_at=to_timestamp(a.finished_at))
                     for a in (v.plan.history if v.plan else ())]) for v in views])

    async def GetCampaign(self, request: pb.GetCampaignRequest,
                          context: grpc.aio.ServicerContext) -> pb.GetCampaignResponse:
        return pb.GetCampaignResponse(campaign=self._pb(
            await self._service.get(request.workspace_id, request.campaign_id)))

    async def GetWarmupProgress(self, request: pb.GetWarmupProgressRequest,
                                context: grpc.aio.ServicerContext) -> pb.GetWarmupProgressResponse:
        p = await self._service.warmup_progress(request.workspace_id, request.campaign_id)
        return pb.GetWarmupProgressResponse(inbox_id=p.inbox_id, ramp_day=p.ramp_day, limit_today=p.limit_today,
                                            sent_today=p.sent_today, sent_total=p.sent_total, queued=p.queued,
                                            pool_size=p.pool_size)

    async def ListCampaigns(self, request: pb.ListCampaignsRequest,
                            context: grpc.aio.ServicerContext) -> pb.ListCampaignsResponse:
        campaigns, token = await self._service.list(request.workspace_id, request.page_size, request.page_token)
        return pb.ListCampaignsResponse(campaigns=[self._pb(c) for c in campaigns], next_page_token=token)

    async def ActivateCampaign(self, request: pb.ActivateCampaignRequest,
                               context: grpc.aio.ServicerContext) -> pb.ActivateCampaignResponse:
        change = await self._service.activate(request.workspace_id, request.campaign_id,
                                              actor_from_pb(request.actor))
        return pb.ActivateCampaignResponse(**self._change(change))

    async def PauseCampaign(self, request: pb.PauseCampaignRequest,
                            context: grpc.aio.ServicerContext) -> pb.PauseCampaignResponse:
        change = await self._service.pause(request.workspace_id, request.campaign_id,
                                           actor_from_pb(request.actor))
        return pb.PauseCampaignResponse(**self._change(change))

    async def ResumeCampaign(self, request: pb.ResumeCampaignRequest,
                             context: grpc.aio.ServicerContext) -> pb.ResumeCampaignResponse:
        change, next_sends = await self._service.resume(request.workspace_id, request.campaign_id,
                                                        actor_from_pb(request.actor),
                                                        when_unblocked=request.when_unblocked)
        return pb.ResumeCampaignResponse(**self._change(change), next_sends=[
            pb.NextSend(channel=from_word(types_pb2.Channel, channel), planned_at=to_timestamp(at))
            for channel, at in sorted(next_sends.items())], waiting_for=[
            pb.WaitingGate(reason=from_word(types_pb2.PauseReason, g.reason), gate=g.gate, message=g.message,
                           action=g.action) for g in change.waiting])

    async def ApplyHealthEvent(self, request: pb.ApplyHealthEventRequest,
                               context: grpc.aio.ServicerContext) -> pb.ApplyHealthEventResponse:
        effect = await self._service.health.apply(health_change(request.event))
        return pb.ApplyHealthEventResponse(applied=effect.applied, campaigns_paused=effect.paused,
                                           campaigns_resumed=effect.resumed)

    async def ApplyFailureRateSignal(self, request: pb.ApplyFailureRateSignalRequest,
                                     context: grpc.aio.ServicerContext) -> pb.ApplyFailureRateSignalResponse:
        detail = f"{request.failure_rate:.0%} of the last {request.sample_size} sends failed"
        order = request.window_end.seconds * 1000 + request.window_end.nanos // 1_000_000
        effect = await self._service.health.failure_signal(request.event_id, request.sender_id,
                                                           request.above_threshold, order, detail)
        return pb.ApplyFailureRateSignalResponse(applied=effect.applied)

    async def ApplyBounceRateSignal(self, request: pb.ApplyBounceRateSignalRequest,
                                    context: grpc.aio.ServicerContext) -> pb.ApplyBounceRateSignalResponse:
        detail = f"{request.bounce_rate:.0%} of the last {request.sample_size} emails bounced ({request.bounces})"
        order = request.window_end.seconds * 1000 + request.window_end.nanos // 1_000_000
        effect = await self._service.health.failure_signal(
            request.event_id, request.inbox_id, request.above_threshold, order, detail,
            reason="email_high_bounce_rate", channel="email", source="bounce_detector")
        return pb.ApplyBounceRateSignalResponse(applied=effect.applied)

    async def GetPauseHistory(self, request: pb.GetPauseHistoryRequest,
                              context: grpc.aio.ServicerContext) -> pb.GetPauseHistoryResponse:
        entries, token = await self._service.history(request.workspace_id, request.campaign_id,
                                                     request.page_size, request.page_token)
        return pb.GetPauseHistoryResponse(entries=[history_pb(e) for e in entries], next_page_token=token)


def _suppression_pb(s: Suppression) -> pb.Suppression:
    return pb.Suppression(id=s.id, type=s.kind, value=s.value, source=s.source, actor=s.actor,
                          created_at=to_timestamp(s.created_at))


async def start(settings: Settings, stack: AsyncExitStack, clock: Clock | None = None) -> RunningServer:
    pool = await create_pool(settings.database_url, application_name="holdfast-campaigns",
                             max_size=settings.db_pool_max, wait_seconds=settings.db_wait_seconds)
    stack.push_async_callback(pool.close)
    await prepare_schema(pool, "campaigns", MIGRATIONS, apply=settings.migrate_on_start)
    channels = {name: open_channel(target, default_timeout=settings.rpc_timeout_seconds)
                for name, target in (("accounts", settings.accounts_target), ("scheduler", settings.scheduler_target))}
    for channel in channels.values():
        stack.push_async_callback(channel.close)
    scheduler = scheduler_pb2_grpc.SchedulerServiceStub(channels["scheduler"])
    accounts = accounts_pb2_grpc.AccountsServiceStub(channels["accounts"])
    relay = Relay(pool, "campaigns", {
        "scheduler.UpsertCampaignPlan": lambda b: scheduler.UpsertCampaignPlan(
            scheduler_pb2.UpsertCampaignPlanRequest.FromString(b)),
        "scheduler.EnrollProspects": lambda b: scheduler.EnrollProspects(
            scheduler_pb2.EnrollProspectsRequest.FromString(b)),
        "scheduler.SetCampaignHolds": lambda b: scheduler.SetCampaignHolds(
            scheduler_pb2.SetCampaignHoldsRequest.FromString(b), timeout=60),
        "scheduler.SetCampaignHoldsBatch": lambda b: scheduler.SetCampaignHoldsBatch(
            scheduler_pb2.SetCampaignHoldsBatchRequest.FromString(b), timeout=60),
        "scheduler.StartProbation": lambda b: scheduler.StartProbation(
            scheduler_pb2.StartProbationRequest.FromString(b)),
        "scheduler.ApplySuppressions": lambda b: scheduler.ApplySuppressions(
            scheduler_pb2.ApplySuppressionsRequest.FromString(b), timeout=60),
        "scheduler.RecordProspectVoice": lambda b: scheduler.RecordProspectVoice(
            scheduler_pb2.RecordProspectVoiceRequest.FromString(b), timeout=60),
        # Written by a trigger on the pause history (migrations/005_webhook_events.sql), as JSON.
        RECORD_WEBHOOK_EVENT: lambda b: accounts.RecordWebhookEvent(webhook_event_request(b)),
    })
    await relay.start()
    stack.push_async_callback(relay.stop)
    service = CampaignsService(
        Repository(pool), clock or SystemClock(), events=ProtoEvents(), outbox=relay,
        scheduler=SchedulerClient(scheduler),
        directory=AccountsDirectory(accounts_pb2_grpc.AccountsServiceStub(channels["accounts"])),
        auto_resume_cooldown=timedelta(seconds=settings.auto_resume_cooldown_seconds),
        probation=timedelta(seconds=settings.probation_seconds))
    if settings.sweeper_enabled:
        sweeper = asyncio.create_task(run_loop("sweeper", settings.sweep_seconds, service.health.sweep_once,
                                               idle_only=False))
        stack.push_async_callback(cancel, sweeper)
    servicer = CampaignsServicer(service)
    running = await start_server(settings.grpc_listen, [Registration(
        pb.DESCRIPTOR.services_by_name["CampaignsService"].full_name,
        lambda server: pb_grpc.add_CampaignsServiceServicer_to_server(servicer, server),
    )])
    stack.push_async_callback(running.stop, settings.shutdown_grace_seconds)
    return running
