from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.common.errors import InvalidArgument

TOKEN_PREFIX = "hf_"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class Workspace:
    id: str
    name: str
    subscription_status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a bearer token belongs to."""

    workspace_id: str
    member_id: str


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def validate_workspace_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidArgument("name must be 1 to 100 characters", field="name")
    return name


def validate_email(email: str, field: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidArgument(f"{field} must be an email address", field=field)
    return email


# Senders: LinkedIn accounts and email inboxes (DESIGN A1-A5), with their limits (S5-S7).

SENDER_KINDS = ("linkedin_account", "inbox")
ACTION_TYPES = ("linkedin_invite", "linkedin_message", "linkedin_inmail", "email")
# The action types each kind of sender performs, in display order.
ACTIONS_OF: dict[str, tuple[str, ...]] = {
    "linkedin_account": ("linkedin_invite", "linkedin_message", "linkedin_inmail"),
    "inbox": ("email",),
}
SENDER_STATUSES = ("connected", "degraded", "disconnected", "restricted")
AUTH_KINDS = ("password", "google_oauth", "microsoft_oauth")
SECURITIES = ("ssl", "starttls", "none")

# Upper bounds that keep a typo (an extra zero) from becoming a ban, and every value inside int32.
MAX_DAILY_CAP = 10_000
MAX_WEEKLY_CAP = 7 * MAX_DAILY_CAP
MAX_PACING_SECONDS = 86_400
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


@dataclass(frozen=True, slots=True)
class SendingLimit:
    """Caps, ramp and pacing of one sender for one action type."""

    action_type: str
    daily_cap: int
    weekly_cap: int
    # Ramp (S6): the cap of the first day the sender actually sends, and its increase per day it sent.
    ramp_start: int
    ramp_step: int
    # Pacing (S7): a random gap in [min, max] seconds between consecutive actions of the sender.
    pacing_min_seconds: int
    pacing_max_seconds: int


# S5-S7 defaults, the one place they are written. LinkedIn figures follow the provider's published guidance
# (invites about 80-100 a day and 200 a week, messages about 100 a day); email is conservative for a new inbox.
DEFAULT_LIMITS: dict[str, SendingLimit] = {
    "linkedin_invite": SendingLimit(
        "linkedin_invite",
        daily_cap=80,
        weekly_cap=200,
        ramp_start=10,
        ramp_step=5,
        pacing_min_seconds=120,
        pacing_max_seconds=300,
    ),
    "linkedin_message": SendingLimit(
        "linkedin_message",
        daily_cap=100,
        weekly_cap=500,
        ramp_start=20,
        ramp_step=10,
        pacing_min_seconds=120,
        pacing_max_seconds=300,
    ),
    "linkedin_inmail": SendingLimit(
        "linkedin_inmail",
        daily_cap=25,
        weekly_cap=100,
        ramp_start=5,
        ramp_step=5,
        pacing_min_seconds=120,
        pacing_max_seconds=300,
    ),
    "email": SendingLimit(
        "email", daily_cap=50, weekly_cap=300, ramp_start=10, ramp_step=5, pacing_min_seconds=60, pacing_max_seconds=180
    ),
}


def _problem(problems: list[dict[str, str]], field: str, message: str) -> None:
    problems.append({"field": field, "message": f"{field} {message}"})


def _raise_first(problems: list[dict[str, str]]) -> None:
    if problems:
        first = problems[0]
        raise InvalidArgument(first["message"], field=first["field"], details={"errors": problems})


def validate_limits(
    kind: str, limits: Sequence[SendingLimit], *, field: str = "limits", required: bool = False
) -> dict[str, SendingLimit]:
    """Check limits given for a sender of `kind`; every violation names its field ("limits.0.weekly_cap").
    Returns them by action type. Each given limit is complete: it replaces that action type's limit."""
    problems: list[dict[str, str]] = []
    if required and not limits:
        _problem(problems, field, "must give the limits of at least one action type")
    allowed = ACTIONS_OF[kind]
    by_action: dict[str, SendingLimit] = {}
    for index, limit in enumerate(limits):
        at = f"{field}.{index}"
        if limit.action_type not in allowed:
            _problem(
                problems, f"{at}.action_type", f"must be one of {', '.join(allowed)} for a {kind.replace('_', ' ')}"
            )
            continue
        if limit.action_type in by_action:
            _problem(problems, f"{at}.action_type", f"gives {limit.action_type} a second time")
            continue
        by_action[limit.action_type] = limit
        if not 1 <= limit.daily_cap <= MAX_DAILY_CAP:
            _problem(problems, f"{at}.daily_cap", f"must be 1 to {MAX_DAILY_CAP}")
        if not 1 <= limit.weekly_cap <= MAX_WEEKLY_CAP:
            _problem(problems, f"{at}.weekly_cap", f"must be 1 to {MAX_WEEKLY_CAP}")
        elif limit.weekly_cap < limit.daily_cap:
            _problem(problems, f"{at}.weekly_cap", f"must be at least the daily cap ({limit.daily_cap})")
        if limit.ramp_start < 1:
            _problem(problems, f"{at}.ramp_start", "must be at least 1")
        elif limit.ramp_start > limit.daily_cap:
            _problem(problems, f"{at}.ramp_start", f"must not exceed the daily cap ({limit.daily_cap})")
        if not 0 <= limit.ramp_step <= MAX_DAILY_CAP:
            _problem(problems, f"{at}.ramp_step", f"must be 0 to {MAX_DAILY_CAP}")
        if not 0 <= limit.pacing_min_seconds <= MAX_PACING_SECONDS:
            _problem(problems, f"{at}.pacing_min_seconds", f"must be 0 to {MAX_PACING_SECONDS}")
        if not 0 <= limit.pacing_max_seconds <= MAX_PACING_SECONDS:
            _problem(problems, f"{at}.pacing_max_seconds", f"must be 0 to {MAX_PACING_SECONDS}")
        elif limit.pacing_max_seconds < limit.pacing_min_seconds:
            _problem(
                problems,
                f"{at}.pacing_max_seconds",
                f"must be at least pacing_min_seconds ({limit.pacing_min_seconds})",
            )
    _raise_first(problems)
    return by_action


