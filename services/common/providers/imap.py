"""Reads of an INBOX over IMAP (RFC 3501), each one session of `imap_session.py`: the live login check behind inbox
health and reconnect (`check_login`, DESIGN A4); the new delivery-status notifications, for bounce detection
(`fetch_reports`); and the new messages, for replies (`fetch_new_mail`, on `read_inbox`). Every read is read-only
(EXAMINE, BODY.PEEK) and bounded whatever the mailbox's size. Failures are `ImapError`s (see `imap_session.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.common.providers.imap_session import (
    MAX_PART_BYTES,
    ImapError,
    ImapSettings,
    Session,
    logged_in,
)
from services.common.providers.tls import Security
from services.common.providers.unipile import FailureKind

__all__ = [
    "DELIVERY_REPORTS",
    "MAX_WINDOWS",
    "REPORT_BYTES",
    "SEARCH_WINDOW",
    "ImapError",
    "ImapSettings",
    "InboxMessage",
    "InboxRead",
    "NewMail",
    "Reports",
    "Security",
    "check_login",
    "fetch_new_mail",
    "fetch_reports",
    "read_inbox",
]

# Of each report, only its first bytes are read (a partial FETCH): a DSN's status part and the returned headers
# come first, and a huge returned message must not be held in memory.
REPORT_BYTES = MAX_PART_BYTES
_UIDVALIDITY = re.compile(r"\[UIDVALIDITY (\d+)\]", re.IGNORECASE)
_UIDNEXT = re.compile(r"\[UIDNEXT (\d+)\]", re.IGNORECASE)
_FETCH_UID = re.compile(rb"^\* \d+ FETCH \(.*?\bUID (\d+)", re.IGNORECASE)
_RFC822_SIZE = re.compile(r"\bRFC822\.SIZE (\d+)", re.IGNORECASE)
_STATUS_UIDNEXT = re.compile(r"\bUIDNEXT (\d+)", re.IGNORECASE)
_STATUS_UIDVALIDITY = re.compile(r"\bUIDVALIDITY (\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Reports:
    """What one read of an INBOX found: its UIDVALIDITY, the highest UID looked at (the next read starts after
    it), and the delivery reports found, oldest first, as (uid, message bytes)."""

    uidvalidity: int
    last_uid: int
    messages: list[tuple[int, bytes]]


# UIDs per SEARCH: its answer stays far below the line limit (2,000 UIDs of 10 digits: 22 KB of 64 KiB).
SEARCH_WINDOW = 2000
# SEARCHes per read: with the window, how much of a mailbox one read may look at (40,000 UIDs).
MAX_WINDOWS = 20
# IMAP SEARCH criteria of delivery reports (DSNs are multipart/report, RFC 3464).
DELIVERY_REPORTS = ' HEADER Content-Type "multipart/report"'


async def check_login(settings: ImapSettings, timeout_s: float = 15) -> None:
    """Connect, log in and log out, nothing more. `timeout_s` bounds the whole exchange, connection included."""
    async with logged_in(settings, timeout_s):
        pass


async def fetch_reports(
    settings: ImapSettings,
    uidvalidity: int | None,
    after_uid: int,
    *,
    limit: int = 50,
    timeout_s: float = 30,
    window: int = SEARCH_WINDOW,
    max_windows: int = MAX_WINDOWS,
) -> Reports:
    """Read-only (EXAMINE, BODY.PEEK: nothing is marked seen) look at INBOX for delivery reports (Content-Type
    multipart/report), bounded whatever the mailbox's size (T6): the UIDs are searched `window` at a time, at most
    `max_windows` times, and at most `limit` reports are fetched, each only its first REPORT_BYTES.

    - Known mailbox (`uidvalidity` matches): the reports after `after_uid`, oldest first; the cursor moves past
      what was looked at, so a backlog drains over the next reads and a new report is seen after it.
    - First read, or a new UIDVALIDITY (the old UIDs mean nothing, RFC 3501 2.3.1.1): the newest reports first,
      from the top of the mailbox down, and the cursor goes to the top: a mailbox connected with thousands of old
      reports is not read from its oldest."""
    if limit < 1 or window < 1 or max_windows < 1:
        raise ValueError("limit, window and max_windows must be positive")
    async with logged_in(settings, timeout_s) as session:
        validity, untagged = await _examine(session)
        known = validity == uidvalidity
        start = after_uid if known else 0
        top = await _highest_uid(session, untagged)
        if top <= start:
            return Reports(validity, max(start, top), [])
        if known:
            uids, last = await _scan_up(session, start, top, limit, window, max_windows)
        else:
            uids, last = await _scan_down(session, top, limit, window, max_windows), top
        fetched = await _fetch_parts(session, uids, REPORT_BYTES) if uids else []
        return Reports(validity, last, [(m.uid, m.data) for m in fetched if m.data])


async def _examine(session: Session) -> tuple[int, list[tuple[str, list[bytes]]]]:
    """EXAMINE INBOX (read-only): its UIDVALIDITY and the server's untagged answers."""
    status, text, untagged = await session.exchange("EXAMINE INBOX")
    if status != "OK":
        raise ImapError(FailureKind.UNKNOWN, status, f"EXAMINE INBOX refused: {text}")
    found = [m for line, _ in untagged for m in (_UIDVALIDITY.search(line),) if m]
    if not found:
        raise ImapError(FailureKind.UNKNOWN, None, "the server sent no UIDVALIDITY for INBOX")
    return int(found[-1][1]), untagged


