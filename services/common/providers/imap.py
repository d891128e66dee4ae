"""Checks an IMAP login (RFC 3501) on asyncio streams: the live check behind inbox health and reconnect (DESIGN A4);
reads the new delivery-status notifications of an INBOX (`fetch_reports`), for bounce detection; and its new
messages (`fetch_new_mail`), for replies.

Every failure becomes an `ImapError` whose `kind` is the Unipile client's `FailureKind`, classified like the SMTP
provider's: the server refused the login (`NO`, `[AUTHENTICATIONFAILED]`...) -> DISCONNECTED; network trouble, a
timeout, a server answering `BYE` or `NO [UNAVAILABLE]` -> TRANSIENT; anything else (`BAD`, garbage) -> UNKNOWN.
The password never appears in an error, a repr or a log line; it is sent as a quoted string, or as a literal
when quoting cannot carry it.

With an OAuth access token instead of a password (Gmail, Outlook), the login is `AUTHENTICATE XOAUTH2` (RFC 3501
6.2.2): the initial response base64("user=" user "\x01auth=Bearer " token "\x01\x01") goes on the command line when
the server advertises SASL-IR (RFC 4959), else after the server's first continuation. A refused token makes Gmail send
a further continuation with a base64 JSON error, which the client answers with an empty line before the `NO`. The
token, like the password, never appears in an error, a repr or a log line.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import re
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Literal, get_args

from services.common.providers.tls import (
    PLAINTEXT_REFUSED,
    TLS_CERTIFICATE,
    certificate_problem,
    describe,
    plaintext_allowed,
)
from services.common.providers.unipile import FailureKind

Security = Literal["ssl", "starttls", "none"]
# Response codes of a NO that say "try later", not "these credentials are wrong" (RFC 5530).
_TRANSIENT_CODES = ("UNAVAILABLE", "INUSE", "LIMIT", "SERVERBUG")
_MAX_LINE = 65536
_LOGOUT_TIMEOUT_S = 2.0
# Of each report, only its first bytes are read (a partial FETCH): a DSN's status part and the returned headers
# come first, and a huge returned message must not be held in memory.
REPORT_BYTES = 256 * 1024
_LITERAL = re.compile(rb"\{(\d+)\}$")
_UIDVALIDITY = re.compile(r"\[UIDVALIDITY (\d+)\]", re.IGNORECASE)
_UIDNEXT = re.compile(r"\[UIDNEXT (\d+)\]", re.IGNORECASE)
_FETCH_UID = re.compile(rb"^\* \d+ FETCH \(.*?\bUID (\d+)", re.IGNORECASE)
_RFC822_SIZE = re.compile(r"\bRFC822\.SIZE (\d+)", re.IGNORECASE)
_STATUS_UIDNEXT = re.compile(r"\bUIDNEXT (\d+)", re.IGNORECASE)
_STATUS_UIDVALIDITY = re.compile(r"\bUIDVALIDITY (\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: Security
    username: str
    password: str = field(default="", repr=False)
    # An OAuth access token: the login is AUTHENTICATE XOAUTH2 with it instead of LOGIN with the password.
    access_token: str = field(default="", repr=False)
    # security "none" to a public address (the password in plaintext over the internet): refused unless allowed.
    allow_public_plaintext: bool = False

    def __post_init__(self) -> None:
        if self.security not in get_args(Security):
            raise ValueError(f"security must be one of {', '.join(get_args(Security))}, got {self.security!r}")
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, got {self.port}")


class ImapError(Exception):
    """A failed IMAP exchange; `status` is the server's answer (NO, BAD, BYE), None when there was none."""

    def __init__(self, kind: FailureKind, status: str | None, message: str, *, reason: str = "") -> None:
        super().__init__(kind, status, message)
        self.kind = kind
        self.status = status
        self.message = message
        # "tls_certificate" when the server's certificate could not be verified (tls.py), else "".
        self.reason = reason

    def __str__(self) -> str:
        return f"IMAP {self.status or '-'} ({self.kind}): {self.message}"

    def __repr__(self) -> str:
        return f"ImapError(kind={self.kind.value!r}, status={self.status!r}, message={self.message!r})"


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
    async with _logged_in(settings, timeout_s):
        pass


