"""A campaign's lifecycle through HTTP (issue 17): an edit of a started campaign re-plans the prospects waiting on
a changed delay or window (DESIGN S3), its preview lists who moves and saves nothing; a started campaign keeps its
steps' channels and actions; duplicate makes a draft; archive makes it read-only and out of the default list; a
campaign whose every prospect is done reads "completed", and new prospects make it active again."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.e2e.conftest import MONDAY_0800_PARIS, SCHEDULE, World, setup_campaign

EMAILS = [
    {"channel": "email", "action": "email", "subject": "Hello", "body": "A note"},
    {"channel": "email", "action": "email", "delay": {"days": 3}, "subject": "Again", "body": "Follow-up"},
]


def _definition(campaign: dict, **change) -> dict:
    steps = [{k: s[k] for k in ("channel", "action", "delay", "text", "subject", "body")} for s in campaign["steps"]]
    return {
        "name": campaign["name"],
        "schedule": campaign["schedule"],
        "steps": steps,
        "senders": campaign["senders"],
        "stop_on_reply": campaign["stop_on_reply"],
        **change,
    }


async def _planned(w: World, s, campaign_id: str | None = None) -> dict[str, datetime]:
    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{campaign_id or s.campaign_id}/prospects", s.auth)
    assert status == 200, page
    return {p["id"]: datetime.fromisoformat(p["next_action_at"]) for p in page["prospects"] if p["next_action_at"]}


async def test_a_changed_delay_or_window_replans_the_waiting_prospects_after_a_preview(world: World) -> None:
    w = world
    s = await setup_campaign(w, 3, EMAILS)
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=10))  # the first emails go out on Monday
    _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
    before = await _planned(w, s)
    assert len(before) == 3 and all(at > w.clock.now() + timedelta(days=2) for at in before.values()), before

    # One day instead of three: a preview says each waiting prospect moves two days earlier, and saves nothing.
    shorter = _definition(campaign)
    shorter["steps"][1]["delay"] = {"days": 1, "hours": 0}
    status, preview = await w.suite.call(
        "PUT", f"/api/v1/campaigns/{s.campaign_id}", s.auth, json={**shorter, "preview": True}
    )
    assert status == 200, preview
    assert (preview["saved"], preview["moved"], preview["changed"]) == (False, 3, ["steps.1.delay"]), preview
    moves = {
        m["prospect_id"]: (datetime.fromisoformat(m["before"]), datetime.fromisoformat(m["after"]))
        for m in preview["moves"]
    }
    assert {p: b for p, (b, _) in moves.items()} == before
    for prospect, (was, then) in moves.items():
        assert then == was - timedelta(days=2), (prospect, was, then)
    assert preview["campaign"]["steps"][1]["delay"] == {"days": 1, "hours": 0}
    assert await _planned(w, s) == before  # nothing saved
    _, still = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
    assert still["steps"][1]["delay"] == {"days": 3, "hours": 0}

    status, saved = await w.suite.call("PUT", f"/api/v1/campaigns/{s.campaign_id}", s.auth, json=shorter)
    assert status == 200, saved
    assert (saved["saved"], saved["moved"]) == (True, 3), saved
    await w.settle()
    assert await _planned(w, s) == {p: then for p, (_, then) in moves.items()}

    # A window of 15:00-17:00: who waits before 15:00 moves into it; who is already inside stays.
    later = _definition(saved["campaign"], schedule={**SCHEDULE, "window": {"start": "15:00", "end": "17:00"}})
    status, preview = await w.suite.call(
        "PUT", f"/api/v1/campaigns/{s.campaign_id}", s.auth, json={**later, "preview": True}
    )
    assert status == 200, preview
    current = await _planned(w, s)
    early = {p for p, at in current.items() if at.astimezone(_paris()).hour < 15}
    assert preview["moved"] == len(early) and {m["prospect_id"] for m in preview["moves"]} == early, preview
    status, saved = await w.suite.call("PUT", f"/api/v1/campaigns/{s.campaign_id}", s.auth, json=later)
    assert status == 200 and saved["changed"] == ["schedule.window"], saved
    await w.settle()
    after = await _planned(w, s)
    for prospect, at in after.items():
        local = at.astimezone(_paris())
        assert 15 <= local.hour < 17 and local.date() == current[prospect].astimezone(_paris()).date(), local
        if prospect not in early:
            assert at == current[prospect]

    # A started campaign keeps its steps' channels and actions, and its senders.
    invite = _definition(saved["campaign"])
    invite["steps"][1] = {"channel": "linkedin", "action": "invite", "text": "Hi"}
    status, refused = await w.suite.call("PUT", f"/api/v1/campaigns/{s.campaign_id}", s.auth, json=invite)
    assert status == 409 and refused["error"]["code"] == "steps_locked", refused
    status, refused = await w.suite.call(
        "PUT",
        f"/api/v1/campaigns/{s.campaign_id}",
        s.auth,
        json={**_definition(saved["campaign"]), "steps": _definition(saved["campaign"])["steps"][:1]},
    )
    assert status == 409 and refused["error"]["code"] == "steps_locked", refused


def _paris():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Paris")


async def test_a_draft_takes_any_edit_and_a_duplicate_is_a_new_draft(world: World) -> None:
    w = world
    s = await setup_campaign(w, 2, EMAILS[:1], activate=False)
    _, draft = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
    grown = _definition(draft, name="Founders, take two")
    grown["steps"].append({"channel": "linkedin", "action": "invite", "text": "Hi {{first_name}}"})
    status, saved = await w.suite.call("PUT", f"/api/v1/campaigns/{s.campaign_id}", s.auth, json=grown)
    assert status == 200, saved
    assert saved["saved"] and saved["moved"] == 0 and saved["changed"] == ["name", "steps"], saved
    assert [st["action"] for st in saved["campaign"]["steps"]] == ["email", "invite"]
    status, bad = await w.suite.call(
        "PUT",
        f"/api/v1/campaigns/{s.campaign_id}",
        s.auth,
        json={**grown, "steps": [{"channel": "linkedin", "action": "message"}]},
    )
    assert status == 400 and bad["error"]["details"]["field"] == "steps.0.action", bad

    status, copy = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/duplicate", s.auth, json={})
    assert status == 201, copy
    assert copy["id"] != s.campaign_id and copy["status"] == "draft" and copy["name"] == "Copy of Founders, take two"
    assert copy["steps"] == saved["campaign"]["steps"] and copy["senders"] == saved["campaign"]["senders"]
    _, prospects = await w.suite.call("GET", f"/api/v1/campaigns/{copy['id']}/prospects", s.auth)
    assert prospects["prospects"] == []
    _, other = await w.suite.new_workspace()
    status, _ = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/duplicate", other, json={})
    assert status == 404
    status, _ = await w.suite.call("PUT", f"/api/v1/campaigns/{s.campaign_id}", other, json=grown)
    assert status == 404


async def test_archive_is_read_only_and_out_of_the_default_list(world: World) -> None:
    w = world
    s = await setup_campaign(w, 2, EMAILS)
    status, archived = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/archive", s.auth, json={})
    assert status == 200, archived
    assert archived["changed"] and archived["campaign"]["archived_at"], archived
    # A sending campaign is paused by the member as it is archived: it never sends from the archive.
    assert archived["campaign"]["status"] == "paused" and archived["campaign"]["paused_reason"] == "manual"
    _, listed = await w.suite.call("GET", "/api/v1/campaigns", s.auth)
    assert listed["campaigns"] == []
    _, only = await w.suite.call("GET", "/api/v1/campaigns?archived=archived", s.auth)
    assert [c["id"] for c in only["campaigns"]] == [s.campaign_id]
    _, both = await w.suite.call("GET", "/api/v1/campaigns?archived=all", s.auth)
    assert [c["id"] for c in both["campaigns"]] == [s.campaign_id]
    _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
    for method, path, body in (
        ("POST", "resume", {}),
        ("POST", "activate", {}),
        ("POST", "prospects", {"prospects": [{"email": "x@prospect.example"}]}),
        ("PUT", "", _definition(campaign, name="Renamed")),
    ):
        status, refused = await w.suite.call(
            method, f"/api/v1/campaigns/{s.campaign_id}/{path}".rstrip("/"), s.auth, json=body
        )
        assert status == 409 and refused["error"]["code"] == "archived", (path, refused)
    status, again = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/archive", s.auth, json={})
    assert status == 200 and not again["changed"], again

    status, back = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/unarchive", s.auth, json={})
    assert status == 200 and back["changed"] and back["campaign"]["archived_at"] is None, back
    assert back["campaign"]["status"] == "paused"
    _, listed = await w.suite.call("GET", "/api/v1/campaigns", s.auth)
    assert [c["id"] for c in listed["campaigns"]] == [s.campaign_id]
    status, resumed = await w.suite.call("POST", f"/api/v1/campaigns/{s.campaign_id}/resume", s.auth, json={})
    assert status == 200 and resumed["campaign"]["status"] == "active", resumed


async def test_a_campaign_whose_every_prospect_is_done_is_completed(world: World) -> None:
    w = world
    s = await setup_campaign(w, 2, EMAILS[:1])
    _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
    assert campaign["status"] == "active"
    await w.run_until(MONDAY_0800_PARIS + timedelta(hours=10))
    _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
    assert campaign["status"] == "completed", campaign
    _, listed = await w.suite.call("GET", "/api/v1/campaigns", s.auth)
    assert [c["status"] for c in listed["campaigns"]] == ["completed"]
    # A new prospect has a step ahead of it: the campaign is active again.
    status, added = await w.suite.call(
        "POST",
        f"/api/v1/campaigns/{s.campaign_id}/prospects",
        s.auth,
        json={"prospects": [{"email": "late@prospect.example"}]},
    )
    assert status == 200 and added["added"] == 1, added
    _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
    assert campaign["status"] == "active", campaign
    await w.run_until(MONDAY_0800_PARIS + timedelta(days=1, hours=10))  # Tuesday, the next window
    _, campaign = await w.suite.call("GET", f"/api/v1/campaigns/{s.campaign_id}", s.auth)
    assert campaign["status"] == "completed", campaign
