"""The workspace suppression list through HTTP (DESIGN V6): add (all or nothing, the bad entry named by its
index), list (paged, searchable), CSV export, delete; a suppressed address, domain or LinkedIn profile is never
sent, whether it was enrolled before the entry or uploaded after it; another workspace sees none of it."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from tests.e2e.conftest import MONDAY_0800_PARIS, setup_campaign

INVITE_THEN_EMAIL = [
    {"channel": "linkedin", "action": "invite", "text": "Hi {{first_name}}"},
    {"channel": "email", "action": "email", "subject": "Hello", "body": "Hi {{first_name}}"},
]


async def test_suppressed_addresses_domains_and_profiles_are_never_sent(world):
    w = world
    setup = await setup_campaign(w, 3, INVITE_THEN_EMAIL)  # ACo0000..2, p0..2@prospect.example
    auth, cid = setup.auth, setup.campaign_id

    # An invalid entry refuses the whole call, named by its index; nothing is written.
    status, body = await w.suite.call(
        "POST",
        "/api/v1/suppressions",
        auth,
        json={"entries": [{"type": "email", "value": "fine@ok.example"}, {"type": "email", "value": "not an address"}]},
    )
    assert status == 400 and body["error"]["details"]["field"] == "entries[1].value", body
    assert body["error"]["details"]["index"] == 1
    status, body = await w.suite.call(
        "POST",
        "/api/v1/suppressions",
        auth,
        json={"entries": [{"type": "domain", "value": "ok.example"}, {"type": "phone", "value": "+33 1"}]},
    )
    assert status == 400 and "entries.1.type" in body["error"]["details"]["field"], body
    status, body = await w.suite.call(
        "POST",
        "/api/v1/suppressions",
        auth,
        json={
            "entries": [
                {"type": "domain", "value": "ok.example"},
                {"type": "linkedin", "value": "https://example.com/in/x"},
            ]
        },
    )
    assert status == 400 and body["error"]["details"]["index"] == 1, body
    status, page = await w.suite.call("GET", "/api/v1/suppressions", auth)
    assert status == 200 and page["suppressions"] == []

    # p1 is enrolled already: suppressing its address stops it now. ACo0002 by its profile id.
    status, added = await w.suite.call(
        "POST",
        "/api/v1/suppressions",
        auth,
        json={
            "entries": [
                {"type": "email", "value": " P1@Prospect.example "},
                {"type": "linkedin", "value": "ACo0002"},
                {"type": "domain", "value": "@Blocked.example"},
                {"type": "linkedin", "value": "https://www.linkedin.com/in/Jane-Doe-42/"},
                {"type": "email", "value": "p1@prospect.example"},
            ]
        },
    )
    assert status == 200 and added == {"added": 4, "already_listed": 0, "enforced": True}, added
    status, again = await w.suite.call(
        "POST", "/api/v1/suppressions", auth, json={"entries": [{"type": "domain", "value": "blocked.example"}]}
    )
    assert again["added"] == 0 and again["already_listed"] == 1

    # Uploading suppressed prospects: accepted, counted, never sent.
    status, upload = await w.suite.call(
        "POST",
        f"/api/v1/campaigns/{cid}/prospects",
        auth,
        json={
            "prospects": [
                {"linkedin_provider_id": "ACo0100", "email": "anyone@blocked.example"},
                {
                    "linkedin_provider_id": "ACo0102",
                    "linkedin_public_identifier": "Jane-Doe-42",
                    "email": "jane@fine.example",
                },
                {"linkedin_provider_id": "ACo0101", "email": "new@prospect.example"},
            ]
        },
    )
    assert status == 200 and upload["added"] == 3 and upload["suppressed"] == 2, upload

    await w.run_until(MONDAY_0800_PARIS + timedelta(days=5))
    invited = sorted(i.provider_id for i in w.unipile.invitations)
    assert invited == ["ACo0000", "ACo0101"], invited
    status, page = await w.suite.call("GET", f"/api/v1/campaigns/{cid}/prospects", auth)
    states = {p["linkedin_provider_id"]: (p["state"], p["why_not_now"]) for p in page["prospects"]}
    for suppressed in ("ACo0001", "ACo0002", "ACo0100", "ACo0102"):
        assert states[suppressed] == ("suppressed", ["suppressed"]), (suppressed, states)

    # Listed newest first, searchable, paged; exported as CSV.
    status, page = await w.suite.call("GET", "/api/v1/suppressions?q=BLOCKED", auth)
    assert [(s["type"], s["value"], s["source"]) for s in page["suppressions"]] == [
        ("domain", "blocked.example", "member")
    ]
    status, first = await w.suite.call("GET", "/api/v1/suppressions?page_size=3", auth)
    assert len(first["suppressions"]) == 3 and first["next_page_token"]
    status, rest = await w.suite.call(
        "GET", f"/api/v1/suppressions?page_size=3&page_token={first['next_page_token']}", auth
    )
    values = [s["value"] for s in first["suppressions"] + rest["suppressions"]]
    assert sorted(values) == sorted(["p1@prospect.example", "ACo0002", "blocked.example", "jane-doe-42"])
    assert rest["next_page_token"] is None
    async with w.suite.http.get(f"{w.suite.base_url}/api/v1/suppressions.csv", headers=auth) as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(await r.text())))
    assert rows[0] == ["type", "value", "source", "created_at"]
    assert sorted(row[1] for row in rows[1:]) == sorted(values)

    # Another workspace sees none of it and cannot delete it.
    _, other = await w.suite.new_workspace("Other")
    status, theirs = await w.suite.call("GET", "/api/v1/suppressions", other)
    assert status == 200 and theirs["suppressions"] == []
    entry = page["suppressions"][0]["id"]
    status, body = await w.suite.call("DELETE", f"/api/v1/suppressions/{entry}", other)
    assert status == 404, body
    status, body = await w.suite.call("DELETE", "/api/v1/suppressions/not-a-uuid", auth)
    assert status == 404, body
    status, gone = await w.suite.call("DELETE", f"/api/v1/suppressions/{entry}", auth)
    assert status == 200 and gone["value"] == "blocked.example"
    status, page = await w.suite.call("GET", "/api/v1/suppressions?q=blocked", auth)
    assert page["suppressions"] == []
    status, upload = await w.suite.call(
        "POST",
        f"/api/v1/campaigns/{cid}/prospects",
        auth,
        json={"prospects": [{"linkedin_provider_id": "ACo0200", "email": "later@blocked.example"}]},
    )
    assert upload["suppressed"] == 0
