"""Async client for Unipile's v1 REST API: account health, LinkedIn invites and messages, relations,
hosted reconnect links and webhooks.

Wire formats follow developer.unipile.com (v1) and DESIGN.md §6. Every non-2xx answer becomes a
`UnipileError` whose `kind` tells the caller what the failure means for the account or the prospect
(DESIGN S10); the API key never appears in an error, a repr or a log line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import aiohttp

INVITE_MESSAGE_MAX_CHARS = 300
SENT_INVITATIONS_MAX_LIMIT = 250
RELATIONS_MAX_LIMIT = 1000
# Chats and chat messages are listed up to 250 a page.
CHATS_MAX_LIMIT = 250
# Longest slice of a non-JSON error body kept in `detail` (HTML error pages can be large).
_RAW_DETAIL_MAX_CHARS = 200


class FailureKind(StrEnum):
    DISCONNECTED = "disconnected"
    RESTRICTED = "restricted"
    COOLDOWN = "cooldown"
    PROSPECT_REFUSED = "prospect_refused"
    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"
    UNKNOWN = "unknown"
    # SMTP only: the mail server refused the inbox itself (its sender address, relaying), not the recipient (T3, T5).
    SENDER_REFUSED = "sender_refused"


_KIND_BY_TYPE: dict[str, FailureKind] = {
    "errors/disconnected_account": FailureKind.DISCONNECTED,
    "errors/expired_credentials": FailureKind.DISCONNECTED,
    "errors/invalid_credentials": FailureKind.DISCONNECTED,
    "errors/checkpoint_error": FailureKind.DISCONNECTED,
    "errors/account_restricted": FailureKind.RESTRICTED,
    "errors/cannot_resend_yet": FailureKind.COOLDOWN,
    "errors/limit_exceeded": FailureKind.COOLDOWN,
    "errors/already_invited_recently": FailureKind.PROSPECT_REFUSED,
    "errors/invalid_recipient": FailureKind.PROSPECT_REFUSED,
    "errors/blocked_recipient": FailureKind.PROSPECT_REFUSED,
    "errors/cannot_invite_attendee": FailureKind.PROSPECT_REFUSED,
    "errors/too_many_requests": FailureKind.RATE_LIMITED,
    "errors/provider_error": FailureKind.TRANSIENT,
    "errors/network_down": FailureKind.TRANSIENT,
    "errors/service_unavailable": FailureKind.TRANSIENT,
}

NETWORK_ERROR_TYPE = "network"
# The request may have reached Unipile (a time-out or a dropped connection after sending): whether it acted
# is unknown, so the caller must not simply send again (DESIGN S8).
NO_ANSWER_TYPE = "no_answer"
MALFORMED_RESPONSE_TYPE = "malformed_response"


def classify(status: int, error_type: str) -> FailureKind:
    """Map an answer to what it means for sending (DESIGN §6); status 0 is a network failure."""
    kind = _KIND_BY_TYPE.get(error_type)
    if kind is not None:
        return kind
    if error_type == NO_ANSWER_TYPE:
        return FailureKind.UNKNOWN
    if status == 0 or status >= 500:
        return FailureKind.TRANSIENT
    # A 429 without Unipile's body (e.g. from a proxy in front of it) is still a rate limit.
    if status == 429:
        return FailureKind.RATE_LIMITED
    return FailureKind.UNKNOWN


class UnipileError(Exception):
    """A failed Unipile call. `status` is 0 for network errors and timeouts (type "network")."""

    def __init__(self, status: int, type: str, title: str, detail: str, retry_after_s: float | None = None) -> None:
        super().__init__(status, type, title, detail)
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.kind = classify(status, type)
        self.retry_after_s = retry_after_s

    def __str__(self) -> str:
        text = f"Unipile {self.status} {self.type or '-'} ({self.kind}): {self.title}"
        return f"{text}: {self.detail}" if self.detail else text

    def __repr__(self) -> str:
        return (
            f"UnipileError(status={self.status!r}, type={self.type!r}, kind={self.kind.value!r}, "
            f"title={self.title!r}, detail={self.detail!r}, retry_after_s={self.retry_after_s!r})"
        )


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    type: str
    name: str
    # The most severe of the account's `sources[].status` values: OK, CONNECTING, STOPPED, ERROR,
    # PERMISSIONS, CREDENTIALS; "UNKNOWN" when Unipile lists no source yet.
    status: str


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
    text: str
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


def _utc_now() -> datetime:
    return datetime.now(UTC)


class UnipileClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        session: aiohttp.ClientSession,
        timeout_s: float = 15.0,
        *,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is required")
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self._base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._now = now

    def __repr__(self) -> str:
        return f"UnipileClient(base_url={self._base_url!r})"

    async def get_account(self, account_id: str) -> Account:
        payload = await self._request("GET", f"accounts/{_segment(account_id)}")
        return Account(
            id=payload.required_str("id"),
            type=payload.required_str("type"),
            name=payload.optional_str("name") or "",
            status=_account_status(payload.body.get("sources")),
        )

    async def send_invite(self, account_id: str, provider_id: str, message: str | None) -> str:
        if message is not None and len(message) > INVITE_MESSAGE_MAX_CHARS:
            raise ValueError(f"invite message is {len(message)} chars; LinkedIn allows {INVITE_MESSAGE_MAX_CHARS}")
        body: dict[str, str] = {"account_id": account_id, "provider_id": provider_id}
        if message:
            body["message"] = message
        payload = await self._request("POST", "users/invite", json_body=body)
        return payload.required_str("invitation_id")

    async def start_chat(self, account_id: str, attendee_provider_id: str, text: str) -> ChatResult:
        form = aiohttp.FormData(default_to_multipart=True)
        form.add_field("account_id", account_id)
        form.add_field("text", text)
        form.add_field("attendees_ids", attendee_provider_id)
        payload = await self._request("POST", "chats", data=form)
        return ChatResult(chat_id=payload.optional_str("chat_id"), message_id=payload.optional_str("message_id"))

    async def send_message(self, chat_id: str, text: str) -> str:
        form = aiohttp.FormData(default_to_multipart=True)
        form.add_field("text", text)
        payload = await self._request("POST", f"chats/{_segment(chat_id)}/messages", data=form)
        return payload.required_str("message_id")

    async def list_sent_invitations(
        self, account_id: str, cursor: str | None = None, limit: int = 100
    ) -> Page[SentInvitation]:
        payload = await self._request(
            "GET",
            "users/invite/sent",
            params=_page_params(account_id, cursor, limit, SENT_INVITATIONS_MAX_LIMIT),
        )
        items = tuple(
            SentInvitation(
                invitation_id=item.required_str("id"),
                provider_id=item.optional_str("invited_user_id"),
                public_identifier=item.optional_str("invited_user_public_id"),
                name=item.optional_str("invited_user"),
                sent_at=_parse_datetime(item.optional_str("parsed_datetime")),
                message=item.optional_str("invitation_text"),
            )
            for item in payload.items()
        )
        return Page(items=items, cursor=payload.optional_str("cursor") or None)

    async def list_relations(self, account_id: str, cursor: str | None = None, limit: int = 100) -> Page[Relation]:
        payload = await self._request(
            "GET", "users/relations", params=_page_params(account_id, cursor, limit, RELATIONS_MAX_LIMIT)
        )
        items = tuple(
            Relation(
                provider_id=item.required_str("member_id"),
                public_identifier=item.optional_str("public_identifier"),
                name=" ".join(
                    part for part in (item.optional_str("first_name"), item.optional_str("last_name")) if part
                ),
            )
            for item in payload.items()
        )
        return Page(items=items, cursor=payload.optional_str("cursor") or None)

    async def get_message(self, message_id: str) -> ChatMessage:
        return _chat_message(await self._request("GET", f"messages/{_segment(message_id)}"))

    async def get_chat(self, chat_id: str) -> ChatSummary:
        return _chat_summary(await self._request("GET", f"chats/{_segment(chat_id)}"))

    async def list_chats(self, account_id: str, cursor: str | None = None, limit: int = 20) -> Page[ChatSummary]:
        """The account's chats, most recently active first."""
        payload = await self._request("GET", "chats", params=_page_params(account_id, cursor, limit, CHATS_MAX_LIMIT))
        return Page(items=tuple(_chat_summary(item) for item in payload.items()),
                    cursor=payload.optional_str("cursor") or None)

    async def list_chat_messages(self, chat_id: str, cursor: str | None = None,
                                 limit: int = 20) -> Page[ChatMessage]:
        """A chat's messages, newest first."""
        if not 1 <= limit <= CHATS_MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {CHATS_MAX_LIMIT}")
        params = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        payload = await self._request("GET", f"chats/{_segment(chat_id)}/messages", params=params)
        return Page(items=tuple(_chat_message(item) for item in payload.items()),
                    cursor=payload.optional_str("cursor") or None)

    async def create_reconnect_link(
        self,
        account_id: str,
        expires_on: datetime,
        api_url: str,
        notify_url: str | None = None,
        success_redirect_url: str | None = None,
    ) -> str:
        if expires_on.tzinfo is None:
            raise ValueError("expires_on must be timezone-aware")
        body: dict[str, str] = {
            "type": "reconnect",
            "reconnect_account": account_id,
            # The account's provider is fixed on reconnect; "*" is the documented "any provider" value.
            "providers": "*",
            "api_url": api_url,
            "expiresOn": _format_expires_on(expires_on),
        }
        if notify_url is not None:
            body["notify_url"] = notify_url
        if success_redirect_url is not None:
            body["success_redirect_url"] = success_redirect_url
        payload = await self._request("POST", "hosted/accounts/link", json_body=body)
        return payload.required_str("url")

    async def create_webhook(
        self, request_url: str, source: str, headers: Mapping[str, str], name: str | None = None
    ) -> str:
        body: dict[str, Any] = {
            "request_url": request_url,
            "source": source,
            "headers": [{"key": key, "value": value} for key, value in headers.items()],
        }
        if name is not None:
            body["name"] = name
        payload = await self._request("POST", "webhooks", json_body=body)
        return payload.required_str("webhook_id")

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, Any] | None = None,
        data: aiohttp.FormData | None = None,
    ) -> _Payload:
        headers = {"X-API-KEY": self._api_key, "accept": "application/json"}
        try:
            # No redirects: following one could hand the API key to another host.
            async with self._session.request(
                method,
                f"{self._base_url}/api/v1/{path}",
                params=params,
                json=json_body,
                data=data,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                status = response.status
                reason = response.reason or ""
                retry_after = response.headers.get("Retry-After")
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Could not connect: nothing was sent. Anything later: Unipile may have acted.
            error_type = NETWORK_ERROR_TYPE if isinstance(exc, aiohttp.ClientConnectorError) else NO_ANSWER_TYPE
            # `from None`: aiohttp's exceptions can carry the request headers, API key included.
            raise UnipileError(
                0, error_type, type(exc).__name__, self._redact(str(exc) or "request timed out")
            ) from None
        if 200 <= status < 300:
            return _Payload(status, _decode_success(status, raw))
        raise self._error_from_answer(status, reason, raw, retry_after)

    def _error_from_answer(self, status: int, reason: str, raw: bytes, retry_after: str | None) -> UnipileError:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if isinstance(body, dict):
            error_type = _as_text(body.get("type"))
            title = _as_text(body.get("title")) or reason
            detail = _as_text(body.get("detail"))
        else:
            error_type = ""
            title = reason or f"HTTP {status}"
            detail = raw[:_RAW_DETAIL_MAX_CHARS].decode("utf-8", "replace")
        return UnipileError(
            status,
            error_type,
            self._redact(title),
            self._redact(detail),
            retry_after_s=_parse_retry_after(retry_after, self._now()),
        )

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "[redacted]")


