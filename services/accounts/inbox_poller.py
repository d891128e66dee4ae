"""The inbox poll (issues 5 and 16): one IMAP session per inbox and round reads the INBOX's new messages once and
hands each to the readers — bounce reports (`bounces.py`) and replies (`replies.py`) — each turning what concerns
it into one outbox event for the scheduler.

A password inbox is read from its own IMAP server with its password; a Google or Microsoft OAuth inbox from its
provider's IMAP server (settings) with SASL XOAUTH2 and an access token from the same cache and refresh as its
sends; when no token can be had (invalid_grant, the token endpoint down), the poll is skipped: the login probe
decides what that means for the inbox's health.

Periodic and jittered, claimed like the login probe (the claim moves the next poll ahead before any login, FOR
UPDATE SKIP LOCKED), so replicas never poll the same inbox at once. The cursor is the last UID read under the
mailbox's UIDVALIDITY, one per inbox for every reader: a read asks only for the UIDs after it (`read_inbox`), so its
cost follows what is new, never the mailbox's size. A first read, or one after a new UIDVALIDITY, goes to the top of
the mailbox and reads only the newest delivery reports (to readers that want history: the bounce reader), never old
mail as replies. A poll's findings are written to the outbox in the transaction that moves the cursor on, so a crash
either loses nothing or repeats them (the scheduler records a bounce and an inbound message once). A failed poll is
kept on the inbox (`bounce_poll_error` in the API) and counted in `holdfast_bounce_poll_errors_total`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from services.accounts.domain import InboxPollClaim, secret_context
from services.accounts.inbox_poll_repository import InboxPollTx
from services.accounts.repository import Repository
from services.common.clock import Clock
from services.common.crypto import Keyring, SecretError
from services.common.errors import DomainError
from services.common.metrics import BOUNCE_POLL_ERRORS
from services.common.providers import imap as imap_provider

log = structlog.get_logger(__name__)
ReadInbox = Callable[..., Awaitable[imap_provider.InboxRead]]
# An OAuth inbox's access token, by inbox id (raises a DomainError when none can be had).
AccessToken = Callable[[str], Awaitable[str]]


@dataclass(frozen=True)
class Reader:
    """One kind of message an inbox poll looks for. `found_in` picks what concerns it among a read's messages;
    `payload` serializes what it found for `destination` (an outbox destination) as one event per inbox and poll.
    `history`: on a first read, it is handed the newest delivery reports of the mailbox (else nothing)."""

    name: str
    destination: str
    found_in: Callable[[Sequence[imap_provider.InboxMessage], datetime], list[Any]]
    payload: Callable[[str, list[Any]], bytes]
    history: bool = False


class InboxPoller:
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        keyring: Keyring,
        readers: Sequence[Reader],
        committed: Callable[[], None] = lambda: None,
        interval: timedelta = timedelta(seconds=120),
        login_timeout_s: float = 15.0,
        batch: int = 50,
        read: ReadInbox = imap_provider.read_inbox,
        oauth_imap: Mapping[str, tuple[str, int, imap_provider.Security]] | None = None,
        access_token: AccessToken | None = None,
        allow_public_plaintext: bool = False,
    ):
        """`committed` kicks the relay after a commit that enqueued an event; `batch`: most messages read per inbox
        and poll. `oauth_imap` is the IMAP server (host, port, security) of each OAuth auth kind, `access_token`
        gives an OAuth inbox's token; `allow_public_plaintext`: HOLDFAST_ALLOW_PUBLIC_PLAINTEXT."""
        if not readers:
            raise ValueError("an inbox poll needs at least one reader")
        self._repo = repository
        self._clock = clock
        self._keyring = keyring
        self._readers = tuple(readers)
        self._committed = committed
        self._interval = interval
        self._timeout_s = login_timeout_s
        self._batch = batch
        self._read = read
        self._oauth_imap = dict(oauth_imap or {})
        self._access_token = access_token
        self._allow_public_plaintext = allow_public_plaintext

    async def poll_once(self, limit: int = 20) -> int:
        """Poll every inbox due (at most `limit`); returns how many were polled."""
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            claims = await InboxPollTx(tx).claim_due_polls(now, self._interval.total_seconds(), limit)
        if not claims:
            return 0
        results = await asyncio.gather(*(self._poll(claim, now) for claim in claims), return_exceptions=True)
        enqueued = False
        for claim, result in zip(claims, results, strict=True):
            if isinstance(result, BaseException):
                log.error("inbox poll failed; next round", inbox_id=claim.inbox_id, error=repr(result))
                BOUNCE_POLL_ERRORS.labels("unexpected").inc()
            else:
                enqueued = enqueued or result
        if enqueued:
            self._committed()
        return len(claims)

    async def _poll(self, claim: InboxPollClaim, now: datetime) -> bool:
        """Read one inbox's new messages, hand them to the readers and record where it stopped; returns whether
        an event was enqueued."""
        settings = await self._imap_settings(claim)
        if settings is None:
            return False
        try:
            read = await self._read(
                settings,
                claim.uidvalidity,
                claim.last_uid,
                limit=self._batch,
                history=imap_provider.DELIVERY_REPORTS if any(r.history for r in self._readers) else None,
                timeout_s=self._timeout_s,
            )
        except imap_provider.ImapError as exc:
            # The login probe decides what a refused login means for the inbox's health; here it only waits.
            log.warning("inbox poll could not read the inbox", inbox_id=claim.inbox_id, error=exc.message)
            await self._failed(claim.inbox_id, str(exc), exc.reason or exc.kind.value)
            return False
        with structlog.contextvars.bound_contextvars(inbox_id=claim.inbox_id):  # the readers' log lines name it
            found = {r.name: r.found_in(read.messages, now) for r in self._readers if r.history or not read.history}
        async with self._repo.transaction() as tx:
            if not await InboxPollTx(tx).advance_cursor(claim, read.uidvalidity, read.last_uid):
                log.info("inbox poll outdated; the next one reads again", inbox_id=claim.inbox_id)
                return False
            for reader in self._readers:
                if found.get(reader.name):
                    await tx.enqueue(
                        reader.destination,
                        f"{reader.name}:{claim.inbox_id}",
                        reader.payload(claim.inbox_id, found[reader.name]),
                    )
        if read.messages:
            log.info(
                "inbox messages read",
                inbox_id=claim.inbox_id,
                read=len(read.messages),
                renumbered=claim.uidvalidity not in (None, read.uidvalidity),
                **{name: len(items) for name, items in found.items()},
            )
        return any(found.values())

    async def _failed(self, inbox_id: str, error: str, reason: str) -> None:
        async with self._repo.transaction() as tx:
            await InboxPollTx(tx).record_poll_error(inbox_id, error)
        BOUNCE_POLL_ERRORS.labels(reason).inc()

    async def _imap_settings(self, claim: InboxPollClaim) -> imap_provider.ImapSettings | None:
        """How to log in to the inbox's IMAP server now; None when it cannot be (logged, and the poll skipped)."""
        if claim.auth_kind == "password":
            assert claim.imap is not None and claim.imap_secret is not None
            try:
                password = self._keyring.decrypt(claim.imap_secret, context=secret_context(claim.inbox_id, "imap"))
            except SecretError as exc:
                log.error(
                    "stored IMAP password cannot be decrypted; no inbox poll", inbox_id=claim.inbox_id, reason=str(exc)
                )
                return None
            return imap_provider.ImapSettings(
                claim.imap.host,
                claim.imap.port,
                claim.imap.security,
                claim.imap.username,
                password,
                allow_public_plaintext=self._allow_public_plaintext,
            )
        server = self._oauth_imap.get(claim.auth_kind)
        if server is None or self._access_token is None:
            log.error(
                "no IMAP server for this OAuth provider; no inbox poll",
                inbox_id=claim.inbox_id,
                auth_kind=claim.auth_kind,
            )
            return None
        try:
            token = await self._access_token(claim.inbox_id)
        except DomainError as exc:
            # A revoked grant (invalid_grant) or an unreachable token endpoint: the login probe decides what it
            # means for the inbox's health; this poll only waits for the next round.
            log.warning(
                "no access token for an inbox poll; next round",
                inbox_id=claim.inbox_id,
                code=exc.code,
                error=exc.message,
            )
            await self._failed(claim.inbox_id, f"access token: {exc.message}", "access_token")
            return None
        host, port, security = server
        return imap_provider.ImapSettings(host, port, security, claim.email, access_token=token)
