"""Replies read, per member (issue 17): the home view's "replies to read" compares each campaign's replied count
with what the signed-in member last saw of it, kept by the campaigns service for that member in that workspace,
so it follows them from one browser to another. `REPLIES_READ_ROUTES` joins the gateway's route table."""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from holdfast.campaigns.v1 import campaigns_pb2
from services.common.roles import Role
from services.gateway import models, views
from services.gateway.api import Route, authenticate, parse_body, reply, upstreams


class RepliesReadBody(models.Request):
    replied: models.Integer = Field(
        ge=0, le=2**31 - 1, description="how many of the campaign's replies the member has seen (its replied count)"
    )


class RepliesReadOut(models.Response):
    campaign_id: str
    replied: int = Field(description="the campaign's replied count the member last saw; more replies are unread")
    read_at: str


class RepliesReadList(models.Response):
    campaigns: list[RepliesReadOut] = Field(description="one entry per campaign the member has read")


def _out(r: campaigns_pb2.RepliesRead) -> RepliesReadOut:
    return RepliesReadOut(campaign_id=r.campaign_id, replied=r.replied, read_at=views.iso(r.read_at))


async def mark_replies_read(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, RepliesReadBody)
    marked = await upstreams(request).campaigns.MarkRepliesRead(
        campaigns_pb2.MarkRepliesReadRequest(
            workspace_id=principal.workspace_id,
            member_id=principal.member_id,
            campaign_id=request.match_info["campaign_id"],
            replied=body.replied,
        )
    )
    return reply(_out(marked.read))


async def list_replies_read(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    got = await upstreams(request).campaigns.ListRepliesRead(
        campaigns_pb2.ListRepliesReadRequest(workspace_id=principal.workspace_id, member_id=principal.member_id)
    )
    return reply(RepliesReadList(campaigns=[_out(r) for r in got.campaigns]))


REPLIES_READ_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/replies-read",
        list_replies_read,
        "The replies the caller's member has read, per campaign of the workspace: a campaign whose replied "
        "count is above its entry (or without one) has replies to read.",
        RepliesReadList,
        errors=(401,),
    ),
    Route(
        "PUT",
        "/api/v1/campaigns/{campaign_id}/replies-read",
        mark_replies_read,
        "Mark the campaign's replies read for the caller's member: they have seen `replied` of them. Another "
        "member's, or another workspace's, reading is untouched.",
        RepliesReadOut,
        body=RepliesReadBody,
        errors=(400, 401, 404),
        # Reading is not a change to the workspace: any role reads, and no audit entry is written.
        role=Role.VIEWER,
        audited=False,
    ),
)