async def _highest_uid(session: Session, examined: list[tuple[str, list[bytes]]]) -> int:
    """The highest UID in use: UIDNEXT - 1 from EXAMINE, else the last message's UID (0 for an empty mailbox)."""
    uidnext = next((int(m[1]) for line, _ in examined for m in (_UIDNEXT.search(line),) if m), None)
    if uidnext is not None:
        return uidnext - 1
    exists = next(
        (
            int(line.split()[1])
            for line, _ in examined
            if line.upper().endswith(" EXISTS") and line.split()[1].isdigit()
        ),
        0,
    )
    if exists == 0:
        return 0
    status, text, untagged = await session.exchange("FETCH * (UID)")
    if status != "OK":
        raise ImapError(FailureKind.UNKNOWN, status, f"FETCH * (UID) refused: {text}")
    return max((int(m[1]) for line, _ in untagged for m in (_FETCH_UID.match(line.encode()),) if m), default=0)


async def _search(session: Session, low: int, high: int, criteria: str = DELIVERY_REPORTS) -> list[int]:
    """The messages among UIDs low..high that match `criteria` (the reports by default), ascending (never "n:*",
    whose answer has no bound)."""
    status, text, untagged = await session.exchange(f"UID SEARCH UID {low}:{high}{criteria}")
    if status != "OK":
        raise ImapError(FailureKind.UNKNOWN, status, f"UID SEARCH refused: {text}")
    return sorted(
        {
            int(u)
            for line, _ in untagged
            if line.upper().startswith("* SEARCH")
            for u in line.split()[2:]
            if u.isdigit() and low <= int(u) <= high
        }
    )


async def _scan_up(
    session: Session, start: int, top: int, limit: int, window: int, max_windows: int, criteria: str = DELIVERY_REPORTS
) -> tuple[list[int], int]:
    """The oldest `limit` messages matching `criteria` after `start`, and how far they were looked for."""
    uids: list[int] = []
    low = start + 1
    for _ in range(max_windows):
        high = min(low + window - 1, top)
        uids += await _search(session, low, high, criteria)
        if len(uids) >= limit:
            return uids[:limit], uids[limit - 1]
        if high >= top:
            return uids, top
        low = high + 1
    return uids, low - 1


async def _scan_down(
    session: Session, top: int, limit: int, window: int, max_windows: int, criteria: str = DELIVERY_REPORTS
) -> list[int]:
    """The newest `limit` messages matching `criteria` (reports by default), looked for from the top down."""
    uids: list[int] = []
    high = top
    for _ in range(max_windows):
        low = max(1, high - window + 1)
        uids = await _search(session, low, high, criteria) + uids
        if len(uids) >= limit or low == 1:
            break
        high = low - 1
    return uids[-limit:]


@dataclass(frozen=True)
class InboxMessage:
    """A message of an INBOX as one read saw it: its UID, its size (RFC822.SIZE) and its first bytes."""

    uid: int
    size: int
    data: bytes


@dataclass(frozen=True)
class InboxRead:
    """What one read of an INBOX found: its UIDVALIDITY, the highest UID looked at (the next read starts after it)
    and the messages, oldest first. `history`: the messages are not new ones but the newest of the mailbox matching
    the read's `history` criteria (a first read, or one after a new UIDVALIDITY)."""

    uidvalidity: int
    last_uid: int
    messages: list[InboxMessage]
    history: bool = False


