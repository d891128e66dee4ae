"""Read-only figures for the UI: where a sender stands against its caps today (S5, S6), and what a campaign's
sends came to per step and per day. Reads only; nothing here changes the plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services.common import timemath
from services.common.clock import Clock
from services.common.errors import NotFound
from services.scheduler.repository import Repository
from services.scheduler.stats_repository import StatsTx


@dataclass(frozen=True, slots=True)
class SenderStats:
    sent_today: int
    sent_last_7_days: int
    ramp_day: int
    failure_rate: float
    failure_sample: int


@dataclass(frozen=True, slots=True)
class StepStats:
    step_index: int
    reached: int
    sent: int
    failed: int
    bounced: int
    accepted: int


@dataclass(frozen=True, slots=True)
class DayStats:
    date: str
    sent: int
    failed: int
    bounced: int


@dataclass(frozen=True, slots=True)
class CampaignStats:
    enrolled: int
    finished: int
    stopped: int
    steps: tuple[StepStats, ...]
    days: tuple[DayStats, ...]
    replied: int = 0
    out_of_office: int = 0
    opted_out: int = 0


class Stats:
    def __init__(self, repository: Repository, clock: Clock):
        self._repo = repository
        self._clock = clock

    async def sender(self, sender_id: str) -> SenderStats:
        async with self._repo.transaction() as tx:
            sender = (await tx.senders([sender_id])).get(sender_id)
            if sender is None:
                raise NotFound("sender not known to the scheduler")
            store = StatsTx(tx)
            today = timemath.local_date(sender.timezone, self._clock.now())
            sent_today = await store.counted_between(sender_id, today, today)
            last_7 = await store.counted_between(sender_id, today - timedelta(days=6), today)
            rates = await store.sender_rates(sender_id)
        inbox = sender.kind == "inbox"
        assert rates is not None  # the row senders() just read
        return SenderStats(
            sent_today,
            last_7,
            sender.ramp_day_on(today),
            float(rates["bounce_rate" if inbox else "failure_rate"]),
            int(rates["bounce_sample" if inbox else "failure_sample"]),
        )

    async def campaign(self, campaign_id: str) -> CampaignStats:
        async with self._repo.transaction() as tx:
            store = StatsTx(tx)
            timezone = await store.campaign_timezone(campaign_id)
            if timezone is None:
                raise NotFound("no plan for this campaign")
            states = await store.prospect_states(campaign_id)
            steps = await store.steps(campaign_id)
            days = await store.days(campaign_id, timezone)
            voices = await store.voices(campaign_id)
        return CampaignStats(
            enrolled=sum(states.values()),
            finished=states.get("done", 0),
            stopped=states.get("stopped", 0),
            steps=tuple(
                StepStats(*(int(r[k]) for k in ("step_index", "reached", "sent", "failed", "bounced", "accepted")))
                for r in steps
            ),
            days=tuple(
                DayStats(r["day"].isoformat(), int(r["sent"]), int(r["failed"]), int(r["bounced"])) for r in days
            ),
            replied=voices.get("replied", 0),
            out_of_office=voices.get("out_of_office", 0),
            opted_out=voices.get("opted_out", 0),
        )
