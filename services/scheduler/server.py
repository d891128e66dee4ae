"""gRPC edge of the scheduler service: protobuf <-> domain, and the wiring of its background work."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import aiohttp
import grpc

from holdfast.accounts.v1 import accounts_pb2, accounts_pb2_grpc
from holdfast.campaigns.v1 import campaigns_pb2, campaigns_pb2_grpc
from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2 as pb
from holdfast.scheduler.v1 import scheduler_pb2_grpc as pb_grpc
from services.common.clock import Clock, SystemClock
from services.common.db import create_pool
from services.common.errors import InvalidArgument, NotImplementedYet
from services.common.grpc_client import open_channel
from services.common.grpc_server import Registration, RunningServer, start_server
from services.common.ids import parse_uuid
from services.common.loops import cancel, run_loop
from services.common.outbox import Relay
from services.common.proto_enums import from_word, to_word
from services.common.proto_time import from_timestamp, to_timestamp
from services.common.providers.smtp import SmtpSettings
from services.common.providers.unipile import UnipileClient
from services.common.service_main import prepare_schema
from services.common.timemath import Schedule, ScheduleError
from services.common.webhook_relay import RECORD_WEBHOOK_EVENT, webhook_event_request
from services.scheduler.bounce_rate import Bounce, BouncePolicy, BounceRateMonitor, BounceSignal
from services.scheduler.config import Settings
from services.scheduler.dispatcher import Dispatcher
from services.scheduler.domain import AccountFailure, CampaignPlan, Event, FailurePolicy, FailureSignal, Limits, Step
from services.scheduler.failure_rate import FailureRateMonitor
from services.scheduler.providers import Providers
from services.scheduler.repository import Enrollee, Repository
from services.scheduler.service import SchedulerService
from services.scheduler.warmup import WarmupFeeder

MIGRATIONS = Path(__file__).parent / "migrations"


def _limits(items: list[types_pb2.SendingLimit]) -> dict[str, Limits]:
    return {to_word(types_pb2.ActionType, x.action_type) or "": Limits(
        x.daily_cap, x.weekly_cap, x.ramp_start, x.ramp_step, x.pacing_min_seconds, x.pacing_max_seconds)
        for x in items}


def _plan(request: pb.UpsertCampaignPlanRequest) -> CampaignPlan:
    try:
        schedule = Schedule.parse(list(request.days), request.window_start, request.window_end, request.timezone,
                                  request.randomize_within_window)
    except ScheduleError as exc:
        raise InvalidArgument(exc.message, field=exc.field) from None
    return CampaignPlan(
        campaign_id=parse_uuid(request.campaign_id, "campaign_id"),
        workspace_id=parse_uuid(request.workspace_id, "workspace_id"), version=request.version, schedule=schedule,
        active=request.active, linkedin_account_ids=tuple(request.linkedin_account_ids),
        inbox_ids=tuple(request.inbox_ids),
        steps=tuple(Step(s.index, to_word(types_pb2.Channel, s.channel) or "",
                         to_word(types_pb2.ActionType, s.action_type) or "", s.delay_hours, s.text, s.subject, s.body)
                    for s in request.steps),
        warmup=request.warmup)


class ProtoEvents:
    """Scheduler facts as other services' requests, for the outbox."""

    def failure_rate(self, signal: FailureSignal) -> Event:
        request = campaigns_pb2.ApplyFailureRateSignalRequest(
            event_id=signal.event_id, sender_kind=from_word(types_pb2.SenderKind, signal.sender_kind),
            sender_id=signal.sender_id, above_threshold=signal.above, failure_rate=signal.rate,
            sample_size=signal.sample, window_end=to_timestamp(signal.window_end))
        # In order per sender: an "above" and the "below" after it must not swap.
        return "campaigns.ApplyFailureRateSignal", signal.sender_id, request.SerializeToString()

    def bounce_rate(self, signal: BounceSignal) -> Event:
        request = campaigns_pb2.ApplyBounceRateSignalRequest(
            event_id=signal.event_id, inbox_id=signal.inbox_id, above_threshold=signal.above,
            bounce_rate=signal.rate, sample_size=signal.sample, bounces=signal.bounces,
            window_end=to_timestamp(signal.window_end))
        # The inbox's key, like its failure-rate signals: an "above" and the "below" after it never swap.
        return "campaigns.ApplyBounceRateSignal", signal.inbox_id, request.SerializeToString()

    def account_failure(self, failure: AccountFailure) -> Event:
        request = accounts_pb2.ReportAccountFailureRequest(
            sender_kind=from_word(types_pb2.SenderKind, failure.sender_kind), sender_id=failure.sender_id,
            status=from_word(types_pb2.SenderStatus, failure.status), restriction_kind=failure.restriction_kind,
            detail=failure.detail[:500], attempt_id=failure.attempt_id)
        # Its own ordering key: a receiver that is down (campaigns) must not hold up accounts' reports.
        return "accounts.ReportAccountFailure", f"accounts:{failure.sender_id}", request.SerializeToString()


