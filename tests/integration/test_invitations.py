"""Pending invitations, the audit of refused sign-ins, and who the audit names for a browser's changes, through
the real gateway, gRPC services, PostgreSQL and the sandbox's SMTP server as the system one: invitations listed
until accepted, revoked (the emailed link then refused), kept to their workspace; a refused password sign-in
logged in the member's workspace with the address as typed and never the password; a change made with the
session cookie (a transfer of ownership, as the Members page makes it) logged as its member, not as a token."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from sandbox.smtp import SandboxSmtp
from services.accounts.audit_repository import UNKNOWN_ACTOR
from services.common.clock import ManualClock
from tests.conftest import Suite, create_database, start_suite
from tests.sign_in_helpers import join_by_invitation, mails_to, signed_in, system_smtp, tokens_in

PASSWORD = "correct horse battery staple"


@dataclass
class Rig:
    suite: Suite
    smtp: SandboxSmtp
    clock: ManualClock
    owner: dict[str, str]
    workspace_id: str


@pytest.fixture(scope="module")
async def rig(pg_dsn: str) -> AsyncIterator[Rig]:
    async with AsyncExitStack() as stack:
        smtp, env = await system_smtp(stack)
        clock = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
        suite = await start_suite(
            await create_database(pg_dsn), stack, clock, HOLDFAST_PUBLIC_URL="https://holdfast.example", **env
        )
        workspace_id, owner = await suite.new_workspace("Invites")
        yield Rig(suite, smtp, clock, owner, workspace_id)


def email() -> str:
    return f"cy-{uuid.uuid4().hex[:8]}@acme.example"


async def invite(rig: Rig, address: str, role: str = "member", auth: dict[str, str] | None = None) -> dict:
    status, invitation = await rig.suite.call(
        "POST", "/api/v1/invitations", auth or rig.owner, json={"email": address, "role": role}
    )
    assert status == 201, invitation
    return invitation


async def pending(rig: Rig, auth: dict[str, str] | None = None) -> dict[str, dict]:
    status, listed = await rig.suite.call("GET", "/api/v1/invitations", auth or rig.owner)
    assert status == 200, listed
    return {i["email"]: i for i in listed["invitations"]}


async def test_invitations_are_listed_until_accepted_and_a_revoked_ones_link_stops_working(rig: Rig) -> None:
    suite, kept, withdrawn = rig.suite, email(), email()
    first = await invite(rig, kept, "viewer")
    rig.clock.advance(timedelta(minutes=1))
    second = await invite(rig, withdrawn, "admin")
    listed = await pending(rig)
    assert listed[kept] == first and listed[withdrawn] == second
    status, raw = await suite.call("GET", "/api/v1/invitations", rig.owner)
    emails = [i["email"] for i in raw["invitations"]]
    assert emails.index(withdrawn) < emails.index(kept)  # newest first
    assert set(first) == {"id", "email", "role", "created_at", "expires_at"}  # no token, no link

    status, revoked = await suite.call("POST", f"/api/v1/invitations/{second['id']}/revoke", rig.owner, json={})
    assert status == 200 and revoked == second, revoked
    assert withdrawn not in await pending(rig)
    [token] = tokens_in(mails_to(rig.smtp, withdrawn)[-1])
    status, refused, _ = await signed_in(suite, "/api/v1/invitations/accept", {"token": token, "password": PASSWORD})
    assert status == 401 and refused["error"]["code"] == "link_invalid", refused
    status, again = await suite.call("POST", f"/api/v1/invitations/{second['id']}/revoke", rig.owner, json={})
    assert status == 404 and again["error"]["code"] == "not_found", again

    # Accepted: no longer pending, and no longer revocable.
    [token] = tokens_in(mails_to(rig.smtp, kept)[-1])
    status, _, browser = await signed_in(suite, "/api/v1/invitations/accept", {"token": token, "password": PASSWORD})
    assert status == 200 and browser is not None
    assert kept not in await pending(rig)
    status, _ = await suite.call("POST", f"/api/v1/invitations/{first['id']}/revoke", rig.owner, json={})
    assert status == 404
    # Expired ones drop out of the list.
    late = email()
    await invite(rig, late)
    assert late in await pending(rig)
    rig.clock.advance(timedelta(days=30))
    assert late not in await pending(rig)

    status, page = await suite.call("GET", "/api/v1/audit?action=revoke_invitation", rig.owner)
    assert status == 200 and [e["target"] for e in page["entries"]] == [{"invitation_id": second["id"]}], page


async def test_invitations_stay_in_their_workspace_and_need_an_admin(rig: Rig) -> None:
    suite, address = rig.suite, email()
    mine = await invite(rig, address)
    _, other = await suite.new_workspace("Elsewhere")
    assert address not in await pending(rig, other)
    status, body = await suite.call("POST", f"/api/v1/invitations/{mine['id']}/revoke", other, json={})
    assert status == 404, body
    assert address in await pending(rig)
    # A member (not an admin) of this workspace neither lists nor revokes.
    browser = await join_by_invitation(suite, rig.smtp, rig.owner, email(), "member", PASSWORD)
    status, body = await suite.call("GET", "/api/v1/invitations", browser.headers(csrf=False))
    assert status == 403 and body["error"]["details"]["required_role"] == "admin", body
    status, body = await suite.call("POST", f"/api/v1/invitations/{mine['id']}/revoke", browser.headers(), json={})
    assert status == 403, body
    status, body = await suite.call("POST", f"/api/v1/invitations/{uuid.uuid4()}/revoke", rig.owner, json={})
    assert status == 404, body


async def test_a_refused_sign_in_is_audited_with_the_address_as_typed_and_never_the_password(rig: Rig) -> None:
    suite, address = rig.suite, email()
    await join_by_invitation(suite, rig.smtp, rig.owner, address, "viewer", PASSWORD)
    typed = address.upper()
    wrong = "not-the-password-" + uuid.uuid4().hex
    request_id = f"try-{uuid.uuid4().hex}"
    async with suite.http.post(
        f"{suite.base_url}/api/v1/sign-in",
        headers={"X-Request-Id": request_id},
        json={"email": typed, "password": wrong},
    ) as r:
        assert r.status == 401 and (await r.json())["error"]["code"] == "sign_in_failed"
    # An address of no member: refused the same way, and no workspace has an entry for it.
    stranger = email()
    status, _, _ = await signed_in(suite, "/api/v1/sign-in", {"email": stranger, "password": wrong})
    assert status == 401
    status, page = await suite.call("GET", "/api/v1/audit?action=sign_in_failed&page_size=200", rig.owner)
    assert status == 200, page
    [entry] = [e for e in page["entries"] if e["changes"].get("email") == typed]
    assert entry["member_id"] == UNKNOWN_ACTOR and entry["token_id"] is None and entry["member_email"] == ""
    assert entry["changes"] == {"email": typed, "address": "127.0.0.1"} and entry["status"] == 401
    assert entry["method"] == "POST" and entry["path"] == "/api/v1/sign-in" and entry["request_id"] == request_id
    assert wrong not in str(page) and stranger not in str(page)
    # Filtering by the unknown actor finds it too.
    status, by_actor = await suite.call("GET", f"/api/v1/audit?member_id={UNKNOWN_ACTOR}&page_size=200", rig.owner)
    assert entry in by_actor["entries"]
    rig.clock.advance(timedelta(minutes=16))  # past the rate limit's window


async def test_a_change_made_with_the_session_cookie_is_logged_as_its_member_not_a_token(rig: Rig) -> None:
    suite = rig.suite
    _, owner_token = await suite.new_workspace("Handover")
    owner_address, heir_address = email(), email()
    # The creator (a token) invites an admin who receives ownership, then hands it on from a browser.
    heir = await join_by_invitation(suite, rig.smtp, owner_token, heir_address, "admin", PASSWORD)
    second = await join_by_invitation(suite, rig.smtp, owner_token, owner_address, "member", PASSWORD)
    status, _ = await suite.call(
        "POST", "/api/v1/workspace/transfer-ownership", owner_token, json={"member_id": heir.member_id}
    )
    assert status == 200
    status, body = await suite.call(
        "POST", "/api/v1/workspace/transfer-ownership", heir.headers(csrf=False), json={"member_id": second.member_id}
    )
    assert status == 403 and body["error"]["code"] == "csrf_failed", body
    status, moved = await suite.call(
        "POST", "/api/v1/workspace/transfer-ownership", heir.headers(), json={"member_id": second.member_id}
    )
    assert status == 200, moved
    roles = {m["id"]: m["role"] for m in moved["members"]}
    assert roles[second.member_id] == "owner" and roles[heir.member_id] == "admin"
    status, page = await suite.call("GET", "/api/v1/audit?action=transfer_ownership", second.headers(csrf=False))
    assert status == 200, page
    by_browser, by_token = page["entries"]  # newest first
    assert by_browser["member_id"] == heir.member_id and by_browser["member_email"] == heir_address
    assert by_browser["token_id"] is None  # the UI shows the member, not "(API token)"
    assert by_token["token_id"] is not None
