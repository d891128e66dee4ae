"""The audit log through the real gateway, services and PostgreSQL: every successful change of a member or an
integration is an entry naming who (member, token), when, what (operation, ids, fields with secrets redacted);
reads and refused requests are not; GET /api/v1/audit pages newest first and filters by action and member."""

from __future__ import annotations

from datetime import datetime

from services.common.roles import Role
from services.gateway.audit import MAX_CHANGES_BYTES, REDACTED, redact, summarize
from tests.integration.test_roles import new_team

SCHEDULE = {
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "window": {"start": "09:00", "end": "17:00"},
    "timezone": "UTC",
}


async def test_changes_are_audited_with_actor_time_and_what_changed(suite):
    team = await new_team(suite)
    owner, admin, member, viewer = (team.auth[r] for r in (Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER))
    account = await suite.linkedin_account(owner)
    status, campaign = await suite.call(
        "POST",
        "/api/v1/campaigns",
        owner,
        json={
            "name": "Audited",
            "schedule": SCHEDULE,
            "steps": [{"channel": "linkedin", "action": "invite"}],
            "senders": {"linkedin_account_ids": [account]},
        },
    )
    assert status == 201, campaign
    path = f"/api/v1/campaigns/{campaign['id']}"
    prospects = [{"linkedin_provider_id": f"ACo{i}", "first_name": "Bo"} for i in range(12)]
    assert (await suite.call("POST", f"{path}/prospects", member, json={"prospects": prospects}))[0] == 200
    assert (await suite.call("POST", f"{path}/activate", owner, json={}))[0] == 200
    assert (await suite.call("POST", f"{path}/pause", member, json={}))[0] == 200
    assert (await suite.call("POST", f"{path}/resume", viewer, json={}))[0] == 403  # refused: not audited
    assert (await suite.call("GET", path, viewer))[0] == 200  # a read: not audited
    status, endpoint = await suite.call(
        "POST", "/api/v1/webhook-endpoints", admin, json={"url": "http://127.0.0.1:9/x", "events": ["campaign.paused"]}
    )
    assert status == 422  # refused (SSRF guard): not audited
    status, entries = await suite.call("GET", "/api/v1/audit", admin)
    assert status == 200, entries
    got = entries["entries"]
    assert [e["action"] for e in got[:4]] == ["pause_campaign", "activate_campaign", "add_prospects", "create_campaign"]
    assert got[2]["changes"] == {"prospects": "12 items"} and got[2]["member_id"] == team.member_ids[Role.MEMBER]
    pause = got[0]
    assert pause["member_id"] == team.member_ids[Role.MEMBER] and pause["member_email"].startswith("member-")
    assert pause["method"] == "POST" and pause["path"] == f"{path}/pause" and pause["status"] == 200
    assert pause["target"] == {"campaign_id": campaign["id"]} and pause["token_id"] and pause["request_id"]
    assert datetime.fromisoformat(pause["at"])
    created = got[3]
    assert created["changes"]["name"] == "Audited" and created["member_id"] == team.member_ids[Role.OWNER]
    # The team's own setup is there too: members added and tokens made by the owner, oldest last.
    actions = [e["action"] for e in got]
    assert actions.count("add_member") == 3 and actions.count("create_token") == 3
    add = next(e for e in got if e["action"] == "add_member")
    assert set(add["changes"]) == {"email", "role"}
    assert all(e["method"] != "GET" and e["status"] < 300 for e in got)


async def test_the_audit_log_pages_newest_first_and_filters(suite):
    team = await new_team(suite)
    owner = team.auth[Role.OWNER]
    for name in ("a", "b", "c"):
        assert (await suite.call("POST", "/api/v1/tokens", owner, json={"name": name, "scopes": ["read"]}))[0] == 201
    seen, token = [], None
    while True:
        query = "?page_size=2&action=create_token" + (f"&page_token={token}" if token else "")
        status, page = await suite.call("GET", f"/api/v1/audit{query}", owner)
        assert status == 200, page
        assert len(page["entries"]) <= 2
        seen += page["entries"]
        token = page["next_page_token"]
        if token is None:
            break
    assert [e["changes"].get("name") for e in seen[:3]] == ["c", "b", "a"]
    assert len(seen) == 6 and len({e["id"] for e in seen}) == 6 and {e["action"] for e in seen} == {"create_token"}
    ids = [int(e["id"]) for e in seen]
    assert ids == sorted(ids, reverse=True)
    for member in (team.member_ids[Role.ADMIN], "not-a-member"):
        status, page = await suite.call("GET", "/api/v1/audit", owner, params={"member_id": member})
        assert status == 200 and page["entries"] == [] and page["next_page_token"] is None, page
    for bad in ("abc", "\u00b91", "-1"):
        status, page = await suite.call("GET", "/api/v1/audit", owner, params={"page_token": bad})
        assert status == 400 and page["error"]["details"]["field"] == "page_token", (bad, page)
    status, page = await suite.call("GET", "/api/v1/audit", team.auth[Role.MEMBER])
    assert status == 403 and page["error"]["details"]["required_role"] == "admin"


def test_secrets_are_redacted_wherever_they_sit():
    body = {
        "email": "a@b.example",
        "smtp": {"host": "h", "password": "p"},
        "app_password": "x",
        "list": [{"refresh_token": "t", "name": "n"}],
        "api_key": "k",
        "secret": "s",
    }
    assert redact(body) == {
        "email": "a@b.example",
        "smtp": {"host": "h", "password": REDACTED},
        "app_password": REDACTED,
        "list": [{"refresh_token": REDACTED, "name": "n"}],
        "api_key": REDACTED,
        "secret": REDACTED,
    }


def test_long_lists_are_counted_and_huge_bodies_sized():
    prospects = [{"linkedin_provider_id": f"ACo{i}", "first_name": "x"} for i in range(10_000)]
    assert summarize({"prospects": prospects}) == {"prospects": "10000 items"}
    assert summarize({"days": ["mon", "tue"], "smtp": {"password": "p"}}) == {
        "days": ["mon", "tue"],
        "smtp": {"password": REDACTED},
    }
    huge = summarize({"text": "y" * (MAX_CHANGES_BYTES + 1)})
    assert huge["truncated"] is True and huge["bytes"] > MAX_CHANGES_BYTES