async def read_inbox(
    settings: ImapSettings,
    uidvalidity: int | None,
    after_uid: int,
    *,
    limit: int = 50,
    part_bytes: int = REPORT_BYTES,
    history: str | None = DELIVERY_REPORTS,
    timeout_s: float = 30,
    window: int = SEARCH_WINDOW,
    max_windows: int = MAX_WINDOWS,
) -> InboxRead:
    """One read-only look (EXAMINE, BODY.PEEK) at INBOX, in one session, whose cost follows what is new, never the
    mailbox's size: `STATUS INBOX (UIDNEXT UIDVALIDITY)` first, and when nothing arrived after the cursor, nothing
    more (a server answers STATUS from its index, where opening a large mailbox costs it in proportion to its size:
    Dovecot's maildir); else EXAMINE, `UID SEARCH UID a:b` over the UIDs after the cursor (bounded: never `n:*`,
    whose answer names the last message even when nothing is new), one `UID FETCH` of at most `limit` messages,
    each its size and first `part_bytes`.

    - Known mailbox (`uidvalidity` matches): every message after `after_uid`, oldest first; the cursor moves past
      what was looked at, so a backlog drains over the next reads.
    - First read, or a new UIDVALIDITY (the old UIDs mean nothing, RFC 3501 2.3.1.1): the cursor goes to the top of
      the mailbox, and only the newest `limit` messages matching `history` (IMAP SEARCH criteria: delivery reports
      by default; None: nothing) are read, looked for from the top down: the whole mailbox is never read."""
    if limit < 1 or window < 1 or max_windows < 1 or not 0 < part_bytes <= REPORT_BYTES:
        raise ValueError("limit, window and max_windows must be positive, part_bytes at most REPORT_BYTES")
    async with logged_in(settings, timeout_s) as session:
        if uidvalidity is not None and await _nothing_after(session, uidvalidity, after_uid):
            return InboxRead(uidvalidity, after_uid, [])
        validity, untagged = await _examine(session)
        known = validity == uidvalidity
        start = after_uid if known else 0
        top = await _highest_uid(session, untagged)
        if top <= start or (not known and history is None):
            return InboxRead(validity, max(start, top), [], history=not known)
        if known:
            uids, last = await _scan_up(session, start, top, limit, window, max_windows, criteria="")
        else:
            assert history is not None
            uids, last = await _scan_down(session, top, limit, window, max_windows, history), top
        messages = await _fetch_parts(session, uids, part_bytes) if uids else []
        return InboxRead(validity, last, messages, history=not known)


async def _nothing_after(session: Session, uidvalidity: int, after_uid: int) -> bool:
    """Whether STATUS says INBOX is the mailbox the cursor knows and holds no UID after it (UIDNEXT only grows as
    messages are added, RFC 3501 2.3.1.1). A server that refuses STATUS is read the long way."""
    status, _, untagged = await session.exchange("STATUS INBOX (UIDNEXT UIDVALIDITY)")
    line = next((line for line, _ in untagged if line.upper().startswith("* STATUS ")), "")
    uidnext, validity = _STATUS_UIDNEXT.search(line), _STATUS_UIDVALIDITY.search(line)
    return (
        status == "OK"
        and uidnext is not None
        and validity is not None
        and int(validity[1]) == uidvalidity
        and int(uidnext[1]) - 1 <= after_uid
    )


async def _fetch_parts(session: Session, uids: list[int], part_bytes: int) -> list[InboxMessage]:
    wanted = set(uids)
    status, text, untagged = await session.exchange(
        f"UID FETCH {','.join(map(str, uids))} (UID RFC822.SIZE BODY.PEEK[]<0.{part_bytes}>)"
    )
    if status != "OK":
        raise ImapError(FailureKind.UNKNOWN, status, f"UID FETCH refused: {text}")
    messages = []
    for line, literals in untagged:
        uid = _FETCH_UID.match(line.encode())
        if not uid or int(uid[1]) not in wanted:
            continue
        size = _RFC822_SIZE.search(line)
        messages.append(InboxMessage(int(uid[1]), int(size[1]) if size else 0, literals[0] if literals else b""))
    return sorted(messages, key=lambda m: m.uid)


@dataclass(frozen=True)
class NewMail:
    """What one read of an INBOX for replies found: its UIDVALIDITY, the highest UID looked at, each new message
    (its first `max_bytes`) oldest first as (uid, bytes), and the UIDs of messages too large to read as replies."""

    uidvalidity: int
    last_uid: int
    messages: list[tuple[int, bytes]]
    oversized: list[int]


async def fetch_new_mail(
    settings: ImapSettings,
    uidvalidity: int | None,
    after_uid: int,
    *,
    limit: int = 50,
    max_bytes: int = 64 * 1024,
    max_message_bytes: int = 10 * 1024 * 1024,
    timeout_s: float = 30,
) -> NewMail:
    """The messages that arrived in INBOX after `after_uid` (`read_inbox` with no history), at most `limit`, each
    cut at `max_bytes` (a reply's headers and what its sender wrote come first); those over `max_message_bytes`
    are named, not read. A first read, or one after a new UIDVALIDITY, reads nothing and only marks where the
    mailbox ends, so the whole mailbox is never read again."""
    read = await read_inbox(
        settings,
        uidvalidity,
        after_uid,
        limit=limit,
        part_bytes=min(max_bytes, REPORT_BYTES),
        history=None,
        timeout_s=timeout_s,
    )
    return NewMail(
        read.uidvalidity,
        read.last_uid,
        [(m.uid, m.data) for m in read.messages if m.size <= max_message_bytes and m.data],
        [m.uid for m in read.messages if m.size > max_message_bytes],
    )
