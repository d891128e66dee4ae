"""HTTP API of one prospect: its state, what it replied (time, channel, classification, a short snippet) and
the history of what was sent to it (DESIGN V1-V3, S11). `REPLY_ROUTES` joins the gateway's route table."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from aiohttp import web
from pydantic import Field

from holdfast.campaigns.v1 import campaigns_pb2
from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2
from services.common.errors import InvalidArgument, NotFound
from services.common.proto_enums import to_word
from services.common.proto_time import to_timestamp
from services.gateway import models, views
from services.gateway.api import Principal, Route, authenticate, parse_body, reply, upstreams
from services.gateway.upstreams import Upstreams

PROSPECT = "/api/v1/campaigns/{campaign_id}/prospects/{prospect_id}"


class ReplyOut(models.Response):
    id: str
    received_at: str
    channel: str | None = Field(description="linkedin or email")
    classification: str = Field(description="replied, opted_out or out_of_office")
    snippet: str
    source: str = Field(description="what heard it: unipile, imap, unsubscribe_link, member:<id>...")
    prospects_affected: int = Field(
        description="prospects it stopped or parked (its company's with stop_on_reply = company)"
    )
    out_of_office_until: str | None


class AttemptOut(models.Response):
    step_index: int
    action: str | None
    status: str
    outcome: str
    started_at: str
    finished_at: str | None


class ProspectDetail(models.Response):
    prospect: models.ProspectOut
    replies: list[ReplyOut]
    history: list[AttemptOut] = Field(description="every send attempt, oldest first")


def _ts(message: object, name: str) -> str | None:
    return views.iso(getattr(message, name)) if message.HasField(name) else None  # type: ignore[attr-defined]


async def _path_prospect(request: web.Request, principal: Principal, services: Upstreams) -> campaigns_pb2.Prospect:
    """The prospect the path names, in the campaign it names, of the caller's workspace; NotFound otherwise."""
    listed = await services.campaigns.ListProspects(
        campaigns_pb2.ListProspectsRequest(
            workspace_id=principal.workspace_id,
            campaign_id=request.match_info["campaign_id"],
            page_size=1,
            prospect_ids=[request.match_info["prospect_id"]],
        )
    )
    if not listed.prospects:
        raise NotFound("no such prospect in this campaign")
    return listed.prospects[0]


async def get_prospect(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    services = upstreams(request)
    prospect = await _path_prospect(request, principal, services)
    try:
        history = await services.scheduler.GetProspectHistory(
            scheduler_pb2.GetProspectHistoryRequest(
                campaign_id=request.match_info["campaign_id"], prospect_id=prospect.id
            )
        )
    except NotFound:
        history = scheduler_pb2.GetProspectHistoryResponse()  # still on its way to the scheduler
    return reply(
        ProspectDetail(
            prospect=views.prospect(prospect),
            replies=[
                ReplyOut(
                    id=r.id,
                    received_at=views.iso(r.received_at),
                    channel=to_word(types_pb2.Channel, r.channel),
                    classification=r.classification,
                    snippet=r.snippet,
                    source=r.source,
                    prospects_affected=r.affected,
                    out_of_office_until=_ts(r, "out_of_office_until"),
                )
                for r in history.replies
            ],
            history=[
                AttemptOut(
                    step_index=a.step_index,
                    action=to_word(types_pb2.ActionType, a.action_type),
                    status=a.status,
                    outcome=a.outcome,
                    started_at=views.iso(a.started_at),
                    finished_at=_ts(a, "finished_at"),
                )
                for a in history.attempts
            ],
        )
    )


class Reclassify(models.Request):
    classification: Literal["replied", "out_of_office", "opted_out"] = Field(
        description="replied: stop for good; out_of_office: park until `until` (or the default days), from where "
        "the prospect was; opted_out: do not contact (stopped and its address suppressed)"
    )
    until: str | None = Field(
        None, max_length=40, description="out_of_office: when the prospect is back (ISO 8601 with an offset)"
    )


class Reclassified(models.Response):
    changed: bool
    out_of_office_until: str | None


def _instant(raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidArgument("until must be an ISO 8601 date and time", field="until") from None
    if value.tzinfo is None:
        raise InvalidArgument("until needs a timezone offset", field="until")
    return value


async def reclassify_reply(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, Reclassify)
    services = upstreams(request)
    prospect = await _path_prospect(request, principal, services)
    until = _instant(body.until)
    done = await services.scheduler.ReclassifyReply(
        scheduler_pb2.ReclassifyReplyRequest(
            campaign_id=request.match_info["campaign_id"],
            prospect_id=prospect.id,
            reply_id=request.match_info["reply_id"],
            classification=body.classification,
            member_id=principal.member_id,
            until=to_timestamp(until),
        )
    )
    if body.classification == "opted_out":
        # Do not contact: the address (else the profile) joins the suppression list, source "reply".
        p = prospect.prospect
        entry = (
            campaigns_pb2.SuppressionInput(type="email", value=p.email)
            if p.email
            else campaigns_pb2.SuppressionInput(type="linkedin", value=p.linkedin_provider_id)
        )
        await services.campaigns.AddSuppressions(
            campaigns_pb2.AddSuppressionsRequest(
                workspace_id=principal.workspace_id, entries=[entry], source="reply", actor=principal.actor()
            )
        )
    return reply(Reclassified(changed=done.changed, out_of_office_until=_ts(done, "parked_until")))


REPLY_ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        PROSPECT + "/replies/{reply_id}/classification",
        reclassify_reply,
        "Re-classify a reply (it was an out-of-office, a real reply, or do not contact); the effect and the member "
        "join the prospect's history.",
        Reclassified,
        body=Reclassify,
        errors=(400, 401, 404, 409),
    ),
    Route(
        "GET", PROSPECT, get_prospect, "One prospect: its state, its replies and what was sent to it.", ProspectDetail
    ),
)
