"""Bounce detection (issue 5): the inbox poll's reader of delivery-status notifications (`inbox_poller.py` logs in,
reads the INBOX and moves the cursor), which reports the hard bounces of our emails to the scheduler. On a first
read it is handed the mailbox's newest reports, so bounces of emails sent before the inbox was polled still count.

Only our own emails count: their Message-ID is `<attempt id@sending domain>` (services/scheduler/providers.py); a
DSN about anything else (a message sent from the inbox by hand, by another tool) is read and ignored. Each bounce
goes to the scheduler with its Final-Recipient and Original-Recipient, and counts only when they name the prospect
the email went to (T6, decided there). A poll's bounces reach the outbox in the transaction that moves the cursor
on; the scheduler records a bounce once per message."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime

from services.accounts.dsn import parse_report
from services.accounts.inbox_poller import Reader
from services.common.providers.imap import InboxMessage
from services.common.records import Bounce

# The outbox destination that carries an inbox's hard bounces to the scheduler.
RECORD_BOUNCES = "scheduler.RecordBounces"
# Our Message-IDs: `<attempt id@sending domain>` (`<attempt id@holdfast>` before); the scheduler checks the
# attempt, its inbox and its recipient itself (T6).
OUR_MESSAGE_ID = re.compile(r"^<[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}@[^<>@\s]+>$", re.IGNORECASE)


def bounces_in(messages: Sequence[tuple[int, bytes]], received_at: datetime) -> list[Bounce]:
    """The hard bounces of our emails among these messages (anything else is ignored)."""
    found = []
    for _uid, raw in messages:
        report = parse_report(raw)
        if report is None or not OUR_MESSAGE_ID.match(report.original_message_id):
            continue
        for recipient in report.hard_bounces:
            found.append(
                Bounce(
                    report.original_message_id,
                    recipient.recipient,
                    recipient.status,
                    recipient.diagnostic,
                    received_at,
                    recipient.original_recipient,
                )
            )
    return found


def bounce_reader(payload: Callable[[str, list[Bounce]], bytes]) -> Reader:
    """The inbox poll's reader of bounce reports; `payload` serializes an inbox's bounces for the scheduler."""

    def found_in(messages: Sequence[InboxMessage], received_at: datetime) -> list[Bounce]:
        return bounces_in([(m.uid, m.data) for m in messages], received_at)

    return Reader("bounces", RECORD_BOUNCES, found_in, payload, history=True)  # type: ignore[arg-type]
