"""B12: the inbox poll's IMAP read (`read_inbox`, what every round of the bounce and reply readers costs) against the
real Dovecot 2.3 the suite uses (tests/mailservers.py; needs root and scripts/ensure_mailservers.sh), with 10 and
with 10,000 messages in the INBOX, in Dovecot's maildir format (what the suite runs) and in sdbox (an indexed
store, Dovecot's own high-performance format; docs/REPLIES.md says why that is a fair server), one after the other.

Each round, for each mailbox in turn (the two alternating so that the machine's load falls on both alike): one new
message is appended (IMAP APPEND), then read from the cursor (UIDVALIDITY + last UID), timed whole (a new session:
connect, LOGIN, STATUS, EXAMINE, UID SEARCH of the UIDs after the cursor, UID FETCH of what is new, LOGOUT); then
another is appended and read the same way by command: each command's time at the client and Dovecot's own count
for it (the seconds it appends to each tagged OK). Then as many reads with nothing
new (most polls: STATUS says so, the mailbox is not opened), once Dovecot has settled. Target (issue 16): 10,000
vs 10 messages <= 1.2x. `--layout`: how the messages were left (cur: read by a person's mail client, flagged
\\Seen; new: never opened read-write).

    .venv/bin/python -m bench.b12_imap_scan [--format maildir sdbox] [--rounds 30] [--large 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import time
import uuid

from bench import summary
from services.common.providers import imap, imap_session
from tests import mailservers
from tests.mailservers import MAIL_FORMATS, PROSPECT_DOMAIN, SENDER_DOMAIN, MailServers

COMMANDS = ("login", "STATUS", "EXAMINE", "UID SEARCH", "UID FETCH")
PHASES = (*COMMANDS, "whole read")
# Dovecot ends each tagged OK with the seconds the command took it: "(0.048 + 0.000 + 0.047 secs)".
_SERVER_SECONDS = re.compile(r"\((\d+\.\d+) \+ [^)]*secs\)")


def message(n: int) -> bytes:
    return (
        f"From: p{n}@{PROSPECT_DOMAIN}\r\nTo: sales@{SENDER_DOMAIN}\r\nSubject: Re: Hello\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@{PROSPECT_DOMAIN}>\r\n\r\nReply {n}\r\n"
    ).encode()


async def timed(session: imap_session.Session, command: str) -> tuple[float, float, list]:
    """One command: its time at the client, Dovecot's own count (0 when it sent none), its untagged answers."""
    started = time.perf_counter()
    status, text, untagged = await session.exchange(command)
    client = time.perf_counter() - started
    assert status == "OK", (command, text)
    server = _SERVER_SECONDS.search(text)
    return client, float(server[1]) if server else 0.0, untagged


async def phases(
    settings: imap.ImapSettings, validity: int, after: int
) -> tuple[dict[str, float], dict[str, float], int]:
    """One read as `read_inbox` does it with one new message (STATUS, EXAMINE, UID SEARCH of the UIDs after the
    cursor, UID FETCH), timed by command; returns the client's and Dovecot's seconds per command and the new
    cursor."""
    client: dict[str, float] = {}
    server: dict[str, float] = {}
    started = time.perf_counter()
    async with imap_session.logged_in(settings, 30) as session:
        client["login"] = time.perf_counter() - started
        client["STATUS"], server["STATUS"], _ = await timed(session, "STATUS INBOX (UIDNEXT UIDVALIDITY)")
        client["EXAMINE"], server["EXAMINE"], untagged = await timed(session, "EXAMINE INBOX")
        top = await imap._highest_uid(session, untagged)  # noqa: SLF001
        assert top > after
        client["UID SEARCH"], server["UID SEARCH"], found = await timed(session, f"UID SEARCH UID {after + 1}:{top}")
        uids = [int(u) for line, _ in found if line.upper().startswith("* SEARCH") for u in line.split()[2:]]
        assert uids == [top], (uids, top)
        fetch = f"UID FETCH {top} (UID RFC822.SIZE BODY.PEEK[]<0.{imap.REPORT_BYTES}>)"
        client["UID FETCH"], server["UID FETCH"], _ = await timed(session, fetch)
    return client, server, top


async def run(rounds: int, large: int, layout: str, mail_format: str) -> None:
    servers = await asyncio.to_thread(mailservers.start, mail_format)
    os.environ["SSL_CERT_FILE"] = str(servers.ca_bundle)
    try:
        await measure(servers, rounds, large, layout)
    finally:
        await asyncio.to_thread(servers.stop)