def limits_with_defaults(kind: str, given: dict[str, SendingLimit]) -> list[SendingLimit]:
    """Every action type of the sender kind: the given limit, else the default."""
    return [given.get(action, DEFAULT_LIMITS[action]) for action in ACTIONS_OF[kind]]


def validate_timezone(timezone: str, field: str = "timezone") -> str:
    """An IANA timezone; empty means UTC."""
    timezone = timezone.strip()
    if not timezone:
        return "UTC"
    try:
        if len(timezone) > 64:
            raise ValueError
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):  # OSError: "America" is a folder
        raise InvalidArgument(f"{field} must be an IANA timezone such as Europe/Paris", field=field) from None
    return timezone


def validate_sender_name(name: str, field: str = "name") -> str:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidArgument(f"{field} must be 1 to 100 characters", field=field)
    return name


def validate_unipile_account_id(value: str, field: str = "unipile_account_id") -> str:
    value = value.strip()
    if not 1 <= len(value) <= 200:
        raise InvalidArgument(f"{field} must be 1 to 200 characters", field=field)
    return value


def validate_display_name(value: str, field: str = "display_name") -> str:
    value = value.strip()
    if len(value) > 100:
        raise InvalidArgument(f"{field} must be at most 100 characters", field=field)
    return value


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Where and how an inbox reaches its SMTP or IMAP server; never carries the password."""

    host: str
    port: int
    security: str
    username: str


@dataclass(frozen=True, slots=True)
class ServerLogin:
    """A server with its password, as given by the user or decrypted for a send. The password is kept out
    of repr, so it cannot reach a log line or a traceback through this object."""

    host: str
    port: int
    security: str
    username: str
    password: str = dataclasses.field(repr=False)

    def config(self) -> ServerConfig:
        return ServerConfig(self.host, self.port, self.security, self.username)


def validate_server(server: ServerLogin, field: str) -> ServerLogin:
    """A complete server login; errors name the field ("smtp.port") and never echo the password."""
    problems: list[dict[str, str]] = []
    host = server.host.strip().lower().rstrip(".")
    if not host:
        _problem(problems, f"{field}.host", "is required")
    elif not (_HOSTNAME.match(host) or _is_ip(host)):
        _problem(problems, f"{field}.host", "must be a host name or IP address")
    if not 1 <= server.port <= 65535:
        _problem(problems, f"{field}.port", "must be 1 to 65535")
    if server.security not in SECURITIES:
        _problem(problems, f"{field}.security", f"must be one of {', '.join(SECURITIES)}")
    username = server.username.strip()
    if not 1 <= len(username) <= 254:
        _problem(problems, f"{field}.username", "is required (1 to 254 characters)")
    if not server.password:
        _problem(problems, f"{field}.password", "is required")
    elif len(server.password) > 1024:
        _problem(problems, f"{field}.password", "must be at most 1024 characters")
    _raise_first(problems)
    return ServerLogin(host, server.port, server.security, username, server.password)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class HealthChange:
    """One entry of a sender's health history."""

    status: str
    detail: str
    source: str
    at: datetime


