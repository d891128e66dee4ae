"""The HTTP contract of the foundation slice, through the real gateway, gRPC services and PostgreSQL."""

from __future__ import annotations

import io
import re
import uuid

import asyncpg
import pytest

from services.gateway.routes import ROUTES

SCHEDULE = {
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "window": {"start": "09:00", "end": "17:00"},
    "timezone": "Europe/Paris",
    "randomize_within_window": True,
}


def campaign_body(**overrides):
    body = {"name": "Q3 founders", "schedule": dict(SCHEDULE)}
    body.update(overrides)
    return body


async def create_campaign(suite, auth, **overrides):
    """A campaign that can be activated: one invite step sent by a LinkedIn account of the workspace."""
    account = await suite.linkedin_account(auth)
    body = campaign_body(
        steps=[{"channel": "linkedin", "action": "invite", "text": "Hi {{first_name}}"}],
        senders={"linkedin_account_ids": [account]},
    )
    body.update(overrides)
    status, created = await suite.call("POST", "/api/v1/campaigns", auth, json=body)
    assert status == 201, created
    return created


def assert_error(body, code, field=None):
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    if field is not None:
        assert body["error"]["details"]["field"] == field, body


async def test_workspace_creation_returns_token_and_stores_only_its_hash(suite):
    status, body = await suite.call("POST", "/api/v1/workspaces", json={"name": "Acme", "owner_email": "o@acme.io"})
    assert status == 201
    assert body["workspace"]["name"] == "Acme"
    uuid.UUID(body["workspace"]["id"])
    token = body["token"]
    assert token.startswith("hf_") and len(token) > 40
    conn = await asyncpg.connect(suite.dsn)
    try:
        stored = await conn.fetchval(
            "SELECT count(*) FROM accounts.api_tokens WHERE workspace_id = $1", uuid.UUID(body["workspace"]["id"])
        )
        plaintext = await conn.fetchval(
            "SELECT count(*) FROM accounts.api_tokens WHERE encode(token_hash, 'escape') LIKE '%' || $1 || '%'",
            token[3:20],
        )
    finally:
        await conn.close()
    assert stored == 1
    assert plaintext == 0
    status, _ = await suite.call("GET", "/api/v1/campaigns", {"Authorization": f"Bearer {token}"})
    assert status == 200


async def test_campaign_lifecycle_draft_active_paused_active(suite):
    _, auth = await suite.new_workspace()
    created = await create_campaign(suite, auth)
    assert created["status"] == "draft"
    assert created["paused_reason"] is None and created["pause_reasons"] == []
    assert created["schedule"] == SCHEDULE
    assert created["steps"][0]["action"] == "invite" and len(created["senders"]["linkedin_account_ids"]) == 1
    cid = created["id"]

    status, got = await suite.call("GET", f"/api/v1/campaigns/{cid}", auth)
    # The creation answer also carries the template warnings (none here); the campaign itself is the same.
    assert created.pop("warnings") == []
    assert status == 200 and got == created

    status, activated = await suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)
    assert status == 200 and activated["changed"] is True
    assert activated["campaign"]["status"] == "active"

    status, paused = await suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth)
    assert status == 200 and paused["changed"] is True
    assert paused["campaign"]["status"] == "paused"
    assert paused["campaign"]["paused_reason"] == "manual"
    [reason] = paused["campaign"]["pause_reasons"]
    assert reason["reason"] == "manual" and reason["scope"] == "campaign"
    assert reason["explanation"] and reason["action"]

    status, resumed = await suite.call("POST", f"/api/v1/campaigns/{cid}/resume", auth)
    assert status == 200 and resumed["changed"] is True
    assert resumed["campaign"]["status"] == "active"
    assert resumed["campaign"]["paused_reason"] is None and resumed["campaign"]["pause_reasons"] == []


async def test_pause_twice_and_resume_twice_are_harmless_and_say_so(suite):
    _, auth = await suite.new_workspace()
    cid = (await create_campaign(suite, auth))["id"]
    await suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)

    status, again = await suite.call("POST", f"/api/v1/campaigns/{cid}/resume", auth)
    assert status == 200 and again["changed"] is False and "already active" in again["message"]

    await suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth)
    status, again = await suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth)
    assert status == 200 and again["changed"] is False and "already paused" in again["message"]
    assert again["campaign"]["status"] == "paused"

    status, again = await suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)
    assert status == 409
    assert_error(again, "invalid_state")

    status, history = await suite.call("GET", f"/api/v1/campaigns/{cid}/pause-history", auth)
    assert status == 200
    assert [e["action"] for e in history["entries"]] == ["added"], "a repeated pause writes no history"


