"""B1: re-plan a campaign's backlog after a 3-day pause (DESIGN S4), against a bare SQL UPDATE of the same
rows' next-action column in the same database. Target: at most 2x the baseline, growing linearly.

    .venv/bin/python -m bench.b1_reclamp [--prospects 100000 1000000] [--per-sender 500]
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta

from bench import summary
from bench.common import best_of, new_id, scheduler_database
from services.common import timemath
from services.common.clock import ManualClock
from services.scheduler.domain import CampaignPlan, Limits, Step
from services.scheduler.repository import Repository
from services.scheduler.service import SchedulerService

NOW = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
EVERY_DAY = timemath.Schedule.parse(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "08:00", "18:00", "UTC")


async def run(prospects: int, per_sender: int) -> tuple[float, float]:
    async with scheduler_database() as pool:
        clock = ManualClock(NOW)
        service = SchedulerService(Repository(pool), clock)
        senders = [new_id() for _ in range(max(1, prospects // per_sender))]
        limits = Limits(
            daily_cap=per_sender,
            weekly_cap=per_sender * 7,
            ramp_start=per_sender,
            ramp_step=0,
            pacing_min_seconds=0,
            pacing_max_seconds=0,
        )
        for sender in senders:
            await service.set_sender(
                "linkedin_account",
                sender,
                1,
                "connected",
                "UTC",
                None,
                f"acc-{sender}",
                "",
                {"linkedin_invite": limits},
            )
        campaign = new_id()
        await service.upsert_plan(
            CampaignPlan(
                campaign, new_id(), 1, EVERY_DAY, True, tuple(senders), (), (Step(0, "linkedin", "linkedin_invite", 0),)
            )
        )
        # The backlog: every prospect fell due during the pause, spread over its three days.
        await pool.execute(
            """INSERT INTO scheduler.prospect_plans (prospect_id, campaign_id, linkedin_provider_id, state, channel,
                   action_type, sender_id, due_at, next_action_at, linkedin_sender_id, updated_at)
               SELECT gen_random_uuid(), $1, 'p' || g, 'scheduled', 'linkedin', 'linkedin_invite',
                      ($2::uuid[])[1 + g % array_length($2::uuid[], 1)],
                      $3::timestamptz - make_interval(secs => (g % 259200)),
                      $3::timestamptz - make_interval(secs => (g % 259200)),
                      ($2::uuid[])[1 + g % array_length($2::uuid[], 1)], $3
                 FROM generate_series(1, $4) AS g""",
            campaign,
            senders,
            NOW - timedelta(minutes=1),
            prospects,
        )
        await pool.execute("ANALYZE scheduler.prospect_plans")

        async def overdue_again() -> None:
            await pool.execute(
                "UPDATE scheduler.prospect_plans SET next_action_at = due_at WHERE campaign_id = $1", campaign
            )

        async def baseline() -> None:
            await pool.execute(
                "UPDATE scheduler.prospect_plans SET next_action_at = $2 WHERE campaign_id = $1"
                " AND state = 'scheduled' AND next_action_at <= $2",
                campaign,
                NOW,
            )

        async def reclamp() -> None:
            moved = await service.reclamp(campaign, ["campaign"])
            assert moved == prospects, (moved, prospects)

        base = await best_of(3, overdue_again, baseline)
        ours = await best_of(3, overdue_again, reclamp)
        return base, ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prospects", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--per-sender", type=int, default=500, help="prospects per sender (its daily cap too)")
    args = parser.parse_args()
    for n in args.prospects:
        base, ours = asyncio.run(run(n, args.per_sender))
        print(
            f"B1 re-clamp {n:>9,} overdue prospects ({max(1, n // args.per_sender)} senders): "
            f"{ours:7.2f} s; bare UPDATE {base:6.2f} s; ratio {ours / base:4.2f}x (target <= 2x)"
        )
        summary.record(
            "B1",
            f"re-clamp {n:,} overdue prospects",
            f"{ours:.2f} s",
            f"bare UPDATE {base:.2f} s",
            ours / base,
            "<= 2x",
            ours / base <= 2,
        )


if __name__ == "__main__":
    main()
