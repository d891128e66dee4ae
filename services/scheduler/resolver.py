"""Profile look-ups (issue 13): a prospect uploaded with a LinkedIn profile URL or public identifier gets the
provider id an invite needs from `GET /api/v1/users/{identifier}?account_id=…`, asked through its own sender,
in the background. Look-ups are LinkedIn activity: each sender looks up one profile at a time, a jittered gap
apart, at most a daily cap, and only while the sender may act and the campaign is not held.

Found: the prospect is planned from its step. Refused (a 4xx: no such member for this account): state
`not_found` with the provider's reason. Anything else (the account's or the provider's trouble): it waits
for a later look-up; a look-up has no effect at LinkedIn's end, so trying again is safe."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import structlog

from services.common.clock import Clock
from services.common.providers.unipile import FailureKind, UnipileClient, UnipileError, UserProfile
from services.scheduler.lookup_repository import Lookup, LookupTx
from services.scheduler.planner import planned_at
from services.scheduler.repository import Repository, Tx

log = structlog.get_logger(__name__)
# How long a sender's look-ups wait after the provider said the account, or this sender, cannot act now.
ACCOUNT_TROUBLE_WAIT = timedelta(minutes=15)
SENDER_COOLDOWN_WAIT = timedelta(hours=1)


class ProfileResolver:
    def __init__(
        self,
        repository: Repository,
        unipile: UnipileClient | None,
        clock: Clock,
        *,
        daily_cap: int = 80,
        gap: timedelta = timedelta(seconds=60),
        batch: int = 20,
    ):
        self._repo = repository
        self._unipile = unipile
        self._clock = clock
        self._daily_cap = daily_cap
        self._gap = gap
        self._batch = batch
        # Its own generator: pacing jitter needs no shared global state.
        self._rng = random.Random()

    async def run_once(self) -> int:
        """Look up one profile for each sender that may; returns how many look-ups were made."""
        if self._unipile is None:
            return 0
        now = self._clock.now()
        jitter = 0.75 + 0.5 * self._rng.random()
        async with self._repo.transaction() as tx:
            lookups = await LookupTx(tx).claim(now, now.date(), self._daily_cap, self._gap, jitter, self._batch)
        if not lookups:
            return 0
        answers = await asyncio.gather(
            *(self._unipile.get_user(x.unipile_account_id, x.identifier) for x in lookups), return_exceptions=True
        )
        async with self._repo.transaction() as tx:
            lookup_tx = LookupTx(tx)
            for lookup, answer in zip(lookups, answers, strict=True):
                await self._apply(tx, lookup_tx, lookup, answer)
        return len(lookups)

    async def _apply(self, tx: Tx, lookup_tx: LookupTx, lookup: Lookup, answer: UserProfile | BaseException) -> None:
        now = self._clock.now()
        if isinstance(answer, UserProfile):
            plan = await tx.plan(lookup.campaign_id)
            if plan is None:
                return
            at = planned_at(plan.schedule, now, lookup.prospect_id, lookup.step_index)
            await lookup_tx.resolved(lookup.prospect_id, answer.provider_id, at, now)
            log.info("profile resolved", prospect_id=lookup.prospect_id)
            return
        if not isinstance(answer, UnipileError):
            log.error("profile look-up raised", prospect_id=lookup.prospect_id, error=repr(answer))
            return
        if answer.kind is FailureKind.PROSPECT_REFUSED:
            await lookup_tx.not_found(lookup.prospect_id, f"not_found:{answer.type or answer.status}", now)
            log.info("profile not found", prospect_id=lookup.prospect_id, type=answer.type)
        elif answer.kind in (FailureKind.DISCONNECTED, FailureKind.RESTRICTED):
            await lookup_tx.postpone(lookup.sender_id, now + ACCOUNT_TROUBLE_WAIT)
        elif answer.kind in (FailureKind.RATE_LIMITED, FailureKind.SENDER_COOLDOWN):
            wait = timedelta(seconds=answer.retry_after_s) if answer.retry_after_s else SENDER_COOLDOWN_WAIT
            await lookup_tx.postpone(lookup.sender_id, now + wait)
        else:
            log.warning(
                "profile look-up failed; will try again", prospect_id=lookup.prospect_id, kind=answer.kind.value
            )
