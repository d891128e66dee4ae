"""One IMAP connection (RFC 3501) on asyncio streams: connect (TLS, STARTTLS, or plaintext to a private address
only), log in, talk, log out. The mailbox reads in `imap.py` run their commands on a `Session`.

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

from services.common.providers.tls import (
    PLAINTEXT_REFUSED,
    TLS_CERTIFICATE,
    MailServerError,
    Security,
    certificate_problem,
    check_endpoint,
    describe,
    plaintext_refusal,
    refuses_plaintext,
)
from services.common.providers.unipile import FailureKind

# Response codes of a NO that say "try later", not "these credentials are wrong" (RFC 5530).
_TRANSIENT_CODES = ("UNAVAILABLE", "INUSE", "LIMIT", "SERVERBUG")
_MAX_LINE = 65536
_LOGOUT_TIMEOUT_S = 2.0
# The largest part of a message a read may ask for (a partial FETCH): a literal larger than it (headroom aside) is
# refused, so a huge message is never held in memory.
MAX_PART_BYTES = 256 * 1024
_LITERAL = re.compile(rb"\{(\d+)\}$")


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
        check_endpoint(self.security, self.port)


class ImapError(MailServerError):
    """A failed IMAP exchange; `status` is the server's answer (NO, BAD, BYE), None when there was none."""

    def __init__(self, kind: FailureKind, status: str | None, message: str, *, reason: str = "") -> None:
        super().__init__(kind, status, message, reason)
        self.status = status

    def __str__(self) -> str:
        return f"IMAP {self.status or '-'} ({self.kind}): {self.message}"

    def __repr__(self) -> str:
        return f"ImapError(kind={self.kind.value!r}, status={self.status!r}, message={self.message!r})"


@contextlib.asynccontextmanager
async def logged_in(settings: ImapSettings, timeout_s: float) -> AsyncIterator[Session]:
    """A logged-in session; every failure becomes an ImapError. `timeout_s` bounds the whole exchange."""
    if timeout_s <= 0:
        raise ValueError("timeout_s must be positive")
    stage = "connect"
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout_s):
            if await refuses_plaintext(
                settings.host, settings.port, settings.security, settings.allow_public_plaintext
            ):
                raise ImapError(
                    FailureKind.DISCONNECTED,
                    None,
                    plaintext_refusal(settings.host),
                    reason=PLAINTEXT_REFUSED,
                )
            reader, writer = await asyncio.open_connection(
                settings.host,
                settings.port,
                ssl=_tls_context() if settings.security == "ssl" else None,
                limit=_MAX_LINE,
            )
            session = Session(reader, writer)
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
                        "XOAUTH2", _xoauth2(settings.username, settings.access_token), "SASL-IR" in capabilities
                    )
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
            raise _redacted(
                ImapError(FailureKind.DISCONNECTED, None, describe(settings.host, problem), reason=TLS_CERTIFICATE),
                stage,
                settings,
            ) from None
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


class Session:
    """One connection's IMAP conversation: tagged commands out, their untagged and tagged answers in."""

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
        self._writer.write(
            f"{tag} AUTHENTICATE {mechanism}".encode() + (b" " + encoded if initial_inline else b"") + b"\r\n"
        )
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
                if int(size[1]) > MAX_PART_BYTES + 1024:
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
