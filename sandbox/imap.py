"""A real IMAP server for tests and local runs: the sandbox of an inbox's incoming mail server.

A small IMAP4rev1 server (RFC 3501) on asyncio streams, enough for the login check behind inbox health and
reconnect (DESIGN A4) and for bounce detection: CAPABILITY, NOOP, LOGOUT, LOGIN (plain text, no TLS here),
SELECT and EXAMINE of each user's INBOX (EXISTS, UIDVALIDITY, UIDNEXT), STATUS of it (MESSAGES,
UIDNEXT, UIDVALIDITY, RECENT), CLOSE, and SEARCH / FETCH with their
UID forms: search keys ALL, UID <set>, HEADER <field> <string> (all of them must match); fetch items UID,
FLAGS, RFC822.SIZE, RFC822, BODY[] and BODY.PEEK[] with an optional partial range <offset.count> (BODY[]
sets the Seen flag unless the mailbox was EXAMINEd). Arguments are atoms, quoted strings or synchronizing literals,
as clients send them; a command in the wrong state answers BAD, an unknown one BAD, a refused login
`NO [AUTHENTICATIONFAILED]`. Tests steer it: change a password (later logins with the old one are refused;
sessions already logged in stay logged in), read the login attempts, deliver a message or a delivery-status
notification (RFC 3464) for a message that was sent into a user's INBOX, or renumber a mailbox (a new
UIDVALIDITY).

AUTHENTICATE XOAUTH2 (Gmail's and Outlook's SASL mechanism for OAuth 2.0 access tokens), with SASL-IR (RFC 4959),
is served once an OAuth sandbox (`sandbox.oauth`) is trusted with `trust_oauth`, as the SMTP sandbox does: the bearer
token must be a live access token that server issued to the user named in the login, with the IMAP scope. A refused
token gets the provider's answer: Gmail sends a continuation carrying a base64 JSON error, waits for the client's
empty line, then answers `NO [AUTHENTICATIONFAILED]`; Outlook answers `NO AUTHENTICATE failed.` at once.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import email.policy
import hmac
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import format_datetime, make_msgid

from sandbox.oauth import OAuthState

SERVER_NAME = "imap.sandbox.invalid"
CAPABILITIES = "IMAP4rev1"
# Offered on top once an OAuth sandbox is trusted, as Gmail and Outlook offer them.
OAUTH_CAPABILITIES = "SASL-IR AUTH=XOAUTH2"
# The scope an access token needs to read mail over IMAP, by provider.
IMAP_SCOPE = {"google": "https://mail.google.com/", "microsoft": "https://outlook.office.com/IMAP.AccessAsUser.All"}
GMAIL_XOAUTH2_REFUSED = "NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)"
OUTLOOK_XOAUTH2_REFUSED = "NO AUTHENTICATE failed."
# Longest command line and literal accepted: an attacker cannot make the sandbox buffer without bound.
_MAX_LINE = 8192
_MAX_LITERAL = 8192
_FLAGS = r"(\Answered \Flagged \Deleted \Seen \Draft)"


_PARTIAL = re.compile(r"^BODY(\.PEEK)?\[\](?:<(\d+)\.(\d+)>)?$")


@dataclass
class _Message:
    uid: int
    data: bytes
    flags: set[str] = field(default_factory=set)


@dataclass
class _Mailbox:
    uidvalidity: int = 1
    uidnext: int = 1
    messages: list[_Message] = field(default_factory=list)


class _ProtocolError(Exception):
    """A malformed command: answered BAD (with the tag when it was read)."""


@dataclass(frozen=True)
class LoginAttempt:
    user: str
    accepted: bool
    # LOGIN, or XOAUTH2 for AUTHENTICATE XOAUTH2.
    mechanism: str = "LOGIN"


class SandboxImap:
    """One IMAP server with an INBOX for every user (empty until something is delivered into it)."""

    def __init__(self) -> None:
        self._passwords: dict[str, str] = {}
        self._mailboxes: dict[str, _Mailbox] = {}
        self._attempts: list[LoginAttempt] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._oauth: list[OAuthState] = []

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on host:port (0: any free port) and return the bound port."""
        if self._server is not None:
            raise RuntimeError("the IMAP sandbox is already running")
        self._server = await asyncio.start_server(self._serve, host, port, limit=_MAX_LINE * 2)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening, drop open connections and wait until their handlers have ended."""
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    def set_password(self, username: str, password: str) -> None:
        """Create the user or change its password; sessions already logged in stay logged in."""
        self._passwords[username] = password

    def trust_oauth(self, *servers: OAuthState) -> None:
        """Accept AUTHENTICATE XOAUTH2 with the access tokens these OAuth sandboxes issue (checked at each login, so
        a revoked or expired token is refused from then on)."""
        self._oauth.extend(servers)

    @property
    def capabilities(self) -> str:
        return f"{CAPABILITIES} {OAUTH_CAPABILITIES}" if self._oauth else CAPABILITIES

    @property
    def login_attempts(self) -> list[LoginAttempt]:
        """Every LOGIN so far, oldest first (a copy)."""
        return list(self._attempts)

    def clear(self) -> None:
        """Forget the login attempts; users and passwords stay."""
        self._attempts.clear()

    def mailbox(self, username: str) -> _Mailbox:
        return self._mailboxes.setdefault(username, _Mailbox())

    def deliver(self, username: str, message: bytes) -> int:
        """Append a message (its raw bytes, CRLF or LF line ends) to the user's INBOX; returns its UID."""
        box = self.mailbox(username)
        uid = box.uidnext
        box.uidnext += 1
        box.messages.append(_Message(uid, message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")))
        return uid

    def deliver_dsn(
        self,
        username: str,
        sent: bytes,
        *,
        status: str = "5.1.1",
        action: str = "failed",
        diagnostic: str = "550 5.1.1 The email account that you tried to reach does not exist",
    ) -> int:
        """Deliver to the user's INBOX the delivery-status notification (RFC 3464) a receiving server would send
        back for `sent` (a message as it was sent, e.g. one the SMTP sandbox received); returns its UID."""
        return self.deliver(username, build_dsn(sent, status=status, action=action, diagnostic=diagnostic))

    def renumber(self, username: str) -> None:
        """Give the user's INBOX a new UIDVALIDITY and renumber its messages from 1 (as a server rebuilding its
        index does): a client's remembered UIDs mean nothing any more."""
        old = self.mailbox(username)
        self._mailboxes[username] = _Mailbox(uidvalidity=old.uidvalidity + 1)
        for message in old.messages:
            self.deliver(username, message.data)

    def _check(self, user: str, password: str) -> bool:
        expected = self._passwords.get(user)
        accepted = expected is not None and hmac.compare_digest(password.encode(), expected.encode())
        self._attempts.append(LoginAttempt(user, accepted))
        return accepted

    def _check_bearer(self, user: str, token: str) -> OAuthState | None:
        """None when the token is good for `user`, else the OAuth server whose refusal the client gets."""
        issuer = next((o for o in self._oauth if o.issued(token)), self._oauth[0])
        found = issuer.access_tokens.get(token)
        accepted = (
            issuer.bearer_refusal(user, token) is None
            and found is not None
            and (IMAP_SCOPE[issuer.flavor] in found.consent.scope.split())
        )
        self._attempts.append(LoginAttempt(user, accepted, "XOAUTH2"))
        return None if accepted else issuer

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        try:
            await _Session(self, reader, writer).run()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # the client went away or sent an endless line: nothing to answer
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


class _Session:
    """One connection: the not-authenticated, authenticated and selected states of RFC 3501."""

    def __init__(self, sandbox: SandboxImap, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._sandbox = sandbox
        self._reader = reader
        self._writer = writer
        self._user: str | None = None
        self._selected: str | None = None
        self._read_only = False

    async def _send(self, line: str) -> None:
        self._writer.write(line.encode("utf-8") + b"\r\n")
        await self._writer.drain()

    async def run(self) -> None:
        await self._send(f"* OK [CAPABILITY {self._sandbox.capabilities}] {SERVER_NAME} Holdfast IMAP sandbox ready")
        while True:
            line = await self._reader.readuntil(b"\r\n")
            if len(line) > _MAX_LINE:
                raise ValueError("line too long")
            tag = "*"
            try:
                tag, command, rest = _split_command(line)
                if command.upper() in ("UID", "SEARCH", "FETCH"):
                    # Their arguments hold lists and sections ("(UID BODY.PEEK[])"), not just atoms and strings.
                    await self._search_or_fetch(tag, command.upper(), rest[:-2].decode("utf-8", "replace"))
                    continue
                if command.upper() == "STATUS":  # its items are a list: "STATUS INBOX (UIDNEXT UIDVALIDITY)"
                    await self._status(tag, rest[:-2].decode("utf-8", "replace").split())
                    continue
                args = await self._arguments(rest)
                if not await self._dispatch(tag, command.upper(), args):
                    return
            except _ProtocolError as exc:
                await self._send(f"{tag} BAD {exc}")

    async def _arguments(self, rest: bytes) -> list[str]:
        """Parse the arguments, reading synchronizing literals ({n}) from the stream as the client sends them."""
        args: list[str] = []
        while True:
            parsed, literal = _parse_arguments(rest)
            args.extend(parsed)
            if literal is None:
                return args
            if literal > _MAX_LITERAL:
                raise _ProtocolError("literal too long")
            await self._send("+ Ready for literal data")
            data = await self._reader.readexactly(literal)
            args.append(data.decode("utf-8", "replace"))
            rest = await self._reader.readuntil(b"\r\n")
            if len(rest) > _MAX_LINE:
                raise ValueError("line too long")

    async def _dispatch(self, tag: str, command: str, args: list[str]) -> bool:
        """Answer one command; False once the connection must close."""
        if command == "CAPABILITY":
            _arity(args, 0)
            await self._send(f"* CAPABILITY {self._sandbox.capabilities}")
            await self._send(f"{tag} OK CAPABILITY completed")
        elif command == "NOOP":
            _arity(args, 0)
            await self._send(f"{tag} OK NOOP completed")
        elif command == "LOGOUT":
            _arity(args, 0)
            await self._send("* BYE Logging out")
            await self._send(f"{tag} OK LOGOUT completed")
            return False
        elif command == "LOGIN":
            _arity(args, 2)
            if self._user is not None:
                raise _ProtocolError("already logged in")
            if self._sandbox._check(args[0], args[1]):
                self._user = args[0]
                await self._send(f"{tag} OK [CAPABILITY {self._sandbox.capabilities}] Logged in")
            else:
                await self._send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
        elif command == "AUTHENTICATE":
            if not 1 <= len(args) <= 2:
                raise _ProtocolError("expected: AUTHENTICATE mechanism [initial-response]")
            if self._user is not None:
                raise _ProtocolError("already logged in")
            await self._authenticate(tag, args[0], args[1] if len(args) == 2 else None)
        elif command in ("SELECT", "EXAMINE"):
            _arity(args, 1)
            if self._user is None:
                raise _ProtocolError(f"{command} is valid only after LOGIN")
            if args[0].upper() != "INBOX":
                self._selected = None
                await self._send(f"{tag} NO [NONEXISTENT] Mailbox does not exist")
                return True
            self._selected = "INBOX"
            writable = command == "SELECT"
            self._read_only = not writable
            box = self._sandbox.mailbox(self._user)
            await self._send(f"* FLAGS {_FLAGS}")
            await self._send(f"* {len(box.messages)} EXISTS")
            await self._send("* 0 RECENT")
            await self._send(f"* OK [UIDVALIDITY {box.uidvalidity}] UIDs valid")
            await self._send(f"* OK [UIDNEXT {box.uidnext}] Predicted next UID")
            await self._send(
                f"* OK [PERMANENTFLAGS {_FLAGS[:-1]} \\*)] Limited"
                if writable
                else "* OK [PERMANENTFLAGS ()] Read-only mailbox"
            )
            await self._send(f"{tag} OK [{'READ-WRITE' if writable else 'READ-ONLY'}] {command} completed")
        elif command == "CLOSE":
            _arity(args, 0)
            if self._selected is None:
                raise _ProtocolError("CLOSE is valid only with a mailbox selected")
            self._selected = None
            await self._send(f"{tag} OK CLOSE completed")
        else:
            raise _ProtocolError(f"unknown command {command[:40]}")
        return True

    async def _status(self, tag: str, args: list[str]) -> None:
        """STATUS INBOX (items): its MESSAGES, UIDNEXT, UIDVALIDITY and RECENT (always 0), without selecting it."""
        if self._user is None:
            raise _ProtocolError("STATUS is valid only after LOGIN")
        items = " ".join(args[1:]).strip().removeprefix("(").removesuffix(")").upper().split()
        if len(args) < 2 or not items:
            raise _ProtocolError("expected: STATUS mailbox (items)")
        if args[0].upper() != "INBOX":
            await self._send(f"{tag} NO [NONEXISTENT] Mailbox does not exist")
            return
        box = self._sandbox.mailbox(self._user)
        values = {"MESSAGES": len(box.messages), "UIDNEXT": box.uidnext, "UIDVALIDITY": box.uidvalidity, "RECENT": 0}
        unknown = [item for item in items if item not in values]
        if unknown:
            raise _ProtocolError(f"unknown STATUS item {unknown[0]}")
        await self._send(f"* STATUS INBOX ({' '.join(f'{item} {values[item]}' for item in items)})")
        await self._send(f"{tag} OK STATUS completed")

    async def _authenticate(self, tag: str, mechanism: str, initial: str | None) -> None:
        """AUTHENTICATE XOAUTH2 (RFC 3501 6.2.2); its initial response inline (SASL-IR) or after a continuation."""
        if mechanism.upper() != "XOAUTH2" or not self._sandbox._oauth:
            await self._send(f"{tag} NO [CANNOT] Unsupported authentication mechanism")
            return
        if initial is not None and "SASL-IR" not in self._sandbox.capabilities.split():
            raise _ProtocolError("an initial response needs SASL-IR (RFC 4959)")
        if initial is None:
            await self._send("+ ")
            initial = (await self._reader.readuntil(b"\r\n"))[:-2].decode("ascii", "replace")
            if initial == "*":
                raise _ProtocolError("AUTHENTICATE cancelled")
        try:
            blob = base64.b64decode(initial, validate=True)
        except binascii.Error:
            raise _ProtocolError("invalid base64 in the SASL response") from None
        fields = dict(part.partition(b"=")[::2] for part in blob.rstrip(b"\x01").split(b"\x01"))
        user = fields.get(b"user", b"").decode("utf-8", "replace")
        scheme, _, token = fields.get(b"auth", b"").decode("utf-8", "replace").partition(" ")
        if not user or scheme.lower() != "bearer" or not token:
            raise _ProtocolError("invalid XOAUTH2 initial response")
        refused_by = self._sandbox._check_bearer(user, token)
        if refused_by is None:
            self._user = user
            await self._send(f"{tag} OK [CAPABILITY {self._sandbox.capabilities}] {user} authenticated (Success)")
            return
        if refused_by.flavor == "microsoft":
            await self._send(f"{tag} {OUTLOOK_XOAUTH2_REFUSED}")
            return
        # Gmail: the error as a base64 JSON continuation; the client answers with an empty line, then comes the NO.
        error = {"status": "401", "schemes": "bearer", "scope": IMAP_SCOPE["google"]}
        await self._send("+ " + base64.b64encode(json.dumps(error, separators=(",", ":")).encode()).decode())
        await self._reader.readuntil(b"\r\n")
        await self._send(f"{tag} {GMAIL_XOAUTH2_REFUSED}")

    async def _search_or_fetch(self, tag: str, command: str, rest: str) -> None:
        by_uid = command == "UID"
        if by_uid:
            command, _, rest = rest.partition(" ")
            command = command.upper()
            if command not in ("SEARCH", "FETCH"):
                raise _ProtocolError(f"UID {command[:20]} is not supported")
        if self._user is None or self._selected is None:
            raise _ProtocolError(f"{command} is valid only with a mailbox selected")
        box = self._sandbox.mailbox(self._user)
        name = f"UID {command}" if by_uid else command
        if command == "SEARCH":
            found = _search(box, _tokens(rest))
            numbers = [m.uid if by_uid else box.messages.index(m) + 1 for m in found]
            await self._send("* SEARCH" + "".join(f" {n}" for n in numbers))
            await self._send(f"{tag} OK {name} completed")
            return
        wanted, _, items = rest.strip().partition(" ")
        if not wanted or not items:
            raise _ProtocolError("expected: FETCH sequence-set items")
        names = _fetch_items(items)
        if by_uid and "UID" not in names:
            names.insert(0, "UID")  # RFC 3501 6.4.8: a UID FETCH always returns the UID
        for number, message in _in_set(box, wanted, by_uid):
            parts: list[bytes] = []
            for item in names:
                parts.append(self._fetch_item(message, item))
            self._writer.write(f"* {number} FETCH (".encode() + b" ".join(parts) + b")\r\n")
        await self._writer.drain()
        await self._send(f"{tag} OK {name} completed")

    def _fetch_item(self, message: _Message, item: str) -> bytes:
        if item == "UID":
            return f"UID {message.uid}".encode()
        if item == "FLAGS":
            return f"FLAGS ({' '.join(sorted(message.flags))})".encode()
        if item == "RFC822.SIZE":
            return f"RFC822.SIZE {len(message.data)}".encode()
        if item == "RFC822":
            return _literal("RFC822", message.data)
        partial = _PARTIAL.match(item)
        assert partial is not None  # _fetch_items accepts nothing else
        if not partial[1] and not self._read_only:
            message.flags.add("\\Seen")
        data = message.data
        label = "BODY[]"
        if partial[2] is not None:
            start = int(partial[2])
            data = data[start : start + int(partial[3])]
            label = f"BODY[]<{start}>"
        return _literal(label, data)


def _literal(label: str, data: bytes) -> bytes:
    return f"{label} {{{len(data)}}}\r\n".encode() + data


def _fetch_items(text: str) -> list[str]:
    """A fetch item or a parenthesized list of them; only the items this sandbox serves."""
    text = text.strip()
    if text.startswith("("):
        if not text.endswith(")"):
            raise _ProtocolError("unbalanced parentheses in fetch items")
        text = text[1:-1]
    items = [i.upper() for i in text.split()]
    for item in items:
        if item not in ("UID", "FLAGS", "RFC822.SIZE", "RFC822") and not _PARTIAL.match(item):
            raise _ProtocolError(f"fetch item {item[:40]} is not supported")
    if not items:
        raise _ProtocolError("no fetch items")
    return items


def _tokens(text: str) -> list[str]:
    """Search keys: atoms and quoted strings."""
    try:
        args, literal = _parse_arguments(text.encode() + b"\r\n")
    except _ProtocolError:
        raise
    if literal is not None:
        raise _ProtocolError("literals are not supported in SEARCH here")
    return args


def _search(box: _Mailbox, keys: list[str]) -> list[_Message]:
    """Messages matching every key (RFC 3501 6.4.4: a list of keys is their AND)."""
    found = list(box.messages)
    i = 0
    while i < len(keys):
        key = keys[i].upper()
        if key == "ALL":
            i += 1
        elif key == "UID" and i + 1 < len(keys):
            uids = {m.uid for _, m in _in_set(box, keys[i + 1], True)}
            found = [m for m in found if m.uid in uids]
            i += 2
        elif key == "HEADER" and i + 2 < len(keys):
            name, value = keys[i + 1], keys[i + 2].lower()
            found = [m for m in found if any(value in str(v).lower() for v in _headers(m).get_all(name, []))]
            i += 3
        elif key[:1].isdigit() or key[:1] == "*":
            numbers = {n for n, _ in _in_set(box, keys[i], False)}
            found = [m for m in found if box.messages.index(m) + 1 in numbers]
            i += 1
        else:
            raise _ProtocolError(f"search key {key[:40]} is not supported")
    return found


def _headers(message: _Message) -> EmailMessage:
    return BytesHeaderParser(policy=email.policy.compat32).parsebytes(message.data)  # type: ignore[return-value]


def _in_set(box: _Mailbox, sequence_set: str, by_uid: bool) -> list[tuple[int, _Message]]:
    """(message sequence number, message) of a sequence set such as 1,3:5,7:* (RFC 3501 9: seq-set). `*` is the
    highest number in use, so n:* always includes the last message, even when n is above it."""
    if not box.messages:
        return []
    highest = box.messages[-1].uid if by_uid else len(box.messages)
    wanted: set[int] = set()
    for part in sequence_set.split(","):
        low, _, high = part.partition(":")
        try:
            a = highest if low == "*" else int(low)
            b = a if not high else (highest if high == "*" else int(high))
        except ValueError:
            raise _ProtocolError(f"invalid sequence set {sequence_set[:40]}") from None
        if a < 1 or b < 1:
            raise _ProtocolError("sequence numbers start at 1")
        lo, hi = min(a, b), max(a, b)
        wanted.update(range(lo, min(hi, highest) + 1))
    return [(n, m) for n, m in enumerate(box.messages, 1) if (m.uid if by_uid else n) in wanted]


def build_dsn(
    sent: bytes,
    *,
    status: str = "5.1.1",
    action: str = "failed",
    diagnostic: str = "550 5.1.1 The email account that you tried to reach does not exist",
    reporting_mta: str = "mx.sandbox.invalid",
) -> bytes:
    """The delivery-status notification (RFC 3464: multipart/report; report-type=delivery-status) a receiving
    server sends back for a message it could not deliver: a human-readable part, the machine-readable
    message/delivery-status part, and the returned message's headers (text/rfc822-headers)."""
    original = BytesParser(policy=email.policy.default).parsebytes(sent, headersonly=True)
    recipient = str(original["To"] or "unknown@invalid")
    dsn = EmailMessage(policy=email.policy.SMTP)
    dsn["From"] = f"Mail Delivery Subsystem <mailer-daemon@{reporting_mta}>"
    dsn["To"] = str(original["From"] or "")
    dsn["Subject"] = "Delivery Status Notification (Failure)" if action == "failed" else "Delivery Status Notification"
    dsn["Date"] = format_datetime(datetime.now(UTC))
    dsn["Message-ID"] = make_msgid(domain=reporting_mta)
    if original["Message-ID"]:
        dsn["In-Reply-To"] = str(original["Message-ID"])
        dsn["References"] = str(original["Message-ID"])
    dsn.set_content(f"Your message to {recipient} could not be delivered.\n\n{diagnostic}\n")
    dsn.make_mixed()
    dsn.replace_header("Content-Type", "multipart/report")
    dsn.set_param("report-type", "delivery-status")
    # The email package holds a message/delivery-status payload as its field blocks, each a header-only message.
    per_message = EmailMessage(policy=email.policy.SMTP)
    per_message["Reporting-MTA"] = f"dns; {reporting_mta}"
    per_message["Arrival-Date"] = str(dsn["Date"])
    per_recipient = EmailMessage(policy=email.policy.SMTP)
    per_recipient["Final-Recipient"] = f"rfc822; {recipient}"
    per_recipient["Action"] = action
    per_recipient["Status"] = status
    per_recipient["Diagnostic-Code"] = f"smtp; {diagnostic}"
    status_part = EmailMessage(policy=email.policy.SMTP)
    status_part["Content-Type"] = "message/delivery-status"
    status_part.set_payload([per_message, per_recipient])
    headers_part = EmailMessage(policy=email.policy.SMTP)
    header_block = sent.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("ascii", "replace")
    headers_part.set_payload(header_block.replace("\n", "\r\n") + "\r\n")
    headers_part["Content-Type"] = "text/rfc822-headers"
    dsn.attach(status_part)
    dsn.attach(headers_part)
    return dsn.as_bytes()


def _arity(args: list[str], count: int) -> None:
    if len(args) != count:
        raise _ProtocolError(f"expected {count} argument(s), got {len(args)}")


def _split_command(line: bytes) -> tuple[str, str, bytes]:
    """tag SP command [SP arguments] CRLF."""
    body = line[:-2]
    parts = body.split(b" ", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise _ProtocolError("expected: tag command [arguments]")
    tag = parts[0].decode("ascii", "replace")
    if any(c in tag for c in '(){%*"\\+') or not tag.isprintable():
        raise _ProtocolError("invalid tag")
    return tag, parts[1].decode("ascii", "replace"), (parts[2] + b"\r\n") if len(parts) > 2 else b"\r\n"


def _parse_arguments(rest: bytes) -> tuple[list[str], int | None]:
    """Atoms and quoted strings up to CRLF; a line ending in a literal announcement {n} returns n as well."""
    text = rest[:-2] if rest.endswith(b"\r\n") else rest
    args: list[str] = []
    i = 0
    while i < len(text):
        c = text[i : i + 1]
        if c == b" ":
            i += 1
            continue
        if c == b'"':
            value = bytearray()
            i += 1
            while True:
                if i >= len(text):
                    raise _ProtocolError("unterminated quoted string")
                ch = text[i : i + 1]
                if ch == b"\\":
                    if i + 1 >= len(text) or text[i + 1 : i + 2] not in (b"\\", b'"'):
                        raise _ProtocolError("invalid escape in quoted string")
                    value += text[i + 1 : i + 2]
                    i += 2
                elif ch == b'"':
                    i += 1
                    break
                else:
                    value += ch
                    i += 1
            args.append(value.decode("utf-8", "replace"))
            continue
        if c == b"{":
            end = text.find(b"}", i)
            if end != len(text) - 1:
                raise _ProtocolError("a literal must end the line")
            size = text[i + 1 : end]
            if not size.isdigit():
                raise _ProtocolError("invalid literal size")
            return args, int(size)
        end = text.find(b" ", i)
        end = len(text) if end < 0 else end
        atom = text[i:end]
        if any(ch in atom for ch in b'(){"\\') or any(ch < 0x21 or ch > 0x7E for ch in atom):
            raise _ProtocolError("invalid atom")
        args.append(atom.decode("ascii"))
        i = end
    return args, None