@dataclass(frozen=True, slots=True)
class _Payload:
    """A decoded JSON object; missing or mistyped fields raise a malformed-response error."""

    status: int
    body: Mapping[str, Any]

    def required_str(self, key: str) -> str:
        value = self.body.get(key)
        if not isinstance(value, str) or not value:
            raise _malformed(self.status, f"field {key!r} is missing or not a string")
        return value

    def optional_str(self, key: str) -> str | None:
        value = self.body.get(key)
        if value is None or isinstance(value, str):
            return value
        raise _malformed(self.status, f"field {key!r} is not a string")

    def items(self) -> list[_Payload]:
        items = self.body.get("items")
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise _malformed(self.status, "field 'items' is not a list of objects")
        return [_Payload(self.status, item) for item in items]


def _chat_message(payload: _Payload) -> ChatMessage:
    is_sender = payload.body.get("is_sender")
    if not isinstance(is_sender, bool | int):
        raise _malformed(payload.status, "field 'is_sender' is missing or not a number")
    return ChatMessage(id=payload.required_str("id"), chat_id=payload.required_str("chat_id"),
                       sender_provider_id=payload.optional_str("sender_id") or "",
                       text=payload.optional_str("text") or "", is_sender=bool(is_sender),
                       sent_at=_parse_datetime(payload.optional_str("timestamp")))