async def fetch_reports(settings: ImapSettings, uidvalidity: int | None, after_uid: int, *, limit: int = 50,
                        timeout_s: float = 30, window: int = SEARCH_WINDOW, max_windows: int = MAX_WINDOWS) -> Reports:
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
    async with _logged_in(settings, timeout_s) as session:
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


async def _examine(session: _Session) -> tuple[int, list[tuple[str, list[bytes]]]]:
    """EXAMINE INBOX (read-only): its UIDVALIDITY and the server's untagged answers."""
    status, text, untagged = await session.exchange("EXAMINE INBOX")
    if status != "OK":
        raise ImapError(FailureKind.UNKNOWN, status, f"EXAMINE INBOX refused: {text}")
    found = [m for line, _ in untagged for m in (_UIDVALIDITY.search(line),) if m]
    if not found:
        raise ImapError(FailureKind.UNKNOWN, None, "the server sent no UIDVALIDITY for INBOX")
    return int(found[-1][1]), untagged


async def _highest_uid(session: _Session, examined: list[tuple[str, list[bytes]]]) -> int:
    """The highest UID in use: UIDNEXT - 1 from EXAMINE, else the last message's UID (0 for an empty mailbox)."""
    uidnext = next((int(m[1]) for line, _ in examined for m in (_UIDNEXT.search(line),) if m), None)
    if uidnext is not None:
        return uidnext - 1
    exists = next((int(line.split()[1]) for line, _ in examined
                   if line.upper().endswith(" EXISTS") and line.split()[1].isdigit()), 0)
    if exists == 0:
        return 0
    status, text, untagged = await session.exchange("FETCH * (UID)")
    if status != "OK":
        raise ImapError(FailureKind.UNKNOWN, status, f"FETCH * (UID) refused: {text}")
    return max((int(m[1]) for line, _ in untagged for m in (_FETCH_UID.match(line.encode()),) if m), default=0)


async def _search(session: _Session, low: int, high: int, criteria: str = DELIVERY_REPORTS) -> list[int]:
    """The messages among UIDs low..high that match `criteria` (the reports by default), ascending (never "n:*",
    whose answer has no bound)."""
    status, text, untagged = await session.exchange(f"UID SEARCH UID {low}:{high}{criteria}")
    if status != "OK":
        raise ImapError(FailureKind.UNKNOWN, status, f"UID SEARCH refused: {text}")
    return sorted({int(u) for line, _ in untagged if line.upper().startswith("* SEARCH")
                   for u in line.split()[2:] if u.isdigit() and low <= int(u) <= high})


async def _scan_up(session: _Session, start: int, top: int, limit: int, window: int,
                   max_windows: int, criteria: str = DELIVERY_REPORTS) -> tuple[list[int], int]:
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


async def _scan_down(session: _Session, top: int, limit: int, window: int, max_windows: int,
                     criteria: str = DELIVERY_REPORTS) -> list[int]:
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


async def read_inbox(settings: ImapSettings, uidvalidity: int | None, after_uid: int, *, limit: int = 50,
                     part_bytes: int = REPORT_BYTES, history: str | None = DELIVERY_REPORTS, timeout_s: float = 30,
                     window: int = SEARCH_WINDOW, max_windows: int = MAX_WINDOWS) -> InboxRead:
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
    async with _logged_in(settings, timeout_s) as session:
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


