"""The dispatcher (DESIGN S5-S10): claims due actions, records an attempt before the provider is called,
performs them concurrently, and decides from each outcome how the prospect's plan moves (the moves themselves:
plan_moves.py).

Safe with several replicas: a claim locks the sender rows (FOR UPDATE SKIP LOCKED), so one sender's caps
and pacing are decided by one transaction at a time, and the attempt's unique index makes a second attempt
of the same step impossible."""

from __future__ import annotations

import asyncio
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import structlog

from services.common import timemath
from services.common.clock import Clock
from services.common.metrics import DISPATCH_LAG, SENDS
from services.common.providers.unipile import INVITE_MESSAGE_MAX_CHARS, FailureKind, UnipileClient, UnipileError
from services.common.templates import render
from services.scheduler.domain import (
    FALLBACK_LIMITS,
    NOTE_TOO_LONG,
    AccountFailure,
    CampaignPlan,
    Sender,
    template_values,
)
from services.scheduler.failure_rate import FailureRateMonitor
from services.scheduler.plan_moves import PlanMoves
from services.scheduler.plan_rows_repository import PlanRow
from services.scheduler.ports import Events
from services.scheduler.providers import Outcome, Providers
from services.scheduler.repository import Repository, Tx

log = structlog.get_logger(__name__)
MAX_TRANSIENT_FAILURES = 5
# T3: how long a recipient's cool-down lasts, by the provider's error type, and how many the prospect gets
# before it stops (a withdrawn invitation blocks a new one for weeks; trying daily forever helps no one).
RECIPIENT_COOLDOWN = {
    "errors/cannot_resend_within_24hrs": timedelta(hours=24),
    "errors/cannot_resend_yet": timedelta(days=7),
    "errors/already_invited_recently": timedelta(days=7),
}
MAX_RECIPIENT_COOLDOWNS = 3
# T3: how long a sender waits on the provider's word when it gives no Retry-After.
SENDER_COOLDOWN = {
    "errors/missing_credentials": timedelta(minutes=15),
    "errors/insufficient_credits": timedelta(hours=24),
    "errors/limit_exceeded": timedelta(hours=24),
}
# T2: how long the reconciler keeps asking a provider that cannot answer before it decides without it.
RECONCILE_PATIENCE = timedelta(hours=24)
ASSUMED_SENT = "assumed sent: the provider's answer was lost"
# Provider and scheduler clocks differ a little: a message this much older than its attempt may still be it.
CLOCK_SKEW = timedelta(minutes=2)
# How long a sender waits after the provider said its account is disconnected or restricted, unless accounts
# confirms it (then its status holds it for as long as needed).
PROVIDER_BLOCK = timedelta(minutes=15)
# How long an inbox waits after its mail server refused the inbox itself (a sender address it may not use,
# relaying denied: T3, T5). Nothing about it changes by itself; a reconnect lifts it at once (T8).
SENDER_REFUSED_BLOCK = timedelta(hours=1)


