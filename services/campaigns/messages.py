"""The campaigns service's domain objects as protobuf messages and back (the servicer's mapping, server.py)."""

from __future__ import annotations

from holdfast.campaigns.v1 import campaigns_pb2 as pb
from holdfast.common.v1 import types_pb2
from services.campaigns.domain import (
    CATALOG,
    Actor,
    Campaign,
    HistoryEntry,
    ProspectIn,
    ReasonView,
    Schedule,
    Step,
)
from services.common.errors import InvalidArgument
from services.common.proto_enums import from_word, to_word
from services.common.proto_time import to_timestamp


def campaign_pb(c: Campaign, views: list[ReasonView] | None = None) -> pb.Campaign:
    """`views`: what to say of each reason now (CampaignsService.describe); the catalog's texts without it."""
    views = views or [ReasonView(CATALOG[r.reason].explanation, CATALOG[r.reason].action) for r in c.reasons]
    return pb.Campaign(
        id=c.id,
        workspace_id=c.workspace_id,
        name=c.name,
        kind=from_word(pb.CampaignKind, c.kind),
        status=from_word(pb.CampaignStatus, c.shown_status),
        paused_reason=from_word(types_pb2.PauseReason, c.paused_reason),
        pause_reasons=[
            pb.ActivePauseReason(
                reason=from_word(types_pb2.PauseReason, r.reason),
                scope=from_word(types_pb2.Scope, r.scope),
                since=to_timestamp(r.since),
                detail=r.detail,
                explanation=v.explanation,
                action=v.action,
                clears_at=to_timestamp(v.clears_at) if v.clears_at else None,
                cooldown=v.cooldown,
            )
            for r, v in zip(c.reasons, views, strict=True)
        ],
        schedule=pb.Schedule(
            days=list(c.schedule.days),
            window_start=c.schedule.window_start,
            window_end=c.schedule.window_end,
            timezone=c.schedule.timezone,
            randomize_within_window=c.schedule.randomize_within_window,
        ),
        steps=[
            pb.Step(
                index=s.index,
                channel=from_word(types_pb2.Channel, s.channel),
                action=from_word(pb.StepAction, s.action),
                delay=pb.Delay(days=s.delay_hours // 24, hours=s.delay_hours % 24),
                text=s.text,
                subject=s.subject,
                body=s.body,
            )
            for s in c.steps
        ],
        senders=pb.Senders(
            linkedin_account_ids=list(c.senders.linkedin_account_ids), inbox_ids=list(c.senders.inbox_ids)
        ),
        created_at=to_timestamp(c.created_at),
        updated_at=to_timestamp(c.updated_at),
        stop_on_reply=c.stop_on_reply,
        archived_at=to_timestamp(c.archived_at) if c.archived_at else None,
    )


def step_from_pb(s: pb.Step) -> Step:
    return Step(
        index=s.index,
        channel=to_word(types_pb2.Channel, s.channel) or "",
        action=to_word(pb.StepAction, s.action) or "",
        delay_hours=s.delay.days * 24 + s.delay.hours,
        text=s.text,
        subject=s.subject,
        body=s.body,
    )


def prospect_pb(p: ProspectIn) -> pb.Prospect:
    return pb.Prospect(
        linkedin_provider_id=p.linkedin_provider_id or "",
        linkedin_public_identifier=p.linkedin_public_identifier or "",
        email=p.email or "",
        first_name=p.first_name,
        last_name=p.last_name,
        company=p.company,
        fields=p.fields,
    )


def actor_from_pb(actor: types_pb2.Actor) -> Actor:
    if actor.kind == types_pb2.ACTOR_KIND_MEMBER and actor.member_id:
        return Actor(kind="member", member_id=actor.member_id, event_id=actor.event_id)
    if actor.kind == types_pb2.ACTOR_KIND_SYSTEM and actor.source:
        return Actor(kind="system", source=actor.source, event_id=actor.event_id)
    raise InvalidArgument("actor must be a member with member_id or the system with a source", field="actor")


def actor_pb(actor: Actor) -> types_pb2.Actor:
    return types_pb2.Actor(
        kind=from_word(types_pb2.ActorKind, actor.kind),
        member_id=actor.member_id or "",
        source=actor.source,
        event_id=actor.event_id,
    )


def history_pb(e: HistoryEntry) -> pb.PauseHistoryEntry:
    return pb.PauseHistoryEntry(
        id=e.id,
        action=from_word(pb.PauseHistoryAction, e.action),
        reason=from_word(types_pb2.PauseReason, e.reason),
        scope=from_word(types_pb2.Scope, e.scope),
        actor=actor_pb(e.actor),
        detail=e.detail,
        at=to_timestamp(e.at),
        status_after=from_word(pb.CampaignStatus, e.status_after),
    )


def schedule_from_pb(s: pb.Schedule) -> Schedule:
    return Schedule(
        days=tuple(s.days),
        window_start=s.window_start,
        window_end=s.window_end,
        timezone=s.timezone,
        randomize_within_window=s.randomize_within_window,
    )
