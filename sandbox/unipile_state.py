"""The Unipile sandbox's state, its wire-format helpers and webhook delivery (see `sandbox.unipile`)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from multidict import MultiDictProxy

API_PREFIX = "/api/v1/"
# Endpoint names used by failure and latency injection; they match the client's method names.
ENDPOINTS = (
    "get_account",
    "send_invite",
    "start_chat",
    "send_message",
    "list_sent_invitations",
    "list_relations",
    "create_reconnect_link",
    "create_webhook",
    "get_user",
    "list_accounts",
    "list_chats",
    "list_chat_messages",
    "get_chat",
    "get_message",
    "list_webhooks",
    "delete_webhook",
)
# Unipile reports the share of the invitation limit used when it passes these (DESIGN §6).
USAGE_THRESHOLDS = (50, 75, 90, 95)
DEFAULT_INVITE_LIMIT = 100
# Values of an account's `sources[].status`.
SOURCE_STATUSES = ("OK", "CONNECTING", "CREDENTIALS", "PERMISSIONS", "STOPPED", "ERROR")
WEBHOOK_SOURCES = ("account_status", "users", "messaging", "email", "email_tracking")
INVITE_MESSAGE_MAX_CHARS = 300
SENT_INVITATIONS_MAX_LIMIT = 100
CHATS_MAX_LIMIT = 250
RELATIONS_MAX_LIMIT = 1000
DEFAULT_PAGE_LIMIT = 100


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Profile:
    provider_id: str
    full_name: str
    public_identifier: str
    picture_url: str

    @property
    def profile_url(self) -> str:
        return f"https://www.linkedin.com/in/{self.public_identifier}/"


@dataclass
class Relation:
    provider_id: str
    created_at: datetime


@dataclass
class SandboxAccount:
    id: str
    name: str
    status: str
    restricted: bool
    created_at: datetime
    relations: dict[str, Relation] = field(default_factory=dict)
    # LinkedIn's weekly invitation limit as this sandbox applies it, and the InMail credits left.
    invite_limit: int = DEFAULT_INVITE_LIMIT
    inmail_credits: int = 0
    premium_features: list[str] = field(default_factory=list)
    # Unipile serves other providers too; Holdfast must refuse anything but LINKEDIN.
    type: str = "LINKEDIN"


@dataclass
class Invitation:
    id: str
    account_id: str
    provider_id: str
    message: str | None
    sent_at: datetime
    accepted_at: datetime | None = None


@dataclass
class Message:
    id: str
    text: str
    sent_at: datetime
    # 1 when the account sent it, 0 when the attendee did (Unipile's `is_sender`).
    is_sender: int = 1


@dataclass
class Chat:
    id: str
    account_id: str
    attendee_provider_id: str
    messages: list[Message] = field(default_factory=list)
    inmail: bool = False
    # The `linkedin[api]` it was started through (None: LinkedIn Classic).
    api: str | None = None


@dataclass
class Webhook:
    id: str
    request_url: str
    source: str
    name: str
    headers: dict[str, str]


@dataclass
class Delivery:
    source: str
    request_url: str
    payload: dict[str, Any]
    # HTTP status the receiver answered, or None with `error` when it could not be reached in time.
    status: int | None
    error: str | None


@dataclass
class InjectedFailure:
    status: int
    type: str
    remaining: int
    title: str
    detail: str
    retry_after: str | None
    non_json: bool


@dataclass
class HostedLink:
    token: str
    account_id: str
    expires_on: datetime
    name: str | None
    notify_url: str | None
    success_redirect_url: str | None
    used: bool = False
    # "reconnect" (account_id set) or "create" (an account is made when the user finishes).
    type: str = "reconnect"
    created_on: datetime | None = None


@dataclass
class SandboxState:
    api_key: str
    clock: Callable[[], datetime] = _utc_now
    # Short on purpose: a control call that fires webhooks must not hang on a dead receiver.
    webhook_timeout_s: float = 2.0
    accounts: dict[str, SandboxAccount] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    invitations: list[Invitation] = field(default_factory=list)
    # The same invitations by account (`add_invitation` keeps both): a send looks at its account's only, not at
    # every invitation sent so far (B11 sends 5,000 invites; the scans made the sandbox quadratic, its slowest part).
    invitations_by_account: dict[str, list[Invitation]] = field(default_factory=dict)
    chats: dict[str, Chat] = field(default_factory=dict)
    webhooks: list[Webhook] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    hosted_links: dict[str, HostedLink] = field(default_factory=dict)
    failures: dict[str, InjectedFailure] = field(default_factory=dict)
    latency_ms: dict[str, int] = field(default_factory=dict)
    global_latency_ms: int = 0
    late_answer_ms: dict[str, int] = field(default_factory=dict)
    # Calls per endpoint, counted before authentication, so tests can prove a call was never made.
    calls: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        for collection in (
            self.accounts,
            self.profiles,
            self.invitations,
            self.invitations_by_account,
            self.chats,
            self.webhooks,
            self.deliveries,
            self.hosted_links,
            self.failures,
            self.latency_ms,
            self.late_answer_ms,
            self.calls,
        ):
            collection.clear()
        self.global_latency_ms = 0

    def profile(self, provider_id: str) -> Profile:
        return self.profiles.get(provider_id) or Profile(
            provider_id=provider_id,
            full_name=f"Prospect {provider_id}",
            public_identifier=f"prospect-{provider_id.lower()}",
            picture_url=f"https://sandbox.invalid/pictures/{provider_id}.jpg",
        )

    def add_invitation(self, invitation: Invitation) -> None:
        self.invitations.append(invitation)
        self.invitations_by_account.setdefault(invitation.account_id, []).append(invitation)

    def invitations_of(self, account_id: str) -> list[Invitation]:
        return self.invitations_by_account.get(account_id, [])

    def pending_invitation(self, account_id: str, provider_id: str) -> Invitation | None:
        return next(
            (
                invitation
                for invitation in self.invitations_of(account_id)
                if invitation.provider_id == provider_id and invitation.accepted_at is None
            ),
            None,
        )

    def take_failure(self, endpoint: str, account_id: str | None) -> InjectedFailure | None:
        """The failure injected for this endpoint and this account (or, if none, for every account)."""
        key = f"{endpoint}@{account_id}" if account_id and f"{endpoint}@{account_id}" in self.failures else endpoint
        failure = self.failures.get(key)
        if failure is None:
            return None
        failure.remaining -= 1
        if failure.remaining <= 0:
            del self.failures[key]
        return failure

    def invite_usage(self, account: SandboxAccount) -> int:
        """Per cent of the account's invitation limit used over the last 7 days."""
        week_ago = self.clock().timestamp() - 7 * 86400
        sent = sum(1 for i in self.invitations_of(account.id) if i.sent_at.timestamp() > week_ago)
        return sent * 100 // max(account.invite_limit, 1)


