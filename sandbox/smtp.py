"""A real SMTP server for tests and local runs: the sandbox of an inbox's outgoing mail server.

Built on aiosmtpd's SMTP protocol, so the real sender (`services.common.providers.smtp`) talks real SMTP to it:
EHLO, AUTH PLAIN or LOGIN over plain text (no TLS here), MAIL FROM refused with 530 before AUTH, as
providers do, RCPT, DATA. Tests steer it: change a password (later logins with the old one answer 535), refuse
a recipient, hold the answer to DATA (the client times out although the message arrived: S8's unknown outcome).

AUTH XOAUTH2 (Gmail's and Outlook's SASL mechanism for OAuth 2.0 access tokens) is served once an OAuth sandbox
(`sandbox.oauth`) is trusted with `trust_oauth`: the bearer token must be a live access token that server issued to
the user named in the login. A refused token gets the provider's answer: Gmail sends a 334 challenge carrying a
base64 JSON error, waits for the client's empty line, then answers 535 5.7.8; Outlook answers 535 5.7.3 at once.

It runs on the caller's event loop rather than in aiosmtpd's Controller thread: the Controller cannot serve
port 0 (its readiness probe connects to the configured port), and with one loop `start`/`stop` are plain awaits
and the recorded messages need no lock.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any, cast

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, Envelope, LoginPassword, Session

from sandbox.oauth import SMTP_SCOPE, OAuthState


class _NoLoginDataNotice(logging.Filter):
    """aiosmtpd itself sets its deprecated `Session.login_data` after every successful AUTH and logs a warning each
    time (hundreds in one test run). The sandbox never reads it (it keeps `auth_data`), so that one line is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Session.login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_NoLoginDataNotice())

SERVER_NAME = "smtp.sandbox.invalid"
# What Gmail and Outlook answer when an XOAUTH2 login is refused.
GMAIL_XOAUTH2_REFUSED = (
    "535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
    "535 5.7.8  https://support.google.com/mail/?p=BadCredentials - gsmtp"
)
OUTLOOK_XOAUTH2_REFUSED = "535 5.7.3 Authentication unsuccessful"


@dataclass(frozen=True)
class Authenticated:
    """Who a session logged in as and how: kept as the session's auth_data (never the password or token)."""

    login: bytes
    mechanism: str


@dataclass(frozen=True)
class ReceivedMessage:
    # The login the client authenticated as.
    user: str
    # The SASL mechanism it authenticated with: PLAIN, LOGIN or XOAUTH2.
    mechanism: str
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message_id: str
    subject: str
    # The text/plain part, decoded.
    body: str
    # The whole parsed message, for any other header.
    message: EmailMessage