async def test_pause_history_records_every_change_with_its_actor(suite):
    _, auth = await suite.new_workspace()
    cid = (await create_campaign(suite, auth))["id"]
    await suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)
    for _ in range(2):
        await suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth)
        await suite.call("POST", f"/api/v1/campaigns/{cid}/resume", auth)
    status, history = await suite.call("GET", f"/api/v1/campaigns/{cid}/pause-history?page_size=3", auth)
    assert status == 200
    entries = history["entries"]
    assert [(e["action"], e["reason"], e["status_after"]) for e in entries] == [
        ("added", "manual", "paused"),
        ("cleared", "manual", "active"),
        ("added", "manual", "paused"),
    ]
    assert all(e["actor"]["kind"] == "member" and uuid.UUID(e["actor"]["member_id"]) for e in entries)
    status, rest = await suite.call(
        "GET", f"/api/v1/campaigns/{cid}/pause-history?page_token={history['next_page_token']}", auth
    )
    assert [(e["action"], e["status_after"]) for e in rest["entries"]] == [("cleared", "active")]
    assert rest["next_page_token"] is None


async def test_pausing_a_draft_is_refused_and_changes_nothing(suite):
    _, auth = await suite.new_workspace()
    cid = (await create_campaign(suite, auth))["id"]
    status, body = await suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth)
    assert status == 409
    assert_error(body, "invalid_state")
    status, body = await suite.call("POST", f"/api/v1/campaigns/{cid}/resume", auth)
    assert status == 409
    assert_error(body, "invalid_state")
    _, got = await suite.call("GET", f"/api/v1/campaigns/{cid}", auth)
    assert got["status"] == "draft"


async def test_list_is_scoped_to_the_workspace_and_paged(suite):
    _, auth_a = await suite.new_workspace("A")
    _, auth_b = await suite.new_workspace("B")
    ids = [(await create_campaign(suite, auth_a, name=f"c{i}"))["id"] for i in range(5)]
    await create_campaign(suite, auth_b, name="other")
    seen, token = [], None
    while True:
        path = "/api/v1/campaigns?page_size=2" + (f"&page_token={token}" if token else "")
        status, page = await suite.call("GET", path, auth_a)
        assert status == 200
        seen += [c["id"] for c in page["campaigns"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert seen == ids


async def test_another_workspaces_campaign_is_not_found(suite):
    _, auth_a = await suite.new_workspace("A")
    _, auth_b = await suite.new_workspace("B")
    cid = (await create_campaign(suite, auth_a))["id"]
    await suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth_a)
    for method, path in [
        ("GET", f"/api/v1/campaigns/{cid}"),
        ("POST", f"/api/v1/campaigns/{cid}/activate"),
        ("POST", f"/api/v1/campaigns/{cid}/pause"),
        ("POST", f"/api/v1/campaigns/{cid}/resume"),
        ("GET", f"/api/v1/campaigns/{cid}/pause-history"),
    ]:
        status, body = await suite.call(method, path, auth_b)
        assert status == 404, (method, path, body)
        assert_error(body, "not_found")
    _, mine = await suite.call("GET", f"/api/v1/campaigns/{cid}", auth_a)
    assert mine["status"] == "active", "the other workspace's calls changed nothing"


@pytest.mark.parametrize("path", ["/api/v1/campaigns/not-a-uuid", f"/api/v1/campaigns/{uuid.uuid4()}"])
async def test_unknown_campaign_is_not_found(suite, path):
    _, auth = await suite.new_workspace()
    status, body = await suite.call("GET", path, auth)
    assert status == 404
    assert_error(body, "not_found")


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer hf_unknown_token_value_1234", "bearer"]
)
async def test_missing_or_bad_token_is_401(suite, header):
    headers = {} if header is None else {"Authorization": header}
    status, body = await suite.call("GET", "/api/v1/campaigns", headers)
    assert status == 401
    assert_error(body, "unauthenticated")


@pytest.mark.parametrize("route", [r for r in ROUTES if r.auth], ids=lambda r: f"{r.method} {r.path}")
async def test_every_authenticated_route_refuses_without_a_token(suite, route):
    path = re.sub(r"\{\w+\}", str(uuid.uuid4()), route.path)
    status, body = await suite.call(route.method, path, json={} if route.method == "POST" else None)
    assert status == 401, body
    assert_error(body, "unauthenticated")


