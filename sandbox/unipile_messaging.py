"""LinkedIn messaging of the Unipile sandbox: chat and message reads in Unipile's wire format, a control call that
has a prospect write to an account, and `message_received` webhooks (source `messaging`), fired for the
prospect's messages and, as Unipile does, for the messages our own account sends.

  GET  /api/v1/chats?account_id=&limit=&cursor=    the account's chats, most recently active first
  GET  /api/v1/chats/{chat_id}                     one chat
  GET  /api/v1/chats/{chat_id}/messages            its messages, newest first
  GET  /api/v1/messages/{message_id}               one message
  POST /_sandbox/accounts/{id}/messages            {provider_id, text, notify?}: that person writes to the account
                                                   (a chat is opened if needed) -> `message_received` webhooks
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from aiohttp import web

from sandbox.unipile import (
    EXTENSIONS,
    SENT_HOOKS,
    STATE,
    Chat,
    Message,
    SandboxState,
    Webhook,
    _control_error,
    _control_invalid,
    _delivery_view,
    _fire,
    _iso,
    _json,
    _json_object,
    _not_found,
    _optional_bool,
    _page,
    _page_bounds,
    _Reject,
    _required_str,
)

CHATS_MAX_LIMIT = 250
# Webhooks for our own sent messages go out in the background, as Unipile's do (a send never waits on them).
_PENDING = web.AppKey("unipile_sandbox_pending_webhooks", set)


def add_messaging(app: web.Application) -> None:
    app[_PENDING] = set()
    app[SENT_HOOKS].append(sent_by_us)
    app.router.add_get("/api/v1/chats", _list_chats, name="list_chats")
    app.router.add_get("/api/v1/chats/{chat_id}", _get_chat, name="get_chat")
    app.router.add_get("/api/v1/chats/{chat_id}/messages", _list_chat_messages, name="list_chat_messages")
    app.router.add_get("/api/v1/messages/{message_id}", _get_message, name="get_message")
    app.router.add_post("/_sandbox/accounts/{account_id}/messages", _control_prospect_writes)
    app.on_cleanup.append(_drain)


def own_provider_id(account_id: str) -> str:
    """The provider id of the account's own LinkedIn member (the sandbox has no real one)."""
    return f"me-{account_id}"


def sent_by_us(app: web.Application, chat: Chat, message: Message) -> None:
    """Unipile reports our own sent messages too: fire their webhooks in the background."""
    if not any(w.source == "messaging" for w in app[STATE].webhooks):
        return
    task = asyncio.get_running_loop().create_task(_notify(app, chat, message))
    app[_PENDING].add(task)
    task.add_done_callback(app[_PENDING].discard)


async def _drain(app: web.Application) -> None:
    for task in list(app[_PENDING]):
        task.cancel()
    await asyncio.gather(*app[_PENDING], return_exceptions=True)


def _sender(message: Message, chat: Chat) -> str:
    return message.sender_provider_id or own_provider_id(chat.account_id)


def _message_item(chat: Chat, message: Message) -> dict[str, Any]:
    return {"object": "Message", "id": message.id, "provider_id": message.id, "chat_id": chat.id,
            "chat_provider_id": chat.id, "sender_id": _sender(message, chat),
            "sender_attendee_id": f"att-{_sender(message, chat)}", "text": message.text,
            "timestamp": _iso(message.sent_at), "is_sender": 0 if message.sender_provider_id else 1,
            "attachments": [], "reactions": [], "seen": 0, "hidden": 0, "deleted": 0, "edited": 0, "is_event": 0,
            "delivered": 1}


def _chat_item(state: SandboxState, chat: Chat) -> dict[str, Any]:
    last = max((m.sent_at for m in chat.messages), default=None)
    return {"object": "Chat", "id": chat.id, "account_id": chat.account_id, "account_type": "LINKEDIN",
            "provider_id": chat.id, "attendee_provider_id": chat.attendee_provider_id,
            "name": state.profile(chat.attendee_provider_id).full_name, "type": 0,
            "timestamp": _iso(last) if last else None,
            "unread_count": sum(1 for m in chat.messages if m.sender_provider_id), "archived": 0, "read_only": 0}


