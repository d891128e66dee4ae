"""A campaign's lifecycle after it is created (issue 17): edit its definition (with a preview of the waiting
prospects a changed delay or window moves), duplicate it as a new draft, archive it and bring it back.
`LIFECYCLE_ROUTES` joins the gateway's route table."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import Field, field_validator

from holdfast.campaigns.v1 import campaigns_pb2
from holdfast.common.v1 import types_pb2
from services.common.proto_enums import from_word
from services.gateway import models, views
from services.gateway.api import Empty, Paging, Route, authenticate, parse_body, reply, upstreams

CAMPAIGN = "/api/v1/campaigns/{campaign_id}"


class CampaignListQuery(Paging):
    archived: Literal["archived", "all"] | None = Field(
        None,
        description="archived: only archived campaigns; all: both; left out: the campaigns not archived",
        json_schema_extra={"enum": ["archived", "all"]},
    )

    @field_validator("archived", mode="before")
    @classmethod
    def _empty_is_left_out(cls, value: object) -> object:
        # `?archived=` (how a form or a client sends "none") is the parameter left out.
        return None if value == "" else value


class EditCampaign(models.Request):
    name: str = Field(max_length=200, json_schema_extra={"pattern": models.NOT_BLANK})
    schedule: models.ScheduleIn
    steps: list[models.StepIn] = Field(default_factory=list, max_length=50)
    senders: models.SendersIn = Field(default_factory=models.SendersIn)
    stop_on_reply: Literal["prospect", "company"] = "prospect"
    preview: bool = Field(
        False, description="save nothing; answer what would change and which waiting prospects would move"
    )


def definition_pb(body: models.CreateCampaign | EditCampaign) -> dict[str, Any]:
    """A campaign's schedule, steps and senders as the campaigns service's messages (create and edit share it)."""
    return {
        "schedule": campaigns_pb2.Schedule(
            days=body.schedule.days,
            window_start=body.schedule.window.start,
            window_end=body.schedule.window.end,
            timezone=body.schedule.timezone,
            randomize_within_window=body.schedule.randomize_within_window,
        ),
        "steps": [
            campaigns_pb2.Step(
                index=i,
                channel=from_word(types_pb2.Channel, s.channel),
                action=from_word(campaigns_pb2.StepAction, s.action),
                delay=campaigns_pb2.Delay(days=s.delay.days, hours=s.delay.hours),
                text=s.text,
                subject=s.subject,
                body=s.body,
            )
            for i, s in enumerate(body.steps)
        ],
        "senders": campaigns_pb2.Senders(
            linkedin_account_ids=body.senders.linkedin_account_ids, inbox_ids=body.senders.inbox_ids
        ),
    }


class PlanMoveOut(models.Response):
    prospect_id: str
    step_index: int
    before: str = Field(description="when its next action was planned")
    after: str = Field(description="when it is planned under the edit")


class CampaignEditOut(models.Response):
    campaign: models.CampaignOut
    saved: bool = Field(description="false for a preview, or when nothing changed")
    moved: int = Field(description="waiting prospects whose next action moves with this edit")
    moves: list[PlanMoveOut] = Field(description="the first 50 of them, by their new time")
    changed: list[str] = Field(description="what the edit changes: name, schedule.window, steps.1.delay, ...")
    plan_pending: bool = Field(
        False,
        description="true when the scheduler had not taken the saved plan before this answer (it is applied once "
        "the scheduler answers); until then sends follow the plan as it was",
    )


class DuplicateBody(models.Request):
    name: str = Field("", max_length=200, description="the copy's name; left out: \"Copy of\" the original's")


async def edit_campaign(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, EditCampaign)
    answer = await upstreams(request).campaigns.UpdateCampaign(
        campaigns_pb2.UpdateCampaignRequest(
            workspace_id=principal.workspace_id,
            campaign_id=request.match_info["campaign_id"],
            actor=principal.actor(),
            name=body.name,
            preview=body.preview,
            stop_on_reply=body.stop_on_reply,
            **definition_pb(body),
        )
    )
    return reply(
        CampaignEditOut(
            campaign=views.campaign(answer.campaign),
            saved=answer.saved,
            moved=answer.moved,
            changed=list(answer.changed),
            plan_pending=answer.plan_pending,
            moves=[
                PlanMoveOut(
                    prospect_id=m.prospect_id,
                    step_index=m.step_index,
                    after=views.iso(m.to),
                    before=views.iso(getattr(m, "from")),
                )
                for m in answer.moves
            ],
        )
    )


async def duplicate_campaign(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, DuplicateBody)
    answer = await upstreams(request).campaigns.DuplicateCampaign(
        campaigns_pb2.DuplicateCampaignRequest(
            workspace_id=principal.workspace_id,
            campaign_id=request.match_info["campaign_id"],
            actor=principal.actor(),
            name=body.name,
        )
    )
    return reply(views.campaign(answer.campaign), 201)


def _archive(archived: bool):  # type: ignore[no-untyped-def]
    async def handler(request: web.Request) -> web.Response:
        principal = await authenticate(request)
        await parse_body(request, Empty)
        answer = await upstreams(request).campaigns.ArchiveCampaign(
            campaigns_pb2.ArchiveCampaignRequest(
                workspace_id=principal.workspace_id,
                campaign_id=request.match_info["campaign_id"],
                actor=principal.actor(),
                archived=archived,
            )
        )
        return reply(views.change(answer))

    return handler


LIFECYCLE_ROUTES: tuple[Route, ...] = (
    Route(
        "PUT",
        CAMPAIGN,
        edit_campaign,
        "Edit a campaign's definition (the whole of it, as when created). A draft takes any change; a started "
        "campaign keeps its steps' channels and actions and its senders (409 steps_locked, senders_locked). A "
        "changed delay or window re-plans the prospects waiting on it; with preview nothing is saved and the "
        "answer lists who would move. 409 archived for an archived campaign.",
        CampaignEditOut,
        body=EditCampaign,
        errors=(400, 401, 404, 409),
    ),
    Route(
        "POST",
        f"{CAMPAIGN}/duplicate",
        duplicate_campaign,
        "A copy of the campaign's definition, without its prospects, as a new draft.",
        models.CampaignOut,
        status=201,
        body=DuplicateBody,
        errors=(400, 401, 404),
    ),
    Route(
        "POST",
        f"{CAMPAIGN}/archive",
        _archive(True),
        "Archive: read-only and out of the default list (GET /api/v1/campaigns?archived=archived lists them). "
        "A sending campaign is paused by the member first.",
        models.CampaignChange,
        body=Empty,
        errors=(400, 401, 404),
    ),
    Route(
        "POST",
        f"{CAMPAIGN}/unarchive",
        _archive(False),
        "Bring a campaign back from the archive (a paused one stays paused until resumed).",
        models.CampaignChange,
        body=Empty,
        errors=(400, 401, 404),
    ),
)