STATE = web.AppKey("unipile_sandbox_state", SandboxState)
_HTTP = web.AppKey("unipile_sandbox_http", aiohttp.ClientSession)


class _Reject(Exception):
    """Raised by handlers and helpers to answer at once with a ready response."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


async def _http_session(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session:
        app[_HTTP] = session
        yield


# ---------------------------------------------------------------------------------------------------------
# Responses


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return _iso(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


_dumps = functools.partial(json.dumps, default=_json_default)


def _json(body: object, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


def _unipile_error(status: int, error_type: str, title: str, detail: str) -> web.Response:
    return _json({"title": title, "detail": detail, "type": error_type, "status": status}, status)


def _control_error(status: int, code: str, message: str) -> web.Response:
    return _json({"error": {"code": code, "message": message}}, status)


def _invalid(detail: str) -> _Reject:
    return _Reject(_unipile_error(400, "errors/invalid_parameters", "Invalid parameters", detail))


def _not_found(detail: str) -> _Reject:
    return _Reject(_unipile_error(404, "errors/resource_not_found", "Resource not found", detail))


def _iso(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------------------------------------------------
# Request parsing


async def _json_object(request: web.Request, reject: Callable[[str], _Reject]) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise reject("The body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise reject("The body must be a JSON object.")
    return body


def _required_str(body: Mapping[str, Any], key: str, reject: Callable[[str], _Reject]) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise reject(f"'{key}' is required and must be a non-empty string.")
    return value


def _optional_str(body: Mapping[str, Any], key: str, reject: Callable[[str], _Reject]) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise reject(f"'{key}' must be a string.")
    return value


def _optional_bool(body: Mapping[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise _control_invalid(f"'{key}' must be a boolean.")
    return value


def _control_invalid(message: str) -> _Reject:
    return _Reject(_control_error(400, "invalid_argument", message))


async def _multipart(request: web.Request) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    # The documented format for chats and messages is multipart/form-data; anything else is a client bug.
    if request.content_type != "multipart/form-data":
        raise _invalid(f"Expected multipart/form-data, got {request.content_type}.")
    return await request.post()


def _account(state: SandboxState, account_id: str) -> SandboxAccount:
    account = state.accounts.get(account_id)
    if account is None:
        raise _not_found(f"Account {account_id} not found.")
    return account


def _usable_account(state: SandboxState, account_id: str) -> SandboxAccount:
    """The account, if it can act on LinkedIn now; otherwise the error Unipile answers for its state."""
    account = _account(state, account_id)
    if account.status == "CREDENTIALS":
        raise _Reject(
            _unipile_error(
                401,
                "errors/disconnected_account",
                "Disconnected account",
                "The account appears to be disconnected from the provider service.",
            )
        )
    if account.status != "OK":
        raise _Reject(
            _unipile_error(
                503,
                "errors/no_client_session",
                "No client session",
                "No client session is currently running.",
            )
        )
    if account.restricted:
        raise _Reject(
            _unipile_error(
                403,
                "errors/account_restricted",
                "Account restricted",
                "The account is restricted by the provider.",
            )
        )
    return account


def _page_bounds(request: web.Request, max_limit: int) -> tuple[int, int]:
    try:
        limit = int(request.query.get("limit", DEFAULT_PAGE_LIMIT))
    except ValueError:
        raise _invalid("'limit' must be an integer.") from None
    if not 1 <= limit <= max_limit:
        raise _invalid(f"'limit' must be between 1 and {max_limit}.")
    cursor = request.query.get("cursor")
    if not cursor:
        return 0, limit
    try:
        offset = int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("offset:"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _invalid("'cursor' is not a cursor this server issued.") from None
    return offset, limit


def _page(object_name: str, items: list[dict[str, Any]], offset: int, limit: int) -> web.Response:
    end = offset + limit
    cursor = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode() if end < len(items) else None
    return _json({"object": object_name, "items": items[offset:end], "cursor": cursor})


# ---------------------------------------------------------------------------------------------------------
# Webhook delivery


async def _deliver(
    app: web.Application, source: str, url: str, payload: dict[str, Any], headers: Mapping[str, str]
) -> Delivery:
    state = app[STATE]
    try:
        async with app[_HTTP].post(
            url, json=payload, headers=headers, timeout=aiohttp.ClientTimeout(total=state.webhook_timeout_s)
        ) as response:
            await response.read()
            delivery = Delivery(source=source, request_url=url, payload=payload, status=response.status, error=None)
    except (aiohttp.ClientError, TimeoutError) as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        delivery = Delivery(source=source, request_url=url, payload=payload, status=None, error=error)
    state.deliveries.append(delivery)
    return delivery


async def _fire(app: web.Application, source: str, payload_for: Callable[[Webhook], dict[str, Any]]) -> list[Delivery]:
    webhooks = [w for w in app[STATE].webhooks if w.source == source]
    return list(
        await asyncio.gather(*(_deliver(app, source, w.request_url, payload_for(w), w.headers) for w in webhooks))
    )


def _account_status_payload(account_id: str, message: str) -> dict[str, Any]:
    return {"AccountStatus": {"account_id": account_id, "account_type": "LINKEDIN", "message": message}}