BAD_CAMPAIGNS = [
    ("bad timezone", {"schedule": {**SCHEDULE, "timezone": "Mars/Olympus"}}, "schedule.timezone"),
    ("timezone folder", {"schedule": {**SCHEDULE, "timezone": "America"}}, "schedule.timezone"),
    ("no days", {"schedule": {**SCHEDULE, "days": []}}, "schedule.days"),
    ("unknown day", {"schedule": {**SCHEDULE, "days": ["mon", "funday"]}}, "schedule.days.1"),
    ("duplicate day", {"schedule": {**SCHEDULE, "days": ["mon", "mon"]}}, "schedule.days"),
    (
        "end before start",
        {"schedule": {**SCHEDULE, "window": {"start": "17:00", "end": "09:00"}}},
        "schedule.window.end",
    ),
    ("empty window", {"schedule": {**SCHEDULE, "window": {"start": "09:00", "end": "09:00"}}}, "schedule.window.end"),
    ("bad time", {"schedule": {**SCHEDULE, "window": {"start": "25:00", "end": "26:00"}}}, "schedule.window.start"),
    (
        "bad time format",
        {"schedule": {**SCHEDULE, "window": {"start": "9am", "end": "17:00"}}},
        "schedule.window.start",
    ),
    ("unknown top-level field", {"colour": "blue"}, "colour"),
    ("unknown nested field", {"schedule": {**SCHEDULE, "speed": 3}}, "schedule.speed"),
    ("name wrong type", {"name": 42}, "name"),
    ("name empty", {"name": "   "}, "name"),
    ("name too long", {"name": "x" * 201}, "name"),
    (
        "randomize wrong type",
        {"schedule": {**SCHEDULE, "randomize_within_window": "yes"}},
        "schedule.randomize_within_window",
    ),
    ("schedule missing", {"schedule": None}, "schedule"),
    ("bad kind", {"kind": "spam"}, "kind"),
]


@pytest.mark.parametrize(("case", "overrides", "field"), BAD_CAMPAIGNS, ids=[c[0] for c in BAD_CAMPAIGNS])
async def test_invalid_campaign_is_400_naming_the_field_and_writes_nothing(suite, case, overrides, field):
    _, auth = await suite.new_workspace()
    body = campaign_body(**overrides)
    if overrides.get("schedule", ...) is None:
        del body["schedule"]
    status, answer = await suite.call("POST", "/api/v1/campaigns", auth, json=body)
    assert status == 400, answer
    assert_error(answer, "invalid_argument", field)
    _, listed = await suite.call("GET", "/api/v1/campaigns", auth)
    assert listed["campaigns"] == []


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"', b"\n\n", b"  "])
async def test_malformed_json_is_400(suite, raw):
    _, auth = await suite.new_workspace()
    status, body = await suite.call("POST", "/api/v1/campaigns", {**auth, "Content-Type": "application/json"}, data=raw)
    assert status == 400
    assert_error(body, "malformed_json", "body")
    _, listed = await suite.call("GET", "/api/v1/campaigns", auth)
    assert listed["campaigns"] == []


BAD_WORKSPACES = [
    ({"name": "", "owner_email": "a@b.io"}, "name"),
    ({"name": "A", "owner_email": "not-an-email"}, "owner_email"),
    ({"name": "A"}, "owner_email"),
    ({"name": "A", "owner_email": "a@b.io", "plan": "pro"}, "plan"),
    ({"name": ["A"], "owner_email": "a@b.io"}, "name"),
]


@pytest.mark.parametrize(("body", "field"), BAD_WORKSPACES)
async def test_invalid_workspace_is_400_naming_the_field(suite, body, field):
    conn = await asyncpg.connect(suite.dsn)
    try:
        before = await conn.fetchval("SELECT count(*) FROM accounts.workspaces")
        status, answer = await suite.call("POST", "/api/v1/workspaces", json=body)
        after = await conn.fetchval("SELECT count(*) FROM accounts.workspaces")
    finally:
        await conn.close()
    assert status == 400, answer
    assert_error(answer, "invalid_argument", field)
    assert after == before


