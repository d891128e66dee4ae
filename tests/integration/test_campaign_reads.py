"""Campaign reads sent together (campaigns' GetCampaigns; the gateway's services/gateway/campaign_reads.py): each read
is answered as GetCampaign alone would answer it, and no workspace sees another's campaign, whatever it is read
with."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from holdfast.campaigns.v1 import campaigns_pb2, campaigns_pb2_grpc
from services.campaigns.server import MAX_READS
from services.common import errors
from services.common.grpc_client import open_channel
from services.common.grpc_errors import from_status
from services.common.metrics import CAMPAIGN_READ_BATCH

SCHEDULE = {"days": ["mon"], "window": {"start": "09:00", "end": "10:00"}, "timezone": "UTC"}


async def new_campaign(suite, auth: dict[str, str], name: str) -> str:
    status, created = await suite.call("POST", "/api/v1/campaigns", auth, json={"name": name, "schedule": SCHEDULE})
    assert status == 201, created
    return created["id"]


async def test_each_read_is_answered_as_get_campaign_alone_answers_it(suite):
    a, auth_a = await suite.new_workspace("A")
    b, auth_b = await suite.new_workspace("B")
    mine, theirs = await new_campaign(suite, auth_a, "Mine"), await new_campaign(suite, auth_b, "Theirs")
    reads = [
        (a, mine),
        (a, theirs),  # another workspace's campaign: not found, as alone
        (b, theirs),
        (a, str(uuid.uuid4())),
        (a, "not-a-uuid"),  # a path id that does not parse: not found
        ("not-a-uuid", mine),  # a malformed workspace id: invalid argument
        (a, mine),  # the same read twice: answered twice
    ]
    async with open_channel(f"127.0.0.1:{suite.ports['campaigns']}") as channel:
        stub = campaigns_pb2_grpc.CampaignsServiceStub(channel)
        together = await stub.GetCampaigns(
            campaigns_pb2.GetCampaignsRequest(
                reads=[campaigns_pb2.GetCampaignRequest(workspace_id=w, campaign_id=c) for w, c in reads]
            )
        )
        assert len(together.reads) == len(reads)
        for (workspace_id, campaign_id), answer in zip(reads, together.reads, strict=True):
            try:
                alone: campaigns_pb2.Campaign | errors.DomainError = (
                    await stub.GetCampaign(
                        campaigns_pb2.GetCampaignRequest(workspace_id=workspace_id, campaign_id=campaign_id)
                    )
                ).campaign
            except errors.DomainError as exc:
                alone = exc
            if isinstance(alone, errors.DomainError):
                assert answer.WhichOneof("result") == "error", (workspace_id, campaign_id)
                error = from_status(answer.error)
                assert (type(error), error.code, error.message, error.details) == (
                    type(alone),
                    alone.code,
                    alone.message,
                    alone.details,
                )
            else:
                assert answer.campaign == alone
        with pytest.raises(errors.InvalidArgument) as refused:
            await stub.GetCampaigns(
                campaigns_pb2.GetCampaignsRequest(
                    reads=[campaigns_pb2.GetCampaignRequest(workspace_id=a, campaign_id=mine)] * (MAX_READS + 1)
                )
            )
        assert refused.value.field == "reads"
    kinds = [a.WhichOneof("result") for a in together.reads]
    assert kinds == ["campaign", "error", "campaign", "error", "error", "error", "campaign"]
    assert isinstance(from_status(together.reads[5].error), errors.InvalidArgument)


async def test_concurrent_requests_of_two_workspaces_each_see_only_their_own(suite):
    """Through the gateway, many requests at once (so their reads go to campaigns together): each answered for its
    own workspace, another's campaign not found."""
    _, auth_a = await suite.new_workspace("A")
    _, auth_b = await suite.new_workspace("B")
    mine = [await new_campaign(suite, auth_a, f"A{n}") for n in range(3)]
    theirs = [await new_campaign(suite, auth_b, f"B{n}") for n in range(3)]
    asked = [
        (auth, campaign, expected)
        for _ in range(8)
        for auth, campaign, expected in (
            *((auth_a, c, 200) for c in mine),
            *((auth_b, c, 200) for c in theirs),
            (auth_a, theirs[0], 404),
            (auth_b, mine[1], 404),
        )
    ]
    calls_before, reads_before = _batches()
    answers = await asyncio.gather(*(suite.call("GET", f"/api/v1/campaigns/{c}", auth) for auth, c, _ in asked))
    calls, read = (n - before for n, before in zip(_batches(), (calls_before, reads_before), strict=True))
    for (_, campaign, expected), (status, body) in zip(asked, answers, strict=True):
        assert status == expected, body
        if expected == 200:
            assert body["id"] == campaign
        else:
            assert body["error"]["code"] == "not_found"
    # The reads did go together (else this test would show nothing about reads sent with others).
    assert read == len(asked) and calls < read


def _batches() -> tuple[float, float]:
    """(GetCampaigns calls, reads sent in them) so far, from the gateway's metric."""
    samples = {s.name: s.value for metric in CAMPAIGN_READ_BATCH.collect() for s in metric.samples}
    return (
        samples["holdfast_gateway_campaign_read_batch_size_count"],
        samples["holdfast_gateway_campaign_read_batch_size_sum"],
    )


async def test_a_server_without_get_campaigns_answers_not_implemented_which_the_gateway_falls_back_on(suite):
    """What the gateway's fallback (campaign_reads.py) catches is what gRPC answers for a method a server lacks:
    accounts, asked for GetCampaigns, stands in for a campaigns pod older than it."""
    async with open_channel(f"127.0.0.1:{suite.ports['accounts']}") as channel:
        with pytest.raises(errors.NotImplementedYet):
            await campaigns_pb2_grpc.CampaignsServiceStub(channel).GetCampaigns(campaigns_pb2.GetCampaignsRequest())