@dataclass(frozen=True, slots=True)
class LinkedInAccount:
    id: str
    workspace_id: str
    unipile_account_id: str
    name: str
    timezone: str
    status: str
    status_since: datetime
    status_detail: str
    restriction_kind: str | None
    restriction_verified: bool
    version: int
    created_at: datetime
    limits: tuple[SendingLimit, ...]
    # The last HISTORY_LENGTH health changes, newest first.
    history: tuple[HealthChange, ...] = ()


@dataclass(frozen=True, slots=True)
class Inbox:
    id: str
    workspace_id: str
    email: str
    display_name: str
    timezone: str
    auth_kind: str
    smtp: ServerConfig | None
    imap: ServerConfig | None
    status: str
    status_since: datetime
    status_detail: str
    version: int
    created_at: datetime
    limits: tuple[SendingLimit, ...]
    # The last HISTORY_LENGTH health changes, newest first.
    history: tuple[HealthChange, ...] = ()


Sender = LinkedInAccount | Inbox


@dataclass(frozen=True, slots=True)
class InboxProbeClaim:
    """A password inbox's servers and encrypted passwords, as a login probe or a reconnect reads them."""

    inbox_id: str
    workspace_id: str
    smtp: ServerConfig
    smtp_secret: bytes = dataclasses.field(repr=False)
    imap: ServerConfig
    imap_secret: bytes = dataclasses.field(repr=False)


@dataclass(frozen=True, slots=True)
class BouncePollClaim:
    """An inbox's bounce cursor (UIDVALIDITY and last UID read) and its login: a password inbox's IMAP server and
    encrypted password; for an OAuth inbox (no `imap`), its auth kind and address, the provider's IMAP server coming
    from the settings and an access token from the token cache."""

    inbox_id: str
    imap: ServerConfig | None
    imap_secret: bytes | None = dataclasses.field(repr=False)
    uidvalidity: int | None
    last_uid: int
    auth_kind: str = "password"
    email: str = ""


@dataclass(frozen=True, slots=True)
class InboxProbeState:
    """An inbox's probe counters under its row lock, with what it would be probed with."""

    claim: InboxProbeClaim
    status: str
    auth_failures: int
    network_failing_since: datetime | None


@dataclass(frozen=True, slots=True)
class SenderCredentials:
    """What the scheduler needs to send as a sender: the SMTP login of an inbox, or the Unipile account."""

    smtp: ServerLogin | None = None
    email: str = ""
    display_name: str = ""
    unipile_account_id: str = ""


def secret_context(inbox_id: str, server: str) -> str:
    """The associated data a stored inbox password is bound to: it decrypts only in its own row and field."""
    return f"inbox:{inbox_id}:{server}"


# Health of LinkedIn accounts (DESIGN A1-A3) and of the workspace subscription (A6).

