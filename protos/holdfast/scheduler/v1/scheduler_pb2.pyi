import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from holdfast.common.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PlanStep(_message.Message):
    __slots__ = ("index", "channel", "action_type", "delay_hours", "text", "subject", "body")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    ACTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    DELAY_HOURS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    index: int
    channel: _types_pb2.Channel
    action_type: _types_pb2.ActionType
    delay_hours: int
    text: str
    subject: str
    body: str
    def __init__(self, index: _Optional[int] = ..., channel: _Optional[_Union[_types_pb2.Channel, str]] = ..., action_type: _Optional[_Union[_types_pb2.ActionType, str]] = ..., delay_hours: _Optional[int] = ..., text: _Optional[str] = ..., subject: _Optional[str] = ..., body: _Optional[str] = ...) -> None: ...

class UpsertCampaignPlanRequest(_message.Message):
    __slots__ = ("campaign_id", "workspace_id", "version", "days", "window_start", "window_end", "timezone", "randomize_within_window", "steps", "linkedin_account_ids", "inbox_ids", "active", "warmup", "stop_on_reply")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    WINDOW_START_FIELD_NUMBER: _ClassVar[int]
    WINDOW_END_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    RANDOMIZE_WITHIN_WINDOW_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    LINKEDIN_ACCOUNT_IDS_FIELD_NUMBER: _ClassVar[int]
    INBOX_IDS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    WARMUP_FIELD_NUMBER: _ClassVar[int]
    STOP_ON_REPLY_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    workspace_id: str
    version: int
    days: _containers.RepeatedScalarFieldContainer[str]
    window_start: str
    window_end: str
    timezone: str
    randomize_within_window: bool
    steps: _containers.RepeatedCompositeFieldContainer[PlanStep]
    linkedin_account_ids: _containers.RepeatedScalarFieldContainer[str]
    inbox_ids: _containers.RepeatedScalarFieldContainer[str]
    active: bool
    warmup: bool
    stop_on_reply: str
    def __init__(self, campaign_id: _Optional[str] = ..., workspace_id: _Optional[str] = ..., version: _Optional[int] = ..., days: _Optional[_Iterable[str]] = ..., window_start: _Optional[str] = ..., window_end: _Optional[str] = ..., timezone: _Optional[str] = ..., randomize_within_window: _Optional[bool] = ..., steps: _Optional[_Iterable[_Union[PlanStep, _Mapping]]] = ..., linkedin_account_ids: _Optional[_Iterable[str]] = ..., inbox_ids: _Optional[_Iterable[str]] = ..., active: _Optional[bool] = ..., warmup: _Optional[bool] = ..., stop_on_reply: _Optional[str] = ...) -> None: ...

class UpsertCampaignPlanResponse(_message.Message):
    __slots__ = ("applied", "replanned")
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    REPLANNED_FIELD_NUMBER: _ClassVar[int]
    applied: bool
    replanned: int
    def __init__(self, applied: _Optional[bool] = ..., replanned: _Optional[int] = ...) -> None: ...

class EnrolledProspect(_message.Message):
    __slots__ = ("prospect_id", "linkedin_provider_id", "email", "first_name", "last_name", "company", "fields", "linkedin_public_identifier")
    class FieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PROSPECT_ID_FIELD_NUMBER: _ClassVar[int]
    LINKEDIN_PROVIDER_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_NAME_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    LINKEDIN_PUBLIC_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    prospect_id: str
    linkedin_provider_id: str
    email: str
    first_name: str
    last_name: str
    company: str
    fields: _containers.ScalarMap[str, str]
    linkedin_public_identifier: str
    def __init__(self, prospect_id: _Optional[str] = ..., linkedin_provider_id: _Optional[str] = ..., email: _Optional[str] = ..., first_name: _Optional[str] = ..., last_name: _Optional[str] = ..., company: _Optional[str] = ..., fields: _Optional[_Mapping[str, str]] = ..., linkedin_public_identifier: _Optional[str] = ...) -> None: ...

class EnrollProspectsRequest(_message.Message):
    __slots__ = ("campaign_id", "prospects")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    PROSPECTS_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    prospects: _containers.RepeatedCompositeFieldContainer[EnrolledProspect]
    def __init__(self, campaign_id: _Optional[str] = ..., prospects: _Optional[_Iterable[_Union[EnrolledProspect, _Mapping]]] = ...) -> None: ...

