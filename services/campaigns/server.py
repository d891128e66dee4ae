"""gRPC edge of the campaigns service: the servicer, nothing else (its protobuf <-> domain mapping in messages.py,
outbound clients in clients.py, wiring in main.py)."""

from __future__ import annotations

from dataclasses import asdict

import grpc
import structlog

from holdfast.campaigns.v1 import campaigns_pb2 as pb
from holdfast.campaigns.v1 import campaigns_pb2_grpc as pb_grpc
from holdfast.common.v1 import types_pb2
from services.campaigns.clients import health_change
from services.campaigns.domain import (
    Campaign,
    ProspectIn,
    Senders,
)
from services.campaigns.lifecycle import HOLDS_ACK_SECONDS
from services.campaigns.messages import (
    actor_from_pb,
    campaign_pb,
    history_pb,
    prospect_pb,
    schedule_from_pb,
    step_from_pb,
)
from services.campaigns.pause import Change
from services.campaigns.replies_read_repository import Read
from services.campaigns.service import CampaignsService
from services.campaigns.suppression_repository import Suppression
from services.common import attempts, request_ids
from services.common.errors import DomainError, InvalidArgument
from services.common.grpc_errors import status_of
from services.common.grpc_server import Registration
from services.common.ids import parse_uuid
from services.common.proto_enums import from_word, to_word
from services.common.proto_time import to_timestamp

# Reads one GetCampaigns call may carry (the gateway sends at most 64 at a time).
MAX_READS = 500


def _ack_within(context: grpc.aio.ServicerContext) -> float:
    """How long a pause or resume may wait for the scheduler's holds: HOLDS_ACK_SECONDS, but answered a second
    before the caller's deadline, so that the caller hears that the holds are pending rather than a timeout."""
    remaining = context.time_remaining()
    if remaining is None:
        return HOLDS_ACK_SECONDS
    return max(0.1, min(HOLDS_ACK_SECONDS, remaining - 1.0))


