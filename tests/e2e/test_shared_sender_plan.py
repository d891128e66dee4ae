"""Plans keep pacing across campaigns (issue 15, S4), through HTTP: two campaigns sharing a LinkedIn account are
planned, paused and resumed; no two of the account's planned actions are ever closer than its pacing gap, and
each resume preview's every field (overdue, first, last, per day) is what the resume then planned."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime, timedelta

from services.common import timemath
from tests.e2e.conftest import MONDAY_0800_PARIS, SCHEDULE, World

GAP = timedelta(seconds=60)
INVITE = {"channel": "linkedin", "action": "invite", "text": "Hi {{first_name}}"}


async def planned(w: World, account_id: str, campaign_id: str | None = None) -> list[tuple[str, datetime]]:
    rows = await w.db.fetch(
        "SELECT prospect_id::text, next_action_at FROM scheduler.prospect_plans WHERE sender_id = $1::uuid"
        " AND state = 'scheduled' AND ($2::uuid IS NULL OR campaign_id = $2::uuid) ORDER BY next_action_at",
        account_id,
        campaign_id,
    )
    return [(r[0], r[1]) for r in rows]


def closest(instants: list[datetime]) -> timedelta:
    return min((b - a for a, b in zip(instants, instants[1:], strict=False)), default=timedelta.max)


async def test_two_campaigns_sharing_an_account_keep_its_pacing_and_resume_as_previewed(world):
    w = world
    _, auth = await w.suite.new_workspace()
    account = f"acc-{uuid.uuid4().hex[:8]}"
    async with w.suite.http.post(f"{w.unipile_url}/_sandbox/accounts", json={"id": account, "name": "Ana"}) as r:
        assert r.status < 300
    limits = {
        "daily_cap": 20,
        "weekly_cap": 100,
        "ramp_start": 20,
        "ramp_step": 0,
        "pacing_min_seconds": int(GAP.total_seconds()),
        "pacing_max_seconds": 90,
    }
    li = await w.suite.linkedin_account(
        auth, unipile_account_id=account, timezone="Europe/Paris", limits={"linkedin_invite": limits}
    )
    campaigns = []
    for name, first in (("A", 0), ("B", 100)):
        status, c = await w.suite.call(
            "POST",
            "/api/v1/campaigns",
            auth,
            json={"name": name, "schedule": SCHEDULE, "steps": [INVITE], "senders": {"linkedin_account_ids": [li]}},
        )
        assert status == 201, c
        status, added = await w.suite.call(
            "POST",
            f"/api/v1/campaigns/{c['id']}/prospects",
            auth,
            json={"prospects": [{"linkedin_provider_id": f"ACo{first + i:04d}"} for i in range(15)]},
        )
        assert status == 200 and added["added"] == 15
        status, _ = await w.suite.call("POST", f"/api/v1/campaigns/{c['id']}/activate", auth)
        assert status == 200
        campaigns.append(c["id"])
    await w.settle()
    plan = await planned(w, li)
    assert len(plan) == 30
    assert closest([at for _, at in plan]) >= GAP, "two campaigns' first actions keep the account's pacing"
    per_day = Counter(timemath.local_date("Europe/Paris", at) for _, at in plan)
    assert max(per_day.values()) <= 20

    for cid in campaigns:
        status, _ = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth)
        assert status == 200
    # Tuesday 08:00 in Paris: Monday's actions are overdue; the window is not open yet, so nothing is sent
    # between a preview and its resume.
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=1))
    assert w.unipile.invitations == []
    for cid in campaigns:
        status, preview = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/resume-preview", auth)
        assert status == 200 and preview["overdue"] > 0, preview
        overdue = {p for p, at in await planned(w, li, cid) if at <= w.clock.now()}
        assert len(overdue) == preview["overdue"]
        status, resumed = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/resume", auth)
        assert status == 200 and resumed["campaign"]["status"] == "active", resumed
        moved = sorted(at for p, at in await planned(w, li, cid) if p in overdue)
        assert len(moved) == preview["overdue"]
        assert datetime.fromisoformat(preview["first_at"]) == moved[0]
        assert datetime.fromisoformat(preview["last_at"]) == moved[-1], "last_at is the last action re-planned"
        days = Counter(timemath.local_date("Europe/Paris", at).isoformat() for at in moved)
        assert sorted(days.items()) == sorted((d["date"], d["count"]) for d in preview["days"])
        assert closest([at for _, at in await planned(w, li)]) >= GAP

    await w.run_until(MONDAY_0800_PARIS + timedelta(days=7))
    sent = sorted(
        r[0] for r in await w.db.fetch("SELECT started_at FROM scheduler.send_attempts WHERE sender_id = $1::uuid", li)
    )
    assert len(sent) == 30 and closest(sent) >= GAP
