"""What a Unipile error answer means for sending (DESIGN T1-T3, §6): one outcome class per documented error
type, and the `UnipileError` every failed call of `services.common.providers.unipile` raises."""

from __future__ import annotations

import re
from enum import StrEnum


class FailureKind(StrEnum):
    """What a failed call means for sending (DESIGN T1-T3). Success is no failure at all."""

    DISCONNECTED = "disconnected"
    RESTRICTED = "restricted"
    # This sender may not act for a while (its LinkedIn limit, its InMail credits): prospects are untouched.
    SENDER_COOLDOWN = "sender_cooldown"
    # This recipient cannot be reached by this action for a while (an invitation withdrawn lately).
    RECIPIENT_COOLDOWN = "recipient_cooldown"
    # A definite no for this prospect: the action was not performed and asking again gets the same answer.
    PROSPECT_REFUSED = "prospect_refused"
    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"
    UNKNOWN = "unknown"
    # SMTP only: the mail server refused the inbox itself (its sender address, relaying), not the recipient (T3, T5).
    SENDER_REFUSED = "sender_refused"


# Every error type Unipile documents for v1 (DESIGN §6) and its outcome class, by HTTP status.
DOCUMENTED_ERRORS: dict[str, tuple[int, FailureKind]] = {
    # 400: the request as built for this prospect is refused; sending it again is refused again.
    "errors/invalid_parameters": (400, FailureKind.PROSPECT_REFUSED),
    "errors/malformed_request": (400, FailureKind.PROSPECT_REFUSED),
    "errors/content_too_large": (400, FailureKind.PROSPECT_REFUSED),
    "errors/invalid_url": (400, FailureKind.PROSPECT_REFUSED),
    "errors/too_many_characters": (400, FailureKind.PROSPECT_REFUSED),
    "errors/unescaped_characters": (400, FailureKind.PROSPECT_REFUSED),
    "errors/missing_parameters": (400, FailureKind.PROSPECT_REFUSED),
    # 401: our API key is refused (no account's fault: every sender waits), or the account's session is gone.
    "errors/missing_credentials": (401, FailureKind.SENDER_COOLDOWN),
    "errors/multiple_sessions": (401, FailureKind.DISCONNECTED),
    "errors/disconnected_account": (401, FailureKind.DISCONNECTED),
    "errors/expired_credentials": (401, FailureKind.DISCONNECTED),
    "errors/invalid_credentials": (401, FailureKind.DISCONNECTED),
    "errors/checkpoint_error": (401, FailureKind.DISCONNECTED),
    # 403: the account is restricted, or this sender lacks what the action needs.
    "errors/account_restricted": (403, FailureKind.RESTRICTED),
    "errors/account_mismatch": (403, FailureKind.PROSPECT_REFUSED),
    "errors/insufficient_permissions": (403, FailureKind.SENDER_COOLDOWN),
    "errors/feature_not_subscribed": (403, FailureKind.SENDER_COOLDOWN),
    "errors/action_required": (403, FailureKind.SENDER_COOLDOWN),
    # 404: the recipient (or its chat) is not there.
    "errors/resource_not_found": (404, FailureKind.PROSPECT_REFUSED),
    "errors/invalid_resource_identifier": (404, FailureKind.PROSPECT_REFUSED),
    # 422: scoped by what they concern (T3).
    "errors/invalid_account": (422, FailureKind.SENDER_COOLDOWN),
    "errors/invalid_recipient": (422, FailureKind.PROSPECT_REFUSED),
    "errors/no_connection_with_recipient": (422, FailureKind.PROSPECT_REFUSED),
    "errors/blocked_recipient": (422, FailureKind.PROSPECT_REFUSED),
    "errors/user_unreachable": (422, FailureKind.PROSPECT_REFUSED),
    "errors/action_already_performed": (422, FailureKind.PROSPECT_REFUSED),
    "errors/not_allowed_inmail": (422, FailureKind.PROSPECT_REFUSED),
    "errors/cannot_invite_attendee": (422, FailureKind.PROSPECT_REFUSED),
    "errors/insufficient_credits": (422, FailureKind.SENDER_COOLDOWN),
    "errors/limit_exceeded": (422, FailureKind.SENDER_COOLDOWN),
    "errors/cannot_resend_yet": (422, FailureKind.RECIPIENT_COOLDOWN),
    "errors/cannot_resend_within_24hrs": (422, FailureKind.RECIPIENT_COOLDOWN),
    "errors/already_invited_recently": (422, FailureKind.RECIPIENT_COOLDOWN),
    "errors/too_many_requests": (429, FailureKind.RATE_LIMITED),
    # 500: an unexpected error may have happened after acting; the others failed before it.
    "errors/unexpected_error": (500, FailureKind.UNKNOWN),
    "errors/provider_error": (500, FailureKind.TRANSIENT),
    "errors/authentication_intent_error": (500, FailureKind.TRANSIENT),
    "errors/feature_not_implemented": (501, FailureKind.SENDER_COOLDOWN),
    "errors/no_client_session": (503, FailureKind.TRANSIENT),
    "errors/no_channel": (503, FailureKind.TRANSIENT),
    "errors/no_handler": (503, FailureKind.TRANSIENT),
    "errors/network_down": (503, FailureKind.TRANSIENT),
    "errors/service_unavailable": (503, FailureKind.TRANSIENT),
    # The provider did not answer Unipile in time: it may have acted.
    "errors/request_timeout": (504, FailureKind.UNKNOWN),
}
_KIND_BY_TYPE = {error_type: kind for error_type, (_, kind) in DOCUMENTED_ERRORS.items()}
# Unipile answers 500 when LinkedIn's own limits are hit (DESIGN §6): then the sender must wait, not retry soon.
_LINKEDIN_LIMIT = re.compile(r"\blimit", re.IGNORECASE)

