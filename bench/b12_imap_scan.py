"""B12: the inbox poll's IMAP read (`read_inbox`, what every round of the bounce and reply readers costs) against the
real Dovecot 2.3 the suite uses (tests/mailservers.py; maildir; needs root and scripts/ensure_mailservers.sh), with
10 and with 10,000 messages in the INBOX.

Each round, one new message is appended to both mailboxes, then each is read once from its cursor (UIDVALIDITY +
last UID), the two mailboxes alternating so that the machine's load falls on both alike. Each read is timed whole (a
new session: connect, LOGIN, STATUS, EXAMINE, UID SEARCH of the UIDs after the cursor, UID FETCH of what is new,
LOGOUT) and by phase on another session from the same cursor: login, EXAMINE (Dovecot opening the mailbox) and the
scan (SEARCH + FETCH, what the client asks for). Then as many reads with nothing new (most polls: STATUS says so, the
mailbox is not opened), once Dovecot has settled. Target (issue 16): 10,000 vs 10 messages <= 1.2x. `--layout`:
where the messages lie in the maildir (cur/: a mailbox a person reads; new/: one nobody ever opened read-write).

    .venv/bin/python -m bench.b12_imap_scan [--rounds 30] [--large 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid

from bench import summary
from services.common.providers import imap, imap_session
from tests import mailservers
from tests.mailservers import PROSPECT_DOMAIN, SENDER_DOMAIN, MailServers

PHASES = ("login", "examine", "scan", "whole read")


def message(n: int) -> bytes:
    return (
        f"From: p{n}@{PROSPECT_DOMAIN}\r\nTo: sales@{SENDER_DOMAIN}\r\nSubject: Re: Hello\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@{PROSPECT_DOMAIN}>\r\n\r\nReply {n}\r\n"
    ).encode()


def read_by_a_person(servers: MailServers, address: str) -> None:
    """The mailbox as a person's mail client leaves it: every message moved from new/ to cur/, flagged seen."""
    local, _, domain = address.lower().partition("@")
    maildir = servers.root / "mail" / domain / local / "Maildir"
    for path in (maildir / "new").iterdir():
        path.rename(maildir / "cur" / f"{path.name}:2,S")


async def phases(settings: imap.ImapSettings, validity: int, after: int) -> tuple[dict[str, float], int]:
    """One read as `read_inbox` does it, timed by phase; returns the timings and the new cursor."""
    started = time.perf_counter()
    async with imap_session.logged_in(settings, 30) as session:
        logged_in = time.perf_counter()
        got, untagged = await imap._examine(session)  # noqa: SLF001
        top = await imap._highest_uid(session, untagged)  # noqa: SLF001
        examined = time.perf_counter()
        assert got == validity
        uids, last = (
            (
                await imap._scan_up(
                    session,
                    after,
                    top,
                    50,
                    imap.SEARCH_WINDOW,
                    imap.MAX_WINDOWS,  # noqa: SLF001
                    criteria="",
                )
            )
            if top > after
            else ([], after)
        )
        if uids:
            await imap._fetch_parts(session, uids, imap.REPORT_BYTES)  # noqa: SLF001
        scanned = time.perf_counter()
    return {"login": logged_in - started, "examine": examined - logged_in, "scan": scanned - examined}, last


async def run(rounds: int, large: int, layout: str) -> None:
    servers = await asyncio.to_thread(mailservers.start)
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
        await asyncio.to_thread(servers.fill_inbox, address, (message(n) for n in range(size)))
        if layout == "cur":
            await asyncio.to_thread(read_by_a_person, servers, address)
        settings[name] = imap.ImapSettings(servers.host, servers.ports["imap_plain"], "none", address, "bench-password")
        first = await imap.read_inbox(settings[name], None, 0, history=None)  # Dovecot indexes the maildir
        cursors[name] = (first.uidvalidity, first.last_uid)
    new: dict[str, dict[str, list[float]]] = {n: {p: [] for p in PHASES} for n in sizes}
    idle: dict[str, list[float]] = {n: [] for n in sizes}
    for r in range(rounds):
        for name in sizes:
            await asyncio.to_thread(servers.append, settings[name].username, message(sizes[name] + r))
        for name in sizes if r % 2 else reversed(sizes):
            validity, after = cursors[name]
            started = time.perf_counter()
            read = await imap.read_inbox(settings[name], validity, after, history=None)
            new[name]["whole read"].append(time.perf_counter() - started)
            assert len(read.messages) == 1, read
            # The same read again by phase, from the same cursor.
            timed, last = await phases(settings[name], validity, after)
            assert last == read.last_uid
            for phase, seconds in timed.items():
                new[name][phase].append(seconds)
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
    print(
        f"B12 IMAP read of INBOX, Dovecot maildir ({layout}/), {rounds} rounds, medians in ms (10 vs {big} messages):"
    )
    for phase in PHASES:
        a, b = statistics.median(new[small][phase]), statistics.median(new[big][phase])
        print(f"B12   one new message, {phase:<11} {a * 1000:7.2f} vs {b * 1000:7.2f}  ({b / a:.2f}x)")
    a, b = statistics.median(idle[small]), statistics.median(idle[big])
    print(f"B12   nothing new, whole read    {a * 1000:7.2f} vs {b * 1000:7.2f}  ({b / a:.2f}x)")
    whole = [statistics.median(new[n]["whole read"]) for n in sizes]
    scan = [statistics.median(new[n]["scan"]) for n in sizes]
    summary.record(
        "B12",
        f"IMAP read of INBOX with one new message, {big} vs 10 messages (Dovecot maildir, {layout}/)",
        f"{whole[1] * 1000:.1f} ms",
        f"{whole[0] * 1000:.1f} ms",
        whole[1] / whole[0],
        "<= 1.2x",
        whole[1] / whole[0] <= 1.2,
    )
    summary.record(
        "B12",
        f"the scan itself (UID SEARCH + UID FETCH), {big} vs 10 messages ({layout}/)",
        f"{scan[1] * 1000:.2f} ms",
        f"{scan[0] * 1000:.2f} ms",
        scan[1] / scan[0],
        "<= 1.2x",
        scan[1] / scan[0] <= 1.2,
    )
    summary.record(
        "B12",
        f"IMAP read of INBOX with nothing new (STATUS only), {big} vs 10 messages ({layout}/)",
        f"{b * 1000:.1f} ms",
        f"{a * 1000:.1f} ms",
        b / a,
        "<= 1.2x",
        b / a <= 1.2,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30, help="reads of each mailbox (one new message each)")
    parser.add_argument("--large", type=int, default=10_000, help="messages in the large INBOX")
    parser.add_argument(
        "--layout",
        choices=("new", "cur"),
        default="cur",
        help="where the mailbox's messages are: cur/ (seen by a person's mail client, the default) "
        "or new/ (never opened read-write by anyone)",
    )
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.large, args.layout))


if __name__ == "__main__":
    main()
