"""The sandbox's control API (`/_sandbox/...`) and hosted-auth pages (see `sandbox.unipile`)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC
from html import escape
from typing import Any

from aiohttp import web

from sandbox.unipile_api import (
    _fire_message,
    _relation_item,
)
from sandbox.unipile_state import (
    DEFAULT_INVITE_LIMIT,
    ENDPOINTS,
    SOURCE_STATUSES,
    STATE,
    Chat,
    Delivery,
    HostedLink,
    InjectedFailure,
    Message,
    Profile,
    Relation,
    SandboxAccount,
    SandboxState,
    Webhook,
    _account,
    _account_status_payload,
    _control_error,
    _control_invalid,
    _deliver,
    _fire,
    _json,
    _json_object,
    _optional_bool,
    _optional_str,
    _Reject,
    _required_str,
)

# ---------------------------------------------------------------------------------------------------------
# Control API


async def control_reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return web.Response(status=204)


async def control_state(request: web.Request) -> web.Response:
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


async def control_create_account(request: web.Request) -> web.Response:
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
        invite_limit=_positive_int(body, "invite_limit", DEFAULT_INVITE_LIMIT),
        inmail_credits=_positive_int(body, "inmail_credits", 0),
        premium_features=_string_list(body, "premium_features"),
        type=_optional_str(body, "type", _control_invalid) or "LINKEDIN",
    )
    for profile in profiles:
        state.profiles[profile.provider_id] = profile
        account.relations[profile.provider_id] = Relation(provider_id=profile.provider_id, created_at=now)
    state.accounts[account.id] = account
    return _json({"account": {"id": account.id, "name": account.name, "status": account.status}}, 201)


def _positive_int(body: Mapping[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _control_invalid(f"'{key}' must be a non-negative integer.")
    return value


def _string_list(body: Mapping[str, Any], key: str) -> list[str]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _control_invalid(f"'{key}' must be a list of strings.")
    return value


async def control_add_profile(request: web.Request) -> web.Response:
    """Register a LinkedIn member, so `GET /users/{public identifier}` finds them."""
    state = request.app[STATE]
    profile = _profile_from(state, await _json_object(request, _control_invalid))
    state.profiles[profile.provider_id] = profile
    return _json({"provider_id": profile.provider_id, "public_identifier": profile.public_identifier}, 201)


async def control_set_status(request: web.Request) -> web.Response:
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


async def control_accept(request: web.Request) -> web.Response:
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


async def control_reply(request: web.Request) -> web.Response:
    """A member writes to the account: the message lands in their chat, `messaging` webhooks fire."""
    state = request.app[STATE]
    account = state.accounts.get(request.match_info["account_id"])
    if account is None:
        raise _Reject(_control_error(404, "not_found", f"Account {request.match_info['account_id']} not found."))
    body = await _json_object(request, _control_invalid)
    provider_id = _required_str(body, "provider_id", _control_invalid)
    text = _required_str(body, "text", _control_invalid)
    chat = next(
        (c for c in state.chats.values() if c.account_id == account.id and c.attendee_provider_id == provider_id), None
    )
    if chat is None:
        chat = Chat(id=secrets.token_urlsafe(16), account_id=account.id, attendee_provider_id=provider_id)
        state.chats[chat.id] = chat
    message = Message(id=secrets.token_urlsafe(16), text=text, sent_at=state.clock(), is_sender=0)
    chat.messages.append(message)
    deliveries = await _fire_message(request.app, chat, message) if _optional_bool(body, "notify", True) else []
    return _json(
        {"chat_id": chat.id, "message_id": message.id, "deliveries": [_delivery_view(d) for d in deliveries]}, 201
    )


async def control_inject_failure(request: web.Request) -> web.Response:
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
    account_id = _optional_str(body, "account_id", _control_invalid)
    state.failures[f"{endpoint}@{account_id}" if account_id else str(endpoint)] = InjectedFailure(
        status=status,
        type=error_type,
        remaining=count,
        title=_optional_str(body, "title", _control_invalid) or "Injected failure",
        detail=_optional_str(body, "detail", _control_invalid) or f"Injected by the sandbox: {error_type}.",
        retry_after=None if retry_after is None else str(retry_after),
        non_json=_optional_bool(body, "non_json", False),
    )
    return _json({"endpoint": endpoint, "account_id": account_id, "remaining": count}, 201)


async def control_set_latency(request: web.Request) -> web.Response:
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
    now = state.clock()
    # Every link dies at Unipile's daily restart (taken here as 00:00 UTC), whatever its stated expiry.
    restarted = link.created_on is not None and now.astimezone(UTC).date() > link.created_on.astimezone(UTC).date()
    if link.used or link.expires_on <= now or restarted:
        raise _Reject(web.Response(status=410, text="This link has expired.", content_type="text/plain"))
    return link


async def hosted_page(request: web.Request) -> web.Response:
    link = _live_link(request)
    if link.type == "create":
        title, action = "Connect a LinkedIn account", "Connect"
    else:
        title = f"Reconnect {_account(request.app[STATE], link.account_id).name}"
        action = "Reconnect"
    html = (
        f"<!doctype html><html><head><title>{escape(title)} (sandbox)</title></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<form method="post" action="/_sandbox/hosted/{escape(link.token)}/complete">'
        f'<button type="submit">{action}</button></form></body></html>'
    )
    return web.Response(text=html, content_type="text/html")


async def hosted_complete(request: web.Request) -> web.Response:
    link = _live_link(request)
    state = request.app[STATE]
    if link.type == "create":
        # The user signed in: a new account exists, CREATION_SUCCESS as Unipile reports it.
        account = SandboxAccount(
            id=secrets.token_urlsafe(16),
            name=link.name or "LinkedIn account",
            status="OK",
            restricted=False,
            created_at=state.clock(),
        )
        state.accounts[account.id] = account
        event = "CREATION_SUCCESS"
    else:
        account = _account(state, link.account_id)
        account.status = "OK"
        event = "RECONNECTED"
    link.used = True
    await _fire(request.app, "account_status", lambda _: _account_status_payload(account.id, event))
    if link.notify_url is not None:
        notice = {"status": event, "account_id": account.id, "name": link.name}
        await _deliver(request.app, "notify_url", link.notify_url, notice, {})
    if link.success_redirect_url is not None:
        raise web.HTTPSeeOther(link.success_redirect_url)
    return _json({"status": event, "account_id": account.id})
