"""gRPC edge of the scheduler service: the servicer and its protobuf <-> domain mapping, nothing else (outbound
clients in clients.py, wiring and background loops in main.py)."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import datetime

import grpc

from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2 as pb
from holdfast.scheduler.v1 import scheduler_pb2_grpc as pb_grpc
from services.common import attempts
from services.common.errors import InvalidArgument, NotImplementedYet
from services.common.grpc_server import Registration
from services.common.ids import parse_uuid
from services.common.proto_enums import from_word, to_word
from services.common.proto_time import from_timestamp, to_timestamp
from services.common.records import Bounce
from services.common.timemath import Schedule, ScheduleError
from services.scheduler.bounce_rate import BounceRateMonitor
from services.scheduler.dispatcher import Dispatcher
from services.scheduler.domain import CampaignPlan, Limits, Step
from services.scheduler.email_replies import EmailReplies
from services.scheduler.linkedin_replies import LinkedInReplies
from services.scheduler.plan_rows_repository import Enrollee
from services.scheduler.service import SchedulerService
from services.scheduler.stats import Stats
from services.scheduler.voice_server import VoiceRpcs
from services.scheduler.voices import ProspectVoices, shown_state
from services.scheduler.warmup import WarmupFeeder

# A UUID as str(uuid.UUID(x)) writes it: such an id is taken as it is (parse_uuid would give it back unchanged).
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def _limits(items: list[types_pb2.SendingLimit]) -> dict[str, Limits]:
    return {
        to_word(types_pb2.ActionType, x.action_type) or "": Limits(
            x.daily_cap, x.weekly_cap, x.ramp_start, x.ramp_step, x.pacing_min_seconds, x.pacing_max_seconds
        )
        for x in items
    }


def _plan(request: pb.UpsertCampaignPlanRequest) -> CampaignPlan:
    try:
        schedule = Schedule.parse(
            list(request.days),
            request.window_start,
            request.window_end,
            request.timezone,
            request.randomize_within_window,
        )
    except ScheduleError as exc:
        raise InvalidArgument(exc.message, field=exc.field) from None
    return CampaignPlan(
        campaign_id=parse_uuid(request.campaign_id, "campaign_id"),
        workspace_id=parse_uuid(request.workspace_id, "workspace_id"),
        version=request.version,
        schedule=schedule,
        active=request.active,
        linkedin_account_ids=tuple(request.linkedin_account_ids),
        inbox_ids=tuple(request.inbox_ids),
        steps=tuple(
            Step(
                s.index,
                to_word(types_pb2.Channel, s.channel) or "",
                to_word(types_pb2.ActionType, s.action_type) or "",
                s.delay_hours,
                s.text,
                s.subject,
                s.body,
            )
            for s in request.steps
        ),
        warmup=request.warmup,
        stop_on_reply=_stop_on_reply(request.stop_on_reply),
    )


def _next_sends(next_sends: dict[str, datetime]) -> list[pb.NextChannelSend]:
    return [
        pb.NextChannelSend(channel=from_word(types_pb2.Channel, c), planned_at=to_timestamp(at))
        for c, at in sorted(next_sends.items())
    ]


def _stop_on_reply(value: str) -> str:
    if value not in ("", "prospect", "company"):
        raise InvalidArgument("stop_on_reply must be prospect or company", field="stop_on_reply")
    return value or "prospect"


class SchedulerServicer(VoiceRpcs, pb_grpc.SchedulerServiceServicer):
    def __init__(
        self,
        service: SchedulerService,
        dispatcher: Dispatcher,
        warmups: WarmupFeeder,
        bounce_rates: BounceRateMonitor | None = None,
        voices: ProspectVoices | None = None,
        linkedin_replies: LinkedInReplies | None = None,
        email_replies: EmailReplies | None = None,
        stats: Stats | None = None,
    ):
        self._service = service
        self._stats = stats or Stats(service.repository, service.clock)
        self._voices = voices or ProspectVoices(service.repository, service.clock)
        self._linkedin_replies = linkedin_replies or LinkedInReplies(
            service.repository, None, self._voices, service.clock
        )
        self._email_replies = email_replies or EmailReplies(service.repository, self._voices)
        self._dispatcher = dispatcher
        self._warmups = warmups
        self._bounce_rates = bounce_rates

    async def UpsertCampaignPlan(
        self, request: pb.UpsertCampaignPlanRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpsertCampaignPlanResponse:
        plan = _plan(request)
        applied, replanned = await self._service.upsert_plan(plan)
        if applied and plan.warmup and plan.active:
            await self._warmups.feed_once(plan.campaign_id)  # its first emails are queued now, not next round
        return pb.UpsertCampaignPlanResponse(applied=applied, replanned=replanned)

    async def PreviewPlanChange(
        self, request: pb.PreviewPlanChangeRequest, context: grpc.aio.ServicerContext
    ) -> pb.PreviewPlanChangeResponse:
        moves = await self._service.preview_plan_change(_plan(request.plan))
        limit = request.limit if request.limit > 0 else 50
        return pb.PreviewPlanChangeResponse(
            moved=len(moves),
            moves=[
                pb.PlannedMove(
                    prospect_id=m.prospect_id,
                    step_index=m.step_index,
                    to=to_timestamp(m.after),
                    **{"from": to_timestamp(m.before)},
                )
                for m in moves[:limit]
            ],
        )

    async def GetCampaignProgress(
        self, request: pb.GetCampaignProgressRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCampaignProgressResponse:
        ids = [parse_uuid(c, f"campaign_ids.{i}") for i, c in enumerate(request.campaign_ids)]
        found = await self._service.progress(ids)
        return pb.GetCampaignProgressResponse(
            campaigns=[
                pb.CampaignProgress(campaign_id=c, enrolled=e, unfinished=u) for c, (e, u) in sorted(found.items())
            ]
        )

    async def EnrollProspects(
        self, request: pb.EnrollProspectsRequest, context: grpc.aio.ServicerContext
    ) -> pb.EnrollProspectsResponse:
        enrolled = await self._service.enroll(
            parse_uuid(request.campaign_id, "campaign_id"),
            [
                Enrollee(
                    # Campaigns writes ids in canonical form: checked by one regex match, parsed only if not.
                    p.prospect_id if _CANONICAL_UUID.match(p.prospect_id) else parse_uuid(p.prospect_id, "prospect_id"),
                    p.linkedin_provider_id or None,
                    p.email or None,
                    p.first_name,
                    p.last_name,
                    p.company,
                    # dict(map) goes through the map's Python-level mapping methods: twice the cost of its items.
                    dict(p.fields.items()) if p.fields else {},
                    p.linkedin_public_identifier or None,
                )
                for p in request.prospects
            ],
        )
        return pb.EnrollProspectsResponse(enrolled=enrolled)

    async def SetCampaignHolds(
        self, request: pb.SetCampaignHoldsRequest, context: grpc.aio.ServicerContext
    ) -> pb.SetCampaignHoldsResponse:
        scopes = sorted({to_word(types_pb2.Scope, s) or "" for s in request.held_scopes} - {""})
        caused_at = from_timestamp(request.caused_at) if request.HasField("caused_at") else None
        applied, _ = await self._service.set_holds(
            parse_uuid(request.campaign_id, "campaign_id"), request.version, scopes, caused_at
        )
        return pb.SetCampaignHoldsResponse(applied=applied)

    async def SetCampaignHoldsBatch(
        self, request: pb.SetCampaignHoldsBatchRequest, context: grpc.aio.ServicerContext
    ) -> pb.SetCampaignHoldsBatchResponse:
        # Thousands of holds per call (B4): the scopes and the cause time, alike across a batch, are converted once,
        # and an id already in canonical form is taken as it is (parse_uuid would give it back unchanged; it still
        # checks and names any other).
        words: dict[tuple[int, ...], list[str]] = {}
        times: dict[tuple[int, int], datetime] = {}
        holds = []
        canonical = _CANONICAL_UUID.match
        for h in request.holds:
            codes = tuple(h.held_scopes)
            scopes = words.get(codes)
            if scopes is None:
                scopes = words[codes] = sorted({to_word(types_pb2.Scope, s) or "" for s in codes} - {""})
            caused_at: datetime | None = None
            if h.HasField("caused_at"):
                ts = h.caused_at
                key = (ts.seconds, ts.nanos)
                caused_at = times.get(key)
                if caused_at is None:
                    caused_at = times[key] = from_timestamp(ts)
            campaign_id = h.campaign_id
            if not canonical(campaign_id):
                campaign_id = parse_uuid(campaign_id, "holds.campaign_id")
            holds.append((campaign_id, h.version, scopes, caused_at))
        applied, _ = await self._service.set_holds_many(holds)
        return pb.SetCampaignHoldsBatchResponse(applied=applied)

    async def SetSenderState(
        self, request: pb.SetSenderStateRequest, context: grpc.aio.ServicerContext
    ) -> pb.SetSenderStateResponse:
        applied = await self._service.set_sender(
            to_word(types_pb2.SenderKind, request.kind) or "",
            parse_uuid(request.sender_id, "sender_id"),
            request.version,
            to_word(types_pb2.SenderStatus, request.status) or "connected",
            request.timezone,
            request.workspace_id or None,
            request.unipile_account_id,
            request.email,
            _limits(list(request.limits)),
            credentials_renewed=request.credentials_renewed,
        )
        return pb.SetSenderStateResponse(applied=applied)

    async def GetNextSends(
        self, request: pb.GetNextSendsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetNextSendsResponse:
        next_sends = await self._service.next_sends(parse_uuid(request.campaign_id, "campaign_id"))
        return pb.GetNextSendsResponse(next_sends=_next_sends(next_sends))

    async def ReclampOnResume(
        self, request: pb.ReclampOnResumeRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReclampOnResumeResponse:
        """Deprecated (GetNextSends): kept for callers built against the older contract."""
        campaign_id = parse_uuid(request.campaign_id, "campaign_id")
        channels = sorted({to_word(types_pb2.Scope, s) or "" for s in request.scopes} - {""})
        replanned = await self._service.reclamp(campaign_id, channels) if channels else 0
        next_sends = await self._service.next_sends(campaign_id)
        return pb.ReclampOnResumeResponse(replanned=replanned, next_sends=_next_sends(next_sends))

    async def GetResumePreview(
        self, request: pb.GetResumePreviewRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetResumePreviewResponse:
        campaign_id = parse_uuid(request.campaign_id, "campaign_id")
        preview = await self._service.preview(campaign_id)
        left_out = await self._voices.left_out(campaign_id)
        return pb.GetResumePreviewResponse(
            left_out=[pb.LeftOut(reason=r, count=n) for r, n in sorted(left_out.items())],
            overdue=preview.overdue,
            days=[
                pb.DayCount(date=d.isoformat(), channel=from_word(types_pb2.Channel, c), count=n)
                for d, c, n in preview.days
            ],
            first_at=to_timestamp(preview.first_at),
            last_at=to_timestamp(preview.last_at),
        )

    async def ListProspectPlans(
        self, request: pb.ListProspectPlansRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListProspectPlansResponse:
        views = await self._service.list_plans(
            parse_uuid(request.campaign_id, "campaign_id"),
            [parse_uuid(p, "prospect_ids") for p in request.prospect_ids],
        )
        now = self._service.clock.now()
        return pb.ListProspectPlansResponse(
            plans=[
                pb.ProspectPlan(
                    prospect_id=v.plan.prospect_id,
                    step_index=v.plan.step_index,
                    state=shown_state(v.plan.state, v.plan.voice, v.plan.parked_until, now),
                    next_action_at=to_timestamp(v.plan.next_action_at),
                    why_not_now=v.why_not_now,
                    out_of_office_until=to_timestamp(
                        v.plan.parked_until
                        if v.plan.voice == "out_of_office" and v.plan.parked_until and v.plan.parked_until > now
                        else None
                    ),
                    history=[pb.AttemptRecord(**attempts.proto_fields(a)) for a in v.history],
                )
                for v in views
            ]
        )

    async def RecordInviteAccepted(
        self, request: pb.RecordInviteAcceptedRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordInviteAcceptedResponse:
        seen = from_timestamp(request.seen_at) if request.HasField("seen_at") else None
        advanced = await self._dispatcher.invite_accepted(request.unipile_account_id, request.provider_id, seen)
        return pb.RecordInviteAcceptedResponse(prospects_advanced=advanced)

    async def GetActiveChannels(
        self, request: pb.GetActiveChannelsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetActiveChannelsResponse:
        # Thousands of campaigns per call (B4, an account's campaigns): canonical ids taken as they are, each set of
        # channels converted once, the answer built in place.
        canonical = _CANONICAL_UUID.match
        ids = [c if canonical(c) else parse_uuid(c, "campaign_ids") for c in request.campaign_ids]
        found = await self._service.active_channels(ids)
        reply = pb.GetActiveChannelsResponse()
        add = reply.campaigns.add
        codes: dict[tuple[str, ...], list[int]] = {}
        for c in ids:
            channels = tuple(found[c])
            code = codes.get(channels)
            if code is None:
                code = codes[channels] = [from_word(types_pb2.Channel, ch) for ch in channels]
            add(campaign_id=c, channels=code)
        return reply

    async def GetCampaignsActiveOnChannel(
        self, request: pb.GetCampaignsActiveOnChannelRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCampaignsActiveOnChannelResponse:
        # A sender's thousands of campaigns (B4): the answer is one list of ids, filled in one call.
        channel = to_word(types_pb2.Channel, request.channel) or ""
        canonical = _CANONICAL_UUID.match
        ids = [c if canonical(c) else parse_uuid(c, "campaign_ids") for c in request.campaign_ids]
        reply = pb.GetCampaignsActiveOnChannelResponse()
        reply.campaign_ids.extend(await self._service.active_on_channel(ids, channel))
        return reply

    async def GetWarmupProgress(
        self, request: pb.GetWarmupProgressRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetWarmupProgressResponse:
        p = await self._warmups.progress(parse_uuid(request.campaign_id, "campaign_id"))
        # The record's fields are the message's, by name (common.records.WarmupProgress).
        return pb.GetWarmupProgressResponse(**asdict(p))

    async def GetSenderStats(
        self, request: pb.GetSenderStatsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetSenderStatsResponse:
        got = await self._stats.sender(parse_uuid(request.sender_id, "sender_id", missing_is_not_found=True))
        return pb.GetSenderStatsResponse(
            sent_today=got.sent_today,
            sent_last_7_days=got.sent_last_7_days,
            ramp_day=got.ramp_day,
            failure_rate=got.failure_rate,
            failure_sample=got.failure_sample,
        )

    async def GetCampaignStats(
        self, request: pb.GetCampaignStatsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCampaignStatsResponse:
        got = await self._stats.campaign(parse_uuid(request.campaign_id, "campaign_id", missing_is_not_found=True))
        return pb.GetCampaignStatsResponse(
            enrolled=got.enrolled,
            finished=got.finished,
            stopped=got.stopped,
            replied=got.replied,
            out_of_office=got.out_of_office,
            opted_out=got.opted_out,
            steps=[
                pb.StepStats(
                    step_index=t.step_index,
                    reached=t.reached,
                    sent=t.sent,
                    failed=t.failed,
                    bounced=t.bounced,
                    accepted=t.accepted,
                )
                for t in got.steps
            ],
            days=[pb.DayStats(date=d.date, sent=d.sent, failed=d.failed, bounced=d.bounced) for d in got.days],
        )

    async def StartProbation(
        self, request: pb.StartProbationRequest, context: grpc.aio.ServicerContext
    ) -> pb.StartProbationResponse:
        if not request.HasField("until"):
            raise InvalidArgument("until is required", field="until")
        applied = await self._service.start_probation(
            parse_uuid(request.event_id, "event_id"),
            [parse_uuid(s, "sender_ids") for s in request.sender_ids],
            from_timestamp(request.until),
        )
        return pb.StartProbationResponse(applied=applied)

    async def RecordBounces(
        self, request: pb.RecordBouncesRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordBouncesResponse:
        inbox_id = parse_uuid(request.inbox_id, "inbox_id")
        if self._bounce_rates is None:
            raise NotImplementedYet("bounces are not recorded by this scheduler")
        recorded = await self._bounce_rates.record(
            inbox_id,
            [
                Bounce(
                    message_id=b.message_id,
                    recipient=b.recipient,
                    status=b.status,
                    diagnostic=b.diagnostic,
                    received_at=from_timestamp(b.received_at),
                    original_recipient=b.original_recipient,
                )
                for b in request.bounces
            ],
        )
        return pb.RecordBouncesResponse(recorded=recorded)


def registration(servicer: SchedulerServicer) -> Registration:
    """The servicer as the gRPC server registers it."""
    return Registration(
        pb.DESCRIPTOR.services_by_name["SchedulerService"].full_name,
        lambda server: pb_grpc.add_SchedulerServiceServicer_to_server(servicer, server),
    )
