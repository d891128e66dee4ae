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

class InboxAuthKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INBOX_AUTH_KIND_UNSPECIFIED: _ClassVar[InboxAuthKind]
    INBOX_AUTH_KIND_PASSWORD: _ClassVar[InboxAuthKind]
    INBOX_AUTH_KIND_GOOGLE_OAUTH: _ClassVar[InboxAuthKind]
    INBOX_AUTH_KIND_MICROSOFT_OAUTH: _ClassVar[InboxAuthKind]
INBOX_AUTH_KIND_UNSPECIFIED: InboxAuthKind
INBOX_AUTH_KIND_PASSWORD: InboxAuthKind
INBOX_AUTH_KIND_GOOGLE_OAUTH: InboxAuthKind
INBOX_AUTH_KIND_MICROSOFT_OAUTH: InboxAuthKind

class Workspace(_message.Message):
    __slots__ = ("id", "name", "subscription_status", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTION_STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    subscription_status: _types_pb2.SubscriptionStatus
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., subscription_status: _Optional[_Union[_types_pb2.SubscriptionStatus, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateWorkspaceRequest(_message.Message):
    __slots__ = ("name", "owner_email")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    owner_email: str
    def __init__(self, name: _Optional[str] = ..., owner_email: _Optional[str] = ...) -> None: ...

class CreateWorkspaceResponse(_message.Message):
    __slots__ = ("workspace", "owner_member_id", "token")
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    OWNER_MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    workspace: Workspace
    owner_member_id: str
    token: str
    def __init__(self, workspace: _Optional[_Union[Workspace, _Mapping]] = ..., owner_member_id: _Optional[str] = ..., token: _Optional[str] = ...) -> None: ...

class AuthenticateRequest(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    def __init__(self, token: _Optional[str] = ...) -> None: ...

class AuthenticateResponse(_message.Message):
    __slots__ = ("workspace_id", "member_id", "role", "scopes", "token_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    member_id: str
    role: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    token_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., member_id: _Optional[str] = ..., role: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ..., token_id: _Optional[str] = ...) -> None: ...

class GetWorkspaceRequest(_message.Message):
    __slots__ = ("workspace_id",)
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    def __init__(self, workspace_id: _Optional[str] = ...) -> None: ...

class GetWorkspaceResponse(_message.Message):
    __slots__ = ("workspace",)
    WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    workspace: Workspace
    def __init__(self, workspace: _Optional[_Union[Workspace, _Mapping]] = ...) -> None: ...

class Member(_message.Message):
    __slots__ = ("id", "email", "role", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    email: str
    role: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., email: _Optional[str] = ..., role: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ApiToken(_message.Message):
    __slots__ = ("id", "member_id", "name", "scopes", "hint", "created_at", "revoked_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    HINT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    member_id: str
    name: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    hint: str
    created_at: _timestamp_pb2.Timestamp
    revoked_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., member_id: _Optional[str] = ..., name: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ..., hint: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListMembersRequest(_message.Message):
    __slots__ = ("workspace_id",)
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    def __init__(self, workspace_id: _Optional[str] = ...) -> None: ...

class ListMembersResponse(_message.Message):
    __slots__ = ("members",)
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[Member]
    def __init__(self, members: _Optional[_Iterable[_Union[Member, _Mapping]]] = ...) -> None: ...

class AddMemberRequest(_message.Message):
    __slots__ = ("workspace_id", "actor", "email", "role")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    actor: _types_pb2.Actor
    email: str
    role: str
    def __init__(self, workspace_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., email: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class AddMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: Member
    def __init__(self, member: _Optional[_Union[Member, _Mapping]] = ...) -> None: ...

class ChangeMemberRoleRequest(_message.Message):
    __slots__ = ("workspace_id", "actor", "member_id", "role")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    actor: _types_pb2.Actor
    member_id: str
    role: str
    def __init__(self, workspace_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., member_id: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class ChangeMemberRoleResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: Member
    def __init__(self, member: _Optional[_Union[Member, _Mapping]] = ...) -> None: ...

class RemoveMemberRequest(_message.Message):
    __slots__ = ("workspace_id", "actor", "member_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    actor: _types_pb2.Actor
    member_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., member_id: _Optional[str] = ...) -> None: ...

class RemoveMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: Member
    def __init__(self, member: _Optional[_Union[Member, _Mapping]] = ...) -> None: ...

class TransferOwnershipRequest(_message.Message):
    __slots__ = ("workspace_id", "actor", "member_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    actor: _types_pb2.Actor
    member_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., member_id: _Optional[str] = ...) -> None: ...

class TransferOwnershipResponse(_message.Message):
    __slots__ = ("members",)
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[Member]
    def __init__(self, members: _Optional[_Iterable[_Union[Member, _Mapping]]] = ...) -> None: ...

class ListTokensRequest(_message.Message):
    __slots__ = ("workspace_id",)
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    def __init__(self, workspace_id: _Optional[str] = ...) -> None: ...

class ListTokensResponse(_message.Message):
    __slots__ = ("tokens",)
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    tokens: _containers.RepeatedCompositeFieldContainer[ApiToken]
    def __init__(self, tokens: _Optional[_Iterable[_Union[ApiToken, _Mapping]]] = ...) -> None: ...

class CreateTokenRequest(_message.Message):
    __slots__ = ("workspace_id", "actor", "member_id", "name", "scopes")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    actor: _types_pb2.Actor
    member_id: str
    name: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, workspace_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., member_id: _Optional[str] = ..., name: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateTokenResponse(_message.Message):
    __slots__ = ("token", "secret")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    token: ApiToken
    secret: str
    def __init__(self, token: _Optional[_Union[ApiToken, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class RevokeTokenRequest(_message.Message):
    __slots__ = ("workspace_id", "actor", "token_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    actor: _types_pb2.Actor
    token_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., token_id: _Optional[str] = ...) -> None: ...

class RevokeTokenResponse(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: ApiToken
    def __init__(self, token: _Optional[_Union[ApiToken, _Mapping]] = ...) -> None: ...

class ApplyBillingEventRequest(_message.Message):
    __slots__ = ("event_id", "type", "workspace_id", "occurred_at")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    type: str
    workspace_id: str
    occurred_at: _timestamp_pb2.Timestamp
    def __init__(self, event_id: _Optional[str] = ..., type: _Optional[str] = ..., workspace_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ApplyBillingEventResponse(_message.Message):
    __slots__ = ("applied",)
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    applied: bool
    def __init__(self, applied: _Optional[bool] = ...) -> None: ...

class HealthChange(_message.Message):
    __slots__ = ("status", "detail", "at", "source")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    status: _types_pb2.SenderStatus
    detail: str
    at: _timestamp_pb2.Timestamp
    source: str
    def __init__(self, status: _Optional[_Union[_types_pb2.SenderStatus, str]] = ..., detail: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., source: _Optional[str] = ...) -> None: ...

class LinkedInAccount(_message.Message):
    __slots__ = ("id", "workspace_id", "unipile_account_id", "name", "status", "status_since", "status_detail", "restriction_kind", "restriction_verified", "limits", "history", "created_at", "timezone")
    ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIPILE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_SINCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_DETAIL_FIELD_NUMBER: _ClassVar[int]
    RESTRICTION_KIND_FIELD_NUMBER: _ClassVar[int]
    RESTRICTION_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    id: str
    workspace_id: str
    unipile_account_id: str
    name: str
    status: _types_pb2.SenderStatus
    status_since: _timestamp_pb2.Timestamp
    status_detail: str
    restriction_kind: str
    restriction_verified: bool
    limits: _containers.RepeatedCompositeFieldContainer[_types_pb2.SendingLimit]
    history: _containers.RepeatedCompositeFieldContainer[HealthChange]
    created_at: _timestamp_pb2.Timestamp
    timezone: str
    def __init__(self, id: _Optional[str] = ..., workspace_id: _Optional[str] = ..., unipile_account_id: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[_Union[_types_pb2.SenderStatus, str]] = ..., status_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status_detail: _Optional[str] = ..., restriction_kind: _Optional[str] = ..., restriction_verified: _Optional[bool] = ..., limits: _Optional[_Iterable[_Union[_types_pb2.SendingLimit, _Mapping]]] = ..., history: _Optional[_Iterable[_Union[HealthChange, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., timezone: _Optional[str] = ...) -> None: ...

class CreateLinkedInAccountRequest(_message.Message):
    __slots__ = ("workspace_id", "unipile_account_id", "name", "limits", "timezone")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIPILE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    unipile_account_id: str
    name: str
    limits: _containers.RepeatedCompositeFieldContainer[_types_pb2.SendingLimit]
    timezone: str
    def __init__(self, workspace_id: _Optional[str] = ..., unipile_account_id: _Optional[str] = ..., name: _Optional[str] = ..., limits: _Optional[_Iterable[_Union[_types_pb2.SendingLimit, _Mapping]]] = ..., timezone: _Optional[str] = ...) -> None: ...

class CreateLinkedInAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: LinkedInAccount
    def __init__(self, account: _Optional[_Union[LinkedInAccount, _Mapping]] = ...) -> None: ...

class ListLinkedInAccountsRequest(_message.Message):
    __slots__ = ("workspace_id",)
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    def __init__(self, workspace_id: _Optional[str] = ...) -> None: ...

class ListLinkedInAccountsResponse(_message.Message):
    __slots__ = ("accounts",)
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedCompositeFieldContainer[LinkedInAccount]
    def __init__(self, accounts: _Optional[_Iterable[_Union[LinkedInAccount, _Mapping]]] = ...) -> None: ...

class GetLinkedInAccountRequest(_message.Message):
    __slots__ = ("workspace_id", "account_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    account_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., account_id: _Optional[str] = ...) -> None: ...

class GetLinkedInAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: LinkedInAccount
    def __init__(self, account: _Optional[_Union[LinkedInAccount, _Mapping]] = ...) -> None: ...

class CreateReconnectLinkRequest(_message.Message):
    __slots__ = ("workspace_id", "account_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    account_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., account_id: _Optional[str] = ...) -> None: ...

class CreateReconnectLinkResponse(_message.Message):
    __slots__ = ("url", "expires_at")
    URL_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    url: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, url: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateConnectLinkRequest(_message.Message):
    __slots__ = ("workspace_id", "name", "timezone")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    name: str
    timezone: str
    def __init__(self, workspace_id: _Optional[str] = ..., name: _Optional[str] = ..., timezone: _Optional[str] = ...) -> None: ...

class CreateConnectLinkResponse(_message.Message):
    __slots__ = ("url", "expires_at")
    URL_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    url: str
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, url: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CompleteLinkedInConnectRequest(_message.Message):
    __slots__ = ("token", "unipile_account_id", "status")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    UNIPILE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    token: str
    unipile_account_id: str
    status: str
    def __init__(self, token: _Optional[str] = ..., unipile_account_id: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...

class CompleteLinkedInConnectResponse(_message.Message):
    __slots__ = ("account", "created")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    account: LinkedInAccount
    created: bool
    def __init__(self, account: _Optional[_Union[LinkedInAccount, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class HandleAccountStatusWebhookRequest(_message.Message):
    __slots__ = ("unipile_account_id", "account_type", "message")
    UNIPILE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_TYPE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    unipile_account_id: str
    account_type: str
    message: str
    def __init__(self, unipile_account_id: _Optional[str] = ..., account_type: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class HandleAccountStatusWebhookResponse(_message.Message):
    __slots__ = ("changed",)
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    changed: bool
    def __init__(self, changed: _Optional[bool] = ...) -> None: ...

class RecordRestrictionRequest(_message.Message):
    __slots__ = ("workspace_id", "account_id", "kind", "detail", "actor")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    account_id: str
    kind: str
    detail: str
    actor: _types_pb2.Actor
    def __init__(self, workspace_id: _Optional[str] = ..., account_id: _Optional[str] = ..., kind: _Optional[str] = ..., detail: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ...) -> None: ...

class RecordRestrictionResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: LinkedInAccount
    def __init__(self, account: _Optional[_Union[LinkedInAccount, _Mapping]] = ...) -> None: ...

class VerifyLinkedInAccountRequest(_message.Message):
    __slots__ = ("workspace_id", "account_id", "actor")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    account_id: str
    actor: _types_pb2.Actor
    def __init__(self, workspace_id: _Optional[str] = ..., account_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ...) -> None: ...

class VerifyLinkedInAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: LinkedInAccount
    def __init__(self, account: _Optional[_Union[LinkedInAccount, _Mapping]] = ...) -> None: ...

class ReportAccountFailureRequest(_message.Message):
    __slots__ = ("sender_kind", "sender_id", "status", "restriction_kind", "detail", "attempt_id", "sender_refused", "sender_version")
    SENDER_KIND_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RESTRICTION_KIND_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_REFUSED_FIELD_NUMBER: _ClassVar[int]
    SENDER_VERSION_FIELD_NUMBER: _ClassVar[int]
    sender_kind: _types_pb2.SenderKind
    sender_id: str
    status: _types_pb2.SenderStatus
    restriction_kind: str
    detail: str
    attempt_id: str
    sender_refused: bool
    sender_version: int
    def __init__(self, sender_kind: _Optional[_Union[_types_pb2.SenderKind, str]] = ..., sender_id: _Optional[str] = ..., status: _Optional[_Union[_types_pb2.SenderStatus, str]] = ..., restriction_kind: _Optional[str] = ..., detail: _Optional[str] = ..., attempt_id: _Optional[str] = ..., sender_refused: _Optional[bool] = ..., sender_version: _Optional[int] = ...) -> None: ...

class ReportAccountFailureResponse(_message.Message):
    __slots__ = ("changed",)
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    changed: bool
    def __init__(self, changed: _Optional[bool] = ...) -> None: ...

class ServerSettings(_message.Message):
    __slots__ = ("host", "port", "security", "username", "password")
    HOST_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    SECURITY_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    host: str
    port: int
    security: str
    username: str
    password: str
    def __init__(self, host: _Optional[str] = ..., port: _Optional[int] = ..., security: _Optional[str] = ..., username: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class Inbox(_message.Message):
    __slots__ = ("id", "workspace_id", "email", "auth_kind", "smtp", "imap", "status", "status_since", "status_detail", "limits", "history", "created_at", "timezone", "display_name", "bounce_poll_error", "next_probe_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    AUTH_KIND_FIELD_NUMBER: _ClassVar[int]
    SMTP_FIELD_NUMBER: _ClassVar[int]
    IMAP_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_SINCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_DETAIL_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    BOUNCE_POLL_ERROR_FIELD_NUMBER: _ClassVar[int]
    NEXT_PROBE_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    workspace_id: str
    email: str
    auth_kind: InboxAuthKind
    smtp: ServerSettings
    imap: ServerSettings
    status: _types_pb2.SenderStatus
    status_since: _timestamp_pb2.Timestamp
    status_detail: str
    limits: _containers.RepeatedCompositeFieldContainer[_types_pb2.SendingLimit]
    history: _containers.RepeatedCompositeFieldContainer[HealthChange]
    created_at: _timestamp_pb2.Timestamp
    timezone: str
    display_name: str
    bounce_poll_error: str
    next_probe_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., workspace_id: _Optional[str] = ..., email: _Optional[str] = ..., auth_kind: _Optional[_Union[InboxAuthKind, str]] = ..., smtp: _Optional[_Union[ServerSettings, _Mapping]] = ..., imap: _Optional[_Union[ServerSettings, _Mapping]] = ..., status: _Optional[_Union[_types_pb2.SenderStatus, str]] = ..., status_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status_detail: _Optional[str] = ..., limits: _Optional[_Iterable[_Union[_types_pb2.SendingLimit, _Mapping]]] = ..., history: _Optional[_Iterable[_Union[HealthChange, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., timezone: _Optional[str] = ..., display_name: _Optional[str] = ..., bounce_poll_error: _Optional[str] = ..., next_probe_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CheckInboxRequest(_message.Message):
    __slots__ = ("workspace_id", "inbox_id", "actor")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    INBOX_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    inbox_id: str
    actor: _types_pb2.Actor
    def __init__(self, workspace_id: _Optional[str] = ..., inbox_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ...) -> None: ...

class CheckInboxResponse(_message.Message):
    __slots__ = ("inbox",)
    INBOX_FIELD_NUMBER: _ClassVar[int]
    inbox: Inbox
    def __init__(self, inbox: _Optional[_Union[Inbox, _Mapping]] = ...) -> None: ...

class CreateInboxRequest(_message.Message):
    __slots__ = ("workspace_id", "email", "smtp", "imap", "limits", "auth_kind", "timezone", "display_name")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    SMTP_FIELD_NUMBER: _ClassVar[int]
    IMAP_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    AUTH_KIND_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    email: str
    smtp: ServerSettings
    imap: ServerSettings
    limits: _containers.RepeatedCompositeFieldContainer[_types_pb2.SendingLimit]
    auth_kind: InboxAuthKind
    timezone: str
    display_name: str
    def __init__(self, workspace_id: _Optional[str] = ..., email: _Optional[str] = ..., smtp: _Optional[_Union[ServerSettings, _Mapping]] = ..., imap: _Optional[_Union[ServerSettings, _Mapping]] = ..., limits: _Optional[_Iterable[_Union[_types_pb2.SendingLimit, _Mapping]]] = ..., auth_kind: _Optional[_Union[InboxAuthKind, str]] = ..., timezone: _Optional[str] = ..., display_name: _Optional[str] = ...) -> None: ...

class CreateInboxResponse(_message.Message):
    __slots__ = ("inbox",)
    INBOX_FIELD_NUMBER: _ClassVar[int]
    inbox: Inbox
    def __init__(self, inbox: _Optional[_Union[Inbox, _Mapping]] = ...) -> None: ...

class ListInboxesRequest(_message.Message):
    __slots__ = ("workspace_id",)
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    def __init__(self, workspace_id: _Optional[str] = ...) -> None: ...

class ListInboxesResponse(_message.Message):
    __slots__ = ("inboxes",)
    INBOXES_FIELD_NUMBER: _ClassVar[int]
    inboxes: _containers.RepeatedCompositeFieldContainer[Inbox]
    def __init__(self, inboxes: _Optional[_Iterable[_Union[Inbox, _Mapping]]] = ...) -> None: ...

class GetInboxRequest(_message.Message):
    __slots__ = ("workspace_id", "inbox_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    INBOX_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    inbox_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., inbox_id: _Optional[str] = ...) -> None: ...

class GetInboxResponse(_message.Message):
    __slots__ = ("inbox",)
    INBOX_FIELD_NUMBER: _ClassVar[int]
    inbox: Inbox
    def __init__(self, inbox: _Optional[_Union[Inbox, _Mapping]] = ...) -> None: ...

class UpdateInboxCredentialsRequest(_message.Message):
    __slots__ = ("workspace_id", "inbox_id", "smtp", "imap", "actor")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    INBOX_ID_FIELD_NUMBER: _ClassVar[int]
    SMTP_FIELD_NUMBER: _ClassVar[int]
    IMAP_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    inbox_id: str
    smtp: ServerSettings
    imap: ServerSettings
    actor: _types_pb2.Actor
    def __init__(self, workspace_id: _Optional[str] = ..., inbox_id: _Optional[str] = ..., smtp: _Optional[_Union[ServerSettings, _Mapping]] = ..., imap: _Optional[_Union[ServerSettings, _Mapping]] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ...) -> None: ...

class UpdateInboxCredentialsResponse(_message.Message):
    __slots__ = ("inbox",)
    INBOX_FIELD_NUMBER: _ClassVar[int]
    inbox: Inbox
    def __init__(self, inbox: _Optional[_Union[Inbox, _Mapping]] = ...) -> None: ...

class StartInboxOAuthRequest(_message.Message):
    __slots__ = ("workspace_id", "inbox_id", "provider", "redirect_uri")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    INBOX_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URI_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    inbox_id: str
    provider: InboxAuthKind
    redirect_uri: str
    def __init__(self, workspace_id: _Optional[str] = ..., inbox_id: _Optional[str] = ..., provider: _Optional[_Union[InboxAuthKind, str]] = ..., redirect_uri: _Optional[str] = ...) -> None: ...

class StartInboxOAuthResponse(_message.Message):
    __slots__ = ("url",)
    URL_FIELD_NUMBER: _ClassVar[int]
    url: str
    def __init__(self, url: _Optional[str] = ...) -> None: ...

class CompleteInboxOAuthRequest(_message.Message):
    __slots__ = ("state", "code")
    STATE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    state: str
    code: str
    def __init__(self, state: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class CompleteInboxOAuthResponse(_message.Message):
    __slots__ = ("inbox",)
    INBOX_FIELD_NUMBER: _ClassVar[int]
    inbox: Inbox
    def __init__(self, inbox: _Optional[_Union[Inbox, _Mapping]] = ...) -> None: ...

class UpdateSendingLimitsRequest(_message.Message):
    __slots__ = ("workspace_id", "sender_kind", "sender_id", "limits")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_KIND_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    sender_kind: _types_pb2.SenderKind
    sender_id: str
    limits: _containers.RepeatedCompositeFieldContainer[_types_pb2.SendingLimit]
    def __init__(self, workspace_id: _Optional[str] = ..., sender_kind: _Optional[_Union[_types_pb2.SenderKind, str]] = ..., sender_id: _Optional[str] = ..., limits: _Optional[_Iterable[_Union[_types_pb2.SendingLimit, _Mapping]]] = ...) -> None: ...

class UpdateSendingLimitsResponse(_message.Message):
    __slots__ = ("limits",)
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    limits: _containers.RepeatedCompositeFieldContainer[_types_pb2.SendingLimit]
    def __init__(self, limits: _Optional[_Iterable[_Union[_types_pb2.SendingLimit, _Mapping]]] = ...) -> None: ...

class ListHealthEventsRequest(_message.Message):
    __slots__ = ("after_sequence", "limit")
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    limit: int
    def __init__(self, after_sequence: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListHealthEventsResponse(_message.Message):
    __slots__ = ("events", "last_sequence")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_types_pb2.HealthEvent]
    last_sequence: int
    def __init__(self, events: _Optional[_Iterable[_Union[_types_pb2.HealthEvent, _Mapping]]] = ..., last_sequence: _Optional[int] = ...) -> None: ...

class GetSenderCredentialsRequest(_message.Message):
    __slots__ = ("sender_kind", "sender_id")
    SENDER_KIND_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    sender_kind: _types_pb2.SenderKind
    sender_id: str
    def __init__(self, sender_kind: _Optional[_Union[_types_pb2.SenderKind, str]] = ..., sender_id: _Optional[str] = ...) -> None: ...

class GetSenderCredentialsResponse(_message.Message):
    __slots__ = ("smtp", "email", "display_name", "unipile_account_id", "oauth_access_token")
    SMTP_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    UNIPILE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    OAUTH_ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    smtp: ServerSettings
    email: str
    display_name: str
    unipile_account_id: str
    oauth_access_token: str
    def __init__(self, smtp: _Optional[_Union[ServerSettings, _Mapping]] = ..., email: _Optional[str] = ..., display_name: _Optional[str] = ..., unipile_account_id: _Optional[str] = ..., oauth_access_token: _Optional[str] = ...) -> None: ...

class WebhookEndpoint(_message.Message):
    __slots__ = ("id", "url", "events", "enabled", "disabled_reason", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    DISABLED_REASON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    url: str
    events: _containers.RepeatedScalarFieldContainer[str]
    enabled: bool
    disabled_reason: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., url: _Optional[str] = ..., events: _Optional[_Iterable[str]] = ..., enabled: _Optional[bool] = ..., disabled_reason: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WebhookDelivery(_message.Message):
    __slots__ = ("id", "event_id", "event_type", "status", "attempts", "next_attempt_at", "last_status", "last_error", "delivered_at", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_STATUS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: _timestamp_pb2.Timestamp
    last_status: int
    last_error: str
    delivered_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., event_id: _Optional[str] = ..., event_type: _Optional[str] = ..., status: _Optional[str] = ..., attempts: _Optional[int] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_status: _Optional[int] = ..., last_error: _Optional[str] = ..., delivered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateWebhookEndpointRequest(_message.Message):
    __slots__ = ("workspace_id", "url", "events")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    url: str
    events: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, workspace_id: _Optional[str] = ..., url: _Optional[str] = ..., events: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateWebhookEndpointResponse(_message.Message):
    __slots__ = ("endpoint", "secret")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    endpoint: WebhookEndpoint
    secret: str
    def __init__(self, endpoint: _Optional[_Union[WebhookEndpoint, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class ListWebhookEndpointsRequest(_message.Message):
    __slots__ = ("workspace_id",)
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    def __init__(self, workspace_id: _Optional[str] = ...) -> None: ...

class ListWebhookEndpointsResponse(_message.Message):
    __slots__ = ("endpoints",)
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    endpoints: _containers.RepeatedCompositeFieldContainer[WebhookEndpoint]
    def __init__(self, endpoints: _Optional[_Iterable[_Union[WebhookEndpoint, _Mapping]]] = ...) -> None: ...

class UpdateWebhookEndpointRequest(_message.Message):
    __slots__ = ("workspace_id", "endpoint_id", "url", "events", "events_set", "enabled")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_SET_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    endpoint_id: str
    url: str
    events: _containers.RepeatedScalarFieldContainer[str]
    events_set: bool
    enabled: bool
    def __init__(self, workspace_id: _Optional[str] = ..., endpoint_id: _Optional[str] = ..., url: _Optional[str] = ..., events: _Optional[_Iterable[str]] = ..., events_set: _Optional[bool] = ..., enabled: _Optional[bool] = ...) -> None: ...

class UpdateWebhookEndpointResponse(_message.Message):
    __slots__ = ("endpoint",)
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    endpoint: WebhookEndpoint
    def __init__(self, endpoint: _Optional[_Union[WebhookEndpoint, _Mapping]] = ...) -> None: ...

class DeleteWebhookEndpointRequest(_message.Message):
    __slots__ = ("workspace_id", "endpoint_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    endpoint_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., endpoint_id: _Optional[str] = ...) -> None: ...

class DeleteWebhookEndpointResponse(_message.Message):
    __slots__ = ("endpoint",)
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    endpoint: WebhookEndpoint
    def __init__(self, endpoint: _Optional[_Union[WebhookEndpoint, _Mapping]] = ...) -> None: ...

class RotateWebhookSecretRequest(_message.Message):
    __slots__ = ("workspace_id", "endpoint_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    endpoint_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., endpoint_id: _Optional[str] = ...) -> None: ...

class RotateWebhookSecretResponse(_message.Message):
    __slots__ = ("endpoint", "secret")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    endpoint: WebhookEndpoint
    secret: str
    def __init__(self, endpoint: _Optional[_Union[WebhookEndpoint, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class ListWebhookDeliveriesRequest(_message.Message):
    __slots__ = ("workspace_id", "endpoint_id", "limit")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    endpoint_id: str
    limit: int
    def __init__(self, workspace_id: _Optional[str] = ..., endpoint_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListWebhookDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries",)
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[WebhookDelivery]
    def __init__(self, deliveries: _Optional[_Iterable[_Union[WebhookDelivery, _Mapping]]] = ...) -> None: ...

class ReplayWebhookDeliveryRequest(_message.Message):
    __slots__ = ("workspace_id", "endpoint_id", "delivery_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_ID_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    endpoint_id: str
    delivery_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., endpoint_id: _Optional[str] = ..., delivery_id: _Optional[str] = ...) -> None: ...

class ReplayWebhookDeliveryResponse(_message.Message):
    __slots__ = ("delivery",)
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    delivery: WebhookDelivery
    def __init__(self, delivery: _Optional[_Union[WebhookDelivery, _Mapping]] = ...) -> None: ...

class RecordWebhookEventRequest(_message.Message):
    __slots__ = ("event_id", "workspace_id", "type", "occurred_at", "data_json")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    DATA_JSON_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    workspace_id: str
    type: str
    occurred_at: _timestamp_pb2.Timestamp
    data_json: str
    def __init__(self, event_id: _Optional[str] = ..., workspace_id: _Optional[str] = ..., type: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., data_json: _Optional[str] = ...) -> None: ...

class RecordWebhookEventResponse(_message.Message):
    __slots__ = ("deliveries",)
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    deliveries: int
    def __init__(self, deliveries: _Optional[int] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("id", "at", "member_id", "member_email", "token_id", "action", "method", "path", "target_json", "changes_json", "status", "request_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    TARGET_JSON_FIELD_NUMBER: _ClassVar[int]
    CHANGES_JSON_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    at: _timestamp_pb2.Timestamp
    member_id: str
    member_email: str
    token_id: str
    action: str
    method: str
    path: str
    target_json: str
    changes_json: str
    status: int
    request_id: str
    def __init__(self, id: _Optional[str] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., member_id: _Optional[str] = ..., member_email: _Optional[str] = ..., token_id: _Optional[str] = ..., action: _Optional[str] = ..., method: _Optional[str] = ..., path: _Optional[str] = ..., target_json: _Optional[str] = ..., changes_json: _Optional[str] = ..., status: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordAuditEntryRequest(_message.Message):
    __slots__ = ("workspace_id", "member_id", "token_id", "action", "method", "path", "target_json", "changes_json", "status", "request_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    TARGET_JSON_FIELD_NUMBER: _ClassVar[int]
    CHANGES_JSON_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    member_id: str
    token_id: str
    action: str
    method: str
    path: str
    target_json: str
    changes_json: str
    status: int
    request_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., member_id: _Optional[str] = ..., token_id: _Optional[str] = ..., action: _Optional[str] = ..., method: _Optional[str] = ..., path: _Optional[str] = ..., target_json: _Optional[str] = ..., changes_json: _Optional[str] = ..., status: _Optional[int] = ..., request_id: _Optional[str] = ...) -> None: ...

class RecordAuditEntryResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAuditEntriesRequest(_message.Message):
    __slots__ = ("workspace_id", "page_size", "page_token", "action", "member_id", "since", "until")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    page_size: int
    page_token: str
    action: str
    member_id: str
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    def __init__(self, workspace_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., action: _Optional[str] = ..., member_id: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListAuditEntriesResponse(_message.Message):
    __slots__ = ("entries", "next_page_token")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    next_page_token: str
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SignInClient(_message.Message):
    __slots__ = ("address", "user_agent")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    address: str
    user_agent: str
    def __init__(self, address: _Optional[str] = ..., user_agent: _Optional[str] = ...) -> None: ...

class Invitation(_message.Message):
    __slots__ = ("id", "email", "role", "created_at", "expires_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    email: str
    role: str
    created_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., email: _Optional[str] = ..., role: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateInvitationRequest(_message.Message):
    __slots__ = ("workspace_id", "actor", "email", "role")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    actor: _types_pb2.Actor
    email: str
    role: str
    def __init__(self, workspace_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., email: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class CreateInvitationResponse(_message.Message):
    __slots__ = ("invitation",)
    INVITATION_FIELD_NUMBER: _ClassVar[int]
    invitation: Invitation
    def __init__(self, invitation: _Optional[_Union[Invitation, _Mapping]] = ...) -> None: ...

class AcceptInvitationRequest(_message.Message):
    __slots__ = ("token", "password", "client")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    token: str
    password: str
    client: SignInClient
    def __init__(self, token: _Optional[str] = ..., password: _Optional[str] = ..., client: _Optional[_Union[SignInClient, _Mapping]] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("id", "member_id", "created_at", "expires_at", "revoked_at", "method", "address", "user_agent")
    ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    id: str
    member_id: str
    created_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    revoked_at: _timestamp_pb2.Timestamp
    method: str
    address: str
    user_agent: str
    def __init__(self, id: _Optional[str] = ..., member_id: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., method: _Optional[str] = ..., address: _Optional[str] = ..., user_agent: _Optional[str] = ...) -> None: ...

class SignedIn(_message.Message):
    __slots__ = ("session", "secret", "workspace_id", "member_id", "role", "email")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    session: Session
    secret: str
    workspace_id: str
    member_id: str
    role: str
    email: str
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ..., secret: _Optional[str] = ..., workspace_id: _Optional[str] = ..., member_id: _Optional[str] = ..., role: _Optional[str] = ..., email: _Optional[str] = ...) -> None: ...

class SignInWithPasswordRequest(_message.Message):
    __slots__ = ("email", "password", "workspace_id", "client")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    email: str
    password: str
    workspace_id: str
    client: SignInClient
    def __init__(self, email: _Optional[str] = ..., password: _Optional[str] = ..., workspace_id: _Optional[str] = ..., client: _Optional[_Union[SignInClient, _Mapping]] = ...) -> None: ...

class SendSignInLinkRequest(_message.Message):
    __slots__ = ("email", "client")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    email: str
    client: SignInClient
    def __init__(self, email: _Optional[str] = ..., client: _Optional[_Union[SignInClient, _Mapping]] = ...) -> None: ...

class SendSignInLinkResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SignInWithLinkRequest(_message.Message):
    __slots__ = ("token", "client")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    token: str
    client: SignInClient
    def __init__(self, token: _Optional[str] = ..., client: _Optional[_Union[SignInClient, _Mapping]] = ...) -> None: ...

class SendPasswordResetRequest(_message.Message):
    __slots__ = ("email", "client")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    email: str
    client: SignInClient
    def __init__(self, email: _Optional[str] = ..., client: _Optional[_Union[SignInClient, _Mapping]] = ...) -> None: ...

class SendPasswordResetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResetPasswordRequest(_message.Message):
    __slots__ = ("token", "password", "client")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    token: str
    password: str
    client: SignInClient
    def __init__(self, token: _Optional[str] = ..., password: _Optional[str] = ..., client: _Optional[_Union[SignInClient, _Mapping]] = ...) -> None: ...

class AuthenticateSessionRequest(_message.Message):
    __slots__ = ("secret",)
    SECRET_FIELD_NUMBER: _ClassVar[int]
    secret: str
    def __init__(self, secret: _Optional[str] = ...) -> None: ...

class AuthenticateSessionResponse(_message.Message):
    __slots__ = ("workspace_id", "member_id", "role", "session_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    member_id: str
    role: str
    session_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., member_id: _Optional[str] = ..., role: _Optional[str] = ..., session_id: _Optional[str] = ...) -> None: ...

class ListSessionsRequest(_message.Message):
    __slots__ = ("workspace_id", "member_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    member_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., member_id: _Optional[str] = ...) -> None: ...

class ListSessionsResponse(_message.Message):
    __slots__ = ("sessions",)
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[Session]
    def __init__(self, sessions: _Optional[_Iterable[_Union[Session, _Mapping]]] = ...) -> None: ...

class RevokeSessionRequest(_message.Message):
    __slots__ = ("workspace_id", "actor", "session_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    actor: _types_pb2.Actor
    session_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., session_id: _Optional[str] = ...) -> None: ...

class RevokeSessionResponse(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: Session
    def __init__(self, session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class RevokeMemberSessionsRequest(_message.Message):
    __slots__ = ("workspace_id", "actor", "member_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    actor: _types_pb2.Actor
    member_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., member_id: _Optional[str] = ...) -> None: ...

class RevokeMemberSessionsResponse(_message.Message):
    __slots__ = ("revoked",)
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    revoked: int
    def __init__(self, revoked: _Optional[int] = ...) -> None: ...

class AcceptInvitationResponse(_message.Message):
    __slots__ = ("signed_in",)
    SIGNED_IN_FIELD_NUMBER: _ClassVar[int]
    signed_in: SignedIn
    def __init__(self, signed_in: _Optional[_Union[SignedIn, _Mapping]] = ...) -> None: ...

class SignInWithPasswordResponse(_message.Message):
    __slots__ = ("signed_in",)
    SIGNED_IN_FIELD_NUMBER: _ClassVar[int]
    signed_in: SignedIn
    def __init__(self, signed_in: _Optional[_Union[SignedIn, _Mapping]] = ...) -> None: ...

class SignInWithLinkResponse(_message.Message):
    __slots__ = ("signed_in",)
    SIGNED_IN_FIELD_NUMBER: _ClassVar[int]
    signed_in: SignedIn
    def __init__(self, signed_in: _Optional[_Union[SignedIn, _Mapping]] = ...) -> None: ...

class ResetPasswordResponse(_message.Message):
    __slots__ = ("signed_in",)
    SIGNED_IN_FIELD_NUMBER: _ClassVar[int]
    signed_in: SignedIn
    def __init__(self, signed_in: _Optional[_Union[SignedIn, _Mapping]] = ...) -> None: ...

class ListInvitationsRequest(_message.Message):
    __slots__ = ("workspace_id", "actor")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    actor: _types_pb2.Actor
    def __init__(self, workspace_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ...) -> None: ...

class ListInvitationsResponse(_message.Message):
    __slots__ = ("invitations",)
    INVITATIONS_FIELD_NUMBER: _ClassVar[int]
    invitations: _containers.RepeatedCompositeFieldContainer[Invitation]
    def __init__(self, invitations: _Optional[_Iterable[_Union[Invitation, _Mapping]]] = ...) -> None: ...

class RevokeInvitationRequest(_message.Message):
    __slots__ = ("workspace_id", "actor", "invitation_id")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    INVITATION_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    actor: _types_pb2.Actor
    invitation_id: str
    def __init__(self, workspace_id: _Optional[str] = ..., actor: _Optional[_Union[_types_pb2.Actor, _Mapping]] = ..., invitation_id: _Optional[str] = ...) -> None: ...

class RevokeInvitationResponse(_message.Message):
    __slots__ = ("invitation",)
    INVITATION_FIELD_NUMBER: _ClassVar[int]
    invitation: Invitation
    def __init__(self, invitation: _Optional[_Union[Invitation, _Mapping]] = ...) -> None: ...
