"""The Unipile v1 API of the sandbox: the endpoints Holdfast calls, in Unipile's wire format."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from aiohttp import web

from sandbox.unipile_state import (
    CHATS_MAX_LIMIT,
    INVITE_MESSAGE_MAX_CHARS,
    RELATIONS_MAX_LIMIT,
    SENT_INVITATIONS_MAX_LIMIT,
    STATE,
    USAGE_THRESHOLDS,
    WEBHOOK_SOURCES,
    Chat,
    Delivery,
    HostedLink,
    Invitation,
    Message,
    Relation,
    SandboxAccount,
    SandboxState,
    Webhook,
    _account,
    _fire,
    _invalid,
    _iso,
    _json,
    _json_object,
    _multipart,
    _not_found,
    _optional_str,
    _page,
    _page_bounds,
    _Reject,
    _required_str,
    _unipile_error,
    _usable_account,
)

# ---------------------------------------------------------------------------------------------------------
# Unipile API


async def get_account(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return _json(_account_object(_account(state, request.match_info["account_id"])))


async def list_accounts(request: web.Request) -> web.Response:
    state = request.app[STATE]
    offset, limit = _page_bounds(request, 250)
    items = [_account_object(a) for a in state.accounts.values()]
    return _page("AccountList", items, offset, limit)


def _account_object(account: SandboxAccount) -> dict[str, Any]:
    return {
        "object": "Account",
        "type": account.type,
        "id": account.id,
        "name": account.name,
        "created_at": account.created_at,
        "connection_params": {
            "im": {
                "id": f"SELF{account.id}",
                "publicIdentifier": account.id.lower(),
                "username": account.name,
                "premiumId": None,
                "premiumContractId": None,
                "premiumFeatures": list(account.premium_features),
                "organizations": [],
            }
        },
        "sources": [{"id": f"{account.id}_MESSAGING", "status": account.status}],
        "groups": [],
    }


async def get_user(request: web.Request) -> web.Response:
    """A member by public identifier or provider id, as the account sees them (Unipile: step 1 of inviting)."""
    state = request.app[STATE]
    account = _usable_account(state, _required_str(request.query, "account_id", _invalid))
    identifier = request.match_info["identifier"]
    profile = next((p for p in state.profiles.values() if identifier in (p.public_identifier, p.provider_id)), None)
    if profile is None:
        raise _Reject(
            _unipile_error(422, "errors/invalid_recipient", "Invalid recipient", "The recipient cannot be found.")
        )
    first_name, _, last_name = profile.full_name.partition(" ")
    return _json(
        {
            "object": "UserProfile",
            "provider": "LINKEDIN",
            "provider_id": profile.provider_id,
            "public_identifier": profile.public_identifier,
            "first_name": first_name,
            "last_name": last_name,
            "headline": "",
            "websites": [],
            "is_relationship": profile.provider_id in account.relations,
            "network_distance": "FIRST_DEGREE" if profile.provider_id in account.relations else "OUT_OF_NETWORK",
            "profile_picture_url": profile.picture_url,
            "public_profile_url": profile.profile_url,
        }
    )


async def send_invite(request: web.Request) -> web.Response:
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
    if any(i.provider_id == provider_id for i in state.invitations_of(account_id)):
        return _unipile_error(
            422,
            "errors/already_invited_recently",
            "Already invited recently",
            "An invitation was already sent to this user recently.",
        )
    before = state.invite_usage(account)
    if before >= 100:
        return _unipile_error(
            422,
            "errors/limit_exceeded",
            "Limit exceeded",
            "The provider's invitation limit for this account is reached.",
        )
    invitation = Invitation(
        id=str(secrets.randbits(62)),
        account_id=account_id,
        provider_id=provider_id,
        message=message or None,
        sent_at=state.clock(),
    )
    state.add_invitation(invitation)
    answer: dict[str, Any] = {"object": "UserInvitationSent", "invitation_id": invitation.id}
    after = state.invite_usage(account)
    # `usage` comes only with the invite that passes a threshold.
    if any(before < threshold <= after for threshold in USAGE_THRESHOLDS):
        answer["usage"] = min(after, 100)
    return _json(answer)


async def list_sent_invitations(request: web.Request) -> web.Response:
    state = request.app[STATE]
    account = _usable_account(state, _required_str(request.query, "account_id", _invalid))
    offset, limit = _page_bounds(request, SENT_INVITATIONS_MAX_LIMIT)
    pending = [i for i in state.invitations_of(account.id) if i.accepted_at is None]
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


async def list_relations(request: web.Request) -> web.Response:
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


async def start_chat(request: web.Request) -> web.Response:
    state = request.app[STATE]
    form = await _multipart(request)
    account_id = _required_str(form, "account_id", _invalid)
    text = _required_str(form, "text", _invalid)
    attendees = form.getall("attendees_ids", [])
    if len(attendees) != 1 or not isinstance(attendees[0], str) or not attendees[0]:
        raise _invalid("The sandbox supports exactly one entry in 'attendees_ids'.")
    attendee = attendees[0]
    api = form.get("linkedin[api]")
    if api is not None and api not in ("classic", "sales_navigator", "recruiter"):
        raise _invalid("'linkedin[api]' must be classic, sales_navigator or recruiter.")
    # As the official SDK sends them: a Classic InMail says so; a Sales Navigator or Recruiter chat with a
    # stranger is an InMail by nature.
    inmail = form.get("linkedin[inmail]") == "true" or api in ("sales_navigator", "recruiter")
    account = _usable_account(state, account_id)
    if api in ("sales_navigator", "recruiter") and api not in account.premium_features:
        return _unipile_error(
            403, "errors/feature_not_subscribed", "Feature not subscribed", f"The account has no {api} subscription."
        )
    if attendee not in account.relations:
        if not inmail:
            return _unipile_error(
                422,
                "errors/no_connection_with_recipient",
                "No connection with recipient",
                "The recipient appears not to be first degree connection.",
            )
        if account.inmail_credits <= 0:
            return _unipile_error(
                422, "errors/insufficient_credits", "Insufficient credits", "The account has no InMail credits left."
            )
        account.inmail_credits -= 1
    chat = next(
        (
            c
            for c in state.chats.values()
            if c.account_id == account.id and c.attendee_provider_id == attendee and c.inmail == inmail
        ),
        None,
    )
    if chat is None:
        chat = Chat(
            id=secrets.token_urlsafe(16),
            account_id=account.id,
            attendee_provider_id=attendee,
            inmail=inmail,
            api=api if isinstance(api, str) and api != "classic" else None,
        )
        state.chats[chat.id] = chat
    message = Message(id=secrets.token_urlsafe(16), text=text, sent_at=state.clock())
    chat.messages.append(message)
    await _fire_message(request.app, chat, message)
    return _json({"object": "ChatStarted", "chat_id": chat.id, "message_id": message.id}, 201)


async def send_message(request: web.Request) -> web.Response:
    state = request.app[STATE]
    chat = state.chats.get(request.match_info["chat_id"])
    if chat is None:
        raise _not_found(f"Chat {request.match_info['chat_id']} not found.")
    form = await _multipart(request)
    text = _required_str(form, "text", _invalid)
    _usable_account(state, chat.account_id)
    message = Message(id=secrets.token_urlsafe(16), text=text, sent_at=state.clock())
    chat.messages.append(message)
    await _fire_message(request.app, chat, message)
    return _json({"object": "MessageSent", "message_id": message.id}, 201)


async def list_chats(request: web.Request) -> web.Response:
    state = request.app[STATE]
    account = _usable_account(state, _required_str(request.query, "account_id", _invalid))
    offset, limit = _page_bounds(request, CHATS_MAX_LIMIT)
    chats = sorted(
        (c for c in state.chats.values() if c.account_id == account.id),
        key=lambda c: c.messages[-1].sent_at if c.messages else account.created_at,
        reverse=True,
    )
    return _page("ChatList", [_chat_item(c) for c in chats], offset, limit)


def _chat_item(chat: Chat) -> dict[str, Any]:
    last = chat.messages[-1].sent_at if chat.messages else None
    return {
        "object": "Chat",
        "id": chat.id,
        "account_id": chat.account_id,
        "account_type": "LINKEDIN",
        "provider_id": f"chat-{chat.id}",
        "attendee_provider_id": chat.attendee_provider_id,
        "name": None,
        "type": 0,
        "timestamp": _iso(last) if last else None,
        "unread_count": 0,
        "archived": 0,
        "muted_until": None,
        "read_only": 0,
        "disabledFeatures": [],
        "folder": ["INBOX_LINKEDIN_CLASSIC"],
        # Optional fields are left out, never null: the official SDK's validator refuses null for them.
        **({"content_type": "inmail"} if chat.inmail else {}),
    }


async def list_chat_messages(request: web.Request) -> web.Response:
    state = request.app[STATE]
    chat = state.chats.get(request.match_info["chat_id"])
    if chat is None:
        raise _not_found(f"Chat {request.match_info['chat_id']} not found.")
    _usable_account(state, chat.account_id)
    offset, limit = _page_bounds(request, CHATS_MAX_LIMIT)
    after = request.query.get("after")
    since = None
    if after:
        try:
            since = datetime.fromisoformat(after)
        except ValueError:
            raise _invalid("'after' must be an ISO 8601 UTC datetime.") from None
    newest_first = [m for m in reversed(chat.messages) if since is None or m.sent_at > since]
    return _page("MessageList", [_message_item(chat, m) for m in newest_first], offset, limit)


def _message_item(chat: Chat, message: Message) -> dict[str, Any]:
    return {
        "object": "Message",
        "id": message.id,
        "provider_id": f"msg-{message.id}",
        "chat_id": chat.id,
        "chat_provider_id": f"chat-{chat.id}",
        "account_id": chat.account_id,
        "sender_id": f"SELF{chat.account_id}" if message.is_sender else chat.attendee_provider_id,
        "sender_attendee_id": f"att-{chat.account_id}" if message.is_sender else f"att-{chat.attendee_provider_id}",
        "text": message.text,
        "attachments": [],
        "reactions": [],
        "timestamp": _iso(message.sent_at),
        "is_sender": message.is_sender,
        "hidden": 0,
        "deleted": 0,
        "edited": 0,
        "is_event": 0,
        "delivered": 1,
        "behavior": None,
        "seen": 0,
        "seen_by": {},
        "subject": None,
        "original": "{}",
    }


async def _fire_message(app: web.Application, chat: Chat, message: Message) -> list[Delivery]:
    """`messaging` webhooks: Unipile reports the messages our account sends as well as those it receives."""
    state = app[STATE]
    profile = state.profile(chat.attendee_provider_id)

    def payload(webhook: Webhook) -> dict[str, Any]:
        sender = (
            {
                "attendee_id": f"att-{chat.account_id}",
                "attendee_name": chat.account_id,
                "attendee_provider_id": f"SELF{chat.account_id}",
                "attendee_profile_url": "",
            }
            if message.is_sender
            else {
                "attendee_id": f"att-{profile.provider_id}",
                "attendee_name": profile.full_name,
                "attendee_provider_id": profile.provider_id,
                "attendee_profile_url": profile.profile_url,
            }
        )
        return {
            "account_id": chat.account_id,
            "account_type": "LINKEDIN",
            "account_info": {"type": "LINKEDIN"},
            "event": "message_received",
            "chat_id": chat.id,
            "timestamp": _iso(message.sent_at),
            "webhook_name": webhook.name,
            "message_id": message.id,
            "message": message.text,
            "sender": sender,
            "attendees": [
                {
                    "attendee_id": f"att-{profile.provider_id}",
                    "attendee_name": profile.full_name,
                    "attendee_provider_id": profile.provider_id,
                    "attendee_profile_url": profile.profile_url,
                }
            ],
            "attachments": [],
            "is_event": 0,
            "is_sender": message.is_sender,
        }

    return await _fire(app, "messaging", payload)


async def create_hosted_link(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await _json_object(request, _invalid)
    link_type = body.get("type")
    if link_type not in ("create", "reconnect"):
        raise _invalid("'type' must be 'create' or 'reconnect'.")
    account_id = None
    if link_type == "reconnect":
        account_id = _account(state, _required_str(body, "reconnect_account", _invalid)).id
    _required_str(body, "api_url", _invalid)
    # Required to create an account; a reconnect may leave it out (the official SDK does).
    providers = body.get("providers")
    if (
        (providers is not None or link_type == "create")
        and providers != "*"
        and not (isinstance(providers, list) and providers and all(isinstance(p, str) for p in providers))
    ):
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
        account_id=account_id or "",
        type=str(link_type),
        created_on=state.clock(),
        expires_on=expires_on,
        name=_optional_str(body, "name", _invalid),
        notify_url=_optional_str(body, "notify_url", _invalid),
        success_redirect_url=_optional_str(body, "success_redirect_url", _invalid),
    )
    state.hosted_links[link.token] = link
    url = f"{request.url.origin()}/_sandbox/hosted/{link.token}"
    # The official SDK's validator expects this spelling of the object name.
    return _json({"object": "HostedAuthUrl", "url": url}, 201)


async def create_webhook(request: web.Request) -> web.Response:
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


async def list_webhooks(request: web.Request) -> web.Response:
    state = request.app[STATE]
    offset, limit = _page_bounds(request, 250)
    items = [
        {
            "object": "Webhook",
            "id": w.id,
            "account_ids": [],
            "name": w.name,
            "source": w.source,
            "type": "AUTO",
            "data": [],
            "request_url": w.request_url,
            "format": "json",
            "enabled": True,
            "headers": [{"key": k, "value": v} for k, v in w.headers.items()],
        }
        for w in state.webhooks
    ]
    return _page("WebhookList", items, offset, limit)


async def delete_webhook(request: web.Request) -> web.Response:
    state = request.app[STATE]
    webhook_id = request.match_info["webhook_id"]
    if not any(w.id == webhook_id for w in state.webhooks):
        raise _not_found(f"Webhook {webhook_id} not found.")
    state.webhooks[:] = [w for w in state.webhooks if w.id != webhook_id]
    return _json({"object": "WebhookDeleted"})
