"""Sends email over SMTP (aiosmtplib) and probes a login, for inboxes connected by SMTP credentials or by OAuth
(SASL XOAUTH2 with an access token, as Gmail and Outlook take it).

Every failure becomes an `SmtpError` with the stage it happened at (connect, login, mail, rcpt, data), the
server's reply code and its RFC 3463 enhanced status code when given, and a `kind` (the Unipile client's
`FailureKind`) that says whose problem it is (DESIGN T1, T3, T5):
- authentication refused (530/534/535, 5.7.8, any 5xx to AUTH) -> DISCONNECTED, the probe decides (A4);
- 4xx anywhere -> TRANSIENT, retry later;
- a 5xx at MAIL, RCPT or DATA is definite, nothing was sent: 5.1.x/5.2.x at RCPT or DATA (no such mailbox, mailbox
  full) -> PROSPECT_REFUSED, this recipient only; a 5xx at MAIL, or a 5.7.x whose text names the sender,
  authentication or relaying -> SENDER_REFUSED, the inbox's problem (its email steps wait, the prospect keeps
  its place); any other 5xx at RCPT or DATA (a content filter's 550 5.7.1) -> PROSPECT_REFUSED, this message;
- only a missing answer once DATA was sent is UNKNOWN: the server may hold the message (S8), and a blind retry
  could send it twice; the caller's Message-ID lets it be reconciled later.
The password never appears in an error, a repr or a log line, nor does an access token.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal, TypeVar

import aiosmtplib

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

Stage = Literal["connect", "login", "mail", "rcpt", "data"]
T = TypeVar("T")
# Authentication required (530), temporary auth failure treated as refused (534), bad credentials (535).
_AUTH_CODES = frozenset({530, 534, 535})
# RFC 3463: class.subject.detail at the start of the reply text.
_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})(?=\s|$)")
# A policy refusal (5.7.x) is the inbox's when it says so: its sender address, its login, or relaying.
_SENDER_WORDS = re.compile(r"\bsender\b|\bauthenticat|\brelay|\bnot owned by\b|\bsend as\b|\bspoof", re.IGNORECASE)
# 5.1.7 bad sender mailbox syntax, 5.1.8 bad sender system address: the sender's, not the recipient's.
_SENDER_ADDRESS_DETAILS = frozenset({"5.1.7", "5.1.8"})
# SASL mechanisms tried, best first; only the first the server offers is used (see _login).
_MECHANISMS = ("PLAIN", "LOGIN")
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
    # security "none" to a public address (the password in plaintext over the internet): refused unless allowed.
    allow_public_plaintext: bool = False

    def __post_init__(self) -> None:
        check_endpoint(self.security, self.port)
        if self.access_token and (self.password or not self.username):
            raise ValueError("an access token logs in as a username and takes no password")


@dataclass(frozen=True)
class SendResult:
    message_id: str
    # True when the server took responsibility for the message; any refusal raises SmtpError instead.
    accepted: bool
    # The server's final answer to DATA, often with its queue id (worth logging).
    response: str


class SmtpError(MailServerError):
    """A failed SMTP exchange. `code` is the server's reply code, None when there was no answer; `enhanced` its
    RFC 3463 status code ("5.7.1") when it gave one."""

    def __init__(
        self,
        kind: FailureKind,
        code: int | None,
        message: str,
        *,
        stage: str = "",
        enhanced: str = "",
        reason: str = "",
    ) -> None:
        super().__init__(kind, code, message, reason)
        self.code = code
        self.stage = stage
        self.enhanced = enhanced

    def __str__(self) -> str:
        return f"SMTP {self.code if self.code is not None else '-'} ({self.kind}): {self.message}"

    def __repr__(self) -> str:
        return (
            f"SmtpError(kind={self.kind.value!r}, code={self.code!r}, enhanced={self.enhanced!r}, "
            f"stage={self.stage!r}, message={self.message!r})"
        )


async def send_email(
    settings: SmtpSettings,
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    message_id: str,
    headers: Mapping[str, str] | None = None,
    sender_name: str = "",
    timeout_s: float = 30,
) -> SendResult:
    """Send one plain-text UTF-8 email; `timeout_s` bounds the whole exchange, connection included. `sender_name`
    is the From header's display name (`From: "Ada Lovelace" <ada@acme.example>`); `headers` are added as given
    (List-Unsubscribe and the like)."""
    raw = build_message(
        sender=sender,
        to=to,
        subject=subject,
        body=body,
        message_id=message_id,
        headers=headers,
        sender_name=sender_name,
    )

    async def deliver(client: aiosmtplib.SMTP, stage: _Stage) -> str:
        stage.name = "mail"
        await client.mail(sender)
        stage.name = "rcpt"
        await client.rcpt(to)
        stage.name = "data"
        reply = await client.data(raw)
        return reply.message

    response = await _logged_in(settings, timeout_s, deliver)
    return SendResult(message_id=message_id, accepted=True, response=response)


async def check_login(settings: SmtpSettings, timeout_s: float = 15) -> None:
    """Connect and log in, nothing more: the live check behind inbox health and reconnect (DESIGN A4)."""

    async def nothing_more(client: aiosmtplib.SMTP, stage: _Stage) -> None:
        return None

    await _logged_in(settings, timeout_s, nothing_more)


@dataclass
class _Stage:
    """Where the exchange is, for the error (a step moves it on as it goes)."""

    name: Stage


async def _logged_in(
    settings: SmtpSettings, timeout_s: float, then: Callable[[aiosmtplib.SMTP, _Stage], Awaitable[T]]
) -> T:
    """Connect, log in, run `then` and quit; `timeout_s` bounds all but the quit, every failure is an SmtpError."""
    client = _client(settings, timeout_s)
    stage = _Stage("connect")
    try:
        async with asyncio.timeout(timeout_s):
            await _refuse_public_plaintext(settings)
            await client.connect()
            stage.name = "login"
            await _login(client, settings)
            result = await then(client, stage)
        await _quit(client)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise _error(exc, stage.name, settings) from None
    finally:
        client.close()
    return result


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    body: str,
    message_id: str,
    headers: Mapping[str, str] | None = None,
    sender_name: str = "",
) -> bytes:
    """The message as it goes on the wire (CRLF, 7-bit). Extra `headers` come last, after the standard ones."""
    if not (message_id.startswith("<") and message_id.endswith(">") and "@" in message_id):
        raise ValueError(f"message_id must look like <id@domain>, got {message_id!r}")
    # Non-ASCII addresses need SMTPUTF8, which many servers lack; refuse them before any connection.
    if not (sender.isascii() and to.isascii()):
        raise ValueError("sender and recipient addresses must be ASCII")
    message = EmailMessage(policy=_POLICY)
    message["Message-ID"] = message_id
    message["Date"] = format_datetime(datetime.now(UTC))
    # A display name is quoted or RFC 2047-encoded by the email package as it needs; never a bare address
    # when the inbox has a name (recipients' clients show the name).
    message["From"] = Address(display_name=sender_name, addr_spec=sender) if sender_name else sender
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
        # One mechanism only: aiosmtplib's login() tries each offered mechanism in turn, so a wrong password is
        # refused twice (PLAIN, then LOGIN), doubling the server's failure delay and the failed-login count that
        # lockout policies and fail2ban watch. A password that one mechanism refuses, another refuses too.
        await client._ehlo_or_helo_if_needed()
        if not client.supports_extension("auth"):
            raise aiosmtplib.SMTPException("the server offers no SMTP AUTH here (TLS may be required first)")
        offered = {method.upper() for method in client.server_auth_methods}
        mechanism = next((m for m in _MECHANISMS if m in offered), None)
        if mechanism is None:
            raise aiosmtplib.SMTPException(f"the server offers no usable AUTH mechanism ({', '.join(sorted(offered))})")
        login = client.auth_plain if mechanism == "PLAIN" else client.auth_login
        await login(settings.username, settings.password)


async def _refuse_public_plaintext(settings: SmtpSettings) -> None:
    # Without a username nothing logs in, so no password can travel.
    if settings.username and await refuses_plaintext(
        settings.host, settings.port, settings.security, settings.allow_public_plaintext
    ):
        raise SmtpError(
            FailureKind.DISCONNECTED,
            None,
            f"connect: {plaintext_refusal(settings.host)}",
            stage="connect",
            reason=PLAINTEXT_REFUSED,
        )


async def _quit(client: aiosmtplib.SMTP) -> None:
    # Outside the exchange's deadline and never raising: the outcome is decided, a failed goodbye changes nothing.
    with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
        await client.quit(timeout=_QUIT_TIMEOUT_S)


def _error(exc: BaseException, stage: str, settings: SmtpSettings) -> SmtpError:
    problem = certificate_problem(exc)
    if problem is not None:
        # Not the network: the member must fix the server name or the trust store. Nothing was sent; the inbox
        # cannot send until then (A4, reported at once by the probe).
        return SmtpError(
            FailureKind.DISCONNECTED,
            None,
            f"{stage}: {describe(settings.host, problem)}",
            stage=stage,
            reason=TLS_CERTIFICATE,
        )
    code: int | None = getattr(exc, "code", None)
    if code is not None and not 200 <= code < 600:
        code = None  # aiosmtplib uses -1 for "no reply"
    # asyncio.timeout's TimeoutError has no text of its own.
    text = str(getattr(exc, "message", "") or exc) or ("timed out" if isinstance(exc, TimeoutError) else repr(exc))
    enhanced = enhanced_code(text) if code is not None else ""
    kind = classify(stage, code, enhanced, text, auth_refused=isinstance(exc, aiosmtplib.SMTPAuthenticationError))
    if kind is FailureKind.UNKNOWN and code is None and stage == "data":
        text = f"no answer to DATA, the message may have been delivered ({text})"
    for secret in (settings.password, settings.access_token):
        if secret:
            text = text.replace(secret, "[redacted]")
    return SmtpError(kind, code, f"{stage}: {text}", stage=stage, enhanced=enhanced)


def enhanced_code(text: str) -> str:
    """The RFC 3463 status code at the start of a reply's text ("5.7.1"), or ""."""
    found = _ENHANCED.match(text)
    return ".".join(found.groups()) if found else ""


