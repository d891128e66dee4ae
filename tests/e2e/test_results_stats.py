"""Results the UI shows, through the gateway's read routes and the scheduler's GetSenderStats and GetCampaignStats:
invites sent and accepted, emails sent and refused, prospects finished and stopped, per step and per local day;
a sender's actions today and over 7 days with its ramp day. Another workspace's objects are 404."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.conftest import MONDAY_0800_PARIS, World, setup_campaign

STEPS = [
    {"channel": "linkedin", "action": "invite", "text": "Hi {{first_name}}"},
    {"channel": "email", "action": "email", "subject": "Hello", "body": "A note"},
]


async def test_campaign_and_sender_stats(world: World) -> None:
    w = world
    s = await setup_campaign(w, 3, STEPS)
    w.smtp.reject_recipient("p2@prospect.example", 550)
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=10))  # Monday: three invitations
    for provider in ("ACo0000", "ACo0002"):
        async with w.suite.http.post(
            f"{w.unipile_url}/_sandbox/accounts/{s.unipile_account_id}/accept", json={"provider_id": provider}
        ) as r:
            assert r.status < 300, await r.text()
    await w.settle()
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=1, hours=10))  # Tuesday: the two emails

    status, stats = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}/stats", s.auth)
    assert status == 200, stats
    assert (stats["enrolled"], stats["finished"], stats["stopped"]) == (3, 1, 1), stats
    invite, email = stats["steps"]
    assert (invite["action"], invite["reached"], invite["sent"], invite["accepted"], invite["failed"]) == (
        "invite",
        3,
        3,
        2,
        0,
    ), invite
    assert (email["action"], email["reached"], email["sent"], email["failed"], email["bounced"]) == (
        "email",
        2,
        1,
        1,
        0,
    ), email
    assert [(d["date"], d["sent"], d["failed"]) for d in stats["days"]] == [
        ("2026-03-02", 3, 0),
        ("2026-03-03", 1, 1),
    ], stats["days"]

    status, li = await w.suite.call("GET", f"/api/v1/linkedin-accounts/{s.linkedin_account_id}/stats", s.auth)
    assert status == 200, li
    # Tuesday in Paris: nothing sent today, Monday's three invitations in the last 7 days; Monday was the
    # account's first sending day, so a send today would count on ramp day 1.
    assert (li["sent_today"], li["sent_last_7_days"], li["ramp_day"]) == (0, 3, 1), li
    status, inbox = await w.suite.call("GET", f"/api/v1/inboxes/{s.inbox_id}/stats", s.auth)
    assert status == 200, inbox
    assert inbox["sent_today"] == inbox["sent_last_7_days"] >= 1 and inbox["ramp_day"] == 0, inbox

    _, other = await w.suite.new_workspace()
    for path in (
        f"/api/v1/campaigns/{s.campaign_id}/stats",
        f"/api/v1/linkedin-accounts/{s.linkedin_account_id}/stats",
        f"/api/v1/inboxes/{s.inbox_id}/stats",
    ):
        status, body = await w.suite.call("GET", path, other)
        assert status == 404 and body["error"]["code"] == "not_found", (path, body)


async def test_a_campaign_before_its_first_send_has_zero_figures(world: World) -> None:
    w = world
    s = await setup_campaign(w, 2, STEPS)
    status, stats = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}/stats", s.auth)
    assert status == 200, stats
    assert stats["enrolled"] == 2 and stats["days"] == [] and [st["sent"] for st in stats["steps"]] == [0, 0]


async def test_replies_and_opt_outs_are_counted(world: World) -> None:
    w = world
    s = await setup_campaign(
        w, 3, [STEPS[0], {"channel": "linkedin", "action": "message", "delay": {"days": 1}, "text": "Thanks!"}]
    )
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=6))
    for provider in ("ACo0000", "ACo0001", "ACo0002"):
        async with w.suite.http.post(
            f"{w.unipile_url}/_sandbox/accounts/{s.unipile_account_id}/accept", json={"provider_id": provider}
        ) as r:
            assert r.status < 300, await r.text()
    await w.settle()
    for provider, text in (
        ("ACo0000", "Yes, Thursday 10:00 works for me."),
        ("ACo0002", "Please remove me from your list."),
    ):
        async with w.suite.http.post(
            f"{w.unipile_url}/_sandbox/accounts/{s.unipile_account_id}/messages",
            json={"provider_id": provider, "text": text, "notify": True},
        ) as r:
            assert r.status == 201, await r.text()
    status, stats = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}/stats", s.auth)
    assert status == 200, stats
    assert (stats["replied"], stats["opted_out"], stats["out_of_office"]) == (1, 1, 0), stats
