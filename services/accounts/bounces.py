"""Bounce detection (issue 5): read each inbox's IMAP INBOX for delivery-status notifications and report the hard
bounces of our emails to the scheduler. A password inbox is read from its own IMAP server with its password; a Google
or Microsoft OAuth inbox from its provider's IMAP server (settings) with SASL XOAUTH2 and an access token from the
same cache and refresh as its sends; when no token can be had (invalid_grant, the token endpoint down), the poll is
skipped: the login probe decides what that means for the inbox's health.

Periodic and jittered, claimed like the login probe (the claim moves the next poll ahead before any login, FOR
UPDATE SKIP LOCKED), so replicas never poll the same inbox at once. The cursor is the last UID read under the
mailbox's UIDVALIDITY. A poll's bounces are written to the outbox in the transaction that moves the cursor on,
so a crash either loses neither or repeats the report (the scheduler records a bounce once per message).

Only our own emails count: their Message-ID is `<attempt id@sending domain>` (services/scheduler/providers.py); a
DSN about anything else (a message sent from the inbox by hand, by another tool) is read and ignored. Each bounce
goes to the scheduler with its Final-Recipient and Original-Recipient, and counts only when they name the prospect
the email went to (T6, decided there). A failed poll is kept on the inbox (`bounce_poll_error` in the API) and
counted in `holdfast_bounce_poll_errors_total`."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta

import structlog

from services.accounts.bounce_repository import BounceTx
from services.accounts.domain import BouncePollClaim, secret_context
from services.accounts.dsn import parse_report
from services.accounts.repository import Repository
from services.common.clock import Clock
from services.common.crypto import Keyring, SecretError
from services.common.errors import DomainError
from services.common.metrics import BOUNCE_POLL_ERRORS
from services.common.providers import imap as imap_provider
from services.common.records import Bounce

log = structlog.get_logger(__name__)
# The outbox destination that carries an inbox's hard bounces to the scheduler.
RECORD_BOUNCES = "scheduler.RecordBounces"
# Our Message-IDs: `<attempt id@sending domain>` (`<attempt id@holdfast>` before); the scheduler checks the
# attempt, its inbox and its recipient itself (T6).
OUR_MESSAGE_ID = re.compile(r"^<[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}@[^<>@\s]+>$", re.IGNORECASE)
FetchReports = Callable[..., Awaitable[imap_provider.Reports]]
# An OAuth inbox's access token, by inbox id (raises a DomainError when none can be had).
AccessToken = Callable[[str], Awaitable[str]]


def bounces_in(messages: Sequence[tuple[int, bytes]], received_at: datetime) -> list[Bounce]:
    """The hard bounces of our emails among these messages (anything else is ignored)."""
    found = []
    for _uid, raw in messages:
        report = parse_report(raw)
        if report is None or not OUR_MESSAGE_ID.match(report.original_message_id):
            continue
        for recipient in report.hard_bounces:
            found.append(Bounce(report.original_message_id, recipient.recipient, recipient.status,
                                     recipient.diagnostic, received_at, recipient.original_recipient))
    return found


class BouncePoller:
    def __init__(self, repository: Repository, clock: Clock, *, keyring: Keyring,
                 payload: Callable[[str, list[Bounce]], bytes], committed: Callable[[], None] = lambda: None,
                 interval: timedelta = timedelta(seconds=300), login_timeout_s: float = 15.0, batch: int = 50,
                 fetch: FetchReports = imap_provider.fetch_reports,
                 oauth_imap: Mapping[str, tuple[str, int, imap_provider.Security]] | None = None,
                 access_token: AccessToken | None = None, allow_public_plaintext: bool = False):
        """`payload` serializes an inbox's bounces for the scheduler (the outbox payload); `committed` kicks the
        relay after a commit that enqueued one; `batch`: most reports read per inbox and poll. `oauth_imap` is the
        IMAP server (host, port, security) of each OAuth auth kind, `access_token` gives an OAuth inbox's token;
        `allow_public_plaintext`: HOLDFAST_ALLOW_PUBLIC_PLAINTEXT."""
        self._repo = repository
        self._clock = clock
        self._keyring = keyring
        self._payload = payload
        self._committed = committed
        self._interval = interval
        self._timeout_s = login_timeout_s
        self._batch = batch
        self._fetch = fetch
        self._oauth_imap = dict(oauth_imap or {})
        self._access_token = access_token
        self._allow_public_plaintext = allow_public_plaintext

    async def poll_once(self, limit: int = 20) -> int:
        """Poll every inbox due (at most `limit`); returns how many were polled."""
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            claims = await BounceTx(tx).claim_due_bounce_polls(now, self._interval.total_seconds(), limit)
        if not claims:
            return 0
        results = await asyncio.gather(*(self._poll(claim, now) for claim in claims), return_exceptions=True)
        reported = 0
        for claim, result in zip(claims, results, strict=True):
            if isinstance(result, BaseException):
                log.error("bounce poll failed; next round", inbox_id=claim.inbox_id, error=repr(result))
                BOUNCE_POLL_ERRORS.labels("unexpected").inc()
            else:
                reported += result
        if reported:
            self._committed()
        return len(claims)

    async def _poll(self, claim: BouncePollClaim, now: datetime) -> int:
        """Read one inbox's new reports and record where it stopped; returns how many bounces it reported."""
        settings = await self._imap_settings(claim)
        if settings is None:
            return 0
        try:
            reports = await self._fetch(settings, claim.uidvalidity, claim.last_uid, limit=self._batch,
                                        timeout_s=self._timeout_s)
        except imap_provider.ImapError as exc:
            # The login probe decides what a refused login means for the inbox's health; here it only waits.
            log.warning("bounce poll could not read the inbox", inbox_id=claim.inbox_id, error=exc.message)
            async with self._repo.transaction() as tx:
                await BounceTx(tx).record_bounce_poll_error(claim.inbox_id, str(exc))
            BOUNCE_POLL_ERRORS.labels(exc.reason or exc.kind.value).inc()
            return 0
        bounces = bounces_in(reports.messages, now)
        async with self._repo.transaction() as tx:
            if not await BounceTx(tx).advance_bounce_cursor(claim, reports.uidvalidity, reports.last_uid):
                log.info("bounce poll outdated; the next one reads again", inbox_id=claim.inbox_id)
                return 0
            if bounces:
                await tx.enqueue(RECORD_BOUNCES, f"bounces:{claim.inbox_id}", self._payload(claim.inbox_id, bounces))
        if bounces or reports.messages:
            log.info("bounce reports read", inbox_id=claim.inbox_id, reports=len(reports.messages),
                     hard_bounces=len(bounces), renumbered=claim.uidvalidity not in (None, reports.uidvalidity))
        return len(bounces)

    async def _imap_settings(self, claim: BouncePollClaim) -> imap_provider.ImapSettings | None:
        """How to log in to the inbox's IMAP server now; None when it cannot be (logged, and the poll skipped)."""
        if claim.auth_kind == "password":
            assert claim.imap is not None and claim.imap_secret is not None
            try:
                password = self._keyring.decrypt(claim.imap_secret, context=secret_context(claim.inbox_id, "imap"))
            except SecretError as exc:
                log.error("stored IMAP password cannot be decrypted; no bounce poll", inbox_id=claim.inbox_id,
                          reason=str(exc))
                return None
            return imap_provider.ImapSettings(claim.imap.host, claim.imap.port, claim.imap.security,
                                              claim.imap.username, password,
                                              allow_public_plaintext=self._allow_public_plaintext)
        server = self._oauth_imap.get(claim.auth_kind)
        if server is None or self._access_token is None:
            log.error("no IMAP server for this OAuth provider; no bounce poll", inbox_id=claim.inbox_id,
                      auth_kind=claim.auth_kind)
            return None
        try:
            token = await self._access_token(claim.inbox_id)
        except DomainError as exc:
            # A revoked grant (invalid_grant) or an unreachable token endpoint: the login probe decides what it
            # means for the inbox's health; this poll only waits for the next round.
            log.warning("no access token for a bounce poll; next round", inbox_id=claim.inbox_id, code=exc.code,
                        error=exc.message)
            async with self._repo.transaction() as tx:
                await BounceTx(tx).record_bounce_poll_error(claim.inbox_id, f"access token: {exc.message}")
            BOUNCE_POLL_ERRORS.labels("access_token").inc()
            return None
        host, port, security = server
        return imap_provider.ImapSettings(host, port, security, claim.email, access_token=token)
