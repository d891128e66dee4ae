"""The outbox rows of webhook events that campaigns and the scheduler write from database triggers (JSON, since a
trigger cannot build protobuf), as the accounts call that records them (RecordWebhookEvent). Used by those two
services' outbox relays, at their gRPC edge."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from holdfast.accounts.v1 import accounts_pb2
from services.common.proto_time import to_timestamp

# The outbox destination of such rows.
RECORD_WEBHOOK_EVENT = "accounts.RecordWebhookEvent"


def webhook_event_request(payload: bytes) -> accounts_pb2.RecordWebhookEventRequest:
    event = json.loads(payload)
    return accounts_pb2.RecordWebhookEventRequest(
        event_id=event["event_id"],
        workspace_id=event["workspace_id"],
        type=event["type"],
        occurred_at=to_timestamp(datetime.fromtimestamp(float(event["occurred_at_epoch"]), tz=UTC)),
        data_json=json.dumps(event["data"]),
    )
