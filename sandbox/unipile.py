"""An in-memory Unipile v1 sandbox: a fake third party for local runs and tests.

It speaks Unipile's documented wire format (paths, JSON and multipart bodies, `X-API-KEY`, the
`{title, detail, type, status}` error shape, list envelopes with `items` and `cursor`, webhook payloads), so
the real `services.common.providers.unipile` client is what runs against it.

Control API (JSON, no auth) under `/_sandbox/`, for tests and the local demo:
  POST /_sandbox/reset                    forget everything
  GET  /_sandbox/state                    everything sent and recorded (invites, chats, deliveries...)
  POST /_sandbox/accounts                 {id?, name, status?, restricted?, connections?: [id | profile]}
  POST /_sandbox/accounts/{id}/status     {status?, restricted?, message?, notify?}
                                          -> `account_status` webhooks
  POST /_sandbox/accounts/{id}/accept     {provider_id, full_name?, public_identifier?, picture_url?, notify?}
                                          -> relation added, `users` webhooks with event new_relation
  POST /_sandbox/failures                 {endpoint, status, type, count?, title?, detail?, retry_after?,
                                           non_json?}: the next `count` calls to `endpoint` fail that way
  POST /_sandbox/latency                  {endpoint?, ms, after_acting?}: fixed delay for one endpoint, or global
                                          (null); with after_acting the call takes effect first and only its
                                          answer is late (a client that times out cannot know it acted)
  GET  /_sandbox/hosted/{token}           the page a hosted reconnect link opens
  POST /_sandbox/hosted/{token}/complete  finish that reconnect: status OK, RECONNECTED webhooks, notify_url
A profile is {provider_id, full_name?, public_identifier?, picture_url?}.
Chat and message reads, a prospect writing to an account and `message_received` webhooks: unipile_messaging.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hmac
import json
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any

import aiohttp
from aiohttp import web
from multidict import MultiDictProxy

API_PREFIX = "/api/v1/"
# What a server logs when the client closed the connection before it answered (nginx's convention).
CLIENT_CLOSED_REQUEST = 499
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
)
# Values of an account's `sources[].status`.
SOURCE_STATUSES = ("OK", "CONNECTING", "CREDENTIALS", "PERMISSIONS", "STOPPED", "ERROR")
WEBHOOK_SOURCES = ("account_status", "users", "messaging", "email", "email_tracking")
INVITE_MESSAGE_MAX_CHARS = 300
SENT_INVITATIONS_MAX_LIMIT = 250
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
    # The attendee who wrote it; None for our own account (see unipile_messaging).
    sender_provider_id: str | None = None


@dataclass
class Chat:
    id: str
    account_id: str
    attendee_provider_id: str
    messages: list[Message] = field(default_factory=list)


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


@dataclass
class SandboxState:
    api_key: str
    clock: Callable[[], datetime] = _utc_now
    # Short on purpose: a control call that fires webhooks must not hang on a dead receiver.
    webhook_timeout_s: float = 2.0
    accounts: dict[str, SandboxAccount] = field(default_factory=dict)
    profiles: dict[str, Profile] = field(default_factory=dict)
    invitations: list[Invitation] = field(default_factory=list)
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

    def pending_invitation(self, account_id: str, provider_id: str) -> Invitation | None:
        return next(
            (
                invitation
                for invitation in self.invitations
                if invitation.account_id == account_id
                and invitation.provider_id == provider_id
                and invitation.accepted_at is None
            ),
            None,
        )

    def take_failure(self, endpoint: str) -> InjectedFailure | None:
        failure = self.failures.get(endpoint)
        if failure is None:
            return None
        failure.remaining -= 1
        if failure.remaining <= 0:
            del self.failures[endpoint]
        return failure


STATE = web.AppKey("unipile_sandbox_state", SandboxState)
# Parts of the sandbox in modules of their own that build on this one (unipile_messaging), registered by the
# sandbox package: each adds its routes to a new app, and may ask to hear of the messages our account sends.
EXTENSIONS: list[Callable[[web.Application], None]] = []
SENT_HOOKS = web.AppKey("unipile_sandbox_sent_hooks", list)
_HTTP = web.AppKey("unipile_sandbox_http", aiohttp.ClientSession)


class _Reject(Exception):
    """Raised by handlers and helpers to answer at once with a ready response."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