class CampaignsServicer(pb_grpc.CampaignsServiceServicer):
    def __init__(self, service: CampaignsService):
        self._service = service

    def _pb(self, campaign: Campaign) -> pb.Campaign:
        return campaign_pb(campaign, self._service.describe(campaign))

    def _change(self, change: Change) -> dict[str, object]:
        return {
            "campaign": self._pb(change.campaign),
            "changed": change.changed,
            "message": change.message,
            "holds_pending": change.holds_pending,
        }

    async def CreateCampaign(
        self, request: pb.CreateCampaignRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateCampaignResponse:
        kind = to_word(pb.CampaignKind, request.kind) or "outreach"
        campaign = await self._service.create(
            request.workspace_id,
            request.name,
            kind,
            schedule_from_pb(request.schedule),
            [step_from_pb(s) for s in request.steps],
            Senders(tuple(request.senders.linkedin_account_ids), tuple(request.senders.inbox_ids)),
            request.stop_on_reply or "prospect",
        )
        return pb.CreateCampaignResponse(campaign=self._pb(campaign))

    async def AddProspects(
        self, request: pb.AddProspectsRequest, context: grpc.aio.ServicerContext
    ) -> pb.AddProspectsResponse:
        result = await self._service.add_prospects(
            request.workspace_id,
            request.campaign_id,
            [
                ProspectIn(
                    p.linkedin_provider_id or None,
                    p.linkedin_public_identifier or None,
                    p.email or None,
                    p.first_name,
                    p.last_name,
                    p.company,
                    # dict(map) goes through the map's Python-level mapping methods: twice the cost of its items.
                    dict(p.fields.items()) if p.fields else {},
                )
                for p in request.prospects
            ],
        )
        answer = pb.AddProspectsResponse(
            added=result.added, already_present=result.already_present, suppressed=result.suppressed
        )
        add = answer.refused.add
        for i, code, message in result.refused:
            add(index=i, code=code, message=message)
        return answer

    async def MarkRepliesRead(
        self, request: pb.MarkRepliesReadRequest, context: grpc.aio.ServicerContext
    ) -> pb.MarkRepliesReadResponse:
        read = await self._service.mark_replies_read(
            request.workspace_id, request.member_id, request.campaign_id, request.replied
        )
        return pb.MarkRepliesReadResponse(read=_read(read))

    async def ListRepliesRead(
        self, request: pb.ListRepliesReadRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListRepliesReadResponse:
        reads = await self._service.replies_read(request.workspace_id, request.member_id)
        return pb.ListRepliesReadResponse(campaigns=[_read(r) for r in reads])

    async def AddSuppressions(
        self, request: pb.AddSuppressionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.AddSuppressionsResponse:
        actor = actor_from_pb(request.actor)
        added = await self._service.suppressions.add(
            parse_uuid(request.workspace_id, "workspace_id"),
            [(e.type, e.value) for e in request.entries],
            request.source or "member",
            actor.member_id or actor.source,
        )
        return pb.AddSuppressionsResponse(
            added=added.added, already_listed=added.already_listed, enforced=added.enforced
        )

    async def ListSuppressions(
        self, request: pb.ListSuppressionsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListSuppressionsResponse:
        rows, token = await self._service.suppressions.page(
            parse_uuid(request.workspace_id, "workspace_id"), request.query, request.page_size, request.page_token
        )
        return pb.ListSuppressionsResponse(suppressions=[_suppression_pb(s) for s in rows], next_page_token=token)

    async def DeleteSuppression(
        self, request: pb.DeleteSuppressionRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteSuppressionResponse:
        gone = await self._service.suppressions.delete(
            parse_uuid(request.workspace_id, "workspace_id"),
            parse_uuid(request.suppression_id, "suppression_id", missing_is_not_found=True),
        )
        return pb.DeleteSuppressionResponse(suppression=_suppression_pb(gone))

    async def RecordOptOut(
        self, request: pb.RecordOptOutRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordOptOutResponse:
        recorded = await self._service.suppressions.opt_out(
            parse_uuid(request.workspace_id, "workspace_id"),
            parse_uuid(request.prospect_id, "prospect_id", missing_is_not_found=True),
            request.source or "unsubscribe",
            record_voice=not request.suppress_only,
        )
        return pb.RecordOptOutResponse(recorded=recorded)

    async def ListProspects(
        self, request: pb.ListProspectsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListProspectsResponse:
        views, token = await self._service.list_prospects(
            request.workspace_id,
            request.campaign_id,
            request.page_size,
            request.page_token,
            list(request.prospect_ids) or None,
        )
        return pb.ListProspectsResponse(
            next_page_token=token,
            prospects=[
                pb.ProspectView(
                    id=v.prospect.id,
                    prospect=prospect_pb(v.prospect.data),
                    state=v.plan.state if v.plan else "enrolling",
                    current_step=v.plan.step_index if v.plan else 0,
                    next_action_at=to_timestamp(v.plan.next_action_at) if v.plan else None,
                    why_not_now=v.plan.why_not_now if v.plan else ["enrolling"],
                    out_of_office_until=to_timestamp(v.plan.out_of_office_until) if v.plan else None,
                    history=[
                        pb.ProspectAttempt(**attempts.proto_fields(a)) for a in (v.plan.history if v.plan else ())
                    ],
                )
                for v in views
            ],
        )

    async def GetCampaign(
        self, request: pb.GetCampaignRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCampaignResponse:
        campaign = await self._service.get(request.workspace_id, request.campaign_id)
        return pb.GetCampaignResponse(campaign=self._pb((await self._service.shown([campaign]))[0]))

    async def GetCampaigns(
        self, request: pb.GetCampaignsRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCampaignsResponse:
        if len(request.reads) > MAX_READS:
            raise InvalidArgument(f"at most {MAX_READS} reads per call", field="reads")
        if request.request_ids:
            structlog.contextvars.bind_contextvars(
                request_ids=",".join(request_ids.accept(r) for r in request.request_ids if r)
            )
        answers = await self._service.get_many([(r.workspace_id, r.campaign_id) for r in request.reads])
        shown = iter(await self._service.shown([a for a in answers if not isinstance(a, DomainError)]))
        return pb.GetCampaignsResponse(
            reads=[
                pb.CampaignRead(error=status_of(a).SerializeToString())
                if isinstance(a, DomainError)
                else pb.CampaignRead(campaign=self._pb(next(shown)))
                for a in answers
            ]
        )

    async def UpdateCampaign(
        self, request: pb.UpdateCampaignRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateCampaignResponse:
        result = await self._service.update(
            request.workspace_id,
            request.campaign_id,
            actor_from_pb(request.actor),
            name=request.name,
            schedule=schedule_from_pb(request.schedule),
            steps=[step_from_pb(s) for s in request.steps],
            senders=Senders(tuple(request.senders.linkedin_account_ids), tuple(request.senders.inbox_ids)),
            stop_on_reply=request.stop_on_reply or "prospect",
            preview=request.preview,
            ack_within=_ack_within(context),
        )
        return pb.UpdateCampaignResponse(
            campaign=self._pb(result.campaign),
            saved=result.saved,
            moved=result.moved,
            changed=result.changed,
            plan_pending=result.plan_pending,
            moves=[
                pb.PlanMove(
                    prospect_id=m.prospect_id,
                    step_index=m.step_index,
                    to=to_timestamp(m.after),
                    **{"from": to_timestamp(m.before)},
                )
                for m in result.moves
            ],
        )

    async def DuplicateCampaign(
        self, request: pb.DuplicateCampaignRequest, context: grpc.aio.ServicerContext
    ) -> pb.DuplicateCampaignResponse:
        copy = await self._service.duplicate(
            request.workspace_id, request.campaign_id, actor_from_pb(request.actor), request.name
        )
        return pb.DuplicateCampaignResponse(campaign=self._pb(copy))

    async def ArchiveCampaign(
        self, request: pb.ArchiveCampaignRequest, context: grpc.aio.ServicerContext
    ) -> pb.ArchiveCampaignResponse:
        change = await self._service.archive(
            request.workspace_id,
            request.campaign_id,
            actor_from_pb(request.actor),
            request.archived,
            ack_within=_ack_within(context),
        )
        return pb.ArchiveCampaignResponse(**self._change(change))

    async def GetWarmupProgress(
        self, request: pb.GetWarmupProgressRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetWarmupProgressResponse:
        p = await self._service.warmup_progress(request.workspace_id, request.campaign_id)
        # The record's fields are the message's, by name (common.records.WarmupProgress).
        return pb.GetWarmupProgressResponse(**asdict(p))

    async def ListCampaigns(
        self, request: pb.ListCampaignsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListCampaignsResponse:
        campaigns, token = await self._service.list(
            request.workspace_id, request.page_size, request.page_token, request.archived
        )
        return pb.ListCampaignsResponse(campaigns=[self._pb(c) for c in campaigns], next_page_token=token)

    async def ActivateCampaign(
        self, request: pb.ActivateCampaignRequest, context: grpc.aio.ServicerContext
    ) -> pb.ActivateCampaignResponse:
        change = await self._service.activate(
            request.workspace_id, request.campaign_id, actor_from_pb(request.actor), ack_within=_ack_within(context)
        )
        return pb.ActivateCampaignResponse(**self._change(change))

    async def PauseCampaign(
        self, request: pb.PauseCampaignRequest, context: grpc.aio.ServicerContext
    ) -> pb.PauseCampaignResponse:
        change = await self._service.pause(
            request.workspace_id, request.campaign_id, actor_from_pb(request.actor), ack_within=_ack_within(context)
        )
        return pb.PauseCampaignResponse(**self._change(change))

    async def ResumeCampaign(
        self, request: pb.ResumeCampaignRequest, context: grpc.aio.ServicerContext
    ) -> pb.ResumeCampaignResponse:
        change, next_sends = await self._service.resume(
            request.workspace_id,
            request.campaign_id,
            actor_from_pb(request.actor),
            when_unblocked=request.when_unblocked,
            ack_within=_ack_within(context),
        )
        return pb.ResumeCampaignResponse(
            **self._change(change),
            next_sends=[
                pb.NextSend(channel=from_word(types_pb2.Channel, channel), planned_at=to_timestamp(at))
                for channel, at in sorted(next_sends.items())
            ],
            waiting_for=[
                pb.WaitingGate(
                    reason=from_word(types_pb2.PauseReason, g.reason), gate=g.gate, message=g.message, action=g.action
                )
                for g in change.waiting
            ],
        )

    async def ApplyHealthEvent(
        self, request: pb.ApplyHealthEventRequest, context: grpc.aio.ServicerContext
    ) -> pb.ApplyHealthEventResponse:
        effect = await self._service.health.apply(health_change(request.event))
        return pb.ApplyHealthEventResponse(
            applied=effect.applied, campaigns_paused=effect.paused, campaigns_resumed=effect.resumed
        )

    async def ApplyFailureRateSignal(
        self, request: pb.ApplyFailureRateSignalRequest, context: grpc.aio.ServicerContext
    ) -> pb.ApplyFailureRateSignalResponse:
        detail = f"{request.failure_rate:.0%} of the last {request.sample_size} sends failed"
        order = request.window_end.seconds * 1000 + request.window_end.nanos // 1_000_000
        effect = await self._service.health.failure_signal(
            request.event_id, request.sender_id, request.above_threshold, order, detail
        )
        return pb.ApplyFailureRateSignalResponse(applied=effect.applied)

    async def ApplyBounceRateSignal(
        self, request: pb.ApplyBounceRateSignalRequest, context: grpc.aio.ServicerContext
    ) -> pb.ApplyBounceRateSignalResponse:
        detail = f"{request.bounce_rate:.0%} of the last {request.sample_size} emails bounced ({request.bounces})"
        order = request.window_end.seconds * 1000 + request.window_end.nanos // 1_000_000
        effect = await self._service.health.failure_signal(
            request.event_id,
            request.inbox_id,
            request.above_threshold,
            order,
            detail,
            reason="email_high_bounce_rate",
            channel="email",
            source="bounce_detector",
        )
        return pb.ApplyBounceRateSignalResponse(applied=effect.applied)

    async def ApplyProspectProgress(
        self, request: pb.ApplyProspectProgressRequest, context: grpc.aio.ServicerContext
    ) -> pb.ApplyProspectProgressResponse:
        """Only "back_in_sequence" is sent today: a stopped prospect is back, so the gate check runs (issue 15).
        Idempotent: a redelivery finds the reasons already there."""
        if request.outcome != "back_in_sequence":
            return pb.ApplyProspectProgressResponse(applied=False)
        await self._service.prospect_back(request.campaign_id)
        return pb.ApplyProspectProgressResponse(applied=True)

    async def GetPauseHistory(
        self, request: pb.GetPauseHistoryRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetPauseHistoryResponse:
        entries, token = await self._service.history(
            request.workspace_id, request.campaign_id, request.page_size, request.page_token
        )
        return pb.GetPauseHistoryResponse(entries=[history_pb(e) for e in entries], next_page_token=token)


def _suppression_pb(s: Suppression) -> pb.Suppression:
    return pb.Suppression(
        id=s.id, type=s.kind, value=s.value, source=s.source, actor=s.actor, created_at=to_timestamp(s.created_at)
    )


def registration(servicer: CampaignsServicer) -> Registration:
    """The servicer as the gRPC server registers it."""
    return Registration(
        pb.DESCRIPTOR.services_by_name["CampaignsService"].full_name,
        lambda server: pb_grpc.add_CampaignsServiceServicer_to_server(servicer, server),
    )


def _read(r: Read) -> pb.RepliesRead:
    return pb.RepliesRead(campaign_id=r.campaign_id, replied=r.replied, read_at=to_timestamp(r.read_at))
