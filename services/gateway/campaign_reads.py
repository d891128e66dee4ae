"""Reads of campaigns made by concurrent requests, sent to campaigns as one GetCampaigns call.

Under load many requests read a campaign at the same moment: the UI polls a campaign's page every two seconds, and
every route under /campaigns/{id} reads the campaign to check it belongs to the caller's workspace. A gRPC call
costs both processes several times what the read itself costs (B5, docs/BENCHMARKS.md), so the reads asked during
one turn of the event loop go as one call, sent at the next turn: nothing waits on a timer, and a read made alone
goes at once, as a batch of one. Each read names its own workspace and is answered as GetCampaign would answer it
alone (campaigns checks the workspace of each); nothing is cached, and no read is merged with another."""

from __future__ import annotations

import asyncio
import contextvars
import copy
from dataclasses import dataclass

import structlog

from holdfast.campaigns.v1 import campaigns_pb2, campaigns_pb2_grpc
from services.common.errors import DomainError, NotImplementedYet
from services.common.grpc_errors import from_status
from services.common.grpc_server import REQUEST_ID_KEY
from services.common.metrics import CAMPAIGN_READ_BATCH
from services.common.roles import CALLER_ROLE, ROLE_KEY, Role

log = structlog.get_logger(__name__)

# Reads per call at most (campaigns takes up to 500): a burst is sent as several calls, served side by side.
MAX_BATCH = 64


@dataclass(frozen=True)
class _Read:
    workspace_id: str
    campaign_id: str
    request_id: str
    role: Role | None
    answer: asyncio.Future[campaigns_pb2.Campaign]


class CampaignReads:
    def __init__(self, stub: campaigns_pb2_grpc.CampaignsServiceStub, max_batch: int = MAX_BATCH):
        self._stub = stub
        self._max_batch = max_batch
        self._pending: list[_Read] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def get(self, workspace_id: str, campaign_id: str) -> campaigns_pb2.Campaign:
        """The campaign, as campaigns' GetCampaign answers it; raises the domain error that call would raise."""
        loop = asyncio.get_running_loop()
        read = _Read(
            workspace_id,
            campaign_id,
            structlog.contextvars.get_contextvars().get("request_id", ""),
            CALLER_ROLE.get(),
            loop.create_future(),
        )
        if not self._pending:
            loop.call_soon(self._send_pending)
        self._pending.append(read)
        return await read.answer

    def _send_pending(self) -> None:
        pending, self._pending = self._pending, []
        for start in range(0, len(pending), self._max_batch):
            # A context of its own: the call is no single request's (each read's id and role travel with it).
            task = asyncio.create_task(
                self._send(pending[start : start + self._max_batch]), context=contextvars.Context()
            )
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, reads: list[_Read]) -> None:
        CAMPAIGN_READ_BATCH.observe(len(reads))
        try:
            await self._call(reads)
        except asyncio.CancelledError:  # the gateway is stopping
            for read in reads:
                read.answer.cancel()
            raise
        except Exception:
            log.exception("campaign reads failed")
        finally:
            for read in reads:  # a read left unanswered fails rather than waits for ever
                if not read.answer.done():
                    read.answer.set_exception(DomainError("internal error"))

    async def _call(self, reads: list[_Read]) -> None:
        metadata = [(REQUEST_ID_KEY, reads[0].request_id)] if reads[0].request_id else []
        roles = [r.role for r in reads if r.role is not None]
        if roles:  # the least of them: the call is checked as made by the least-privileged caller in it
            metadata.append((ROLE_KEY, min(roles).word))
        try:
            got = await self._stub.GetCampaigns(
                campaigns_pb2.GetCampaignsRequest(
                    reads=[
                        campaigns_pb2.GetCampaignRequest(workspace_id=r.workspace_id, campaign_id=r.campaign_id)
                        for r in reads
                    ],
                    request_ids=[r.request_id for r in reads],
                ),
                metadata=metadata,
            )
        except NotImplementedYet:
            # Campaigns is older than this gateway (the Deployments roll side by side): each read alone.
            await asyncio.gather(*(self._send_alone(read) for read in reads))
            return
        except DomainError as exc:
            for read in reads:
                if not read.answer.done():  # a copy each: every request raises (and adds its traceback to) its own
                    read.answer.set_exception(copy.copy(exc))
            return
        if len(got.reads) != len(reads):
            raise DomainError(f"campaigns answered {len(got.reads)} reads of {len(reads)}")
        for read, answer in zip(reads, got.reads, strict=True):
            if read.answer.done():  # its request went away meanwhile
                continue
            if answer.HasField("campaign"):
                read.answer.set_result(answer.campaign)
            else:
                read.answer.set_exception(from_status(answer.error))

    async def _send_alone(self, read: _Read) -> None:
        """`read` as its own GetCampaign call, with its request's id and role."""
        metadata = [(REQUEST_ID_KEY, read.request_id)] if read.request_id else []
        if read.role is not None:
            metadata.append((ROLE_KEY, read.role.word))
        try:
            got = await self._stub.GetCampaign(
                campaigns_pb2.GetCampaignRequest(workspace_id=read.workspace_id, campaign_id=read.campaign_id),
                metadata=metadata,
            )
        except DomainError as exc:
            if not read.answer.done():
                read.answer.set_exception(exc)
            return
        if not read.answer.done():
            read.answer.set_result(got.campaign)
