import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from holdfast.common.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CampaignStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAMPAIGN_STATUS_UNSPECIFIED: _ClassVar[CampaignStatus]
    CAMPAIGN_STATUS_DRAFT: _ClassVar[CampaignStatus]
    CAMPAIGN_STATUS_ACTIVE: _ClassVar[CampaignStatus]
    CAMPAIGN_STATUS_PAUSED: _ClassVar[CampaignStatus]
    CAMPAIGN_STATUS_FINISHED: _ClassVar[CampaignStatus]
    CAMPAIGN_STATUS_COMPLETED: _ClassVar[CampaignStatus]

class CampaignKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAMPAIGN_KIND_UNSPECIFIED: _ClassVar[CampaignKind]
    CAMPAIGN_KIND_OUTREACH: _ClassVar[CampaignKind]
    CAMPAIGN_KIND_WARMUP: _ClassVar[CampaignKind]

class StepAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STEP_ACTION_UNSPECIFIED: _ClassVar[StepAction]
    STEP_ACTION_INVITE: _ClassVar[StepAction]
    STEP_ACTION_MESSAGE: _ClassVar[StepAction]
    STEP_ACTION_INMAIL: _ClassVar[StepAction]
    STEP_ACTION_EMAIL: _ClassVar[StepAction]

class PauseHistoryAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAUSE_HISTORY_ACTION_UNSPECIFIED: _ClassVar[PauseHistoryAction]
    PAUSE_HISTORY_ACTION_ADDED: _ClassVar[PauseHistoryAction]
    PAUSE_HISTORY_ACTION_CLEARED: _ClassVar[PauseHistoryAction]
CAMPAIGN_STATUS_UNSPECIFIED: CampaignStatus
CAMPAIGN_STATUS_DRAFT: CampaignStatus
CAMPAIGN_STATUS_ACTIVE: CampaignStatus
CAMPAIGN_STATUS_PAUSED: CampaignStatus
CAMPAIGN_STATUS_FINISHED: CampaignStatus
CAMPAIGN_STATUS_COMPLETED: CampaignStatus
CAMPAIGN_KIND_UNSPECIFIED: CampaignKind
CAMPAIGN_KIND_OUTREACH: CampaignKind
CAMPAIGN_KIND_WARMUP: CampaignKind
STEP_ACTION_UNSPECIFIED: StepAction
STEP_ACTION_INVITE: StepAction
STEP_ACTION_MESSAGE: StepAction
STEP_ACTION_INMAIL: StepAction
STEP_ACTION_EMAIL: StepAction
PAUSE_HISTORY_ACTION_UNSPECIFIED: PauseHistoryAction
PAUSE_HISTORY_ACTION_ADDED: PauseHistoryAction
PAUSE_HISTORY_ACTION_CLEARED: PauseHistoryAction

class Schedule(_message.Message):
    __slots__ = ("days", "window_start", "window_end", "timezone", "randomize_within_window")
    DAYS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    RANDOMIZE_WITHIN_WINDOW_FIELD_NUMBER: _ClassVar[int]
    days: _containers.RepeatedScalarFieldContainer[str]
    window_start: str
    window_end: str
    timezone: str
    randomize_within_window: bool
    def __init__(self, days: _Optional[_Iterable[str]] = ..., window_start: _Optional[str] = ..., window_end: _Optional[str] = ..., timezone: _Optional[str] = ..., randomize_within_window: _Optional[bool] = ...) -> None: ...

class Delay(_message.Message):
    __slots__ = ("days", "hours")
    DAYS_FIELD_NUMBER: _ClassVar[int]
    HOURS_FIELD_NUMBER: _ClassVar[int]
    days: int
    hours: int
    def __init__(self, days: _Optional[int] = ..., hours: _Optional[int] = ...) -> None: ...

class Step(_message.Message):
    __slots__ = ("index", "channel", "action", "delay", "text", "subject", "body")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    DELAY_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    index: int
    channel: _types_pb2.Channel
    action: StepAction
    delay: Delay
    text: str
    subject: str
    body: str
    def __init__(self, index: _Optional[int] = ..., channel: _Optional[_Union[_types_pb2.Channel, str]] = ..., action: _Optional[_Union[StepAction, str]] = ..., delay: _Optional[_Union[Delay, _Mapping]] = ..., text: _Optional[str] = ..., subject: _Optional[str] = ..., body: _Optional[str] = ...) -> None: ...

