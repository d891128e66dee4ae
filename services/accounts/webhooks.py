"""Use cases of outbound webhooks: endpoints (created with a secret shown once, listed, updated, deleted, secret
rotated), events recorded with one delivery per subscribed endpoint, and the delivery loop: each due delivery is
signed and sent, at least once with the same webhook-id, retried with back-off for three days; a 410 answer or
three days of failures disable the endpoint, and the workspace's owner is emailed (after the disabling
transaction commits; nothing is sent without a system SMTP server). Rules and signing: webhook_domain.py.

Endpoint URLs resolving to loopback or private addresses are refused (when created or changed, and again before
each attempt) unless `allow_private` (HOLDFAST_WEBHOOKS_ALLOW_PRIVATE); the gateway answers such a refusal 422."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from services.accounts.audit_repository import SYSTEM_ACTOR, AuditTx
from services.accounts.member_repository import MemberTx
from services.accounts.ports import WebhookPoster
from services.accounts.repository import Repository, Tx
from services.accounts.system_mail import SystemMail
from services.accounts.webhook_domain import (
    CLAIM_LEASE,
    Delivery,
    Endpoint,
    Message,
    body_of,
    is_private,
    message_id,
    new_secret,
    next_attempt,
    sender_event_type,
    signed_headers,
    validate_events,
    validate_url,
)
from services.accounts.webhook_repository import WebhookTx
from services.accounts.workspace_repository import WorkspaceTx
from services.common.clock import Clock
from services.common.crypto import Keyring
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound, Unavailable
from services.common.ids import parse_uuid
from services.common.roles import Role

log = structlog.get_logger(__name__)
MAX_DELIVERIES_PAGE = 100
REASON_GONE = "the endpoint answered 410 Gone"
REASON_FAILING = "deliveries failed for three days"


def webhook_secret_context(workspace_id: str) -> str:
    """What a stored signing secret is bound to (key rotation re-encrypts it under the same)."""
    return f"webhook-secret:{workspace_id}"


@dataclass(frozen=True)
class Disabled:
    """An endpoint Holdfast has just disabled."""

    endpoint_id: str
    workspace_id: str
    url: str
    reason: str


def disabled_mail(
    disabled: Disabled, workspace_name: str, *, failing_since: datetime | None, public_url: str
) -> tuple[str, str]:
    """The subject and body of the email telling the owner an endpoint was disabled."""
    if failing_since is None:
        why = "it answered 410 Gone, which says the endpoint no longer exists"
    else:
        why = f"every delivery to it has failed since {failing_since:%Y-%m-%d %H:%M} UTC, for three days of retries"
    page = f"{public_url.rstrip('/')}/#/webhooks" if public_url else "the Webhooks page of Holdfast"
    subject = f"Holdfast stopped sending webhooks to {disabled.url}"
    of = f" of the workspace {workspace_name}" if workspace_name else ""
    body = (
        f"Holdfast has disabled the webhook endpoint {disabled.url}{of}:\n"
        f"{why}.\n\n"
        "No events are sent to it while it is disabled; the deliveries it missed are kept and go out when it is "
        "enabled again.\n\n"
        f"When the endpoint works again, an admin or the owner can enable it on the Webhooks page:\n{page}\n"
    )
    return subject, body


class WebhookService:
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        keyring: Keyring,
        poster: WebhookPoster | None,
        allow_private: bool = False,
        batch: int = 50,
        mail: SystemMail | None = None,
        public_url: str = "",
    ):
        """`mail` tells a workspace's owner when Holdfast disables one of its endpoints (None or not configured:
        only the audit entry and the Webhooks page's notice tell); `public_url` names the UI in that email."""
        self._repo = repository
        self._clock = clock
        self._keyring = keyring
        self._poster = poster
        self._allow_private = allow_private
        self._batch = batch
        self._mail = mail
        self._public_url = public_url

    async def _check_address(self, host: str, field: str = "url") -> None:
        if self._allow_private or self._poster is None:
            return
        addresses = await self._poster.resolve(host)
        # A live check (DNS), not the request's shape: refused as the gateway's 422, naming the field.
        if not addresses:
            raise FailedPrecondition(
                f"{field}: the host does not resolve", code="url_unresolvable", details={"field": field}
            )
        if any(is_private(a) for a in addresses):
            raise FailedPrecondition(
                f"{field}: the host resolves to a loopback or private address",
                code="url_not_public",
                details={"field": field},
            )

    async def create_endpoint(self, workspace_id: str, url: str, events: list[str]) -> tuple[Endpoint, str]:
        """The endpoint and its signing secret (shown once)."""
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        url, host = validate_url(url)
        events_ = validate_events(events)
        await self._check_address(host)
        secret = new_secret()
        async with self._repo.transaction() as tx:
            endpoint = await WebhookTx(tx).create_endpoint(
                workspace_id,
                url,
                events_,
                self._keyring.encrypt(secret, context=webhook_secret_context(workspace_id)),
                self._clock.now(),
            )
        log.info("webhook endpoint created", endpoint_id=endpoint.id, events=list(events_))
        return endpoint, secret

    async def list_endpoints(self, workspace_id: str) -> list[Endpoint]:
        return await WebhookTx(self._repo.pool_tx()).list_endpoints(parse_uuid(workspace_id, "workspace_id"))

    async def update_endpoint(
        self, workspace_id: str, endpoint_id: str, *, url: str | None, events: list[str] | None, enabled: bool | None
    ) -> Endpoint:
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        endpoint_id = parse_uuid(endpoint_id, "endpoint_id", missing_is_not_found=True)
        if url is not None:
            url, host = validate_url(url)
            await self._check_address(host)
        events_ = validate_events(events) if events is not None else None
        async with self._repo.transaction() as tx:
            endpoint = await WebhookTx(tx).update_endpoint(
                workspace_id, endpoint_id, url=url, events=events_, enabled=enabled, now=self._clock.now()
            )
        if endpoint is None:
            raise NotFound("webhook endpoint not found")
        log.info("webhook endpoint updated", endpoint_id=endpoint_id, enabled=endpoint.enabled)
        return endpoint

    async def rotate_secret(self, workspace_id: str, endpoint_id: str) -> tuple[Endpoint, str]:
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        endpoint_id = parse_uuid(endpoint_id, "endpoint_id", missing_is_not_found=True)
        secret = new_secret()
        async with self._repo.transaction() as tx:
            endpoint = await WebhookTx(tx).set_secret(
                workspace_id,
                endpoint_id,
                self._keyring.encrypt(secret, context=webhook_secret_context(workspace_id)),
                self._clock.now(),
            )
        if endpoint is None:
            raise NotFound("webhook endpoint not found")
        log.info("webhook secret rotated", endpoint_id=endpoint_id)
        return endpoint, secret

    async def delete_endpoint(self, workspace_id: str, endpoint_id: str) -> Endpoint:
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        endpoint_id = parse_uuid(endpoint_id, "endpoint_id", missing_is_not_found=True)
        async with self._repo.transaction() as tx:
            endpoint = await WebhookTx(tx).delete_endpoint(workspace_id, endpoint_id)
        if endpoint is None:
            raise NotFound("webhook endpoint not found")
        log.info("webhook endpoint deleted", endpoint_id=endpoint_id)
        return endpoint

    async def list_deliveries(self, workspace_id: str, endpoint_id: str, limit: int) -> list[Delivery]:
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        endpoint_id = parse_uuid(endpoint_id, "endpoint_id", missing_is_not_found=True)
        webhooks = WebhookTx(self._repo.pool_tx())
        if await webhooks.get_endpoint(workspace_id, endpoint_id) is None:
            raise NotFound("webhook endpoint not found")
        return await webhooks.list_deliveries(workspace_id, endpoint_id, min(limit or 50, MAX_DELIVERIES_PAGE))

    async def replay(self, workspace_id: str, endpoint_id: str, delivery_id: str) -> Delivery:
        """Send a delivery again, with the same webhook-id, at once."""
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        endpoint_id = parse_uuid(endpoint_id, "endpoint_id", missing_is_not_found=True)
        delivery_id = parse_uuid(delivery_id, "delivery_id", missing_is_not_found=True)
        async with self._repo.transaction() as tx:
            delivery = await WebhookTx(tx).replay(workspace_id, endpoint_id, delivery_id, self._clock.now())
        if delivery is None:
            raise NotFound("webhook delivery not found")
        log.info("webhook delivery replayed", delivery_id=delivery_id)
        return delivery

    async def record_event(
        self, event_id: str, workspace_id: str, type_: str, occurred_at: datetime, data: dict[str, Any]
    ) -> int:
        """An event from this service or another (campaigns); idempotent on its id. Returns its deliveries."""
        event_id = parse_uuid(event_id, "event_id")
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        async with self._repo.transaction() as tx:
            return await record_event_in(tx, event_id, workspace_id, type_, occurred_at, data, self._clock.now())

    async def deliver_due_once(self) -> int:
        """Send every due delivery once; returns how many were attempted."""
        if self._poster is None:
            return 0
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            claimed = await WebhookTx(tx).claim_due(now, now + CLAIM_LEASE, self._batch)
        for row in claimed:
            secret = self._keyring.decrypt(row["secret"], context=webhook_secret_context(str(row["workspace_id"])))
            await self._attempt(
                Message(
                    delivery_id=str(row["id"]),
                    endpoint_id=str(row["endpoint_id"]),
                    url=row["url"],
                    secret=secret,
                    event_id=str(row["event_id"]),
                    event_type=row["type"],
                    occurred_at=row["occurred_at"],
                    data=json.loads(row["data"]),
                    attempts=row["attempts"],
                    created_at=row["created_at"],
                )
            )
        return len(claimed)

    async def _attempt(self, message: Message) -> None:
        assert self._poster is not None
        body = body_of(message.event_type, message.occurred_at, message.data)
        http_status: int | None = None
        error = ""
        try:
            await self._check_address(validate_url(message.url)[1])
            http_status = await self._poster.post(
                message.url, signed_headers(message.secret, message_id(message.event_id), self._clock.now(), body), body
            )
        except (InvalidArgument, FailedPrecondition) as exc:
            error = exc.message
        except OSError as exc:
            error = f"no answer: {type(exc).__name__}"
        now = self._clock.now()
        disabled: Disabled | None = None
        failing_since: datetime | None = None
        async with self._repo.transaction() as tx:
            webhooks = WebhookTx(tx)
            if http_status is not None and 200 <= http_status < 300:
                await webhooks.record_attempt(
                    message.delivery_id,
                    status="delivered",
                    next_attempt_at=None,
                    http_status=http_status,
                    error="",
                    now=now,
                )
                return
            if http_status == 410:
                # The receiver says the endpoint is gone: stop sending to it (its deliveries wait, if re-enabled).
                await webhooks.record_attempt(
                    message.delivery_id,
                    status="pending",
                    next_attempt_at=now,
                    http_status=http_status,
                    error="410 Gone",
                    now=now,
                )
                disabled = await _disable(tx, message.endpoint_id, REASON_GONE, now)
            else:
                retry_at = next_attempt(message.attempts + 1, message.created_at, now)
                await webhooks.record_attempt(
                    message.delivery_id,
                    status="pending" if retry_at else "failed",
                    next_attempt_at=retry_at,
                    http_status=http_status,
                    error=error or f"answered {http_status}",
                    now=now,
                )
                if retry_at is None:
                    disabled = await _disable(tx, message.endpoint_id, REASON_FAILING, now)
                    failing_since = message.created_at
        if http_status == 410:
            log.warning("webhook endpoint disabled: 410", endpoint_id=message.endpoint_id)
        else:
            if disabled is not None:
                log.warning("webhook endpoint disabled: failing for three days", endpoint_id=message.endpoint_id)
            log.info("webhook attempt failed", delivery_id=message.delivery_id, status=http_status, error=error)
        if disabled is not None:
            # Committed: the email goes out with no transaction open (docs/DECISIONS.md "Locks").
            await self._tell_owner(disabled, failing_since)

    async def _tell_owner(self, disabled: Disabled, failing_since: datetime | None) -> None:
        """Email the owner that Holdfast disabled an endpoint. Best effort: the disable stands whatever happens
        here, and the audit entry and the Webhooks page's notice tell in any case."""
        if self._mail is None or not self._mail.configured:
            log.info(
                "webhook endpoint disabled; no system SMTP server, the owner is not emailed",
                endpoint_id=disabled.endpoint_id,
            )
            return
        # Plain reads on the pool (no transaction, no lock): whom to email, and the workspace's name.
        tx = self._repo.pool_tx()
        owner = next((m for m in await MemberTx(tx).list_members(disabled.workspace_id) if m.role == Role.OWNER), None)
        if owner is None:
            log.warning(
                "webhook endpoint disabled; the workspace has no owner to email", endpoint_id=disabled.endpoint_id
            )
            return
        workspace = await WorkspaceTx(tx).get_workspace(disabled.workspace_id)
        subject, body = disabled_mail(
            disabled, workspace.name if workspace else "", failing_since=failing_since, public_url=self._public_url
        )
        try:
            await self._mail.send(owner.email, subject, body)
        except (Unavailable, OSError) as exc:
            log.warning(
                "webhook endpoint disabled; the email to the owner was not sent",
                endpoint_id=disabled.endpoint_id,
                error=str(exc),
            )
            return
        log.info("webhook endpoint disabled; the owner was emailed", endpoint_id=disabled.endpoint_id)


