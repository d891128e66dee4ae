"""Request and response bodies of the sender routes: LinkedIn accounts and email inboxes, with their sending
limits. Requests are strict like every request of the API; the rules on values (caps, ports, timezones)
are the accounts service's, which names the field of each violation."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, ConfigDict, Field, create_model

from services.common.limits import LIMIT_FIELDS
from services.gateway.models import EMAIL_PATTERN, TIMEZONES, WS, Request, Response, integral, stripped

# Any int32: the accounts service checks the ranges, so its messages explain the rule. The OpenAPI document
# states those ranges (schema only, below), so a client knows them before it asks.
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1), BeforeValidator(integral)]


def _schema(**constraints: object) -> dict[str, object]:
    return {"json_schema_extra": constraints}


# Host names as the accounts service takes them (letters, digits, hyphens, dots; an IPv4 address fits too).
_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
HOST_PATTERN = f"^[{WS}]*{_LABEL}(\\.{_LABEL})*\\.?[{WS}]*$"
PORT = _schema(minimum=1, maximum=65535)
# The accounts service's ranges of sending limits (services/accounts/domain.py; a test keeps the two equal).
MAX_DAILY_CAP = 10_000
MAX_PACING_SECONDS = 86_400
# A timezone may be left empty (UTC) or be an IANA name.
TIMEZONE = _schema(enum=["", *TIMEZONES])
SenderStatus = Literal["connected", "degraded", "disconnected", "restricted"]
Security = Literal["ssl", "starttls", "none"]
RestrictionKind = Literal["warning", "jail", "partial"]


# Requests


class LimitIn(Request):
    """The complete limits of one action type; they replace that action type's limits."""

    daily_cap: Int32 = Field(
        description="actions per day, in the sender's local day (1 to 10000)",
        examples=[80],
        **_schema(minimum=1, maximum=MAX_DAILY_CAP),
    )
    weekly_cap: Int32 = Field(
        description="actions per rolling 7 days, at least daily_cap",
        examples=[200],
        **_schema(minimum=1, maximum=7 * MAX_DAILY_CAP),
    )
    ramp_start: Int32 = Field(
        description="the cap of the first day the sender sends (1 to daily_cap)",
        examples=[10],
        **_schema(minimum=1, maximum=MAX_DAILY_CAP),
    )
    ramp_step: Int32 = Field(
        description="added to the ramp cap after each day the sender actually sent",
        examples=[5],
        **_schema(minimum=0, maximum=MAX_DAILY_CAP),
    )
    pacing_min_seconds: Int32 = Field(
        description="smallest random gap between two actions of the sender",
        examples=[120],
        **_schema(minimum=0, maximum=MAX_PACING_SECONDS),
    )
    pacing_max_seconds: Int32 = Field(
        description="largest random gap, at least pacing_min_seconds",
        examples=[300],
        **_schema(minimum=0, maximum=MAX_PACING_SECONDS),
    )


class LinkedInLimitsIn(Request):
    """Limits per action type; an action type left out keeps its current (or default) limits."""

    linkedin_invite: LimitIn | None = None
    linkedin_message: LimitIn | None = None
    linkedin_inmail: LimitIn | None = None


class InboxLimitsIn(Request):
    """Limits per action type; left out, the current (or default) limits are kept."""

    email: LimitIn | None = None


