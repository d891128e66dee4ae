"""Async client for Unipile's v1 REST API: account health, LinkedIn invites and messages, relations,
hosted reconnect links and webhooks.

Wire formats follow developer.unipile.com (v1) and DESIGN.md §6. Every non-2xx answer becomes a
`UnipileError` whose `kind` tells the caller what the failure means for the account or the prospect
(DESIGN S10); the API key never appears in an error, a repr or a log line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import aiohttp
import structlog

from services.common.metrics import PROVIDER_UNMAPPED_ERRORS

# Re-exported: callers import what Unipile answers from here, with the client.
from services.common.providers.unipile_answers import (
    Account as Account,
)
from services.common.providers.unipile_answers import (
    ChatMessage as ChatMessage,
)
from services.common.providers.unipile_answers import (
    ChatResult as ChatResult,
)
from services.common.providers.unipile_answers import (
    ChatSummary as ChatSummary,
)
from services.common.providers.unipile_answers import (
    InviteResult as InviteResult,
)
from services.common.providers.unipile_answers import (
    Page as Page,
)
from services.common.providers.unipile_answers import (
    Payload,
    account_from,
    as_text,
    chat_message_from,
    chat_summary_from,
    decode_success,
    headers_from,
    parse_datetime,
    parse_retry_after,
)
from services.common.providers.unipile_answers import (
    Relation as Relation,
)
from services.common.providers.unipile_answers import (
    SentInvitation as SentInvitation,
)
from services.common.providers.unipile_answers import (
    UserProfile as UserProfile,
)
from services.common.providers.unipile_answers import (
    WebhookInfo as WebhookInfo,
)

# Re-exported: callers import the error model from here, with the client.
from services.common.providers.unipile_errors import (
    DOCUMENTED_ERRORS as DOCUMENTED_ERRORS,
)
from services.common.providers.unipile_errors import (
    MALFORMED_RESPONSE_TYPE as MALFORMED_RESPONSE_TYPE,
)
from services.common.providers.unipile_errors import (
    NETWORK_ERROR_TYPE as NETWORK_ERROR_TYPE,
)
from services.common.providers.unipile_errors import (
    NO_ANSWER_TYPE as NO_ANSWER_TYPE,
)
from services.common.providers.unipile_errors import (
    FailureKind as FailureKind,
)
from services.common.providers.unipile_errors import (
    UnipileError as UnipileError,
)
from services.common.providers.unipile_errors import (
    classify as classify,
)
from services.common.providers.unipile_errors import (
    is_unmapped as is_unmapped,
)

log = structlog.get_logger(__name__)
INVITE_MESSAGE_MAX_CHARS = 300
SENT_INVITATIONS_MAX_LIMIT = 100
RELATIONS_MAX_LIMIT = 1000
# Chats and chat messages are listed up to 250 a page.
CHATS_MAX_LIMIT = 250
# Longest slice of a non-JSON error body kept in `detail` (HTML error pages can be large).
_RAW_DETAIL_MAX_CHARS = 200


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
        return account_from(payload)

    async def list_accounts(self, cursor: str | None = None, limit: int = 100) -> Page[Account]:
        params = {"limit": str(limit)}
        if cursor:
            params["cursor"] = cursor
        payload = await self._request("GET", "accounts", params=params)
        return Page(
            items=tuple(account_from(item) for item in payload.items()), cursor=payload.optional_str("cursor") or None
        )

    async def get_user(self, account_id: str, identifier: str) -> UserProfile:
        """A LinkedIn member by public identifier (or provider id), as `account_id` sees it: the provider id an
        invite needs (Unipile's first step of inviting)."""
        payload = await self._request("GET", f"users/{_segment(identifier)}", params={"account_id": account_id})
        name = " ".join(
            part for part in (payload.optional_str("first_name"), payload.optional_str("last_name")) if part
        )
        return UserProfile(
            provider_id=payload.required_str("provider_id"),
            public_identifier=payload.optional_str("public_identifier"),
            name=name,
        )

    async def send_invite(self, account_id: str, provider_id: str, message: str | None) -> InviteResult:
        if message is not None and len(message) > INVITE_MESSAGE_MAX_CHARS:
            # Callers check the rendered note before recording an attempt; this only guards the wire.
            raise ValueError(f"invite message is {len(message)} chars; LinkedIn allows {INVITE_MESSAGE_MAX_CHARS}")
        body: dict[str, str] = {"account_id": account_id, "provider_id": provider_id}
        if message:
            body["message"] = message
        payload = await self._request("POST", "users/invite", json_body=body)
        usage = payload.body.get("usage")
        return InviteResult(
            invitation_id=payload.required_str("invitation_id"),
            usage=int(usage) if isinstance(usage, int | float) and not isinstance(usage, bool) else None,
        )

    async def start_chat(
        self, account_id: str, attendee_provider_id: str, text: str, *, inmail: bool = False, api: str | None = None
    ) -> ChatResult:
        """A new chat with one member; `inmail` sends it as an InMail (to someone not connected), through the
        account's Sales Navigator or Recruiter seat when `api` names one."""
        form = aiohttp.FormData(default_to_multipart=True)
        form.add_field("account_id", account_id)
        form.add_field("text", text)
        form.add_field("attendees_ids", attendee_provider_id)
        if inmail:
            # As the official SDK sends them: a Classic InMail is flagged; through a Sales Navigator or
            # Recruiter seat the chat is an InMail by nature.
            form.add_field("linkedin[api]", api or "classic")
            if api is None:
                form.add_field("linkedin[inmail]", "true")
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
                sent_at=parse_datetime(item.optional_str("parsed_datetime")),
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
        return chat_message_from(await self._request("GET", f"messages/{_segment(message_id)}"))

    async def get_chat(self, chat_id: str) -> ChatSummary:
        return chat_summary_from(await self._request("GET", f"chats/{_segment(chat_id)}"))

    async def list_chats(
        self, account_id: str, cursor: str | None = None, limit: int = 20, *, after: datetime | None = None
    ) -> Page[ChatSummary]:
        """The account's chats, most recently active first (only those active since `after`, when given)."""
        params = _page_params(account_id, cursor, limit, CHATS_MAX_LIMIT)
        if after is not None:
            params["after"] = _format_expires_on(after)
        payload = await self._request("GET", "chats", params=params)
        return Page(
            items=tuple(chat_summary_from(item) for item in payload.items()),
            cursor=payload.optional_str("cursor") or None,
        )

    async def list_chat_messages(
        self, chat_id: str, cursor: str | None = None, limit: int = 20, *, after: datetime | None = None
    ) -> Page[ChatMessage]:
        """A chat's messages, newest first (only those sent since `after`, when given)."""
        if not 1 <= limit <= CHATS_MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {CHATS_MAX_LIMIT}")
        params = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        if after is not None:
            params["after"] = _format_expires_on(after)
        payload = await self._request("GET", f"chats/{_segment(chat_id)}/messages", params=params)
        return Page(
            items=tuple(chat_message_from(item) for item in payload.items()),
            cursor=payload.optional_str("cursor") or None,
        )

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

    async def create_account_link(
        self,
        expires_on: datetime,
        api_url: str,
        notify_url: str,
        name: str,
        success_redirect_url: str | None = None,
    ) -> str:
        """A hosted-auth link that connects a new LinkedIn account; Unipile posts `{status, account_id, name}`
        to `notify_url` once it is connected, `name` being ours (it says which workspace asked)."""
        if expires_on.tzinfo is None:
            raise ValueError("expires_on must be timezone-aware")
        body: dict[str, Any] = {
            "type": "create",
            "providers": ["LINKEDIN"],
            "api_url": api_url,
            "expiresOn": _format_expires_on(expires_on),
            "notify_url": notify_url,
            "name": name,
        }
        if success_redirect_url is not None:
            body["success_redirect_url"] = success_redirect_url
        payload = await self._request("POST", "hosted/accounts/link", json_body=body)
        return payload.required_str("url")

    async def list_webhooks(self, cursor: str | None = None, limit: int = 100) -> Page[WebhookInfo]:
        params = {"limit": str(limit)}
        if cursor:
            params["cursor"] = cursor
        payload = await self._request("GET", "webhooks", params=params)
        items = tuple(
            WebhookInfo(
                id=item.required_str("id"),
                source=item.optional_str("source") or "",
                request_url=item.optional_str("request_url") or "",
                name=item.optional_str("name") or "",
                headers=headers_from(item.body.get("headers")),
            )
            for item in payload.items()
        )
        return Page(items=items, cursor=payload.optional_str("cursor") or None)

    async def delete_webhook(self, webhook_id: str) -> None:
        await self._request("DELETE", f"webhooks/{_segment(webhook_id)}")

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
    ) -> Payload:
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
            return Payload(status, decode_success(status, raw))
        raise self._error_from_answer(status, reason, raw, retry_after)

    def _error_from_answer(self, status: int, reason: str, raw: bytes, retry_after: str | None) -> UnipileError:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if isinstance(body, dict):
            error_type = as_text(body.get("type"))
            title = as_text(body.get("title")) or reason
            detail = as_text(body.get("detail"))
        else:
            error_type = ""
            title = reason or f"HTTP {status}"
            detail = raw[:_RAW_DETAIL_MAX_CHARS].decode("utf-8", "replace")
        if is_unmapped(status, error_type):
            # T2: a type Unipile does not document is still a definite answer; make a new one visible.
            PROVIDER_UNMAPPED_ERRORS.labels(str(status), error_type[:60] or "-").inc()
            log.warning(
                "undocumented Unipile error type", status=status, type=error_type[:60], title=self._redact(title)[:100]
            )
        return UnipileError(
            status,
            error_type,
            self._redact(title),
            self._redact(detail),
            retry_after_s=parse_retry_after(retry_after, self._now()),
        )

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "[redacted]")


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


def _format_expires_on(moment: datetime) -> str:
    # Unipile's documented form: ISO 8601 UTC with milliseconds, e.g. 2024-12-22T12:00:00.701Z.
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"