async def test_pause_with_a_body_it_does_not_understand_is_400_and_changes_nothing(suite):
    _, auth = await suite.new_workspace()
    cid = (await create_campaign(suite, auth))["id"]
    await suite.call("POST", f"/api/v1/campaigns/{cid}/activate", auth)
    status, body = await suite.call("POST", f"/api/v1/campaigns/{cid}/pause", auth, json={"reason": "holiday"})
    assert status == 400
    assert_error(body, "invalid_argument", "reason")
    _, got = await suite.call("GET", f"/api/v1/campaigns/{cid}", auth)
    assert got["status"] == "active"


@pytest.mark.parametrize("query", ["page_size=abc", "page_size=-1", "page_token=garbage!"])
async def test_bad_paging_is_400(suite, query):
    _, auth = await suite.new_workspace()
    status, body = await suite.call("GET", f"/api/v1/campaigns?{query}", auth)
    assert status == 400
    assert_error(body, "invalid_argument")


async def test_unknown_route_and_wrong_method_have_the_error_shape(suite):
    status, body = await suite.call("GET", "/api/v1/nothing-here")
    assert status == 404
    assert_error(body, "not_found")
    status, body = await suite.call("DELETE", "/api/v1/workspaces")
    assert status == 405
    assert_error(body, "method_not_allowed")


def methods_by_path() -> dict[str, set[str]]:
    paths: dict[str, set[str]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, set()).add(route.method)
    return paths


async def test_every_405_says_which_methods_the_route_takes(suite):
    """RFC 9110: a 405 answer carries Allow. Every route of the API, with a method it does not take."""
    checked = 0
    for path, methods in methods_by_path().items():
        concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        for wrong in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - methods):
            async with suite.http.request(wrong, f"{suite.base_url}{concrete}") as r:
                assert r.status == 405, (wrong, path)
                assert_error(await r.json(), "method_not_allowed")
                allowed = {m.strip() for m in r.headers["Allow"].split(",")}
                assert methods <= allowed <= methods | {"HEAD"}, (wrong, path, allowed)
                checked += 1
    assert checked >= len(methods_by_path()) * 3


async def test_oversized_body_is_refused(suite):
    _, auth = await suite.new_workspace()
    huge = b'{"name": "' + b"x" * (9 * 1024 * 1024) + b'"}'
    status, body = await suite.call(
        "POST", "/api/v1/campaigns", {**auth, "Content-Type": "application/json"}, data=io.BytesIO(huge)
    )
    assert status == 413
    assert_error(body, "payload_too_large")


async def test_request_id_is_echoed_or_assigned(suite):
    async with suite.http.get(f"{suite.base_url}/healthz", headers={"X-Request-Id": "abc123"}) as r:
        assert r.headers["X-Request-Id"] == "abc123"
    async with suite.http.get(f"{suite.base_url}/healthz") as r:
        assert len(r.headers["X-Request-Id"]) == 32


async def test_healthz_and_readyz(suite):
    status, body = await suite.call("GET", "/healthz")
    assert status == 200 and body == {"status": "ok", "upstreams": None}
    status, body = await suite.call("GET", "/readyz")
    assert status == 200
    assert body["upstreams"] == {"accounts": "SERVING", "campaigns": "SERVING", "scheduler": "SERVING"}


async def test_openapi_describes_every_route(suite):
    status, doc = await suite.call("GET", "/api/v1/openapi.json")
    assert status == 200
    assert doc["openapi"].startswith("3.")
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    assert documented == {(r.method, r.path) for r in ROUTES}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["summary"] and op["responses"], (method, path)
            for response in op["responses"].values():
                ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
                if ref:
                    assert ref.rsplit("/", 1)[-1] in doc["components"]["schemas"], ref
    create = doc["paths"]["/api/v1/campaigns"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CreateCampaign")
    assert {"400", "401", "201"} <= set(create["responses"])


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("/linkedin-accounts?connected=1", "/#/accounts?connected=1"),
        (
            "/linkedin-accounts/0b5e7c1e-3c1f-4d55-9d0e-2f3f2a0c9d11?reconnected=1",
            "/#/accounts?reconnected=0b5e7c1e-3c1f-4d55-9d0e-2f3f2a0c9d11",
        ),
    ],
)
async def test_hosted_linkedin_pages_send_the_browser_back_to_the_accounts_page(suite, path, where):
    """Unipile's hosted connect and reconnect pages end on these addresses (success_redirect_url): never a 404."""
    async with suite.http.get(f"{suite.base_url}{path}", allow_redirects=False) as response:
        assert response.status == 302
        assert response.headers["Location"] == where
