"""Email replies end to end (issue 16): campaign emails go out through the real SMTP sandbox; replies, as Gmail,
Outlook and Apple Mail write them, land in the inbox's IMAP sandbox; accounts reads the new messages (a reply
poll: UIDVALIDITY + last UID) and hands them to the scheduler, which matches them to prospects (In-Reply-To, or
the sender's address alone), classifies and records them at the next poll. A forged In-Reply-To from a stranger,
a huge message and a broken one change nothing; the List-Unsubscribe mailto opts out and suppresses; a French
out-of-office parks its prospect until the day after the date it names."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from sandbox.imap import SandboxImap
from services.accounts import main as accounts_main
from services.accounts.config import Settings as AccountsSettings
from services.accounts.inbox_poller import InboxPoller
from services.common import config
from services.common.db import create_pool
from tests.conftest import suite_env
from tests.e2e.conftest import MONDAY_0800_PARIS, SCHEDULE, World

USER = "sender@acme.example"
PASSWORD = "app-password-1"
POLL_STEP = timedelta(seconds=145)  # more than the largest jittered reply-poll interval (120 s + 20 %)
NO_PACING = {
    "daily_cap": 100,
    "weekly_cap": 500,
    "ramp_start": 100,
    "ramp_step": 0,
    "pacing_min_seconds": 0,
    "pacing_max_seconds": 0,
}
PEOPLE = ["ana@acme.example", "bo@bureau.example", "cy@gmail.com", "di@societe.example", "ed@firm.example"]
STEPS = [
    {"channel": "email", "action": "email", "subject": "Hello", "body": "Hi. {{unsubscribe_url}}"},
    {"channel": "email", "action": "email", "delay": {"days": 2}, "subject": "Following up", "body": "Again"},
]


@pytest.fixture
async def poller(world: World) -> AsyncIterator[InboxPoller]:
    """Another accounts replica's reply poller on the suite's database, run when the test says so."""
    pool = await create_pool(world.suite.dsn, application_name="test-reply-poller", max_size=2)
    settings = config.load(AccountsSettings, suite_env(world.suite.dsn))
    yield accounts_main.build_inbox_poller(settings, pool, world.clock)
    await pool.close()


async def poll(w: World, poller: InboxPoller) -> None:
    w.clock.advance(POLL_STEP)
    assert await poller.poll_once() >= 1
    # This replica cannot kick the suite's relay: wait for the outbox to deliver to the scheduler.
    deadline = time.monotonic() + 10
    while await w.db.fetchval("SELECT count(*) FROM accounts.outbox"):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)


async def states(w: World, auth: dict, cid: str) -> dict[str, str]:
    _, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects", auth)
    return {p["email"]: p["state"] for p in page["prospects"]}


def reply(sender: str, in_reply_to: str | None, body: str, subject: str = "Re: Hello") -> bytes:
    thread = f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n" if in_reply_to else ""
    return (
        f"From: {sender}\r\nTo: {USER}\r\nSubject: {subject}\r\nMessage-ID: <{uuid.uuid4().hex}@mail.example>\r\n"
        f"{thread}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n\r\n"
        f"On Mon, Mar 2, 2026 at 9:00 AM <{USER}> wrote:\r\n> Hi. unsubscribe\r\n"
    ).encode()


async def test_email_replies_are_read_from_the_inbox_and_stop_or_park_their_prospects(
    world: World, imap: SandboxImap, poller: InboxPoller
) -> None:
    w = world
    _, auth = await w.suite.new_workspace()
    imap_port = imap._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    smtp = {"host": "127.0.0.1", "port": w.smtp_port, "security": "none", "username": USER, "password": PASSWORD}
    status, inbox = await w.suite.call(
        "POST",
        "/api/v1/inboxes",
        auth,
        json={
            "email": USER,
            "smtp": smtp,
            "imap": {**smtp, "port": imap_port},
            "timezone": "Europe/Paris",
            "limits": {"email": NO_PACING},
        },
    )
    assert status == 201, inbox
    status, campaign = await w.suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={"name": "Replies", "schedule": SCHEDULE, "steps": STEPS, "senders": {"inbox_ids": [inbox["id"]]}},
    )
    cid = campaign["id"]
    status, added = await w.suite.call(
        "POST", f"/api/v1/campaigns/{cid}/prospects", auth, json={"prospects": [{"email": e} for e in PEOPLE]}
    )
    assert added["added"] == 5
    await w.suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)
    imap.deliver(USER, reply("old@friend.example", None, "An old mail, before any poll."))
    await poll(w, poller)  # the first read only marks where the mailbox ends
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=10))
    sent = {m.rcpt_tos[0]: m for m in w.smtp.messages}
    assert sorted(sent) == sorted(PEOPLE)

    imap.deliver(
        USER, reply("Ana <ana@acme.example>", sent["ana@acme.example"].message_id, "Yes, Thursday 10:00 works.")
    )
    imap.deliver(USER, reply("bo@bureau.example", None, "Tell me more."))  # by address alone
    imap.deliver(USER, reply("eve@evil.example", sent["cy@gmail.com"].message_id, "Remove me"))  # forged
    imap.deliver(
        USER,
        (
            f"Subject: =?utf-8?Q?R=C3=A9ponse_automatique?=\r\nAuto-Submitted: auto-replied\r\n"
            f"From: di@societe.example\r\nMessage-ID: <ooo@societe.example>\r\n"
            f"In-Reply-To: {sent['di@societe.example'].message_id}\r\n\r\n"
            "Je suis absente jusqu'au 20 mars 2026.\r\n"
        ).encode(),
    )
    token = sent["ed@firm.example"].message["List-Unsubscribe"].split("subject=unsubscribe%20")[1].rstrip(">")
    imap.deliver(USER, f"From: ed@firm.example\r\nTo: {USER}\r\nSubject: unsubscribe {token}\r\n\r\n".encode())
    imap.deliver(USER, b"From: x@y.example\r\nContent-Type: text/plain; charset=x-nonsense\r\n\r\n\xff\xfe\r\n")
    imap.deliver(USER, b"From: big@y.example\r\nSubject: Re: Hello\r\n\r\n" + b"unsubscribe " * 1_000_000)
    await poll(w, poller)

    deadline = time.monotonic() + 10
    while (seen := await states(w, auth, cid))["ed@firm.example"] != "opted_out":
        assert time.monotonic() < deadline, seen
        await asyncio.sleep(0.05)
    assert seen == {
        "ana@acme.example": "replied",
        "bo@bureau.example": "replied",
        "cy@gmail.com": "scheduled",
        "di@societe.example": "out_of_office",
        "ed@firm.example": "opted_out",
    }
    _, listed = await w.suite.call("GET", "/api/v1/suppressions", auth)
    assert [(s["value"], s["source"]) for s in listed["suppressions"]] == [("ed@firm.example", "opt_out")]
    await poll(w, poller)  # read again: nothing new, nothing recorded twice
    assert await w.db.fetchval("SELECT count(*) FROM scheduler.voice_events") == 4

    await w.run_until(MONDAY_0800_PARIS + timedelta(days=30))
    follow_ups = {m.rcpt_tos[0]: m for m in w.smtp.messages if m.subject == "Following up"}
    assert sorted(follow_ups) == ["cy@gmail.com", "di@societe.example"]
    di_at = await w.db.fetchval(
        "SELECT started_at FROM scheduler.send_attempts a JOIN scheduler.prospect_plans p USING (prospect_id)"
        " WHERE p.email = 'di@societe.example' AND a.step_index = 1"
    )
    assert di_at.date().isoformat() >= "2026-03-21"


async def test_a_hard_bounce_puts_the_address_on_the_suppression_list(world: World, imap: SandboxImap) -> None:
    w = world
    _, auth = await w.suite.new_workspace()
    imap_port = imap._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    smtp = {"host": "127.0.0.1", "port": w.smtp_port, "security": "none", "username": USER, "password": PASSWORD}
    _, inbox = await w.suite.call(
        "POST",
        "/api/v1/inboxes",
        auth,
        json={
            "email": USER,
            "smtp": smtp,
            "imap": {**smtp, "port": imap_port},
            "timezone": "Europe/Paris",
            "limits": {"email": NO_PACING},
        },
    )
    _, campaign = await w.suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={"name": "Bounce", "schedule": SCHEDULE, "steps": STEPS, "senders": {"inbox_ids": [inbox["id"]]}},
    )
    await w.suite.call(
        "POST",
        f"/api/v1/campaigns/{campaign['id']}/prospects",
        auth,
        json={"prospects": [{"email": "gone@acme.example"}, {"email": "here@acme.example"}]},
    )
    await w.suite.call("POST", f"/api/v1/campaigns/{campaign['id']}/activate", auth)
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=10))
    (sent,) = [m.message.as_bytes() for m in w.smtp.messages if m.rcpt_tos == ("gone@acme.example",)]
    imap.deliver_dsn(USER, sent)
    pool = await create_pool(w.suite.dsn, application_name="test-bounce-poller", max_size=2)
    try:
        settings = config.load(AccountsSettings, suite_env(w.suite.dsn))
        bounces = accounts_main.build_inbox_poller(settings, pool, w.clock)
        w.clock.advance(timedelta(seconds=361))
        assert await bounces.poll_once() >= 1
    finally:
        await pool.close()
    deadline = time.monotonic() + 10
    while not (listed := (await w.suite.call("GET", "/api/v1/suppressions", auth))[1]["suppressions"]):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    assert [(s["type"], s["value"], s["source"]) for s in listed] == [("email", "gone@acme.example", "hard_bounce")]
