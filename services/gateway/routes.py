"""HTTP handlers. Each one authenticates (unless public), parses its body strictly, calls one or more
services over gRPC and answers through a response model. The route table drives both the router and the
OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from holdfast.accounts.v1 import accounts_pb2
from holdfast.campaigns.v1 import campaigns_pb2
from holdfast.common.v1 import types_pb2
from services.common.errors import InvalidArgument, Unauthenticated
from services.gateway import models, views
from services.gateway.upstreams import Upstreams

M = TypeVar("M", bound=BaseModel)
UPSTREAMS = web.AppKey("upstreams", Upstreams)
OPENAPI = web.AppKey("openapi", dict)


@dataclass(frozen=True)
class Principal:
    workspace_id: str
    member_id: str

    def actor(self) -> types_pb2.Actor:
        return types_pb2.Actor(kind=types_pb2.ACTOR_KIND_MEMBER, member_id=self.member_id)


def upstreams(request: web.Request) -> Upstreams:
    return request.app[UPSTREAMS]


async def authenticate(request: web.Request) -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send Authorization: Bearer <token>")
    reply = await upstreams(request).accounts.Authenticate(accounts_pb2.AuthenticateRequest(token=token.strip()))
    return Principal(workspace_id=reply.workspace_id, member_id=reply.member_id)


def pydantic_error(exc: ValidationError) -> InvalidArgument:
    problems = [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"], "type": e["type"]}
                for e in exc.errors(include_url=False, include_input=False)]
    first = problems[0]
    return InvalidArgument(f"{first['field']}: {first['message']}", field=first["field"],
                           details={"errors": problems})


async def parse_body(request: web.Request, model: type[M]) -> M:
    raw = await request.read()
    if not raw.strip():
        raw = b"{}"
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidArgument(f"the body is not valid JSON: {exc}", code="malformed_json", field="body") from None
    if not isinstance(data, dict):
        raise InvalidArgument("the body must be a JSON object", code="malformed_json", field="body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise pydantic_error(exc) from None


def parse_query(request: web.Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query), strict=False)
    except ValidationError as exc:
        raise pydantic_error(exc) from None


def reply(model: BaseModel, status: int = 200) -> web.Response:
    return web.json_response(model.model_dump(mode="json"), status=status)


class Empty(models.Request):
    pass


class Paging(models.Request):
    page_size: int = 50
    page_token: str = ""


# Handlers


async def healthz(request: web.Request) -> web.Response:
    return reply(models.Health(status="ok"))


async def readyz(request: web.Request) -> web.Response:
    states = await upstreams(request).health()
    if all(state == "SERVING" for state in states.values()):
        return reply(models.Health(status="ready", upstreams=states))
    body = models.ErrorOut(error=models.ErrorBody(code="not_ready", message="an upstream service is not serving",
                                                  details={"upstreams": states}))
    return reply(body, status=503)


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(request.app[OPENAPI])


async def create_workspace(request: web.Request) -> web.Response:
    body = await parse_body(request, models.CreateWorkspace)
    created = await upstreams(request).accounts.CreateWorkspace(
        accounts_pb2.CreateWorkspaceRequest(name=body.name, owner_email=body.owner_email))
    return reply(models.CreatedWorkspace(workspace=views.workspace(created.workspace), token=created.token), 201)


async def create_campaign(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, models.CreateCampaign)
    created = await upstreams(request).campaigns.CreateCampaign(campaigns_pb2.CreateCampaignRequest(
        workspace_id=principal.workspace_id, name=body.name,
        kind=campaigns_pb2.CampaignKind.Value(f"CAMPAIGN_KIND_{body.kind.upper()}"),
        schedule=campaigns_pb2.Schedule(
            days=body.schedule.days, window_start=body.schedule.window.start,
            window_end=body.schedule.window.end, timezone=body.schedule.timezone,
            randomize_within_window=body.schedule.randomize_within_window),
        actor=principal.actor()))
    return reply(views.campaign(created.campaign), 201)


async def list_campaigns(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    paging = parse_query(request, Paging)
    listed = await upstreams(request).campaigns.ListCampaigns(campaigns_pb2.ListCampaignsRequest(
        workspace_id=principal.workspace_id, page_size=paging.page_size, page_token=paging.page_token))
    return reply(models.CampaignList(campaigns=[views.campaign(c) for c in listed.campaigns],
                                     next_page_token=listed.next_page_token or None))


async def get_campaign(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    got = await upstreams(request).campaigns.GetCampaign(campaigns_pb2.GetCampaignRequest(
        workspace_id=principal.workspace_id, campaign_id=request.match_info["campaign_id"]))
    return reply(views.campaign(got.campaign))


def _transition(rpc: str, request_type: Any) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        principal = await authenticate(request)
        await parse_body(request, Empty)
        method = getattr(upstreams(request).campaigns, rpc)
        answer = await method(request_type(workspace_id=principal.workspace_id,
                                           campaign_id=request.match_info["campaign_id"],
                                           actor=principal.actor()))
        return reply(views.change(answer))

    return handler


activate_campaign = _transition("ActivateCampaign", campaigns_pb2.ActivateCampaignRequest)
pause_campaign = _transition("PauseCampaign", campaigns_pb2.PauseCampaignRequest)
resume_campaign = _transition("ResumeCampaign", campaigns_pb2.ResumeCampaignRequest)


async def pause_history(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    paging = parse_query(request, Paging)
    history = await upstreams(request).campaigns.GetPauseHistory(campaigns_pb2.GetPauseHistoryRequest(
        workspace_id=principal.workspace_id, campaign_id=request.match_info["campaign_id"],
        page_size=paging.page_size, page_token=paging.page_token))
    return reply(models.PauseHistory(entries=[views.history_entry(e) for e in history.entries],
                                     next_page_token=history.next_page_token or None))


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Callable[[web.Request], Awaitable[web.Response]]
    summary: str
    response: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    auth: bool = True
    errors: tuple[int, ...] = field(default=(400, 401, 404))
    tag: str = "campaigns"


CAMPAIGN = "/api/v1/campaigns/{campaign_id}"
ROUTES: tuple[Route, ...] = (
    Route("GET", "/healthz", healthz, "The process is alive.", models.Health, auth=False, errors=(),
          tag="operations"),
    Route("GET", "/readyz", readyz, "Ready: every upstream gRPC service reports SERVING.", models.Health,
          auth=False, errors=(503,), tag="operations"),
    Route("GET", "/api/v1/openapi.json", openapi, "This document.", None, auth=False, errors=(),
          tag="operations"),
    Route("POST", "/api/v1/workspaces", create_workspace, "Create a workspace and its owner's API token.",
          models.CreatedWorkspace, status=201, body=models.CreateWorkspace, auth=False, errors=(400,),
          tag="workspaces"),
    Route("POST", "/api/v1/campaigns", create_campaign, "Create a campaign (a draft).", models.CampaignOut,
          status=201, body=models.CreateCampaign, errors=(400, 401)),
    Route("GET", "/api/v1/campaigns", list_campaigns, "List this workspace's campaigns, oldest first.",
          models.CampaignList, query=Paging, errors=(400, 401)),
    Route("GET", CAMPAIGN, get_campaign, "One campaign with its pause state.", models.CampaignOut),
    Route("POST", f"{CAMPAIGN}/activate", activate_campaign, "Start a draft campaign.", models.CampaignChange,
          body=Empty, errors=(400, 401, 404, 409)),
    Route("POST", f"{CAMPAIGN}/pause", pause_campaign, "Pause a campaign (reason: manual).",
          models.CampaignChange, body=Empty, errors=(400, 401, 404, 409)),
    Route("POST", f"{CAMPAIGN}/resume", resume_campaign,
          "Resume: every gate is re-checked; 409 resume_blocked names what still blocks and what to do.",
          models.CampaignChange, body=Empty, errors=(400, 401, 404, 409)),
    Route("GET", f"{CAMPAIGN}/pause-history", pause_history, "Every pause reason added and cleared, with its actor.",
          models.PauseHistory, query=Paging),
)