class Dispatcher:
    def __init__(
        self,
        repository: Repository,
        providers: Providers,
        clock: Clock,
        *,
        batch: int = 100,
        unipile: UnipileClient | None = None,
        stale_after: timedelta = timedelta(minutes=10),
        relations_poll: timedelta = timedelta(hours=4),
        failure_rates: FailureRateMonitor | None = None,
        events: Events | None = None,
    ):
        """`failure_rates` evaluates the failure rate of a round's senders with its outcomes; `events` reports
        account-level failures to accounts (without them, in bare test set-ups, neither happens). The
        repository tells the outbox relay after each commit."""
        self._repo = repository
        self._providers = providers
        self._clock = clock
        self._batch = batch
        self._unipile = unipile
        self._stale_after = stale_after
        self._relations_poll = relations_poll
        self._failure_rates = failure_rates
        self._events = events
        self._plans = PlanMoves(clock)

    async def run_once(self) -> int:
        """Claim and perform one batch; returns how many actions were attempted."""
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            claimed = await tx.claim(now, self._batch)
            if not claimed:
                return 0
            plans = await tx.campaign_plans({row.campaign_id for row, _ in claimed})
            # Today's and the rolling week's counts of every claimed sender, in one query.
            counts = await tx.day_and_week_counts(
                [
                    (sender.sender_id, row.action_type or "", timemath.local_date(sender.timezone, now))
                    for row, sender in claimed
                ]
            )
            # The round's writes go in a few statements, not a few per action.
            writes = tx.buffered()
            starts: list[tuple[PlanRow, Sender, date, datetime]] = []
            # Whether each campaign's window is open now: once per campaign, not per action (B11: a round of 500
            # actions has a handful of campaigns, and the window's time-zone arithmetic was 8 % of a round).
            open_now = {c: timemath.is_open(plan.schedule, now) for c, plan in plans.items()}
            for row, sender in claimed:
                plan = plans[row.campaign_id]
                assert row.action_type is not None
                if not open_now[row.campaign_id]:
                    # Planned inside a window, but pacing or a retry pushed the claim past its end.
                    await self._plans.reschedule(writes, row, plan, now, now)
                    continue
                step = plan.step(row.step_index)
                if (
                    row.action_type == "linkedin_invite"
                    and step is not None
                    and len(render(step.text, template_values(row))) > INVITE_MESSAGE_MAX_CHARS
                ):
                    # Caught before any attempt: LinkedIn refuses a longer note, so trying again cannot help.
                    await self._plans.stop(writes, row, NOTE_TOO_LONG, now)
                    continue
                limits = sender.limits.get(row.action_type, FALLBACK_LIMITS)
                day = timemath.local_date(sender.timezone, now)
                ramp_day = sender.ramp_day_on(day)
                today, week = counts.get((sender.sender_id, row.action_type), (0, 0))
                cap = limits.cap_on_ramp_day(ramp_day)
                if row.action_type == "linkedin_invite":
                    cap = sender.invite_cap(cap, now)  # T3: near LinkedIn's limit, slow down first
                if today >= cap or week >= limits.weekly_cap:
                    # S5/S6: the sender's day (or week) is full: the action waits for its next local day.
                    tomorrow = datetime.combine(day + timedelta(days=1), time.min, tzinfo=ZoneInfo(sender.timezone))
                    await self._plans.reschedule(writes, row, plan, max(tomorrow, now), now)
                    continue
                gap = _pacing_gap(row, limits.pacing_min_seconds, limits.pacing_max_seconds)
                if row.next_action_at is not None:
                    DISPATCH_LAG.observe(max(0.0, (now - row.next_action_at).total_seconds()))
                starts.append((row, sender, day, now + timedelta(seconds=gap)))
            await writes.flush()
            # S8: every attempt is recorded (and committed) before its provider call.
            attempt_ids = await tx.start_attempts(starts, now)
        work = [(attempt_ids[row.prospect_id], row, sender, plans[row.campaign_id]) for row, sender, _, _ in starts]
        if not work:
            return 0
        outcomes = await asyncio.gather(
            *(
                self._providers.perform(a, row, sender, plan.step(row.step_index), plan.workspace_id)
                for a, row, sender, plan in work
            ),
            return_exceptions=True,
        )
        settled: list[tuple[str, PlanRow, Sender, CampaignPlan, Outcome]] = []
        for (attempt_id, row, sender, plan), outcome in zip(work, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                # Whatever happened at the provider is unknown: leave the attempt for the reconciler.
                log.error("send raised", attempt_id=attempt_id, error=repr(outcome))
            else:
                settled.append((attempt_id, row, sender, plan, outcome))
        await self._record_round(settled)
        for _, row, _, _, outcome in settled:
            kind = outcome.kind
            SENDS.labels(row.channel or "", "sent" if outcome.ok else (kind.value if kind else "unknown")).inc()
        return len(work)

    async def _record_round(self, settled: list[tuple[str, PlanRow, Sender, CampaignPlan, Outcome]]) -> None:
        """Record a round's outcomes and their consequences in one transaction, then evaluate the failure rate
        of its senders once (S10). Should that transaction fail, each outcome is recorded on its own, so one bad
        row cannot leave a whole round to the reconciler."""
        if not settled:
            return
        now = self._clock.now()
        try:
            async with self._repo.transaction() as tx:
                await tx.lock_senders(sorted({sender.sender_id for _, _, sender, _, _ in settled}))
                # The round's plan rows in id order before any is read or written one by one: a suppression or a
                # prospect's voice locks its rows in that order too (a deadlock was seen in the voice race test).
                await tx.lock_plans([row.prospect_id for _, row, _, _, _ in settled])
                writes = tx.buffered()
                for attempt_id, row, sender, plan, outcome in settled:
                    await self._apply_outcome(writes, attempt_id, row, sender, plan, outcome, now)
                await writes.flush()
                if self._failure_rates is not None:
                    # The rate moves with these outcomes, decided in the transaction that records them.
                    await self._failure_rates.evaluate(
                        tx, sorted({sender.sender_id for _, _, sender, _, _ in settled}), now
                    )
                return
        except asyncpg.PostgresError as exc:
            if len(settled) == 1 or isinstance(exc, asyncpg.PostgresConnectionError):
                raise
            log.warning("recording a round failed; recording its outcomes one by one", error=repr(exc))
        results = await asyncio.gather(*(self._record_round([item]) for item in settled), return_exceptions=True)
        for item, result in zip(settled, results, strict=True):
            if isinstance(result, BaseException):
                log.error(
                    "recording an outcome failed; left for reconciliation", attempt_id=item[0], error=repr(result)
                )

    async def _apply_outcome(
        self, tx: Tx, attempt_id: str, row: PlanRow, sender: Sender, plan: CampaignPlan, outcome: Outcome, now: datetime
    ) -> None:
        """One outcome class per provider answer (T1-T3): a definite answer closes the attempt, and what it
        concerns (this prospect, this recipient for a while, this sender, the account) is what waits or stops."""
        sender_id = sender.sender_id
        kind = outcome.kind
        if outcome.ok:
            await tx.finish_attempt(attempt_id, "succeeded", "sent", outcome.provider_ref, "", now)
            if outcome.usage is not None:
                await tx.record_invite_usage(sender_id, outcome.usage, now)
            await self._plans.step_done(tx, row, plan, now)
        elif kind is FailureKind.PROSPECT_REFUSED:
            # T1: not performed, and asking again gets the same answer: never re-sent.
            await tx.finish_attempt(attempt_id, "refused", outcome.error_type, "", outcome.detail, now)
            if row.action_type == "linkedin_invite" and outcome.error_type == "errors/action_already_performed":
                await self._plans.wait_acceptance(tx, row, now)  # already invited or connected: wait for it
            else:
                await self._plans.stop(tx, row, outcome.error_type or "refused", now)
        elif kind is FailureKind.RECIPIENT_COOLDOWN:
            # T3: this recipient cannot get this action for a while; the sender and other prospects go on.
            await tx.finish_attempt(attempt_id, "refused", outcome.error_type, "", outcome.detail, now)
            failures = row.failures + 1
            if failures > MAX_RECIPIENT_COOLDOWNS:
                await self._plans.stop(tx, row, f"recipient_cooldown:{outcome.error_type}", now, failures)
            else:
                wait = RECIPIENT_COOLDOWN.get(outcome.error_type, timedelta(days=1))
                await self._plans.reschedule(
                    tx, row, plan, now + wait, now, failures=failures, note=f"recipient_cooldown:{outcome.error_type}"
                )
        elif kind in (FailureKind.RATE_LIMITED, FailureKind.SENDER_COOLDOWN):
            # T3: the sender waits, with the provider's word as its reason; the prospect keeps its place.
            await tx.finish_attempt(attempt_id, "failed", kind.value, "", outcome.error_type, now)
            if outcome.retry_after_s:
                wait = timedelta(seconds=outcome.retry_after_s)
            elif kind is FailureKind.RATE_LIMITED:
                wait = timedelta(minutes=15)
            else:
                wait = SENDER_COOLDOWN.get(outcome.error_type, timedelta(hours=24))
            prefix = "rate_limited" if kind is FailureKind.RATE_LIMITED else "cooldown"
            await tx.defer_sender(sender_id, now + wait, f"{prefix}:{outcome.error_type or 'unknown'}")
            await self._plans.reschedule(tx, row, plan, now + wait, now)
        elif kind is FailureKind.SENDER_REFUSED:
            # The inbox's problem, not the prospect's (T3): nothing was sent, the prospect keeps its step and
            # place, and the inbox's email steps wait with the reason (why-not-now: sender_reported_sender_refused).
            await tx.finish_attempt(attempt_id, "failed", kind.value, "", outcome.detail, now)
            await tx.block_sender(sender_id, "sender_refused", now + SENDER_REFUSED_BLOCK)
            await self._plans.reschedule(tx, row, plan, now, now)
            log.warning(
                "the mail server refused the inbox itself; its sends wait",
                sender_id=sender_id,
                attempt_id=attempt_id,
                error=outcome.error_type,
                detail=outcome.detail,
            )
            # A campaign that cannot send is never shown as quietly active: accounts records the refusal on the
            # inbox (disconnected, naming the address) and campaigns pause its email steps (P6).
            await self._report_account_failure(
                tx,
                sender,
                attempt_id,
                "disconnected",
                outcome.detail,
                sender_refused=True,
                sender_version=sender.version,
            )
        elif kind in (FailureKind.DISCONNECTED, FailureKind.RESTRICTED):
            status = "disconnected" if kind is FailureKind.DISCONNECTED else "restricted"
            await tx.finish_attempt(attempt_id, "failed", kind.value, "", outcome.detail, now)
            await tx.block_sender(sender_id, status, now + PROVIDER_BLOCK)
            await self._plans.reschedule(tx, row, plan, now, now)
            if await self._report_account_failure(
                tx, sender, attempt_id, status, outcome.detail, restriction_kind=outcome.restriction_kind
            ):
                log.warning("account failure reported", sender_id=sender_id, status=status, attempt_id=attempt_id)
        elif kind is FailureKind.UNKNOWN or kind is None:
            # S8/T1: no answer, an unreadable answer, or a 5xx that cannot tell: the provider may have acted.
            # Sending again could send twice: the attempt stays open for the reconciler, which asks the provider.
            log.warning(
                "send outcome unknown; left for reconciliation", attempt_id=attempt_id, error=outcome.error_type
            )
        else:
            await tx.finish_attempt(attempt_id, "failed", kind.value, "", outcome.detail, now)
            failures = row.failures + 1
            if failures >= MAX_TRANSIENT_FAILURES:
                await self._plans.stop(tx, row, "provider_failures", now, failures)
            else:
                await self._plans.reschedule(
                    tx, row, plan, now + timedelta(minutes=5 * 2**failures), now, failures=failures
                )

    async def _report_account_failure(
        self,
        tx: Tx,
        sender: Sender,
        attempt_id: str,
        status: str,
        detail: str,
        *,
        restriction_kind: str = "",
        sender_refused: bool = False,
        sender_version: int = 0,
    ) -> bool:
        """S10: accounts owns the account's health; it hears of a failure from the attempt that saw it (an event
        in this transaction). False when this dispatcher reports nothing (no events given)."""
        if self._events is None:
            return False
        failure = AccountFailure(
            sender_kind=sender.kind,
            sender_id=sender.sender_id,
            status=status,
            restriction_kind=restriction_kind,
            detail=detail,
            attempt_id=attempt_id,
            sender_refused=sender_refused,
            sender_version=sender_version,
        )
        await tx.enqueue(self._events.account_failure(failure))
        return True

    async def reconcile_once(self) -> int:
        """S8/T2: an attempt still 'started' long after it began got no answer (a crash, a time-out, a 5xx
        that cannot tell). Ask the provider whether it happened rather than sending again; book nothing as
        sent that the provider does not show. Where the provider cannot tell (no look-up for the action, or
        no answer for RECONCILE_PATIENCE), at most once wins: the step counts as sent, and the attempt says
        so in the prospect's history."""
        now = self._clock.now()
        resolved = 0
        async with self._repo.transaction() as tx:
            for attempt in await tx.stale_attempts(now - self._stale_after, 50):
                attempt_id = str(attempt["id"])
                row = await tx.lock_plan(str(attempt["prospect_id"]))
                plan = await tx.plan(str(attempt["campaign_id"]))
                if row is None or plan is None or row.state != "in_flight":
                    await tx.finish_attempt(attempt_id, "abandoned", "orphan", "", "", now)
                    continue
                try:
                    sent = await self._was_sent(attempt, row)
                except UnipileError as exc:
                    if now - attempt["started_at"] < RECONCILE_PATIENCE:
                        # The provider could tell but did not answer now: ask again next round, never guess.
                        log.warning("reconcile deferred", attempt_id=attempt_id, kind=exc.kind.value)
                        continue
                    sent = None
                if sent is False:
                    # The provider shows nothing went out: the step may be tried again.
                    await tx.finish_attempt(attempt_id, "abandoned", "not_sent", "", "", now)
                    await self._plans.reschedule(tx, row, plan, now, now)
                elif sent is True:
                    await tx.finish_attempt(attempt_id, "reconciled_sent", "confirmed", "", "", now)
                    await self._plans.step_done(tx, row, plan, now)
                else:
                    log.warning("attempt assumed sent", attempt_id=attempt_id, action=row.action_type)
                    await tx.finish_attempt(attempt_id, "reconciled_sent", "assumed", "", ASSUMED_SENT, now)
                    await self._plans.step_done(tx, row, plan, now)
                resolved += 1
        return resolved

    async def _was_sent(self, attempt: asyncpg.Record, row: PlanRow) -> bool | None:
        """True or False when the provider can tell, None when it never can (no look-up for this action).
        Raises UnipileError when it could tell but did not answer now."""
        if row.channel != "linkedin" or self._unipile is None or not row.linkedin_provider_id:
            return None
        account = attempt["unipile_account_id"]
        if row.action_type == "linkedin_invite":
            return await self._invite_seen(account, row.linkedin_provider_id)
        return await self._message_seen(account, row.linkedin_provider_id, attempt["started_at"])

    async def _invite_seen(self, account: str, provider_id: str) -> bool:
        assert self._unipile is not None
        cursor = None
        for _ in range(20):
            page = await self._unipile.list_sent_invitations(account, cursor=cursor)
            if any(i.provider_id == provider_id for i in page.items):
                return True
            cursor = page.cursor
            if cursor is None:
                break
        relations = await self._unipile.list_relations(account)
        return any(r.provider_id == provider_id for r in relations.items)

    async def _message_seen(self, account: str, provider_id: str, started_at: datetime) -> bool:
        """T2: a message (or InMail) counts as sent only when the chat with the prospect holds a message our
        account sent since the attempt began. Chats come most recently active first."""
        assert self._unipile is not None
        since = started_at - CLOCK_SKEW
        cursor = None
        for _ in range(10):
            page = await self._unipile.list_chats(account, cursor=cursor)
            for chat in page.items:
                if chat.attendee_provider_id != provider_id:
                    continue
                messages = await self._unipile.list_chat_messages(chat.id, after=since)
                if any(m.is_sender and (m.sent_at is None or m.sent_at >= since) for m in messages.items):
                    return True
            cursor = page.cursor
            if cursor is None:
                break
        return False

    async def invite_accepted(
        self, unipile_account_id: str, provider_id: str, accepted_at: datetime | None = None
    ) -> int:
        """S9: the message after an invite is due its delay after acceptance; never invite again."""
        accepted_at = accepted_at or self._clock.now()
        advanced = 0
        async with self._repo.transaction() as tx:
            for row in await tx.awaiting_acceptance(unipile_account_id, provider_id):
                plan = await tx.plan(row.campaign_id)
                if plan is not None:
                    await self._plans.advance(tx, row, plan, accepted_at)
                    advanced += 1
        return advanced

    async def poll_acceptances_once(self) -> int:
        """S9 fallback: read the relations of senders with prospects waiting for acceptance; a waiting
        prospect found among them has accepted. Returns how many prospects moved on."""
        if self._unipile is None:
            return 0
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            due = await tx.claim_relation_polls(now, 5, self._relations_poll.total_seconds(), now.isoformat())
        advanced = 0
        for _sender_id, account, waiting in due:
            found: set[str] = set()
            cursor = None
            try:
                for _ in range(10):  # the newest relations come first; acceptances are recent
                    page = await self._unipile.list_relations(account, cursor=cursor)
                    found |= {r.provider_id for r in page.items if r.provider_id in waiting}
                    cursor = page.cursor
                    if cursor is None or found == waiting:
                        break
            except UnipileError as exc:
                log.warning("relations poll failed", account=account, kind=exc.kind.value)
                continue
            for provider_id in found:
                advanced += await self.invite_accepted(account, provider_id, now)
        return advanced


def _pacing_gap(row: PlanRow, low: float, high: float) -> float:
    """The pause after this action, drawn from the sender's pacing range, the same for the same step of the same
    prospect (a retried claim paces alike). A fixed range needs no draw: seeding a generator from a string hashes
    it, 5 % of a round (B11)."""
    if low == high:
        return low
    return random.Random(f"{row.prospect_id}:{row.step_index}:gap").uniform(low, high)
