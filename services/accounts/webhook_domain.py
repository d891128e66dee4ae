"""Outbound webhooks: what an endpoint may be, which events exist, how a message is signed (the Standard Webhooks
specification) and when a failed delivery is tried again. Pure: no I/O.

A message is the JSON `{"type", "timestamp", "data"}`, sent with the headers `webhook-id` (the same on every
attempt, so a receiver can drop a repeat), `webhook-timestamp` (Unix seconds of the attempt) and
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` under the endpoint's secret (`whsec_` then
the base64 of 32 random bytes; the HMAC key is those bytes)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from services.common.errors import InvalidArgument
from services.common.webhook_events import EVENT_TYPES

SECRET_PREFIX = "whsec_"
# Retries stop this long after the event: the delivery has failed, and its endpoint is disabled.
RETRY_WINDOW = timedelta(days=3)
FIRST_RETRY = timedelta(seconds=5)
LONGEST_WAIT = timedelta(hours=12)
# An attempt claimed by one replica is not claimed again before this (the answer is recorded long before).
CLAIM_LEASE = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Endpoint:
    id: str
    workspace_id: str
    url: str
    events: tuple[str, ...]
    enabled: bool
    disabled_reason: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: str  # pending, delivered, failed
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str
    delivered_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Message:
    """One attempt to send: where, with which secret, what."""

    delivery_id: str
    endpoint_id: str
    url: str
    secret: str
    event_id: str
    event_type: str
    occurred_at: datetime
    data: dict[str, Any]
    attempts: int
    created_at: datetime


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def message_id(event_id: str) -> str:
    return "msg_" + event_id.replace("-", "")


def body_of(event_type: str, occurred_at: datetime, data: dict[str, Any]) -> bytes:
    return json.dumps(
        {"type": event_type, "timestamp": occurred_at.isoformat().replace("+00:00", "Z"), "data": data},
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signed_headers(secret: str, msg_id: str, now: datetime, body: bytes) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, msg_id, timestamp, body),
        "Content-Type": "application/json",
    }


def next_attempt(attempts: int, created_at: datetime, now: datetime) -> datetime | None:
    """After the `attempts`-th failed attempt: when to try again (5 s, then four times longer each time, at most
    12 h apart), or None once three days have passed since the event."""
    wait = min(FIRST_RETRY * 4 ** (attempts - 1), LONGEST_WAIT)
    at = now + wait
    return None if at - created_at > RETRY_WINDOW else at


def validate_url(url: str, field: str = "url") -> tuple[str, str]:
    """An http(s) URL without credentials; returns it and its host."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a bracketed host that is not an IPv6 address
        raise InvalidArgument(f"{field}: not a URL", field=field) from None
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 2000:
        raise InvalidArgument(f"{field}: an http or https URL is needed", field=field)
    if parts.username or parts.password:
        raise InvalidArgument(f"{field}: credentials in the URL are refused", field=field)
    return url, parts.hostname


def validate_events(events: list[str], field: str = "events") -> tuple[str, ...]:
    if not events:
        raise InvalidArgument(f"{field}: at least one event type is needed", field=field)
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise InvalidArgument(
            f"{field}: unknown event type {unknown[0]!r}", field=field, details={"known": list(EVENT_TYPES)}
        )
    return tuple(t for t in EVENT_TYPES if t in events)


def is_private(address: str) -> bool:
    """Loopback, private, link-local, shared, reserved, multicast or unspecified: not a public address (SSRF)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def sender_event_type(previous: str, status: str) -> str | None:
    """The webhook event of a sender's health change, if any."""
    if status == "disconnected" and previous != "disconnected":
        return "sender.disconnected"
    if status == "connected" and previous == "disconnected":
        return "sender.reconnected"
    return None
