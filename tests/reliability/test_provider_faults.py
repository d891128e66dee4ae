"""Provider faults at scale (issue 8, DESIGN S8/S10): the real dispatcher on virtual time over real PostgreSQL,
the real Unipile client over real HTTP to the Unipile sandbox, which answers a seeded random share of the invites
with a 429, a 5xx (JSON or an HTML error page), or no answer in time (the sandbox acting first, then answering
too late for the client's time-out; or answering late before acting).

Checked against what was injected, fault by fault:
* 429 -> the attempt is `rate_limited`, the sender waits the provider's Retry-After (15 minutes without one)
  before its next send, and it never counts towards the sender's failure rate;
* a documented 5xx that says the request was not taken (500 provider_error, 503) -> the attempt is `transient`,
  the prospect is retried later, and it counts towards the failure rate;
* no answer, or a 5xx that cannot tell (a proxy's 502 page) -> the attempt stays open (unknown outcome, DESIGN
  T1), is not sent again, and the reconciler asks Unipile: confirmed as sent when Unipile had acted, tried
  again once when it had not;
* in the end every prospect was invited exactly once (Unipile received one successful invite per prospect and
  no second one), none lost."""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from datetime import datetime, timedelta

from services.common.clock import ManualClock
from services.common.providers.smtp import SmtpSettings
from services.common.providers.unipile import UnipileClient
from services.scheduler.clients import ProtoEvents
from services.scheduler.dispatcher import Dispatcher
from services.scheduler.domain import FailurePolicy, Limits
from services.scheduler.providers import Providers
from services.scheduler.repository import Repository
from tests.scheduler_rig import MONDAY_7_UTC, Rig, scheduler_rig

SEED = int(os.environ.get("RELIABILITY_SEED") or random.SystemRandom().randrange(2**32))
PROSPECTS = int(os.environ.get("HOLDFAST_FAULT_PROSPECTS") or 80)
CLIENT_TIMEOUT_S = 0.25
LATE_MS = 600  # longer than the client waits
STALE_AFTER = timedelta(minutes=10)
DEFAULT_RATE_LIMIT_WAIT = timedelta(minutes=15)
ROOMY = Limits(daily_cap=200, weekly_cap=1000, ramp_start=200, ramp_step=0, pacing_min_seconds=0, pacing_max_seconds=0)
# (weight, fault): None is a normal answer.
FAULTS = (
    (55, None),
    (12, "429"),
    (5, "429_no_retry_after"),
    (8, "500"),
    (4, "503"),
    (4, "502_html"),
    (7, "late_after_acting"),
    (5, "late_before_acting"),
)


async def _no_email(_: str) -> SmtpSettings:
    raise AssertionError("no email in this test")


async def inject(rig: Rig, fault: str, retry_after_s: int) -> None:
    match fault:
        case "429":
            await rig.control(
                "failures",
                {
                    "endpoint": "send_invite",
                    "status": 429,
                    "type": "errors/too_many_requests",
                    "retry_after": retry_after_s,
                },
            )
        case "429_no_retry_after":
            await rig.control(
                "failures", {"endpoint": "send_invite", "status": 429, "type": "errors/too_many_requests"}
            )
        case "500":
            await rig.control("failures", {"endpoint": "send_invite", "status": 500, "type": "errors/provider_error"})
        case "503":
            await rig.control(
                "failures", {"endpoint": "send_invite", "status": 503, "type": "errors/service_unavailable"}
            )
        case "502_html":  # a proxy's error page, not Unipile's JSON
            await rig.control(
                "failures", {"endpoint": "send_invite", "status": 502, "type": "bad_gateway", "non_json": True}
            )
        case "late_after_acting":
            await rig.control("latency", {"endpoint": "send_invite", "ms": LATE_MS, "after_acting": True})
        case "late_before_acting":
            await rig.control("latency", {"endpoint": "send_invite", "ms": LATE_MS})


async def clear_latency(rig: Rig) -> None:
    await rig.control("latency", {"endpoint": "send_invite", "ms": 0, "after_acting": True})
    await rig.control("latency", {"endpoint": "send_invite", "ms": 0})


async def next_due(rig: Rig):
    return await rig.pool.fetchval(
        """SELECT min(greatest(p.next_action_at, s.next_send_after)) FROM scheduler.prospect_plans p
             JOIN scheduler.sender_states s ON s.sender_id = p.sender_id WHERE p.state = 'scheduled'"""
    )


