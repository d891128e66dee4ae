"""Our SMTP and IMAP clients against real Dovecot and Postfix (tests/mailservers.py): both TLS modes of both
protocols with the private CA trusted through SSL_CERT_FILE, delivery over LMTP, and a real RFC 3464 bounce."""

from __future__ import annotations

import asyncio
import email
import email.policy
import uuid

import pytest

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
    settings = smtp.SmtpSettings(host=mail_servers.host, port=port, security=security,  # type: ignore[arg-type]
                                 username=sender, password=password)
    message_id = f"<{uuid.uuid4()}@{SENDER_DOMAIN}>"
    result = await smtp.send_email(settings, sender=sender, to=prospect, subject="Héllo", body="Bonjour ✓",
                                   message_id=message_id)
    assert result.accepted and "queued as" in result.response

    delivered = await asyncio.to_thread(mail_servers.wait_for_messages, prospect, 1)
    assert len(delivered) == 1
    message = email.message_from_bytes(delivered[0], policy=email.policy.default)
    assert message["Message-ID"] == message_id
    assert str(message["Subject"]) == "Héllo"
    assert message.get_content().strip() == "Bonjour ✓"

    imap_port = mail_servers.ports["imap" if security == "starttls" else "imaps"]
    await imap.check_login(imap.ImapSettings(host=mail_servers.host, port=imap_port, security=security,  # type: ignore[arg-type]
                                             username=prospect, password=prospect_password))


async def test_an_unknown_mailbox_comes_back_as_a_real_delivery_report(mail_servers: MailServers) -> None:
    sender, password = _user(mail_servers)
    settings = smtp.SmtpSettings(host=mail_servers.host, port=mail_servers.ports["submission"], security="starttls",
                                 username=sender, password=password)
    message_id = f"<{uuid.uuid4()}@{SENDER_DOMAIN}>"
    # Accepted at RCPT: only Dovecot's LMTP knows the user does not exist, so Postfix returns the message.
    await smtp.send_email(settings, sender=sender, to=f"ghost-{uuid.uuid4().hex[:6]}@{PROSPECT_DOMAIN}",
                          subject="Hi", body="Hello", message_id=message_id)
    reports = await asyncio.to_thread(mail_servers.wait_for_messages, sender, 1)
    assert len(reports) == 1
    report = email.message_from_bytes(reports[0], policy=email.policy.default)
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    assert message_id.encode() in reports[0]
    assert b"Status: 5.1.1" in reports[0]


async def test_a_certificate_from_an_unknown_authority_is_refused(mail_servers: MailServers,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    sender, password = _user(mail_servers)
    # Without the private CA the chain cannot be verified: both protocols refuse before any login.
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(smtp.SmtpError) as refused:
        await smtp.check_login(smtp.SmtpSettings(host=mail_servers.host, port=mail_servers.ports["smtps"],
                                                 security="ssl", username=sender, password=password))
    assert "CERTIFICATE_VERIFY_FAILED" in refused.value.message
    with pytest.raises(imap.ImapError) as refused_imap:
        await imap.check_login(imap.ImapSettings(host=mail_servers.host, port=mail_servers.ports["imaps"],
                                                 security="ssl", username=sender, password=password))
    assert "CERTIFICATE_VERIFY_FAILED" in refused_imap.value.message
    assert refused.value.kind is not FailureKind.DISCONNECTED
