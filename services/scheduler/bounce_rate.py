"""Hard bounces and each inbox's bounce rate over a sliding window (DESIGN S10, P1: email_high_bounce_rate).

Accounts finds delivery-status notifications in the sending inbox and reports each hard bounce by the
Message-ID we gave the email (`<attempt id@sending domain>`). It counts only when that Message-ID names an email
this inbox sent and the report's failed recipient is that email's prospect (T6); any other report (a forwarder's
bounce for another address, a forged one quoting our Message-ID) is ignored, logged and counted in a metric.
A bounce is recorded once per attempt: the prospect
stops (its address is invalid, like a refusal for this prospect) and the inbox's rate is re-evaluated in the
same transaction. The rate is the share of the emails sent in the window that bounced; like the failure rate,
it is also re-evaluated by a periodic job because the window slides while nothing is sent, and only
transitions travel to campaigns (through the outbox, in order per inbox): above the threshold with enough
emails sent -> above; back under it, or a sample too small -> below (auto-clear)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
import structlog

from services.common.clock import Clock
from services.common.metrics import BOUNCE_REPORTS_IGNORED
from services.common.records import Bounce
from services.scheduler.bounce_repository import BounceTx
from services.scheduler.domain import Event
from services.scheduler.rate_alerts import judge_states
from services.scheduler.repository import Repository, Tx
from services.scheduler.voice_repository import VoiceTx

log = structlog.get_logger(__name__)
# What a bounced prospect's plan says (S11: "stopped:email_bounced").
STOP_REASON = "email_bounced"
# The domain of the Message-IDs the email sender wrote before they carried the sending domain; still ours.
MESSAGE_ID_DOMAIN = "holdfast"


@dataclass(frozen=True, slots=True)
class BouncePolicy:
    """An inbox is above when, over the sliding window, bounces / emails sent exceeds the threshold with at
    least the minimum sample."""

    window_seconds: float = 7 * 86400.0
    threshold: float = 0.05
    min_sample: int = 20

    def judge(self, sent: int, bounced: int) -> tuple[bool, float]:
        """(above, rate); a sample too small is never above."""
        rate = bounced / sent if sent else 0.0
        return sent >= max(self.min_sample, 1) and rate > self.threshold, rate


@dataclass(frozen=True, slots=True)
class BounceSignal:
    """An inbox crossed the bounce-rate threshold (above) or came back under it (or its sample got too small)."""

    event_id: str
    inbox_id: str
    above: bool
    rate: float
    sample: int
    bounces: int
    window_end: datetime


def attempt_id_of(message_id: str, domains: Sequence[str] = ()) -> str | None:
    """The attempt a Message-ID we wrote names (`<uuid@sending domain>`, or `<uuid@holdfast>` as written before);
    None for anyone else's. `domains`: the sending inbox's domains besides the old one."""
    local, at, domain = message_id.strip().strip("<>").partition("@")
    if not at or domain.lower() not in {MESSAGE_ID_DOMAIN, *(d.lower() for d in domains)}:
        return None
    try:
        return str(uuid.UUID(local))
    except ValueError:
        return None


def _address(value: str) -> str:
    return value.strip().strip("<>").lower()


def names_the_prospect(prospect: str, final_recipient: str, original_recipient: str) -> bool:
    """T6: does the report's failed recipient stand for the prospect the email went to? Its Final-Recipient is the
    prospect's address; or its Original-Recipient is, and the Final-Recipient (if any) is in the prospect's own
    domain (the receiving system rewrote the address of the same mailbox). A forwarder's bounce (Original-Recipient
    the prospect, Final-Recipient a mailbox elsewhere the prospect forwards to) says nothing about the prospect's
    own address, which took the email."""
    prospect, final, original = _address(prospect), _address(final_recipient), _address(original_recipient)
    if not prospect:
        return False
    if final == prospect:
        return True
    same_domain = not final or final.rpartition("@")[2] == prospect.rpartition("@")[2]
    return original == prospect and same_domain


class BounceRateMonitor:
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        signal_event: Callable[[BounceSignal], Event],
        policy: BouncePolicy | None = None,
        *,
        every: timedelta = timedelta(seconds=60),
        batch: int = 200,
        suppress: Callable[[str, str, str], Event] | None = None,
    ):
        """`signal_event` turns a signal into the outbox event for campaigns; `suppress`
        builds the event asking campaigns to suppress a hard-bounced prospect's address (V6)."""
        self._suppress = suppress
        self._repo = repository
        self._clock = clock
        self._signal_event = signal_event
        self.policy = policy or BouncePolicy()
        self._every = every
        self._batch = batch

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.policy.window_seconds)

    async def record(self, inbox_id: str, bounces: Sequence[Bounce]) -> int:
        """Record the hard bounces accounts found in the inbox; returns how many were new. Idempotent per
        message: a DSN delivered twice, or reported again after a crash, counts once."""
        now = self._clock.now()
        recorded = 0
        async with self._repo.transaction() as tx:
            store = BounceTx(tx)
            domains = await store.inbox_domains(inbox_id)
            for bounce in bounces:
                attempt_id = attempt_id_of(bounce.message_id, domains)
                if attempt_id is None:
                    continue
                sent_to = await store.sent_to(attempt_id, inbox_id)
                if sent_to is None:
                    BOUNCE_REPORTS_IGNORED.labels("not_our_email").inc()
                    continue
                if not names_the_prospect(sent_to, bounce.recipient, bounce.original_recipient):
                    BOUNCE_REPORTS_IGNORED.labels("other_recipient").inc()
                    log.info(
                        "bounce report ignored: it names another recipient than the prospect",
                        inbox_id=inbox_id,
                        attempt_id=attempt_id,
                        status=bounce.status,
                    )
                    continue
                prospect_id = await store.record_bounce(
                    attempt_id, inbox_id, bounce.recipient, bounce.status, bounce.diagnostic, bounce.received_at, now
                )
                if prospect_id is None:
                    continue
                recorded += 1
                stopped = await store.stop_prospect(prospect_id, STOP_REASON, now)
                found = await VoiceTx(tx).prospect(prospect_id) if self._suppress is not None else None
                if found is not None and self._suppress is not None:
                    # V6: a hard-bounced address joins the workspace's suppression list.
                    await tx.enqueue(self._suppress(found[1], prospect_id, "hard_bounce"))
                log.info(
                    "email bounced",
                    inbox_id=inbox_id,
                    attempt_id=attempt_id,
                    status=bounce.status,
                    prospect_stopped=stopped,
                )
            if recorded:
                await self.evaluate(tx, [inbox_id], now)
        return recorded

    async def evaluate(self, tx: Tx, inbox_ids: Sequence[str], now: datetime) -> None:
        """Re-evaluate these inboxes inside the caller's transaction (locks their rows); each that changed state
        has its event written to the outbox."""
        store = BounceTx(tx)
        await self._apply(tx, store, await store.lock_states(inbox_ids), now)

    async def restart(self, tx: Tx, inbox_ids: Sequence[str], now: datetime) -> None:
        """A member resumed a campaign paused for this rate (P7: they say the cause is fixed): emails sent
        before now no longer count, so the same full sample must build up again before a re-pause."""
        store = BounceTx(tx)
        restarted = await store.restart_sample(inbox_ids, now)
        if restarted:
            await self._apply(tx, store, await store.lock_states(restarted), now)

    async def evaluate_bounce_rates_once(self) -> int:
        """The periodic job: re-evaluate the inboxes the sliding window may have changed; returns how many were
        evaluated. Safe with several replicas."""
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            store = BounceTx(tx)
            states = await store.claim_evaluations(now - self._every, now - self.window - self._every, self._batch)
            await self._apply(tx, store, states, now)
        return len(states)

    async def _apply(self, tx: Tx, store: BounceTx, states: Sequence[asyncpg.Record], now: datetime) -> None:
        if not states:
            return
        counts = await store.counts([str(s["sender_id"]) for s in states], now - self.window, now)
        saved, crossings = judge_states(
            states, counts, "bounce_alert", lambda _, sent, bounced: self.policy.judge(sent, bounced)
        )
        for c in crossings:
            await tx.enqueue(
                self._signal_event(
                    BounceSignal(
                        event_id=str(uuid.uuid4()),
                        inbox_id=c.subject_id,
                        above=c.above,
                        rate=c.rate,
                        sample=c.sample,
                        bounces=c.hits,
                        window_end=now,
                    )
                )
            )
            log.info(
                "bounce rate " + ("above threshold" if c.above else "back under threshold"),
                inbox_id=c.subject_id,
                bounce_rate=round(c.rate, 3),
                sample=c.sample,
                bounces=c.hits,
            )
        await store.save_states(saved, now)
