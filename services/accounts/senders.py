"""Use cases that apply to a sender of either kind: its sending limits, the credentials the scheduler sends with,
and the account-level failures the scheduler reports (dispatched to linkedin_health.py or inboxes.py)."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from services.accounts.domain import (
    SENDER_KINDS,
    Sender,
    SenderCredentials,
    SendingLimit,
    ServerLogin,
    secret_context,
    validate_limits,
)
from services.accounts.health_domain import validate_detail
from services.accounts.health_events import HealthWriter
from services.accounts.inbox_oauth import InboxOAuthService
from services.accounts.inbox_repository import InboxTx
from services.accounts.inboxes import InboxService
from services.accounts.linkedin import LinkedInService
from services.accounts.linkedin_repository import LinkedInTx
from services.accounts.ports import Committed
from services.accounts.repository import Repository
from services.common.crypto import Keyring, SecretError
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.common.ids import parse_uuid

log = structlog.get_logger(__name__)


class SenderService:
    def __init__(
        self,
        repository: Repository,
        *,
        keyring: Keyring,
        health: HealthWriter,
        committed: Committed,
        linkedin: LinkedInService,
        inboxes: InboxService,
        oauth: InboxOAuthService,
    ):
        self._repo = repository
        self._keyring = keyring
        self._health = health
        self._committed = committed
        self._linkedin = linkedin
        self._inboxes = inboxes
        self._oauth = oauth

    async def update_limits(
        self, workspace_id: str, kind: str, sender_id: str, limits: Sequence[SendingLimit]
    ) -> tuple[SendingLimit, ...]:
        """Replace the limits of the action types given; the others are kept. Returns all of them."""
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        if kind not in SENDER_KINDS:
            raise InvalidArgument(f"sender_kind must be one of {', '.join(SENDER_KINDS)}", field="sender_kind")
        sender_id = parse_uuid(sender_id, "sender_id", missing_is_not_found=True)
        given = validate_limits(kind, limits, required=True)
        async with self._repo.transaction() as tx:
            if not await tx.lock_sender(kind, workspace_id, sender_id):
                raise NotFound(f"{kind.replace('_', ' ')} not found")
            await tx.put_limits(kind, sender_id, given.values())
            await tx.bump_version(kind, sender_id)
            sender: Sender | None
            if kind == "linkedin_account":
                sender = await tx.get_linkedin_account(workspace_id, sender_id)
            else:
                sender = await tx.get_inbox(workspace_id, sender_id)
            assert sender is not None
            await self._health.announce(tx, sender)
        self._committed()
        log.info(
            "sending limits changed",
            sender_kind=kind,
            sender_id=sender_id,
            version=sender.version,
            action_types=sorted(given),
        )
        return sender.limits

    async def sender_credentials(self, kind: str, sender_id: str) -> SenderCredentials:
        """What the scheduler needs to send as this sender (internal: never exposed over HTTP)."""
        if kind not in SENDER_KINDS:
            raise InvalidArgument(f"sender_kind must be one of {', '.join(SENDER_KINDS)}", field="sender_kind")
        sender_id = parse_uuid(sender_id, "sender_id", missing_is_not_found=True)
        if kind == "linkedin_account":
            unipile_account_id = await LinkedInTx(self._repo.pool_tx()).unipile_account_of(sender_id)
            if unipile_account_id is None:
                raise NotFound("linkedin account not found")
            return SenderCredentials(unipile_account_id=unipile_account_id)
        found = await InboxTx(self._repo.pool_tx()).inbox_login(sender_id)
        if found is None:
            raise NotFound("inbox not found")
        inbox, secret = found
        if inbox.auth_kind != "password":
            return await self._oauth.sender_credentials(inbox)
        if inbox.smtp is None or secret is None:
            raise FailedPrecondition("this inbox has no SMTP password", code="no_credentials")
        try:
            password = self._keyring.decrypt(secret, context=secret_context(inbox.id, "smtp"))
        except SecretError as exc:
            # The reason names at most a key id, never key material or the password.
            log.error("stored inbox password cannot be decrypted", inbox_id=inbox.id, reason=str(exc))
            raise FailedPrecondition(
                "the inbox's stored credentials cannot be decrypted; check HOLDFAST_SECRET_KEYS",
                code="credentials_unreadable",
            ) from None
        smtp = inbox.smtp
        return SenderCredentials(
            smtp=ServerLogin(smtp.host, smtp.port, smtp.security, smtp.username, password),
            email=inbox.email,
            display_name=inbox.display_name,
        )

    async def report_account_failure(
        self,
        kind: str,
        sender_id: str,
        status: str,
        restriction_kind: str,
        detail: str,
        attempt_id: str,
        *,
        sender_refused: bool = False,
        sender_version: int = 0,
    ) -> bool:
        """An account-level send failure seen by the scheduler (S10), idempotent by attempt id. Disconnected:
        the account is re-read and the read decides (nothing is recorded if it says OK). Restricted: recorded
        with its kind (default warning) until an operator verifies the account (A2). `sender_refused` (an inbox
        only): its mail server refused the inbox's sender address, which no re-read can see, so it is recorded at
        once (T3), unless `sender_version` (the inbox's version the send used) is older than its current one: new
        credentials were stored since (T8)."""
        if kind not in SENDER_KINDS:
            raise InvalidArgument(f"sender_kind must be one of {', '.join(SENDER_KINDS)}", field="sender_kind")
        sender_id = parse_uuid(sender_id, "sender_id")
        attempt_id = attempt_id.strip()
        if not 1 <= len(attempt_id) <= 200:
            raise InvalidArgument("attempt_id must be 1 to 200 characters", field="attempt_id")
        if status not in ("disconnected", "restricted"):
            raise InvalidArgument("status must be disconnected or restricted", field="status")
        if sender_refused and (kind != "inbox" or status != "disconnected"):
            raise InvalidArgument("sender_refused applies to a disconnected inbox only", field="sender_refused")
        if kind == "inbox" and sender_refused:
            return await self._inboxes.sender_refused_reported(
                sender_id, validate_detail(detail), attempt_id, sender_version
            )
        if kind == "inbox":
            return await self._inboxes.failure_reported(sender_id, status, attempt_id)
        return await self._linkedin.failure_reported(sender_id, status, restriction_kind, detail, attempt_id)