class EnrollProspectsResponse(_message.Message):
    __slots__ = ("enrolled",)
    ENROLLED_FIELD_NUMBER: _ClassVar[int]
    enrolled: int
    def __init__(self, enrolled: _Optional[int] = ...) -> None: ...

class SetCampaignHoldsRequest(_message.Message):
    __slots__ = ("campaign_id", "version", "held_scopes", "caused_at")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    HELD_SCOPES_FIELD_NUMBER: _ClassVar[int]
    CAUSED_AT_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    version: int
    held_scopes: _containers.RepeatedScalarFieldContainer[_types_pb2.Scope]
    caused_at: _timestamp_pb2.Timestamp
    def __init__(self, campaign_id: _Optional[str] = ..., version: _Optional[int] = ..., held_scopes: _Optional[_Iterable[_Union[_types_pb2.Scope, str]]] = ..., caused_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SetCampaignHoldsResponse(_message.Message):
    __slots__ = ("applied",)
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    applied: bool
    def __init__(self, applied: _Optional[bool] = ...) -> None: ...

class SetCampaignHoldsBatchRequest(_message.Message):
    __slots__ = ("holds",)
    HOLDS_FIELD_NUMBER: _ClassVar[int]
    holds: _containers.RepeatedCompositeFieldContainer[SetCampaignHoldsRequest]
    def __init__(self, holds: _Optional[_Iterable[_Union[SetCampaignHoldsRequest, _Mapping]]] = ...) -> None: ...

class SetCampaignHoldsBatchResponse(_message.Message):
    __slots__ = ("applied",)
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    applied: int
    def __init__(self, applied: _Optional[int] = ...) -> None: ...

class SetSenderStateRequest(_message.Message):
    __slots__ = ("kind", "sender_id", "version", "status", "limits", "timezone", "workspace_id", "unipile_account_id", "email", "credentials_renewed")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIPILE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    CREDENTIALS_RENEWED_FIELD_NUMBER: _ClassVar[int]
    kind: _types_pb2.SenderKind
    sender_id: str
    version: int
    status: _types_pb2.SenderStatus
    limits: _containers.RepeatedCompositeFieldContainer[_types_pb2.SendingLimit]
    timezone: str
    workspace_id: str
    unipile_account_id: str
    email: str
    credentials_renewed: bool
    def __init__(self, kind: _Optional[_Union[_types_pb2.SenderKind, str]] = ..., sender_id: _Optional[str] = ..., version: _Optional[int] = ..., status: _Optional[_Union[_types_pb2.SenderStatus, str]] = ..., limits: _Optional[_Iterable[_Union[_types_pb2.SendingLimit, _Mapping]]] = ..., timezone: _Optional[str] = ..., workspace_id: _Optional[str] = ..., unipile_account_id: _Optional[str] = ..., email: _Optional[str] = ..., credentials_renewed: _Optional[bool] = ...) -> None: ...

class SetSenderStateResponse(_message.Message):
    __slots__ = ("applied",)
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    applied: bool
    def __init__(self, applied: _Optional[bool] = ...) -> None: ...

class DayCount(_message.Message):
    __slots__ = ("date", "channel", "count")
    DATE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    date: str
    channel: _types_pb2.Channel
    count: int
    def __init__(self, date: _Optional[str] = ..., channel: _Optional[_Union[_types_pb2.Channel, str]] = ..., count: _Optional[int] = ...) -> None: ...

class ReclampOnResumeRequest(_message.Message):
    __slots__ = ("campaign_id", "scopes")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    scopes: _containers.RepeatedScalarFieldContainer[_types_pb2.Scope]
    def __init__(self, campaign_id: _Optional[str] = ..., scopes: _Optional[_Iterable[_Union[_types_pb2.Scope, str]]] = ...) -> None: ...

class ReclampOnResumeResponse(_message.Message):
    __slots__ = ("replanned", "days", "next_sends")
    REPLANNED_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    NEXT_SENDS_FIELD_NUMBER: _ClassVar[int]
    replanned: int
    days: _containers.RepeatedCompositeFieldContainer[DayCount]
    next_sends: _containers.RepeatedCompositeFieldContainer[NextChannelSend]
    def __init__(self, replanned: _Optional[int] = ..., days: _Optional[_Iterable[_Union[DayCount, _Mapping]]] = ..., next_sends: _Optional[_Iterable[_Union[NextChannelSend, _Mapping]]] = ...) -> None: ...

class GetNextSendsRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    def __init__(self, campaign_id: _Optional[str] = ...) -> None: ...

class GetNextSendsResponse(_message.Message):
    __slots__ = ("next_sends",)
    NEXT_SENDS_FIELD_NUMBER: _ClassVar[int]
    next_sends: _containers.RepeatedCompositeFieldContainer[NextChannelSend]
    def __init__(self, next_sends: _Optional[_Iterable[_Union[NextChannelSend, _Mapping]]] = ...) -> None: ...

class NextChannelSend(_message.Message):
    __slots__ = ("channel", "planned_at")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    PLANNED_AT_FIELD_NUMBER: _ClassVar[int]
    channel: _types_pb2.Channel
    planned_at: _timestamp_pb2.Timestamp
    def __init__(self, channel: _Optional[_Union[_types_pb2.Channel, str]] = ..., planned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetResumePreviewRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    def __init__(self, campaign_id: _Optional[str] = ...) -> None: ...

class GetResumePreviewResponse(_message.Message):
    __slots__ = ("overdue", "days", "first_at", "last_at", "left_out")
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    FIRST_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_AT_FIELD_NUMBER: _ClassVar[int]
    LEFT_OUT_FIELD_NUMBER: _ClassVar[int]
    overdue: int
    days: _containers.RepeatedCompositeFieldContainer[DayCount]
    first_at: _timestamp_pb2.Timestamp
    last_at: _timestamp_pb2.Timestamp
    left_out: _containers.RepeatedCompositeFieldContainer[LeftOut]
    def __init__(self, overdue: _Optional[int] = ..., days: _Optional[_Iterable[_Union[DayCount, _Mapping]]] = ..., first_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., left_out: _Optional[_Iterable[_Union[LeftOut, _Mapping]]] = ...) -> None: ...

class LeftOut(_message.Message):
    __slots__ = ("reason", "count")
    REASON_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    reason: str
    count: int
    def __init__(self, reason: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class ProspectPlan(_message.Message):
    __slots__ = ("prospect_id", "step_index", "state", "next_action_at", "why_not_now", "out_of_office_until", "history")
    PROSPECT_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_INDEX_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    NEXT_ACTION_AT_FIELD_NUMBER: _ClassVar[int]
    WHY_NOT_NOW_FIELD_NUMBER: _ClassVar[int]
    OUT_OF_OFFICE_UNTIL_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    prospect_id: str
    step_index: int
    state: str
    next_action_at: _timestamp_pb2.Timestamp
    why_not_now: _containers.RepeatedScalarFieldContainer[str]
    out_of_office_until: _timestamp_pb2.Timestamp
    history: _containers.RepeatedCompositeFieldContainer[AttemptRecord]
    def __init__(self, prospect_id: _Optional[str] = ..., step_index: _Optional[int] = ..., state: _Optional[str] = ..., next_action_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., why_not_now: _Optional[_Iterable[str]] = ..., out_of_office_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., history: _Optional[_Iterable[_Union[AttemptRecord, _Mapping]]] = ...) -> None: ...

class AttemptRecord(_message.Message):
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

class ListProspectPlansRequest(_message.Message):
    __slots__ = ("campaign_id", "prospect_ids")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    PROSPECT_IDS_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    prospect_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, campaign_id: _Optional[str] = ..., prospect_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ListProspectPlansResponse(_message.Message):
    __slots__ = ("plans",)
    PLANS_FIELD_NUMBER: _ClassVar[int]
    plans: _containers.RepeatedCompositeFieldContainer[ProspectPlan]
    def __init__(self, plans: _Optional[_Iterable[_Union[ProspectPlan, _Mapping]]] = ...) -> None: ...

class RecordInviteAcceptedRequest(_message.Message):
    __slots__ = ("unipile_account_id", "provider_id", "public_identifier", "seen_at")
    UNIPILE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    SEEN_AT_FIELD_NUMBER: _ClassVar[int]
    unipile_account_id: str
    provider_id: str
    public_identifier: str
    seen_at: _timestamp_pb2.Timestamp
    def __init__(self, unipile_account_id: _Optional[str] = ..., provider_id: _Optional[str] = ..., public_identifier: _Optional[str] = ..., seen_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordInviteAcceptedResponse(_message.Message):
    __slots__ = ("prospects_advanced",)
    PROSPECTS_ADVANCED_FIELD_NUMBER: _ClassVar[int]
    prospects_advanced: int
    def __init__(self, prospects_advanced: _Optional[int] = ...) -> None: ...

class GetSenderStatsRequest(_message.Message):
    __slots__ = ("kind", "sender_id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    kind: _types_pb2.SenderKind
    sender_id: str
    def __init__(self, kind: _Optional[_Union[_types_pb2.SenderKind, str]] = ..., sender_id: _Optional[str] = ...) -> None: ...

class GetSenderStatsResponse(_message.Message):
    __slots__ = ("sent_today", "sent_last_7_days", "ramp_day", "failure_rate", "failure_sample")
    SENT_TODAY_FIELD_NUMBER: _ClassVar[int]
    SENT_LAST_7_DAYS_FIELD_NUMBER: _ClassVar[int]
    RAMP_DAY_FIELD_NUMBER: _ClassVar[int]
    FAILURE_RATE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_SAMPLE_FIELD_NUMBER: _ClassVar[int]
    sent_today: int
    sent_last_7_days: int
    ramp_day: int
    failure_rate: float
    failure_sample: int
    def __init__(self, sent_today: _Optional[int] = ..., sent_last_7_days: _Optional[int] = ..., ramp_day: _Optional[int] = ..., failure_rate: _Optional[float] = ..., failure_sample: _Optional[int] = ...) -> None: ...

class GetCampaignStatsRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    def __init__(self, campaign_id: _Optional[str] = ...) -> None: ...

class StepStats(_message.Message):
    __slots__ = ("step_index", "reached", "sent", "failed", "bounced", "accepted")
    STEP_INDEX_FIELD_NUMBER: _ClassVar[int]
    REACHED_FIELD_NUMBER: _ClassVar[int]
    SENT_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    BOUNCED_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    step_index: int
    reached: int
    sent: int
    failed: int
    bounced: int
    accepted: int
    def __init__(self, step_index: _Optional[int] = ..., reached: _Optional[int] = ..., sent: _Optional[int] = ..., failed: _Optional[int] = ..., bounced: _Optional[int] = ..., accepted: _Optional[int] = ...) -> None: ...

class DayStats(_message.Message):
    __slots__ = ("date", "sent", "failed", "bounced")
    DATE_FIELD_NUMBER: _ClassVar[int]
    SENT_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    BOUNCED_FIELD_NUMBER: _ClassVar[int]
    date: str
    sent: int
    failed: int
    bounced: int
    def __init__(self, date: _Optional[str] = ..., sent: _Optional[int] = ..., failed: _Optional[int] = ..., bounced: _Optional[int] = ...) -> None: ...

class GetCampaignStatsResponse(_message.Message):
    __slots__ = ("enrolled", "finished", "stopped", "steps", "days", "replied", "out_of_office", "opted_out")
    ENROLLED_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    STOPPED_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    REPLIED_FIELD_NUMBER: _ClassVar[int]
    OUT_OF_OFFICE_FIELD_NUMBER: _ClassVar[int]
    OPTED_OUT_FIELD_NUMBER: _ClassVar[int]
    enrolled: int
    finished: int
    stopped: int
    steps: _containers.RepeatedCompositeFieldContainer[StepStats]
    days: _containers.RepeatedCompositeFieldContainer[DayStats]
    replied: int
    out_of_office: int
    opted_out: int
    def __init__(self, enrolled: _Optional[int] = ..., finished: _Optional[int] = ..., stopped: _Optional[int] = ..., steps: _Optional[_Iterable[_Union[StepStats, _Mapping]]] = ..., days: _Optional[_Iterable[_Union[DayStats, _Mapping]]] = ..., replied: _Optional[int] = ..., out_of_office: _Optional[int] = ..., opted_out: _Optional[int] = ...) -> None: ...

class GetActiveChannelsRequest(_message.Message):
    __slots__ = ("campaign_ids",)
    CAMPAIGN_IDS_FIELD_NUMBER: _ClassVar[int]
    campaign_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, campaign_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class CampaignChannels(_message.Message):
    __slots__ = ("campaign_id", "channels")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNELS_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    channels: _containers.RepeatedScalarFieldContainer[_types_pb2.Channel]
    def __init__(self, campaign_id: _Optional[str] = ..., channels: _Optional[_Iterable[_Union[_types_pb2.Channel, str]]] = ...) -> None: ...

class GetActiveChannelsResponse(_message.Message):
    __slots__ = ("campaigns",)
    CAMPAIGNS_FIELD_NUMBER: _ClassVar[int]
    campaigns: _containers.RepeatedCompositeFieldContainer[CampaignChannels]
    def __init__(self, campaigns: _Optional[_Iterable[_Union[CampaignChannels, _Mapping]]] = ...) -> None: ...

class GetCampaignsActiveOnChannelRequest(_message.Message):
    __slots__ = ("campaign_ids", "channel")
    CAMPAIGN_IDS_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    campaign_ids: _containers.RepeatedScalarFieldContainer[str]
    channel: _types_pb2.Channel
    def __init__(self, campaign_ids: _Optional[_Iterable[str]] = ..., channel: _Optional[_Union[_types_pb2.Channel, str]] = ...) -> None: ...

class GetCampaignsActiveOnChannelResponse(_message.Message):
    __slots__ = ("campaign_ids",)
    CAMPAIGN_IDS_FIELD_NUMBER: _ClassVar[int]
    campaign_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, campaign_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class StartProbationRequest(_message.Message):
    __slots__ = ("event_id", "sender_ids", "until")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_IDS_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    sender_ids: _containers.RepeatedScalarFieldContainer[str]
    until: _timestamp_pb2.Timestamp
    def __init__(self, event_id: _Optional[str] = ..., sender_ids: _Optional[_Iterable[str]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StartProbationResponse(_message.Message):
    __slots__ = ("applied",)
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    applied: bool
    def __init__(self, applied: _Optional[bool] = ...) -> None: ...

class Bounce(_message.Message):
    __slots__ = ("message_id", "recipient", "status", "diagnostic", "received_at", "original_recipient")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTIC_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    recipient: str
    status: str
    diagnostic: str
    received_at: _timestamp_pb2.Timestamp
    original_recipient: str
    def __init__(self, message_id: _Optional[str] = ..., recipient: _Optional[str] = ..., status: _Optional[str] = ..., diagnostic: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., original_recipient: _Optional[str] = ...) -> None: ...

class RecordBouncesRequest(_message.Message):
    __slots__ = ("inbox_id", "bounces")
    INBOX_ID_FIELD_NUMBER: _ClassVar[int]
    BOUNCES_FIELD_NUMBER: _ClassVar[int]
    inbox_id: str
    bounces: _containers.RepeatedCompositeFieldContainer[Bounce]
    def __init__(self, inbox_id: _Optional[str] = ..., bounces: _Optional[_Iterable[_Union[Bounce, _Mapping]]] = ...) -> None: ...

class RecordBouncesResponse(_message.Message):
    __slots__ = ("recorded",)
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    recorded: int
    def __init__(self, recorded: _Optional[int] = ...) -> None: ...

class GetWarmupProgressRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    def __init__(self, campaign_id: _Optional[str] = ...) -> None: ...

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

class RecordProspectVoiceRequest(_message.Message):
    __slots__ = ("event_id", "prospect_id", "voice", "until", "channel", "source", "snippet", "received_at")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    PROSPECT_ID_FIELD_NUMBER: _ClassVar[int]
    VOICE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    prospect_id: str
    voice: str
    until: _timestamp_pb2.Timestamp
    channel: _types_pb2.Channel
    source: str
    snippet: str
    received_at: _timestamp_pb2.Timestamp
    def __init__(self, event_id: _Optional[str] = ..., prospect_id: _Optional[str] = ..., voice: _Optional[str] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., channel: _Optional[_Union[_types_pb2.Channel, str]] = ..., source: _Optional[str] = ..., snippet: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordProspectVoiceResponse(_message.Message):
    __slots__ = ("applied", "affected_prospect_ids", "parked_until")
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    AFFECTED_PROSPECT_IDS_FIELD_NUMBER: _ClassVar[int]
    PARKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    applied: bool
    affected_prospect_ids: _containers.RepeatedScalarFieldContainer[str]
    parked_until: _timestamp_pb2.Timestamp
    def __init__(self, applied: _Optional[bool] = ..., affected_prospect_ids: _Optional[_Iterable[str]] = ..., parked_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SuppressionEntry(_message.Message):
    __slots__ = ("kind", "value")
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    value: str
    def __init__(self, kind: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class ApplySuppressionsRequest(_message.Message):
    __slots__ = ("workspace_id", "add", "remove")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ADD_FIELD_NUMBER: _ClassVar[int]
    REMOVE_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    add: _containers.RepeatedCompositeFieldContainer[SuppressionEntry]
    remove: _containers.RepeatedCompositeFieldContainer[SuppressionEntry]
    def __init__(self, workspace_id: _Optional[str] = ..., add: _Optional[_Iterable[_Union[SuppressionEntry, _Mapping]]] = ..., remove: _Optional[_Iterable[_Union[SuppressionEntry, _Mapping]]] = ...) -> None: ...

class ApplySuppressionsResponse(_message.Message):
    __slots__ = ("prospects_stopped",)
    PROSPECTS_STOPPED_FIELD_NUMBER: _ClassVar[int]
    prospects_stopped: int
    def __init__(self, prospects_stopped: _Optional[int] = ...) -> None: ...

class RecordLinkedInMessageRequest(_message.Message):
    __slots__ = ("unipile_account_id", "message_id")
    UNIPILE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    unipile_account_id: str
    message_id: str
    def __init__(self, unipile_account_id: _Optional[str] = ..., message_id: _Optional[str] = ...) -> None: ...

class RecordLinkedInMessageResponse(_message.Message):
    __slots__ = ("recorded", "ignored")
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    IGNORED_FIELD_NUMBER: _ClassVar[int]
    recorded: int
    ignored: str
    def __init__(self, recorded: _Optional[int] = ..., ignored: _Optional[str] = ...) -> None: ...

class GetProspectHistoryRequest(_message.Message):
    __slots__ = ("campaign_id", "prospect_id")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    PROSPECT_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    prospect_id: str
    def __init__(self, campaign_id: _Optional[str] = ..., prospect_id: _Optional[str] = ...) -> None: ...

class ProspectReply(_message.Message):
    __slots__ = ("id", "received_at", "channel", "classification", "snippet", "source", "affected", "out_of_office_until")
    ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CLASSIFICATION_FIELD_NUMBER: _ClassVar[int]
    SNIPPET_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    AFFECTED_FIELD_NUMBER: _ClassVar[int]
    OUT_OF_OFFICE_UNTIL_FIELD_NUMBER: _ClassVar[int]
    id: str
    received_at: _timestamp_pb2.Timestamp
    channel: _types_pb2.Channel
    classification: str
    snippet: str
    source: str
    affected: int
    out_of_office_until: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., channel: _Optional[_Union[_types_pb2.Channel, str]] = ..., classification: _Optional[str] = ..., snippet: _Optional[str] = ..., source: _Optional[str] = ..., affected: _Optional[int] = ..., out_of_office_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ProspectAttempt(_message.Message):
    __slots__ = ("step_index", "action_type", "status", "outcome", "started_at", "finished_at")
    STEP_INDEX_FIELD_NUMBER: _ClassVar[int]
    ACTION_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    step_index: int
    action_type: _types_pb2.ActionType
    status: str
    outcome: str
    started_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    def __init__(self, step_index: _Optional[int] = ..., action_type: _Optional[_Union[_types_pb2.ActionType, str]] = ..., status: _Optional[str] = ..., outcome: _Optional[str] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetProspectHistoryResponse(_message.Message):
    __slots__ = ("replies", "attempts")
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    replies: _containers.RepeatedCompositeFieldContainer[ProspectReply]
    attempts: _containers.RepeatedCompositeFieldContainer[ProspectAttempt]
    def __init__(self, replies: _Optional[_Iterable[_Union[ProspectReply, _Mapping]]] = ..., attempts: _Optional[_Iterable[_Union[ProspectAttempt, _Mapping]]] = ...) -> None: ...

class ReclassifyReplyRequest(_message.Message):
    __slots__ = ("campaign_id", "prospect_id", "reply_id", "classification", "member_id", "until")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    PROSPECT_ID_FIELD_NUMBER: _ClassVar[int]
    REPLY_ID_FIELD_NUMBER: _ClassVar[int]
    CLASSIFICATION_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    prospect_id: str
    reply_id: str
    classification: str
    member_id: str
    until: _timestamp_pb2.Timestamp
    def __init__(self, campaign_id: _Optional[str] = ..., prospect_id: _Optional[str] = ..., reply_id: _Optional[str] = ..., classification: _Optional[str] = ..., member_id: _Optional[str] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReclassifyReplyResponse(_message.Message):
    __slots__ = ("changed", "parked_until")
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    PARKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    changed: bool
    parked_until: _timestamp_pb2.Timestamp
    def __init__(self, changed: _Optional[bool] = ..., parked_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class InboundEmail(_message.Message):
    __slots__ = ("message_id", "in_reply_to", "references", "from_address", "subject", "text", "received_at", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    IN_REPLY_TO_FIELD_NUMBER: _ClassVar[int]
    REFERENCES_FIELD_NUMBER: _ClassVar[int]
    FROM_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    in_reply_to: str
    references: _containers.RepeatedScalarFieldContainer[str]
    from_address: str
    subject: str
    text: str
    received_at: _timestamp_pb2.Timestamp
    headers: _containers.ScalarMap[str, str]
    def __init__(self, message_id: _Optional[str] = ..., in_reply_to: _Optional[str] = ..., references: _Optional[_Iterable[str]] = ..., from_address: _Optional[str] = ..., subject: _Optional[str] = ..., text: _Optional[str] = ..., received_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., headers: _Optional[_Mapping[str, str]] = ...) -> None: ...

class RecordInboundEmailsRequest(_message.Message):
    __slots__ = ("inbox_id", "emails")
    INBOX_ID_FIELD_NUMBER: _ClassVar[int]
    EMAILS_FIELD_NUMBER: _ClassVar[int]
    inbox_id: str
    emails: _containers.RepeatedCompositeFieldContainer[InboundEmail]
    def __init__(self, inbox_id: _Optional[str] = ..., emails: _Optional[_Iterable[_Union[InboundEmail, _Mapping]]] = ...) -> None: ...

class RecordInboundEmailsResponse(_message.Message):
    __slots__ = ("recorded", "unmatched")
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    UNMATCHED_FIELD_NUMBER: _ClassVar[int]
    recorded: int
    unmatched: int
    def __init__(self, recorded: _Optional[int] = ..., unmatched: _Optional[int] = ...) -> None: ...

class PreviewPlanChangeRequest(_message.Message):
    __slots__ = ("plan", "limit")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    plan: UpsertCampaignPlanRequest
    limit: int
    def __init__(self, plan: _Optional[_Union[UpsertCampaignPlanRequest, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class PlannedMove(_message.Message):
    __slots__ = ("prospect_id", "step_index", "to")
    PROSPECT_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_INDEX_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    prospect_id: str
    step_index: int
    to: _timestamp_pb2.Timestamp
    def __init__(self, prospect_id: _Optional[str] = ..., step_index: _Optional[int] = ..., to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., **kwargs) -> None: ...

class PreviewPlanChangeResponse(_message.Message):
    __slots__ = ("moved", "moves")
    MOVED_FIELD_NUMBER: _ClassVar[int]
    MOVES_FIELD_NUMBER: _ClassVar[int]
    moved: int
    moves: _containers.RepeatedCompositeFieldContainer[PlannedMove]
    def __init__(self, moved: _Optional[int] = ..., moves: _Optional[_Iterable[_Union[PlannedMove, _Mapping]]] = ...) -> None: ...

class GetCampaignProgressRequest(_message.Message):
    __slots__ = ("campaign_ids",)
    CAMPAIGN_IDS_FIELD_NUMBER: _ClassVar[int]
    campaign_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, campaign_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class CampaignProgress(_message.Message):
    __slots__ = ("campaign_id", "enrolled", "unfinished")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    ENROLLED_FIELD_NUMBER: _ClassVar[int]
    UNFINISHED_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    enrolled: int
    unfinished: int
    def __init__(self, campaign_id: _Optional[str] = ..., enrolled: _Optional[int] = ..., unfinished: _Optional[int] = ...) -> None: ...

class GetCampaignProgressResponse(_message.Message):
    __slots__ = ("campaigns",)
    CAMPAIGNS_FIELD_NUMBER: _ClassVar[int]
    campaigns: _containers.RepeatedCompositeFieldContainer[CampaignProgress]
    def __init__(self, campaigns: _Optional[_Iterable[_Union[CampaignProgress, _Mapping]]] = ...) -> None: ...
