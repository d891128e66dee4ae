"""Use cases of LinkedIn accounts (issue 13, DESIGN A3): connect one (by its Unipile id or a hosted-auth connect
link), list and read them, and the hosted-auth links that reconnect one. Their health, decided on fresh reads of
the account at Unipile (DESIGN A1-A3), is LinkedInHealth (linkedin_health.py), which this service extends: a new
account's health starts from what Unipile says."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from services.accounts.domain import (
    LinkedInAccount,
    SendingLimit,
    limits_with_defaults,
    validate_limits,
    validate_sender_name,
    validate_timezone,
    validate_unipile_account_id,
)
from services.accounts.health_domain import UNIPILE_OK
from services.accounts.health_events import HealthWriter
from services.accounts.linkedin_health import LinkedInHealth
from services.accounts.linkedin_repository import LinkedInTx
from services.accounts.ports import Committed, Unipile
from services.accounts.repository import Repository
from services.common.clock import Clock
from services.common.errors import AlreadyExists, FailedPrecondition, NotFound, Unavailable
from services.common.ids import parse_uuid
from services.common.providers.unipile import UnipileError

log = structlog.get_logger(__name__)

# Hosted reconnect links expire after this long (A3: a fresh one per click).
RECONNECT_LINK_LIFETIME = timedelta(hours=24)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True, slots=True)
class ReconnectLink:
    url: str
    expires_at: datetime


class LinkedInService(LinkedInHealth):
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        health: HealthWriter,
        committed: Committed,
        unipile: Unipile | None,
        unipile_api_url: str,
        grace: timedelta,
        public_url: str,
        recheck: timedelta = timedelta(minutes=5),
    ):
        """Without `unipile`, nothing that must read Unipile can be done."""
        self._repo = repository
        self._clock = clock
        self._health = health
        self._committed = committed
        self._unipile = unipile
        self._grace = grace
        self._recheck = recheck
        self._unipile_api_url = unipile_api_url.rstrip("/")
        self._public_url = public_url.rstrip("/")

    async def create_linkedin_account(
        self, workspace_id: str, unipile_account_id: str, name: str, timezone: str, limits: Sequence[SendingLimit]
    ) -> LinkedInAccount:
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        unipile_account_id = validate_unipile_account_id(unipile_account_id)
        name = validate_sender_name(name)
        timezone = validate_timezone(timezone)
        given = validate_limits("linkedin_account", limits)
        # Issue 13: a real account only. Read before anything is written (no lock is held while Unipile answers).
        unipile_status = await self._unipile_linkedin_status(unipile_account_id) if self._unipile else None
        async with self._repo.transaction() as tx:
            account_id = await LinkedInTx(tx).insert_linkedin_account(
                workspace_id, unipile_account_id, name, timezone, self._clock.now()
            )
            await tx.put_limits("linkedin_account", account_id, limits_with_defaults("linkedin_account", given))
            account = await tx.get_linkedin_account(workspace_id, account_id)
            assert account is not None
            if unipile_status is not None and unipile_status != UNIPILE_OK:
                # Its health starts from what Unipile says (CREDENTIALS: disconnected at once).
                await self._apply_unipile_status(tx, account, unipile_status, source="unipile_read")
                account = await tx.get_linkedin_account(workspace_id, account_id)
                assert account is not None
            await self._health.announce(tx, account)
        self._committed()
        log.info("linkedin account created", account_id=account.id, workspace_id=workspace_id)
        return account

    async def create_connect_link(self, workspace_id: str, name: str, timezone: str) -> ReconnectLink:
        """A Unipile hosted-auth link that connects a new LinkedIn account (issue 13). Its `name` is a fresh,
        unguessable token: Unipile echoes it to our notify URL, which is how the account, once connected,
        is recorded in this workspace (complete_connect)."""
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        name = validate_sender_name(name)
        timezone = validate_timezone(timezone)
        unipile = self._require_unipile()
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        expires_at = now + RECONNECT_LINK_LIFETIME
        async with self._repo.transaction() as tx:
            await LinkedInTx(tx).insert_connect_link(_digest(token), workspace_id, name, timezone, now, expires_at)
        try:
            url = await unipile.create_account_link(
                expires_at,
                api_url=self._unipile_api_url,
                notify_url=f"{self._public_url}/webhooks/unipile/connected",
                name=token,
                success_redirect_url=f"{self._public_url}/linkedin-accounts?connected=1",
            )
        except UnipileError as exc:
            raise Unavailable(f"Unipile could not create a connect link: {exc}", code="unipile_unavailable") from None
        log.info("connect link created", workspace_id=workspace_id, expires_at=expires_at.isoformat())
        return ReconnectLink(url=url, expires_at=expires_at)

    async def complete_connect(self, token: str, unipile_account_id: str) -> tuple[LinkedInAccount, bool]:
        """Unipile says the account of a connect link exists: record it in the link's workspace, read from Unipile
        first like any new account. Idempotent: a repeated notification returns the account, created False."""
        digest = _digest(token)
        link = await LinkedInTx(self._repo.pool_tx()).find_connect_link(digest) if token else None
        if link is None:
            raise NotFound("no such connect link")
        workspace_id = str(link["workspace_id"])
        if link["account_id"] is not None:
            return await self.get_linkedin_account(workspace_id, str(link["account_id"])), False
        if link["expires_at"] <= self._clock.now():
            raise FailedPrecondition("this connect link has expired; create a new one", code="link_expired")
        created = True
        try:
            account = await self.create_linkedin_account(
                workspace_id, unipile_account_id, link["name"], link["timezone"], []
            )
        except AlreadyExists:
            existing = await LinkedInTx(self._repo.pool_tx()).linkedin_account_by_unipile(unipile_account_id.strip())
            found = await self._repo.pool_tx().get_linkedin_account(workspace_id, existing) if existing else None
            if found is None:
                raise  # another workspace's account: not this link's to claim
            account, created = found, False
        async with self._repo.transaction() as tx:
            await LinkedInTx(tx).set_connect_link_account(digest, account.id)
        return account, created

    async def list_linkedin_accounts(self, workspace_id: str) -> list[LinkedInAccount]:
        return await LinkedInTx(self._repo.pool_tx()).list_linkedin_accounts(parse_uuid(workspace_id, "workspace_id"))

    async def get_linkedin_account(self, workspace_id: str, account_id: str) -> LinkedInAccount:
        account = await self._repo.pool_tx().get_linkedin_account(
            parse_uuid(workspace_id, "workspace_id"), parse_uuid(account_id, "account_id", missing_is_not_found=True)
        )
        if account is None:
            raise NotFound("linkedin account not found")
        return account

    async def create_reconnect_link(self, workspace_id: str, account_id: str) -> ReconnectLink:
        """A fresh Unipile hosted-auth link that reconnects the account (A3); it expires in 24 hours."""
        account = await self.get_linkedin_account(workspace_id, account_id)
        unipile = self._require_unipile()
        expires_at = self._clock.now() + RECONNECT_LINK_LIFETIME
        try:
            url = await unipile.create_reconnect_link(
                account.unipile_account_id,
                expires_at,
                api_url=self._unipile_api_url,
                success_redirect_url=f"{self._public_url}/linkedin-accounts/{account.id}?reconnected=1",
            )
        except UnipileError as exc:
            if exc.status == 404:
                raise FailedPrecondition(
                    "Unipile no longer knows this account; connect it again", code="unipile_account_missing"
                ) from None
            raise Unavailable(f"Unipile could not create a reconnect link: {exc}", code="unipile_unavailable") from None
        log.info("reconnect link created", account_id=account.id, expires_at=expires_at.isoformat())
        return ReconnectLink(url=url, expires_at=expires_at)

    async def _unipile_linkedin_status(self, unipile_account_id: str) -> str:
        """The status of a LinkedIn account Unipile knows; refused (nothing written) when it does not know it or
        it is not a LinkedIn account."""
        unipile = self._require_unipile()
        try:
            found = await unipile.get_account(unipile_account_id)
        except UnipileError as exc:
            if 400 <= exc.status < 500 and exc.status not in (401, 429):
                raise FailedPrecondition(
                    "Unipile has no account with this id: connect the account through Unipile (or the hosted "
                    "connect link) and give the id it shows",
                    code="unipile_account_unknown",
                    details={"field": "unipile_account_id"},
                ) from None
            raise Unavailable(
                f"the account could not be read from Unipile: {exc}", code="unipile_unavailable"
            ) from None
        if found.type.upper() != "LINKEDIN":
            raise FailedPrecondition(
                f"Unipile account {unipile_account_id} is a {found.type} account, not LinkedIn",
                code="not_a_linkedin_account",
                details={"field": "unipile_account_id", "type": found.type},
            )
        return found.status