def _at_least_one_of(*names: str) -> dict[str, object]:
    """JSON Schema for "at least one of these fields, not null" (the route refuses a body without any)."""
    return {"anyOf": [{"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in names]}


class LinkedInLimitsUpdate(LinkedInLimitsIn):
    """Limits per action type to change; at least one; the others keep their current limits."""

    model_config = ConfigDict(
        json_schema_extra=_at_least_one_of("linkedin_invite", "linkedin_message", "linkedin_inmail")
    )


class InboxLimitsUpdate(InboxLimitsIn):
    """The email limits to set."""

    model_config = ConfigDict(json_schema_extra=_at_least_one_of("email"))


class CreateLinkedInAccount(Request):
    unipile_account_id: str = Field(
        description="the Unipile account that sends (1 to 200 characters)",
        examples=["t5XY4yQzR9WVrlNFyzPMhw"],
        **_schema(pattern=stripped(200)),
    )
    name: str = Field(description="1 to 100 characters", examples=["Jane's LinkedIn"], **_schema(pattern=stripped(100)))
    timezone: str = Field(
        "UTC",
        description="IANA timezone of the account's owner: daily caps count in its day",
        examples=["Europe/Paris"],
        **TIMEZONE,
    )
    limits: LinkedInLimitsIn | None = None


class RecordRestriction(Request):
    """A LinkedIn restriction an operator saw; the account stops sending until it is verified after it lifts."""

    kind: RestrictionKind = Field(description="warning, jail or partial", examples=["warning"])
    detail: str = Field("", max_length=500, description="what LinkedIn said", examples=["Weekly invitation limit"])


class ServerIn(Request):
    host: str = Field(examples=["smtp.acme.example"], **_schema(maxLength=253, pattern=HOST_PATTERN))
    port: Int32 = Field(description="1 to 65535", examples=[465], **PORT)
    security: Security = Field(examples=["ssl"])
    username: str = Field(examples=["jane@acme.example"], **_schema(pattern=stripped(254)))
    password: str = Field(
        description="write-only: stored encrypted, never returned",
        json_schema_extra={"writeOnly": True, "minLength": 1, "maxLength": 1024},
    )


class CreateInbox(Request):
    email: str = Field(
        examples=["jane@acme.example"],
        description="unique in the workspace (case-insensitive)",
        **_schema(maxLength=254, pattern=EMAIL_PATTERN),
    )
    display_name: str = Field(
        "",
        description="the From name, up to 100 characters",
        examples=["Jane Doe"],
        **_schema(pattern=stripped(100, required=False)),
    )
    timezone: str = Field(
        "UTC", description="IANA timezone: daily caps count in its day", examples=["Europe/Paris"], **TIMEZONE
    )
    smtp: ServerIn
    imap: ServerIn
    limits: InboxLimitsIn | None = None


class ServerCredentialsIn(Request):
    """New login of one server; what is left out keeps its stored value (a server without a password keeps
    its stored password, and its login is still checked)."""

    host: str | None = Field(None, examples=["smtp.acme.example"], **_schema(maxLength=253, pattern=HOST_PATTERN))
    port: Int32 | None = Field(None, description="1 to 65535", examples=[465], **PORT)
    security: Security | None = Field(None, examples=["ssl"])
    username: str | None = Field(None, examples=["jane@acme.example"], **_schema(pattern=stripped(254)))
    password: str | None = Field(
        None,
        description="write-only: stored encrypted, never returned",
        json_schema_extra={"writeOnly": True, "minLength": 1, "maxLength": 1024},
    )


def _password_given(server: str) -> dict[str, object]:
    return {
        "required": ["app_password", server],
        "properties": {
            "app_password": {"type": "string"},
            server: {"type": "object", "required": ["password"], "properties": {"password": {"type": "string"}}},
        },
    }


class UpdateInboxCredentials(Request):
    """New SMTP and IMAP credentials, logged in live before anything is stored."""

    model_config = ConfigDict(
        json_schema_extra={
            **_at_least_one_of("smtp", "imap", "app_password"),
            # app_password stands for both servers' passwords: not with either of them.
            "not": {"anyOf": [_password_given("smtp"), _password_given("imap")]},
        }
    )

    smtp: ServerCredentialsIn | None = None
    imap: ServerCredentialsIn | None = None
    app_password: str | None = Field(
        None,
        description="shortcut: the same (app) password for SMTP and IMAP; not with smtp.password or imap.password",
        json_schema_extra={"writeOnly": True, "minLength": 1},
    )


class StartInboxOAuth(Request):
    """Connect an inbox with Google or Microsoft OAuth: where to send the user."""

    provider: Literal["google", "microsoft"] = Field(examples=["google"])
    redirect_uri: str | None = Field(
        None,
        max_length=2000,
        # Empty (the default), or an absolute http(s) URL with a host and no fragment.
        **_schema(pattern=f"^$|^[{WS}]*[Hh][Tt][Tt][Pp][Ss]?://[^/?#{WS}\\u0000]+[^#\\u0000]*$"),
        description="where the provider sends the user back; default: {HOLDFAST_PUBLIC_URL}/oauth/callback "
        "(it must be registered with the OAuth app and reach GET /oauth/callback)",
    )


class OAuthCallbackQuery(Request):
    """What the provider appends to the redirect URI (other parameters it adds are ignored)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    state: str | None = None
    code: str | None = Field(None, json_schema_extra={"writeOnly": True})
    error: str | None = None
    error_description: str | None = None


# Responses


class OAuthStartOut(Response):
    url: str = Field(description="the provider's consent page; open it in the user's browser")


# The limits of one action type as shown: every number of services.common.limits.Limits, by the names it gives.
LimitOut = create_model("LimitOut", __base__=Response, __module__=__name__, **{n: (int, ...) for n in LIMIT_FIELDS})


class LinkedInLimitsOut(Response):
    linkedin_invite: LimitOut
    linkedin_message: LimitOut
    linkedin_inmail: LimitOut


class InboxLimitsOut(Response):
    email: LimitOut


class HealthChangeOut(Response):
    status: SenderStatus
    detail: str = Field(description="why, in words (what Unipile reported, the restriction, who verified)")
    source: str = Field(
        description="what noticed it: unipile_webhook, grace_expired, send_failure, operator, reconnect, probe, "
        "unipile_read (Holdfast's own re-read of the account)"
    )
    at: str


class LinkedInAccountOut(Response):
    id: str
    name: str
    unipile_account_id: str
    timezone: str
    status: SenderStatus = Field(
        description="connected; degraded (Unipile reports a transient state: still sending, disconnected if it "
        "lasts past the grace period); disconnected (reconnect it); restricted (sends nothing until verified)"
    )
    status_since: str
    status_detail: str = Field(description="why the account has its status")
    restriction_kind: RestrictionKind | None = Field(
        description="the kind of the current or last restriction; null if the account was never restricted"
    )
    restriction_verified: bool = Field(
        description="true once an operator verified the account healthy after its last restriction"
    )
    history: list[HealthChangeOut] = Field(description="the last 20 health changes, newest first")
    limits: LinkedInLimitsOut
    created_at: str


class CreateConnectLink(Request):
    name: str = Field(
        description="the new account's name in Holdfast (1 to 100 characters)",
        examples=["Jane's LinkedIn"],
        **_schema(pattern=stripped(100)),
    )
    timezone: str = Field(
        "UTC", description="IANA timezone of the account's owner", examples=["Europe/Paris"], **TIMEZONE
    )


class ConnectLinkOut(Response):
    url: str = Field(
        description="a Unipile hosted-auth page where the user signs in to LinkedIn; the account is "
        "added to this workspace when Unipile reports it connected"
    )
    expires_at: str


class ReconnectLinkOut(Response):
    url: str = Field(description="a fresh Unipile hosted-auth page that reconnects the account")
    expires_at: str


class LinkedInAccountList(Response):
    linkedin_accounts: list[LinkedInAccountOut]


class ServerOut(Response):
    """Where the inbox connects; the password is never returned."""

    host: str
    port: int
    security: Security
    username: str


class InboxOut(Response):
    id: str
    email: str
    display_name: str
    timezone: str
    auth_kind: Literal["password", "google_oauth", "microsoft_oauth"]
    smtp: ServerOut | None
    imap: ServerOut | None
    status: SenderStatus
    status_since: str
    status_detail: str
    limits: InboxLimitsOut
    created_at: str
    bounce_poll_error: str = Field(
        description="why the last read of the inbox's bounce reports failed; empty when it worked"
    )
    next_probe_at: str | None = Field(
        description="when the inbox's logins are next checked (a disconnected inbox "
        "backs off; a reconnect or check-now probes at once)"
    )


class InboxList(Response):
    inboxes: list[InboxOut]