def classify(stage: str, code: int | None, enhanced: str, text: str, *, auth_refused: bool = False) -> FailureKind:
    """What an SMTP failure means, by the stage it happened at, the reply code and the enhanced code (T5)."""
    if code is None:
        # No answer: before DATA nothing can have been taken, after it the server may hold the message.
        return FailureKind.UNKNOWN if stage == "data" else FailureKind.TRANSIENT
    if (
        code in _AUTH_CODES
        or enhanced == "5.7.8"
        or (stage == "login" and code >= 500)
        or (auth_refused and code >= 500)
    ):
        return FailureKind.DISCONNECTED
    # After the AUTH check: a 454 "temporary authentication failure" is no reason to disconnect the inbox.
    if 400 <= code < 500:
        return FailureKind.TRANSIENT
    if code < 500:
        return FailureKind.UNKNOWN  # a 2xx or 3xx where a refusal was expected: cannot tell
    subject = enhanced.split(".")[1] if enhanced else ""
    if stage in ("connect", "mail") or enhanced in _SENDER_ADDRESS_DETAILS:
        # Refused before any recipient was named (the greeting, EHLO, STARTTLS, MAIL FROM): the inbox's problem.
        return FailureKind.SENDER_REFUSED
    if subject in ("1", "2"):
        return FailureKind.PROSPECT_REFUSED
    if _SENDER_WORDS.search(text) and (subject == "7" or not enhanced):
        return FailureKind.SENDER_REFUSED
    # A definite refusal of this message to this recipient (a content filter at DATA, a policy at RCPT).
    return FailureKind.PROSPECT_REFUSED
