"""The health rules of accounts, pure (no I/O): how a LinkedIn account's status follows a fresh read at Unipile
(DESIGN A1-A3), what a billing event does to a subscription (A6), how an inbox's login probes decide its status
(A4), and the health events campaigns learns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common.errors import InvalidArgument

# Health of LinkedIn accounts (DESIGN A1-A3) and of the workspace subscription (A6).

# Why a health change happened; written to the history with each change.
HEALTH_SOURCES = ("unipile_webhook", "grace_expired", "send_failure", "operator", "reconnect", "unipile_read")
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
    # The longest wait between two probes of a disconnected inbox whose servers cannot be reached (T7).
    max_probe_backoff: timedelta = timedelta(hours=6)
    # A new inbox's logins are checked live before it is saved, as a reconnect's are.
    check_on_create: bool = True


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """One login of a probe or a reconnect: `failure` is None (it worked), "auth" (the server refused the
    credentials), "tls" (its certificate could not be verified, or the password would have gone in plaintext to a
    public address: no password was sent) or "network" (no usable answer: unreachable, timed out, a temporary
    refusal)."""

    server: str
    failure: str | None = None
    # What went wrong, never with the password; '' on success.
    message: str = ""
    # The provider's reason for a "tls" failure: tls_certificate or plaintext_refused.
    reason: str = ""


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
    *,
    sender_refused: bool = False,
) -> InboxProbeDecision:
    """What one probe means for an inbox. Refused logins count up and disconnect at `auth_threshold` in a row;
    unreachable servers disconnect only once every probe has failed for `network_grace`; a probe where both
    logins work resets the counters and connects a disconnected inbox again (its stored credentials work),
    unless it was disconnected because the mail server refused its sender address (`sender_refused`): logins
    that work say nothing about that, only new credentials do (T3, T8)."""
    refused = [o for o in outcomes if o.failure == "auth"]
    unreachable = [o for o in outcomes if o.failure == "network"]
    insecure = [o for o in outcomes if o.failure == "tls"]
    if insecure:
        # Not a network hiccup to wait out, nor a refused password: the member must fix the server name or the
        # trust store (or the security setting). Disconnected at once, saying which server and why.
        error = "; ".join(f"{o.server.upper()} {o.message}" for o in (*insecure, *refused, *unreachable))[:1000]
        if status == "disconnected":
            return InboxProbeDecision(auth_failures, network_failing_since, error, None, "")
        servers = " and ".join(o.server.upper() for o in insecure)
        detail = f"{insecure[0].reason}: the {servers} connection is not secure: {error}"
        return InboxProbeDecision(auth_failures, None, error, "disconnected", clip_detail(detail))
    if not refused and not unreachable:
        if status == "disconnected" and not sender_refused:
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


def next_probe_delay(
    status: str, network_failing_since: datetime | None, now: datetime, interval: timedelta, max_backoff: timedelta
) -> timedelta | None:
    """T7: the wait before the next probe of a disconnected inbox whose servers cannot be reached: as long as they
    have been failing (so the waits double), at least one interval, at most `max_backoff`. None: the usual
    interval."""
    if status != "disconnected" or network_failing_since is None:
        return None
    return min(max(now - network_failing_since, interval), max_backoff)


def clip_detail(detail: str) -> str:
    """A status detail cut to what the history keeps (1000 characters)."""
    return detail if len(detail) <= 1000 else detail[:999] + "…"
