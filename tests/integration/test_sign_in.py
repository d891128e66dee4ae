"""Sign-in for the web UI through the real gateway, gRPC services, PostgreSQL and a real SMTP server (the sandbox's,
as the system SMTP server): an invitation emailed, accepted with a password, the session cookie working, CSRF
refusals, sessions listed and revoked, expiry on the virtual clock, the rate limit of failed sign-ins, emailed
sign-in links, password reset, and the audit entries of each."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from sandbox.smtp import SandboxSmtp
from services.common.clock import ManualClock
from tests.conftest import Suite, create_database, start_suite
from tests.sign_in_helpers import MAIL_FROM, Browser, join_by_invitation, mails_to, signed_in, system_smtp, tokens_in

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
            await create_database(pg_dsn),
            stack,
            clock,
            HOLDFAST_SESSION_HOURS="1",
            HOLDFAST_PUBLIC_URL="https://holdfast.example",
            **env,
        )
        workspace_id, owner = await suite.new_workspace("Signin")
        yield Rig(suite, smtp, clock, owner, workspace_id)


def email() -> str:
    return f"bea-{uuid.uuid4().hex[:8]}@acme.example"


async def me(rig: Rig, browser: Browser) -> tuple[int, dict]:
    return await rig.suite.call("GET", "/api/v1/me", browser.headers(csrf=False))


def after_the_window(rig: Rig) -> None:
    """Past the rate limit's window, so a test's failures do not count against the next."""
    rig.clock.advance(timedelta(minutes=16))


async def test_an_invitation_is_emailed_accepted_once_and_its_session_cookie_works(rig: Rig) -> None:
    suite, address = rig.suite, email()
    status, invitation = await suite.call(
        "POST", "/api/v1/invitations", rig.owner, json={"email": address, "role": "member"}
    )
    assert status == 201, invitation
    assert invitation["role"] == "member" and invitation["email"] == address
    [mail] = mails_to(rig.smtp, address)
    assert mail.mail_from == MAIL_FROM and "Signin" in mail.subject
    [token] = tokens_in(mail)
    assert f"https://holdfast.example/#/accept-invitation?token={token}" in mail.body
    # Stored hashed: its SHA-256 is in the database, the token itself nowhere.
    conn = await asyncpg.connect(suite.dsn)
    try:
        hashes = [r["token_hash"] for r in await conn.fetch("SELECT token_hash FROM accounts.auth_links")]
        dump = str(await conn.fetch("SELECT * FROM accounts.auth_links"))
    finally:
        await conn.close()
    assert hashlib.sha256(token.encode()).digest() in hashes and token not in dump

    async with suite.http.post(
        f"{suite.base_url}/api/v1/invitations/accept", json={"token": token, "password": PASSWORD}
    ) as r:
        assert r.status == 200, await r.text()
        cookies = r.headers.getall("Set-Cookie")
        body = await r.json()
    session_cookie = next(c for c in cookies if c.startswith("holdfast_session="))
    csrf_cookie = next(c for c in cookies if c.startswith("holdfast_csrf="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie and "Path=/" in session_cookie
    assert "Secure" not in session_cookie  # loopback: plain http
    assert "HttpOnly" not in csrf_cookie
    # Reached by another name than loopback (behind TLS): the cookies are Secure.
    async with suite.http.post(
        f"{suite.base_url}/api/v1/sign-in",
        headers={"Host": "holdfast.example"},
        json={"email": address, "password": PASSWORD},
    ) as r:
        assert r.status == 200, await r.text()
        assert all("Secure" in c for c in r.headers.getall("Set-Cookie"))
    assert body["role"] == "member" and body["email"] == address and body["session"]["method"] == "invitation"
    assert "hfs_" not in str(body)  # the session's secret is only in the HttpOnly cookie

    # Used once.
    status, again, _ = await signed_in(suite, "/api/v1/invitations/accept", {"token": token, "password": PASSWORD})
    assert status == 401 and again["error"]["code"] == "link_invalid", again
    # The member is in the workspace with the invited role; the password signs in.
    status, ws = await suite.call("GET", "/api/v1/workspace", rig.owner)
    assert {m["email"]: m["role"] for m in ws["members"]}[address] == "member"
    status, answer, browser = await signed_in(suite, "/api/v1/sign-in", {"email": address, "password": PASSWORD})
    assert status == 200 and browser is not None, answer
    status, who = await me(rig, browser)
    assert status == 200 and who["via"] == "session" and who["role"] == "member", who
    assert who["workspace_id"] == rig.workspace_id and who["session_id"] == browser.session_id


async def test_changes_with_the_cookie_need_the_csrf_header_reads_do_not(rig: Rig) -> None:
    browser = await join_by_invitation(rig.suite, rig.smtp, rig.owner, email(), "admin", PASSWORD)
    suite = rig.suite
    status, _ = await suite.call("GET", "/api/v1/campaigns", browser.headers(csrf=False))
    assert status == 200
    entry = {"entries": [{"type": "email", "value": f"{uuid.uuid4().hex[:6]}@blocked.example"}]}
    for headers in (browser.headers(csrf=False), {**browser.headers(), "X-CSRF-Token": "forged"}):
        status, refused = await suite.call("POST", "/api/v1/suppressions", headers, json=entry)
        assert status == 403 and refused["error"]["code"] == "csrf_failed", refused
        assert set(refused) == {"error"} and set(refused["error"]) == {"code", "message", "details"}
    # Another session's CSRF token is not this one's.
    status, who = await me(rig, browser)
    other = await join_by_invitation(suite, rig.smtp, rig.owner, email(), "admin", PASSWORD)
    status, refused = await suite.call(
        "POST", "/api/v1/suppressions", {**browser.headers(), "X-CSRF-Token": other.csrf}, json=entry
    )
    assert status == 403 and refused["error"]["code"] == "csrf_failed", refused
    status, listed = await suite.call("GET", "/api/v1/suppressions", rig.owner)
    assert entry["entries"][0]["value"] not in str(listed)  # nothing was written
    status, added = await suite.call("POST", "/api/v1/suppressions", browser.headers(), json=entry)
    assert status == 200 and added["added"] == 1, added
    # A bearer token needs no CSRF header, even with a stale cookie beside it.
    status, _ = await suite.call(
        "POST",
        "/api/v1/suppressions",
        {**rig.owner, "Cookie": "holdfast_session=x"},
        json={"entries": [{"type": "domain", "value": "bearer.example"}]},
    )
    assert status == 200
    after_the_window(rig)


async def test_sessions_are_listed_revoked_signed_out_and_revoked_by_an_admin(rig: Rig) -> None:
    suite, address = rig.suite, email()
    first = await join_by_invitation(suite, rig.smtp, rig.owner, address, "viewer", PASSWORD)
    rig.clock.advance(timedelta(seconds=1))
    _, _, second = await signed_in(suite, "/api/v1/sign-in", {"email": address, "password": PASSWORD})
    rig.clock.advance(timedelta(seconds=1))
    _, _, third = await signed_in(suite, "/api/v1/sign-in", {"email": address, "password": PASSWORD})
    assert second is not None and third is not None
    status, listed = await suite.call("GET", "/api/v1/sessions", second.headers(csrf=False))
    assert status == 200
    assert [s["id"] for s in listed["sessions"]] == [third.session_id, second.session_id, first.session_id]
    assert [s["current"] for s in listed["sessions"]] == [False, True, False]
    # A viewer revokes their own session (a change: with the CSRF header).
    status, revoked = await suite.call("DELETE", f"/api/v1/sessions/{first.session_id}", second.headers())
    assert status == 200 and revoked["revoked_at"], revoked
    status, refused = await me(rig, first)
    assert status == 401 and refused["error"]["code"] == "session_invalid", refused
    # Sign-out revokes this session and clears the cookies.
    async with suite.http.post(f"{suite.base_url}/api/v1/sign-out", headers=second.headers(), json={}) as r:
        assert r.status == 200, await r.text()
        cleared = r.headers.getall("Set-Cookie")
    assert any(c.startswith("holdfast_session=") and "Max-Age=0" in c for c in cleared), cleared
    assert (await me(rig, second))[0] == 401
    # A bearer token has no session to sign out of.
    status, body = await suite.call("POST", "/api/v1/sign-out", rig.owner, json={})
    assert status == 409 and body["error"]["code"] == "not_a_session"
    # Another member's session: a viewer may not revoke it (404 for no such session of theirs is not claimed:
    # it is the workspace's, so 403 naming the role), an admin may revoke all of a member's.
    admin = await join_by_invitation(suite, rig.smtp, rig.owner, email(), "admin", PASSWORD)
    status, body = await suite.call("DELETE", f"/api/v1/sessions/{admin.session_id}", third.headers())
    assert status == 403, body
    status, body = await suite.call("DELETE", f"/api/v1/members/{third.member_id}/sessions", admin.headers())
    assert status == 200 and body == {"revoked": 1}, body
    assert (await me(rig, third))[0] == 401
    status, body = await suite.call("DELETE", f"/api/v1/members/{admin.member_id}/sessions", third.headers())
    assert status == 401  # third's session is gone


async def test_a_session_expires_on_the_virtual_clock(rig: Rig) -> None:
    browser = await join_by_invitation(rig.suite, rig.smtp, rig.owner, email(), "viewer", PASSWORD)
    rig.clock.advance(timedelta(minutes=59))
    assert (await me(rig, browser))[0] == 200
    rig.clock.advance(timedelta(minutes=1, seconds=1))
    status, refused = await me(rig, browser)
    assert status == 401 and refused["error"]["code"] == "session_invalid", refused
    status, listed = await rig.suite.call("GET", "/api/v1/workspace", browser.headers(csrf=False))
    assert status == 401


async def test_five_failed_sign_ins_in_15_minutes_answer_429_with_retry_after(rig: Rig) -> None:
    suite, address = rig.suite, email()
    await join_by_invitation(suite, rig.smtp, rig.owner, address, "viewer", PASSWORD)
    after_the_window(rig)
    for _ in range(5):
        status, body, _ = await signed_in(suite, "/api/v1/sign-in", {"email": address, "password": "wrong guess"})
        assert status == 401 and body["error"]["code"] == "sign_in_failed", body
        rig.clock.advance(timedelta(minutes=1))
    # Even the right password is refused now, saying when to try again (15 minutes after the oldest failure).
    async with suite.http.post(f"{suite.base_url}/api/v1/sign-in", json={"email": address, "password": PASSWORD}) as r:
        assert r.status == 429
        assert r.headers["Retry-After"] == str(10 * 60)
        body = await r.json()
    assert body["error"]["code"] == "rate_limited" and set(body) == {"error"}
    # The same client address for another account is refused too (per address).
    status, body, _ = await signed_in(suite, "/api/v1/sign-in", {"email": email(), "password": PASSWORD})
    assert status == 429, body
    rig.clock.advance(timedelta(minutes=10, seconds=1))
    status, body, browser = await signed_in(suite, "/api/v1/sign-in", {"email": address, "password": PASSWORD})
    assert status == 200 and browser is not None, body
    after_the_window(rig)


async def test_an_emailed_sign_in_link_works_once_and_an_unknown_address_gets_nothing(rig: Rig) -> None:
    suite, address = rig.suite, email()
    await join_by_invitation(suite, rig.smtp, rig.owner, address, "member", "")
    status, body = await suite.call("POST", "/api/v1/sign-in/link", json={"email": address})
    assert status == 202, body
    [link] = tokens_in(mails_to(rig.smtp, address)[-1])
    status, answer, browser = await signed_in(suite, "/api/v1/sign-in/link/redeem", {"token": link})
    assert status == 200 and browser is not None and answer["session"]["method"] == "link", answer
    status, again, _ = await signed_in(suite, "/api/v1/sign-in/link/redeem", {"token": link})
    assert status == 401 and again["error"]["code"] == "link_invalid"
    # No password was set: none signs in.
    status, refused, _ = await signed_in(suite, "/api/v1/sign-in", {"email": address, "password": ""})
    assert status == 400
    # An unknown address: the same answer, no mail.
    stranger = email()
    status, same = await suite.call("POST", "/api/v1/sign-in/link", json={"email": stranger})
    assert status == 202 and same == body
    assert mails_to(rig.smtp, stranger) == []
    # A link expires.
    status, _ = await suite.call("POST", "/api/v1/sign-in/link", json={"email": address})
    [late] = tokens_in(mails_to(rig.smtp, address)[-1])
    rig.clock.advance(timedelta(minutes=31))
    status, expired, _ = await signed_in(suite, "/api/v1/sign-in/link/redeem", {"token": late})
    assert status == 401 and expired["error"]["code"] == "link_invalid"


async def test_a_password_reset_by_email_revokes_the_old_sessions(rig: Rig) -> None:
    suite, address = rig.suite, email()
    old = await join_by_invitation(suite, rig.smtp, rig.owner, address, "member", PASSWORD)
    status, _ = await suite.call("POST", "/api/v1/password-reset", json={"email": address})
    assert status == 202
    mail = mails_to(rig.smtp, address)[-1]
    assert "reset" in mail.subject.lower()
    [token] = tokens_in(mail)
    status, refused, _ = await signed_in(
        suite, "/api/v1/password-reset/complete", {"token": token, "password": "short"}
    )
    assert status == 400 and refused["error"]["details"]["field"] == "password"
    new_password = "a brand new passphrase"
    status, answer, browser = await signed_in(
        suite, "/api/v1/password-reset/complete", {"token": token, "password": new_password}
    )
    assert status == 200 and browser is not None and answer["session"]["method"] == "password_reset", answer
    assert (await me(rig, old))[0] == 401
    assert (await me(rig, browser))[0] == 200
    status, _, _ = await signed_in(suite, "/api/v1/sign-in", {"email": address, "password": PASSWORD})
    assert status == 401
    status, _, _ = await signed_in(suite, "/api/v1/sign-in", {"email": address, "password": new_password})
    assert status == 200
    after_the_window(rig)


async def test_sign_in_invitation_password_and_session_changes_are_audited_without_secrets(rig: Rig) -> None:
    suite, address = rig.suite, email()
    browser = await join_by_invitation(suite, rig.smtp, rig.owner, address, "member", PASSWORD)
    await signed_in(suite, "/api/v1/sign-in", {"email": address, "password": PASSWORD})
    await suite.call("POST", "/api/v1/password-reset", json={"email": address})
    [token] = tokens_in(mails_to(rig.smtp, address)[-1])
    _, _, reset = await signed_in(
        suite, "/api/v1/password-reset/complete", {"token": token, "password": PASSWORD + "!"}
    )
    assert reset is not None
    status, _ = await suite.call("POST", "/api/v1/sign-out", reset.headers(), json={})
    assert status == 200
    status, page = await suite.call("GET", "/api/v1/audit?page_size=200", rig.owner)
    assert status == 200, page
    mine = [e for e in page["entries"] if e["member_id"] == browser.member_id]
    assert {"accept_invitation", "sign_in", "reset_password", "sign_out"} <= {e["action"] for e in mine}, mine
    assert any(e["action"] == "create_invitation" and e["changes"].get("email") == address for e in page["entries"])
    text = str(page)
    assert PASSWORD not in text and token not in text and browser.session not in text
    sign_in = next(e for e in mine if e["action"] == "sign_in")
    assert sign_in["changes"]["password"] == "[redacted]" and sign_in["member_email"] == address
