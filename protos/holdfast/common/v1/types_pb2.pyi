import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_LINKEDIN: _ClassVar[Channel]
    CHANNEL_EMAIL: _ClassVar[Channel]

class Scope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCOPE_UNSPECIFIED: _ClassVar[Scope]
    SCOPE_CAMPAIGN: _ClassVar[Scope]
    SCOPE_LINKEDIN: _ClassVar[Scope]
    SCOPE_EMAIL: _ClassVar[Scope]

class PauseReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAUSE_REASON_UNSPECIFIED: _ClassVar[PauseReason]
    PAUSE_REASON_MANUAL: _ClassVar[PauseReason]
    PAUSE_REASON_LINKEDIN_ACCOUNT_DISCONNECTED: _ClassVar[PauseReason]
    PAUSE_REASON_LINKEDIN_HIGH_FAILURE_RATE: _ClassVar[PauseReason]
    PAUSE_REASON_ACCOUNT_RESTRICTED: _ClassVar[PauseReason]
    PAUSE_REASON_SUBSCRIPTION_CANCELED: _ClassVar[PauseReason]
    PAUSE_REASON_EMAIL_ACCOUNT_DISCONNECTED: _ClassVar[PauseReason]
    PAUSE_REASON_EMAIL_HIGH_BOUNCE_RATE: _ClassVar[PauseReason]

class ActorKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTOR_KIND_UNSPECIFIED: _ClassVar[ActorKind]
    ACTOR_KIND_MEMBER: _ClassVar[ActorKind]
    ACTOR_KIND_SYSTEM: _ClassVar[ActorKind]

class ActionType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTION_TYPE_UNSPECIFIED: _ClassVar[ActionType]
    ACTION_TYPE_LINKEDIN_INVITE: _ClassVar[ActionType]
    ACTION_TYPE_LINKEDIN_MESSAGE: _ClassVar[ActionType]
    ACTION_TYPE_LINKEDIN_INMAIL: _ClassVar[ActionType]
    ACTION_TYPE_EMAIL: _ClassVar[ActionType]

class SenderKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SENDER_KIND_UNSPECIFIED: _ClassVar[SenderKind]
    SENDER_KIND_LINKEDIN_ACCOUNT: _ClassVar[SenderKind]
    SENDER_KIND_INBOX: _ClassVar[SenderKind]

class SenderStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SENDER_STATUS_UNSPECIFIED: _ClassVar[SenderStatus]
    SENDER_STATUS_CONNECTED: _ClassVar[SenderStatus]
    SENDER_STATUS_DEGRADED: _ClassVar[SenderStatus]
    SENDER_STATUS_DISCONNECTED: _ClassVar[SenderStatus]
    SENDER_STATUS_RESTRICTED: _ClassVar[SenderStatus]

class SubscriptionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUBSCRIPTION_STATUS_UNSPECIFIED: _ClassVar[SubscriptionStatus]
    SUBSCRIPTION_STATUS_ACTIVE: _ClassVar[SubscriptionStatus]
    SUBSCRIPTION_STATUS_CANCELED: _ClassVar[SubscriptionStatus]