NETWORK_ERROR_TYPE = "network"
# The request may have reached Unipile (a time-out or a dropped connection after sending): whether it acted
# is unknown, so the caller must not simply send again (DESIGN S8).
NO_ANSWER_TYPE = "no_answer"
MALFORMED_RESPONSE_TYPE = "malformed_response"


def classify(status: int, error_type: str, detail: str = "") -> FailureKind:
    """Map an answer to what it means for sending (DESIGN T1-T3); status 0 is a network failure.

    A 4xx says the request was not performed: an undocumented 4xx type is a definite refusal (the caller
    counts it, see `is_unmapped`). Unknown is kept for no answer, an unreadable 2xx, and a 5xx that cannot tell."""
    if status == 500 and error_type == "errors/provider_error" and _LINKEDIN_LIMIT.search(detail):
        return FailureKind.SENDER_COOLDOWN
    kind = _KIND_BY_TYPE.get(error_type)
    if kind is not None:
        return kind
    if error_type in (NO_ANSWER_TYPE, MALFORMED_RESPONSE_TYPE):
        return FailureKind.UNKNOWN
    if status == 0:
        return FailureKind.TRANSIENT  # could not connect: nothing was sent
    # A 429 without Unipile's body (e.g. from a proxy in front of it) is still a rate limit.
    if status == 429:
        return FailureKind.RATE_LIMITED
    if 400 <= status < 500:
        return FailureKind.PROSPECT_REFUSED
    # A 503 says the service did not take the request; another 5xx without a documented type cannot tell.
    return FailureKind.TRANSIENT if status == 503 else FailureKind.UNKNOWN


def is_unmapped(status: int, error_type: str) -> bool:
    """A provider answer whose type Unipile does not document: worth a log line and a metric."""
    return 400 <= status < 600 and error_type not in _KIND_BY_TYPE


class UnipileError(Exception):
    """A failed Unipile call. `status` is 0 for network errors and timeouts (type "network")."""

    def __init__(self, status: int, type: str, title: str, detail: str, retry_after_s: float | None = None) -> None:
        super().__init__(status, type, title, detail)
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.kind = classify(status, type, detail)
        self.retry_after_s = retry_after_s

    def __str__(self) -> str:
        text = f"Unipile {self.status} {self.type or '-'} ({self.kind}): {self.title}"
        return f"{text}: {self.detail}" if self.detail else text

    def __repr__(self) -> str:
        return (
            f"UnipileError(status={self.status!r}, type={self.type!r}, kind={self.kind.value!r}, "
            f"title={self.title!r}, detail={self.detail!r}, retry_after_s={self.retry_after_s!r})"
        )
