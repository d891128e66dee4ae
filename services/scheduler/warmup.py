"""Warm-up campaigns (issue 5, DESIGN S6): one inbox sends a daily volume that grows with each day it actually
sent, to the workspace's other inboxes. The feeder only keeps each warm-up's queue a little ahead of what the
ramp allows; planning, caps, ramp, pacing, holds and the re-clamp on resume are the ones every campaign gets, so
a pause holds the queue where it is and the ramp day moves on only on days the inbox sent."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
import structlog

from services.common import timemath
from services.common.clock import Clock
from services.common.errors import FailedPrecondition, NotFound
from services.common.records import WarmupProgress
from services.scheduler.domain import FALLBACK_LIMITS, Sender
from services.scheduler.plan_rows_repository import Enrollee
from services.scheduler.repository import Repository, Tx
from services.scheduler.service import SchedulerService
from services.scheduler.warmup_repository import WarmupTx

log = structlog.get_logger(__name__)
# The warm-up step's templates: each queued email carries its own subject and body in its fields.
SUBJECT_TEMPLATE = "{{warmup_subject}}"
BODY_TEMPLATE = "{{warmup_body}}"

_SUBJECTS = (
    "Quick question about next week",
    "Notes from today",
    "Following up on our chat",
    "Lunch on Thursday?",
    "The document you asked for",
    "Small update",
    "Thanks again",
    "Plans for the quarter",
)
_OPENINGS = ("Hi,", "Hello,", "Hi there,", "Good morning,")
_LINES = (
    "I went through the notes from our call and everything looks fine on my side.",
    "Could you have a look at the draft when you have a minute? No rush at all.",
    "Thanks for sending this over, it helped a lot.",
    "Let me know if Thursday still works for you; otherwise Friday is fine too.",
    "I have updated the figures and shared the new version with the team.",
    "Just checking in to see how things are going on your end.",
)


def content(n: int, sender_email: str) -> dict[str, str]:
    """The n-th warm-up email of an inbox: ordinary, varied text (deterministic, so a replay writes the same)."""
    name = sender_email.split("@", 1)[0].replace(".", " ").title()
    subject = _SUBJECTS[n % len(_SUBJECTS)]
    line_a = _LINES[n % len(_LINES)]
    line_b = _LINES[(n // len(_LINES) + n + 3) % len(_LINES)]
    body = f"{_OPENINGS[n % len(_OPENINGS)]}\n\n{line_a}\n{line_b if line_b != line_a else ''}\n\nBest,\n{name}\n"
    return {"warmup_subject": subject, "warmup_body": body}


class WarmupFeeder:
    def __init__(self, repository: Repository, service: SchedulerService, clock: Clock):
        self._repo = repository
        self._service = service
        self._clock = clock

    async def feed_once(self, campaign_id: str | None = None) -> int:
        """Top up every active, unheld warm-up (or only `campaign_id`) so its queue covers today's and the next
        sending day's ramp allowance. A held warm-up gets nothing: its queue waits in place. Returns the emails
        queued."""
        now = self._clock.now()
        fed = 0
        async with self._repo.transaction() as tx:
            warmups = WarmupTx(tx)
            if not await warmups.take_feed_turn():
                return 0
            rows = await warmups.feedable(campaign_id)
            senders = await tx.senders([str(r["inbox_id"]) for r in rows])
            for row in rows:
                fed += await self._top_up(tx, row, senders.get(str(row["inbox_id"])), now)
        return fed

    async def _top_up(self, tx: Tx, row: asyncpg.Record, inbox: Sender | None, now: datetime) -> int:
        pool = list(row["pool"])
        if inbox is None or not pool:
            return 0  # the inbox or the other inboxes are not known here yet; accounts pushes them
        limits = inbox.limits.get("email", FALLBACK_LIMITS)
        ramp_day = inbox.ramp_day_on(timemath.local_date(inbox.timezone, now))
        wanted = limits.cap_on_ramp_day(ramp_day) + limits.cap_on_ramp_day(ramp_day + 1) - row["queued"]
        if wanted <= 0:
            return 0
        plan = await tx.plan(str(row["campaign_id"]))
        if plan is None:
            return 0
        start = row["fed"]
        enrollees = [
            Enrollee(str(uuid.uuid4()), None, pool[n % len(pool)], "", "", "", content(n, inbox.email))
            for n in range(start, start + wanted)
        ]
        queued = await self._service.enroll_in(tx, plan, enrollees)
        log.info("warm-up queue topped up", campaign_id=plan.campaign_id, queued=queued, ramp_day=ramp_day)
        return queued

    async def progress(self, campaign_id: str) -> WarmupProgress:
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            warmups = WarmupTx(tx)
            row = await warmups.state(campaign_id)
            if row is None:
                if await tx.plan(campaign_id) is None:
                    raise NotFound("no plan for this campaign")
                raise FailedPrecondition("not a warm-up campaign", code="not_warmup")
            inbox_id = str(row["inbox_id"])
            inbox = (await tx.senders([inbox_id])).get(inbox_id)
            today = timemath.local_date(inbox.timezone if inbox else "UTC", now)
            sent_today = await tx.counted(inbox_id, "email", today, today)
            sent_total = await warmups.sent_total(campaign_id)
        ramp_day = inbox.ramp_day_on(today) if inbox else 0
        limits = inbox.limits.get("email", FALLBACK_LIMITS) if inbox else FALLBACK_LIMITS
        return WarmupProgress(
            inbox_id,
            ramp_day,
            limits.cap_on_ramp_day(ramp_day),
            sent_today,
            int(sent_total),
            int(row["queued"]),
            len(row["pool"]),
        )
