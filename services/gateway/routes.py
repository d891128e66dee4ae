"""HTTP handlers of the campaign API. Each one authenticates (unless public), parses its body strictly,
calls one or more services over gRPC and answers through a response model. ROUTES drives both the router
and the OpenAPI document."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from holdfast.accounts.v1 import accounts_pb2
from holdfast.campaigns.v1 import campaigns_pb2
from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2
from services.common.errors import NotFound
from services.common.metrics import metrics_handler
from services.common.proto_enums import from_word, to_word
from services.common.templates import long_value_warnings
from services.gateway import models, views
from services.gateway.api import (
    OPENAPI,
    Empty,
    Paging,
    Route,
    authenticate,
    parse_body,
    parse_query,
    path_campaign,
    reply,
    upstreams,
)
from services.gateway.audit import AUDIT_ROUTES
from services.gateway.invitation_routes import INVITATION_ROUTES
from services.gateway.lifecycle_routes import LIFECYCLE_ROUTES, CampaignListQuery, definition_pb
from services.gateway.replies_read_routes import REPLIES_READ_ROUTES
from services.gateway.reply_routes import REPLY_ROUTES
from services.gateway.sandbox_routes import SANDBOX_ROUTES
from services.gateway.sender_routes import SENDER_ROUTES
from services.gateway.sign_in_routes import SIGN_IN_ROUTES
from services.gateway.stats_routes import STATS_ROUTES
from services.gateway.suppression_routes import SUPPRESSION_ROUTES
from services.gateway.team_routes import TEAM_ROUTES
from services.gateway.unsubscribe_routes import UNSUBSCRIBE_ROUTES
from services.gateway.webhook_endpoint_routes import ENDPOINT_ROUTES
from services.gateway.webhooks import WEBHOOK_ROUTES

# Handlers


async def healthz(request: web.Request) -> web.Response:
    return reply(models.Health(status="ok"))


async def readyz(request: web.Request) -> web.Response:
    states = await upstreams(request).health()
    if all(state == "SERVING" for state in states.values()):
        return reply(models.Health(status="ready", upstreams=states))
    body = models.ErrorOut(
        error=models.ErrorBody(
            code="not_ready", message="an upstream service is not serving", details={"upstreams": states}
        )
    )
    return reply(body, status=503)


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(request.app[OPENAPI])


async def create_workspace(request: web.Request) -> web.Response:
    body = await parse_body(request, models.CreateWorkspace)
    created = await upstreams(request).accounts.CreateWorkspace(
        accounts_pb2.CreateWorkspaceRequest(name=body.name, owner_email=body.owner_email)
    )
    return reply(models.CreatedWorkspace(workspace=views.workspace(created.workspace), token=created.token), 201)


async def create_campaign(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, models.CreateCampaign)
    created = await upstreams(request).campaigns.CreateCampaign(
        campaigns_pb2.CreateCampaignRequest(
            workspace_id=principal.workspace_id,
            name=body.name,
            kind=from_word(campaigns_pb2.CampaignKind, body.kind),
            **definition_pb(body),
            actor=principal.actor(),
            stop_on_reply=body.stop_on_reply,
        )
    )
    warnings = long_value_warnings((i, s.action, s.text) for i, s in enumerate(body.steps))
    return reply(
        models.CreatedCampaign(
            **views.campaign(created.campaign).model_dump(),
            warnings=[
                models.TemplateWarningOut(field=w.field, message=w.message, sample_length=w.sample_length)
                for w in warnings
            ],
        ),
        201,
    )


async def add_prospects(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, models.AddProspects)
    call = campaigns_pb2.AddProspectsRequest(
        workspace_id=principal.workspace_id, campaign_id=request.match_info["campaign_id"]
    )
    # Each prospect is written straight into the request (add): a list of messages given to the constructor is
    # copied once more, which cost more than building them for 10,000 rows.
    add = call.prospects.add
    for p in body.prospects:
        row = add(
            linkedin_provider_id=p.linkedin_provider_id or "",
            linkedin_public_identifier=p.linkedin_url or p.linkedin_public_identifier or "",
            email=p.email or "",
            first_name=p.first_name,
            last_name=p.last_name,
            company=p.company,
        )
        if p.fields:  # set one by one: a map given as an argument goes through a slower generic update
            fields = row.fields
            for key, value in p.fields.items():
                fields[key] = value
    added = await upstreams(request).campaigns.AddProspects(call, timeout=60)
    return reply(
        models.AddedProspects(
            added=added.added,
            already_present=added.already_present,
            refused=[models.RefusedOut(index=r.index, code=r.code, message=r.message) for r in added.refused],
            suppressed=added.suppressed,
        )
    )


async def list_prospects(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    paging = parse_query(request, Paging)
    listed = await upstreams(request).campaigns.ListProspects(
        campaigns_pb2.ListProspectsRequest(
            workspace_id=principal.workspace_id,
            campaign_id=request.match_info["campaign_id"],
            page_size=paging.page_size,
            page_token=paging.page_token,
        )
    )
    return reply(
        models.ProspectPage(
            prospects=[views.prospect(p) for p in listed.prospects], next_page_token=listed.next_page_token or None
        )
    )


async def resume_preview(request: web.Request) -> web.Response:
    campaign = await path_campaign(request, await authenticate(request))
    try:
        preview = await upstreams(request).scheduler.GetResumePreview(
            scheduler_pb2.GetResumePreviewRequest(campaign_id=campaign.id)
        )
    except NotFound:
        # The campaign's plan is still on its way to the scheduler: nothing can be overdue yet.
        preview = scheduler_pb2.GetResumePreviewResponse()
    return reply(
        models.ResumePreview(
            overdue=preview.overdue,
            days=[
                models.PreviewDay(date=d.date, channel=to_word(types_pb2.Channel, d.channel), count=d.count)
                for d in preview.days
            ],
            first_at=views.iso(preview.first_at) if preview.HasField("first_at") else None,
            last_at=views.iso(preview.last_at) if preview.HasField("last_at") else None,
            left_out={x.reason: x.count for x in preview.left_out},
        )
    )


async def list_campaigns(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    paging = parse_query(request, CampaignListQuery)
    listed = await upstreams(request).campaigns.ListCampaigns(
        campaigns_pb2.ListCampaignsRequest(
            workspace_id=principal.workspace_id,
            page_size=paging.page_size,
            page_token=paging.page_token,
            archived=paging.archived or "",
        )
    )
    return reply(
        models.CampaignList(
            campaigns=[views.campaign(c) for c in listed.campaigns], next_page_token=listed.next_page_token or None
        )
    )


async def get_campaign(request: web.Request) -> web.Response:
    return reply(views.campaign(await path_campaign(request, await authenticate(request))))


async def warmup_progress(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    p = await upstreams(request).campaigns.GetWarmupProgress(
        campaigns_pb2.GetWarmupProgressRequest(
            workspace_id=principal.workspace_id, campaign_id=request.match_info["campaign_id"]
        )
    )
    return reply(
        models.WarmupProgress(
            inbox_id=p.inbox_id,
            ramp_day=p.ramp_day,
            limit_today=p.limit_today,
            sent_today=p.sent_today,
            sent_total=p.sent_total,
            queued=p.queued,
            pool_size=p.pool_size,
        )
    )


def _transition(rpc: str, request_type: Any) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        principal = await authenticate(request)
        await parse_body(request, Empty)
        method = getattr(upstreams(request).campaigns, rpc)
        answer = await method(
            request_type(
                workspace_id=principal.workspace_id,
                campaign_id=request.match_info["campaign_id"],
                actor=principal.actor(),
            )
        )
        return reply(views.change(answer))

    return handler


activate_campaign = _transition("ActivateCampaign", campaigns_pb2.ActivateCampaignRequest)
pause_campaign = _transition("PauseCampaign", campaigns_pb2.PauseCampaignRequest)


async def resume_campaign(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, models.ResumeBody)
    answer = await upstreams(request).campaigns.ResumeCampaign(
        campaigns_pb2.ResumeCampaignRequest(
            workspace_id=principal.workspace_id,
            campaign_id=request.match_info["campaign_id"],
            actor=principal.actor(),
            when_unblocked=body.when_unblocked,
        )
    )
    return reply(views.change(answer))


async def pause_history(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    paging = parse_query(request, Paging)
    history = await upstreams(request).campaigns.GetPauseHistory(
        campaigns_pb2.GetPauseHistoryRequest(
            workspace_id=principal.workspace_id,
            campaign_id=request.match_info["campaign_id"],
            page_size=paging.page_size,
            page_token=paging.page_token,
        )
    )
    return reply(
        models.PauseHistory(
            entries=[views.history_entry(e) for e in history.entries], next_page_token=history.next_page_token or None
        )
    )


CAMPAIGN = "/api/v1/campaigns/{campaign_id}"
ROUTES: tuple[Route, ...] = (
    Route("GET", "/healthz", healthz, "The process is alive.", models.Health, auth=False, errors=(), tag="operations"),
    Route(
        "GET",
        "/readyz",
        readyz,
        "Ready: every upstream gRPC service reports SERVING.",
        models.Health,
        auth=False,
        errors=(503,),
        tag="operations",
    ),
    Route("GET", "/api/v1/openapi.json", openapi, "This document.", None, auth=False, errors=(), tag="operations"),
    Route(
        "GET",
        "/metrics",
        metrics_handler,
        "Prometheus metrics of the gateway.",
        None,
        auth=False,
        errors=(),
        tag="operations",
    ),
    Route(
        "POST",
        "/api/v1/workspaces",
        create_workspace,
        "Create a workspace and its owner's API token.",
        models.CreatedWorkspace,
        status=201,
        body=models.CreateWorkspace,
        auth=False,
        errors=(400,),
        tag="workspaces",
    ),
    Route(
        "POST",
        "/api/v1/campaigns",
        create_campaign,
        "Create a campaign (a draft).",
        models.CreatedCampaign,
        status=201,
        body=models.CreateCampaign,
        errors=(400, 401),
    ),
    Route(
        "GET",
        "/api/v1/campaigns",
        list_campaigns,
        "List this workspace's campaigns, oldest first (archived ones only with archived=archived or all).",
        models.CampaignList,
        query=CampaignListQuery,
        errors=(400, 401),
    ),
    Route("GET", CAMPAIGN, get_campaign, "One campaign with its pause state.", models.CampaignOut),
    Route(
        "POST",
        f"{CAMPAIGN}/activate",
        activate_campaign,
        "Start a draft campaign.",
        models.CampaignChange,
        body=Empty,
        errors=(400, 401, 404, 409),
    ),
    Route(
        "POST",
        f"{CAMPAIGN}/pause",
        pause_campaign,
        "Pause a campaign (reason: manual).",
        models.CampaignChange,
        body=Empty,
        errors=(400, 401, 404, 409),
    ),
    Route(
        "POST",
        f"{CAMPAIGN}/resume",
        resume_campaign,
        "Resume: every gate is re-checked; 409 resume_blocked names what still blocks and what to do, and "
        "changes nothing. With when_unblocked the manual pause goes and the campaign resumes by itself once "
        "the gates pass; waiting_for names them.",
        models.CampaignChange,
        body=models.ResumeBody,
        errors=(400, 401, 404, 409),
    ),
    Route(
        "POST",
        f"{CAMPAIGN}/prospects",
        add_prospects,
        "Add up to 10,000 prospects; idempotent on each prospect's identity. Refusals say why.",
        models.AddedProspects,
        body=models.AddProspects,
        errors=(400, 401, 404, 409),
    ),
    Route(
        "GET",
        f"{CAMPAIGN}/prospects",
        list_prospects,
        "The campaign's prospects: state, current step, next action time and why not now.",
        models.ProspectPage,
        query=Paging,
    ),
    Route(
        "GET",
        f"{CAMPAIGN}/resume-preview",
        resume_preview,
        "How many actions are overdue and on which days a resume would send them.",
        models.ResumePreview,
    ),
    Route(
        "GET",
        f"{CAMPAIGN}/warmup",
        warmup_progress,
        "A warm-up campaign's ramp day and today's volume (409 not_warmup for other kinds).",
        models.WarmupProgress,
        errors=(401, 404, 409),
    ),
    Route(
        "GET",
        f"{CAMPAIGN}/pause-history",
        pause_history,
        "Every pause reason added and cleared, with its actor.",
        models.PauseHistory,
        query=Paging,
    ),
    *LIFECYCLE_ROUTES,
    *SENDER_ROUTES,
    *REPLY_ROUTES,
    *SUPPRESSION_ROUTES,
    *UNSUBSCRIBE_ROUTES,
    *STATS_ROUTES,
    *REPLIES_READ_ROUTES,
    *TEAM_ROUTES,
    *INVITATION_ROUTES,
    *ENDPOINT_ROUTES,
    *AUDIT_ROUTES,
    *SIGN_IN_ROUTES,
    *WEBHOOK_ROUTES,
    *SANDBOX_ROUTES,
)
