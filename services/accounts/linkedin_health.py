"""The health of LinkedIn accounts (DESIGN A1-A3), decided on fresh reads of the account at Unipile: its
webhooks, the grace period, periodic re-reads, send failures, and an operator's restrictions and verification.
LinkedInService (linkedin.py) adds the account records and their hosted-auth links on top of these decisions."""

from __future__ import annotations

from datetime import timedelta

import structlog

from services.accounts.domain import LinkedInAccount
from services.accounts.health_domain import (
    UNIPILE_DELETED,
    UNIPILE_OK,
    decide_linkedin_health,
    restriction_detail,
    validate_detail,
    validate_restriction_kind,
)
from services.accounts.health_events import HealthWriter
from services.accounts.health_repository import HealthTx
from services.accounts.linkedin_repository import LinkedInTx
from services.accounts.ports import Committed, Unipile
from services.accounts.repository import Repository, Tx
from services.common.clock import Clock
from services.common.errors import FailedPrecondition, NotFound, Unavailable
from services.common.ids import parse_uuid
from services.common.providers.unipile import UnipileError

log = structlog.get_logger(__name__)

# How many times a decision asks Unipile again because the account changed while Unipile answered.
FRESH_READ_ATTEMPTS = 5


class _ChangedMeanwhile(Exception):
    """The account changed while Unipile answered: the decision's transaction is rolled back and read again."""


def _kept_changing(account_id: str) -> Unavailable:
    log.warning("account kept changing while Unipile was read; not decided", account_id=account_id)
    return Unavailable("the account kept changing while it was read from Unipile; try again", code="account_busy")


