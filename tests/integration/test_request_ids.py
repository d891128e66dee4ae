"""One request id follows a request from the gateway through every gRPC hop into every log line."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import grpc
import pytest

from holdfast.campaigns.v1 import campaigns_pb2, campaigns_pb2_grpc


class Lines(logging.Handler):
    def __init__(self, formatter: logging.Formatter):
        super().__init__()
        self.setFormatter(formatter)
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


@contextmanager
def captured() -> Iterator[Lines]:
    """Every log line written meanwhile, debug ones included, as the suite's JSON renderer writes it."""
    root = logging.getLogger()
    capture = Lines(root.handlers[0].formatter)
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(level)


async def test_the_gateways_request_id_reaches_every_service_log(suite):
    _, auth = await suite.new_workspace()
    request_id = f"trace-{uuid.uuid4().hex[:8]}"
    with captured() as capture:
        async with suite.http.get(
            f"{suite.base_url}/api/v1/campaigns/{uuid.uuid4()}", headers={**auth, "X-Request-Id": request_id}
        ) as r:
            assert r.status == 404 and r.headers["X-Request-Id"] == request_id
    mine = [line for line in capture.lines if line.get("request_id") == request_id]
    rpcs = {line.get("rpc") for line in mine if line.get("rpc")}
    assert "/holdfast.accounts.v1.AccountsService/Authenticate" in rpcs, "the accounts hop carries it"
    assert "/holdfast.campaigns.v1.CampaignsService/GetCampaigns" in rpcs, "the campaigns hop carries it"
    assert any(line.get("http") and line.get("status") == 404 for line in mine), "the gateway's own line"
    assert all(line.get("request_id") in (request_id, None) for line in capture.lines if line.get("rpc") in rpcs), (
        "no other id on those hops"
    )


async def test_reads_sent_together_name_every_request_they_serve(suite):
    """Concurrent requests' campaign reads go to campaigns as one call (services/gateway/campaign_reads.py): its
    log lines carry the first request's id and name all of them in request_ids."""
    _, auth = await suite.new_workspace()
    ids = [f"trace-{uuid.uuid4().hex[:8]}" for _ in range(3)]

    async def read(request_id: str) -> int:
        async with suite.http.get(
            f"{suite.base_url}/api/v1/campaigns/{uuid.uuid4()}", headers={**auth, "X-Request-Id": request_id}
        ) as r:
            return r.status

    with captured() as capture:
        assert await asyncio.gather(*(read(i) for i in ids)) == [404, 404, 404]
    calls = [
        line
        for line in capture.lines
        if line.get("rpc") == "/holdfast.campaigns.v1.CampaignsService/GetCampaigns" and line.get("request_id") in ids
    ]
    named = [i for line in calls for i in line["request_ids"].split(",")]
    assert sorted(named) == sorted(ids), calls
    assert all(line["request_id"] == line["request_ids"].split(",")[0] for line in calls)


async def test_an_over_long_request_id_is_cut_before_any_log_line_or_hop(suite):
    """A caller's id is written into every log line: 6,000 characters of it would be logged on every hop."""
    _, auth = await suite.new_workspace()
    long_id = "t" + uuid.uuid4().hex + "x" * 6000
    with captured() as capture:
        async with suite.http.get(
            f"{suite.base_url}/api/v1/campaigns/{uuid.uuid4()}", headers={**auth, "X-Request-Id": long_id}
        ) as r:
            assert r.status == 404
            assert r.headers["X-Request-Id"] == long_id[:64]
        # Straight to a service, as another caller of its gRPC API would.
        async with grpc.aio.insecure_channel(f"127.0.0.1:{suite.ports['campaigns']}") as channel:
            stub = campaigns_pb2_grpc.CampaignsServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError):
                await stub.GetCampaign(
                    campaigns_pb2.GetCampaignRequest(workspace_id=str(uuid.uuid4()), campaign_id=str(uuid.uuid4())),
                    metadata=[("x-request-id", "g" + long_id)],
                    timeout=5,
                )
    ids = {line.get("request_id") for line in capture.lines} - {None}
    assert long_id[:64] in ids and ("g" + long_id)[:64] in ids, "both hops logged the cut id"
    assert all(len(i) <= 64 for i in ids), sorted(ids, key=len)[-1][:100]
    assert not [line for line in capture.lines if "x" * 100 in json.dumps(line)]


def test_request_ids_are_bounded_and_printable():
    from services.common.request_ids import MAX_CHARS, accept

    assert accept("trace-1") == "trace-1"
    assert accept("a" * 6000) == "a" * MAX_CHARS
    for unusable in (None, "", "with space", "caf\u00e9", "tab\there"):
        fresh = accept(unusable)
        assert len(fresh) == 32 and fresh != unusable and int(fresh, 16) >= 0
