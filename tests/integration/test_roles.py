"""Members, roles and API tokens through the real gateway, gRPC services and PostgreSQL: the workspace read back,
a generated matrix of every role on every authenticated route (allowed, or 403 naming the role needed), token
scopes and revocation, role changes and the owner's protections, and the services' own role checks over gRPC."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import grpc
import pytest

from services.common.grpc_errors import from_rpc_error
from services.common.roles import INTERNAL_CALLS, ROLE_KEY, RPC_ROLES, Role
from services.gateway.routes import ROUTES

ROLES = [Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER]


@dataclass
class Team:
    workspace_id: str
    auth: dict[Role, dict[str, str]]
    member_ids: dict[Role, str]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def add_member(suite, owner_auth, role: str, scopes: list[str]) -> tuple[str, dict[str, str]]:
    status, member = await suite.call(
        "POST",
        "/api/v1/members",
        owner_auth,
        json={"email": f"{role}-{uuid.uuid4().hex[:6]}@acme.example", "role": role},
    )
    assert status == 201, member
    status, created = await suite.call(
        "POST",
        "/api/v1/tokens",
        owner_auth,
        json={"member_id": member["id"], "name": f"{role} token", "scopes": scopes},
    )
    assert status == 201, created
    assert created["secret"].startswith("hf_") and created["token"]["hint"] == created["secret"][-4:]
    return member["id"], bearer(created["secret"])


async def new_team(suite) -> Team:
    workspace_id, owner = await suite.new_workspace("Team")
    status, ws = await suite.call("GET", "/api/v1/workspace", owner)
    assert status == 200, ws
    auth, ids = {Role.OWNER: owner}, {Role.OWNER: ws["members"][0]["id"]}
    for role, scopes in (
        (Role.ADMIN, ["read", "write", "admin"]),
        (Role.MEMBER, ["read", "write"]),
        (Role.VIEWER, ["read"]),
    ):
        ids[role], auth[role] = await add_member(suite, owner, role.word, scopes)
    return Team(workspace_id, auth, ids)


@pytest.fixture(scope="module")
async def team(suite) -> Team:
    return await new_team(suite)


def assert_forbidden(body, needed: Role, held: Role) -> None:
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == "forbidden", body
    assert body["error"]["details"] == {"required_role": needed.word, "role": held.word}, body
    assert needed.word in body["error"]["message"]


async def test_the_workspace_reads_back_with_its_members_and_subscription(suite, team):
    status, ws = await suite.call("GET", "/api/v1/workspace", team.auth[Role.VIEWER])
    assert status == 200, ws
    assert ws["id"] == team.workspace_id and ws["name"] == "Team" and ws["subscription_status"] == "active"
    assert ws["created_at"]
    assert {m["id"]: m["role"] for m in ws["members"]} == {team.member_ids[r]: r.word for r in ROLES}
    # The creator's token is the owner's, with every scope; tokens list without their secrets.
    status, tokens = await suite.call("GET", "/api/v1/tokens", team.auth[Role.ADMIN])
    assert status == 200, tokens
    owner_tokens = [t for t in tokens["tokens"] if t["member_id"] == team.member_ids[Role.OWNER]]
    assert [t["scopes"] for t in owner_tokens] == [["read", "write", "admin"]]
    assert all("secret" not in t and t["revoked_at"] is None for t in tokens["tokens"])
    assert owner_tokens[0]["hint"] == team.auth[Role.OWNER]["Authorization"][-4:]


def _cases():
    for route in ROUTES:
        if route.auth:
            for role in ROLES:
                yield pytest.param(route, role, id=f"{role.word}-{route.method} {route.path}")


@pytest.mark.parametrize(("route", "role"), list(_cases()))
async def test_role_matrix_every_route_allows_its_roles_and_refuses_the_others_403(suite, team, route, role):
    """Unknown ids and empty bodies: an allowed call gets past the role check to a 2xx, 400, 404 or 409 (nothing
    exists to change); a refused one is 403 naming the role it needs."""
    path = re.sub(r"\{\w+\}", str(uuid.uuid4()), route.path)
    async with suite.http.request(
        route.method,
        f"{suite.base_url}{path}",
        headers=team.auth[role],
        json={} if route.method in ("POST", "PUT", "PATCH") else None,
    ) as r:
        status = r.status
        body = await r.json() if r.content_type == "application/json" else await r.text()  # a CSV export
    if role >= route.required_role:
        assert status != 403, body
        assert status < 500, body
    else:
        assert status == 403, body
        assert_forbidden(body, route.required_role, role)


async def test_the_openapi_document_names_each_routes_role(suite):
    status, doc = await suite.call("GET", "/api/v1/openapi.json")
    assert status == 200
    for route in ROUTES:
        op = doc["paths"][route.path][route.method.lower()]
        if route.auth:
            assert op["x-holdfast-role"] == route.required_role.word, route.path
            assert route.required_role.word in op["description"] and "403" in op["responses"]
        else:
            assert "x-holdfast-role" not in op
    assert doc["paths"]["/api/v1/workspace/transfer-ownership"]["post"]["x-holdfast-role"] == "owner"
    assert doc["paths"]["/api/v1/linkedin-accounts/{account_id}/verify"]["post"]["x-holdfast-role"] == "admin"
    assert doc["paths"]["/api/v1/campaigns/{campaign_id}/pause"]["post"]["x-holdfast-role"] == "member"


async def test_a_tokens_scopes_cap_its_members_role(suite):
    team = await new_team(suite)
    owner = team.auth[Role.OWNER]
    # An admin's read-only token reads, and is refused a change as a viewer would be.
    status, created = await suite.call(
        "POST", "/api/v1/tokens", owner, json={"member_id": team.member_ids[Role.ADMIN], "scopes": ["read"]}
    )
    assert status == 201, created
    read_only = bearer(created["secret"])
    status, _ = await suite.call("GET", "/api/v1/campaigns", read_only)
    assert status == 200
    status, body = await suite.call(
        "POST", "/api/v1/members", read_only, json={"email": "x@acme.example", "role": "viewer"}
    )
    assert status == 403
    assert_forbidden(body, Role.ADMIN, Role.VIEWER)
    # Scopes wider than the member's role are refused, naming the field; so are unknown ones.
    for member_role, scopes in ((Role.VIEWER, ["write"]), (Role.MEMBER, ["admin"])):
        status, body = await suite.call(
            "POST", "/api/v1/tokens", owner, json={"member_id": team.member_ids[member_role], "scopes": scopes}
        )
        assert status == 400 and body["error"]["details"]["field"] == "scopes", body
    status, body = await suite.call("POST", "/api/v1/tokens", owner, json={"scopes": ["root"]})
    assert status == 400 and body["error"]["details"]["field"] == "scopes.0", body
    status, body = await suite.call("POST", "/api/v1/tokens", owner, json={"scopes": []})
    assert status == 400 and body["error"]["details"]["field"] == "scopes", body


async def test_a_revoked_token_stops_at_once_and_stays_listed(suite):
    team = await new_team(suite)
    viewer = team.auth[Role.VIEWER]
    status, tokens = await suite.call("GET", "/api/v1/tokens", team.auth[Role.ADMIN])
    token_id = next(t["id"] for t in tokens["tokens"] if t["member_id"] == team.member_ids[Role.VIEWER])
    assert (await suite.call("GET", "/api/v1/workspace", viewer))[0] == 200  # remembered by the gateway
    status, revoked = await suite.call("DELETE", f"/api/v1/tokens/{token_id}", team.auth[Role.ADMIN])
    assert status == 200 and revoked["revoked_at"], revoked
    status, body = await suite.call("GET", "/api/v1/workspace", viewer)
    assert status == 401 and body["error"]["code"] == "unauthenticated"
    status, again = await suite.call("DELETE", f"/api/v1/tokens/{token_id}", team.auth[Role.ADMIN])
    assert status == 200 and again["revoked_at"] == revoked["revoked_at"]
    status, tokens = await suite.call("GET", "/api/v1/tokens", team.auth[Role.OWNER])
    assert next(t for t in tokens["tokens"] if t["id"] == token_id)["revoked_at"] == revoked["revoked_at"]


async def test_roles_change_at_once_and_the_owner_is_protected(suite):
    team = await new_team(suite)
    owner, admin, member = team.auth[Role.OWNER], team.auth[Role.ADMIN], team.auth[Role.MEMBER]
    member_path = f"/api/v1/members/{team.member_ids[Role.MEMBER]}"
    assert (await suite.call("GET", "/api/v1/campaigns", member))[0] == 200
    status, changed = await suite.call("PATCH", member_path, admin, json={"role": "viewer"})
    assert status == 200 and changed["role"] == "viewer", changed
    # The member's write token now acts as a viewer.
    status, body = await suite.call("POST", "/api/v1/campaigns", member, json={})
    assert status == 403
    assert_forbidden(body, Role.MEMBER, Role.VIEWER)
    # Nobody is made owner but by a transfer, and the owner's role is not changed or removed by an admin.
    owner_path = f"/api/v1/members/{team.member_ids[Role.OWNER]}"
    status, body = await suite.call("PATCH", member_path, admin, json={"role": "owner"})
    assert status == 400 and body["error"]["details"]["field"] == "role", body
    status, body = await suite.call("PATCH", owner_path, admin, json={"role": "viewer"})
    assert status == 409 and body["error"]["code"] == "owner_protected", body
    status, body = await suite.call("DELETE", owner_path, admin)
    assert status == 409 and body["error"]["code"] == "owner_protected", body
    status, body = await suite.call(
        "POST", "/api/v1/members", admin, json={"email": "dup@acme.example", "role": "member"}
    )
    assert status == 201
    status, body = await suite.call(
        "POST", "/api/v1/members", owner, json={"email": "DUP@acme.example", "role": "viewer"}
    )
    assert status == 409 and body["error"]["code"] == "member_exists", body
    status, ws = await suite.call("GET", "/api/v1/workspace", owner)
    assert [m["role"] for m in ws["members"] if m["id"] == team.member_ids[Role.OWNER]] == ["owner"]


async def test_ownership_transfers_to_a_member_and_the_owner_becomes_admin(suite):
    team = await new_team(suite)
    owner, admin = team.auth[Role.OWNER], team.auth[Role.ADMIN]
    body = {"member_id": team.member_ids[Role.ADMIN]}
    status, refused = await suite.call("POST", "/api/v1/workspace/transfer-ownership", admin, json=body)
    assert status == 403
    assert_forbidden(refused, Role.OWNER, Role.ADMIN)
    status, moved = await suite.call("POST", "/api/v1/workspace/transfer-ownership", owner, json=body)
    assert status == 200, moved
    roles = {m["id"]: m["role"] for m in moved["members"]}
    assert roles[team.member_ids[Role.ADMIN]] == "owner" and roles[team.member_ids[Role.OWNER]] == "admin"
    assert list(roles.values()).count("owner") == 1
    # The former owner, now an admin, cannot take it back; the new owner can hand it on.
    status, refused = await suite.call(
        "POST", "/api/v1/workspace/transfer-ownership", owner, json={"member_id": team.member_ids[Role.OWNER]}
    )
    assert status == 403
    assert_forbidden(refused, Role.OWNER, Role.ADMIN)
    status, body = await suite.call(
        "POST", "/api/v1/workspace/transfer-ownership", admin, json={"member_id": str(uuid.uuid4())}
    )
    assert status == 404, body


async def test_a_removed_members_tokens_stop_working(suite):
    team = await new_team(suite)
    viewer = team.auth[Role.VIEWER]
    status, removed = await suite.call(
        "DELETE", f"/api/v1/members/{team.member_ids[Role.VIEWER]}", team.auth[Role.ADMIN]
    )
    assert status == 200 and removed["role"] == "viewer", removed
    status, body = await suite.call("GET", "/api/v1/campaigns", viewer)
    assert status == 401, body
    status, ws = await suite.call("GET", "/api/v1/workspace", team.auth[Role.OWNER])
    assert team.member_ids[Role.VIEWER] not in {m["id"] for m in ws["members"]}


@pytest.mark.parametrize(("method", "needed"), sorted(RPC_ROLES.items()), ids=lambda v: str(v).rsplit("/", 1)[-1])
async def test_each_service_refuses_a_call_below_its_role_whatever_the_gateway_did(suite, method, needed):
    """Straight to the service over gRPC, with the role metadata the gateway sends: an empty request, so an
    allowed call is refused for its content (never for the role) and nothing changes."""
    service = method.split(".")[1]  # /holdfast.<service>.v1.…
    async with grpc.aio.insecure_channel(f"127.0.0.1:{suite.ports[service]}") as channel:
        call = channel.unary_unary(method)
        for role in ROLES:
            try:
                await call(b"", metadata=((ROLE_KEY, role.word),), timeout=10)
                refused = None
            except grpc.aio.AioRpcError as exc:
                refused = from_rpc_error(exc)
            if role < needed:
                assert refused is not None and refused.code == "forbidden", (role, refused)
                assert refused.details == {"required_role": needed.word, "role": role.word}
            else:
                assert refused is None or refused.code != "forbidden", (role, refused)


@pytest.mark.parametrize("method", sorted(INTERNAL_CALLS), ids=lambda v: v.rsplit("/", 1)[-1])
async def test_internal_calls_are_refused_to_any_member(suite, method):
    service = method.split(".")[1]  # /holdfast.<service>.v1.…
    async with grpc.aio.insecure_channel(f"127.0.0.1:{suite.ports[service]}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await channel.unary_unary(method)(b"", metadata=((ROLE_KEY, "owner"),), timeout=10)
    assert from_rpc_error(refused.value).code == "forbidden"
