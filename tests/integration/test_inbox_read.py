"""`read_inbox`, the inbox poll's one read of an INBOX for every reader, against real IMAP servers (the sandbox and
Dovecot, in maildir and in the indexed sdbox): a read with nothing new asks STATUS only and never opens the mailbox
(whose cost, on Dovecot's maildir, grows with its size); a first read goes to the top and hands on only the newest
delivery reports; a known mailbox yields every new message once, oldest first, with its size."""

from __future__ import annotations

import asyncio

from sandbox.imap import SandboxImap, build_dsn
from services.common.providers.imap import ImapSettings, read_inbox
from tests import mailservers
from tests.integration.test_imap_new_mail import CountingProxy
from tests.mailservers import SENDER_DOMAIN, MailServers


def message(n: int) -> bytes:
    return (
        f"From: p{n}@acme.example\r\nSubject: Re: Hello\r\nMessage-ID: <m{n}@acme.example>\r\n\r\nReply {n}\r\n"
    ).encode()


async def test_a_read_with_nothing_new_asks_status_only_and_a_first_read_hands_on_only_the_newest_reports():
    imap = SandboxImap()
    port = await imap.start()
    proxy = CountingProxy(port)
    relay = await proxy.start()
    imap.set_password("sam", "pw")
    settings = ImapSettings("127.0.0.1", relay, "none", "sam", "pw")
    ours = b"Message-ID: <0b6f1d9e-3c1a-4a8e-9d7c-2f9e1b4c5a6d@acme.example>\r\nTo: gone@x.example\r\n\r\nHi\r\n"
    try:
        for n in range(5):
            imap.deliver("sam", message(n))
        report = imap.deliver_dsn("sam", ours)
        imap.deliver("sam", message(5))
        first = await read_inbox(settings, None, 0)
        assert first.history and first.last_uid == 7 and [m.uid for m in first.messages] == [report]
        assert b"multipart/report" in first.messages[0].data
        assert (await read_inbox(settings, None, 0, history=None)).messages == []

        proxy.sent = b""
        idle = await read_inbox(settings, first.uidvalidity, first.last_uid)
        assert (idle.uidvalidity, idle.last_uid, idle.messages, idle.history) == (first.uidvalidity, 7, [], False)
        assert b"STATUS INBOX (UIDNEXT UIDVALIDITY)" in proxy.sent and b"EXAMINE" not in proxy.sent

        new = [imap.deliver("sam", message(n)) for n in (6, 7)]
        got = await read_inbox(settings, idle.uidvalidity, idle.last_uid)
        assert [m.uid for m in got.messages] == new and got.last_uid == new[-1] and not got.history
        assert all(m.size == len(message(6)) and m.data.startswith(b"From: p") for m in got.messages)

        imap.renumber("sam")  # STATUS names another UIDVALIDITY: the long way, to the top, no old mail
        again = await read_inbox(settings, got.uidvalidity, got.last_uid, history=None)
        assert again.uidvalidity != got.uidvalidity and again.messages == [] and again.history
    finally:
        await proxy.stop()
        await imap.stop()


async def test_dovecot_answers_status_and_the_read_finds_what_arrived(mail_servers: MailServers):
    settings = ImapSettings(mail_servers.host, mail_servers.ports["imaps"], "ssl", f"reader@{SENDER_DOMAIN}", "pw-r")
    await read_what_arrived(mail_servers, settings)


async def test_dovecot_with_an_indexed_store_sdbox_serves_the_same_reads():
    """The format B12 measures beside maildir (docs/REPLIES.md): the rig fills it through `doveadm import`."""
    servers = await asyncio.to_thread(mailservers.start, "sdbox")
    try:
        settings = ImapSettings(servers.host, servers.ports["imap_plain"], "none", f"indexed@{SENDER_DOMAIN}", "pw-i")
        await read_what_arrived(servers, settings, seen=True)
        assert (servers.root / "mail" / SENDER_DOMAIN / "indexed" / "sdbox").is_dir()
        assert not (servers.root / "mail" / SENDER_DOMAIN / "indexed" / "import").exists()
    finally:
        await asyncio.to_thread(servers.stop)


async def read_what_arrived(servers: MailServers, settings: ImapSettings, *, seen: bool = False) -> None:
    address = settings.username
    servers.add_user(address, settings.password)
    await asyncio.to_thread(servers.fill_inbox, address, (message(n) for n in range(300)), seen=seen)
    first = await read_inbox(settings, None, 0, history=None)
    assert first.last_uid == 300 and first.messages == []
    assert (await read_inbox(settings, first.uidvalidity, first.last_uid)).messages == []
    await asyncio.to_thread(servers.append, address, message(300))
    await asyncio.to_thread(servers.append, address, build_dsn(message(1), reporting_mta="mx.example.test"))
    got = await read_inbox(settings, first.uidvalidity, first.last_uid)
    assert [m.uid for m in got.messages] == [301, 302] and got.last_uid == 302
    assert got.messages[0].data.startswith(b"From: p300@") and b"multipart/report" in got.messages[1].data
    assert (await read_inbox(settings, got.uidvalidity, got.last_uid)).messages == []
