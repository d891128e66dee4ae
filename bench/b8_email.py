"""B8: email against real Dovecot and Postfix (tests/mailservers.py; needs root and scripts/ensure_mailservers.sh).

1. Refused-login answer time at reconnect: `PUT /api/v1/inboxes/{id}/credentials` with a wrong app password,
   `--tries` times; every answer must be the 422 naming the logins (Dovecot delays each refusal by 2 s).
2. Bounce polls of a large INBOX: the first read of an INBOX holding `--reports` delivery reports (time and peak
   Python memory), then a steady-state read after one new report, against the same read of a 10-message INBOX.

    .venv/bin/python -m bench.b8_email [--tries 20] [--reports 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import tracemalloc
import uuid

from bench.common import percentiles, running_suite
from sandbox.imap import build_dsn
from services.common.providers import imap
from tests import mailservers
from tests.mailservers import PROSPECT_DOMAIN, SENDER_DOMAIN, MailServers


async def refused_reconnects(servers: MailServers, tries: int) -> None:
    async with running_suite() as running:
        suite = running.suite
        _, auth = await suite.new_workspace()
        address = f"sales-{uuid.uuid4().hex[:8]}@{SENDER_DOMAIN}"
        servers.add_user(address, "right-password")
        smtp = {
            "host": servers.host,
            "port": servers.ports["submission"],
            "security": "starttls",
            "username": address,
            "password": "right-password",
        }
        status, inbox = await suite.call(
            "POST",
            "/api/v1/inboxes",
            auth,
            json={
                "email": address,
                "smtp": smtp,
                "imap": {**smtp, "port": servers.ports["imaps"], "security": "ssl"},
                "timezone": "Europe/Paris",
            },
        )
        assert status == 201, inbox
        timings, statuses = [], []
        for n in range(tries):
            started = time.perf_counter()
            status, body = await suite.call(
                "PUT", f"/api/v1/inboxes/{inbox['id']}/credentials", auth, json={"app_password": f"wrong-{n}"}
            )
            timings.append(time.perf_counter() - started)
            statuses.append(status)
        shares = percentiles(timings)
        print(
            f"refused reconnect, {tries} tries: statuses {sorted(set(statuses))}, "  # noqa: T201
            + ", ".join(f"{k} {v:.2f} s" for k, v in shares.items())
        )


def _report(message_id: str) -> bytes:
    sent = (
        f"Message-ID: {message_id}\r\nFrom: sales@{SENDER_DOMAIN}\r\nTo: nobody@{PROSPECT_DOMAIN}\r\n"
        "Subject: Hi\r\n\r\nHello\r\n"
    ).encode()
    return build_dsn(sent, reporting_mta=f"mail.{PROSPECT_DOMAIN}")


async def timed_read(settings: imap.ImapSettings, validity: int | None, after: int) -> tuple[imap.Reports, float, int]:
    tracemalloc.start()
    started = time.perf_counter()
    reports = await imap.fetch_reports(settings, validity, after)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return reports, elapsed, peak


async def large_inbox(servers: MailServers, reports: int) -> None:
    results = {}
    for label, size in (("10-message", 10), (f"{reports:,}-report", reports)):
        address = f"box-{uuid.uuid4().hex[:8]}@{SENDER_DOMAIN}"
        servers.add_user(address, "box-password")
        template = _report("<MESSAGE-ID>")
        servers.fill_inbox(
            address, (template.replace(b"<MESSAGE-ID>", f"<{n}@old.example>".encode()) for n in range(size))
        )
        settings = imap.ImapSettings(servers.host, servers.ports["imaps"], "ssl", address, "box-password")
        first, first_s, first_peak = await timed_read(settings, None, 0)
        steady_times = []
        cursor, validity = first.last_uid, first.uidvalidity
        for n in range(5):
            await asyncio.to_thread(servers.append, address, _report(f"<new-{n}@{SENDER_DOMAIN}>"))
            read, elapsed, _ = await timed_read(settings, validity, cursor)
            assert len(read.messages) == 1
            cursor = read.last_uid
            steady_times.append(elapsed)
        results[label] = (first_s, first_peak, sorted(steady_times)[len(steady_times) // 2])
        print(
            f"{label} INBOX: first read {first_s:.3f} s, peak {first_peak / 1e6:.1f} MB, "  # noqa: T201
            f"{len(first.messages)} reports; steady-state read (median of 5) {results[label][2] * 1000:.1f} ms"
        )
    small, large = results["10-message"][2], results[f"{reports:,}-report"][2]
    print(f"steady state, large / small: {large / small:.2f}x")  # noqa: T201


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--reports", type=int, default=10_000)
    args = parser.parse_args()
    servers = mailservers.start()
    os.environ["SSL_CERT_FILE"] = str(servers.ca_bundle)
    try:
        print(f"mail servers started in {servers.started_s:.2f} s")  # noqa: T201
        await large_inbox(servers, args.reports)
        await refused_reconnects(servers, args.tries)
    finally:
        servers.stop()


if __name__ == "__main__":
    asyncio.run(main())