async def _disable(tx: Tx, endpoint_id: str, reason: str, now: datetime) -> Disabled | None:
    """Holdfast disables an endpoint (a 410, or failures for three days): the workspace is told by an entry of its
    audit log, written by the system actor in the same transaction, which the Webhooks page shows as a notice, and
    its owner by email once this commits (the caller sends it). None if it was disabled already."""
    disabled = await WebhookTx(tx).disable_endpoint(endpoint_id, reason, now)
    if disabled is None:
        return None
    workspace_id, url = disabled
    await AuditTx(tx).record(
        workspace_id,
        now,
        SYSTEM_ACTOR,
        None,
        "disable_webhook_endpoint",
        "SYSTEM",
        f"/api/v1/webhook-endpoints/{endpoint_id}",
        {"endpoint_id": endpoint_id},
        {"enabled": False, "disabled_reason": reason, "url": url},
        200,
        "",
    )
    return Disabled(endpoint_id=endpoint_id, workspace_id=workspace_id, url=url, reason=reason)


async def record_event_in(
    tx: Tx, event_id: str, workspace_id: str, type_: str, occurred_at: datetime, data: dict[str, Any], now: datetime
) -> int:
    """Record an event in the caller's transaction (a health change writes its sender event with it)."""
    count = await WebhookTx(tx).record_event(event_id, workspace_id, type_, occurred_at, data, now)
    if count:
        log.info("webhook event recorded", event_id=event_id, type=type_, deliveries=count)
    return count


async def record_sender_event(
    tx: Tx,
    *,
    event_id: str,
    workspace_id: str,
    sender_kind: str,
    sender_id: str,
    previous: str,
    status: str,
    detail: str,
    occurred_at: datetime,
) -> None:
    """sender.disconnected / sender.reconnected for a health change, in its transaction."""
    type_ = sender_event_type(previous, status)
    if type_ is not None:
        await record_event_in(
            tx,
            event_id,
            workspace_id,
            type_,
            occurred_at,
            {
                "sender_kind": sender_kind,
                "sender_id": sender_id,
                "status": status,
                "previous_status": previous,
                "detail": detail,
            },
            occurred_at,
        )
