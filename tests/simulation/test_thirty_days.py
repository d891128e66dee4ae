"""Thirty virtual days of 50 campaigns in 8 timezones, across three DST changes, with random pauses of an
hour to ten days and their resumes, random acceptances, and LinkedIn and email steps. Every send goes
through the real dispatcher to the Unipile sandbox (real HTTP) or a real SMTP server. Then the ledger is
audited: sends outside windows or days, cap, ramp and weekly-cap violations, pacing violations, duplicate
(prospect, step) sends, sends while held, and prospects lost or stuck. Every count must be 0."""

from __future__ import annotations

import heapq
import random
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from sandbox.smtp import SandboxSmtp
from services.common import timemath
from services.common.clock import ManualClock
from services.common.providers.smtp import SmtpSettings
from services.scheduler.domain import CampaignPlan, Limits, Step
from services.scheduler.plan_rows_repository import Enrollee
from tests.scheduler_rig import scheduler_rig

# Starts two days before the US DST change and ends after the European one and Sydney's/Chatham's.
START = datetime(2026, 3, 6, 0, 0, tzinfo=UTC)
END = START + timedelta(days=30)
ZONES = [
    "America/New_York",
    "Europe/Paris",
    "Australia/Sydney",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "Europe/London",
    "America/Los_Angeles",
]
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
INVITE = Limits(daily_cap=8, weekly_cap=30, ramp_start=3, ramp_step=2, pacing_min_seconds=120, pacing_max_seconds=300)
MESSAGE = Limits(daily_cap=15, weekly_cap=60, ramp_start=5, ramp_step=5, pacing_min_seconds=120, pacing_max_seconds=300)
EMAIL = Limits(daily_cap=12, weekly_cap=60, ramp_start=4, ramp_step=4, pacing_min_seconds=60, pacing_max_seconds=180)


@pytest.mark.slow
async def test_thirty_days_fifty_campaigns_eight_zones(fresh_dsn):
    rng = random.Random(20261123)
    smtp = SandboxSmtp()
    smtp.set_password("sim", "sim-password")
    smtp_port = await smtp.start()

    async def credentials(_: str) -> SmtpSettings:
        return SmtpSettings("127.0.0.1", smtp_port, "none", "sim", "sim-password")

    clock = ManualClock(START)
    try:
        async with scheduler_rig(fresh_dsn, clock, credentials) as rig:
            report = await simulate(rig, rng, clock)
    finally:
        await smtp.stop()
    print("\nsimulation:", report)  # noqa: T201 (the figure the reliability document quotes)
    violations = {k: v for k, v in report.items() if k.startswith("violations_")}
    assert violations == dict.fromkeys(violations, 0), report
    assert report["sends"] > 800 and report["campaigns"] == 50 and report["pauses"] >= 30, report
    assert report["emails"] == len(smtp.messages)