class Senders(_message.Message):
    __slots__ = ("linkedin_account_ids", "inbox_ids")
    LINKEDIN_ACCOUNT_IDS_FIELD_NUMBER: _ClassVar[int]
    INBOX_IDS_FIELD_NUMBER: _ClassVar[int]
    linkedin_account_ids: _containers.RepeatedScalarFieldContainer[str]
    inbox_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, linkedin_account_ids: _Optional[_Iterable[str]] = ..., inbox_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ActivePauseReason(_message.Message):
    __slots__ = ("reason", "scope", "since", "detail", "explanation", "action", "clears_at", "cooldown")
    REASON_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    CLEARS_AT_FIELD_NUMBER: _ClassVar[int]
    COOLDOWN_FIELD_NUMBER: _ClassVar[int]
    reason: _types_pb2.PauseReason
    scope: _types_pb2.Scope
    since: _timestamp_pb2.Timestamp
    detail: str
    explanation: str
    action: str
    clears_at: _timestamp_pb2.Timestamp
    cooldown: str
    def __init__(self, reason: _Optional[_Union[_types_pb2.PauseReason, str]] = ..., scope: _Optional[_Union[_types_pb2.Scope, str]] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detail: _Optional[str] = ..., explanation: _Optional[str] = ..., action: _Optional[str] = ..., clears_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cooldown: _Optional[str] = ...) -> None: ...

class Campaign(_message.Message):
    __slots__ = ("id", "workspace_id", "name", "kind", "status", "paused_reason", "pause_reasons", "schedule", "steps", "senders", "created_at", "updated_at", "stop_on_reply", "archived_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAUSED_REASON_FIELD_NUMBER: _ClassVar[int]
    PAUSE_REASONS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    SENDERS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    STOP_ON_REPLY_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    workspace_id: str
    name: str
    kind: CampaignKind
    status: CampaignStatus
    paused_reason: _types_pb2.PauseReason
    pause_reasons: _containers.RepeatedCompositeFieldContainer[ActivePauseReason]
    schedule: Schedule
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    senders: Senders
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    stop_on_reply: str
    archived_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., workspace_id: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[CampaignKind, str]] = ..., status: _Optional[_Union[CampaignStatus, str]] = ..., paused_reason: _Optional[_Union[_types_pb2.PauseReason, str]] = ..., pause_reasons: _Optional[_Iterable[_Union[ActivePauseReason, _Mapping]]] = ..., schedule: _Optional[_Union[Schedule, _Mapping]] = ..., steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., senders: _Optional[_Union[Senders, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., stop_on_reply: _Optional[str] = ..., archived_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateCampaignRequest(_message.Message):
    __slots__ = ("workspace_id", "name", "kind", "schedule", "steps", "senders", "actor", "stop_on_reply")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    SENDERS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    STOP_ON_REPLY_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    name: str
    kind: CampaignKind
    schedule: Schedule
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    senders: Senders
    actor: _types_pb2.Actor
    stop_on_reply: str
    def __init__(self, workspace_id: _Optional[str] = ..., name: _Optional[str] = ..., kind: _Optional[_Union[CampaignKind, str]] = ..., schedule: _Optional[_Union[Schedule, _Mapping]] = ..., steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., senders: _Optional[_Union[Senders, _Mapping]] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., stop_on_reply: _Optional[str] = ...) -> None: ...

class CreateCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ...) -> None: ...

class GetCampaignRequest(_message.Message):
    __slots__ = ("workspace_id", "campaign_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    campaign_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., campaign_id: _Optional[str] = ...) -> None: ...

class GetCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ...) -> None: ...

class GetCampaignsRequest(_message.Message):
    __slots__ = ("reads", "request_ids")
    READS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_IDS_FIELD_NUMBER: _ClassVar[int]
    reads: _containers.RepeatedCompositeFieldContainer[GetCampaignRequest]
    request_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, reads: _Optional[_Iterable[_Union[GetCampaignRequest, _Mapping]]] = ..., request_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GetCampaignsResponse(_message.Message):
    __slots__ = ("reads",)
    READS_FIELD_NUMBER: _ClassVar[int]
    reads: _containers.RepeatedCompositeFieldContainer[CampaignRead]
    def __init__(self, reads: _Optional[_Iterable[_Union[CampaignRead, _Mapping]]] = ...) -> None: ...

class CampaignRead(_message.Message):
    __slots__ = ("campaign", "error")
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    error: bytes
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ..., error: _Optional[bytes] = ...) -> None: ...

