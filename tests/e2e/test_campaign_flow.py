"""A campaign end to end through HTTP, on virtual time: the whole suite in-process on one shared manual
clock, the Unipile sandbox and a real SMTP server, invite -> acceptance (by webhook) -> message -> email,
and a three-day pause whose backlog is spread as the resume preview said."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from services.common import timemath
from tests.e2e.conftest import MONDAY_0800_PARIS, PARIS, setup_campaign


async def test_invite_acceptance_message_and_email_go_out_at_valid_times(world):
    w = world
    steps = [
        {"channel": "linkedin", "action": "invite", "text": "Hi {{first_name}}"},
        {"channel": "linkedin", "action": "message", "delay": {"days": 1}, "text": "Thanks {{first_name}}!"},
        {
            "channel": "email",
            "action": "email",
            "delay": {"days": 2},
            "subject": "Hello {{first_name}}",
            "body": "Following up, {{first_name}}.",
        },
    ]
    setup = await setup_campaign(w, 3, steps)
    auth, cid = setup.auth, setup.campaign_id
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=1))
    assert sorted(i.provider_id for i in w.unipile.invitations) == ["ACo0000", "ACo0001", "ACo0002"]

    # Two accept; Unipile tells us by webhook, and the gateway hands it to the scheduler.
    accepted_at = w.clock.now()
    for provider in ("ACo0000", "ACo0002"):
        account = w.unipile.invitations[0].account_id
        async with w.suite.http.post(
            f"{w.unipile_url}/_sandbox/accounts/{account}/accept", json={"provider_id": provider}
        ) as r:
            assert r.status < 300, await r.text()
            deliveries = (await r.json()).get("deliveries", [])
        assert any(d.get("status") == 200 for d in deliveries), deliveries
    await w.settle()
    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects", auth)
    by_provider = {p["linkedin_provider_id"]: p for p in page["prospects"]}
    assert by_provider["ACo0001"]["state"] == "waiting_acceptance"
    assert by_provider["ACo0001"]["why_not_now"] == ["waiting_for_acceptance"]
    waiting = by_provider["ACo0000"]
    assert waiting["state"] == "scheduled" and waiting["current_step"] == 1
    assert datetime.fromisoformat(waiting["next_action_at"]) >= accepted_at + timedelta(days=1)

    await w.run_until(MONDAY_0800_PARIS + timedelta(days=10))
    chats = [(c.attendee_provider_id, m.text, m.sent_at) for c in w.unipile.chats.values() for m in c.messages]
    assert sorted((p, t) for p, t, _ in chats) == [("ACo0000", "Thanks Name0!"), ("ACo0002", "Thanks Name2!")]
    emails = w.smtp.messages
    assert sorted((m.rcpt_tos[0], m.subject) for m in emails) == [
        ("p0@prospect.example", "Hello Name0"),
        ("p2@prospect.example", "Hello Name2"),
    ]
    attempts = await w.db.fetch("SELECT action_type, started_at, status FROM scheduler.send_attempts")
    assert {a["status"] for a in attempts} == {"succeeded"}
    assert Counter(a["action_type"] for a in attempts) == {"linkedin_invite": 3, "linkedin_message": 2, "email": 2}
    assert all(timemath.is_open(PARIS, a["started_at"]) for a in attempts), "every send inside a window"
    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects", auth)
    assert sorted(p["state"] for p in page["prospects"]) == ["done", "done", "waiting_acceptance"]


async def test_a_three_day_pause_resumes_as_the_preview_said_without_a_burst(world):
    w = world
    setup = await setup_campaign(w, 40, [{"channel": "linkedin", "action": "invite"}], invite_cap=10)
    auth, cid = setup.auth, setup.campaign_id
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=4))  # Monday noon in Paris
    before = len(w.unipile.invitations)
    assert 0 < before <= 10
    status, paused = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth)
    assert status == 200 and paused["campaign"]["status"] == "paused"
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=3, hours=4))  # Thursday noon
    assert len(w.unipile.invitations) == before, "nothing is sent while paused"
    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects?page_size=200", auth)
    assert all("paused:manual" in p["why_not_now"] for p in page["prospects"] if p["state"] == "scheduled")

    status, preview = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/resume-preview", auth)
    assert status == 200 and preview["overdue"] > 0
    overdue_before = {
        p["id"]
        for p in page["prospects"]
        if p["state"] == "scheduled" and datetime.fromisoformat(p["next_action_at"]) <= w.clock.now()
    }
    assert len(overdue_before) == preview["overdue"]
    status, resumed = await w.suite.call("POST", f"/api/v1/campaigns/{cid}/resume", auth)
    assert status == 200 and resumed["campaign"]["status"] == "active", resumed
    assert datetime.fromisoformat(resumed["next_sends"]["linkedin"]) >= w.clock.now()

    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects?page_size=200", auth)
    # The dispatcher runs meanwhile: an action it already sent counts at the instant it went out.
    sent_at = {
        str(r["prospect_id"]): r["started_at"]
        for r in await w.db.fetch(
            "SELECT prospect_id, started_at FROM scheduler.send_attempts WHERE started_at >= $1", w.clock.now()
        )
    }
    replanned = [
        datetime.fromisoformat(p["next_action_at"]) if p["next_action_at"] else sent_at[p["id"]]
        for p in page["prospects"]
        if p["id"] in overdue_before
    ]
    per_day = Counter(timemath.local_date("Europe/Paris", t).isoformat() for t in replanned)
    assert sorted(per_day.items()) == sorted((d["date"], d["count"]) for d in preview["days"])

    await w.run_until(MONDAY_0800_PARIS + timedelta(days=14))
    sent = await w.db.fetch("SELECT started_at FROM scheduler.send_attempts WHERE status = 'succeeded'")
    assert len(sent) == 40 and len({i.provider_id for i in w.unipile.invitations}) == 40
    daily = Counter(timemath.local_date("Europe/Paris", s["started_at"]) for s in sent)
    assert max(daily.values()) <= 10, f"no day over the cap after the resume: {daily}"
