"""One request id follows a request from the gateway through every gRPC hop into every log line."""

from __future__ import annotations

import json
import logging
import uuid


class Lines(logging.Handler):
    def __init__(self, formatter: logging.Formatter):
        super().__init__()
        self.setFormatter(formatter)
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


async def test_the_gateways_request_id_reaches_every_service_log(suite):
    _, auth = await suite.new_workspace()
    root = logging.getLogger()
    capture = Lines(root.handlers[0].formatter)  # the structlog JSON renderer set up for the suite
    level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        request_id = f"trace-{uuid.uuid4().hex[:8]}"
        async with suite.http.get(f"{suite.base_url}/api/v1/campaigns/{uuid.uuid4()}",
                                  headers={**auth, "X-Request-Id": request_id}) as r:
            assert r.status == 404 and r.headers["X-Request-Id"] == request_id
    finally:
        root.removeHandler(capture)
        root.setLevel(level)
    mine = [line for line in capture.lines if line.get("request_id") == request_id]
    rpcs = {line.get("rpc") for line in mine if line.get("rpc")}
    assert "/holdfast.accounts.v1.AccountsService/Authenticate" in rpcs, "the accounts hop carries it"
    assert "/holdfast.campaigns.v1.CampaignsService/GetCampaign" in rpcs, "the campaigns hop carries it"
    assert any(line.get("http") and line.get("status") == 404 for line in mine), "the gateway's own line"
    assert all(line.get("request_id") in (request_id, None) for line in capture.lines
               if line.get("rpc") in rpcs), "no other id on those hops"