CHANNEL_UNSPECIFIED: Channel
CHANNEL_LINKEDIN: Channel
CHANNEL_EMAIL: Channel
SCOPE_UNSPECIFIED: Scope
SCOPE_CAMPAIGN: Scope
SCOPE_LINKEDIN: Scope
SCOPE_EMAIL: Scope
PAUSE_REASON_UNSPECIFIED: PauseReason
PAUSE_REASON_MANUAL: PauseReason
PAUSE_REASON_LINKEDIN_ACCOUNT_DISCONNECTED: PauseReason
PAUSE_REASON_LINKEDIN_HIGH_FAILURE_RATE: PauseReason
PAUSE_REASON_ACCOUNT_RESTRICTED: PauseReason
PAUSE_REASON_SUBSCRIPTION_CANCELED: PauseReason
PAUSE_REASON_EMAIL_ACCOUNT_DISCONNECTED: PauseReason
PAUSE_REASON_EMAIL_HIGH_BOUNCE_RATE: PauseReason
ACTOR_KIND_UNSPECIFIED: ActorKind
ACTOR_KIND_MEMBER: ActorKind
ACTOR_KIND_SYSTEM: ActorKind
ACTION_TYPE_UNSPECIFIED: ActionType
ACTION_TYPE_LINKEDIN_INVITE: ActionType
ACTION_TYPE_LINKEDIN_MESSAGE: ActionType
ACTION_TYPE_LINKEDIN_INMAIL: ActionType
ACTION_TYPE_EMAIL: ActionType
SENDER_KIND_UNSPECIFIED: SenderKind
SENDER_KIND_LINKEDIN_ACCOUNT: SenderKind
SENDER_KIND_INBOX: SenderKind
SENDER_STATUS_UNSPECIFIED: SenderStatus
SENDER_STATUS_CONNECTED: SenderStatus
SENDER_STATUS_DEGRADED: SenderStatus
SENDER_STATUS_DISCONNECTED: SenderStatus
SENDER_STATUS_RESTRICTED: SenderStatus
SUBSCRIPTION_STATUS_UNSPECIFIED: SubscriptionStatus
SUBSCRIPTION_STATUS_ACTIVE: SubscriptionStatus
SUBSCRIPTION_STATUS_CANCELED: SubscriptionStatus

class Actor(_message.Message):
    __slots__ = ("kind", "member_id", "source", "event_id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    kind: ActorKind
    member_id: str
    source: str
    event_id: str
    def __init__(self, kind: _Optional[_Union[ActorKind, str]] = ..., member_id: _Optional[str] = ..., source: _Optional[str] = ..., event_id: _Optional[str] = ...) -> None: ...

class SendingLimit(_message.Message):
    __slots__ = ("action_type", "daily_cap", "weekly_cap", "ramp_start", "ramp_step", "pacing_min_seconds", "pacing_max_seconds")
    ACTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    DAILY_CAP_FIELD_NUMBER: _ClassVar[int]
    WEEKLY_CAP_FIELD_NUMBER: _ClassVar[int]
    RAMP_START_FIELD_NUMBER: _ClassVar[int]
    RAMP_STEP_FIELD_NUMBER: _ClassVar[int]
    PACING_MIN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    PACING_MAX_SECONDS_FIELD_NUMBER: _ClassVar[int]
    action_type: ActionType
    daily_cap: int
    weekly_cap: int
    ramp_start: int
    ramp_step: int
    pacing_min_seconds: int
    pacing_max_seconds: int
    def __init__(self, action_type: _Optional[_Union[ActionType, str]] = ..., daily_cap: _Optional[int] = ..., weekly_cap: _Optional[int] = ..., ramp_start: _Optional[int] = ..., ramp_step: _Optional[int] = ..., pacing_min_seconds: _Optional[int] = ..., pacing_max_seconds: _Optional[int] = ...) -> None: ...

class HealthEvent(_message.Message):
    __slots__ = ("event_id", "workspace_id", "version", "occurred_at", "sender", "subscription")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    workspace_id: str
    version: int
    occurred_at: _timestamp_pb2.Timestamp
    sender: SenderHealth
    subscription: SubscriptionHealth
    def __init__(self, event_id: _Optional[str] = ..., workspace_id: _Optional[str] = ..., version: _Optional[int] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sender: _Optional[_Union[SenderHealth, _Mapping]] = ..., subscription: _Optional[_Union[SubscriptionHealth, _Mapping]] = ...) -> None: ...

class SenderHealth(_message.Message):
    __slots__ = ("kind", "sender_id", "status", "restriction_kind", "restriction_verified", "detail")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RESTRICTION_KIND_FIELD_NUMBER: _ClassVar[int]
    RESTRICTION_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    kind: SenderKind
    sender_id: str
    status: SenderStatus
    restriction_kind: str
    restriction_verified: bool
    detail: str
    def __init__(self, kind: _Optional[_Union[SenderKind, str]] = ..., sender_id: _Optional[str] = ..., status: _Optional[_Union[SenderStatus, str]] = ..., restriction_kind: _Optional[str] = ..., restriction_verified: _Optional[bool] = ..., detail: _Optional[str] = ...) -> None: ...

class SubscriptionHealth(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: SubscriptionStatus
    def __init__(self, status: _Optional[_Union[SubscriptionStatus, str]] = ...) -> None: ...