# Why a health change happened; written to the history with each change.
HEALTH_SOURCES = ("unipile_webhook", "grace_expired", "send_failure", "operator", "reconnect")
RESTRICTION_KINDS = ("warning", "jail", "partial")
HISTORY_LENGTH = 20
MAX_DETAIL_CHARS = 500
# Billing event types and the subscription status each one sets.
BILLING_EVENT_TYPES = {"subscription.canceled": "canceled", "subscription.activated": "active"}
# What a re-read of the account at Unipile says: the worst status of its sources (UnipileClient.get_account),
# "UNKNOWN" when it lists none, and DELETED here when Unipile answers 404.
UNIPILE_OK = "OK"
UNIPILE_DELETED = "DELETED"
# Transient states: the account counts as connected ("degraded") for a grace period, then as disconnected.
UNIPILE_TRANSIENT = ("CONNECTING", "ERROR", "STOPPED")
_DISCONNECTED_BECAUSE = {
    "CREDENTIALS": "Unipile reports CREDENTIALS: the LinkedIn session ended (password, 2FA or login location "
    "changed); reconnect the account",
    "PERMISSIONS": "Unipile reports PERMISSIONS: the account lacks a permission it needs; reconnect the account",
    "UNKNOWN": "Unipile lists no working connection for the account; reconnect the account",
    UNIPILE_DELETED: "the account no longer exists at Unipile; connect it again",
}


@dataclass(frozen=True, slots=True)
class HealthDecision:
    """The status an account moves to, and why. `grace_expired`: a transient state outlived its grace."""

    status: str
    detail: str
    grace_expired: bool = False


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds % 3600 == 0 and seconds:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0 and seconds:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def decide_linkedin_health(
    current: str, since: datetime, unipile_status: str, now: datetime, grace: timedelta
) -> HealthDecision | None:
    """What a fresh read of the account at Unipile means for an account now `current` since `since` (A1, A2);
    None when nothing changes.

    OK is connected. CONNECTING, ERROR and STOPPED are transient: a connected account becomes degraded (still
    counted as connected for sending), and a degraded one becomes disconnected once it has been degraded for
    the grace period. Anything else (CREDENTIALS, PERMISSIONS, UNKNOWN, DELETED, a status Unipile adds later)
    is disconnected. A restricted account stays restricted whatever Unipile says, until an operator verifies it.
    """
    if current == "restricted":
        return None
    if unipile_status == UNIPILE_OK:
        return None if current == "connected" else HealthDecision("connected", "Unipile reports the account OK")
    if unipile_status in UNIPILE_TRANSIENT:
        if current == "connected":
            return HealthDecision(
                "degraded",
                f"Unipile reports {unipile_status}; still sending, disconnected if not OK within {_duration(grace)}",
            )
        if current == "degraded" and now >= since + grace:
            return HealthDecision(
                "disconnected",
                f"Unipile still reports {unipile_status} after the {_duration(grace)} grace period; reconnect "
                "the account",
                grace_expired=True,
            )
        return None  # degraded inside its grace period, or already disconnected
    if current == "disconnected":
        return None
    return HealthDecision(
        "disconnected", _DISCONNECTED_BECAUSE.get(unipile_status, f"Unipile reports {unipile_status}")
    )


def validate_restriction_kind(kind: str, field: str = "kind") -> str:
    kind = kind.strip().lower()
    if kind not in RESTRICTION_KINDS:
        raise InvalidArgument(f"{field} must be one of {', '.join(RESTRICTION_KINDS)}", field=field)
    return kind


def validate_detail(detail: str, field: str = "detail") -> str:
    detail = detail.strip()
    if len(detail) > MAX_DETAIL_CHARS:
        raise InvalidArgument(f"{field} must be at most {MAX_DETAIL_CHARS} characters", field=field)
    return detail


def restriction_detail(kind: str, detail: str) -> str:
    return f"restricted by LinkedIn ({kind})" + (f": {detail}" if detail else "")


@dataclass(frozen=True, slots=True)
class SenderHealthEvent:
    """A sender's health as campaigns learns it (holdfast.common.v1.HealthEvent with a SenderHealth)."""

    event_id: str
    workspace_id: str
    # The sender's version: orders the events of one sender.
    version: int
    occurred_at: datetime
    sender_kind: str
    sender_id: str
    status: str
    restriction_kind: str | None
    restriction_verified: bool
    detail: str