async def _nothing_after(session: _Session, uidvalidity: int, after_uid: int) -> bool:
    """Whether STATUS says INBOX is the mailbox the cursor knows and holds no UID after it (UIDNEXT only grows as
    messages are added, RFC 3501 2.3.1.1). A server that refuses STATUS is read the long way."""
    status, _, untagged = await session.exchange("STATUS INBOX (UIDNEXT UIDVALIDITY)")
    line = next((line for line, _ in untagged if line.upper().startswith("* STATUS ")), "")
    uidnext, validity = _STATUS_UIDNEXT.search(line), _STATUS_UIDVALIDITY.search(line)
    return status == "OK" and uidnext is not None and validity is not None and int(validity[1]) == uidvalidity \
        and int(uidnext[1]) - 1 <= after_uid


async def _fetch_parts(session: _Session, uids: list[int], part_bytes: int) -> list[InboxMessage]:
    wanted = set(uids)
    status, text, untagged = await session.exchange(
        f"UID FETCH {','.join(map(str, uids))} (UID RFC822.SIZE BODY.PEEK[]<0.{part_bytes}>)")
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


async def fetch_new_mail(settings: ImapSettings, uidvalidity: int | None, after_uid: int, *, limit: int = 50,
                         max_bytes: int = 64 * 1024, max_message_bytes: int = 10 * 1024 * 1024,
                         timeout_s: float = 30) -> NewMail:
    """The messages that arrived in INBOX after `after_uid` (`read_inbox` with no history), at most `limit`, each
    cut at `max_bytes` (a reply's headers and what its sender wrote come first); those over `max_message_bytes`
    are named, not read. A first read, or one after a new UIDVALIDITY, reads nothing and only marks where the
    mailbox ends, so the whole mailbox is never read again."""
    read = await read_inbox(settings, uidvalidity, after_uid, limit=limit, part_bytes=min(max_bytes, REPORT_BYTES),
                            history=None, timeout_s=timeout_s)
    return NewMail(read.uidvalidity, read.last_uid,
                   [(m.uid, m.data) for m in read.messages if m.size <= max_message_bytes and m.data],
                   [m.uid for m in read.messages if m.size > max_message_bytes])


@contextlib.asynccontextmanager
async def _logged_in(settings: ImapSettings, timeout_s: float) -> AsyncIterator[_Session]:
    """A logged-in session; every failure becomes an ImapError. `timeout_s` bounds the whole exchange."""
    if timeout_s <= 0:
        raise ValueError("timeout_s must be positive")
    stage = "connect"
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout_s):
            if settings.security == "none" and not settings.allow_public_plaintext \
                    and not await plaintext_allowed(settings.host, settings.port):
                raise ImapError(FailureKind.DISCONNECTED, None,
                                f"{PLAINTEXT_REFUSED}: {settings.host} is not a loopback or private address; "
                                "security \"none\" would send the password unencrypted", reason=PLAINTEXT_REFUSED)
            reader, writer = await asyncio.open_connection(
                settings.host,
                settings.port,
                ssl=_tls_context() if settings.security == "ssl" else None,
                limit=_MAX_LINE,
            )
            session = _Session(reader, writer)
            stage = "greeting"
            greeting = await session.line()
            if greeting.startswith("* BYE"):
                raise ImapError(FailureKind.TRANSIENT, "BYE", greeting[2:])
            if not (greeting.startswith("* OK") or greeting.startswith("* PREAUTH")):
                raise ImapError(FailureKind.UNKNOWN, None, f"unexpected greeting {greeting[:200]!r}")
            if settings.security == "starttls":
                stage = "starttls"
                status, text = await session.command("STARTTLS")
                if status != "OK":
                    raise ImapError(FailureKind.UNKNOWN, status, f"STARTTLS refused: {text}")
                await writer.start_tls(_tls_context(), server_hostname=settings.host)
            if not greeting.startswith("* PREAUTH"):
                stage = "login"
                if settings.access_token:
                    # Capabilities announced before STARTTLS are void after it (RFC 3501 6.2.1): ask again.
                    capabilities = None if settings.security == "starttls" else _greeting_capabilities(greeting)
                    if capabilities is None:
                        capabilities = await session.capabilities()
                    if "AUTH=XOAUTH2" not in capabilities:
                        raise ImapError(FailureKind.UNKNOWN, None, "the server does not offer AUTH=XOAUTH2")
                    status, text = await session.authenticate(
                        "XOAUTH2", _xoauth2(settings.username, settings.access_token), "SASL-IR" in capabilities)
                else:
                    status, text = await session.command("LOGIN", settings.username, settings.password)
                if status != "OK":
                    raise ImapError(_classify_refusal(status, text), status, text)
            stage = "session"
            yield session
        stage = "logout"
        with contextlib.suppress(OSError, TimeoutError, asyncio.IncompleteReadError, ImapError, ValueError):
            async with asyncio.timeout(_LOGOUT_TIMEOUT_S):
                await session.command("LOGOUT")
    except ImapError as exc:
        raise _redacted(exc, stage, settings) from None
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
        problem = certificate_problem(exc)
        if problem is not None:
            raise _redacted(ImapError(FailureKind.DISCONNECTED, None, describe(settings.host, problem),
                                      reason=TLS_CERTIFICATE), stage, settings) from None
        text = str(exc) or ("timed out" if isinstance(exc, TimeoutError) else type(exc).__name__)
        if isinstance(exc, asyncio.IncompleteReadError):
            text = "the server closed the connection"
        kind = FailureKind.UNKNOWN if isinstance(exc, ValueError) else FailureKind.TRANSIENT
        raise _redacted(ImapError(kind, None, text), stage, settings) from None
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _classify_refusal(status: str, text: str) -> FailureKind:
    if status == "BYE":
        return FailureKind.TRANSIENT
    if status == "NO":
        code = text[1 : text.find("]")].split(" ", 1)[0].upper() if text.startswith("[") and "]" in text else ""
        return FailureKind.TRANSIENT if code in _TRANSIENT_CODES else FailureKind.DISCONNECTED
    return FailureKind.UNKNOWN


