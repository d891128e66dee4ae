"""Protobuf senders from the accounts service -> the HTTP API's sender response models."""

from __future__ import annotations

from collections.abc import Iterable

from holdfast.accounts.v1 import accounts_pb2
from holdfast.common.v1 import types_pb2
from services.common.limits import limit_values
from services.common.proto_enums import to_word
from services.gateway import sender_models as sm
from services.gateway.views import iso


def limits(given: Iterable[types_pb2.SendingLimit]) -> dict[str, sm.LimitOut]:
    return {to_word(types_pb2.ActionType, x.action_type): sm.LimitOut(**limit_values(x)) for x in given}


def linkedin_limits(given: Iterable[types_pb2.SendingLimit]) -> sm.LinkedInLimitsOut:
    return sm.LinkedInLimitsOut(**limits(given))


def inbox_limits(given: Iterable[types_pb2.SendingLimit]) -> sm.InboxLimitsOut:
    return sm.InboxLimitsOut(**limits(given))


def linkedin_account(a: accounts_pb2.LinkedInAccount) -> sm.LinkedInAccountOut:
    return sm.LinkedInAccountOut(
        id=a.id,
        name=a.name,
        unipile_account_id=a.unipile_account_id,
        timezone=a.timezone,
        status=to_word(types_pb2.SenderStatus, a.status),
        status_since=iso(a.status_since),
        status_detail=a.status_detail,
        restriction_kind=a.restriction_kind or None,
        restriction_verified=a.restriction_verified,
        history=[
            sm.HealthChangeOut(
                status=to_word(types_pb2.SenderStatus, h.status), detail=h.detail, source=h.source, at=iso(h.at)
            )
            for h in a.history
        ],
        limits=linkedin_limits(a.limits),
        created_at=iso(a.created_at),
    )


def _server(message: accounts_pb2.Inbox, name: str) -> sm.ServerOut | None:
    if not message.HasField(name):
        return None
    s = getattr(message, name)
    return sm.ServerOut(host=s.host, port=s.port, security=s.security, username=s.username)


def inbox(i: accounts_pb2.Inbox) -> sm.InboxOut:
    return sm.InboxOut(
        id=i.id,
        email=i.email,
        display_name=i.display_name,
        timezone=i.timezone,
        auth_kind=to_word(accounts_pb2.InboxAuthKind, i.auth_kind),
        smtp=_server(i, "smtp"),
        imap=_server(i, "imap"),
        status=to_word(types_pb2.SenderStatus, i.status),
        status_since=iso(i.status_since),
        status_detail=i.status_detail,
        limits=inbox_limits(i.limits),
        created_at=iso(i.created_at),
        bounce_poll_error=i.bounce_poll_error,
        next_probe_at=iso(i.next_probe_at) if i.HasField("next_probe_at") else None,
    )
