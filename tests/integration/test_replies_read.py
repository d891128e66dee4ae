"""Replies read, per member (issue 17), through the real gateway, gRPC and PostgreSQL: what one member marks read
is theirs alone (another member of the workspace still has the replies to read), a member reads each workspace
apart, another workspace's campaign is not found, bad input is refused and changes nothing, and marking read
writes no audit entry (it changes nothing in the workspace)."""

from __future__ import annotations

import uuid

from tests.integration.test_http_contract import assert_error, campaign_body
from tests.integration.test_roles import add_member


async def _campaign(suite, auth) -> str:
    status, created = await suite.call("POST", "/api/v1/campaigns", auth, json=campaign_body(name="Readers"))
    assert status == 201, created
    return created["id"]


async def _read(suite, auth) -> dict[str, int]:
    status, body = await suite.call("GET", "/api/v1/replies-read", auth)
    assert status == 200, body
    return {r["campaign_id"]: r["replied"] for r in body["campaigns"]}


async def test_what_a_member_reads_is_theirs_alone_and_follows_them(suite) -> None:
    _, owner = await suite.new_workspace("Readers")
    _, viewer = await add_member(suite, owner, "viewer", ["read"])
    first, second = await _campaign(suite, owner), await _campaign(suite, owner)
    assert await _read(suite, owner) == {} and await _read(suite, viewer) == {}

    status, marked = await suite.call("PUT", f"/api/v1/campaigns/{first}/replies-read", owner, json={"replied": 3})
    assert status == 200, marked
    assert marked["campaign_id"] == first and marked["replied"] == 3 and marked["read_at"]
    assert await _read(suite, owner) == {first: 3}
    # The same member elsewhere: a second token of theirs is another browser, as far as the server knows.
    status, ws = await suite.call("GET", "/api/v1/workspace", owner)
    assert status == 200, ws
    status, created = await suite.call(
        "POST",
        "/api/v1/tokens",
        owner,
        json={"member_id": ws["members"][0]["id"], "name": "laptop", "scopes": ["read"]},
    )
    assert status == 201, created
    assert await _read(suite, {"Authorization": f"Bearer {created['secret']}"}) == {first: 3}
    # Another member of the workspace has read nothing; a viewer may mark their own reading.
    assert await _read(suite, viewer) == {}
    status, marked = await suite.call("PUT", f"/api/v1/campaigns/{second}/replies-read", viewer, json={"replied": 1})
    assert status == 200, marked
    assert await _read(suite, viewer) == {second: 1}
    assert await _read(suite, owner) == {first: 3}
    # The last reading counts, down as well as up (a reply re-classified).
    for replied in (5, 4):
        status, _ = await suite.call("PUT", f"/api/v1/campaigns/{first}/replies-read", owner, json={"replied": replied})
        assert status == 200
    assert await _read(suite, owner) == {first: 4}


async def test_another_workspace_neither_sees_nor_marks_and_bad_input_changes_nothing(suite) -> None:
    _, owner = await suite.new_workspace("Mine")
    _, stranger = await suite.new_workspace("Theirs")
    campaign = await _campaign(suite, owner)
    status, _ = await suite.call("PUT", f"/api/v1/campaigns/{campaign}/replies-read", owner, json={"replied": 2})
    assert status == 200

    status, body = await suite.call("PUT", f"/api/v1/campaigns/{campaign}/replies-read", stranger, json={"replied": 9})
    assert status == 404, body
    assert_error(body, "not_found")
    assert await _read(suite, stranger) == {}
    for bad in ({"replied": -1}, {"replied": "2"}, {"replied": 2**31}, {}, {"replied": 1, "extra": True}):
        status, body = await suite.call("PUT", f"/api/v1/campaigns/{campaign}/replies-read", owner, json=bad)
        assert status == 400, (bad, body)
    for missing in (str(uuid.uuid4()), "not-an-id"):
        status, body = await suite.call("PUT", f"/api/v1/campaigns/{missing}/replies-read", owner, json={"replied": 1})
        assert status == 404, body
    status, _ = await suite.call("PUT", f"/api/v1/campaigns/{campaign}/replies-read", json={"replied": 1})
    assert status == 401
    assert await _read(suite, owner) == {campaign: 2}

    status, entries = await suite.call("GET", "/api/v1/audit", owner)
    assert status == 200, entries
    actions = [e["action"] for e in entries["entries"]]
    assert "create_campaign" in actions and "mark_replies_read" not in actions, actions
