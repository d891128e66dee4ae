"""Read routes of the UI's results: a campaign's figures per step and per day, and where a sender stands against
its caps today. Ownership is checked with the owning service first (another workspace's object: 404); the figures
come from the scheduler. `STATS_ROUTES` joins the gateway's route table."""

from __future__ import annotations

from typing import Literal

from aiohttp import web
from pydantic import Field

from holdfast.accounts.v1 import accounts_pb2
from holdfast.campaigns.v1 import campaigns_pb2
from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2
from services.common.errors import NotFound
from services.common.proto_enums import to_word
from services.gateway import models
from services.gateway.api import Route, authenticate, path_campaign, reply, upstreams


class StepStatsOut(models.Response):
    index: int
    channel: Literal["linkedin", "email"]
    action: Literal["invite", "message", "inmail", "email"]
    reached: int = Field(description="prospects whose send of this step was tried, or who are at it or past it")
    sent: int
    failed: int = Field(description="attempts that failed or were refused")
    bounced: int = Field(description="emails that bounced (email steps)")
    accepted: int = Field(description="invitations accepted (invite steps)")


class DayStatsOut(models.Response):
    date: str = Field(description="local date in the campaign's timezone")
    sent: int
    failed: int
    bounced: int


class CampaignStatsOut(models.Response):
    enrolled: int = Field(description="prospects in the campaign's plan")
    finished: int = Field(description="prospects who got every step")
    stopped: int = Field(description="prospects stopped before the end (a refusal, a bounce, a reply)")
    replied: int = Field(description="prospects who replied")
    out_of_office: int = Field(description="prospects whose last answer was an out-of-office note")
    opted_out: int = Field(description="prospects who asked to hear no more")
    steps: list[StepStatsOut]
    days: list[DayStatsOut] = Field(description="oldest first; days with a send, a failure or a bounce")


class SenderStatsOut(models.Response):
    sent_today: int = Field(description="actions counted against the caps in the sender's local day")
    sent_last_7_days: int
    ramp_day: int = Field(description="the ramp day a send today counts on (S6)")
    failure_rate: float = Field(description="failures (a LinkedIn account) or bounces (an inbox) at the last check")
    failure_sample: int


async def campaign_stats(request: web.Request) -> web.Response:
    campaign = await path_campaign(request, await authenticate(request))
    try:
        stats = await upstreams(request).scheduler.GetCampaignStats(
            scheduler_pb2.GetCampaignStatsRequest(campaign_id=campaign.id)
        )
    except NotFound:
        stats = scheduler_pb2.GetCampaignStatsResponse()  # the plan is still on its way: nothing sent yet
    by_index = {s.step_index: s for s in stats.steps}
    steps = []
    for step in campaign.steps:
        figures = by_index.get(step.index, scheduler_pb2.StepStats())
        steps.append(
            StepStatsOut(
                index=step.index,
                channel=to_word(types_pb2.Channel, step.channel),
                action=to_word(campaigns_pb2.StepAction, step.action),
                reached=figures.reached,
                sent=figures.sent,
                failed=figures.failed,
                bounced=figures.bounced,
                accepted=figures.accepted,
            )
        )
    return reply(
        CampaignStatsOut(
            enrolled=stats.enrolled,
            finished=stats.finished,
            stopped=stats.stopped,
            replied=stats.replied,
            out_of_office=stats.out_of_office,
            opted_out=stats.opted_out,
            steps=steps,
            days=[DayStatsOut(date=d.date, sent=d.sent, failed=d.failed, bounced=d.bounced) for d in stats.days],
        )
    )


def _sender_stats(kind: str):
    async def handler(request: web.Request) -> web.Response:
        principal = await authenticate(request)
        services = upstreams(request)
        if kind == "linkedin_account":
            got = await services.accounts.GetLinkedInAccount(
                accounts_pb2.GetLinkedInAccountRequest(
                    workspace_id=principal.workspace_id, account_id=request.match_info["account_id"]
                )
            )
            sender_id = got.account.id
        else:
            got = await services.accounts.GetInbox(
                accounts_pb2.GetInboxRequest(
                    workspace_id=principal.workspace_id, inbox_id=request.match_info["inbox_id"]
                )
            )
            sender_id = got.inbox.id
        try:
            s = await services.scheduler.GetSenderStats(scheduler_pb2.GetSenderStatsRequest(sender_id=sender_id))
        except NotFound:
            s = scheduler_pb2.GetSenderStatsResponse()  # not announced to the scheduler yet: nothing sent
        return reply(
            SenderStatsOut(
                sent_today=s.sent_today,
                sent_last_7_days=s.sent_last_7_days,
                ramp_day=s.ramp_day,
                failure_rate=s.failure_rate,
                failure_sample=s.failure_sample,
            )
        )

    return handler


STATS_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/campaigns/{campaign_id}/stats",
        campaign_stats,
        "What the campaign's sends came to: prospects enrolled, finished and stopped; per step reached, sent, "
        "failed, bounced and accepted; per local day sent, failed and bounced.",
        CampaignStatsOut,
        errors=(401, 404),
    ),
    Route(
        "GET",
        "/api/v1/linkedin-accounts/{account_id}/stats",
        _sender_stats("linkedin_account"),
        "Actions counted against the account's caps today and over 7 days, its ramp day and failure rate.",
        SenderStatsOut,
        errors=(401, 404),
        tag="senders",
    ),
    Route(
        "GET",
        "/api/v1/inboxes/{inbox_id}/stats",
        _sender_stats("inbox"),
        "Emails counted against the inbox's caps today and over 7 days, its ramp day and bounce rate.",
        SenderStatsOut,
        errors=(401, 404),
        tag="senders",
    ),
)
