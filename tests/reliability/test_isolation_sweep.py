"""Workspace isolation, swept over the gateway's whole route table (services.gateway.routes.ROUTES, which holds the
sender, sandbox and webhook routes too), so a route added later is covered without touching this test.

Workspace A owns a LinkedIn account, an inbox and a paused campaign with prospects. Workspace B then calls every
route that names an object with A's ids, each id written four ways (canonical, upper case, without dashes, as a
urn:uuid: URN: all parse as the same UUID), with a body that would be valid: every answer must be 404 (or 403) with the
error shape and hold no trace of A (ids, names, emails, Unipile id). Routes that name no object are called by B
with bodies that point at A's objects (a campaign sending from A's account...): whatever they answer, nothing of
A. Every authenticated route without a token, or with a made-up one, is 401. A's objects are read before and after:
B changed nothing.

A route whose path parameter or body this test does not know fails the test, naming what to add."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

from sandbox.serving import serve
from sandbox.smtp import SandboxSmtp
from sandbox.unipile import create_app as create_unipile
from services.common.clock import SystemClock
from services.common.providers.unipile import UnipileClient
from services.gateway.routes import ROUTES
from tests.conftest import Suite, create_database, start_suite
from tests.sign_in_helpers import join_by_invitation, system_smtp

LIMIT = {
    "daily_cap": 20,
    "weekly_cap": 100,
    "ramp_start": 5,
    "ramp_step": 5,
    "pacing_min_seconds": 0,
    "pacing_max_seconds": 0,
}
# A valid body for each request model, so a call gets past validation to the ownership check.
VALID_BODIES: dict[str, Any] = {
    "Empty": {},
    "ResumeBody": {"when_unblocked": True},
    "RepliesReadBody": {"replied": 1},
    "AddProspects": {"prospects": [{"linkedin_provider_id": "ACoB1", "first_name": "Bea"}]},
    "LinkedInLimitsIn": {"linkedin_invite": LIMIT},
    "InboxLimitsIn": {"email": LIMIT},
    "LinkedInLimitsUpdate": {"linkedin_invite": LIMIT},
    "InboxLimitsUpdate": {"email": LIMIT},
    "RecordRestriction": {"kind": "jail", "detail": "by workspace B"},
    "UpdateInboxCredentials": {"app_password": "b-password"},
    "StartInboxOAuth": {"provider": "google"},
    "FailSends": {"count": 1},
    "ChangeRole": {"role": "viewer"},
    "UpdateEndpoint": {"events": ["campaign.resumed"]},
    "Reclassify": {"classification": "replied"},
    "AddSuppressions": {"entries": [{"type": "email", "value": "someone@beta.example"}]},
    "EditCampaign": {
        "name": "B edits",
        "schedule": {"days": ["mon"], "window": {"start": "09:00", "end": "17:00"}, "timezone": "UTC"},
        "preview": True,
    },
    "DuplicateBody": {},
}
# Routes that delete the object they name: their control (as A) runs last, once.
REMOVES = {
    ("DELETE", "/api/v1/members/{member_id}"),
    ("DELETE", "/api/v1/webhook-endpoints/{endpoint_id}"),
    ("POST", "/api/v1/invitations/{invitation_id}/revoke"),
}
# Routes that are not workspace-scoped: public, or authenticated by the third party's secret or signature
# (their sweep is tests/reliability/test_webhook_sweep.py), or by a single-use OAuth state.
NOT_BEARER = {
    "/webhooks/unipile",
    "/webhooks/billing",
    "/oauth/callback",
    # an unsubscribe link: its signed token is the credential (tests/e2e/test_unsubscribe.py)
    "/u/{token}",
}
WEBHOOK_SECRET = "isolation-webhook-secret-0123456789"


@dataclass
class Owner:
    """Workspace A and what must never reach B."""

    auth: dict[str, str]
    ids: dict[str, str]  # path parameter name -> A's object
    secrets: list[str]  # strings of A that must not appear in any answer to B
    # For the control of DELETE routes: another object of A per id form (the first call deletes its object).
    deletable: list[dict[str, str]]


@dataclass
class Swept:
    suite: Suite
    a: Owner
    b_auth: dict[str, str]


@pytest.fixture(scope="module")
async def swept(pg_dsn: str) -> AsyncIterator[Swept]:
    async with AsyncExitStack() as stack:
        unipile_url = await serve(create_unipile("sandbox-key"), stack)
        smtp, smtp_env = await system_smtp(stack)  # invitations by email: A's member holds a session
        suite = await start_suite(
            await create_database(pg_dsn),
            stack,
            SystemClock(),
            **smtp_env,
            HOLDFAST_UNIPILE_DSN=unipile_url,
            HOLDFAST_UNIPILE_API_KEY="sandbox-key",
            HOLDFAST_SANDBOX_UNIPILE_URL=unipile_url,
            # OAuth configured, so starting it reaches the ownership check instead of "not configured".
            HOLDFAST_GOOGLE_CLIENT_ID="isolation-client",
            HOLDFAST_GOOGLE_CLIENT_SECRET="isolation-secret",
            HOLDFAST_INBOX_LOGIN_TIMEOUT_SECONDS="1",
            HOLDFAST_UNIPILE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            # A's webhook endpoint is a local receiver.
            HOLDFAST_WEBHOOKS_ALLOW_PRIVATE="true",
            HOLDFAST_WEBHOOK_DELIVERY_SECONDS="0.1",
        )
        yield Swept(suite, await workspace_a(suite, unipile_url, stack, smtp), (await suite.new_workspace("Beta"))[1])


def receiver_app() -> web.Application:
    async def hook(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/{name}", hook)
    return app


async def workspace_a(suite: Suite, unipile_url: str, stack: AsyncExitStack, smtp: SandboxSmtp) -> Owner:
    marker = uuid.uuid4().hex[:10]
    workspace_id, auth = await suite.new_workspace(f"Alpha {marker}")
    unipile_id = f"acc-alpha-{marker}"
    async with suite.http.post(f"{unipile_url}/_sandbox/accounts", json={"id": unipile_id, "name": "Ana"}) as r:
        assert r.status < 300, await r.text()
    account_id = await suite.linkedin_account(auth, unipile_account_id=unipile_id, name=f"Alpha LI {marker}")
    server = {
        "host": "127.0.0.1",
        "port": 1,
        "security": "none",
        "username": f"alpha-{marker}",
        "password": f"alpha-pw-{marker}",
    }
    email = f"alpha-{marker}@alpha.example"
    status, inbox = await suite.call(
        "POST",
        "/api/v1/inboxes",
        auth,
        json={"email": email, "display_name": f"Alpha Inbox {marker}", "smtp": server, "imap": server},
    )
    assert status == 201, inbox
    status, campaign = await suite.call(
        "POST",
        "/api/v1/campaigns",
        auth,
        json={
            "name": f"Alpha campaign {marker}",
            "schedule": {
                "days": ["mon", "tue", "wed", "thu", "fri"],
                "window": {"start": "09:00", "end": "17:00"},
                "timezone": "Europe/Paris",
            },
            "steps": [
                {"channel": "linkedin", "action": "invite", "text": f"Hi from alpha {marker}"},
                {"channel": "email", "action": "email", "subject": f"alpha {marker}", "body": "Hello"},
            ],
            "senders": {"linkedin_account_ids": [account_id], "inbox_ids": [inbox["id"]]},
        },
    )
    assert status == 201, campaign
    prospect_email = f"prospect-{marker}@alpha-leads.example"
    status, added = await suite.call(
        "POST",
        f"/api/v1/campaigns/{campaign['id']}/prospects",
        auth,
        json={
            "prospects": [
                {
                    "linkedin_provider_id": f"ACoAlpha{marker}",
                    "email": prospect_email,
                    "first_name": f"Alphonse{marker}",
                }
            ]
        },
    )
    assert status == 200 and added["added"] == 1, added
    hook_url = await serve(receiver_app(), stack) + f"/hook-{marker}"
    status, endpoint = await suite.call(
        "POST", "/api/v1/webhook-endpoints", auth, json={"url": hook_url, "events": ["campaign.paused"]}
    )
    assert status == 201, endpoint
    for action in ("activate", "pause"):
        status, body = await suite.call("POST", f"/api/v1/campaigns/{campaign['id']}/{action}", auth, json={})
        assert status == 200, body
    # The prospect replies on LinkedIn (the sandbox calls our webhook), and A suppresses a few addresses.
    await UnipileClient(unipile_url, "sandbox-key", suite.http).create_webhook(
        f"{suite.base_url}/webhooks/unipile", "messaging", {"Unipile-Auth": WEBHOOK_SECRET}
    )
    async with suite.http.post(
        f"{unipile_url}/_sandbox/accounts/{unipile_id}/messages",
        json={"provider_id": f"ACoAlpha{marker}", "text": f"Sounds good {marker}"},
    ) as r:
        assert r.status == 201, await r.text()
    status, page = await suite.call("GET", f"/api/v1/campaigns/{campaign['id']}/prospects", auth)
    prospect_id = page["prospects"][0]["id"]
    status, detail = await suite.call("GET", f"/api/v1/campaigns/{campaign['id']}/prospects/{prospect_id}", auth)
    assert status == 200 and len(detail["replies"]) == 1, detail
    suppressed = [f"alpha-{n}-{marker}@alpha-block.example" for n in range(5)]
    status, added = await suite.call(
        "POST", "/api/v1/suppressions", auth, json={"entries": [{"type": "email", "value": v} for v in suppressed]}
    )
    assert status == 200 and added["added"] == 5, added
    status, listed = await suite.call("GET", "/api/v1/suppressions", auth)
    suppression_ids = [s["id"] for s in listed["suppressions"]]
    member_email = f"member-{marker}@alpha.example"
    status, member = await suite.call("POST", "/api/v1/members", auth, json={"email": member_email, "role": "viewer"})
    assert status == 201, member
    status, token = await suite.call(
        "POST",
        "/api/v1/tokens",
        auth,
        json={"member_id": member["id"], "name": f"alpha token {marker}", "scopes": ["read"]},
    )
    assert status == 201, token
    # A member who joined by an emailed invitation and signed in: a session of A.
    session_email = f"session-{marker}@alpha.example"
    browser = await join_by_invitation(suite, smtp, auth, session_email, "member", f"alpha-password-{marker}")
    # An invitation of A still pending (sent, not accepted).
    invitee_email = f"invitee-{marker}@alpha.example"
    status, invitation = await suite.call(
        "POST", "/api/v1/invitations", auth, json={"email": invitee_email, "role": "viewer"}
    )
    assert status == 201, invitation
    deliveries: list = []
    for _ in range(200):  # the pause's webhook delivery, made once campaigns' outbox reached accounts
        status, listed = await suite.call("GET", f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", auth)
        deliveries = listed["deliveries"]
        if deliveries:
            break
        await asyncio.sleep(0.05)
    assert deliveries, "no webhook delivery for A's pause"
    ids = {
        "campaign_id": campaign["id"],
        "account_id": account_id,
        "inbox_id": inbox["id"],
        "prospect_id": prospect_id,
        "reply_id": detail["replies"][0]["id"],
        "suppression_id": suppression_ids[0],
        "member_id": member["id"],
        "token_id": token["token"]["id"],
        "endpoint_id": endpoint["id"],
        "delivery_id": deliveries[0]["id"],
        "session_id": browser.session_id,
        "invitation_id": invitation["id"],
    }
    return Owner(
        auth,
        ids,
        [
            workspace_id,
            *ids.values(),
            marker,
            unipile_id,
            email,
            prospect_email,
            *suppressed,
            invitee_email,
            member_email,
            session_email,
        ],
        [{"suppression_id": s} for s in suppression_ids[1:]],
    )


def id_forms(value: str) -> list[str]:
    """The same UUID written the ways uuid.UUID (and PostgreSQL) accept."""
    return [value, value.upper(), value.replace("-", ""), f"urn:uuid:{value}"]


def params(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def leaked(a: Owner, text: str, sent: Any = None) -> list[str]:
    """A's strings in an answer, except those the caller sent itself (an echo of its own input is no leak)."""
    lowered, echoed = text.lower(), json.dumps(sent).lower()
    found = [s for s in a.secrets if s.lower() in lowered and s.lower() not in echoed]
    found += [s for s in a.ids.values() if s.replace("-", "") in lowered.replace("-", "") and s not in echoed]
    return sorted(set(found))


