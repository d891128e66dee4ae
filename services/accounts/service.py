"""Use cases of the accounts service. No gRPC and no SQL here."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

import structlog

from services.accounts.domain import (
    AUTH_KINDS,
    SENDER_KINDS,
    Inbox,
    LinkedInAccount,
    Principal,
    Sender,
    SenderCredentials,
    SendingLimit,
    ServerLogin,
    Workspace,
    hash_token,
    limits_with_defaults,
    new_token,
    secret_context,
    validate_display_name,
    validate_email,
    validate_limits,
    validate_sender_name,
    validate_server,
    validate_timezone,
    validate_unipile_account_id,
    validate_workspace_name,
)
from services.accounts.repository import Repository, Transaction
from services.common.clock import Clock
from services.common.crypto import Keyring, SecretError, key_id_of
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound, Unauthenticated
from services.common.ids import parse_uuid

log = structlog.get_logger(__name__)

# The outbox destination that carries a sender's state (status, limits, timezone) to the scheduler.
SET_SENDER_STATE = "scheduler.SetSenderState"


class AccountsService:
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        keyring: Keyring,
        sender_state: Callable[[Sender], bytes],
        committed: Callable[[], None] = lambda: None,
    ):
        """`sender_state` serializes a sender's state for the scheduler (the outbox payload); `committed` is
        called after each committed write that enqueued one (it kicks the outbox relay)."""
        self._repo = repository
        self._clock = clock
        self._keyring = keyring
        self._sender_state = sender_state
        self._committed = committed

    async def create_workspace(self, name: str, owner_email: str) -> tuple[Workspace, str, str]:
        """Returns the workspace, its owner's member id and the owner's bearer token (shown once)."""
        name = validate_workspace_name(name)
        owner_email = validate_email(owner_email, "owner_email")
        token = new_token()
        workspace, member_id = await self._repo.create_workspace(
            name, owner_email, hash_token(token), self._clock.now()
        )
        log.info("workspace created", workspace_id=workspace.id)
        return workspace, member_id, token

    async def authenticate(self, token: str) -> Principal:
        principal = await self._repo.principal_for(hash_token(token)) if token else None
        if principal is None:
            raise Unauthenticated("missing, unknown or revoked token")
        return principal

    async def get_workspace(self, workspace_id: str) -> Workspace:
        workspace = await self._repo.get_workspace(parse_uuid(workspace_id, "workspace_id"))
        if workspace is None:
            raise NotFound("workspace not found")
        return workspace

    # Senders

    async def create_linkedin_account(
        self, workspace_id: str, unipile_account_id: str, name: str, timezone: str, limits: Sequence[SendingLimit]
    ) -> LinkedInAccount:
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        unipile_account_id = validate_unipile_account_id(unipile_account_id)
        name = validate_sender_name(name)
        timezone = validate_timezone(timezone)
        given = validate_limits("linkedin_account", limits)
        async with self._repo.transaction() as tx:
            account_id = await tx.insert_linkedin_account(
                workspace_id, unipile_account_id, name, timezone, self._clock.now()
            )
            await tx.put_limits("linkedin_account", account_id, limits_with_defaults("linkedin_account", given))
            account = await tx.get_linkedin_account(workspace_id, account_id)
            assert account is not None
            await self._announce(tx, account)
        self._committed()
        log.info("linkedin account created", account_id=account.id, workspace_id=workspace_id)
        return account

    async def list_linkedin_accounts(self, workspace_id: str) -> list[LinkedInAccount]:
        return await self._repo.list_linkedin_accounts(parse_uuid(workspace_id, "workspace_id"))

    async def get_linkedin_account(self, workspace_id: str, account_id: str) -> LinkedInAccount:
        account = await self._repo.get_linkedin_account(
            parse_uuid(workspace_id, "workspace_id"), parse_uuid(account_id, "account_id", missing_is_not_found=True)
        )
        if account is None:
            raise NotFound("linkedin account not found")
        return account

    async def create_inbox(
        self,
        workspace_id: str,
        email: str,
        display_name: str,
        timezone: str,
        auth_kind: str,
        smtp: ServerLogin | None,
        imap: ServerLogin | None,
        limits: Sequence[SendingLimit],
    ) -> Inbox:
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        email = validate_email(email, "email")
        display_name = validate_display_name(display_name)
        timezone = validate_timezone(timezone)
        auth_kind = auth_kind or "password"
        if auth_kind not in AUTH_KINDS:
            raise InvalidArgument(f"auth_kind must be one of {', '.join(AUTH_KINDS)}", field="auth_kind")
        if auth_kind != "password":
            raise InvalidArgument(
                "an OAuth inbox is connected through the OAuth flow, not created with a password", field="auth_kind"
            )
        if smtp is None:
            raise InvalidArgument("smtp is required for a password inbox", field="smtp")
        if imap is None:
            raise InvalidArgument("imap is required for a password inbox", field="imap")
        smtp = validate_server(smtp, "smtp")
        imap = validate_server(imap, "imap")
        given = validate_limits("inbox", limits)
        inbox_id = str(uuid.uuid4())  # chosen here: the passwords are bound to it before the row exists
        smtp_secret = self._keyring.encrypt(smtp.password, context=secret_context(inbox_id, "smtp"))
        imap_secret = self._keyring.encrypt(imap.password, context=secret_context(inbox_id, "imap"))
        async with self._repo.transaction() as tx:
            await tx.insert_inbox(
                inbox_id,
                workspace_id,
                email,
                display_name,
                timezone,
                auth_kind,
                smtp.config(),
                smtp_secret,
                imap.config(),
                imap_secret,
                self._clock.now(),
            )
            await tx.put_limits("inbox", inbox_id, limits_with_defaults("inbox", given))
            inbox = await tx.get_inbox(workspace_id, inbox_id)
            assert inbox is not None
            await self._announce(tx, inbox)
        self._committed()
        log.info("inbox created", inbox_id=inbox.id, workspace_id=workspace_id)
        return inbox

    async def list_inboxes(self, workspace_id: str) -> list[Inbox]:
        return await self._repo.list_inboxes(parse_uuid(workspace_id, "workspace_id"))

    async def get_inbox(self, workspace_id: str, inbox_id: str) -> Inbox:
        inbox = await self._repo.get_inbox(
            parse_uuid(workspace_id, "workspace_id"), parse_uuid(inbox_id, "inbox_id", missing_is_not_found=True)
        )
        if inbox is None:
            raise NotFound("inbox not found")
        return inbox

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
            await self._announce(tx, sender)
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
            unipile_account_id = await self._repo.unipile_account_of(sender_id)
            if unipile_account_id is None:
                raise NotFound("linkedin account not found")
            return SenderCredentials(unipile_account_id=unipile_account_id)
        found = await self._repo.inbox_login(sender_id)
        if found is None:
            raise NotFound("inbox not found")
        inbox, secret = found
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

    async def rotate_secrets(self, batch: int = 100) -> int:
        """Re-encrypt every stored secret not under the active key (after a new key was put first in
        HOLDFAST_SECRET_KEYS). Idempotent and safe alongside other replicas; returns how many were rewritten."""
        rewritten = 0
        after: str | None = None
        while True:
            async with self._repo.transaction() as tx:
                rows = await tx.inbox_secrets_after(after, batch)
                for inbox_id, smtp, imap in rows:
                    stale = [s for s in (smtp, imap) if s is not None and self._keyring.needs_rotation(s)]
                    if not stale:
                        continue
                    await tx.set_inbox_secrets(
                        inbox_id,
                        self._rotated(smtp, secret_context(inbox_id, "smtp")),
                        self._rotated(imap, secret_context(inbox_id, "imap")),
                    )
                    rewritten += len(stale)
            if len(rows) < batch:
                break
            after = rows[-1][0]
        log.info("secrets rotated", rewritten=rewritten, active_key=self._keyring.active_key_id)
        return rewritten

    def _rotated(self, secret: bytes | None, context: str) -> bytes | None:
        if secret is None or not self._keyring.needs_rotation(secret):
            return secret
        try:
            return self._keyring.reencrypt(secret, context=context)
        except SecretError as exc:
            raise FailedPrecondition(
                f"a secret under key {key_id_of(secret)!r} cannot be re-encrypted: {exc}", code="credentials_unreadable"
            ) from None

    async def _announce(self, tx: Transaction, sender: Sender) -> None:
        """Enqueue the sender's state for the scheduler, in the caller's transaction, ordered per sender."""
        await tx.enqueue(SET_SENDER_STATE, sender.id, self._sender_state(sender))