class SchedulerServicer(pb_grpc.SchedulerServiceServicer):
    def __init__(self, service: SchedulerService, dispatcher: Dispatcher, warmups: WarmupFeeder,
                 bounce_rates: BounceRateMonitor | None = None):
        self._service = service
        self._dispatcher = dispatcher
        self._warmups = warmups
        self._bounce_rates = bounce_rates

    async def UpsertCampaignPlan(self, request: pb.UpsertCampaignPlanRequest,
                                 context: grpc.aio.ServicerContext) -> pb.UpsertCampaignPlanResponse:
        plan = _plan(request)
        applied, replanned = await self._service.upsert_plan(plan)
        if applied and plan.warmup and plan.active:
            await self._warmups.feed_once(plan.campaign_id)  # its first emails are queued now, not next round
        return pb.UpsertCampaignPlanResponse(applied=applied, replanned=replanned)

    async def EnrollProspects(self, request: pb.EnrollProspectsRequest,
                              context: grpc.aio.ServicerContext) -> pb.EnrollProspectsResponse:
        enrolled = await self._service.enroll(parse_uuid(request.campaign_id, "campaign_id"), [Enrollee(
            prospect_id=parse_uuid(p.prospect_id, "prospect_id"), linkedin_provider_id=p.linkedin_provider_id or None,
            email=p.email or None, first_name=p.first_name, last_name=p.last_name, company=p.company,
            fields=dict(p.fields)) for p in request.prospects])
        return pb.EnrollProspectsResponse(enrolled=enrolled)

    async def SetCampaignHolds(self, request: pb.SetCampaignHoldsRequest,
                               context: grpc.aio.ServicerContext) -> pb.SetCampaignHoldsResponse:
        scopes = sorted({to_word(types_pb2.Scope, s) or "" for s in request.held_scopes} - {""})
        caused_at = from_timestamp(request.caused_at) if request.HasField("caused_at") else None
        applied, _ = await self._service.set_holds(parse_uuid(request.campaign_id, "campaign_id"), request.version,
                                                   scopes, caused_at)
        return pb.SetCampaignHoldsResponse(applied=applied)

    async def SetCampaignHoldsBatch(self, request: pb.SetCampaignHoldsBatchRequest,
                                    context: grpc.aio.ServicerContext) -> pb.SetCampaignHoldsBatchResponse:
        holds = [(parse_uuid(h.campaign_id, "holds.campaign_id"), h.version,
                  sorted({to_word(types_pb2.Scope, s) or "" for s in h.held_scopes} - {""}),
                  from_timestamp(h.caused_at) if h.HasField("caused_at") else None) for h in request.holds]
        applied, _ = await self._service.set_holds_many(holds)
        return pb.SetCampaignHoldsBatchResponse(applied=applied)

    async def SetSenderState(self, request: pb.SetSenderStateRequest,
                             context: grpc.aio.ServicerContext) -> pb.SetSenderStateResponse:
        applied = await self._service.set_sender(
            to_word(types_pb2.SenderKind, request.kind) or "", parse_uuid(request.sender_id, "sender_id"),
            request.version, to_word(types_pb2.SenderStatus, request.status) or "connected", request.timezone,
            request.workspace_id or None, request.unipile_account_id, request.email, _limits(list(request.limits)))
        return pb.SetSenderStateResponse(applied=applied)

    async def ReclampOnResume(self, request: pb.ReclampOnResumeRequest,
                              context: grpc.aio.ServicerContext) -> pb.ReclampOnResumeResponse:
        campaign_id = parse_uuid(request.campaign_id, "campaign_id")
        channels = sorted({to_word(types_pb2.Scope, s) or "" for s in request.scopes} - {""})
        replanned = await self._service.reclamp(campaign_id, channels) if channels else 0
        next_sends = await self._service.next_sends(campaign_id)
        return pb.ReclampOnResumeResponse(replanned=replanned, next_sends=[
            pb.NextChannelSend(channel=from_word(types_pb2.Channel, c), planned_at=to_timestamp(at))
            for c, at in sorted(next_sends.items())])

    async def GetResumePreview(self, request: pb.GetResumePreviewRequest,
                               context: grpc.aio.ServicerContext) -> pb.GetResumePreviewResponse:
        preview = await self._service.preview(parse_uuid(request.campaign_id, "campaign_id", missing_is_not_found=True))
        return pb.GetResumePreviewResponse(
            overdue=preview.overdue,
            days=[pb.DayCount(date=d.isoformat(), channel=from_word(types_pb2.Channel, c), count=n)
                  for d, c, n in preview.days],
            first_at=to_timestamp(preview.first_at), last_at=to_timestamp(preview.last_at))

    async def ListProspectPlans(self, request: pb.ListProspectPlansRequest,
                                context: grpc.aio.ServicerContext) -> pb.ListProspectPlansResponse:
        views = await self._service.list_plans(parse_uuid(request.campaign_id, "campaign_id"),
                                               [parse_uuid(p, "prospect_ids") for p in request.prospect_ids])
        return pb.ListProspectPlansResponse(plans=[pb.ProspectPlan(
            prospect_id=v.plan.prospect_id, step_index=v.plan.step_index, state=v.plan.state,
            next_action_at=to_timestamp(v.plan.next_action_at), why_not_now=v.why_not_now) for v in views])

    async def RecordInviteAccepted(self, request: pb.RecordInviteAcceptedRequest,
                                   context: grpc.aio.ServicerContext) -> pb.RecordInviteAcceptedResponse:
        seen = from_timestamp(request.seen_at) if request.HasField("seen_at") else None
        advanced = await self._dispatcher.invite_accepted(request.unipile_account_id, request.provider_id, seen)
        return pb.RecordInviteAcceptedResponse(prospects_advanced=advanced)

    async def GetActiveChannels(self, request: pb.GetActiveChannelsRequest,
                                context: grpc.aio.ServicerContext) -> pb.GetActiveChannelsResponse:
        ids = [parse_uuid(c, "campaign_ids") for c in request.campaign_ids]
        found = await self._service.active_channels(ids)
        return pb.GetActiveChannelsResponse(campaigns=[pb.CampaignChannels(
            campaign_id=c, channels=[from_word(types_pb2.Channel, ch) for ch in found[c]]) for c in ids])

    async def GetWarmupProgress(self, request: pb.GetWarmupProgressRequest,
                                context: grpc.aio.ServicerContext) -> pb.GetWarmupProgressResponse:
        p = await self._warmups.progress(parse_uuid(request.campaign_id, "campaign_id", missing_is_not_found=True))
        return pb.GetWarmupProgressResponse(inbox_id=p.inbox_id, ramp_day=p.ramp_day, limit_today=p.limit_today,
                                            sent_today=p.sent_today, sent_total=p.sent_total, queued=p.queued,
                                            pool_size=p.pool_size)

    async def StartProbation(self, request: pb.StartProbationRequest,
                             context: grpc.aio.ServicerContext) -> pb.StartProbationResponse:
        if not request.HasField("until"):
            raise InvalidArgument("until is required", field="until")
        applied = await self._service.start_probation(
            parse_uuid(request.event_id, "event_id"), [parse_uuid(s, "sender_ids") for s in request.sender_ids],
            from_timestamp(request.until))
        return pb.StartProbationResponse(applied=applied)

    async def RecordBounces(self, request: pb.RecordBouncesRequest,
                            context: grpc.aio.ServicerContext) -> pb.RecordBouncesResponse:
        inbox_id = parse_uuid(request.inbox_id, "inbox_id")
        if self._bounce_rates is None:
            raise NotImplementedYet("bounces are not recorded by this scheduler")
        recorded = await self._bounce_rates.record(inbox_id, [Bounce(
            message_id=b.message_id, recipient=b.recipient, status=b.status, diagnostic=b.diagnostic,
            received_at=from_timestamp(b.received_at)) for b in request.bounces])
        return pb.RecordBouncesResponse(recorded=recorded)