async def test_429_5xx_and_timeouts_are_classified_retried_or_reconciled_and_each_invite_goes_once(fresh_dsn):
    rng = random.Random(SEED)
    clock = ManualClock(MONDAY_7_UTC)
    # A high threshold: this test counts failures itself; pausing the sender is test_failure_rate's subject.
    policy = FailurePolicy(window_seconds=30 * 86400, threshold=0.99, min_sample=10_000)
    async with scheduler_rig(fresh_dsn, clock, policy=policy) as rig:
        impatient = UnipileClient(rig.sandbox_url, "test-key", rig.http, timeout_s=CLIENT_TIMEOUT_S, now=clock.now)
        dispatcher = Dispatcher(
            Repository(rig.pool),
            Providers(impatient, _no_email),
            clock,
            unipile=impatient,
            stale_after=STALE_AFTER,
            failure_rates=rig.failure_rates,
            events=ProtoEvents(),
        )
        sender = await rig.add_sender(ROOMY)
        await rig.campaign([sender], PROSPECTS)
        account = await rig.account_of(sender)

        injected: Counter[str] = Counter()
        retry_after: dict[int, int] = {}  # round -> seconds the provider asked for
        rate_limited_at: list[tuple[datetime, timedelta]] = []  # when a 429 came, and the wait it asked for
        rounds = 0
        while (due := await next_due(rig)) is not None:
            rounds += 1
            assert rounds < PROSPECTS * 20, "the faults never let the list finish"
            clock.set(max(due, clock.now()))
            fault = rng.choices([f for _, f in FAULTS], weights=[w for w, _ in FAULTS])[0]
            if fault:
                retry_after[rounds] = rng.choice((60, 300, 900))
                await inject(rig, fault, retry_after[rounds])
            performed = await dispatcher.run_once()
            if not performed:
                # Nothing was claimed (the round only re-planned): disarm the fault, nobody met it.
                rig.sandbox.failures.clear()
                await clear_latency(rig)
                continue
            assert performed == 1, "one sender, one action per round"
            if fault:
                injected[fault] += 1
            if fault in ("429", "429_no_retry_after"):
                asked = timedelta(seconds=retry_after[rounds]) if fault == "429" else DEFAULT_RATE_LIMIT_WAIT
                rate_limited_at.append((clock.now(), asked))
            if fault and (fault.startswith("late") or fault == "502_html"):
                await clear_latency(rig)
                await asyncio.sleep(LATE_MS / 1000 + 0.1)  # the sandbox finishes what it was doing
                open_ = await rig.pool.fetchval("SELECT count(*) FROM scheduler.send_attempts WHERE status = 'started'")
                assert open_ == 1, "an unanswered send stays open"
                clock.advance(STALE_AFTER + timedelta(seconds=1))
                assert await dispatcher.reconcile_once() == 1

        attempts = await rig.pool.fetch(
            "SELECT status, outcome, started_at, prospect_id FROM scheduler.send_attempts ORDER BY started_at, id"
        )
        outcomes = Counter((a["status"], a["outcome"]) for a in attempts)

        # 429: one rate-limited attempt each, the sender's next send only after the wait the provider asked for.
        assert outcomes[("failed", "rate_limited")] == injected["429"] + injected["429_no_retry_after"], outcomes
        starts = [a["started_at"] for a in attempts]
        for at, asked in rate_limited_at:
            later = [t for t in starts if t > at]
            assert not later or later[0] - at >= asked, f"sent {later[0] - at} after a 429 that asked for {asked}"
        # 5xx: transient failures, each retried.
        transient = injected["500"] + injected["503"]
        assert outcomes[("failed", "transient")] == transient, outcomes
        # No answer: reconciled, never sent blindly again.
        assert outcomes[("reconciled_sent", "confirmed")] == injected["late_after_acting"], outcomes
        late_before = injected["late_before_acting"]
        assert (
            outcomes[("reconciled_sent", "confirmed")] + outcomes[("abandoned", "not_sent")]
            == injected["late_after_acting"] + late_before + injected["502_html"]
        ), outcomes
        # Every prospect invited exactly once: one success (or confirmed send) each, no refusal from Unipile
        # for a second invite, and every call Unipile received accounted for by one attempt.
        sent = Counter(a["prospect_id"] for a in attempts if a["status"] in ("succeeded", "reconciled_sent"))
        assert len(sent) == PROSPECTS and set(sent.values()) == {1}, "an invite was lost or sent twice"
        assert outcomes[("refused", "errors/already_invited_recently")] == 0, outcomes
        assert len({i.provider_id for i in rig.sandbox.invitations if i.account_id == account}) == PROSPECTS
        assert len(rig.sandbox.invitations) == PROSPECTS
        assert rig.sandbox.calls["send_invite"] == len(attempts)

        # The failure rate counts the 5xx and nothing of the 429s: exactly the transient failures injected.
        counts = await _failure_counts(rig, sender, clock)
        assert counts == (
            len(attempts)
            - outcomes[("failed", "rate_limited")]
            - outcomes[("abandoned", "not_sent")]
            - outcomes[("reconciled_sent", "confirmed")],
            transient,
        ), (counts, outcomes)
        print(
            f"\nprovider faults (seed {SEED}): {sum(injected.values())} faults injected over "
            f"{len(attempts)} send attempts for {PROSPECTS} prospects ({dict(injected)}); "
            f"outcomes {dict((f'{s}/{o}', n) for (s, o), n in outcomes.items())}; failure rate counted "
            f"{counts[1]} failures in {counts[0]} attempts (0 from 429s); every prospect invited once, 0 lost, "
            f"0 repeated; virtual time {clock.now() - MONDAY_7_UTC}"
        )


async def _failure_counts(rig: Rig, sender: str, clock: ManualClock) -> tuple[int, int]:
    async with Repository(rig.pool).transaction() as tx:  # the monitor's own query
        counts = await tx.failure_counts([sender], MONDAY_7_UTC - timedelta(days=1), clock.now())
    return counts.get(sender, (0, 0))
