"""The real SMTP sender against the SMTP sandbox: real SMTP over TCP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime

import pytest

from sandbox.smtp import SandboxSmtp
from services.common.providers.smtp import (
    SendResult,
    SmtpError,
    SmtpSettings,
    build_message,
    check_login,
    classify,
    enhanced_code,
    send_email,
)
from services.common.providers.tls import plaintext_allowed
from services.common.providers.unipile import FailureKind

USER = "ada@acme.example"
PASSWORD = "app-pw-Zq8v1W3nB7x0"
SENDER = "Ada Lovelace <ada@acme.example>"
PROSPECT = "grace@prospect.example"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
async def server() -> AsyncIterator[tuple[SandboxSmtp, int]]:
    smtp = SandboxSmtp()
    port = await smtp.start()
    yield smtp, port
    await smtp.stop()


@pytest.fixture
def smtp(server: tuple[SandboxSmtp, int]) -> SandboxSmtp:
    sandbox, _ = server
    sandbox.clear()
    sandbox.set_password(USER, PASSWORD)
    return sandbox


@pytest.fixture
def settings(server: tuple[SandboxSmtp, int]) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=server[1], security="none", username=USER, password=PASSWORD)


def with_password(settings: SmtpSettings, password: str) -> SmtpSettings:
    return dataclasses.replace(settings, password=password)


async def send(
    settings: SmtpSettings, *, to: str = PROSPECT, message_id: str = "<a1@acme.example>", timeout_s: float = 30
) -> SendResult:
    return await send_email(
        settings,
        sender="ada@acme.example",
        to=to,
        subject="Hi",
        body="Hello\n",
        message_id=message_id,
        timeout_s=timeout_s,
    )


# ---------------------------------------------------------------------------------------------------------
# Sending


async def test_send_lands_with_its_message_id_subject_body_and_envelope(
    smtp: SandboxSmtp, settings: SmtpSettings
) -> None:
    subject = "Café à Paris ✓"
    body = "Bonjour Grace,\n\nUn café la semaine prochaine ? — Ada ✓\n"
    result = await send_email(
        settings,
        sender=SENDER,
        to=PROSPECT,
        subject=subject,
        body=body,
        message_id="<attempt-42@acme.example>",
        headers={"X-Holdfast-Attempt": "42"},
    )

    assert result.message_id == "<attempt-42@acme.example>"
    assert result.accepted
    assert "<attempt-42@acme.example>" in result.response, "the server's own answer to DATA is returned"
    [received] = smtp.messages
    assert received.user == USER
    assert received.mail_from == "ada@acme.example", "the envelope takes the bare address"
    assert received.rcpt_tos == (PROSPECT,)
    assert received.message_id == "<attempt-42@acme.example>"
    assert received.subject == subject
    assert received.body == body
    message = received.message
    assert message["From"] == SENDER and message["To"] == PROSPECT
    assert message["X-Holdfast-Attempt"] == "42"
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None


async def test_message_is_seven_bit_on_the_wire(smtp: SandboxSmtp, settings: SmtpSettings) -> None:
    """UTF-8 travels as quoted-printable or base64, so a server without 8BITMIME takes it unchanged."""
    await send_email(
        settings, sender=SENDER, to=PROSPECT, subject="Zoé", body="déjà vu ✓\n", message_id="<b1@acme.example>"
    )
    [received] = smtp.messages
    assert received.message.as_bytes().isascii()
    assert received.message["Content-Transfer-Encoding"] in ("quoted-printable", "base64")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"message_id": "attempt-42@acme.example"}, "message_id"),
        ({"to": "zoé@prospect.example"}, "ASCII"),
        ({"subject": "Hi\r\nBcc: everyone@example.com"}, "linefeed"),
        ({"headers": {"Subject": "a second subject"}}, "Subject"),
        ({"timeout_s": 0}, "timeout_s"),
    ],
)
async def test_bad_input_raises_value_error_before_any_connection(change: dict, problem: str) -> None:
    # A closed port: reaching the network would raise SmtpError(TRANSIENT), not ValueError.
    settings = SmtpSettings("127.0.0.1", _closed_port(), "none", USER, PASSWORD)
    arguments = {
        "sender": SENDER,
        "to": PROSPECT,
        "subject": "Hi",
        "body": "Hello\n",
        "message_id": "<c1@acme.example>",
        **change,
    }
    with pytest.raises(ValueError, match=problem):
        await send_email(settings, **arguments)


@pytest.mark.parametrize(("field", "value"), [("security", "tls"), ("port", 0), ("port", 70000)])
def test_settings_are_validated(field: str, value: object) -> None:
    arguments: dict[str, object] = {
        "host": "127.0.0.1",
        "port": 587,
        "security": "starttls",
        "username": USER,
        "password": PASSWORD,
        field: value,
    }
    with pytest.raises(ValueError, match=field):
        SmtpSettings(**arguments)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------
# Authentication


async def test_wrong_password_is_an_account_level_failure(smtp: SandboxSmtp, settings: SmtpSettings) -> None:
    with pytest.raises(SmtpError) as caught:
        await send(with_password(settings, "not-the-password"))
    assert caught.value.kind is FailureKind.DISCONNECTED
    assert caught.value.code == 535
    assert smtp.messages == []


async def test_sending_without_login_is_refused_as_authentication_required(
    smtp: SandboxSmtp, settings: SmtpSettings
) -> None:
    anonymous = SmtpSettings(settings.host, settings.port, "none", username="", password="")
    with pytest.raises(SmtpError) as caught:
        await send(anonymous)
    assert caught.value.kind is FailureKind.DISCONNECTED
    assert caught.value.code == 530
    assert smtp.messages == []


async def test_a_password_change_fails_the_old_password_and_accepts_the_new(
    smtp: SandboxSmtp, settings: SmtpSettings
) -> None:
    await check_login(settings)
    smtp.set_password(USER, "new-app-pw-4Kd9")

    with pytest.raises(SmtpError) as caught:
        await send(settings)
    assert caught.value.kind is FailureKind.DISCONNECTED and caught.value.code == 535

    result = await send(with_password(settings, "new-app-pw-4Kd9"))
    assert result.accepted
    assert [m.user for m in smtp.messages] == [USER]


async def test_check_login_succeeds_without_sending(smtp: SandboxSmtp, settings: SmtpSettings) -> None:
    assert await check_login(settings) is None
    assert smtp.messages == []


async def test_check_login_with_a_wrong_password_is_an_account_level_failure(
    smtp: SandboxSmtp, settings: SmtpSettings
) -> None:
    with pytest.raises(SmtpError) as caught:
        await check_login(with_password(settings, "not-the-password"))
    assert caught.value.kind is FailureKind.DISCONNECTED
    assert caught.value.code == 535


# ---------------------------------------------------------------------------------------------------------
# Recipients and the network


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (550, FailureKind.PROSPECT_REFUSED),
        (553, FailureKind.PROSPECT_REFUSED),
        (450, FailureKind.TRANSIENT),
        # T5: any 5xx at RCPT is definite (nothing was sent), never "unknown".
        (552, FailureKind.PROSPECT_REFUSED),
    ],
)
async def test_refused_recipient_is_classified_by_its_code(
    smtp: SandboxSmtp, settings: SmtpSettings, code: int, kind: FailureKind
) -> None:
    smtp.reject_recipient("Gone@Prospect.example", code)
    with pytest.raises(SmtpError) as caught:
        await send(settings, to="gone@prospect.example")
    assert caught.value.kind is kind
    assert caught.value.code == code
    assert smtp.messages == []

    await send(settings, to=PROSPECT)
    assert [m.rcpt_tos for m in smtp.messages] == [(PROSPECT,)], "only that address is refused"


async def test_closed_port_is_transient() -> None:
    settings = SmtpSettings("127.0.0.1", _closed_port(), "none", USER, PASSWORD)
    with pytest.raises(SmtpError) as sending:
        await send(settings)
    with pytest.raises(SmtpError) as probing:
        await check_login(settings)
    assert sending.value.kind is FailureKind.TRANSIENT and sending.value.code is None
    assert probing.value.kind is FailureKind.TRANSIENT and probing.value.code is None


async def test_silence_after_data_is_unknown_because_the_message_may_have_arrived(
    smtp: SandboxSmtp, settings: SmtpSettings
) -> None:
    """S8: a timeout while the server answers DATA must not read as a safe retry; reconcile by Message-ID."""
    smtp.delay_data_reply(5)
    with pytest.raises(SmtpError) as caught:
        await send(settings, message_id="<d1@acme.example>", timeout_s=0.5)
    assert caught.value.kind is FailureKind.UNKNOWN
    assert caught.value.code is None
    assert "may have been delivered" in caught.value.message
    assert [m.message_id for m in smtp.messages] == ["<d1@acme.example>"], "the server did get it"


async def test_silence_before_data_is_transient() -> None:
    """A server that accepts the connection but never greets: nothing was sent, a retry is safe."""
    accepted: list[asyncio.StreamWriter] = []
    silent = await asyncio.start_server(lambda _reader, writer: accepted.append(writer), "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    try:
        with pytest.raises(SmtpError) as caught:
            await send(SmtpSettings("127.0.0.1", port, "none", USER, PASSWORD), timeout_s=0.3)
    finally:
        silent.close()
        for writer in accepted:
            writer.close()
            await writer.wait_closed()
        await silent.wait_closed()
    assert len(accepted) == 1, "the connection was made"
    assert caught.value.kind is FailureKind.TRANSIENT


# ---------------------------------------------------------------------------------------------------------
# Secrets


async def test_the_password_never_shows_in_settings_or_errors(smtp: SandboxSmtp, settings: SmtpSettings) -> None:
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings)
    assert "username='ada@acme.example'" in repr(settings)

    # A server that echoes the secret back (here in the refused address) still never shows it.
    echoed = f"{PASSWORD}@prospect.example"
    smtp.reject_recipient(echoed)
    with pytest.raises(SmtpError) as refused:
        await send(settings, to=echoed)
    with pytest.raises(SmtpError) as auth:
        await check_login(with_password(settings, "wrong-" + PASSWORD))
    for error in (refused.value, auth.value):
        assert PASSWORD not in str(error) and PASSWORD not in repr(error)
        assert all(PASSWORD not in str(arg) for arg in error.args)
        # No chained aiosmtplib exception for a traceback to print.
        assert error.__cause__ is None and error.__suppress_context__
    assert "[redacted]@prospect.example" in refused.value.message


# ---------------------------------------------------------------------------------------------------------
# The sandbox itself


async def test_sandbox_clear_forgets_messages_and_refusals(smtp: SandboxSmtp, settings: SmtpSettings) -> None:
    smtp.reject_recipient(PROSPECT)
    with pytest.raises(SmtpError):
        await send(settings)
    await send(settings, to="other@prospect.example")
    assert len(smtp.messages) == 1

    smtp.clear()
    assert smtp.messages == []
    await send(settings)
    assert [m.rcpt_tos for m in smtp.messages] == [(PROSPECT,)]


async def test_sandbox_stop_closes_open_connections_and_the_port() -> None:
    sandbox = SandboxSmtp()
    port = await sandbox.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    assert (await reader.readline()).startswith(b"220 ")

    await asyncio.wait_for(sandbox.stop(), 5)

    assert await asyncio.wait_for(reader.read(), 5) == b"", "an idle client is disconnected"
    writer.close()
    await writer.wait_closed()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_a_sandbox_login_logs_no_deprecation_notice(
    smtp: SandboxSmtp, settings: SmtpSettings, caplog: pytest.LogCaptureFixture
) -> None:
    """aiosmtpd warns about its own `login_data` at every login; a clean run is not 488 such lines."""
    with caplog.at_level(logging.DEBUG, logger="mail.log"):
        assert await check_login(settings) is None
    assert any(r.name == "mail.log" for r in caplog.records), "aiosmtpd's log was captured"
    assert not [r for r in caplog.records if "deprecated" in r.getMessage()]


# ---------------------------------------------------------------------------------------------------------
# Outcomes by stage, code and RFC 3463 enhanced code (T5)


@pytest.mark.parametrize(
    ("stage", "code", "text", "kind"),
    [
        ("rcpt", 550, "5.1.1 <x@example.test>: Recipient address rejected: User unknown", FailureKind.PROSPECT_REFUSED),
        ("rcpt", 552, "5.2.2 Mailbox full", FailureKind.PROSPECT_REFUSED),
        ("data", 550, "5.1.1 user unknown", FailureKind.PROSPECT_REFUSED),
        (
            "rcpt",
            553,
            "5.7.1 <s@holdfast.test>: Sender address rejected: not owned by user u@holdfast.test",
            FailureKind.SENDER_REFUSED,
        ),
        ("rcpt", 554, "5.7.1 <x@elsewhere.test>: Relay access denied", FailureKind.SENDER_REFUSED),
        ("rcpt", 550, "5.7.1 Client does not have permissions to send as this sender", FailureKind.SENDER_REFUSED),
        ("rcpt", 554, "Relay access denied", FailureKind.SENDER_REFUSED),
        ("rcpt", 550, "5.7.1 Recipient address rejected: Access denied", FailureKind.PROSPECT_REFUSED),
        ("rcpt", 553, "5.1.8 <s@nowhere>: Sender address rejected: Domain not found", FailureKind.SENDER_REFUSED),
        ("mail", 550, "5.1.0 Address rejected", FailureKind.SENDER_REFUSED),
        ("mail", 552, "5.3.4 Message size exceeds fixed limit", FailureKind.SENDER_REFUSED),
        ("connect", 554, "5.7.1 Service unavailable; client host blocked", FailureKind.SENDER_REFUSED),
        ("data", 550, "5.7.1 content rejected", FailureKind.PROSPECT_REFUSED),
        ("data", 554, "Transaction failed", FailureKind.PROSPECT_REFUSED),
        ("login", 535, "5.7.8 Error: authentication failed", FailureKind.DISCONNECTED),
        ("mail", 530, "5.7.0 Authentication required", FailureKind.DISCONNECTED),
        ("rcpt", 550, "5.7.8 authentication credentials invalid", FailureKind.DISCONNECTED),
        ("login", 454, "4.7.0 Temporary authentication failure", FailureKind.TRANSIENT),
        ("rcpt", 450, "4.2.1 Mailbox busy", FailureKind.TRANSIENT),
        ("data", 451, "4.3.0 Error: queue file write error", FailureKind.TRANSIENT),
        ("mail", 421, "4.7.0 Too many connections", FailureKind.TRANSIENT),
        ("data", None, "timed out", FailureKind.UNKNOWN),
        ("rcpt", None, "connection lost", FailureKind.TRANSIENT),
        ("connect", None, "connection refused", FailureKind.TRANSIENT),
    ],
)
def test_outcomes_are_classified_by_stage_code_and_enhanced_code(
    stage: str, code: int | None, text: str, kind: FailureKind
) -> None:
    assert classify(stage, code, enhanced_code(text) if code else "", text) is kind


def test_enhanced_codes_are_read_from_the_start_of_the_reply_text() -> None:
    assert enhanced_code("5.7.1 <a@b>: Sender address rejected") == "5.7.1"
    assert enhanced_code("  4.2.1 Mailbox busy") == "4.2.1"
    assert enhanced_code("Relay access denied (5.7.1 elsewhere)") == ""
    assert enhanced_code("5.7.1.2 not a code") == ""


def test_the_from_header_carries_the_inbox_display_name() -> None:
    raw = build_message(
        sender="ada@acme.example",
        sender_name="Ada Lovelace",
        to=PROSPECT,
        subject="Hi",
        body="Hello\n",
        message_id="<m1@acme.example>",
    )
    assert b"\r\nFrom: Ada Lovelace <ada@acme.example>\r\n" in raw
    quoted = build_message(
        sender="ada@acme.example",
        sender_name="Lovelace, Ada",
        to=PROSPECT,
        subject="Hi",
        body="Hello\n",
        message_id="<m1@acme.example>",
    )
    assert b'\r\nFrom: "Lovelace, Ada" <ada@acme.example>\r\n' in quoted
    encoded = build_message(
        sender="ada@acme.example",
        sender_name="Zoë Ñandú",
        to=PROSPECT,
        subject="Hi",
        body="Hello\n",
        message_id="<m1@acme.example>",
    )
    assert b"From: =?utf-8?" in encoded and encoded.isascii()
    bare = build_message(
        sender="ada@acme.example", to=PROSPECT, subject="Hi", body="Hello\n", message_id="<m1@acme.example>"
    )
    assert b"\r\nFrom: ada@acme.example\r\n" in bare


async def test_a_password_never_travels_in_plaintext_to_a_public_address() -> None:
    public = SmtpSettings("1.1.1.1", 25, "none", USER, PASSWORD)
    with pytest.raises(SmtpError) as refused:
        await send(public)
    assert refused.value.reason == "plaintext_refused" and "1.1.1.1" in refused.value.message
    assert PASSWORD not in refused.value.message
    with pytest.raises(SmtpError):
        await check_login(public)
    assert await plaintext_allowed("127.0.0.1", 25) and await plaintext_allowed("localhost", 25)
    assert await plaintext_allowed("10.1.2.3", 25) and await plaintext_allowed("192.168.0.9", 25)
    assert not await plaintext_allowed("1.1.1.1", 25)
    # Unresolvable: the connection fails as network trouble, as it always did (no password goes anywhere).
    assert await plaintext_allowed("no-such-host.invalid", 25)
