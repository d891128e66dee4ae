"""The inbox poll (issues 5 and 16) end to end: one IMAP session per inbox and round serves both readers. A
round that finds a bounce report and a reply logs in once, and each reaches the scheduler: the bounced prospect
stops, the one that replied is `replied`. A round with nothing new logs in once and hands nothing on."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sandbox.imap import SandboxImap
from services.accounts.inbox_poller import InboxPoller
from tests.e2e.conftest import MONDAY_0800_PARIS, World
from tests.e2e.test_bounce_flow import sent_to, setup
from tests.e2e.test_email_reply_flow import POLL_STEP, STEPS, USER, poller, reply, states  # noqa: F401 - poller


async def test_one_login_per_round_serves_the_bounce_reader_and_the_reply_reader(
    world: World,
    imap: SandboxImap,
    poller: InboxPoller,  # noqa: F811
) -> None:
    w = world
    auth, cid, _ = await setup(w, imap, STEPS, prospects=3)
    w.clock.advance(POLL_STEP)
    assert await poller.poll_once() == 1  # the first read marks where the mailbox ends
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=10))
    assert len(w.smtp.messages) == 3

    (bounced,) = sent_to(w, "p0@prospect.example")
    imap.deliver_dsn(USER, bounced)
    answered = next(m for m in w.smtp.messages if m.rcpt_tos == ("p1@prospect.example",))
    imap.deliver(USER, reply("p1@prospect.example", answered.message_id, "Sounds good, call me."))
    imap.clear()
    w.clock.advance(POLL_STEP)
    assert await poller.poll_once() == 1
    assert len(imap.login_attempts) == 1, "one session for both readers"
    deadline = time.monotonic() + 10
    while (seen := await states(w, auth, cid))["p1@prospect.example"] != "replied" or seen[
        "p0@prospect.example"
    ] == "scheduled":
        assert time.monotonic() < deadline, seen
        await asyncio.sleep(0.05)
    assert seen == {
        "p0@prospect.example": "stopped",
        "p1@prospect.example": "replied",
        "p2@prospect.example": "scheduled",
    }, seen
    assert await w.db.fetchval("SELECT count(*) FROM scheduler.bounces") == 1

    imap.clear()
    w.clock.advance(POLL_STEP)
    assert await poller.poll_once() == 1
    assert len(imap.login_attempts) == 1
    assert await w.db.fetchval("SELECT count(*) FROM accounts.outbox") == 0, "nothing new: nothing handed on"
