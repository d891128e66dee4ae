"""Email replies (issue 16, DESIGN V2): read each inbox's IMAP INBOX incrementally (UIDVALIDITY + last UID, a cursor
of its own beside the bounce poll's) and hand every new message that is not a bounce report to the scheduler, which
matches it to the prospects this inbox writes to, classifies and records it. Logins, claims and replica safety are
the bounce poll's (this poller is one, reading other messages with another cursor).

Only what matching and classification need leaves accounts: the identifying headers, the auto-reply headers, and
what the sender wrote (quoted text cut, at most 8 KiB). A message too large to be a reply (over 10 MB) or one that
cannot be parsed is logged and skipped; the cursor moves on either way."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import structlog

from services.accounts.bounces import BouncePoller
from services.accounts.domain import BouncePollClaim
from services.accounts.reply_repository import ReplyTx
from services.common.inbound_email import MAX_MESSAGE_BYTES, parse
from services.common.providers import imap as imap_provider
from services.common.records import ReplyCandidate
from services.common.reply_classifier import AUTO_HEADERS

log = structlog.get_logger(__name__)
# The outbox destination that carries an inbox's new messages to the scheduler.
RECORD_INBOUND_EMAILS = "scheduler.RecordInboundEmails"
# Of each message, the first bytes are read: headers and what a reply's sender wrote come first.
READ_BYTES = 64 * 1024
TEXT_CHARS = 8192


def messages_in(raw_messages: list[tuple[int, bytes]], received_at: datetime) -> list[ReplyCandidate]:
    """The messages that may be replies: not delivery reports (the bounce poll reads those), not from nobody."""
    found = []
    for uid, raw in raw_messages:
        try:
            email = parse(raw)
        except Exception as exc:  # noqa: BLE001 - one unreadable message must not stop the inbox's poll
            log.warning("inbox message could not be parsed; skipped", uid=uid, error=type(exc).__name__)
            continue
        if "report-type=delivery-status" in email.headers.get("content-type", "").replace(" ", "").lower() \
                or not email.from_address:
            continue
        found.append(ReplyCandidate(
            message_id=email.message_id, in_reply_to=email.in_reply_to, references=email.references[-50:],
            from_address=email.from_address, subject=email.subject[:1000], text=email.text[:TEXT_CHARS],
            received_at=received_at, headers={k: v[:200] for k, v in email.headers.items() if k in AUTO_HEADERS}))
    return found


class ReplyPoller(BouncePoller):
    """`payload` serializes an inbox's messages for the scheduler (a RecordInboundEmailsRequest)."""

    def __init__(self, *args: object, fetch_mail: Callable[..., object] = imap_provider.fetch_new_mail,
                 **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._fetch_mail = fetch_mail

    async def poll_once(self, limit: int = 20) -> int:
        """Poll every inbox due (at most `limit`); returns how many were polled."""
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            claims = await ReplyTx(tx).claim_due_reply_polls(now, self._interval.total_seconds(), limit)
        if not claims:
            return 0
        results = await asyncio.gather(*(self._poll(claim, now) for claim in claims), return_exceptions=True)
        handed = 0
        for claim, result in zip(claims, results, strict=True):
            if isinstance(result, BaseException):
                log.error("reply poll failed; next round", inbox_id=claim.inbox_id, error=repr(result))
            else:
                handed += result
        if handed:
            self._committed()
        return len(claims)

    async def _poll(self, claim: BouncePollClaim, now: datetime) -> int:
        """Read one inbox's new messages and record where it stopped; returns how many it handed on."""
        settings = await self._imap_settings(claim)
        if settings is None:
            return 0
        try:
            mail = await self._fetch_mail(settings, claim.uidvalidity, claim.last_uid,  # type: ignore[misc]
                                          limit=self._batch, max_bytes=READ_BYTES,
                                          max_message_bytes=MAX_MESSAGE_BYTES, timeout_s=self._timeout_s)
        except imap_provider.ImapError as exc:
            log.warning("reply poll could not read the inbox", inbox_id=claim.inbox_id, error=exc.message)
            async with self._repo.transaction() as tx:
                await ReplyTx(tx).record_reply_poll_error(claim.inbox_id, str(exc))
            return 0
        if mail.oversized:
            log.warning("inbox messages too large to be replies; skipped", inbox_id=claim.inbox_id,
                        uids=mail.oversized[:20])
        found = messages_in(mail.messages, now)
        async with self._repo.transaction() as tx:
            if not await ReplyTx(tx).advance_reply_cursor(claim, mail.uidvalidity, mail.last_uid):
                log.info("reply poll outdated; the next one reads again", inbox_id=claim.inbox_id)
                return 0
            if found:
                await tx.enqueue(RECORD_INBOUND_EMAILS, f"replies:{claim.inbox_id}",
                                 self._payload(claim.inbox_id, found))  # type: ignore[arg-type]
        if mail.messages:
            log.info("inbox messages read for replies", inbox_id=claim.inbox_id, read=len(mail.messages),
                     handed_on=len(found))
        return len(found)
