"""Webhooks from third parties. They answer fast (Unipile waits 30 s, then retries five times) and are
authenticated before anything else is read: Unipile's by a shared secret compared in constant time, billing's
by an HMAC-SHA256 signature over the raw body. A webhook is a trigger, never trusted as data beyond naming what
to look at (an account is re-read from Unipile; a billing event is deduplicated and ordered by accounts)."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web
from google.protobuf.timestamp_pb2 import Timestamp

from holdfast.accounts.v1 import accounts_pb2
from holdfast.scheduler.v1 import scheduler_pb2
from services.common.clock import Clock, SystemClock
from services.common.errors import InvalidArgument, Unauthenticated, Unavailable
from services.gateway import models
from services.gateway.api import SETTINGS, Route, check_text, upstreams

log = structlog.get_logger(__name__)

# The clock the billing signature's timestamp is checked against; tests may set it before the app starts.
CLOCK = web.AppKey("webhook_clock", Clock)
_SYSTEM_CLOCK = SystemClock()

SIGNATURE_HEADER = "Holdfast-Signature"
SIGNATURE_SCHEME = "v1"
# A signature is accepted only if its timestamp is this close to now, in either direction (replay window).
SIGNATURE_TOLERANCE_SECONDS = 300
BILLING_EVENT_TYPES = ("subscription.canceled", "subscription.activated")
_MAX_TIMESTAMP_DIGITS = 12
_MAX_SIGNATURES = 8


class WebhookAck(models.Response):
    received: str
    prospects_advanced: int | None = None
    changed: bool | None = None
    replies_recorded: int | None = None


class BillingAck(models.Response):
    received: str
    applied: bool | None = None


def _ack(model: models.Response) -> web.Response:
    # Fields that do not apply to this kind of event are left out rather than sent as null.
    return web.json_response(model.model_dump(mode="json", exclude_none=True))


# Billing signatures: `Holdfast-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "{t}.{raw body}">`. Several
# v1 entries may be given (the sender signs with each of its secrets while it rotates them).


class SignatureError(Exception):
    """A billing signature that is missing, malformed, wrong or outside the tolerance. `reason` is one of
    missing, malformed, mismatch, stale."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class ParsedSignature:
    timestamp: int
    signatures: tuple[str, ...]


def parse_signature_header(header: str) -> ParsedSignature:
    """Parse `t=<unix>,v1=<hex>[,v1=<hex>...]`; other schemes (v0...) are ignored."""
    if not header.strip():
        raise SignatureError("missing", f"the {SIGNATURE_HEADER} header is missing")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise SignatureError("malformed", f"{SIGNATURE_HEADER} must look like t=<unix>,v1=<hex>")
        if key == "t":
            if timestamp is not None:
                raise SignatureError("malformed", f"{SIGNATURE_HEADER} gives t twice")
            if not (value.isascii() and value.isdigit() and len(value) <= _MAX_TIMESTAMP_DIGITS):
                raise SignatureError("malformed", f"{SIGNATURE_HEADER} t must be a unix time in seconds")
            timestamp = int(value)
        elif key == SIGNATURE_SCHEME and value:
            signatures.append(value.lower())
    if timestamp is None:
        raise SignatureError("malformed", f"{SIGNATURE_HEADER} has no t=")
    if not signatures:
        raise SignatureError("malformed", f"{SIGNATURE_HEADER} has no {SIGNATURE_SCHEME}= signature")
    if len(signatures) > _MAX_SIGNATURES:
        raise SignatureError("malformed", f"{SIGNATURE_HEADER} has more than {_MAX_SIGNATURES} signatures")
    return ParsedSignature(timestamp, tuple(signatures))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The v1 signature of a body sent at `timestamp` (hex HMAC-SHA256 of "{t}.{body}")."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_signature(
    header: str, body: bytes, secret: str, now: float, tolerance_s: float = SIGNATURE_TOLERANCE_SECONDS
) -> int:
    """Check a signature header against the raw body; returns its timestamp or raises SignatureError."""
    if not secret:
        raise ValueError("a signing secret is required")
    parsed = parse_signature_header(header)
    expected = sign(secret, parsed.timestamp, body).encode()
    matched = False
    for candidate in parsed.signatures:
        # Every candidate is compared (constant time each), so timing says nothing about which one matched.
        matched |= hmac.compare_digest(expected, candidate.encode())
    if not matched:
        raise SignatureError("mismatch", f"the {SIGNATURE_HEADER} signature does not match the body")
    if abs(now - parsed.timestamp) > tolerance_s:
        raise SignatureError("stale", f"the {SIGNATURE_HEADER} timestamp is more than {tolerance_s:g} seconds from now")
    return parsed.timestamp


