"""What Unipile's v1 REST API answers, as values: the accounts, invites, chats, relations, webhooks and pages the
client returns (services.common.providers.unipile, which re-exports them), and the decoding of an answer's JSON
into them. A missing or mistyped field is a malformed-response `UnipileError` (UNKNOWN: a 2xx answer means the
action may well have happened)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar

from services.common.providers.unipile_errors import MALFORMED_RESPONSE_TYPE, UnipileError


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    type: str
    name: str
    # The most severe of the account's `sources[].status` values: OK, CONNECTING, STOPPED, ERROR,
    # PERMISSIONS, CREDENTIALS; "UNKNOWN" when Unipile lists no source yet.
    status: str
    # LinkedIn's paid products of the account ("sales_navigator", "recruiter", "premium").
    premium_features: tuple[str, ...] = ()

    @property
    def inmail_api(self) -> str | None:
        """The `linkedin[api]` an InMail of this account goes through: its Recruiter or Sales Navigator seat."""
        for api in ("recruiter", "sales_navigator"):
            if api in self.premium_features:
                return api
        return None


@dataclass(frozen=True, slots=True)
class InviteResult:
    invitation_id: str
    # The percentage of the provider's invitation limit used, sent only when it passes 50/75/90/95.
    usage: int | None


@dataclass(frozen=True, slots=True)
class UserProfile:
    provider_id: str
    public_identifier: str | None
    name: str


@dataclass(frozen=True, slots=True)
class WebhookInfo:
    id: str
    source: str
    request_url: str
    name: str
    # The headers Unipile sends with each call (our shared secret among them).
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChatResult:
    # Both are documented as nullable: the provider does not always return them at once.
    chat_id: str | None
    message_id: str | None


@dataclass(frozen=True, slots=True)
class SentInvitation:
    invitation_id: str
    provider_id: str | None
    public_identifier: str | None
    name: str | None
    sent_at: datetime | None
    message: str | None


@dataclass(frozen=True, slots=True)
class Relation:
    # LinkedIn's member id (`member_id` on the wire): the same id invites and chats take.
    provider_id: str
    public_identifier: str | None
    name: str


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """A message of a chat, as Unipile reports it (GET /messages/{id}, GET /chats/{id}/messages)."""

    id: str
    chat_id: str
    # The attendee who wrote it (LinkedIn's provider id); ours too when is_sender.
    sender_provider_id: str
    text: str | None
    # True for a message our account sent: Unipile reports those as well.
    is_sender: bool
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class ChatSummary:
    id: str
    account_id: str
    # The other person of a one-to-one chat.
    attendee_provider_id: str | None
    # The last activity in the chat.
    updated_at: datetime | None


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    # None when there is no further page.
    cursor: str | None


# Worst first; a status Unipile adds later ranks just below CREDENTIALS, so it never reads as healthy.
_STATUS_SEVERITY = {"CREDENTIALS": 0, "PERMISSIONS": 2, "ERROR": 3, "STOPPED": 4, "CONNECTING": 5, "OK": 6}
_UNLISTED_STATUS_SEVERITY = 1


@dataclass(frozen=True, slots=True)
class Payload:
    """A decoded JSON object; missing or mistyped fields raise a malformed-response error."""

    status: int
    body: Mapping[str, Any]

    def required_str(self, key: str) -> str:
        value = self.body.get(key)
        if not isinstance(value, str) or not value:
            raise malformed(self.status, f"field {key!r} is missing or not a string")
        return value

    def optional_str(self, key: str) -> str | None:
        value = self.body.get(key)
        if value is None or isinstance(value, str):
            return value
        raise malformed(self.status, f"field {key!r} is not a string")

    def items(self) -> list[Payload]:
        items = self.body.get("items")
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise malformed(self.status, "field 'items' is not a list of objects")
        return [Payload(self.status, item) for item in items]


def chat_message_from(payload: Payload) -> ChatMessage:
    is_sender = payload.body.get("is_sender")
    if not isinstance(is_sender, bool | int):
        raise malformed(payload.status, "field 'is_sender' is missing or not a number")
    return ChatMessage(
        id=payload.required_str("id"),
        chat_id=payload.optional_str("chat_id") or "",
        sender_provider_id=payload.optional_str("sender_id") or "",
        text=payload.optional_str("text"),
        is_sender=bool(is_sender),
        sent_at=parse_datetime(payload.optional_str("timestamp")),
    )


def chat_summary_from(payload: Payload) -> ChatSummary:
    return ChatSummary(
        id=payload.required_str("id"),
        account_id=payload.optional_str("account_id") or "",
        attendee_provider_id=payload.optional_str("attendee_provider_id"),
        updated_at=parse_datetime(payload.optional_str("timestamp")),
    )


def account_from(payload: Payload) -> Account:
    im = payload.body.get("connection_params")
    im = im.get("im") if isinstance(im, dict) else None
    features = im.get("premiumFeatures") if isinstance(im, dict) else None
    return Account(
        id=payload.required_str("id"),
        type=payload.required_str("type"),
        name=payload.optional_str("name") or "",
        status=account_status(payload.body.get("sources")),
        premium_features=tuple(f for f in features if isinstance(f, str)) if isinstance(features, list) else (),
    )


def headers_from(value: object) -> dict[str, str]:
    if not isinstance(value, list):
        return {}
    return {
        h["key"]: h["value"]
        for h in value
        if isinstance(h, dict) and isinstance(h.get("key"), str) and isinstance(h.get("value"), str)
    }


def malformed(status: int, detail: str) -> UnipileError:
    # UNKNOWN, never TRANSIENT: the call was answered 2xx, so the action may well have happened.
    return UnipileError(status, MALFORMED_RESPONSE_TYPE, "Unexpected response from Unipile", detail)


def decode_success(status: int, raw: bytes) -> Mapping[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError:
        raise malformed(status, "body is not JSON") from None
    if not isinstance(body, dict):
        raise malformed(status, "body is not a JSON object")
    return body


def account_status(sources: object) -> str:
    statuses: list[str] = [
        source["status"]
        for source in (sources if isinstance(sources, list) else [])
        if isinstance(source, dict) and isinstance(source.get("status"), str)
    ]
    if not statuses:
        return "UNKNOWN"
    return min(statuses, key=lambda status: _STATUS_SEVERITY.get(status, _UNLISTED_STATUS_SEVERITY))


def parse_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def as_text(value: object) -> str:
    return value if isinstance(value, str) else ""
