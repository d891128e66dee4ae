"""Our SMTP and IMAP clients against real Dovecot and Postfix (tests/mailservers.py): both TLS modes of both
protocols with the private CA trusted through SSL_CERT_FILE, delivery over LMTP, and a real RFC 3464 bounce."""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
import uuid

import pytest

from sandbox.imap import build_dsn
from services.common.providers import imap, smtp
from services.common.providers.unipile import FailureKind
from tests.mailservers import PROSPECT_DOMAIN, SENDER_DOMAIN, MailServers


def _user(servers: MailServers, domain: str = SENDER_DOMAIN) -> tuple[str, str]:
    address, password = f"u{uuid.uuid4().hex[:10]}@{domain}", f"pw-{uuid.uuid4().hex[:12]}"
    servers.add_user(address, password)
    return address, password


@pytest.mark.parametrize("security", ["starttls", "ssl"])
async def test_sends_through_postfix_and_reads_back_over_imap(mail_servers: MailServers, security: str) -> None:
    sender, password = _user(mail_servers)
    prospect, prospect_password = _user(mail_servers, PROSPECT_DOMAIN)
    port = mail_servers.ports["submission" if security == "starttls" else "smtps"]
    settings = smtp.SmtpSettings(
        host=mail_servers.host,
        port=port,
        security=security,  # type: ignore[arg-type]
        username=sender,
        password=password,
    )
    message_id = f"<{uuid.uuid4()}@{SENDER_DOMAIN}>"
    result = await smtp.send_email(
        settings, sender=sender, to=prospect, subject="Héllo", body="Bonjour ✓", message_id=message_id
    )
    assert result.accepted and "queued as" in result.response

    delivered = await asyncio.to_thread(mail_servers.wait_for_messages, prospect, 1)
    assert len(delivered) == 1
    message = email.message_from_bytes(delivered[0], policy=email.policy.default)
    assert message["Message-ID"] == message_id
    assert str(message["Subject"]) == "Héllo"
    assert message.get_content().strip() == "Bonjour ✓"

    imap_port = mail_servers.ports["imap" if security == "starttls" else "imaps"]
    await imap.check_login(
        imap.ImapSettings(
            host=mail_servers.host,
            port=imap_port,
            security=security,  # type: ignore[arg-type]
            username=prospect,
            password=prospect_password,
        )
    )


async def test_an_unknown_mailbox_comes_back_as_a_real_delivery_report(mail_servers: MailServers) -> None:
    sender, password = _user(mail_servers)
    settings = smtp.SmtpSettings(
        host=mail_servers.host,
        port=mail_servers.ports["submission"],
        security="starttls",
        username=sender,
        password=password,
    )
    message_id = f"<{uuid.uuid4()}@{SENDER_DOMAIN}>"
    # Accepted at RCPT: only Dovecot's LMTP knows the user does not exist, so Postfix returns the message.
    await smtp.send_email(
        settings,
        sender=sender,
        to=f"ghost-{uuid.uuid4().hex[:6]}@{PROSPECT_DOMAIN}",
        subject="Hi",
        body="Hello",
        message_id=message_id,
    )
    reports = await asyncio.to_thread(mail_servers.wait_for_messages, sender, 1)
    assert len(reports) == 1
    report = email.message_from_bytes(reports[0], policy=email.policy.default)
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    assert message_id.encode() in reports[0]
    assert b"Status: 5.1.1" in reports[0]


@pytest.mark.parametrize("security", ["ssl", "starttls"])
async def test_a_certificate_from_an_unknown_authority_is_a_tls_certificate_problem(
    mail_servers: MailServers, monkeypatch: pytest.MonkeyPatch, security: str
) -> None:
    sender, password = _user(mail_servers)
    # Without the private CA the chain cannot be verified: both protocols refuse before any login, and say so.
    monkeypatch.delenv("SSL_CERT_FILE")
    smtp_port = mail_servers.ports["smtps" if security == "ssl" else "submission"]
    imap_port = mail_servers.ports["imaps" if security == "ssl" else "imap"]
    with pytest.raises(smtp.SmtpError) as refused:
        await smtp.check_login(
            smtp.SmtpSettings(
                host=mail_servers.host,
                port=smtp_port,
                security=security,  # type: ignore[arg-type]
                username=sender,
                password=password,
            )
        )
    with pytest.raises(imap.ImapError) as refused_imap:
        await imap.check_login(
            imap.ImapSettings(
                host=mail_servers.host,
                port=imap_port,
                security=security,  # type: ignore[arg-type]
                username=sender,
                password=password,
            )
        )
    for error in (refused.value, refused_imap.value):
        assert error.reason == "tls_certificate"
        assert (
            f"the certificate of {mail_servers.host} could not be verified: unable to get local issuer" in error.message
        )
        assert error.kind is FailureKind.DISCONNECTED, "not a network hiccup to wait out"
        assert password not in error.message


