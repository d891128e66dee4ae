"""Email replies against real Dovecot and Postfix (tests/mailservers.py), through HTTP as a user sees it (issue 16):
campaign emails leave through Postfix into the prospects' Dovecot mailboxes; the prospects answer through Postfix
as a person would (SMTP submission, their own login), and the answers land in the inbox's Dovecot INBOX. The inbox
poll reads them (one IMAP session, UIDVALIDITY + last UID) and the scheduler stops the prospect matched by
In-Reply-To, the one matched by its address alone, and parks the one whose French out-of-office names its return."""

from __future__ import annotations

import asyncio
import email
import email.policy
import smtplib
import time
import uuid
from datetime import timedelta

from services.accounts.inbox_poller import InboxPoller
from tests.e2e.conftest import World
from tests.e2e.test_email_reply_flow import poll, poller  # noqa: F401 - poller: the fixture
from tests.e2e.test_real_mail_flow import PARIS_0905, _campaign, _inbox, _prospects, _user
from tests.mailservers import SENDER_DOMAIN, MailServers


def answer(
    servers: MailServers,
    prospect: str,
    to: str,
    body: str,
    *,
    in_reply_to: str = "",
    subject: str = "Re: Hello",
    headers: str = "",
) -> None:
    """The prospect writes to `to` through Postfix's submission port with its own login, as its mail client would."""
    thread = f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n" if in_reply_to else ""
    raw = (
        f"From: {prospect}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{uuid.uuid4().hex}@example.test>\r\n"
        f"{thread}{headers}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    ).encode()
    with smtplib.SMTP(servers.host, servers.ports["submission"], timeout=15) as smtp:
        smtp.starttls(context=servers.ssl_context())
        smtp.login(prospect, servers.password(prospect))
        smtp.sendmail(prospect, [to], raw)


def message_id(servers: MailServers, prospect: str) -> str:
    [sent] = servers.messages(prospect)
    return str(email.message_from_bytes(sent, policy=email.policy.default)["Message-ID"])


async def test_replies_through_postfix_and_dovecot_stop_or_park_their_prospects(
    world: World,
    mail_servers: MailServers,
    poller: InboxPoller,  # noqa: F811
) -> None:
    w, servers = world, mail_servers
    _, auth = await w.suite.new_workspace()
    sender = _user(servers, SENDER_DOMAIN, "sales")
    inbox = await _inbox(w, servers, auth, login=sender, password="prospect-password")
    ana, bo, cy, di = (_user(servers) for _ in range(4))
    cid = await _campaign(w, auth, inbox["id"], [ana, bo, cy, di], subject="Hello", follow_up=True)
    await asyncio.to_thread(servers.append, sender, b"From: old@friend.example\r\nSubject: Hi\r\n\r\nOld mail.\r\n")
    await poll(w, poller)  # the first read only marks where the mailbox ends
    await w.run_until(PARIS_0905 + timedelta(hours=1))
    for prospect in (ana, bo, cy, di):
        assert len(await asyncio.to_thread(servers.wait_for_messages, prospect, 1)) == 1

    await asyncio.to_thread(
        answer, servers, ana, sender, "Yes, Thursday 10:00 works.", in_reply_to=message_id(servers, ana)
    )
    await asyncio.to_thread(answer, servers, bo, sender, "Tell me more.", subject="About your note")  # address alone
    await asyncio.to_thread(
        answer,
        servers,
        di,
        sender,
        "Bonjour,\r\n\r\nJe suis absente jusqu'au 20 mars 2026 inclus, avec un accès limité à mes e-mails.\r\n",
        in_reply_to=message_id(servers, di),
        subject="=?utf-8?q?R=C3=A9ponse_automatique_=3A_Hello?=",
        headers="Auto-Submitted: auto-replied\r\n",
    )
    assert len(await asyncio.to_thread(servers.wait_for_messages, sender, 4)) == 4
    await poll(w, poller)

    deadline = time.monotonic() + 10
    while (seen := {e: p["state"] for e, p in (await _prospects(w, auth, cid)).items()})[di] != "out_of_office":
        assert time.monotonic() < deadline, seen
        await asyncio.sleep(0.05)
    assert seen == {ana: "replied", bo: "replied", cy: "scheduled", di: "out_of_office"}, seen
    await poll(w, poller)  # read again: nothing new, nothing recorded twice
    assert await w.db.fetchval("SELECT count(*) FROM scheduler.voice_events") == 3

    await w.run_until(PARIS_0905 + timedelta(days=30))
    follow_ups = {p: servers.messages(p) for p in (ana, bo, cy, di)}
    assert {p: len(m) for p, m in follow_ups.items()} == {ana: 1, bo: 1, cy: 2, di: 2}
    di_at = await w.db.fetchval(
        "SELECT started_at FROM scheduler.send_attempts a JOIN scheduler.prospect_plans p USING (prospect_id)"
        " WHERE p.email = $1 AND a.step_index = 1",
        di,
    )
    assert di_at.date().isoformat() >= "2026-03-21"