class GetWarmupProgressRequest(_message.Message):
    __slots__ = ("workspace_id", "campaign_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    campaign_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., campaign_id: _Optional[str] = ...) -> None: ...

class GetWarmupProgressResponse(_message.Message):
    __slots__ = ("inbox_id", "ramp_day", "limit_today", "sent_today", "sent_total", "queued", "pool_size")
    INBOX_ID_FIELD_NUMBER: _ClassVar[int]
    RAMP_DAY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_TODAY_FIELD_NUMBER: _ClassVar[int]
    SENT_TODAY_FIELD_NUMBER: _ClassVar[int]
    SENT_TOTAL_FIELD_NUMBER: _ClassVar[int]
    QUEUED_FIELD_NUMBER: _ClassVar[int]
    POOL_SIZE_FIELD_NUMBER: _ClassVar[int]
    inbox_id: str
    ramp_day: int
    limit_today: int
    sent_today: int
    sent_total: int
    queued: int
    pool_size: int
    def __init__(self, inbox_id: _Optional[str] = ..., ramp_day: _Optional[int] = ..., limit_today: _Optional[int] = ..., sent_today: _Optional[int] = ..., sent_total: _Optional[int] = ..., queued: _Optional[int] = ..., pool_size: _Optional[int] = ...) -> None: ...

class ListCampaignsRequest(_message.Message):
    __slots__ = ("workspace_id", "page_size", "page_token", "archived")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    page_size: int
    page_token: str
    archived: str
    def __init__(self, workspace_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., archived: _Optional[str] = ...) -> None: ...

class ListCampaignsResponse(_message.Message):
    __slots__ = ("campaigns", "next_page_token")
    CAMPAIGNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    campaigns: _containers.RepeatedCompositeFieldContainer[Campaign]
    next_page_token: str
    def __init__(self, campaigns: _Optional[_Iterable[_Union[Campaign, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ActivateCampaignRequest(_message.Message):
    __slots__ = ("workspace_id", "campaign_id", "actor")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    campaign_id: str
    actor: _types_pb2.Actor
    def __init__(self, workspace_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ...) -> None: ...

class ActivateCampaignResponse(_message.Message):
    __slots__ = ("campaign", "changed", "message", "holds_pending")
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    HOLDS_PENDING_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    changed: bool
    message: str
    holds_pending: bool
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ..., changed: _Optional[bool] = ..., message: _Optional[str] = ..., holds_pending: _Optional[bool] = ...) -> None: ...

class PauseCampaignRequest(_message.Message):
    __slots__ = ("workspace_id", "campaign_id", "actor")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    campaign_id: str
    actor: _types_pb2.Actor
    def __init__(self, workspace_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ...) -> None: ...

class PauseCampaignResponse(_message.Message):
    __slots__ = ("campaign", "changed", "message", "holds_pending")
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    HOLDS_PENDING_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    changed: bool
    message: str
    holds_pending: bool
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ..., changed: _Optional[bool] = ..., message: _Optional[str] = ..., holds_pending: _Optional[bool] = ...) -> None: ...

class ResumeCampaignRequest(_message.Message):
    __slots__ = ("workspace_id", "campaign_id", "actor", "when_unblocked")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    WHEN_UNBLOCKED_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    campaign_id: str
    actor: _types_pb2.Actor
    when_unblocked: bool
    def __init__(self, workspace_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., when_unblocked: _Optional[bool] = ...) -> None: ...

class WaitingGate(_message.Message):
    __slots__ = ("reason", "gate", "message", "action")
    REASON_FIELD_NUMBER: _ClassVar[int]
    GATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    reason: _types_pb2.PauseReason
    gate: str
    message: str
    action: str
    def __init__(self, reason: _Optional[_Union[_types_pb2.PauseReason, str]] = ..., gate: _Optional[str] = ..., message: _Optional[str] = ..., action: _Optional[str] = ...) -> None: ...

class NextSend(_message.Message):
    __slots__ = ("channel", "planned_at")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PLANNED_AT_FIELD_NUMBER: _ClassVar[int]
    channel: _types_pb2.Channel
    planned_at: _timestamp_pb2.Timestamp
    def __init__(self, channel: _Optional[_Union[_types_pb2.Channel, str]] = ..., planned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ResumeCampaignResponse(_message.Message):
    __slots__ = ("campaign", "changed", "message", "next_sends", "waiting_for", "holds_pending")
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    NEXT_SENDS_FIELD_NUMBER: _ClassVar[int]
    WAITING_FOR_FIELD_NUMBER: _ClassVar[int]
    HOLDS_PENDING_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    changed: bool
    message: str
    next_sends: _containers.RepeatedCompositeFieldContainer[NextSend]
    waiting_for: _containers.RepeatedCompositeFieldContainer[WaitingGate]
    holds_pending: bool
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ..., changed: _Optional[bool] = ..., message: _Optional[str] = ..., next_sends: _Optional[_Iterable[_Union[NextSend, _Mapping]]] = ..., waiting_for: _Optional[_Iterable[_Union[WaitingGate, _Mapping]]] = ..., holds_pending: _Optional[bool] = ...) -> None: ...

class PauseHistoryEntry(_message.Message):
    __slots__ = ("id", "action", "reason", "scope", "actor", "detail", "at", "status_after")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_AFTER_FIELD_NUMBER: _ClassVar[int]
    id: int
    action: PauseHistoryAction
    reason: _types_pb2.PauseReason
    scope: _types_pb2.Scope
    actor: _types_pb2.Actor
    detail: str
    at: _timestamp_pb2.Timestamp
    status_after: CampaignStatus
    def __init__(self, id: _Optional[int] = ..., action: _Optional[_Union[PauseHistoryAction, str]] = ..., reason: _Optional[_Union[_types_pb2.PauseReason, str]] = ..., scope: _Optional[_Union[_types_pb2.Scope, str]] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., detail: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status_after: _Optional[_Union[CampaignStatus, str]] = ...) -> None: ...

class GetPauseHistoryRequest(_message.Message):
    __slots__ = ("workspace_id", "campaign_id", "page_size", "page_token")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    campaign_id: str
    page_size: int
    page_token: str
    def __init__(self, workspace_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetPauseHistoryResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[PauseHistoryEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[PauseHistoryEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Prospect(_message.Message):
    __slots__ = ("linkedin_provider_id", "linkedin_public_identifier", "email", "first_name", "last_name", "company", "fields")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    LINKEDIN_PROVIDER_ID_FIELD_NUMBER: _ClassVar[int]
    LINKEDIN_PUBLIC_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_NAME_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    linkedin_provider_id: str
    linkedin_public_identifier: str
    email: str
    first_name: str
    last_name: str
    company: str
    fields: _containers.ScalarMap[str, str]
    def __init__(self, linkedin_provider_id: _Optional[str] = ..., linkedin_public_identifier: _Optional[str] = ..., email: _Optional[str] = ..., first_name: _Optional[str] = ..., last_name: _Optional[str] = ..., company: _Optional[str] = ..., fields: _Optional[_Mapping[str, str]] = ...) -> None: ...

class AddProspectsRequest(_message.Message):
    __slots__ = ("workspace_id", "campaign_id", "prospects")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    PROSPECTS_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    campaign_id: str
    prospects: _containers.RepeatedCompositeFieldContainer[Prospect]
    def __init__(self, workspace_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., prospects: _Optional[_Iterable[_Union[Prospect, _Mapping]]] = ...) -> None: ...

class RefusedProspect(_message.Message):
    __slots__ = ("index", "code", "message")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    index: int
    code: str
    message: str
    def __init__(self, index: _Optional[int] = ..., code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class AddProspectsResponse(_message.Message):
    __slots__ = ("added", "already_present", "refused", "suppressed")
    ADDED_FIELD_NUMBER: _ClassVar[int]
    ALREADY_PRESENT_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_FIELD_NUMBER: _ClassVar[int]
    added: int
    already_present: int
    refused: _containers.RepeatedCompositeFieldContainer[RefusedProspect]
    suppressed: int
    def __init__(self, added: _Optional[int] = ..., already_present: _Optional[int] = ..., refused: _Optional[_Iterable[_Union[RefusedProspect, _Mapping]]] = ..., suppressed: _Optional[int] = ...) -> None: ...

class ProspectView(_message.Message):
    __slots__ = ("id", "prospect", "state", "current_step", "next_action_at", "why_not_now", "out_of_office_until", "history")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROSPECT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_STEP_FIELD_NUMBER: _ClassVar[int]
    NEXT_ACTION_AT_FIELD_NUMBER: _ClassVar[int]
    WHY_NOT_NOW_FIELD_NUMBER: _ClassVar[int]
    OUT_OF_OFFICE_UNTIL_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    id: str
    prospect: Prospect
    state: str
    current_step: int
    next_action_at: _timestamp_pb2.Timestamp
    why_not_now: _containers.RepeatedScalarFieldContainer[str]
    out_of_office_until: _timestamp_pb2.Timestamp
    history: _containers.RepeatedCompositeFieldContainer[ProspectAttempt]
    def __init__(self, id: _Optional[str] = ..., prospect: _Optional[_Union[Prospect, _Mapping]] = ..., state: _Optional[str] = ..., current_step: _Optional[int] = ..., next_action_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., why_not_now: _Optional[_Iterable[str]] = ..., out_of_office_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., history: _Optional[_Iterable[_Union[ProspectAttempt, _Mapping]]] = ...) -> None: ...

class ProspectAttempt(_message.Message):
    __slots__ = ("step_index", "action_type", "status", "outcome", "note", "started_at", "finished_at")
    STEP_INDEX_FIELD_NUMBER: _ClassVar[int]
    ACTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    step_index: int
    action_type: str
    status: str
    outcome: str
    note: str
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    def __init__(self, step_index: _Optional[int] = ..., action_type: _Optional[str] = ..., status: _Optional[str] = ..., outcome: _Optional[str] = ..., note: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListProspectsRequest(_message.Message):
    __slots__ = ("workspace_id", "campaign_id", "page_size", "page_token", "prospect_ids")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PROSPECT_IDS_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    campaign_id: str
    page_size: int
    page_token: str
    prospect_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, workspace_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., prospect_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListProspectsResponse(_message.Message):
    __slots__ = ("prospects", "next_page_token")
    PROSPECTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    prospects: _containers.RepeatedCompositeFieldContainer[ProspectView]
    next_page_token: str
    def __init__(self, prospects: _Optional[_Iterable[_Union[ProspectView, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ApplyHealthEventRequest(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _types_pb2.HealthEvent
    def __init__(self, event: _Optional[_Union[_types_pb2.HealthEvent, _Mapping]] = ...) -> None: ...

class ApplyHealthEventResponse(_message.Message):
    __slots__ = ("applied", "campaigns_paused", "campaigns_resumed")
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGNS_PAUSED_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGNS_RESUMED_FIELD_NUMBER: _ClassVar[int]
    applied: bool
    campaigns_paused: int
    campaigns_resumed: int
    def __init__(self, applied: _Optional[bool] = ..., campaigns_paused: _Optional[int] = ..., campaigns_resumed: _Optional[int] = ...) -> None: ...

class ApplyFailureRateSignalRequest(_message.Message):
    __slots__ = ("event_id", "sender_kind", "sender_id", "above_threshold", "failure_rate", "sample_size", "window_end")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_KIND_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    ABOVE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    FAILURE_RATE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_SIZE_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    sender_kind: _types_pb2.SenderKind
    sender_id: str
    above_threshold: bool
    failure_rate: float
    sample_size: int
    window_end: _timestamp_pb2.Timestamp
    def __init__(self, event_id: _Optional[str] = ..., sender_kind: _Optional[_Union[_types_pb2.SenderKind, str]] = ..., sender_id: _Optional[str] = ..., above_threshold: _Optional[bool] = ..., failure_rate: _Optional[float] = ..., sample_size: _Optional[int] = ..., window_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ApplyFailureRateSignalResponse(_message.Message):
    __slots__ = ("applied",)
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    applied: bool
    def __init__(self, applied: _Optional[bool] = ...) -> None: ...

class ApplyBounceRateSignalRequest(_message.Message):
    __slots__ = ("event_id", "inbox_id", "above_threshold", "bounce_rate", "sample_size", "bounces", "window_end")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    INBOX_ID_FIELD_NUMBER: _ClassVar[int]
    ABOVE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    BOUNCE_RATE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_SIZE_FIELD_NUMBER: _ClassVar[int]
    BOUNCES_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    inbox_id: str
    above_threshold: bool
    bounce_rate: float
    sample_size: int
    bounces: int
    window_end: _timestamp_pb2.Timestamp
    def __init__(self, event_id: _Optional[str] = ..., inbox_id: _Optional[str] = ..., above_threshold: _Optional[bool] = ..., bounce_rate: _Optional[float] = ..., sample_size: _Optional[int] = ..., bounces: _Optional[int] = ..., window_end: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ApplyBounceRateSignalResponse(_message.Message):
    __slots__ = ("applied",)
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    applied: bool
    def __init__(self, applied: _Optional[bool] = ...) -> None: ...

class ApplyProspectProgressRequest(_message.Message):
    __slots__ = ("event_id", "campaign_id", "prospect_id", "completed_step", "finished", "outcome")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    PROSPECT_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_STEP_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    campaign_id: str
    prospect_id: str
    completed_step: int
    finished: bool
    outcome: str
    def __init__(self, event_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., prospect_id: _Optional[str] = ..., completed_step: _Optional[int] = ..., finished: _Optional[bool] = ..., outcome: _Optional[str] = ...) -> None: ...

class ApplyProspectProgressResponse(_message.Message):
    __slots__ = ("applied",)
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    applied: bool
    def __init__(self, applied: _Optional[bool] = ...) -> None: ...

class SuppressionInput(_message.Message):
    __slots__ = ("type", "value")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    type: str
    value: str
    def __init__(self, type: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class Suppression(_message.Message):
    __slots__ = ("id", "type", "value", "source", "actor", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: str
    value: str
    source: str
    actor: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., type: _Optional[str] = ..., value: _Optional[str] = ..., source: _Optional[str] = ..., actor: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AddSuppressionsRequest(_message.Message):
    __slots__ = ("workspace_id", "entries", "source", "actor")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    entries: _containers.RepeatedCompositeFieldContainer[SuppressionInput]
    source: str
    actor: _types_pb2.Actor
    def __init__(self, workspace_id: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[SuppressionInput, _Mapping]]] = ..., source: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ...) -> None: ...

class AddSuppressionsResponse(_message.Message):
    __slots__ = ("added", "already_listed", "enforced")
    ADDED_FIELD_NUMBER: _ClassVar[int]
    ALREADY_LISTED_FIELD_NUMBER: _ClassVar[int]
    ENFORCED_FIELD_NUMBER: _ClassVar[int]
    added: int
    already_listed: int
    enforced: bool
    def __init__(self, added: _Optional[int] = ..., already_listed: _Optional[int] = ..., enforced: _Optional[bool] = ...) -> None: ...

class ListSuppressionsRequest(_message.Message):
    __slots__ = ("workspace_id", "query", "page_size", "page_token")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    query: str
    page_size: int
    page_token: str
    def __init__(self, workspace_id: _Optional[str] = ..., query: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSuppressionsResponse(_message.Message):
    __slots__ = ("suppressions", "next_page_token")
    SUPPRESSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    suppressions: _containers.RepeatedCompositeFieldContainer[Suppression]
    next_page_token: str
    def __init__(self, suppressions: _Optional[_Iterable[_Union[Suppression, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteSuppressionRequest(_message.Message):
    __slots__ = ("workspace_id", "suppression_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSION_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    suppression_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., suppression_id: _Optional[str] = ...) -> None: ...

class DeleteSuppressionResponse(_message.Message):
    __slots__ = ("suppression",)
    SUPPRESSION_FIELD_NUMBER: _ClassVar[int]
    suppression: Suppression
    def __init__(self, suppression: _Optional[_Union[Suppression, _Mapping]] = ...) -> None: ...

class RecordOptOutRequest(_message.Message):
    __slots__ = ("workspace_id", "prospect_id", "source", "suppress_only")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    PROSPECT_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SUPPRESS_ONLY_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    prospect_id: str
    source: str
    suppress_only: bool
    def __init__(self, workspace_id: _Optional[str] = ..., prospect_id: _Optional[str] = ..., source: _Optional[str] = ..., suppress_only: _Optional[bool] = ...) -> None: ...

class RecordOptOutResponse(_message.Message):
    __slots__ = ("recorded",)
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    recorded: bool
    def __init__(self, recorded: _Optional[bool] = ...) -> None: ...

class UpdateCampaignRequest(_message.Message):
    __slots__ = ("workspace_id", "campaign_id", "actor", "name", "schedule", "steps", "senders", "stop_on_reply", "preview")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    SENDERS_FIELD_NUMBER: _ClassVar[int]
    STOP_ON_REPLY_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    campaign_id: str
    actor: _types_pb2.Actor
    name: str
    schedule: Schedule
    steps: _containers.RepeatedCompositeFieldContainer[Step]
    senders: Senders
    stop_on_reply: str
    preview: bool
    def __init__(self, workspace_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., name: _Optional[str] = ..., schedule: _Optional[_Union[Schedule, _Mapping]] = ..., steps: _Optional[_Iterable[_Union[Step, _Mapping]]] = ..., senders: _Optional[_Union[Senders, _Mapping]] = ..., stop_on_reply: _Optional[str] = ..., preview: _Optional[bool] = ...) -> None: ...

class PlanMove(_message.Message):
    __slots__ = ("prospect_id", "step_index", "to")
    PROSPECT_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_INDEX_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    prospect_id: str
    step_index: int
    to: _timestamp_pb2.Timestamp
    def __init__(self, prospect_id: _Optional[str] = ..., step_index: _Optional[int] = ..., to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., **kwargs) -> None: ...

class UpdateCampaignResponse(_message.Message):
    __slots__ = ("campaign", "saved", "moved", "moves", "changed", "plan_pending")
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    SAVED_FIELD_NUMBER: _ClassVar[int]
    MOVED_FIELD_NUMBER: _ClassVar[int]
    MOVES_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    PLAN_PENDING_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    saved: bool
    moved: int
    moves: _containers.RepeatedCompositeFieldContainer[PlanMove]
    changed: _containers.RepeatedScalarFieldContainer[str]
    plan_pending: bool
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ..., saved: _Optional[bool] = ..., moved: _Optional[int] = ..., moves: _Optional[_Iterable[_Union[PlanMove, _Mapping]]] = ..., changed: _Optional[_Iterable[str]] = ..., plan_pending: _Optional[bool] = ...) -> None: ...

class DuplicateCampaignRequest(_message.Message):
    __slots__ = ("workspace_id", "campaign_id", "actor", "name")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    campaign_id: str
    actor: _types_pb2.Actor
    name: str
    def __init__(self, workspace_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., name: _Optional[str] = ...) -> None: ...

class DuplicateCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ...) -> None: ...

class ArchiveCampaignRequest(_message.Message):
    __slots__ = ("workspace_id", "campaign_id", "actor", "archived")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    campaign_id: str
    actor: _types_pb2.Actor
    archived: bool
    def __init__(self, workspace_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., archived: _Optional[bool] = ...) -> None: ...

class ArchiveCampaignResponse(_message.Message):
    __slots__ = ("campaign", "changed", "message", "holds_pending")
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    HOLDS_PENDING_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    changed: bool
    message: str
    holds_pending: bool
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ..., changed: _Optional[bool] = ..., message: _Optional[str] = ..., holds_pending: _Optional[bool] = ...) -> None: ...

class MarkRepliesReadRequest(_message.Message):
    __slots__ = ("workspace_id", "member_id", "campaign_id", "replied")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    REPLIED_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    member_id: str
    campaign_id: str
    replied: int
    def __init__(self, workspace_id: _Optional[str] = ..., member_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., replied: _Optional[int] = ...) -> None: ...

class MarkRepliesReadResponse(_message.Message):
    __slots__ = ("read",)
    READ_FIELD_NUMBER: _ClassVar[int]
    read: RepliesRead
    def __init__(self, read: _Optional[_Union[RepliesRead, _Mapping]] = ...) -> None: ...

class ListRepliesReadRequest(_message.Message):
    __slots__ = ("workspace_id", "member_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    member_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., member_id: _Optional[str] = ...) -> None: ...

class RepliesRead(_message.Message):
    __slots__ = ("campaign_id", "replied", "read_at")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    REPLIED_FIELD_NUMBER: _ClassVar[int]
    READ_AT_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    replied: int
    read_at: _timestamp_pb2.Timestamp
    def __init__(self, campaign_id: _Optional[str] = ..., replied: _Optional[int] = ..., read_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListRepliesReadResponse(_message.Message):
    __slots__ = ("campaigns",)
    CAMPAIGNS_FIELD_NUMBER: _ClassVar[int]
    campaigns: _containers.RepeatedCompositeFieldContainer[RepliesRead]
    def __init__(self, campaigns: _Optional[_Iterable[_Union[RepliesRead, _Mapping]]] = ...) -> None: ...
