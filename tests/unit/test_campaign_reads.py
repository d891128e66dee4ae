"""The gateway's coalesced campaign reads (services/gateway/campaign_reads.py), against a stand-in for campaigns'
GetCampaigns that records each call: which reads go together, what each read is answered, and what a failure or a
request that goes away does to the others. tests/integration/test_campaign_reads.py runs them against campaigns."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import structlog

from holdfast.campaigns.v1 import campaigns_pb2
from services.common import errors
from services.common.grpc_errors import status_of
from services.common.roles import CALLER_ROLE, Role
from services.gateway.campaign_reads import CampaignReads


class Campaigns:
    """Answers each read with a campaign named after it, or not found for a campaign id starting with "gone";
    `fail` makes the whole call fail; `hold` keeps the call waiting until set."""

    def __init__(self) -> None:
        self.calls: list[tuple[campaigns_pb2.GetCampaignsRequest, dict[str, Any]]] = []
        self.fail: errors.DomainError | None = None
        self.hold: asyncio.Event | None = None
        self.called = asyncio.Event()
        # An older campaigns: no GetCampaigns; GetCampaign calls recorded here.
        self.older = False
        # Answer one read fewer than asked (a broken peer).
        self.short = False
        self.alone: list[tuple[campaigns_pb2.GetCampaignRequest, dict[str, Any]]] = []

    async def GetCampaigns(self, request: campaigns_pb2.GetCampaignsRequest, **kwargs: Any) -> Any:
        if self.older:
            raise errors.NotImplementedYet("Method not found!")
        self.calls.append((request, dict(kwargs.get("metadata") or ())))
        self.called.set()
        if self.hold is not None:
            await self.hold.wait()
        if self.fail is not None:
            raise self.fail
        answered = request.reads[1:] if self.short else request.reads
        return campaigns_pb2.GetCampaignsResponse(
            reads=[
                campaigns_pb2.CampaignRead(error=status_of(errors.NotFound("campaign not found")).SerializeToString())
                if r.campaign_id.startswith("gone")
                else campaigns_pb2.CampaignRead(
                    campaign=campaigns_pb2.Campaign(id=r.campaign_id, workspace_id=r.workspace_id)
                )
                for r in answered
            ]
        )

    async def GetCampaign(self, request: campaigns_pb2.GetCampaignRequest, **kwargs: Any) -> Any:
        self.alone.append((request, dict(kwargs.get("metadata") or ())))
        if request.campaign_id.startswith("gone"):
            raise errors.NotFound("campaign not found")
        return campaigns_pb2.GetCampaignResponse(
            campaign=campaigns_pb2.Campaign(id=request.campaign_id, workspace_id=request.workspace_id)
        )


async def read_as(
    reads: CampaignReads, workspace: str, campaign: str, request_id: str, role: Role
) -> campaigns_pb2.Campaign:
    """A read made while serving a request (its id and role bound as the gateway's middleware binds them)."""
    structlog.contextvars.bind_contextvars(request_id=request_id)
    CALLER_ROLE.set(role)
    return await reads.get(workspace, campaign)


async def test_reads_made_together_go_as_one_call_each_answered_its_own():
    campaigns = Campaigns()
    reads = CampaignReads(campaigns)  # type: ignore[arg-type]
    got = await asyncio.gather(
        read_as(reads, "w1", "c1", "req-1", Role.OWNER),
        read_as(reads, "w2", "c2", "req-2", Role.VIEWER),
        read_as(reads, "w1", "gone-3", "req-3", Role.MEMBER),
        return_exceptions=True,
    )
    assert len(campaigns.calls) == 1
    request, metadata = campaigns.calls[0]
    assert [(r.workspace_id, r.campaign_id) for r in request.reads] == [("w1", "c1"), ("w2", "c2"), ("w1", "gone-3")]
    assert list(request.request_ids) == ["req-1", "req-2", "req-3"]
    # Checked by campaigns as the least-privileged caller in the call.
    assert metadata == {"x-request-id": "req-1", "x-holdfast-role": "viewer"}
    assert [(c.workspace_id, c.id) for c in got[:2]] == [("w1", "c1"), ("w2", "c2")]
    assert isinstance(got[2], errors.NotFound) and got[2].message == "campaign not found"


async def test_a_read_made_alone_goes_at_once_as_a_call_of_one():
    campaigns = Campaigns()
    reads = CampaignReads(campaigns)  # type: ignore[arg-type]
    first = await asyncio.wait_for(reads.get("w1", "c1"), 1)
    second = await asyncio.wait_for(reads.get("w1", "c2"), 1)
    assert (first.id, second.id) == ("c1", "c2")
    assert [len(request.reads) for request, _ in campaigns.calls] == [1, 1]


async def test_more_reads_than_a_call_carries_go_as_several_calls():
    campaigns = Campaigns()
    reads = CampaignReads(campaigns, max_batch=4)  # type: ignore[arg-type]
    got = await asyncio.gather(*(reads.get("w", f"c{n}") for n in range(10)))
    assert [c.id for c in got] == [f"c{n}" for n in range(10)]
    assert [len(request.reads) for request, _ in campaigns.calls] == [4, 4, 2]


async def test_a_failed_call_fails_each_of_its_reads_with_an_error_of_its_own():
    campaigns = Campaigns()
    campaigns.fail = errors.Unavailable("campaigns is restarting", code="database_unavailable")
    reads = CampaignReads(campaigns)  # type: ignore[arg-type]
    got = await asyncio.gather(reads.get("w", "c1"), reads.get("w", "c2"), return_exceptions=True)
    assert all(isinstance(e, errors.Unavailable) and e.code == "database_unavailable" for e in got)
    assert got[0] is not got[1]
    # The next reads are sent afresh.
    campaigns.fail = None
    assert (await reads.get("w", "c3")).id == "c3"


async def test_a_request_that_goes_away_leaves_the_other_reads_of_its_call_answered():
    campaigns = Campaigns()
    campaigns.hold = asyncio.Event()
    reads = CampaignReads(campaigns)  # type: ignore[arg-type]
    leaving = asyncio.create_task(reads.get("w", "c1"))
    staying = asyncio.create_task(reads.get("w", "c2"))
    await campaigns.called.wait()
    leaving.cancel()
    campaigns.hold.set()
    assert (await staying).id == "c2"
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert len(campaigns.calls) == 1


async def test_an_older_campaigns_without_get_campaigns_is_asked_read_by_read():
    """During a rolling upgrade this gateway may reach a campaigns pod that predates GetCampaigns: each read goes
    as its own GetCampaign call, with its own request's id and role."""
    campaigns = Campaigns()
    campaigns.older = True
    reads = CampaignReads(campaigns)  # type: ignore[arg-type]
    got = await asyncio.gather(
        read_as(reads, "w1", "c1", "req-1", Role.OWNER),
        read_as(reads, "w2", "gone-2", "req-2", Role.VIEWER),
        return_exceptions=True,
    )
    assert isinstance(got[0], campaigns_pb2.Campaign) and (got[0].workspace_id, got[0].id) == ("w1", "c1")
    assert isinstance(got[1], errors.NotFound)
    assert [(r.workspace_id, r.campaign_id, m) for r, m in campaigns.alone] == [
        ("w1", "c1", {"x-request-id": "req-1", "x-holdfast-role": "owner"}),
        ("w2", "gone-2", {"x-request-id": "req-2", "x-holdfast-role": "viewer"}),
    ]


async def test_an_answer_that_does_not_fit_fails_each_read_rather_than_leaving_it_waiting():
    campaigns = Campaigns()
    campaigns.short = True
    reads = CampaignReads(campaigns)  # type: ignore[arg-type]
    got = await asyncio.wait_for(asyncio.gather(reads.get("w", "c1"), reads.get("w", "c2"), return_exceptions=True), 1)
    assert [(type(e), e.message) for e in got] == [(errors.DomainError, "internal error")] * 2  # type: ignore[union-attr]