async def measure(servers: MailServers, rounds: int, large: int, layout: str) -> None:
    sizes = {"10": 10, f"{large:,}": large}
    settings, cursors = {}, {}
    for name, size in sizes.items():
        address = f"scan{size}-{uuid.uuid4().hex[:6]}@{SENDER_DOMAIN}"
        servers.add_user(address, "bench-password")
        await asyncio.to_thread(
            lambda a=address, n=size: servers.fill_inbox(a, (message(i) for i in range(n)), seen=layout == "cur")
        )
        settings[name] = imap.ImapSettings(servers.host, servers.ports["imap_plain"], "none", address, "bench-password")
        first = await imap.read_inbox(settings[name], None, 0, history=None)  # Dovecot indexes the maildir
        cursors[name] = (first.uidvalidity, first.last_uid)
    new: dict[str, dict[str, list[float]]] = {n: {p: [] for p in PHASES} for n in sizes}
    at_server: dict[str, dict[str, list[float]]] = {n: {p: [] for p in COMMANDS[1:]} for n in sizes}
    idle: dict[str, list[float]] = {n: [] for n in sizes}
    for r in range(rounds):
        for name in sizes if r % 2 else reversed(sizes):
            await asyncio.to_thread(servers.append, settings[name].username, message(2 * r))
            validity, after = cursors[name]
            started = time.perf_counter()
            read = await imap.read_inbox(settings[name], validity, after, history=None)
            new[name]["whole read"].append(time.perf_counter() - started)
            assert len(read.messages) == 1, read
            # Another new message, read by command from the cursor the read above left.
            await asyncio.to_thread(servers.append, settings[name].username, message(2 * r + 1))
            client, server, last = await phases(settings[name], validity, read.last_uid)
            for phase, seconds in client.items():
                new[name][phase].append(seconds)
            for phase, seconds in server.items():
                at_server[name][phase].append(seconds)
            cursors[name] = (validity, last)
    # Then reads with nothing new (most polls), once Dovecot is done with the writes above.
    await asyncio.sleep(2)
    for r in range(rounds):
        for name in sizes if r % 2 else reversed(sizes):
            validity, after = cursors[name]
            started = time.perf_counter()
            assert (await imap.read_inbox(settings[name], validity, after, history=None)).messages == []
            idle[name].append(time.perf_counter() - started)
    small, big = sizes
    where = f"Dovecot {servers.mail_format} ({layout})"
    print(f"B12 IMAP read of INBOX, {where}, {rounds} rounds, medians in ms (10 vs {big} messages), load {load()}:")
    for phase in PHASES:
        a, b = statistics.median(new[small][phase]), statistics.median(new[big][phase])
        line = f"B12   one new message, {phase:<11} client {a * 1000:7.2f} vs {b * 1000:7.2f}  ({b / a:.2f}x)"
        if phase in at_server[small]:
            c, d = statistics.median(at_server[small][phase]), statistics.median(at_server[big][phase])
            line += f"   Dovecot's count {c * 1000:4.0f} vs {d * 1000:4.0f}"
        print(line)
    a, b = statistics.median(idle[small]), statistics.median(idle[big])
    print(f"B12   nothing new, whole read    client {a * 1000:7.2f} vs {b * 1000:7.2f}  ({b / a:.2f}x)")
    whole = [statistics.median(new[n]["whole read"]) for n in sizes]
    opened = [statistics.median(new[n]["STATUS"]) + statistics.median(new[n]["EXAMINE"]) for n in sizes]
    summary.record(
        "B12",
        f"IMAP read of INBOX with one new message, {big} vs 10 messages ({where})",
        f"{whole[1] * 1000:.1f} ms",
        f"{whole[0] * 1000:.1f} ms",
        whole[1] / whole[0],
        "<= 1.2x",
        whole[1] / whole[0] <= 1.2,
    )
    summary.record(
        "B12",
        f"STATUS + EXAMINE with one new message (the server opening the mailbox), {big} vs 10 messages ({where})",
        f"{opened[1] * 1000:.2f} ms",
        f"{opened[0] * 1000:.2f} ms",
        opened[1] / opened[0],
        "—",
        None,
    )
    summary.record(
        "B12",
        f"IMAP read of INBOX with nothing new (STATUS only), {big} vs 10 messages ({where})",
        f"{b * 1000:.1f} ms",
        f"{a * 1000:.1f} ms",
        b / a,
        "<= 1.2x",
        b / a <= 1.2,
    )


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30, help="reads of each mailbox (one new message each)")
    parser.add_argument("--large", type=int, default=10_000, help="messages in the large INBOX")
    parser.add_argument(
        "--layout",
        choices=("new", "cur"),
        default="cur",
        help="how the mailbox's messages were left: cur (read by a person's mail client, the default) "
        "or new (never opened read-write by anyone)",
    )
    parser.add_argument(
        "--format",
        nargs="+",
        choices=tuple(MAIL_FORMATS),
        default=["maildir", "sdbox"],
        help="Dovecot's mailbox formats to measure, one after the other: maildir (what the test suite runs) and the "
        "indexed sdbox (the default: both), or mdbox",
    )
    args = parser.parse_args()
    for mail_format in args.format:
        asyncio.run(run(args.rounds, args.large, args.layout, mail_format))


if __name__ == "__main__":
    main()