class SandboxSmtp:
    """One SMTP server. The `handle_*` methods are aiosmtpd's hooks, called for each command."""

    def __init__(self) -> None:
        self._passwords: dict[str, str] = {}
        self._refused: dict[str, int] = {}
        self._messages: list[ReceivedMessage] = []
        self._data_reply_delay_s = 0.0
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._oauth: list[OAuthState] = []
        # Called with each message received (the sandbox process prints Holdfast's own mail with it).
        self.on_message: Callable[[ReceivedMessage], None] | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on host:port (0: any free port) and return the bound port."""
        if self._server is not None:
            raise RuntimeError("the SMTP sandbox is already running")
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self, loop), host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening, drop open connections and wait until their handlers have ended."""
        if self._server is None:
            return
        self._server.close()
        connections = list(self._connections)
        for connection in connections:
            if connection.transport is not None:
                connection.transport.close()
        await self._server.wait_closed()
        # Closing a transport cancels the connection's handler task; await them so nothing outlives stop().
        tasks = [task for connection in connections if (task := connection.handler_task()) is not None]
        await asyncio.gather(*tasks, return_exceptions=True)
        self._server = None

    def set_password(self, username: str, password: str) -> None:
        """Create the user or change its password; sessions already logged in stay logged in."""
        self._passwords[username] = password

    def trust_oauth(self, *servers: OAuthState) -> None:
        """Accept AUTH XOAUTH2 with the access tokens these OAuth sandboxes issue (checked at each login, so a
        revoked or expired token is refused from then on)."""
        self._oauth.extend(servers)

    def reject_recipient(self, address: str, code: int = 550) -> None:
        """Answer RCPT TO for this address (any case) with `code`: 5xx refuses it for good, 4xx for now."""
        if not 400 <= code < 600:
            raise ValueError(f"a refusal code is 4xx or 5xx, got {code}")
        self._refused[address.lower()] = code

    def delay_data_reply(self, seconds: float) -> None:
        """Hold the answer to DATA this long after recording the message (0: answer at once)."""
        self._data_reply_delay_s = seconds

    @property
    def messages(self) -> list[ReceivedMessage]:
        """The messages received so far, oldest first (a copy)."""
        return list(self._messages)

    def clear(self) -> None:
        """Forget received messages, refused recipients and the DATA delay; users and passwords stay."""
        self._messages.clear()
        self._refused.clear()
        self._data_reply_delay_s = 0.0

    def _authenticate(
        self, _server: SMTP, _session: Session, _envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        # aiosmtpd's built-in PLAIN and LOGIN both hand over a LoginPassword; a failure answers 535.
        if isinstance(auth_data, LoginPassword):
            expected = self._passwords.get(auth_data.login.decode("utf-8", "replace"))
            if expected is not None and hmac.compare_digest(auth_data.password, expected.encode()):
                return AuthResult(success=True, auth_data=Authenticated(auth_data.login, mechanism))
        return AuthResult(success=False, handled=False)

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """aiosmtpd calls `auth_<MECHANISM>` methods of the handler. The initial response is
        base64("user=" user "\\x01auth=Bearer " token "\\x01\\x01"), inline or after an empty 334 challenge.
        Offered only once an OAuth sandbox is trusted (see _Connection)."""
        if len(args) == 1:
            blob = await server.challenge_auth("")
            if blob is MISSING:
                return AuthResult(success=False, handled=True)  # aiosmtpd has answered 501
        else:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except binascii.Error:
                await server.push("501 5.5.2 Cannot Decode response")
                return AuthResult(success=False, handled=True)
        assert isinstance(blob, bytes)
        fields = dict(part.partition(b"=")[::2] for part in blob.rstrip(b"\x01").split(b"\x01"))
        user = fields.get(b"user", b"").decode("utf-8", "replace")
        scheme, _, token = fields.get(b"auth", b"").decode("utf-8", "replace").partition(" ")
        if not user or scheme.lower() != "bearer" or not token:
            await server.push("501 5.5.2 Invalid XOAUTH2 initial response")
            return AuthResult(success=False, handled=True)
        issuer = next((o for o in self._oauth if o.issued(token)), self._oauth[0])
        if issuer.bearer_refusal(user, token) is None:
            return AuthResult(success=True, auth_data=Authenticated(user.encode(), "XOAUTH2"))
        if issuer.flavor == "microsoft":
            return AuthResult(success=False, handled=False, message=OUTLOOK_XOAUTH2_REFUSED)
        # Gmail: the error as a JSON challenge (the example of Google's XOAUTH2 protocol page); the client answers
        # with an empty line, then comes the 535.
        error = {"status": "401", "schemes": "bearer mac", "scope": SMTP_SCOPE["google"]}
        if await server.challenge_auth(json.dumps(error, separators=(",", ":"))) is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False, message=GMAIL_XOAUTH2_REFUSED)

    async def handle_MAIL(
        self, _server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, _server: SMTP, _session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        code = self._refused.get(address.lower())
        if code is not None:
            return f"{code} <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, _server: SMTP, session: Session, envelope: Envelope) -> str:
        # Wire line ends (CRLF) become local ones before parsing, else decoded bodies keep their CRs.
        content = (envelope.original_content or b"").replace(b"\r\n", b"\n")
        # With the default policy the parser builds an EmailMessage.
        message = cast(EmailMessage, BytesParser(policy=default_policy).parsebytes(content))
        plain = message.get_body(preferencelist=("plain",))
        message_id = str(message.get("Message-ID", ""))
        self._messages.append(
            ReceivedMessage(
                # MAIL needs a login, so auth_data is the Authenticated of `_authenticate` or `auth_XOAUTH2`.
                user=session.auth_data.login.decode("utf-8", "replace"),
                mechanism=session.auth_data.mechanism,
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                message_id=message_id,
                subject=str(message.get("Subject", "")),
                body=plain.get_content() if plain is not None else "",
                message=message,
            )
        )
        if self.on_message is not None:
            self.on_message(self._messages[-1])
        if self._data_reply_delay_s:
            await asyncio.sleep(self._data_reply_delay_s)
        return f"250 2.0.0 Ok: queued as {message_id}"


class _Connection(SMTP):
    """aiosmtpd's protocol for one client connection, known to the sandbox while it is open."""

    def __init__(self, sandbox: SandboxSmtp, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(
            sandbox,
            hostname=SERVER_NAME,
            ident="Holdfast SMTP sandbox",
            authenticator=sandbox._authenticate,
            # No TLS in the sandbox, so AUTH must be allowed in clear text.
            auth_require_tls=False,
            # Like a password-only server, XOAUTH2 is not even offered until an OAuth sandbox is trusted.
            auth_exclude_mechanism=() if sandbox._oauth else ("XOAUTH2",),
            loop=loop,
        )
        self._sandbox = sandbox

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._sandbox._connections.add(self)

    def connection_lost(self, error: Exception | None) -> None:
        self._sandbox._connections.discard(self)
        super().connection_lost(error)

    def handler_task(self) -> asyncio.Task[None] | None:
        # aiosmtpd keeps the task serving this connection in a private attribute; nothing public exposes it.
        return self._handler_coroutine