class LinkedInHealth:
    """Health (DESIGN A1-A3). A status change is decided on a fresh read of the account at Unipile, and a later
    decision is always made on a later read, so forged, duplicated or reordered webhooks cannot leave a stale
    status behind. No row lock is held while Unipile answers (docs/DECISIONS.md, Locks): the account is read,
    Unipile is asked, then the row is locked and the decision made only if the account did not change
    meanwhile (same version); if it did, Unipile is asked again. `LinkedInService` provides what is declared
    here (without `_unipile`, nothing that must read Unipile can be done)."""

    _repo: Repository
    _clock: Clock
    _health: HealthWriter
    _committed: Committed
    _unipile: Unipile | None
    # A2: how long an account Unipile reports CONNECTING, ERROR or STOPPED still counts as connected.
    _grace: timedelta
    # How often an account that is not OK is read again.
    _recheck: timedelta

    async def handle_account_status_webhook(self, unipile_account_id: str, message: str) -> bool:
        """A Unipile account_status webhook: only a trigger to re-read the account. False when the account is
        unknown (never an error: Unipile would retry) or nothing changed."""
        unipile_account_id = unipile_account_id.strip()
        accounts = LinkedInTx(self._repo.pool_tx())
        account_id = await accounts.linkedin_account_by_unipile(unipile_account_id) if unipile_account_id else None
        if account_id is None:
            log.info("account status webhook for an unknown account", unipile_account_id=unipile_account_id[:200])
            return False
        self._require_unipile()
        said = message.strip().upper()
        for _ in range(FRESH_READ_ATTEMPTS):
            seen = await accounts.find_linkedin_account(account_id)
            if seen is None:
                return False
            unipile_status = await self._reread(seen.unipile_account_id)
            async with self._repo.transaction() as tx:
                account = await LinkedInTx(tx).lock_linkedin_account(account_id)
                if account is None:
                    return False
                if account.version != seen.version:
                    continue  # decided on meanwhile: that read may be later than this one
                changed = await self._apply_unipile_status(
                    tx,
                    account,
                    unipile_status,
                    source="reconnect" if said == "RECONNECTED" else "unipile_webhook",
                    webhook_said=said[:40],
                )
            if changed:
                self._committed()
            return changed
        raise _kept_changing(account_id)

    async def expire_grace_once(self, batch: int = 50) -> int:
        """Re-read every account degraded for longer than the grace period and decide (replica-safe: each is
        claimed FOR UPDATE SKIP LOCKED after Unipile answered, and decided only if unchanged since it was read).
        Returns how many changed."""
        if self._unipile is None:
            return 0
        cutoff = self._clock.now() - self._grace
        changed = 0
        accounts = LinkedInTx(self._repo.pool_tx())
        for account_id in await accounts.degraded_before(cutoff, batch):
            try:
                seen = await accounts.find_linkedin_account(account_id)
                if seen is None or seen.status != "degraded":
                    continue  # decided on meanwhile
                unipile_status = await self._reread(seen.unipile_account_id)
                async with self._repo.transaction() as tx:
                    account = await LinkedInTx(tx).claim_degraded(account_id, cutoff)
                    if account is None or account.version != seen.version:
                        continue  # another replica has it, or it changed meanwhile: next round
                    if await self._apply_unipile_status(tx, account, unipile_status, source="grace_expired"):
                        changed += 1
            except Unavailable as exc:
                log.warning("degraded account not re-read; next round", account_id=account_id, error=exc.message)
        if changed:
            self._committed()
        return changed

    async def recheck_once(self, batch: int = 50) -> int:
        """T4: re-read every LinkedIn account that is not OK (disconnected, degraded) whose re-read is due, so an
        account that came back without a webhook resumes within minutes. Replica-safe: accounts are claimed SKIP
        LOCKED and their next re-read moved on (jittered) before Unipile is asked; a decision is made only if the
        account did not change meanwhile. Restricted accounts wait for an operator (A2). Returns how many changed."""
        if self._unipile is None:
            return 0
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            due = await LinkedInTx(tx).claim_rechecks(now, self._recheck, batch)
        changed = 0
        accounts = LinkedInTx(self._repo.pool_tx())
        for account_id in due:
            try:
                seen = await accounts.find_linkedin_account(account_id)
                if seen is None or seen.status not in ("disconnected", "degraded"):
                    continue
                unipile_status = await self._reread(seen.unipile_account_id)
                async with self._repo.transaction() as tx:
                    account = await LinkedInTx(tx).lock_linkedin_account(account_id)
                    if account is None or account.version != seen.version:
                        continue  # decided on meanwhile, on a read at least as fresh
                    if await self._apply_unipile_status(tx, account, unipile_status, source="unipile_read"):
                        changed += 1
            except Unavailable as exc:
                log.warning("account not re-read; next round", account_id=account_id, error=exc.message)
        if changed:
            self._committed()
        return changed

    async def failure_reported(
        self, sender_id: str, status: str, restriction_kind: str, detail: str, attempt_id: str
    ) -> bool:
        """An account-level send failure of a LinkedIn account (validated by SenderService.report_account_failure).
        Disconnected: the account is re-read and the read decides (nothing is recorded if it says OK).
        Restricted: recorded with its kind (default warning) until an operator verifies the account (A2)."""
        kind_of_restriction = (
            validate_restriction_kind(restriction_kind or "warning", "restriction_kind")
            if status == "restricted"
            else None
        )
        detail = validate_detail(detail)
        if kind_of_restriction is None:
            return await self._disconnection_reported(sender_id, detail, attempt_id)
        async with self._repo.transaction() as tx:
            earlier = await HealthTx(tx).claim_failure_report(attempt_id, sender_id, status, self._clock.now())
            if earlier is not None:
                return earlier  # a repeated report: the first one's answer, nothing more
            account = await LinkedInTx(tx).lock_linkedin_account(sender_id)
            if account is None:
                raise NotFound("linkedin account not found")
            changed = await self._restrict(tx, account, kind_of_restriction, detail, "send_failure", attempt_id)
            await HealthTx(tx).set_failure_report_changed(attempt_id, changed)
        if changed:
            self._committed()
        return changed

    async def _disconnection_reported(self, sender_id: str, detail: str, attempt_id: str) -> bool:
        """A send found the account disconnected: Unipile is asked, and its answer decides (idempotent by attempt
        id: a repeated report gets the first one's answer and asks nothing)."""
        self._require_unipile()
        for _ in range(FRESH_READ_ATTEMPTS):
            earlier = await HealthTx(self._repo.pool_tx()).failure_report_of(attempt_id)
            if earlier is not None:
                return earlier
            seen = await LinkedInTx(self._repo.pool_tx()).find_linkedin_account(sender_id)
            unipile_status = await self._reread(seen.unipile_account_id) if seen is not None else ""
            try:
                async with self._repo.transaction() as tx:
                    now = self._clock.now()
                    earlier = await HealthTx(tx).claim_failure_report(attempt_id, sender_id, "disconnected", now)
                    if earlier is not None:
                        return earlier  # a concurrent report of the same attempt came first
                    account = await LinkedInTx(tx).lock_linkedin_account(sender_id)
                    if account is None:
                        raise NotFound("linkedin account not found")
                    if seen is None or account.version != seen.version:
                        raise _ChangedMeanwhile  # rolls the claim back: this report is decided again
                    changed = await self._apply_unipile_status(
                        tx, account, unipile_status, source="send_failure", actor=attempt_id, send_error=detail
                    )
                    await HealthTx(tx).set_failure_report_changed(attempt_id, changed)
            except _ChangedMeanwhile:
                continue
            if changed:
                self._committed()
            return changed
        raise _kept_changing(sender_id)

    async def record_restriction(
        self, workspace_id: str, account_id: str, kind: str, detail: str, actor: str
    ) -> LinkedInAccount:
        """An operator records a LinkedIn restriction (warning, jail or partial) of the account (A2)."""
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        account_id = parse_uuid(account_id, "account_id", missing_is_not_found=True)
        kind = validate_restriction_kind(kind)
        detail = validate_detail(detail)
        async with self._repo.transaction() as tx:
            account = await LinkedInTx(tx).lock_linkedin_account(account_id, workspace_id)
            if account is None:
                raise NotFound("linkedin account not found")
            changed = await self._restrict(tx, account, kind, detail, "operator", actor)
            account = await tx.get_linkedin_account(workspace_id, account_id)
            assert account is not None
        if changed:
            self._committed()
        return account

    async def verify_linkedin_account(self, workspace_id: str, account_id: str, actor: str) -> LinkedInAccount:
        """An operator says the restriction has lifted: accepted only if Unipile reports the account OK now;
        the account is then connected and marked verified (A2)."""
        workspace_id = parse_uuid(workspace_id, "workspace_id")
        account_id = parse_uuid(account_id, "account_id", missing_is_not_found=True)
        self._require_unipile()
        for _ in range(FRESH_READ_ATTEMPTS):
            seen = await LinkedInTx(self._repo.pool_tx()).find_linkedin_account(account_id, workspace_id)
            if seen is None:
                raise NotFound("linkedin account not found")
            if seen.status != "restricted":
                raise FailedPrecondition(
                    f"only a restricted account can be verified; this one is {seen.status}",
                    code="not_restricted",
                    details={"status": seen.status},
                )
            unipile_status = await self._reread(seen.unipile_account_id)
            if unipile_status != UNIPILE_OK:
                raise FailedPrecondition(
                    f"Unipile reports the account {unipile_status}; it must be OK before the account can be verified",
                    code="still_restricted",
                    details={"unipile_status": unipile_status, "restriction_kind": seen.restriction_kind},
                )
            async with self._repo.transaction() as tx:
                account = await LinkedInTx(tx).lock_linkedin_account(account_id, workspace_id)
                if account is None:
                    raise NotFound("linkedin account not found")
                if account.version != seen.version:
                    continue  # changed while Unipile answered: check it again
                account = await self._health.change_linkedin(
                    tx,
                    account,
                    status="connected",
                    detail=f"verified by an operator after the {account.restriction_kind} restriction lifted; "
                    "Unipile reports the account OK",
                    source="operator",
                    actor=actor,
                    restriction_kind=account.restriction_kind,
                    restriction_verified=True,
                )
            self._committed()
            return account
        raise _kept_changing(account_id)

    # Helpers of the health use cases

    def _require_unipile(self) -> Unipile:
        if self._unipile is None:
            raise FailedPrecondition("Unipile is not configured (HOLDFAST_UNIPILE_DSN)", code="unipile_not_configured")
        return self._unipile

    async def _reread(self, unipile_account_id: str) -> str:
        """The account's status at Unipile now; DELETED when Unipile does not know it."""
        unipile = self._require_unipile()
        try:
            return (await unipile.get_account(unipile_account_id)).status
        except UnipileError as exc:
            if exc.status == 404:
                return UNIPILE_DELETED
            raise Unavailable(
                f"the account could not be read from Unipile: {exc}", code="unipile_unavailable"
            ) from None

    async def _apply_unipile_status(
        self,
        tx: Tx,
        account: LinkedInAccount,
        unipile_status: str,
        *,
        source: str,
        actor: str = "",
        webhook_said: str = "",
        send_error: str = "",
    ) -> bool:
        """Decide on a fresh read (A1) and write the change, if any. `source` "reconnect" applies only to a
        change to connected; any change decided because a grace period ran out is "grace_expired"."""
        decision = decide_linkedin_health(
            account.status, account.status_since, unipile_status, self._clock.now(), self._grace
        )
        if decision is None:
            log.info(
                "account re-read: no change",
                account_id=account.id,
                status=account.status,
                unipile_status=unipile_status,
                webhook_said=webhook_said or None,
            )
            return False
        if decision.grace_expired:
            source = "grace_expired"
        elif source == "reconnect" and decision.status != "connected":
            source = "unipile_webhook"
        detail = decision.detail
        if send_error:
            detail = f"{detail} (a send failed: {send_error})"
        await self._health.change_linkedin(
            tx,
            account,
            status=decision.status,
            detail=detail,
            source=source,
            actor=actor,
            restriction_kind=account.restriction_kind,
            restriction_verified=account.restriction_verified,
        )
        return True

    async def _restrict(
        self, tx: Tx, account: LinkedInAccount, kind: str, detail: str, source: str, actor: str
    ) -> bool:
        if account.status == "restricted" and account.restriction_kind == kind:
            return False  # already recorded; still waiting for an operator's verification
        await self._health.change_linkedin(
            tx,
            account,
            status="restricted",
            detail=restriction_detail(kind, detail),
            source=source,
            actor=actor,
            restriction_kind=kind,
            restriction_verified=False,
        )
        return True
