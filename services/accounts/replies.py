"""Email replies (issue 16, DESIGN V2): the inbox poll's reader of everything that is not a bounce report
(`inbox_poller.py` logs in, reads the INBOX incrementally and moves the cursor). Every new message goes to the
scheduler, which matches it to the prospects this inbox writes to, classifies and records it. A first read hands
this reader nothing: old mail is never read as replies.

Only what matching and classification need leaves accounts: the identifying headers, the auto-reply headers, and
what the sender wrote (quoted text cut, at most 8 KiB). A message too large to be a reply (over 10 MB) or one that
cannot be parsed is logged and skipped; the cursor moves on either way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import structlog

from services.accounts.inbox_poller import Reader
from services.common.inbound_email import MAX_MESSAGE_BYTES, parse
from services.common.providers.imap import InboxMessage
from services.common.records import ReplyCandidate
from services.common.reply_classifier import AUTO_HEADERS

log = structlog.get_logger(__name__)
# The outbox destination that carries an inbox's new messages to the scheduler.
RECORD_INBOUND_EMAILS = "scheduler.RecordInboundEmails"
# Of each message, the first bytes are read: headers and what a reply's sender wrote come first.
READ_BYTES = 64 * 1024
TEXT_CHARS = 8192


def messages_in(raw_messages: Sequence[tuple[int, bytes]], received_at: datetime) -> list[ReplyCandidate]:
    """The messages that may be replies: not delivery reports (the bounce reader reads those), not from nobody."""
    found = []
    for uid, raw in raw_messages:
        try:
            email = parse(raw)
        except Exception as exc:  # noqa: BLE001 - one unreadable message must not stop the inbox's poll
            log.warning("inbox message could not be parsed; skipped", uid=uid, error=type(exc).__name__)
            continue
        if (
            "report-type=delivery-status" in email.headers.get("content-type", "").replace(" ", "").lower()
            or not email.from_address
        ):
            continue
        found.append(
            ReplyCandidate(
                message_id=email.message_id,
                in_reply_to=email.in_reply_to,
                references=email.references[-50:],
                from_address=email.from_address,
                subject=email.subject[:1000],
                text=email.text[:TEXT_CHARS],
                received_at=received_at,
                headers={k: v[:200] for k, v in email.headers.items() if k in AUTO_HEADERS},
            )
        )
    return found


def reply_reader(payload: Callable[[str, list[ReplyCandidate]], bytes]) -> Reader:
    """The inbox poll's reader of replies; `payload` serializes an inbox's messages for the scheduler (a
    RecordInboundEmailsRequest)."""

    def found_in(messages: Sequence[InboxMessage], received_at: datetime) -> list[ReplyCandidate]:
        oversized = [m.uid for m in messages if m.size > MAX_MESSAGE_BYTES]
        if oversized:
            log.warning("inbox messages too large to be replies; skipped", uids=oversized[:20])
        return messages_in(
            [(m.uid, m.data[:READ_BYTES]) for m in messages if m.size <= MAX_MESSAGE_BYTES and m.data], received_at
        )

    return Reader("replies", RECORD_INBOUND_EMAILS, found_in, payload)  # type: ignore[arg-type]
