"""gRPC edge of the campaigns service: protobuf <-> domain, nothing else."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import grpc

from holdfast.campaigns.v1 import campaigns_pb2 as pb
from holdfast.campaigns.v1 import campaigns_pb2_grpc as pb_grpc
from holdfast.common.v1 import types_pb2
from services.campaigns.config import Settings
from services.campaigns.domain import CATALOG, Actor, Campaign, HistoryEntry, Schedule
from services.campaigns.pause import Change
from services.campaigns.repository import Repository
from services.campaigns.service import CampaignsService
from services.common.clock import Clock, SystemClock
from services.common.db import create_pool
from services.common.errors import InvalidArgument
from services.common.grpc_server import Registration, RunningServer, start_server
from services.common.proto_enums import from_word, to_word
from services.common.proto_time import to_timestamp
from services.common.service_main import prepare_schema

MIGRATIONS = Path(__file__).parent / "migrations"


def campaign_pb(c: Campaign) -> pb.Campaign:
    return pb.Campaign(
        id=c.id, workspace_id=c.workspace_id, name=c.name,
        kind=from_word(pb.CampaignKind, c.kind), status=from_word(pb.CampaignStatus, c.status),
        paused_reason=from_word(types_pb2.PauseReason, c.paused_reason),
        pause_reasons=[pb.ActivePauseReason(
            reason=from_word(types_pb2.PauseReason, r.reason), scope=from_word(types_pb2.Scope, r.scope),
            since=to_timestamp(r.since), detail=r.detail, explanation=CATALOG[r.reason].explanation,
            action=CATALOG[r.reason].action) for r in c.reasons],
        schedule=pb.Schedule(days=list(c.schedule.days), window_start=c.schedule.window_start,
                             window_end=c.schedule.window_end, timezone=c.schedule.timezone,
                             randomize_within_window=c.schedule.randomize_within_window),
        created_at=to_timestamp(c.created_at), updated_at=to_timestamp(c.updated_at),
    )


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

    async def CreateCampaign(self, request: pb.CreateCampaignRequest,
                             context: grpc.aio.ServicerContext) -> pb.CreateCampaignResponse:
        kind = to_word(pb.CampaignKind, request.kind) or "outreach"
        campaign = await self._service.create(request.workspace_id, request.name, kind,
                                              _schedule(request.schedule))
        return pb.CreateCampaignResponse(campaign=campaign_pb(campaign))

    async def GetCampaign(self, request: pb.GetCampaignRequest,
                          context: grpc.aio.ServicerContext) -> pb.GetCampaignResponse:
        return pb.GetCampaignResponse(campaign=campaign_pb(
            await self._service.get(request.workspace_id, request.campaign_id)))

    async def ListCampaigns(self, request: pb.ListCampaignsRequest,
                            context: grpc.aio.ServicerContext) -> pb.ListCampaignsResponse:
        campaigns, token = await self._service.list(request.workspace_id, request.page_size, request.page_token)
        return pb.ListCampaignsResponse(campaigns=[campaign_pb(c) for c in campaigns], next_page_token=token)

    async def ActivateCampaign(self, request: pb.ActivateCampaignRequest,
                               context: grpc.aio.ServicerContext) -> pb.ActivateCampaignResponse:
        change = await self._service.activate(request.workspace_id, request.campaign_id,
                                              actor_from_pb(request.actor))
        return pb.ActivateCampaignResponse(**_change(change))

    async def PauseCampaign(self, request: pb.PauseCampaignRequest,
                            context: grpc.aio.ServicerContext) -> pb.PauseCampaignResponse:
        change = await self._service.pause(request.workspace_id, request.campaign_id,
                                           actor_from_pb(request.actor))
        return pb.PauseCampaignResponse(**_change(change))

    async def ResumeCampaign(self, request: pb.ResumeCampaignRequest,
                             context: grpc.aio.ServicerContext) -> pb.ResumeCampaignResponse:
        change = await self._service.resume(request.workspace_id, request.campaign_id,
                                            actor_from_pb(request.actor))
        return pb.ResumeCampaignResponse(**_change(change))

    async def GetPauseHistory(self, request: pb.GetPauseHistoryRequest,
                              context: grpc.aio.ServicerContext) -> pb.GetPauseHistoryResponse:
        entries, token = await self._service.history(request.workspace_id, request.campaign_id,
                                                     request.page_size, request.page_token)
        return pb.GetPauseHistoryResponse(entries=[history_pb(e) for e in entries], next_page_token=token)


def _change(change: Change) -> dict[str, object]:
    return {"campaign": campaign_pb(change.campaign), "changed": change.changed, "message": change.message}


async def start(settings: Settings, stack: AsyncExitStack, clock: Clock | None = None) -> RunningServer:
    pool = await create_pool(settings.database_url, application_name="holdfast-campaigns",
                             max_size=settings.db_pool_max, wait_seconds=settings.db_wait_seconds)
    stack.push_async_callback(pool.close)
    await prepare_schema(pool, "campaigns", MIGRATIONS, apply=settings.migrate_on_start)
    servicer = CampaignsServicer(CampaignsService(Repository(pool), clock or SystemClock()))
    running = await start_server(settings.grpc_listen, [Registration(
        pb.DESCRIPTOR.services_by_name["CampaignsService"].full_name,
        lambda server: pb_grpc.add_CampaignsServiceServicer_to_server(servicer, server),
    )])
    stack.push_async_callback(running.stop, settings.shutdown_grace_seconds)
    return running
