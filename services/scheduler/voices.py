"""Use cases of listening to the prospect (DESIGN V1-V9): a reply or an opt-out stops the prospect (or its
whole company, V4) for good, an out-of-office parks it until its return, and the workspace suppression list
stops every prospect it matches (V6). No gRPC and no SQL here.

The guarantee (V8): once `record` or `change_suppressions` returns, no send to an affected prospect starts,
and none is still at the provider. The voice is written on the prospect's plan row after locking it, so a
claim running at that moment is waited for and every later claim sees the voice; the sends earlier claims
started are then waited for (drained), as `SchedulerService.set_holds` does for holds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from services.common.attempts import Attempt
from services.common.clock import Clock
from services.common.errors import FailedPrecondition, InvalidArgument, NotFound
from services.scheduler.domain import CampaignPlan, company_domain
from services.scheduler.planner import planned_at
from services.scheduler.ports import BackEvent, SuppressEvent
from services.scheduler.repository import Repository
from services.scheduler.voice_repository import RANK, STOPPING, Target, VoiceEvent, VoiceTx

log = structlog.get_logger(__name__)
VOICES = ("out_of_office", "replied", "opted_out")
SUPPRESSION_KINDS = ("email", "domain", "linkedin")


@dataclass(frozen=True, slots=True)
class Recorded:
    # False for an event id seen before (V9): nothing changed.
    applied: bool
    # The prospects stopped or parked by this event (the author, and its company with stop_on_reply=company).
    affected: list[str]
    parked_until: datetime | None = None


class ProspectVoices:
    def __init__(
        self,
        repository: Repository,
        clock: Clock,
        *,
        ooo_days: float = 7.0,
        drain_seconds: float = 30.0,
        stale_after: timedelta = timedelta(minutes=10),
        suppress: SuppressEvent | None = None,
        back: BackEvent | None = None,
    ):
        """`suppress` builds the event asking campaigns to suppress an opted-out prospect's address (V6: opt-outs
        feed the list); `back` the one telling campaigns a stopped prospect is back in its sequence (its gate
        check, issue 15). The repository tells the outbox relay after each commit."""
        self._suppress = suppress
        self._back = back
        self._repo = repository
        self._clock = clock
        self._ooo = timedelta(days=ooo_days)
        self._drain_seconds = drain_seconds
        self._stale_after = stale_after

    async def record(
        self,
        event_id: str,
        prospect_id: str,
        voice: str,
        *,
        until: datetime | None = None,
        channel: str = "",
        source: str = "",
        snippet: str = "",
        received_at: datetime | None = None,
    ) -> Recorded:
        """What the prospect said, once per event id. `until` is an out-of-office's return (else ooo_days)."""
        if voice not in VOICES:
            raise InvalidArgument(f"voice must be one of {', '.join(VOICES)}", field="voice")
        if not event_id or len(event_id) > 1000:
            raise InvalidArgument("event_id must be 1 to 1000 characters", field="event_id")
        now = self._clock.now()
        received_at = received_at or now
        parked: datetime | None = None
        async with self._repo.transaction() as tx:
            store = VoiceTx(tx)
            found = await store.prospect(prospect_id)
            if found is None:
                raise NotFound("no such prospect")
            target, workspace_id, email, company = found
            if not await store.first_time(event_id):
                return Recorded(False, [])
            plan = await tx.plan(target.campaign_id)
            assert plan is not None  # a prospect's plan row references its campaign's
            if voice == "out_of_office":
                # Parked into the window of its return (V3), from its current step.
                back = max(until or received_at + self._ooo, now)
                parked = planned_at(plan.schedule, back, prospect_id, target.step_index)
                affected = (
                    [prospect_id]
                    if (await store.lock_targets([prospect_id]) and await store.park(prospect_id, parked))
                    else []
                )
            else:
                ids = [prospect_id]
                if plan.stop_on_reply == "company":
                    ids += await store.company_of(plan.campaign_id, company_domain(email), company)
                await store.lock_targets(sorted(set(ids)))
                affected = await store.stop(sorted(set(ids)), voice)
            await store.record_event(
                VoiceEvent(
                    event_id, prospect_id, voice, channel, source, snippet, parked, len(affected), received_at, now
                ),
                target.campaign_id,
            )
            # The unsubscribe link's opt-out comes from campaigns, which suppressed the address already.
            suppressing = voice == "opted_out" and self._suppress is not None and source != "unsubscribe_link"
            if suppressing:
                await tx.enqueue(self._suppress(workspace_id, prospect_id, source))  # type: ignore[misc]
        log.info(
            "prospect voice recorded",
            prospect_id=prospect_id,
            voice=voice,
            affected=len(affected),
            channel=channel,
            source=source,
        )
        await self._drain(affected)
        return Recorded(True, affected, parked)

    async def reclassify(
        self, campaign_id: str, prospect_id: str, reply_id: str, voice: str, actor: str, until: datetime | None = None
    ) -> Recorded:
        """V3: a member says what a reply really was. A stronger reading applies like a new reply (with
        stop_on_reply=company, to the author's company too); an opt-out is never undone this way (the suppression
        list is where a member lifts it); a reply re-read as an out-of-office puts the prospect back where it was,
        parked, unless a reply that still stands stops it (its own other reply, or with stop_on_reply=company a
        colleague's), and with stop_on_reply=company the colleagues that reply stopped go back where they were too,
        under the same condition. It joins the history."""
        if voice not in VOICES:
            raise InvalidArgument(f"classification must be one of {', '.join(VOICES)}", field="classification")
        now = self._clock.now()
        async with self._repo.transaction() as tx:
            store = VoiceTx(tx)
            original = await store.event(reply_id)
            found = await store.prospect(prospect_id)
            if (
                original is None
                or original.prospect_id != prospect_id
                or found is None
                or found[0].campaign_id != campaign_id
            ):
                raise NotFound("no such reply")
            target, _, email, company = found
            if target.voice in ("opted_out", "suppressed") and RANK[voice] < RANK[target.voice]:
                raise FailedPrecondition(
                    f"the prospect is {target.voice.replace('_', ' ')}; that is never undone by re-classifying a reply",
                    code=f"{target.voice}_is_final",
                )
            plan = await tx.plan(campaign_id)
            assert plan is not None
            colleagues: list[str] = []
            if plan.stop_on_reply == "company":
                colleagues = [
                    c for c in await store.company_of(campaign_id, company_domain(email), company) if c != prospect_id
                ]
            locked = {t.prospect_id: t for t in await store.lock_targets(sorted({prospect_id, *colleagues}))}
            parked = None
            others: list[str] = []
            if voice == "out_of_office":
                back = max(until or original.received_at + self._ooo, now)
                parked = planned_at(plan.schedule, back, prospect_id, target.step_index)
                unstopped = target.voice in STOPPING
                # Who a reply that still stands stops (V4): the author too, when it is its own other reply or,
                # company-wide, a colleague's; the member re-read this one reply, not those.
                covered = await self._still_stopped(store, plan, prospect_id, original.event_id) if unstopped else set()
                if not unstopped:
                    changed = await store.park(prospect_id, parked)
                elif prospect_id in covered:
                    changed = False
                else:
                    changed = await store.unstop(prospect_id, target.voice, parked)
                parked = parked if changed else None  # nothing parked: the answer and the history name no return
                if unstopped and colleagues and (changed or prospect_id in covered):
                    others = await self._restore(
                        store, plan, target.voice, [locked[c] for c in colleagues if c in locked], covered, now
                    )
                if changed and unstopped and self._back is not None:
                    # A step of the campaign may be active again: the gate check must see it (P5, P6).
                    await tx.enqueue(
                        self._back(f"back:{reply_id}@{now.isoformat()}", campaign_id, prospect_id, target.step_index)
                    )
            else:
                stopped = await store.stop(sorted({prospect_id, *colleagues}), voice)
                changed = prospect_id in stopped
                others = [p for p in stopped if p != prospect_id]
            affected = ([prospect_id] if changed else []) + others
            event_id = f"{original.event_id}#{voice}@{now.isoformat()}"
            await store.record_event(
                VoiceEvent(
                    event_id,
                    prospect_id,
                    voice,
                    original.channel,
                    actor,
                    f"re-classified {original.voice} -> {voice}",
                    parked,
                    len(affected),
                    original.received_at,
                    now,
                ),
                campaign_id,
            )
        log.info(
            "reply re-classified",
            prospect_id=prospect_id,
            was=original.voice,
            now=voice,
            actor=actor,
            changed=changed,
            colleagues=len(others),
        )
        await self._drain(affected if voice != "out_of_office" else [])
        return Recorded(True, affected, parked)

    async def _still_stopped(self, store: VoiceTx, plan: CampaignPlan, author: str, event_id: str) -> set[str]:
        """The prospects a reply or opt-out that still stands stops, leaving out the author's reply `event_id`
        (being re-classified): each standing author, and with stop_on_reply=company its company."""
        covered: set[str] = set()
        for other, other_email, other_company in await store.standing_authors(plan.campaign_id, author, event_id):
            covered.add(other)
            if plan.stop_on_reply == "company":
                covered.update(await store.company_of(plan.campaign_id, company_domain(other_email), other_company))
        return covered

    async def _restore(
        self, store: VoiceTx, plan: CampaignPlan, voice: str, colleagues: list[Target], covered: set[str], now: datetime
    ) -> list[str]:
        """The colleagues the author's reply stopped (company-wide, V4), back where they were, with nothing parked:
        those that reply's `voice` stopped and that no reply still standing stops (`covered`: their own, or with
        stop_on_reply=company one from their company). Each next action goes into the window from now on."""
        restored = []
        for colleague in colleagues:
            if colleague.voice != voice or colleague.prospect_id in covered:
                continue
            back = planned_at(plan.schedule, now, colleague.prospect_id, colleague.step_index)
            if await store.unstop(colleague.prospect_id, voice, back, park=False):
                restored.append(colleague.prospect_id)
        return restored

    async def change_suppressions(
        self, workspace_id: str, add: Sequence[tuple[str, str]], remove: Sequence[tuple[str, str]]
    ) -> int:
        """V6: keep the scheduler's copy of the workspace's list; every unfinished prospect a new entry matches
        is suppressed now. Returns how many prospects that stopped. A removed entry lets later enrollments
        through; prospects it already stopped stay stopped (they may have been told they would hear no more)."""
        for kind, _ in (*add, *remove):
            if kind not in SUPPRESSION_KINDS:
                raise InvalidArgument(f"kind must be one of {', '.join(SUPPRESSION_KINDS)}", field="kind")
        async with self._repo.transaction() as tx:
            store = VoiceTx(tx)
            await store.lock_suppressions(workspace_id)
            await store.change_suppressions(workspace_id, add, remove)
            matched = await store.suppressed_prospects(workspace_id, add) if add else []
            await store.lock_targets(matched)
            stopped = await store.stop(matched, "suppressed") if matched else []
        if add or remove:
            log.info(
                "suppressions changed",
                workspace_id=workspace_id,
                added=len(add),
                removed=len(remove),
                prospects_stopped=len(stopped),
            )
        await self._drain(matched)
        return len(stopped)

    async def left_out(self, campaign_id: str) -> dict[str, int]:
        async with self._repo.transaction() as tx:
            return await VoiceTx(tx).left_out(campaign_id, self._clock.now())

    async def events(self, prospect_id: str) -> list[VoiceEvent]:
        async with self._repo.transaction() as tx:
            return await VoiceTx(tx).events_of(prospect_id)

    async def history(self, campaign_id: str, prospect_id: str) -> tuple[list[VoiceEvent], list[Attempt]]:
        """The prospect's replies and its send attempts (NotFound unless it is in that campaign)."""
        async with self._repo.transaction() as tx:
            store = VoiceTx(tx)
            found = await store.prospect(prospect_id)
            if found is None or found[0].campaign_id != campaign_id:
                raise NotFound("no such prospect")
            attempts = await store.attempts_of(campaign_id, prospect_id)
            return await store.events_of(prospect_id), attempts

    async def _drain(self, prospect_ids: list[str]) -> None:
        """Wait (up to drain_seconds) until no send to these prospects is at the provider."""
        if not prospect_ids:
            return
        deadline = time.monotonic() + self._drain_seconds
        pause = 0.002
        while True:
            async with self._repo.transaction() as tx:
                in_flight = await VoiceTx(tx).in_flight(prospect_ids, self._clock.now() - self._stale_after)
            if not in_flight:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.warning(
                    "voice recorded but sends are still in flight",
                    prospects=len(prospect_ids),
                    in_flight=in_flight,
                    waited_seconds=self._drain_seconds,
                )
                return
            await asyncio.sleep(min(pause, remaining))
            pause = min(pause * 2, 0.05)


def shown_state(state: str, voice: str, parked_until: datetime | None, now: datetime) -> str:
    """V1-V3 as a prospect's state: what it said wins over where its plan stands."""
    if voice in STOPPING:
        return voice
    if voice == "out_of_office" and parked_until is not None and parked_until > now and state == "scheduled":
        return "out_of_office"
    return state


__all__ = ["RANK", "ProspectVoices", "Recorded", "shown_state"]