async def simulate(rig, rng: random.Random, clock: ManualClock) -> dict[str, int]:
    # Senders: 20 LinkedIn accounts and 10 inboxes, each in one of the zones.
    linkedin = []
    for _ in range(20):
        sender_id, account = str(uuid.uuid4()), f"acc-{uuid.uuid4().hex[:8]}"
        await rig.control("accounts", {"id": account, "name": account})
        await rig.service.set_sender(
            "linkedin_account",
            sender_id,
            1,
            "connected",
            rng.choice(ZONES),
            None,
            account,
            "",
            {"linkedin_invite": INVITE, "linkedin_message": MESSAGE},
        )
        linkedin.append((sender_id, account))
    inboxes = []
    for i in range(10):
        inbox_id = str(uuid.uuid4())
        await rig.service.set_sender(
            "inbox", inbox_id, 1, "connected", rng.choice(ZONES), None, "", f"sender{i}@sim.example", {"email": EMAIL}
        )
        inboxes.append(inbox_id)

    schedules: dict[str, timemath.Schedule] = {}
    events: list[tuple[datetime, int, str, tuple]] = []  # (when, tie, kind, args)
    tie = iter(range(10**9))
    pauses = 0
    for c in range(50):
        zone = ZONES[c % len(ZONES)]
        days = sorted(rng.sample(DAYS, rng.randint(3, 6)), key=DAYS.index)
        start_hour = rng.randint(0, 13) if zone == "Pacific/Chatham" else rng.randint(6, 12)
        length = rng.randint(4, 10)
        schedule = timemath.Schedule.parse(
            days,
            f"{start_hour:02d}:{rng.choice([0, 15, 30]):02d}",
            f"{min(start_hour + length, 23):02d}:00",
            zone,
            rng.random() < 0.5,
        )
        steps = [
            Step(0, "linkedin", "linkedin_invite", 0, "Hi {{first_name}}"),
            Step(1, "linkedin", "linkedin_message", 24 * rng.randint(1, 3), "Thanks {{first_name}}"),
        ]
        if c % 2 == 0:
            steps.append(Step(2, "email", "email", 48, "", "Hello {{first_name}}", "A note for {{first_name}}."))
        campaign_id = str(uuid.uuid4())
        senders = tuple(s for s, _ in rng.sample(linkedin, rng.randint(1, 2)))
        plan = CampaignPlan(
            campaign_id, str(uuid.uuid4()), 1, schedule, True, senders, (rng.choice(inboxes),), tuple(steps)
        )
        await rig.service.upsert_plan(plan)
        schedules[campaign_id] = schedule
        await rig.service.enroll(
            campaign_id,
            [
                Enrollee(str(uuid.uuid4()), f"li-{c}-{i}", f"p{c}-{i}@prospect.example", f"P{i}", "", "", {})
                for i in range(rng.randint(8, 12))
            ],
        )
        version = 1
        at = START
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            at = at + timedelta(hours=rng.uniform(2, 24 * 9))
            if at >= END - timedelta(days=2):
                break
            length = timedelta(hours=rng.uniform(1, 24 * 10))
            heapq.heappush(events, (at, next(tie), "hold", (campaign_id, version := version + 1, ["campaign"])))
            heapq.heappush(events, (at + length, next(tie), "hold", (campaign_id, version := version + 1, [])))
            at = at + length
            pauses += 1

    accepted: set[str] = set()
    holds: dict[str, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    seen_attempts = 0
    while True:
        await rig.dispatcher.run_once()
        # Acceptances: some invitees accept a while after their invitation went out.
        new = await rig.pool.fetch(
            "SELECT a.started_at, p.linkedin_provider_id, s.unipile_account_id FROM scheduler.send_attempts a"
            " JOIN scheduler.prospect_plans p ON p.prospect_id = a.prospect_id"
            " JOIN scheduler.sender_states s ON s.sender_id = a.sender_id"
            " WHERE a.action_type = 'linkedin_invite' AND a.status = 'succeeded' ORDER BY a.started_at OFFSET $1",
            seen_attempts,
        )
        seen_attempts += len(new)
        for row in new:
            if rng.random() < 0.6:
                heapq.heappush(
                    events,
                    (
                        row["started_at"] + timedelta(hours=rng.uniform(1, 72)),
                        next(tie),
                        "accept",
                        (row["unipile_account_id"], row["linkedin_provider_id"]),
                    ),
                )
        due = await rig.pool.fetchval(
            """SELECT min(greatest(p.next_action_at, s.next_send_after)) FROM scheduler.prospect_plans p
                 JOIN scheduler.sender_states s ON s.sender_id = p.sender_id
                 JOIN scheduler.campaign_holds h ON h.campaign_id = p.campaign_id
                WHERE p.state = 'scheduled' AND NOT (h.held_scopes && ARRAY['campaign', p.channel])"""
        )
        upcoming = events[0][0] if events else None
        nxt = min(t for t in (due, upcoming) if t is not None) if (due or upcoming) else None
        if nxt is None or nxt > END:
            clock.set(END)
            break
        clock.set(max(nxt, clock.now()))
        while events and events[0][0] <= clock.now():
            _, _, kind, args = heapq.heappop(events)
            if kind == "hold":
                campaign_id, version, scopes = args
                await rig.service.set_holds(campaign_id, version, scopes)
                if scopes:
                    holds[campaign_id].append((clock.now(), None))
                else:
                    holds[campaign_id][-1] = (holds[campaign_id][-1][0], clock.now())
            elif kind == "accept":
                account, provider_id = args
                await rig.control(f"accounts/{account}/accept", {"provider_id": provider_id, "notify": False})
                await rig.dispatcher.invite_accepted(account, provider_id, clock.now())
                accepted.add(provider_id)
    return await audit(rig, schedules, holds, accepted, pauses)


async def audit(rig, schedules, holds, accepted, pauses) -> dict[str, int]:
    attempts = await rig.pool.fetch(
        """SELECT a.*, s.timezone AS sender_tz FROM scheduler.send_attempts a
             JOIN scheduler.sender_states s ON s.sender_id = a.sender_id ORDER BY a.started_at"""
    )
    sent = [a for a in attempts if a["status"] in ("succeeded", "refused", "reconciled_sent")]
    limits = {"linkedin_invite": INVITE, "linkedin_message": MESSAGE, "email": EMAIL}

    outside = sum(1 for a in sent if not timemath.is_open(schedules[str(a["campaign_id"])], a["started_at"]))
    while_held = sum(
        1
        for a in sent
        for start, end in holds.get(str(a["campaign_id"]), [])
        if start <= a["started_at"] and (end is None or a["started_at"] < end)
    )
    per_day = Counter((a["sender_id"], a["action_type"], a["sender_local_date"]) for a in sent)
    cap = sum(1 for (_, action, _), n in per_day.items() if n > limits[action].daily_cap)
    # Ramp: the k-th sending day of a sender allows ramp_start + k * ramp_step.
    ramp = 0
    days_of: dict[tuple, list] = defaultdict(list)
    for (sender, action, day), n in per_day.items():
        days_of[sender].append((day, action, n))
    for entries in days_of.values():
        sending_days = sorted({d for d, _, _ in entries})
        for day, action, n in entries:
            if n > limits[action].cap_on_ramp_day(sending_days.index(day)):
                ramp += 1
    weekly = 0
    for (sender, action, day), _ in per_day.items():
        week = sum(
            n
            for (s2, a2, d2), n in per_day.items()
            if s2 == sender and a2 == action and timedelta(0) <= day - d2 < timedelta(days=7)
        )
        weekly += week > limits[action].weekly_cap
    pacing = 0
    by_sender: dict = defaultdict(list)
    for a in sent:
        by_sender[a["sender_id"]].append(a)
    for items in by_sender.values():
        for before, after in zip(items, items[1:], strict=False):
            if (after["started_at"] - before["started_at"]).total_seconds() < limits[
                before["action_type"]
            ].pacing_min_seconds:
                pacing += 1
    duplicates = sum(
        n - 1
        for n in Counter((a["prospect_id"], a["step_index"]) for a in sent if a["status"] != "refused").values()
        if n > 1
    )
    invites = Counter((i.account_id, i.provider_id) for i in rig.sandbox.invitations)
    duplicate_invites = sum(n - 1 for n in invites.values() if n > 1)
    plans = await rig.pool.fetch(
        """SELECT p.*, h.held_scopes FROM scheduler.prospect_plans p
             JOIN scheduler.campaign_holds h ON h.campaign_id = p.campaign_id"""
    )
    now = rig.clock.now()
    stuck = sum(
        1
        for p in plans
        if p["state"] == "in_flight"
        or (p["state"] == "scheduled" and not p["held_scopes"] and p["next_action_at"] < now - timedelta(hours=1))
    )
    lost = sum(1 for p in plans if p["state"] == "waiting_acceptance" and p["linkedin_provider_id"] in accepted)
    hourly_after_resume = 0
    for campaign_id, spans in holds.items():
        for _, end in spans:
            if end is None:
                continue
            hour = Counter(
                a["sender_id"]
                for a in sent
                if str(a["campaign_id"]) == campaign_id and end <= a["started_at"] < end + timedelta(hours=1)
            )
            hourly_after_resume += sum(1 for n in hour.values() if n > 3600 // 120)
    return {
        "campaigns": len(schedules),
        "prospects": len(plans),
        "pauses": pauses,
        "sends": len(sent),
        "invites": sum(a["action_type"] == "linkedin_invite" for a in sent),
        "messages": sum(a["action_type"] == "linkedin_message" for a in sent),
        "emails": sum(a["action_type"] == "email" for a in sent),
        "accepted": len(accepted),
        "done": sum(p["state"] == "done" for p in plans),
        "violations_outside_window": outside,
        "violations_sent_while_held": while_held,
        "violations_daily_cap": cap,
        "violations_ramp": ramp,
        "violations_weekly_cap": weekly,
        "violations_pacing": pacing,
        "violations_duplicate_sends": duplicates + duplicate_invites,
        "violations_stuck": stuck,
        "violations_lost_after_acceptance": lost,
        "violations_burst_after_resume": hourly_after_resume,
    }
