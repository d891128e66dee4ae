"""An in-memory Unipile v1 sandbox: a fake third party for local runs and tests.

It speaks Unipile's documented wire format (paths, JSON and multipart bodies, `X-API-KEY`, the
`{title, detail, type, status}` error shape, list envelopes with `items` and `cursor`, webhook payloads), so
the real `services.common.providers.unipile` client is what runs against it.

Control API (JSON, no auth) under `/_sandbox/`, for tests and the local demo:
  POST /_sandbox/reset                    forget everything
  GET  /_sandbox/state                    everything sent and recorded (invites, chats, deliveries...)
  POST /_sandbox/accounts                 {id?, name, status?, restricted?, connections?: [id | profile],
                                           invite_limit? (weekly; `usage` is answered at 50/75/90/95 %),
                                           inmail_credits?, premium_features?: ["sales_navigator", ...]}
  POST /_sandbox/accounts/{id}/status     {status?, restricted?, message?, notify?}
                                          -> `account_status` webhooks
  POST /_sandbox/accounts/{id}/accept     {provider_id, full_name?, public_identifier?, picture_url?, notify?}
                                          -> relation added, `users` webhooks with event new_relation
  POST /_sandbox/accounts/{id}/reply      {provider_id, text} -> the member writes; `messaging` webhooks
  POST /_sandbox/accounts/{id}/messages   the same (issue 16's name); chat and message reads by id: unipile_messaging
  POST /_sandbox/profiles                 a profile (below), found by GET /users/{public identifier}
  POST /_sandbox/failures                 {endpoint, status, type, account_id?, count?, title?, detail?,
                                           retry_after?, non_json?}: the next `count` calls to `endpoint` (for
                                          that account only, when given) fail that way; any type, documented
                                          or not, can be injected
  POST /_sandbox/latency                  {endpoint?, ms, after_acting?}: fixed delay for one endpoint, or global
                                          (null); with after_acting the call takes effect first and only its
                                          answer is late (a client that times out cannot know it acted)
  GET  /_sandbox/hosted/{token}           the page a hosted link opens (links die at 00:00 UTC, Unipile's daily
                                          restart, whatever their stated expiry)
  POST /_sandbox/hosted/{token}/complete  finish it: a reconnect sets the account OK (RECONNECTED), a create
                                          makes a new account (CREATION_SUCCESS); webhooks and notify_url
A profile is {provider_id, full_name?, public_identifier?, picture_url?}.

The state and wire helpers are in `unipile_state`, the API in `unipile_api`, the control API and hosted pages
in `unipile_control`; this module builds the app and gates every API call.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from html import escape

from aiohttp import web

from sandbox.unipile_api import (
    create_hosted_link,
    create_webhook,
    delete_webhook,
    get_account,
    get_user,
    list_accounts,
    list_chat_messages,
    list_chats,
    list_relations,
    list_sent_invitations,
    list_webhooks,
    send_invite,
    send_message,
    start_chat,
)
from sandbox.unipile_control import (
    control_accept,
    control_add_profile,
    control_create_account,
    control_inject_failure,
    control_reply,
    control_reset,
    control_set_latency,
    control_set_status,
    control_state,
    hosted_complete,
    hosted_page,
)
from sandbox.unipile_messaging import add_messaging
from sandbox.unipile_state import (
    API_PREFIX,
    ENDPOINTS,
    STATE,
    InjectedFailure,
    SandboxState,
    _http_session,
    _not_found,
    _Reject,
    _unipile_error,
)

# What a server logs when the client closed the connection before it answered (nginx's convention).
CLIENT_CLOSED_REQUEST = 499


def create_app(api_key: str) -> web.Application:
    if not api_key:
        raise ValueError("api_key is required")
    app = web.Application(middlewares=[_middleware])
    app[STATE] = SandboxState(api_key=api_key)
    app.cleanup_ctx.append(_http_session)
    app.router.add_get("/api/v1/accounts", list_accounts, name="list_accounts")
    app.router.add_get("/api/v1/accounts/{account_id}", get_account, name="get_account")
    app.router.add_get("/api/v1/chats", list_chats, name="list_chats")
    app.router.add_get("/api/v1/chats/{chat_id}/messages", list_chat_messages, name="list_chat_messages")
    app.router.add_get("/api/v1/webhooks", list_webhooks, name="list_webhooks")
    app.router.add_delete("/api/v1/webhooks/{webhook_id}", delete_webhook, name="delete_webhook")
    app.router.add_post("/_sandbox/profiles", control_add_profile)
    app.router.add_post("/api/v1/users/invite", send_invite, name="send_invite")
    app.router.add_get("/api/v1/users/invite/sent", list_sent_invitations, name="list_sent_invitations")
    app.router.add_get("/api/v1/users/relations", list_relations, name="list_relations")
    app.router.add_get("/api/v1/users/{identifier}", get_user, name="get_user")
    app.router.add_post("/api/v1/chats", start_chat, name="start_chat")
    app.router.add_post("/api/v1/chats/{chat_id}/messages", send_message, name="send_message")
    app.router.add_post("/api/v1/hosted/accounts/link", create_hosted_link, name="create_reconnect_link")
    app.router.add_post("/api/v1/webhooks", create_webhook, name="create_webhook")
    app.router.add_post("/_sandbox/reset", control_reset)
    app.router.add_get("/_sandbox/state", control_state)
    app.router.add_post("/_sandbox/accounts", control_create_account)
    app.router.add_post("/_sandbox/accounts/{account_id}/status", control_set_status)
    app.router.add_post("/_sandbox/accounts/{account_id}/accept", control_accept)
    app.router.add_post("/_sandbox/accounts/{account_id}/reply", control_reply)
    app.router.add_post("/_sandbox/failures", control_inject_failure)
    app.router.add_post("/_sandbox/latency", control_set_latency)
    app.router.add_get("/_sandbox/hosted/{token}", hosted_page)
    app.router.add_post("/_sandbox/hosted/{token}/complete", hosted_complete)
    add_messaging(app)
    return app


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
    failure = state.take_failure(endpoint, await _request_account(request))
    if failure is not None:
        return _failure_response(failure)
    response = await handler(request)
    late_ms = state.late_answer_ms.get(endpoint, 0)
    if late_ms:
        await asyncio.sleep(late_ms / 1000)
    return response


async def _request_account(request: web.Request) -> str | None:
    """The account a call acts for, so a failure can be injected for one account only."""
    state = request.app[STATE]
    found = request.match_info.get("account_id") or request.query.get("account_id")
    if found:
        return found
    chat = state.chats.get(request.match_info.get("chat_id", ""))
    if chat is not None:
        return chat.account_id
    try:
        if request.content_type == "application/json":
            body = await request.json()  # aiohttp keeps the body: the handler reads it again
            if isinstance(body, dict):
                value = body.get("account_id") or body.get("reconnect_account")
                return value if isinstance(value, str) else None
        elif request.content_type == "multipart/form-data":
            value = (await request.post()).get("account_id")
            return value if isinstance(value, str) else None
    except (ValueError, ConnectionError):
        return None  # the handler answers a malformed body; a client that hung up hears nothing
    return None


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


__all__ = ["ENDPOINTS", "STATE", "SandboxState", "create_app"]
