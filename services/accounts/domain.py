from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.common.errors import InvalidArgument
from services.common.limits import Limits

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
    """Who a bearer token belongs to: its member's role and the token's scopes (services/common/roles.py)."""

    workspace_id: str
    member_id: str
    role: str = "owner"
    scopes: tuple[str, ...] = ("read", "write", "admin")
    token_id: str = ""


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
class SendingLimit(Limits):
    """Caps, ramp and pacing of one sender for one action type."""

    action_type: str = dataclasses.field(kw_only=True)


# S5-S7 defaults, the one place they are written. LinkedIn figures follow the provider's published guidance
# (invites about 80-100 a day and 200 a week, messages about 100 a day); email is conservative for a new inbox.
DEFAULT_LIMITS: dict[str, SendingLimit] = {
    "linkedin_invite": SendingLimit(
        action_type="linkedin_invite",
        daily_cap=80,
        weekly_cap=200,
        ramp_start=10,
        ramp_step=5,
        pacing_min_seconds=120,
        pacing_max_seconds=300,
    ),
    "linkedin_message": SendingLimit(
        action_type="linkedin_message",
        daily_cap=100,
        weekly_cap=500,
        ramp_start=20,
        ramp_step=10,
        pacing_min_seconds=120,
        pacing_max_seconds=300,
    ),
    "linkedin_inmail": SendingLimit(
        action_type="linkedin_inmail",
        daily_cap=25,
        weekly_cap=100,
        ramp_start=5,
        ramp_step=5,
        pacing_min_seconds=120,
        pacing_max_seconds=300,
    ),
    "email": SendingLimit(
        action_type="email",
        daily_cap=50,
        weekly_cap=300,
        ramp_start=10,
        ramp_step=5,
        pacing_min_seconds=60,
        pacing_max_seconds=180,
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
class HistoryEntry:
    """One entry of a sender's health history (the wire calls it HealthChange; campaigns uses that name for a
    health event from accounts, so here it is what it is: an entry of the history)."""

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
    history: tuple[HistoryEntry, ...] = ()


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
    history: tuple[HistoryEntry, ...] = ()
    # Why the last bounce poll failed ("" when it worked), and when the logins are next probed (None: not until
    # the credentials change or a member asks, T7).
    bounce_poll_error: str = ""
    next_probe_at: datetime | None = None


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
class InboxPollClaim:
    """An inbox's poll cursor (UIDVALIDITY and last UID read) and its login: a password inbox's IMAP server and
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
    # Disconnected because the mail server refused the inbox's sender address: only new credentials lift it.
    sender_refused: bool = False


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