def _chat(state: SandboxState, chat_id: str) -> Chat:
    chat = state.chats.get(chat_id)
    if chat is None:
        raise _not_found(f"Chat {chat_id} not found.")
    return chat


async def _list_chats(request: web.Request) -> web.Response:
    state = request.app[STATE]
    account_id = request.query.get("account_id", "")
    offset, limit = _page_bounds(request, CHATS_MAX_LIMIT)
    chats = [c for c in state.chats.values() if not account_id or c.account_id == account_id]
    chats.sort(key=lambda c: max((m.sent_at for m in c.messages), default=state.clock()), reverse=True)
    return _page("ChatList", [_chat_item(state, c) for c in chats], offset, limit)


async def _get_chat(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return _json(_chat_item(state, _chat(state, request.match_info["chat_id"])))


async def _list_chat_messages(request: web.Request) -> web.Response:
    state = request.app[STATE]
    chat = _chat(state, request.match_info["chat_id"])
    offset, limit = _page_bounds(request, CHATS_MAX_LIMIT)
    newest_first = sorted(chat.messages, key=lambda m: m.sent_at, reverse=True)
    return _page("MessageList", [_message_item(chat, m) for m in newest_first], offset, limit)


async def _get_message(request: web.Request) -> web.Response:
    state = request.app[STATE]
    wanted = request.match_info["message_id"]
    for chat in state.chats.values():
        for message in chat.messages:
            if message.id == wanted:
                return _json(_message_item(chat, message))
    raise _not_found(f"Message {wanted} not found.")


async def _control_prospect_writes(request: web.Request) -> web.Response:
    state = request.app[STATE]
    account = state.accounts.get(request.match_info["account_id"])
    if account is None:
        raise _Reject(_control_error(404, "not_found", f"Account {request.match_info['account_id']} not found."))
    body = await _json_object(request, _control_invalid)
    provider_id = _required_str(body, "provider_id", _control_invalid)
    text = _required_str(body, "text", _control_invalid)
    chat = next((c for c in state.chats.values()
                 if c.account_id == account.id and c.attendee_provider_id == provider_id), None)
    if chat is None:
        chat = Chat(id=secrets.token_urlsafe(16), account_id=account.id, attendee_provider_id=provider_id)
        state.chats[chat.id] = chat
    message = Message(id=secrets.token_urlsafe(16), text=text, sent_at=state.clock(), sender_provider_id=provider_id)
    chat.messages.append(message)
    deliveries = await _fire(request.app, "messaging", lambda w: _payload(state, w, chat, message)) \
        if _optional_bool(body, "notify", True) else []
    return _json({"chat_id": chat.id, "message_id": message.id,
                  "deliveries": [_delivery_view(d) for d in deliveries]}, 201)


async def _notify(app: web.Application, chat: Chat, message: Message) -> None:
    state = app[STATE]
    await _fire(app, "messaging", lambda w: _payload(state, w, chat, message))


def _payload(state: SandboxState, webhook: Webhook, chat: Chat, message: Message) -> dict[str, Any]:
    """Unipile's documented `message_received` payload."""
    sender = _sender(message, chat)
    profile = state.profile(sender)
    me = own_provider_id(chat.account_id)
    attendees = [{"attendee_id": f"att-{p}", "attendee_name": state.profile(p).full_name if p != me else "Me",
                  "attendee_provider_id": p, "attendee_profile_url": state.profile(p).profile_url}
                 for p in (me, chat.attendee_provider_id)]
    return {"account_id": chat.account_id, "account_type": "LINKEDIN", "event": "message_received",
            "chat_id": chat.id, "timestamp": _iso(message.sent_at), "webhook_name": webhook.name,
            "message_id": message.id, "message": message.text,
            "sender": {"attendee_id": f"att-{sender}", "attendee_name": profile.full_name if sender != me else "Me",
                       "attendee_provider_id": sender, "attendee_profile_url": profile.profile_url},
            "attendees": attendees, "attachments": [], "provider_chat_id": chat.id,
            "provider_message_id": message.id, "is_event": 0, "quoted": None}


EXTENSIONS.append(add_messaging)
