from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp


def to_timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value.astimezone(UTC))
    return ts


def from_timestamp(ts: Timestamp) -> datetime:
    moment: datetime = ts.ToDatetime(tzinfo=UTC)  # protobuf ships no type hints
    return moment
