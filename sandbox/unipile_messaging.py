"""LinkedIn messaging reads of the Unipile sandbox that the replies path uses (issue 16), beside the chat list and
message list of `unipile_api`:

  GET  /api/v1/chats/{chat_id}                     one chat
  GET  /api/v1/messages/{message_id}               one message
  POST /_sandbox/accounts/{id}/messages            {provider_id, text}: that person writes to the account (a chat
                                                   is opened if needed) -> `message_received` webhooks (source
                                                   `messaging`), as for `/_sandbox/accounts/{id}/reply`

Unipile reports the messages our own account sends too: `unipile_api` fires those webhooks on every send.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.unipile_api import _chat_item, _message_item
from sandbox.unipile_control import control_reply
from sandbox.unipile_state import STATE, Chat, SandboxState, _json, _not_found, _usable_account


def add_messaging(app: web.Application) -> None:
    app.router.add_get("/api/v1/chats/{chat_id}", get_chat, name="get_chat")
    app.router.add_get("/api/v1/messages/{message_id}", get_message, name="get_message")
    app.router.add_post("/_sandbox/accounts/{account_id}/messages", control_reply)


def _chat(state: SandboxState, chat_id: str) -> Chat:
    chat = state.chats.get(chat_id)
    if chat is None:
        raise _not_found(f"Chat {chat_id} not found.")
    _usable_account(state, chat.account_id)
    return chat


async def get_chat(request: web.Request) -> web.Response:
    return _json(_chat_item(_chat(request.app[STATE], request.match_info["chat_id"])))


async def get_message(request: web.Request) -> web.Response:
    state = request.app[STATE]
    wanted = request.match_info["message_id"]
    for chat in state.chats.values():
        for message in chat.messages:
            if message.id == wanted:
                _usable_account(state, chat.account_id)
                return _json(_message_item(chat, message))
    raise _not_found(f"Message {wanted} not found.")
