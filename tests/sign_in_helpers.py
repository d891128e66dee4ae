"""Helpers of the sign-in tests (tests/integration/test_sign_in.py, the isolation sweep, the fuzz test, the browser
tests): the system SMTP server as a real sandbox SMTP server, the links it received, and a member who joined by
invitation with a password and holds a session."""

from __future__ import annotations

import re
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from sandbox.smtp import ReceivedMessage, SandboxSmtp

SMTP_LOGIN = "holdfast-system"
SMTP_PASSWORD = "system-mail-password"
MAIL_FROM = "holdfast@holdfast.test"
TOKEN = re.compile(r"token=(hfl_[A-Za-z0-9_-]{43})")


async def system_smtp(stack: AsyncExitStack) -> tuple[SandboxSmtp, dict[str, str]]:
    """A sandbox SMTP server (AUTH required) and the environment pointing Holdfast's own mail at it."""
    smtp = SandboxSmtp()
    port = await smtp.start()
    stack.push_async_callback(smtp.stop)
    smtp.set_password(SMTP_LOGIN, SMTP_PASSWORD)
    return smtp, {
        "HOLDFAST_SYSTEM_SMTP": f"127.0.0.1:{port}",
        "HOLDFAST_SYSTEM_SMTP_SECURITY": "none",
        "HOLDFAST_SYSTEM_SMTP_USERNAME": SMTP_LOGIN,
        "HOLDFAST_SYSTEM_SMTP_PASSWORD": SMTP_PASSWORD,
        "HOLDFAST_SYSTEM_MAIL_FROM": MAIL_FROM,
    }


def mails_to(smtp: SandboxSmtp, address: str) -> list[ReceivedMessage]:
    return [m for m in smtp.messages if address in m.rcpt_tos]


def tokens_in(message: ReceivedMessage) -> list[str]:
    return TOKEN.findall(message.body)


@dataclass
class Browser:
    """A signed-in browser: the cookies it would send, the CSRF token its script reads, who it is."""

    session: str
    csrf: str
    session_id: str
    member_id: str

    def headers(self, *, csrf: bool = True) -> dict[str, str]:
        cookie = f"holdfast_session={self.session}; holdfast_csrf={self.csrf}"
        return {"Cookie": cookie, **({"X-CSRF-Token": self.csrf} if csrf else {})}


async def signed_in(suite: Any, path: str, body: dict[str, Any]) -> tuple[int, Any, Browser | None]:
    """POST a sign-in route; the browser it signed in, read from Set-Cookie, when it did."""
    async with suite.http.post(f"{suite.base_url}{path}", json=body) as r:
        answer = await r.json()
        if r.status != 200:
            return r.status, answer, None
        session = r.cookies["holdfast_session"].value
        csrf = r.cookies["holdfast_csrf"].value
    return r.status, answer, Browser(session, csrf, answer["session"]["id"], answer["member_id"])


async def join_by_invitation(
    suite: Any, smtp: SandboxSmtp, inviter: dict[str, str], email: str, role: str, password: str
) -> Browser:
    """Invite `email`, read the invitation from the sandbox, accept it with `password`: the new member's browser."""
    before = len(mails_to(smtp, email))
    status, invitation = await suite.call("POST", "/api/v1/invitations", inviter, json={"email": email, "role": role})
    assert status == 201, invitation
    received = mails_to(smtp, email)
    assert len(received) == before + 1, [m.subject for m in smtp.messages]
    [token] = tokens_in(received[-1])
    status, answer, browser = await signed_in(
        suite, "/api/v1/invitations/accept", {"token": token, "password": password}
    )
    assert status == 200 and browser is not None, answer
    return browser