async def start(settings: Settings, stack: AsyncExitStack, clock: Clock | None = None) -> RunningServer:
    clock = clock or SystemClock()
    pool = await create_pool(settings.database_url, application_name="holdfast-scheduler",
                             max_size=settings.db_pool_max, wait_seconds=settings.db_wait_seconds)
    stack.push_async_callback(pool.close)
    await prepare_schema(pool, "scheduler", MIGRATIONS, apply=settings.migrate_on_start)
    repository = Repository(pool)

    accounts_channel = open_channel(settings.accounts_target, default_timeout=settings.rpc_timeout_seconds)
    stack.push_async_callback(accounts_channel.close)
    accounts = accounts_pb2_grpc.AccountsServiceStub(accounts_channel)

    async def credentials(inbox_id: str) -> SmtpSettings:
        reply = await accounts.GetSenderCredentials(accounts_pb2.GetSenderCredentialsRequest(
            sender_kind=types_pb2.SENDER_KIND_INBOX, sender_id=inbox_id))
        # An OAuth inbox comes with an access token (and no password): the sender logs in with XOAUTH2.
        return SmtpSettings(host=reply.smtp.host, port=reply.smtp.port, security=reply.smtp.security,
                            username=reply.smtp.username, password=reply.smtp.password,
                            access_token=reply.oauth_access_token)

    campaigns_channel = open_channel(settings.campaigns_target, default_timeout=settings.rpc_timeout_seconds)
    stack.push_async_callback(campaigns_channel.close)
    campaigns = campaigns_pb2_grpc.CampaignsServiceStub(campaigns_channel)
    # Events to campaigns (failure-rate signals) and accounts (account-level failures), retried until taken.
    relay = Relay(pool, "scheduler", {
        "campaigns.ApplyFailureRateSignal": lambda b: campaigns.ApplyFailureRateSignal(
            campaigns_pb2.ApplyFailureRateSignalRequest.FromString(b)),
        "campaigns.ApplyBounceRateSignal": lambda b: campaigns.ApplyBounceRateSignal(
            campaigns_pb2.ApplyBounceRateSignalRequest.FromString(b)),
        "accounts.ReportAccountFailure": lambda b: accounts.ReportAccountFailure(
            accounts_pb2.ReportAccountFailureRequest.FromString(b)),
        # prospect.accepted, written by a trigger on the prospect plans (migrations/008_webhook_events.sql), as JSON.
        RECORD_WEBHOOK_EVENT: lambda b: accounts.RecordWebhookEvent(webhook_event_request(b)),
    })
    await relay.start()
    stack.push_async_callback(relay.stop)
    events = ProtoEvents()
    failure_rates = FailureRateMonitor(repository, clock, events, FailurePolicy(
        window_seconds=settings.failure_window_seconds, threshold=settings.failure_rate_threshold,
        min_sample=settings.failure_min_sample, probation_sample=settings.failure_probation_sample),
        kick=relay.kick)
    bounce_rates = BounceRateMonitor(repository, clock, events.bounce_rate, BouncePolicy(
        window_seconds=settings.bounce_window_seconds, threshold=settings.bounce_rate_threshold,
        min_sample=settings.bounce_min_sample), kick=relay.kick)

    http = aiohttp.ClientSession()
    stack.push_async_callback(http.close)
    unipile = (UnipileClient(settings.unipile_dsn, settings.unipile_api_key, http,
                             timeout_s=settings.provider_timeout_seconds) if settings.unipile_dsn else None)
    stale_after = timedelta(seconds=settings.attempt_stale_seconds)
    providers = Providers(unipile, credentials, timeout_s=settings.provider_timeout_seconds)
    dispatcher = Dispatcher(repository, providers, clock, batch=settings.dispatch_batch,
                            unipile=unipile, stale_after=stale_after,
                            relations_poll=timedelta(seconds=settings.relations_poll_seconds),
                            failure_rates=failure_rates, events=events, kick=relay.kick)
    service = SchedulerService(repository, clock, failure_rates=failure_rates, bounce_rates=bounce_rates,
                               hold_drain_seconds=settings.hold_drain_seconds, stale_after=stale_after)
    warmups = WarmupFeeder(repository, service, clock)
    servicer = SchedulerServicer(service, dispatcher, warmups, bounce_rates)
    running = await start_server(settings.grpc_listen, [Registration(
        pb.DESCRIPTOR.services_by_name["SchedulerService"].full_name,
        lambda server: pb_grpc.add_SchedulerServiceServicer_to_server(servicer, server),
    )])
    if settings.dispatch_enabled:
        reconcile_every = max(settings.attempt_stale_seconds / 4, 1.0)
        for name, interval, step in (("dispatch", settings.dispatch_interval_seconds, dispatcher.run_once),
                                     ("reconcile", reconcile_every, dispatcher.reconcile_once),
                                     ("relations", 60.0, dispatcher.poll_acceptances_once),
                                     ("failure-rate", 60.0, failure_rates.evaluate_failure_rates_once),
                                     ("bounce-rate", 60.0, bounce_rates.evaluate_bounce_rates_once),
                                     ("warmup-feed", settings.warmup_feed_interval_seconds, warmups.feed_once)):
            task = asyncio.create_task(run_loop(name, interval, step), name=f"scheduler-{name}")
            stack.push_async_callback(cancel, task)
    stack.push_async_callback(running.stop, settings.shutdown_grace_seconds)
    return running
