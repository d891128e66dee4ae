"""Reading an inbox's new messages for replies (`fetch_new_mail`) against a real IMAP server (the sandbox): a first
read only marks where the mailbox ends, later reads return what arrived after the cursor, oversized messages are
named not read, a new UIDVALIDITY starts afresh at the end; and what a read exchanges follows the new messages, not
the mailbox's size (B7's IMAP half: 10 vs 10,000 messages)."""

from __future__ import annotations

import asyncio
import time

from sandbox.imap import SandboxImap
from services.common.providers.imap import ImapSettings, fetch_new_mail


def message(n: int, size: int = 0) -> bytes:
    return (
        f"From: p{n}@acme.example\r\nSubject: Re: Hello\r\nMessage-ID: <m{n}@acme.example>\r\n\r\n"
        f"Reply {n}\r\n" + "x" * size
    ).encode()


async def test_new_mail_is_read_after_the_cursor_and_never_the_whole_mailbox_again():
    imap = SandboxImap()
    port = await imap.start()
    imap.set_password("sam", "pw")
    settings = ImapSettings("127.0.0.1", port, "none", "sam", "pw")
    try:
        for n in range(5):
            imap.deliver("sam", message(n))
        first = await fetch_new_mail(settings, None, 0)
        assert first.messages == [] and first.last_uid == 5, "history is not read"
        assert (await fetch_new_mail(settings, first.uidvalidity, first.last_uid)).messages == []

        uids = [imap.deliver("sam", message(n)) for n in (5, 6, 7)]
        big = imap.deliver("sam", message(8, size=2000))
        got = await fetch_new_mail(settings, first.uidvalidity, first.last_uid, limit=2, max_message_bytes=1500)
        assert [u for u, _ in got.messages] == uids[:2] and got.last_uid == uids[1]
        rest = await fetch_new_mail(settings, got.uidvalidity, got.last_uid, max_bytes=60, max_message_bytes=1500)
        assert [u for u, _ in rest.messages] == [uids[2]] and rest.oversized == [big] and rest.last_uid == big
        assert len(rest.messages[0][1]) == 60 and rest.messages[0][1].startswith(b"From: p7@acme.example")

        imap.renumber("sam")
        again = await fetch_new_mail(settings, rest.uidvalidity, rest.last_uid)
        assert again.uidvalidity != rest.uidvalidity and again.messages == []
        new = imap.deliver("sam", message(9))
        assert [u for u, _ in (await fetch_new_mail(settings, again.uidvalidity, again.last_uid)).messages] == [new]
    finally:
        await imap.stop()


class CountingProxy:
    """A TCP relay in front of the IMAP server that counts the bytes a read exchanges (both directions) and keeps
    what the client sends."""

    def __init__(self, port: int):
        self._port = port
        self.bytes = 0
        self.sent = b""

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self._port)

        async def pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter, from_client: bool) -> None:
            while data := await r.read(65536):
                self.bytes += len(data)
                if from_client:
                    self.sent += data
                w.write(data)
                await w.drain()
            w.close()

        await asyncio.gather(pipe(client_r, server_w, True), pipe(server_r, client_w, False), return_exceptions=True)


async def test_a_read_exchanges_the_same_with_ten_or_ten_thousand_messages_in_the_mailbox():
    """The scan's cost is what it asks the server for and reads back: one EXAMINE, one UID SEARCH of the range
    after the cursor, one FETCH of what is new. Measured in bytes on the wire (the IMAP server's own cost of
    opening a mailbox is the server's: see docs/REPLIES.md for wall-clock figures)."""
    imap = SandboxImap()
    port = await imap.start()
    proxy = CountingProxy(port)
    relay = await proxy.start()
    try:
        exchanged, timings = {}, {}
        for user, size in (("small", 10), ("large", 10_000)):
            imap.set_password(user, "pw")
            for n in range(size):
                imap.deliver(user, message(n))
            settings = ImapSettings("127.0.0.1", relay, "none", user, "pw")
            cursor = await fetch_new_mail(settings, None, 0)
            per_read, best = [], float("inf")
            for n in range(10):
                imap.deliver(user, message(size + n))
                before, started = proxy.bytes, time.perf_counter()
                got = await fetch_new_mail(settings, cursor.uidvalidity, cursor.last_uid)
                best = min(best, time.perf_counter() - started)
                per_read.append(proxy.bytes - before)
                assert len(got.messages) == 1
                cursor = got
            exchanged[user], timings[user] = max(per_read), best
        print(
            f"\nIMAP reply read: bytes exchanged 10 messages {exchanged['small']:,}, 10,000 messages "
            f"{exchanged['large']:,} ({exchanged['large'] / exchanged['small']:.3f}x); sandbox wall clock, best of "
            f"10: {timings['small'] * 1000:.2f} / {timings['large'] * 1000:.2f} ms"
        )
        assert exchanged["large"] <= 1.2 * exchanged["small"]
    finally:
        await proxy.stop()
        await imap.stop()