def _redacted(exc: ImapError, stage: str, settings: ImapSettings) -> ImapError:
    text = exc.message
    secrets = [settings.password]
    if settings.access_token:
        initial_response = base64.b64encode(_xoauth2(settings.username, settings.access_token)).decode()
        secrets += [settings.access_token, initial_response]
    for secret in filter(None, secrets):
        text = text.replace(secret, "[redacted]")
    return ImapError(exc.kind, exc.status, f"{stage}: {text[:500]}", reason=exc.reason)


def _xoauth2(username: str, access_token: str) -> bytes:
    """The XOAUTH2 initial client response (Google's and Microsoft's SASL mechanism for OAuth 2.0 bearer tokens)."""
    return f"user={username}\x01auth=Bearer {access_token}\x01\x01".encode()


def _greeting_capabilities(greeting: str) -> set[str] | None:
    """The capabilities a greeting's `[CAPABILITY ...]` response code lists, None when it lists none."""
    found = re.search(r"\[CAPABILITY ([^\]]*)\]", greeting, re.IGNORECASE)
    return set(found[1].upper().split()) if found else None


def _sasl_error(challenge: str) -> str:
    """What a server's error continuation (Gmail's base64 JSON) says, readable and short."""
    try:
        text = base64.b64decode(challenge, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        text = challenge
    return "".join(c for c in text if c.isprintable())[:200]


def _quotable(value: str) -> bool:
    return value.isascii() and not any(c in value for c in "\r\n\0")


class _Session:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._next = 0

    async def line(self) -> str:
        raw = await self._reader.readuntil(b"\r\n")
        return raw[:-2].decode("utf-8", "replace")

    async def capabilities(self) -> set[str]:
        status, text, untagged = await self.exchange("CAPABILITY")
        if status != "OK":
            raise ImapError(FailureKind.UNKNOWN, status, f"CAPABILITY refused: {text}")
        return {c.upper() for line, _ in untagged if line.upper().startswith("* CAPABILITY ") for c in line.split()[2:]}

    async def authenticate(self, mechanism: str, response: bytes, initial_inline: bool) -> tuple[str, str]:
        """AUTHENTICATE with a one-step mechanism (RFC 3501 6.2.2): the initial response on the command line
        (SASL-IR) or after the first continuation. A further continuation carries the server's error; it is
        answered with an empty line and its text added to the tagged answer's."""
        self._next += 1
        tag = f"h{self._next}"
        encoded = base64.b64encode(response)
        self._writer.write(f"{tag} AUTHENTICATE {mechanism}".encode() + (b" " + encoded if initial_inline else b"")
                           + b"\r\n")
        await self._writer.drain()
        pending: bytes | None = None if initial_inline else encoded
        error: str | None = None
        while True:
            reply = await self.line()
            if reply.startswith(f"{tag} ") or reply.startswith("* BYE"):
                status, text = _status(reply, tag)
                return status, f"{text} ({error})" if error and status != "OK" else text
            if not reply.startswith("+"):
                continue  # untagged data
            if pending is not None:
                self._writer.write(pending + b"\r\n")
                pending = None
            elif error is None:
                error = _sasl_error(reply[1:].strip())
                self._writer.write(b"\r\n")
            else:
                raise ValueError("unexpected continuation request")
            await self._writer.drain()

    async def exchange(self, command: str) -> tuple[str, str, list[tuple[str, list[bytes]]]]:
        """Send a command line as is (atoms only, no literal) and collect its untagged answers, each a line (its
        literals replaced by their announcement) with the literals' bytes; returns (status, text, answers)."""
        self._next += 1
        tag = f"h{self._next}"
        self._writer.write(f"{tag} {command}\r\n".encode())
        await self._writer.drain()
        answers: list[tuple[str, list[bytes]]] = []
        while True:
            raw = (await self._reader.readuntil(b"\r\n"))[:-2]
            if raw.startswith(f"{tag} ".encode()) or raw.startswith(b"* BYE"):
                status, text = _status(raw.decode("utf-8", "replace"), tag)
                return status, text, answers
            literals: list[bytes] = []
            line = raw
            while (size := _LITERAL.search(raw)) is not None:
                if int(size[1]) > REPORT_BYTES + 1024:
                    raise ValueError("literal larger than asked for")
                literals.append(await self._reader.readexactly(int(size[1])))
                raw = (await self._reader.readuntil(b"\r\n"))[:-2]
                line += b" " + raw
            answers.append((line.decode("utf-8", "replace"), literals))

    async def command(self, name: str, *args: str) -> tuple[str, str]:
        """Send one command and return its tagged status (OK, NO, BAD; BYE if the server hangs up) and text."""
        self._next += 1
        tag = f"h{self._next}"
        pending = f"{tag} {name}".encode()
        for arg in args:
            if _quotable(arg):
                quoted = arg.replace("\\", "\\\\").replace('"', '\\"')
                pending += f' "{quoted}"'.encode()
                continue
            data = arg.encode("utf-8")
            self._writer.write(pending + b" {%d}\r\n" % len(data))
            await self._writer.drain()
            while True:  # untagged data may come before the continuation request
                reply = await self.line()
                if reply.startswith("+"):
                    break
                if reply.startswith(f"{tag} ") or reply.startswith("* BYE"):
                    return _status(reply, tag)
            pending = data
        self._writer.write(pending + b"\r\n")
        await self._writer.drain()
        while True:
            reply = await self.line()
            if reply.startswith(f"{tag} ") or (reply.startswith("* BYE") and name != "LOGOUT"):
                return _status(reply, tag)
            if reply.startswith("+"):
                raise ValueError("unexpected continuation request")


def _status(reply: str, tag: str) -> tuple[str, str]:
    if reply.startswith("* BYE"):
        return "BYE", reply[6:]
    status, _, text = reply[len(tag) + 1 :].partition(" ")
    return status.upper(), text