def _dsn(message_id: str, recipient: str) -> bytes:
    sent = (
        f"Message-ID: {message_id}\r\nFrom: sales@{SENDER_DOMAIN}\r\nTo: {recipient}\r\nSubject: Hi\r\n\r\nHello\r\n"
    ).encode()
    return build_dsn(sent, reporting_mta=f"mail.{PROSPECT_DOMAIN}")


async def test_a_mailbox_of_13000_reports_is_read_bounded_newest_first_then_incrementally(
    mail_servers: MailServers,
) -> None:
    """Issue 14 item 6: one UID SEARCH over 13,000 reports answers a line over the 64 KiB limit, so every poll
    failed. Read by UID windows, the first read takes the newest reports and moves the cursor to the top; the
    next read sees only what arrived since."""
    address, password = _user(mail_servers)
    template = _dsn("<MESSAGE-ID>", f"nobody@{PROSPECT_DOMAIN}")
    mail_servers.fill_inbox(
        address, (template.replace(b"<MESSAGE-ID>", f"<{n:05d}@old.example>".encode()) for n in range(13_000))
    )
    settings = imap.ImapSettings(
        host=mail_servers.host, port=mail_servers.ports["imaps"], security="ssl", username=address, password=password
    )
    started = time.monotonic()
    first = await imap.fetch_reports(settings, None, 0, limit=50)
    first_s = time.monotonic() - started
    assert len(first.messages) == 50
    assert first.last_uid == 13_000 == first.messages[-1][0]
    assert [uid for uid, _ in first.messages] == list(range(12_951, 13_001)), "the newest, oldest of them first"

    message_id = f"<{uuid.uuid4()}@{SENDER_DOMAIN}>"
    await asyncio.to_thread(mail_servers.append, address, _dsn(message_id, f"nobody@{PROSPECT_DOMAIN}"))
    started = time.monotonic()
    steady = await imap.fetch_reports(settings, first.uidvalidity, first.last_uid, limit=50)
    steady_s = time.monotonic() - started
    assert [uid for uid, _ in steady.messages] == [13_001] and message_id.encode() in steady.messages[0][1]
    assert steady.last_uid == 13_001
    again = await imap.fetch_reports(settings, steady.uidvalidity, steady.last_uid, limit=50)
    assert again.messages == [] and again.last_uid == 13_001
    print(f"\n13,000 reports: first read {first_s:.2f} s, next read {steady_s:.3f} s")  # noqa: T201


async def test_a_backlog_after_the_cursor_drains_oldest_first_in_bounded_reads(mail_servers: MailServers) -> None:
    address, password = _user(mail_servers)
    settings = imap.ImapSettings(
        host=mail_servers.host,
        port=mail_servers.ports["imap"],
        security="starttls",
        username=address,
        password=password,
    )
    plain = f"From: someone@{PROSPECT_DOMAIN}\r\nSubject: not a report\r\n\r\nhello\r\n".encode()
    mail_servers.fill_inbox(address, [plain] * 5)
    first = await imap.fetch_reports(settings, None, 0)
    assert first.messages == [] and first.last_uid == 5
    # 30 reports among 30 ordinary messages arrive; read 10 at a time with 7-UID windows, at most 3 windows a read.
    template = _dsn("<MESSAGE-ID>", f"nobody@{PROSPECT_DOMAIN}")
    mail_servers.fill_inbox(
        address,
        (template.replace(b"<MESSAGE-ID>", f"<r{n}@x.example>".encode()) if n % 2 else plain for n in range(60)),
    )
    seen: list[int] = []
    cursor, validity = first.last_uid, first.uidvalidity
    reads = 0
    while cursor < 65:
        read = await imap.fetch_reports(settings, validity, cursor, limit=10, window=7, max_windows=3)
        reads += 1
        assert len(read.messages) <= 10
        assert cursor < read.last_uid <= cursor + 21, "each read looks at 3 windows of 7 UIDs at most"
        seen += [uid for uid, _ in read.messages]
        cursor = read.last_uid
        assert reads <= 10
    assert len(seen) == 30 and seen == sorted(set(seen)), "every report once, oldest first"
    assert all(b"multipart/report" in raw for raw in mail_servers.messages(address)[5:] if b"<r" in raw)
