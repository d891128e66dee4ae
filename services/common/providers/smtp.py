"""Sends email over SMTP (aiosmtplib) and probes a login, for inboxes connected by SMTP credentials or by OAuth
(SASL XOAUTH2 with an access token, as Gmail and Outlook take it).

Every failure becomes an `SmtpError` whose `kind` is the Unipile client's `FailureKind`, so the scheduler
classifies both providers the same way (DESIGN S10, A4): authentication refused -> DISCONNECTED, recipient
refused -> PROSPECT_REFUSED, 4xx and network trouble -> TRANSIENT, anything else -> UNKNOWN. The password never
appears in an error, a repr or a log line, nor does an access token.

A send carries the caller's Message-ID so that an attempt whose outcome is unknown can be reconciled later
(DESIGN S8). That is also why a network failure while the server answers DATA is UNKNOWN and not TRANSIENT: the
server may already hold the message, and a blind retry could send it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal, get_args

import aiosmtplib

from services.common.providers.unipile import FailureKind

Security = Literal["ssl", "starttls", "none"]
# Authentication required (530), temporary auth failure treated as refused (534), bad credentials (535).
_AUTH_CODES = frozenset({530, 534, 535})
# Refusals that concern this recipient only: no such mailbox, not local, bad mailbox name, bad address syntax.
_RECIPIENT_CODES = frozenset({550, 551, 553, 501})
# CRLF line ends and 7-bit transfer encodings only (quoted-printable or base64 for UTF-8): no server needs 8BITMIME.
_POLICY = email.policy.SMTP.clone(cte_type="7bit")
_QUIT_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: Security
    # Empty: the server takes mail without AUTH (a local relay).
    username: str
    password: str = field(repr=False)
    # An OAuth 2.0 access token: log in with XOAUTH2 as `username` instead of with the password.
    access_token: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if self.security not in get_args(Security):
            raise ValueError(f"security must be one of {', '.join(get_args(Security))}, got {self.security!r}")
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be between 1 and 65535, got {self.port}")
        if self.access_token and (self.password or not self.username):
            raise ValueError("an access token logs in as a username and takes no password")


@dataclass(frozen=True)
class SendResult:
    message_id: str
    # True when the server took responsibility for the message; any refusal raises SmtpError instead.
    accepted: bool
    # The server's final answer to DATA, often with its queue id (worth logging).
    response: str


class SmtpError(Exception):
    """A failed SMTP exchange. `code` is the server's reply code, None when there was no answer."""

    def __init__(self, kind: FailureKind, code: int | None, message: str) -> None:
        super().__init__(kind, code, message)
        self.kind = kind
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"SMTP {self.code if self.code is not None else '-'} ({self.kind}): {self.message}"

    def __repr__(self) -> str:
        return f"SmtpError(kind={self.kind.value!r}, code={self.code!r}, message={self.message!r})"


async def send_email(
    settings: SmtpSettings,
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    message_id: str,
    headers: Mapping[str, str] | None = None,
    timeout_s: float = 30,
) -> SendResult:
    """Send one plain-text UTF-8 email; `timeout_s` bounds the whole exchange, connection included."""
    raw = _build_message(sender=sender, to=to, subject=subject, body=body, message_id=message_id, headers=headers)
    client = _client(settings, timeout_s)
    stage = "connect"
    try:
        async with asyncio.timeout(timeout_s):
            await client.connect()
            stage = "login"
            await _login(client, settings)
            stage = "mail"
            await client.mail(sender)
            stage = "rcpt"
            await client.rcpt(to)
            stage = "data"
            reply = await client.data(raw)
        await _quit(client)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise _error(exc, stage, settings) from None
    finally:
        client.close()
    return SendResult(message_id=message_id, accepted=True, response=reply.message)


async def check_login(settings: SmtpSettings, timeout_s: float = 15) -> None:
    """Connect and log in, nothing more: the live check behind inbox health and reconnect (DESIGN A4)."""
    client = _client(settings, timeout_s)
    stage = "connect"
    try:
        async with asyncio.timeout(timeout_s):
            await client.connect()
            stage = "login"
            await _login(client, settings)
        await _quit(client)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise _error(exc, stage, settings) from None
    finally:
        client.close()


def _build_message(
    *, sender: str, to: str, subject: str, body: str, message_id: str, headers: Mapping[str, str] | None
) -> bytes:
    if not (message_id.startswith("<") and message_id.endswith(">") and "@" in message_id):
        raise ValueError(f"message_id must look like <id@domain>, got {message_id!r}")
    # Non-ASCII addresses need SMTPUTF8, which many servers lack; refuse them before any connection.
    if not (sender.isascii() and to.isascii()):
        raise ValueError("sender and recipient addresses must be ASCII")
    message = EmailMessage(policy=_POLICY)
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(datetime.now(UTC))
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body, charset="utf-8")
    # Added last: the email package refuses a second Message-ID, Subject, Content-Type... with a ValueError.
    for name, value in (headers or {}).items():
        message[name] = value
    return message.as_bytes()


def _client(settings: SmtpSettings, timeout_s: float) -> aiosmtplib.SMTP:
    if timeout_s <= 0:
        raise ValueError("timeout_s must be positive")
    return aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        use_tls=settings.security == "ssl",
        # Explicit either way: aiosmtplib's default upgrades whenever offered, which "none" must not do.
        start_tls=settings.security == "starttls",
        timeout=timeout_s,
    )


async def _login(client: aiosmtplib.SMTP, settings: SmtpSettings) -> None:
    if settings.access_token:
        # aiosmtplib's XOAUTH2: on a refused token it answers the server's 334 error challenge with an empty
        # line and raises SMTPAuthenticationError with the final 535.
        await client.auth_xoauth2(settings.username, settings.access_token)
    elif settings.username:
        await client.login(settings.username, settings.password)


async def _quit(client: aiosmtplib.SMTP) -> None:
    # Outside the exchange's deadline and never raising: the outcome is decided, a failed goodbye changes nothing.
    with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
        await client.quit(timeout=_QUIT_TIMEOUT_S)


def _error(exc: BaseException, stage: str, settings: SmtpSettings) -> SmtpError:
    code: int | None = getattr(exc, "code", None)
    kind = _classify(exc, code, stage)
    # asyncio.timeout's TimeoutError has no text of its own.
    text = str(getattr(exc, "message", "") or exc) or ("timed out" if isinstance(exc, TimeoutError) else repr(exc))
    if kind is FailureKind.UNKNOWN and code is None and stage == "data":
        text = f"no answer to DATA, the message may have been delivered ({text})"
    for secret in (settings.password, settings.access_token):
        if secret:
            text = text.replace(secret, "[redacted]")
    return SmtpError(kind, code, f"{stage}: {text}")


def _classify(exc: BaseException, code: int | None, stage: str) -> FailureKind:
    if code in _AUTH_CODES:
        return FailureKind.DISCONNECTED
    # Before the AUTH check: a 454 "temporary authentication failure" is no reason to disconnect the inbox.
    if code is not None and 400 <= code < 500:
        return FailureKind.TRANSIENT
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return FailureKind.DISCONNECTED
    if code is not None:
        if stage == "rcpt" and code in _RECIPIENT_CODES:
            return FailureKind.PROSPECT_REFUSED
        return FailureKind.UNKNOWN
    if isinstance(exc, OSError | TimeoutError):
        # aiosmtplib's connection and timeout errors are OSError or TimeoutError subclasses too.
        return FailureKind.UNKNOWN if stage == "data" else FailureKind.TRANSIENT
    return FailureKind.UNKNOWN
