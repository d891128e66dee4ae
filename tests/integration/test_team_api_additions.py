"""What the team pages read besides the existing routes: who the caller is in `GET /api/v1/workspace` (its role
capped by its token's scopes), and the audit log filtered by time."""

from __future__ import annotations

from urllib.parse import quote

from tests.integration.test_roles import add_member, bearer


async def test_the_workspace_says_who_the_caller_is_with_its_role_capped_by_the_token(suite):
    _, owner = await suite.new_workspace("Who")
    status, ws = await suite.call("GET", "/api/v1/workspace", owner)
    assert status == 200, ws
    owner_id = next(m["id"] for m in ws["members"] if m["role"] == "owner")
    assert ws["you"] == {"member_id": owner_id, "role": "owner"}
    admin_id, admin = await add_member(suite, owner, "admin", ["read", "write", "admin"])
    assert (await suite.call("GET", "/api/v1/workspace", admin))[1]["you"] == {"member_id": admin_id, "role": "admin"}
    # The owner's own read-only token acts as a viewer: the UI shows it what a viewer may do.
    status, created = await suite.call("POST", "/api/v1/tokens", owner, json={"name": "ro", "scopes": ["read"]})
    assert status == 201, created
    status, ws = await suite.call("GET", "/api/v1/workspace", bearer(created["secret"]))
    assert ws["you"] == {"member_id": owner_id, "role": "viewer"}


async def test_the_audit_log_filters_by_time(suite):
    _, owner = await suite.new_workspace("When")
    assert (
        await suite.call(
            "POST", "/api/v1/suppressions", owner, json={"entries": [{"type": "email", "value": "a@x.example"}]}
        )
    )[0] == 200
    status, page = await suite.call("GET", "/api/v1/audit", owner)
    assert status == 200, page
    (entry,) = page["entries"]
    at = entry["at"]

    async def count(query: str) -> int:
        status, got = await suite.call("GET", f"/api/v1/audit?{query}", owner)
        assert status == 200, got
        return len(got["entries"])

    def q(value: str) -> str:
        return quote(value, safe="")

    assert await count(f"since={q(at)}") == 1  # since: at or after
    assert await count(f"until={q(at)}") == 0  # until: before
    assert await count(f"since={q('2000-01-01T00:00:00Z')}&until={q('2000-01-02T00:00:00Z')}") == 0
    assert await count(f"since={q('2000-01-01T00:00:00+02:00')}") == 1
    status, refused = await suite.call("GET", "/api/v1/audit?since=yesterday", owner)
    assert status == 400 and refused["error"]["details"]["field"] == "since", refused
    status, refused = await suite.call("GET", "/api/v1/audit?until=2026-03-02T08:00:00", owner)
    assert status == 400 and refused["error"]["details"]["field"] == "until", refused  # no offset: ambiguous