def create_app(api_key: str) -> web.Application:
    if not api_key:
        raise ValueError("api_key is required")
    app = web.Application(middlewares=[_middleware])
    app[STATE] = SandboxState(api_key=api_key)
    app.cleanup_ctx.append(_http_session)
    app.router.add_get("/api/v1/accounts/{account_id}", _get_account, name="get_account")
    app.router.add_post("/api/v1/users/invite", _send_invite, name="send_invite")
    app.router.add_get("/api/v1/users/invite/sent", _list_sent_invitations, name="list_sent_invitations")
    app.router.add_get("/api/v1/users/relations", _list_relations, name="list_relations")
    app.router.add_post("/api/v1/chats", _start_chat, name="start_chat")
    app.router.add_post("/api/v1/chats/{chat_id}/messages", _send_message, name="send_message")
    app.router.add_post("/api/v1/hosted/accounts/link", _create_hosted_link, name="create_reconnect_link")
    app.router.add_post("/api/v1/webhooks", _create_webhook, name="create_webhook")
    app.router.add_post("/_sandbox/reset", _control_reset)
    app.router.add_get("/_sandbox/state", _control_state)
    app.router.add_post("/_sandbox/accounts", _control_create_account)
    app.router.add_post("/_sandbox/accounts/{account_id}/status", _control_set_status)
    app.router.add_post("/_sandbox/accounts/{account_id}/accept", _control_accept)
    app.router.add_post("/_sandbox/failures", _control_inject_failure)
    app.router.add_post("/_sandbox/latency", _control_set_latency)
    app.router.add_get("/_sandbox/hosted/{token}", _hosted_page)
    app.router.add_post("/_sandbox/hosted/{token}/complete", _hosted_complete)
    app[SENT_HOOKS] = []
    for extend in EXTENSIONS:
        extend(app)
    return app


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
# Middleware: latency, call counting, API key, injected failures


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        if request.path.startswith(API_PREFIX):
            return await _api_gate(request, handler)
        return await handler(request)
    except _Reject as reject:
        return reject.response
    except ConnectionResetError:
        # The client gave up before its request was read (a time-out tests cause on purpose, with injected
        # latency): nobody is left to answer, and this is no error of the sandbox worth a traceback.
        return web.Response(status=CLIENT_CLOSED_REQUEST)


async def _api_gate(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE]
    endpoint = request.match_info.route.name
    if endpoint is not None:
        state.calls[endpoint] += 1
    delay_ms = state.latency_ms.get(endpoint, state.global_latency_ms) if endpoint else state.global_latency_ms
    if delay_ms:
        await asyncio.sleep(delay_ms / 1000)
    given = request.headers.get("X-API-KEY", "").encode()
    if not hmac.compare_digest(given, state.api_key.encode()):
        return _unipile_error(
            401,
            "errors/missing_credentials",
            "Missing credentials",
            "The access token is missing or invalid.",
        )
    if endpoint is None:
        raise _not_found(f"No route for {request.method} {request.path}.")
    failure = state.take_failure(endpoint)
    if failure is not None:
        return _failure_response(failure)
    response = await handler(request)
    late_ms = state.late_answer_ms.get(endpoint, 0)
    if late_ms:
        await asyncio.sleep(late_ms / 1000)
    return response


def _failure_response(failure: InjectedFailure) -> web.Response:
    if failure.non_json:
        response = web.Response(
            status=failure.status,
            text=f"<html><body><h1>{failure.status} {escape(failure.title)}</h1></body></html>",
            content_type="text/html",
        )
    else:
        response = _unipile_error(failure.status, failure.type, failure.title, failure.detail)
    if failure.retry_after is not None:
        response.headers["Retry-After"] = failure.retry_after
    return response


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
# Unipile API


async def _get_account(request: web.Request) -> web.Response:
    state = request.app[STATE]
    account = _account(state, request.match_info["account_id"])
    return _json(
        {
            "object": "Account",
            "type": "LINKEDIN",
            "id": account.id,
            "name": account.name,
            "created_at": account.created_at,
            "connection_params": {
                "im": {
                    "id": f"SELF{account.id}",
                    "publicIdentifier": account.id.lower(),
                    "username": account.name,
                }
            },
            "sources": [{"id": f"{account.id}_MESSAGING", "status": account.status}],
            "groups": [],
        }
    )