@dataclass(frozen=True, slots=True)
class SubscriptionHealthEvent:
    """A workspace's subscription as campaigns learns it (a HealthEvent with a SubscriptionHealth)."""

    event_id: str
    workspace_id: str
    version: int
    occurred_at: datetime
    status: str


HealthEvent = SenderHealthEvent | SubscriptionHealthEvent


@dataclass(frozen=True, slots=True)
class BillingEvent:
    event_id: str
    type: str
    workspace_id: str
    occurred_at: datetime


def validate_billing_event(event_id: str, type_: str, workspace_id: str, occurred_at: datetime | None) -> BillingEvent:
    event_id = event_id.strip()
    if not 1 <= len(event_id) <= 255:
        raise InvalidArgument("event_id must be 1 to 255 characters", field="event_id")
    if type_ not in BILLING_EVENT_TYPES:
        raise InvalidArgument(f"type must be one of {', '.join(BILLING_EVENT_TYPES)}", field="type")
    if occurred_at is None:
        raise InvalidArgument("occurred_at is required", field="occurred_at")
    return BillingEvent(event_id, type_, workspace_id, occurred_at)


# Health of password inboxes (DESIGN A4): a periodic SMTP and IMAP login probe.

PROBE_SERVERS = ("smtp", "imap")


@dataclass(frozen=True, slots=True)
class InboxHealthSettings:
    """The inbox probe's rules (HOLDFAST_INBOX_*)."""

    probe_interval: timedelta = timedelta(seconds=300)
    auth_failures: int = 3
    network_grace: timedelta = timedelta(seconds=900)
    login_timeout_s: float = 15.0


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """One login of a probe or a reconnect: `failure` is None (it worked), "auth" (the server refused the
    credentials) or "network" (no usable answer: unreachable, timed out, a temporary refusal)."""

    server: str
    failure: str | None = None
    # What went wrong, never with the password; '' on success.
    message: str = ""


@dataclass(frozen=True, slots=True)
class InboxProbeDecision:
    auth_failures: int
    network_failing_since: datetime | None
    # What the failed logins said ('' when both worked).
    error: str
    # The new status, or None to keep it.
    status: str | None
    detail: str


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def decide_inbox_probe(
    status: str,
    auth_failures: int,
    network_failing_since: datetime | None,
    outcomes: Sequence[LoginOutcome],
    now: datetime,
    auth_threshold: int,
    network_grace: timedelta,
) -> InboxProbeDecision:
    """What one probe means for an inbox. Refused logins count up and disconnect at `auth_threshold` in a row;
    unreachable servers disconnect only once every probe has failed for `network_grace`; a probe where both
    logins work resets the counters and connects a disconnected inbox again (its stored credentials work)."""
    refused = [o for o in outcomes if o.failure == "auth"]
    unreachable = [o for o in outcomes if o.failure == "network"]
    if not refused and not unreachable:
        if status == "disconnected":
            return InboxProbeDecision(0, None, "", "connected", "the SMTP and IMAP logins work again (probe)")
        return InboxProbeDecision(0, None, "", None, "")
    failures = auth_failures + 1 if refused else auth_failures
    since = (network_failing_since or now) if unreachable else None
    error = "; ".join(f"{o.server.upper()} {o.message}" for o in (*refused, *unreachable))[:1000]
    if status == "disconnected":
        return InboxProbeDecision(failures, since, error, None, "")
    if refused and failures >= auth_threshold:
        servers = " and ".join(o.server.upper() for o in refused)
        detail = f"the {servers} server refused the login {failures} probes in a row: {error}"
        return InboxProbeDecision(failures, since, error, "disconnected", clip_detail(detail))
    if since is not None and now - since >= network_grace:
        servers = " and ".join(o.server.upper() for o in unreachable)
        detail = f"the {servers} server could not be reached for {_minutes(now - since)}: {error}"
        return InboxProbeDecision(failures, since, error, "disconnected", clip_detail(detail))
    return InboxProbeDecision(failures, since, error, None, "")


def clip_detail(detail: str) -> str:
    """A status detail cut to what the history keeps (1000 characters)."""
    return detail if len(detail) <= 1000 else detail[:999] + "…"