# Handlers


def _check_secret(request: web.Request) -> None:
    settings = request.app[SETTINGS]
    if not settings.unipile_webhook_secret:
        raise Unavailable(
            "Unipile webhooks are not configured (HOLDFAST_UNIPILE_WEBHOOK_SECRET)", code="webhooks_not_configured"
        )
    given = request.headers.get(settings.unipile_webhook_header, "")
    if not hmac.compare_digest(given.encode(), settings.unipile_webhook_secret.encode()):
        raise Unauthenticated("missing or wrong webhook secret")


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):  # bad JSON or UTF-8, a 4,300-digit integer, nesting past the parser
        raise InvalidArgument("the body is not valid JSON", code="malformed_json", field="body") from None
    if not isinstance(payload, dict):
        raise InvalidArgument("the body must be a JSON object", code="malformed_json", field="body")
    check_text(payload)
    return payload


def _text(container: dict[str, Any], key: str, field: str, *, required: bool = True, max_chars: int = 255) -> str:
    value = container.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_chars:
        raise InvalidArgument(f"{field} must be a string of 1 to {max_chars} characters", field=field)
    return value.strip()


async def unipile_webhook(request: web.Request) -> web.Response:
    _check_secret(request)
    payload = _json_object(await request.read())
    if payload.get("event") == "new_relation":
        account_id, provider_id = payload.get("account_id"), payload.get("user_provider_id")
        if not isinstance(account_id, str) or not isinstance(provider_id, str) or not account_id or not provider_id:
            raise InvalidArgument("new_relation needs account_id and user_provider_id", field="user_provider_id")
        answer = await upstreams(request).scheduler.RecordInviteAccepted(
            scheduler_pb2.RecordInviteAcceptedRequest(
                unipile_account_id=account_id,
                provider_id=provider_id,
                public_identifier=str(payload.get("user_public_identifier") or ""),
            )
        )
        return _ack(WebhookAck(received="new_relation", prospects_advanced=answer.prospects_advanced))
    if payload.get("event") == "message_received":
        # V2: a trigger only; the scheduler reads the message again from Unipile before recording anything.
        answer = await upstreams(request).scheduler.RecordLinkedInMessage(
            scheduler_pb2.RecordLinkedInMessageRequest(
                unipile_account_id=_text(payload, "account_id", "account_id"),
                message_id=_text(payload, "message_id", "message_id"),
            )
        )
        return _ack(WebhookAck(received="message_received", replies_recorded=answer.recorded))
    if "AccountStatus" in payload:
        status = payload["AccountStatus"]
        if not isinstance(status, dict):
            raise InvalidArgument("AccountStatus must be an object", field="AccountStatus")
        # Only names the account to re-read: the message is a hint, never applied as is (DESIGN A1).
        answer = await upstreams(request).accounts.HandleAccountStatusWebhook(
            accounts_pb2.HandleAccountStatusWebhookRequest(
                unipile_account_id=_text(status, "account_id", "AccountStatus.account_id"),
                account_type=_text(status, "account_type", "AccountStatus.account_type", required=False),
                message=_text(status, "message", "AccountStatus.message", required=False),
            )
        )
        return _ack(WebhookAck(received="account_status", changed=answer.changed))
    return _ack(WebhookAck(received="ignored"))


async def unipile_connected(request: web.Request) -> web.Response:
    """Unipile's notification of a hosted-auth link of type create: `{status, account_id, name}`. The `name` is
    the link's unguessable token, which names the workspace; the account is read from Unipile before it is
    recorded, so a forged notification records nothing Unipile does not hold for our API key."""
    payload = _json_object(await request.read())
    token = _text(payload, "name", "name")
    account_id = _text(payload, "account_id", "account_id")
    answer = await upstreams(request).accounts.CompleteLinkedInConnect(
        accounts_pb2.CompleteLinkedInConnectRequest(
            token=token,
            unipile_account_id=account_id,
            status=_text(payload, "status", "status", required=False, max_chars=40),
        )
    )
    return _ack(WebhookAck(received="account_connected", changed=answer.created))