def assert_error(status: int, body: Any, allowed: tuple[int, ...], where: str) -> None:
    assert status in allowed, f"{where}: {status} {body}"
    assert isinstance(body, dict) and set(body) == {"error"}, f"{where}: {body}"
    error = body["error"]
    assert error["code"] and error["message"] and isinstance(error["details"], dict), f"{where}: {body}"


async def snapshot(suite: Suite, a: Owner) -> dict[str, Any]:
    """Everything of A the API shows A."""
    views = {}
    for path in (
        "/api/v1/campaigns",
        "/api/v1/linkedin-accounts",
        "/api/v1/inboxes",
        f"/api/v1/campaigns/{a.ids['campaign_id']}",
        f"/api/v1/campaigns/{a.ids['campaign_id']}/prospects",
        f"/api/v1/campaigns/{a.ids['campaign_id']}/pause-history",
        "/api/v1/workspace",
        "/api/v1/tokens",
        "/api/v1/webhook-endpoints",
        "/api/v1/invitations",
    ):
        status, views[path] = await suite.call("GET", path, a.auth)
        assert status == 200, views[path]
    return views


async def test_no_route_shows_or_changes_another_workspaces_objects(swept: Swept) -> None:
    suite, a, b_auth = swept.suite, swept.a, swept.b_auth
    before = await snapshot(suite, a)
    # B's bodies for routes that name no object: B's own objects, except that a campaign names A's senders.
    foreign_bodies: dict[str, Any] = {
        "CreateCampaign": {
            "name": "B steals",
            "schedule": {"days": ["mon"], "window": {"start": "09:00", "end": "17:00"}, "timezone": "UTC"},
            "steps": [
                {"channel": "linkedin", "action": "invite"},
                {"channel": "email", "action": "email", "subject": "s", "body": "b"},
            ],
            "senders": {"linkedin_account_ids": [a.ids["account_id"]], "inbox_ids": [a.ids["inbox_id"]]},
        },
        "CreateLinkedInAccount": {"unipile_account_id": "acc-beta", "name": "Beta LI"},
        "CreateConnectLink": {"name": "Beta connect"},
        "CreateInbox": {
            "email": "beta@beta.example",
            "smtp": {"host": "127.0.0.1", "port": 1, "security": "none", "username": "b", "password": "b"},
            "imap": {"host": "127.0.0.1", "port": 1, "security": "none", "username": "b", "password": "b"},
        },
        "CreateWorkspace": {"name": "Gamma", "owner_email": "gamma@gamma.example"},
        "AddSuppressions": {"entries": [{"type": "email", "value": "beta@beta.example"}]},
        "AddMember": {"email": "beta-member@beta.example", "role": "viewer"},
        # A token or the ownership for A's member: refused as unknown.
        "CreateToken": {"scopes": ["read"], "member_id": a.ids["member_id"]},
        "TransferOwnership": {"member_id": a.ids["member_id"]},
        "CreateEndpoint": {"url": "http://127.0.0.1:9/beta", "events": ["campaign.paused"]},
        # Sign-in (public routes, and B's own invitations and sign-out): aimed at A's member, never showing A.
        "Empty": {},
        "SignIn": {"email": a.secrets[-1], "password": "b-guesses-wrong"},
        "EmailOnly": {"email": a.secrets[-1]},
        "RedeemLink": {"token": "hfl_" + "b" * 43},
        "CompleteReset": {"token": "hfl_" + "b" * 43, "password": "b-chooses-a-password"},
        "AcceptInvitation": {"token": "hfl_" + "b" * 43, "password": "b-chooses-a-password"},
        "Invite": {"email": a.secrets[-1], "role": "viewer"},
    }
    routes = calls = leaks = 0
    for route in ROUTES:
        if route.path in NOT_BEARER:
            continue
        routes += 1
        names = params(route.path)
        unknown = [n for n in names if n not in a.ids]
        assert not unknown, f"{route.method} {route.path}: give workspace A an object for {unknown}"
        model = route.body.__name__ if route.body is not None else None
        if names:
            assert model is None or model in VALID_BODIES, f"{route.method} {route.path}: add a valid {model} body"
            body = VALID_BODIES.get(model) if model else None
            for form in range(4):
                path = route.path.format(**{n: id_forms(a.ids[n])[form] for n in names})
                status, answer = await call(suite, route.method, path, b_auth, body)
                calls += 1
                where = f"B {route.method} {path}"
                assert_error(status, answer, (403, 404), where)
                found = leaked(a, json.dumps(answer))
                leaks += bool(found)
                assert not found, f"{where} answered {found} of A: {answer}"
        else:
            body = foreign_bodies.get(model) if model else None
            assert model is None or body is not None, f"{route.method} {route.path}: add a {model} body for B"
            status, answer = await call(suite, route.method, route.path, b_auth, body)
            calls += 1
            assert status < 500, f"B {route.method} {route.path}: {status} {answer}"
            found = leaked(a, json.dumps(answer), sent=body)
            leaks += bool(found)
            assert not found, f"B {route.method} {route.path} answered {found} of A: {answer}"
            if model == "CreateCampaign":  # a campaign of B sending from A's account and inbox: refused
                assert_error(status, answer, (400, 403, 404), f"B {route.method} {route.path} with A's senders")
            if model in ("CreateToken", "TransferOwnership"):  # naming A's member
                assert_error(status, answer, (404,), f"B {route.method} {route.path} with A's member")
        if route.auth:
            path = route.path.format(**a.ids)
            for headers in ({}, {"Authorization": f"Bearer {uuid.uuid4().hex}"}, {"Authorization": "Basic eA=="}):
                status, answer = await call(suite, route.method, path, headers, VALID_BODIES.get(model or "", {}))
                calls += 1
                assert_error(status, answer, (401,), f"{headers or 'no token'} {route.method} {path}")
                leaks += bool(leaked(a, json.dumps(answer)))
    after = await snapshot(suite, a)
    print(
        f"\nisolation sweep: {routes} routes, {calls} calls as workspace B or without a valid token,"
        f" {leaks} leaks, A unchanged: {after == before}"
    )
    assert leaks == 0
    assert after == before, "workspace B changed workspace A's objects"
    assert routes >= 30

    # The control: the same calls as A find the objects, in every id form, so B's 404s are about ownership.
    controls = 0
    for route in sorted(ROUTES, key=lambda r: (r.method, r.path) in REMOVES):
        names = params(route.path)
        if route.path in NOT_BEARER or not names:
            continue
        body = VALID_BODIES.get(route.body.__name__) if route.body is not None else None
        for form in range(1 if (route.method, route.path) in REMOVES else 4):
            own = {**a.ids, **a.deletable[form]} if route.method == "DELETE" else a.ids
            path = route.path.format(**{n: id_forms(own[n])[form] for n in names})
            status, answer = await call(suite, route.method, path, a.auth, body)
            controls += 1
            assert status not in (401, 403, 404) and status < 500, f"A {route.method} {path}: {status} {answer}"
    print(f"control: {controls} of the same calls as workspace A reach A's objects")


async def call(suite: Suite, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
    async with suite.http.request(
        method, f"{suite.base_url}{path}", headers=headers, json=body if method in ("POST", "PUT", "PATCH") else None
    ) as r:
        text = await r.text()
        return r.status, (await r.json() if r.content_type == "application/json" else text)