async def _send_invite(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await _json_object(request, _invalid)
    account_id = _required_str(body, "account_id", _invalid)
    provider_id = _required_str(body, "provider_id", _invalid)
    message = _optional_str(body, "message", _invalid)
    if message is not None and len(message) > INVITE_MESSAGE_MAX_CHARS:
        raise _Reject(
            _unipile_error(
                400,
                "errors/too_many_characters",
                "Too many characters",
                f"The message exceeds {INVITE_MESSAGE_MAX_CHARS} characters.",
            )
        )
    account = _usable_account(state, account_id)
    if provider_id in account.relations:
        return _unipile_error(
            422, "errors/cannot_invite_attendee", "Cannot invite attendee", "The user is already a relation."
        )
    if any(i.account_id == account_id and i.provider_id == provider_id for i in state.invitations):
        return _unipile_error(
            422,
            "errors/already_invited_recently",
            "Already invited recently",
            "An invitation was already sent to this user recently.",
        )
    invitation = Invitation(
        id=str(secrets.randbits(62)),
        account_id=account_id,
        provider_id=provider_id,
        message=message or None,
        sent_at=state.clock(),
    )
    state.invitations.append(invitation)
    return _json({"object": "UserInvitationSent", "invitation_id": invitation.id}, 201)


async def _list_sent_invitations(request: web.Request) -> web.Response:
    state = request.app[STATE]
    account = _usable_account(state, _required_str(request.query, "account_id", _invalid))
    offset, limit = _page_bounds(request, SENT_INVITATIONS_MAX_LIMIT)
    pending = [i for i in state.invitations if i.account_id == account.id and i.accepted_at is None]
    items = [_invitation_item(state, invitation) for invitation in reversed(pending)]
    return _page("InvitationList", items, offset, limit)


def _invitation_item(state: SandboxState, invitation: Invitation) -> dict[str, Any]:
    profile = state.profile(invitation.provider_id)
    return {
        "object": "InvitationSent",
        "id": invitation.id,
        "date": "Sent recently",
        "parsed_datetime": invitation.sent_at,
        "invitation_text": invitation.message,
        "invited_user": profile.full_name,
        "invited_user_id": invitation.provider_id,
        "invited_user_public_id": profile.public_identifier,
        "invited_user_profile_picture_url": profile.picture_url,
        "invited_user_description": None,
    }


async def _list_relations(request: web.Request) -> web.Response:
    state = request.app[STATE]
    account = _usable_account(state, _required_str(request.query, "account_id", _invalid))
    offset, limit = _page_bounds(request, RELATIONS_MAX_LIMIT)
    newest_first = sorted(account.relations.values(), key=lambda r: r.created_at, reverse=True)
    items = [_relation_item(state, relation) for relation in newest_first]
    return _page("UserRelationsList", items, offset, limit)


def _relation_item(state: SandboxState, relation: Relation) -> dict[str, Any]:
    profile = state.profile(relation.provider_id)
    first_name, _, last_name = profile.full_name.partition(" ")
    return {
        "object": "UserRelation",
        "connection_urn": f"urn:li:fsd_connection:{relation.provider_id}",
        "created_at": int(relation.created_at.timestamp() * 1000),
        "first_name": first_name,
        "last_name": last_name,
        "member_id": relation.provider_id,
        "member_urn": f"urn:li:fsd_profile:{relation.provider_id}",
        "headline": "",
        "public_identifier": profile.public_identifier,
        "public_profile_url": profile.profile_url,
        "profile_picture_url": profile.picture_url,
    }


async def _start_chat(request: web.Request) -> web.Response:
    state = request.app[STATE]
    form = await _multipart(request)
    account_id = _required_str(form, "account_id", _invalid)
    text = _required_str(form, "text", _invalid)
    attendees = form.getall("attendees_ids", [])
    if len(attendees) != 1 or not isinstance(attendees[0], str) or not attendees[0]:
        raise _invalid("The sandbox supports exactly one entry in 'attendees_ids'.")
    attendee = attendees[0]
    account = _usable_account(state, account_id)
    if attendee not in account.relations:
        return _unipile_error(
            422,
            "errors/no_connection_with_recipient",
            "No connection with recipient",
            "The recipient appears not to be first degree connection.",
        )
    chat = next(
        (c for c in state.chats.values() if c.account_id == account.id and c.attendee_provider_id == attendee),
        None,
    )
    if chat is None:
        chat = Chat(id=secrets.token_urlsafe(16), account_id=account.id, attendee_provider_id=attendee)
        state.chats[chat.id] = chat
    message = Message(id=secrets.token_urlsafe(16), text=text, sent_at=state.clock())
    chat.messages.append(message)
    _sent_by_us(request.app, chat, message)
    return _json({"object": "ChatStarted", "chat_id": chat.id, "message_id": message.id}, 201)


async def _send_message(request: web.Request) -> web.Response:
    state = request.app[STATE]
    chat = state.chats.get(request.match_info["chat_id"])
    if chat is None:
        raise _not_found(f"Chat {request.match_info['chat_id']} not found.")
    form = await _multipart(request)
    text = _required_str(form, "text", _invalid)
    _usable_account(state, chat.account_id)
    message = Message(id=secrets.token_urlsafe(16), text=text, sent_at=state.clock())
    chat.messages.append(message)
    _sent_by_us(request.app, chat, message)
    return _json({"object": "MessageSent", "message_id": message.id}, 201)


def _sent_by_us(app: web.Application, chat: Chat, message: Message) -> None:
    for hook in app[SENT_HOOKS]:
        hook(app, chat, message)


async def _create_hosted_link(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await _json_object(request, _invalid)
    if body.get("type") != "reconnect":
        raise _invalid("The sandbox supports hosted links of type 'reconnect' only.")
    account = _account(state, _required_str(body, "reconnect_account", _invalid))
    _required_str(body, "api_url", _invalid)
    providers = body.get("providers")
    if providers != "*" and not (isinstance(providers, list) and all(isinstance(p, str) for p in providers)):
        raise _invalid("'providers' must be \"*\" or a list of provider names.")
    expires_raw = _required_str(body, "expiresOn", _invalid)
    try:
        expires_on = datetime.fromisoformat(expires_raw)
    except ValueError:
        raise _invalid("'expiresOn' must be an ISO 8601 datetime.") from None
    if expires_on.tzinfo is None or expires_on <= state.clock():
        raise _invalid("'expiresOn' must be a UTC datetime in the future.")
    link = HostedLink(
        token=secrets.token_urlsafe(24),
        account_id=account.id,
        expires_on=expires_on,
        name=_optional_str(body, "name", _invalid),
        notify_url=_optional_str(body, "notify_url", _invalid),
        success_redirect_url=_optional_str(body, "success_redirect_url", _invalid),
    )
    state.hosted_links[link.token] = link
    url = f"{request.url.origin()}/_sandbox/hosted/{link.token}"
    return _json({"object": "HostedAuthURL", "url": url}, 201)


async def _create_webhook(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await _json_object(request, _invalid)
    request_url = _required_str(body, "request_url", _invalid)
    source = _required_str(body, "source", _invalid)
    if source not in WEBHOOK_SOURCES:
        raise _invalid(f"'source' must be one of {', '.join(WEBHOOK_SOURCES)}.")
    raw_headers = body.get("headers", [])
    if not isinstance(raw_headers, list) or not all(
        isinstance(h, dict) and isinstance(h.get("key"), str) and isinstance(h.get("value"), str) for h in raw_headers
    ):
        raise _invalid("'headers' must be a list of {key, value} strings.")
    webhook = Webhook(
        id=secrets.token_urlsafe(16),
        request_url=request_url,
        source=source,
        name=_optional_str(body, "name", _invalid) or "",
        headers={h["key"]: h["value"] for h in raw_headers},
    )
    state.webhooks.append(webhook)
    return _json({"object": "WebhookCreated", "webhook_id": webhook.id}, 201)


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


# ---------------------------------------------------------------------------------------------------------
# Control API


async def _control_reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return web.Response(status=204)


async def _control_state(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return _json(
        {
            "accounts": [
                {
                    "id": a.id,
                    "name": a.name,
                    "status": a.status,
                    "restricted": a.restricted,
                    "relations": [_relation_item(state, r) for r in a.relations.values()],
                }
                for a in state.accounts.values()
            ],
            "invitations": [
                {
                    "id": i.id,
                    "account_id": i.account_id,
                    "provider_id": i.provider_id,
                    "message": i.message,
                    "sent_at": i.sent_at,
                    "accepted_at": i.accepted_at,
                }
                for i in state.invitations
            ],
            "chats": [
                {
                    "id": c.id,
                    "account_id": c.account_id,
                    "attendee_provider_id": c.attendee_provider_id,
                    "messages": [{"id": m.id, "text": m.text, "sent_at": m.sent_at} for m in c.messages],
                }
                for c in state.chats.values()
            ],
            "webhooks": [
                {
                    "id": w.id,
                    "request_url": w.request_url,
                    "source": w.source,
                    "name": w.name,
                    "headers": w.headers,
                }
                for w in state.webhooks
            ],
            "deliveries": [_delivery_view(d) for d in state.deliveries],
            "hosted_links": [
                {"token": h.token, "account_id": h.account_id, "expires_on": h.expires_on, "used": h.used}
                for h in state.hosted_links.values()
            ],
            "calls": dict(state.calls),
        }
    )


def _delivery_view(delivery: Delivery) -> dict[str, Any]:
    return {
        "source": delivery.source,
        "request_url": delivery.request_url,
        "payload": delivery.payload,
        "status": delivery.status,
        "error": delivery.error,
    }


def _profile_from(state: SandboxState, body: Mapping[str, Any]) -> Profile:
    """A profile from a control body; fields left out keep their registered or default values."""
    provider_id = _required_str(body, "provider_id", _control_invalid)
    known = state.profile(provider_id)
    return Profile(
        provider_id=provider_id,
        full_name=_optional_str(body, "full_name", _control_invalid) or known.full_name,
        public_identifier=_optional_str(body, "public_identifier", _control_invalid) or known.public_identifier,
        picture_url=_optional_str(body, "picture_url", _control_invalid) or known.picture_url,
    )


def _source_status(value: object) -> str:
    if value not in SOURCE_STATUSES:
        raise _control_invalid(f"'status' must be one of {', '.join(SOURCE_STATUSES)}.")
    return str(value)


async def _control_create_account(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await _json_object(request, _control_invalid)
    account_id = _optional_str(body, "id", _control_invalid) or secrets.token_urlsafe(16)
    if account_id in state.accounts:
        raise _Reject(_control_error(409, "already_exists", f"Account {account_id} already exists."))
    connections = body.get("connections", [])
    if not isinstance(connections, list):
        raise _control_invalid("'connections' must be a list of provider ids or profiles.")
    profiles = [
        _profile_from(state, {"provider_id": c} if isinstance(c, str) else c if isinstance(c, dict) else {})
        for c in connections
    ]
    now = state.clock()
    account = SandboxAccount(
        id=account_id,
        name=_required_str(body, "name", _control_invalid),
        status=_source_status(body.get("status", "OK")),
        restricted=_optional_bool(body, "restricted", False),
        created_at=now,
    )
    for profile in profiles:
        state.profiles[profile.provider_id] = profile
        account.relations[profile.provider_id] = Relation(provider_id=profile.provider_id, created_at=now)
    state.accounts[account.id] = account
    return _json({"account": {"id": account.id, "name": account.name, "status": account.status}}, 201)


async def _control_set_status(request: web.Request) -> web.Response:
    state = request.app[STATE]
    account_id = request.match_info["account_id"]
    account = state.accounts.get(account_id)
    if account is None:
        raise _Reject(_control_error(404, "not_found", f"Account {account_id} not found."))
    body = await _json_object(request, _control_invalid)
    status = _source_status(body.get("status", account.status))
    restricted = _optional_bool(body, "restricted", account.restricted)
    # The webhook vocabulary is wider than sources[].status (e.g. RECONNECTED, SYNC_SUCCESS).
    message = _optional_str(body, "message", _control_invalid) or status
    notify = _optional_bool(body, "notify", True)
    account.status = status
    account.restricted = restricted
    deliveries = (
        await _fire(request.app, "account_status", lambda _: _account_status_payload(account.id, message))
        if notify
        else []
    )
    return _json(
        {
            "account": {"id": account.id, "status": account.status, "restricted": account.restricted},
            "deliveries": [_delivery_view(d) for d in deliveries],
        }
    )


async def _control_accept(request: web.Request) -> web.Response:
    state = request.app[STATE]
    account_id = request.match_info["account_id"]
    account = state.accounts.get(account_id)
    if account is None:
        raise _Reject(_control_error(404, "not_found", f"Account {account_id} not found."))
    body = await _json_object(request, _control_invalid)
    profile = _profile_from(state, body)
    notify = _optional_bool(body, "notify", True)
    invitation = state.pending_invitation(account.id, profile.provider_id)
    if invitation is None:
        raise _Reject(
            _control_error(404, "not_found", f"No pending invitation from {account.id} to {profile.provider_id}.")
        )
    now = state.clock()
    invitation.accepted_at = now
    state.profiles[profile.provider_id] = profile
    account.relations[profile.provider_id] = Relation(provider_id=profile.provider_id, created_at=now)

    def payload(webhook: Webhook) -> dict[str, Any]:
        return {
            "event": "new_relation",
            "account_id": account.id,
            "account_type": "LINKEDIN",
            "webhook_name": webhook.name,
            "user_full_name": profile.full_name,
            "user_provider_id": profile.provider_id,
            "user_public_identifier": profile.public_identifier,
            "user_profile_url": profile.profile_url,
            "user_picture_url": profile.picture_url,
        }

    deliveries = await _fire(request.app, "users", payload) if notify else []
    return _json(
        {
            "relation": _relation_item(state, account.relations[profile.provider_id]),
            "deliveries": [_delivery_view(d) for d in deliveries],
        }
    )


async def _control_inject_failure(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await _json_object(request, _control_invalid)
    endpoint = body.get("endpoint")
    if endpoint not in ENDPOINTS:
        raise _control_invalid(f"'endpoint' must be one of {', '.join(ENDPOINTS)}.")
    status = body.get("status")
    count = body.get("count", 1)
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise _control_invalid("'status' must be an HTTP error status (400-599).")
    if not isinstance(count, int) or count < 1:
        raise _control_invalid("'count' must be a positive integer.")
    retry_after = body.get("retry_after")
    if retry_after is not None and not isinstance(retry_after, str | int):
        raise _control_invalid("'retry_after' must be a header value (string or integer seconds).")
    error_type = _required_str(body, "type", _control_invalid)
    state.failures[str(endpoint)] = InjectedFailure(
        status=status,
        type=error_type,
        remaining=count,
        title=_optional_str(body, "title", _control_invalid) or "Injected failure",
        detail=_optional_str(body, "detail", _control_invalid) or f"Injected by the sandbox: {error_type}.",
        retry_after=None if retry_after is None else str(retry_after),
        non_json=_optional_bool(body, "non_json", False),
    )
    return _json({"endpoint": endpoint, "remaining": count}, 201)


async def _control_set_latency(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await _json_object(request, _control_invalid)
    endpoint = body.get("endpoint")
    ms = body.get("ms")
    if not isinstance(ms, int) or isinstance(ms, bool) or ms < 0:
        raise _control_invalid("'ms' must be a non-negative integer.")
    if _optional_bool(body, "after_acting", False):
        if endpoint not in ENDPOINTS:
            raise _control_invalid(f"'after_acting' needs 'endpoint', one of {', '.join(ENDPOINTS)}.")
        state.late_answer_ms[str(endpoint)] = ms
        return _json({"endpoint": endpoint, "ms": ms, "after_acting": True})
    if endpoint is None:
        state.global_latency_ms = ms
    elif endpoint in ENDPOINTS:
        state.latency_ms[str(endpoint)] = ms
    else:
        raise _control_invalid(f"'endpoint' must be null (global) or one of {', '.join(ENDPOINTS)}.")
    return _json({"endpoint": endpoint, "ms": ms})


# ---------------------------------------------------------------------------------------------------------
# Hosted reconnect page


def _live_link(request: web.Request) -> HostedLink:
    state = request.app[STATE]
    link = state.hosted_links.get(request.match_info["token"])
    if link is None:
        raise _Reject(web.Response(status=404, text="Unknown link.", content_type="text/plain"))
    if link.used or link.expires_on <= state.clock():
        raise _Reject(web.Response(status=410, text="This link has expired.", content_type="text/plain"))
    return link


async def _hosted_page(request: web.Request) -> web.Response:
    link = _live_link(request)
    account = _account(request.app[STATE], link.account_id)
    html = (
        "<!doctype html><html><head><title>Reconnect LinkedIn (sandbox)</title></head><body>"
        f"<h1>Reconnect {escape(account.name)}</h1>"
        f'<form method="post" action="/_sandbox/hosted/{escape(link.token)}/complete">'
        '<button type="submit">Reconnect</button></form></body></html>'
    )
    return web.Response(text=html, content_type="text/html")


async def _hosted_complete(request: web.Request) -> web.Response:
    link = _live_link(request)
    state = request.app[STATE]
    account = _account(state, link.account_id)
    link.used = True
    account.status = "OK"
    await _fire(request.app, "account_status", lambda _: _account_status_payload(account.id, "RECONNECTED"))
    if link.notify_url is not None:
        notice = {"status": "RECONNECTED", "account_id": account.id, "name": link.name}
        await _deliver(request.app, "notify_url", link.notify_url, notice, {})
    if link.success_redirect_url is not None:
        raise web.HTTPSeeOther(link.success_redirect_url)
    return _json({"status": "RECONNECTED", "account_id": account.id})