def _chat_summary(payload: _Payload) -> ChatSummary:
    return ChatSummary(id=payload.required_str("id"), account_id=payload.required_str("account_id"),
                       attendee_provider_id=payload.optional_str("attendee_provider_id"),
                       updated_at=_parse_datetime(payload.optional_str("timestamp")))


def _malformed(status: int, detail: str) -> UnipileError:
    # UNKNOWN, never TRANSIENT: the call was answered 2xx, so the action may well have happened.
    return UnipileError(status, MALFORMED_RESPONSE_TYPE, "Unexpected response from Unipile", detail)


def _decode_success(status: int, raw: bytes) -> Mapping[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError:
        raise _malformed(status, "body is not JSON") from None
    if not isinstance(body, dict):
        raise _malformed(status, "body is not a JSON object")
    return body


def _segment(value: str) -> str:
    if not value:
        raise ValueError("an id is required")
    return quote(value, safe="")


def _page_params(account_id: str, cursor: str | None, limit: int, max_limit: int) -> dict[str, str]:
    if not 1 <= limit <= max_limit:
        raise ValueError(f"limit must be between 1 and {max_limit}")
    params = {"account_id": account_id, "limit": str(limit)}
    if cursor:
        params["cursor"] = cursor
    return params


def _account_status(sources: object) -> str:
    statuses: list[str] = [
        source["status"]
        for source in (sources if isinstance(sources, list) else [])
        if isinstance(source, dict) and isinstance(source.get("status"), str)
    ]
    if not statuses:
        return "UNKNOWN"
    return min(statuses, key=lambda status: _STATUS_SEVERITY.get(status, _UNLISTED_STATUS_SEVERITY))


def _format_expires_on(moment: datetime) -> str:
    # Unipile's documented form: ISO 8601 UTC with milliseconds, e.g. 2024-12-22T12:00:00.701Z.
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _parse_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _parse_retry_after(value: str | None, now: datetime) -> float | None:
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


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else ""