async def billing_webhook(request: web.Request) -> web.Response:
    """A signed billing event (DESIGN A6). The signature is checked on the raw body before it is parsed; a
    missing, wrong or stale one is refused with 401 and nothing changes."""
    settings = request.app[SETTINGS]
    if not settings.billing_webhook_secret:
        raise Unavailable(
            "billing webhooks are not configured (HOLDFAST_BILLING_WEBHOOK_SECRET)", code="webhooks_not_configured"
        )
    raw = await request.read()
    now = request.app.get(CLOCK, _SYSTEM_CLOCK).now().timestamp()
    try:
        verify_signature(request.headers.get(SIGNATURE_HEADER, ""), raw, settings.billing_webhook_secret, now)
    except SignatureError as exc:
        log.warning("billing webhook refused", reason=exc.reason)
        raise Unauthenticated(f"billing webhook refused: {exc.message}", details={"reason": exc.reason}) from None
    payload = _json_object(raw)
    event_id = _text(payload, "id", "id")
    event_type = _text(payload, "type", "type", max_chars=100)
    if event_type not in BILLING_EVENT_TYPES:
        return _ack(BillingAck(received="ignored"))
    created = payload.get("created")
    if not isinstance(created, int) or isinstance(created, bool) or not 0 <= created < 10**11:
        raise InvalidArgument("created must be a unix time in seconds", field="created")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise InvalidArgument("data must be an object with workspace_id", field="data")
    workspace_id = _text(data, "workspace_id", "data.workspace_id", max_chars=100)
    try:
        answer = await upstreams(request).accounts.ApplyBillingEvent(
            accounts_pb2.ApplyBillingEventRequest(
                event_id=event_id,
                type=event_type,
                workspace_id=workspace_id,
                occurred_at=Timestamp(seconds=created),
            )
        )
    except InvalidArgument as exc:
        if exc.field != "workspace_id":
            raise
        raise InvalidArgument("data.workspace_id must be a workspace id (UUID)", field="data.workspace_id") from None
    return _ack(BillingAck(received=event_type, applied=answer.applied))


WEBHOOK_ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/webhooks/unipile",
        unipile_webhook,
        "Unipile webhooks: users/new_relation (an invitation was accepted) and account_status (the account is "
        "re-read from Unipile before anything changes; `changed` says whether its health did). Authenticated by "
        "a shared secret header.",
        WebhookAck,
        auth=False,
        errors=(400, 401, 409, 503),
        tag="webhooks",
        raw_body=models.json_object_without_nul(
            "new_relation: event, account_id, user_provider_id; account_status: AccountStatus {account_id, "
            "account_type, message}; any other event is ignored"
        ),
    ),
    Route(
        "POST",
        "/webhooks/unipile/connected",
        unipile_connected,
        "Unipile's notification that a hosted connect link was used: {status, account_id, name}. Authenticated by "
        "the link's unguessable name; the account is read from Unipile, then added to the link's workspace "
        "(`changed` false on a repeated notification).",
        WebhookAck,
        auth=False,
        errors=(400, 404, 409, 422, 503),
        tag="webhooks",
        raw_body={
            **models.json_object_without_nul("{status, account_id, name}"),
            "required": ["account_id", "name"],
            "properties": {
                "account_id": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": models.NO_NUL},
                "name": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": models.NO_NUL},
                "status": {"type": "string", "maxLength": 40, "pattern": models.NO_NUL},
            },
        },
    ),
    Route(
        "POST",
        "/webhooks/billing",
        billing_webhook,
        "Billing events subscription.canceled and subscription.activated (other types are acknowledged and "
        "ignored). Signed: Holdfast-Signature: t=<unix>,v1=<hex HMAC-SHA256 of '{t}.{raw body}'>, within 5 "
        "minutes; a replayed event id or an event older than the last one applied answers applied=false.",
        BillingAck,
        auth=False,
        errors=(400, 401, 503),
        tag="webhooks",
        raw_body=models.json_object_without_nul("id, type, created (unix seconds), data {workspace_id}"),
    ),
)
