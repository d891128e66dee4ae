"""Sign-in for the web UI over HTTP (issue 18): invitations by email, sign-in with a password or a one-time emailed
link, password reset, and the member's sessions (listed, revoked; all of a member's by an admin).

A sign-in answers with two cookies: `holdfast_session` (the session's secret: HttpOnly, SameSite=Lax, Secure unless
the UI is reached on a loopback address) and `holdfast_csrf` (readable by the UI's script). Every request that
changes something with the session cookie must send `X-CSRF-Token` equal to that second cookie, which is derived
from the session's secret (api.py `csrf_token`): a page of another site can make the browser send the cookies but
cannot read them, so it cannot forge the header. Bearer tokens need no CSRF header. `SIGN_IN_ROUTES` joins the
gateway's route table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from holdfast.accounts.v1 import accounts_pb2
from services.common.errors import FailedPrecondition
from services.common.roles import Role
from services.gateway import models, views
from services.gateway.api import (
    CSRF_COOKIE,
    PRINCIPAL,
    PRINCIPALS,
    SESSION_COOKIE,
    Empty,
    Principal,
    Route,
    authenticate,
    csrf_token,
    parse_body,
    reply,
    upstreams,
)
from services.gateway.team_routes import EMAIL_PATTERN, AssignableRole

# What the system mail can carry: an ASCII address (no SMTPUTF8), written plainly.
INVITE_EMAIL_PATTERN = r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
LINK_TOKEN_PATTERN = r"^hfl_[A-Za-z0-9_-]{43}$"
NEW_PASSWORD = Field(
    min_length=10,
    max_length=256,
    pattern=r"^[^\u0000]*$",
    description="10 to 256 characters; stored as an argon2id hash",
)
LOOPBACK = ("localhost", "127.0.0.1", "::1")


class SignIn(models.Request):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN, examples=["ada@acme.example"])
    password: str = Field(min_length=1, max_length=1024)
    workspace_id: str = Field(
        "",
        max_length=64,
        pattern=r"^$|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
        r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        description="for an address that is a member of several workspaces (default: the oldest membership)",
    )


class EmailOnly(models.Request):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN, examples=["ada@acme.example"])


class RedeemLink(models.Request):
    token: str = Field(max_length=64, pattern=LINK_TOKEN_PATTERN, description="the token of the emailed link")


class CompleteReset(models.Request):
    token: str = Field(max_length=64, pattern=LINK_TOKEN_PATTERN, description="the token of the emailed link")
    password: str = NEW_PASSWORD


class AcceptInvitation(models.Request):
    token: str = Field(max_length=64, pattern=LINK_TOKEN_PATTERN, description="the token of the emailed link")
    password: str = Field(
        "",
        max_length=256,
        pattern=r"^$|^[^\u0000]{10,}$",
        description="10 to 256 characters, stored as an argon2id hash; empty: none (the member "
        "signs in with emailed links)",
    )


class Invite(models.Request):
    email: str = Field(max_length=254, pattern=INVITE_EMAIL_PATTERN, examples=["bea@acme.example"])
    role: AssignableRole = Field(description="owner is handed over by a transfer of ownership")


class InvitationOut(models.Response):
    id: str
    email: str
    role: Literal["admin", "member", "viewer"]
    created_at: str
    expires_at: str


class SessionOut(models.Response):
    id: str
    member_id: str
    created_at: str
    expires_at: str
    revoked_at: str | None
    method: Literal["password", "link", "invitation", "password_reset"]
    address: str
    user_agent: str
    current: bool = Field(description="the session of this request")


class SessionList(models.Response):
    sessions: list[SessionOut]


class SignedInOut(models.Response):
    workspace_id: str
    member_id: str
    email: str
    role: Literal["owner", "admin", "member", "viewer"]
    session: SessionOut
    csrf_token: str = Field(description="send it as X-CSRF-Token with every change (also in the holdfast_csrf cookie)")


class Me(models.Response):
    workspace_id: str
    member_id: str
    role: Literal["owner", "admin", "member", "viewer"]
    via: Literal["session", "token"]
    session_id: str | None


class EmailRequested(models.Response):
    message: str


class RevokedSessions(models.Response):
    revoked: int


class SignedOut(models.Response):
    signed_out: bool


def _session(s: accounts_pb2.Session, current: str = "") -> SessionOut:
    return SessionOut(
        id=s.id,
        member_id=s.member_id,
        created_at=views.iso(s.created_at),
        expires_at=views.iso(s.expires_at),
        revoked_at=views.iso(s.revoked_at) if s.HasField("revoked_at") else None,
        method=s.method,
        address=s.address,
        user_agent=s.user_agent,  # type: ignore[arg-type]
        current=s.id == current,
    )


def _client(request: web.Request) -> accounts_pb2.SignInClient:
    return accounts_pb2.SignInClient(
        address=request.remote or "", user_agent=request.headers.get("User-Agent", "")[:300]
    )


def secure_cookies(request: web.Request) -> bool:
    """Secure cookies unless the UI is reached on a loopback address (plain http there)."""
    host = (request.url.host or "").strip("[]").lower()
    return not (host in LOOPBACK or host.startswith("127."))


def _signed_in(request: web.Request, signed: accounts_pb2.SignedIn) -> web.Response:
    """The answer of a sign-in: the session's cookies set, the CSRF token in the body; the audit log names the
    member (the route wrapper writes the entry)."""
    request[PRINCIPAL] = Principal(
        workspace_id=signed.workspace_id,
        member_id=signed.member_id,
        role=Role.parse(signed.role),
        session_id=signed.session.id,
    )
    csrf = csrf_token(signed.secret)
    response = reply(
        SignedInOut(
            workspace_id=signed.workspace_id,
            member_id=signed.member_id,
            email=signed.email,
            role=signed.role,
            session=_session(signed.session, signed.session.id),  # type: ignore[arg-type]
            csrf_token=csrf,
        )
    )
    max_age = int(signed.session.expires_at.seconds - signed.session.created_at.seconds)
    secure = secure_cookies(request)
    response.set_cookie(
        SESSION_COOKIE, signed.secret, max_age=max_age, path="/", httponly=True, secure=secure, samesite="Lax"
    )
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, path="/", httponly=False, secure=secure, samesite="Lax")
    return response


async def sign_in(request: web.Request) -> web.Response:
    body = await parse_body(request, SignIn)
    signed = await upstreams(request).accounts.SignInWithPassword(
        accounts_pb2.SignInWithPasswordRequest(
            email=body.email, password=body.password, workspace_id=body.workspace_id, client=_client(request)
        )
    )
    return _signed_in(request, signed.signed_in)


async def send_sign_in_link(request: web.Request) -> web.Response:
    body = await parse_body(request, EmailOnly)
    await upstreams(request).accounts.SendSignInLink(
        accounts_pb2.SendSignInLinkRequest(email=body.email, client=_client(request))
    )
    return reply(EmailRequested(message="if this address is a member, a sign-in link is on its way"), 202)


async def sign_in_with_link(request: web.Request) -> web.Response:
    body = await parse_body(request, RedeemLink)
    signed = await upstreams(request).accounts.SignInWithLink(
        accounts_pb2.SignInWithLinkRequest(token=body.token, client=_client(request))
    )
    return _signed_in(request, signed.signed_in)


async def send_password_reset(request: web.Request) -> web.Response:
    body = await parse_body(request, EmailOnly)
    await upstreams(request).accounts.SendPasswordReset(
        accounts_pb2.SendPasswordResetRequest(email=body.email, client=_client(request))
    )
    return reply(EmailRequested(message="if this address is a member, a reset link is on its way"), 202)


async def reset_password(request: web.Request) -> web.Response:
    body = await parse_body(request, CompleteReset)
    signed = await upstreams(request).accounts.ResetPassword(
        accounts_pb2.ResetPasswordRequest(token=body.token, password=body.password, client=_client(request))
    )
    return _signed_in(request, signed.signed_in)


async def accept_invitation(request: web.Request) -> web.Response:
    body = await parse_body(request, AcceptInvitation)
    signed = await upstreams(request).accounts.AcceptInvitation(
        accounts_pb2.AcceptInvitationRequest(token=body.token, password=body.password, client=_client(request))
    )
    return _signed_in(request, signed.signed_in)


async def create_invitation(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, Invite)
    created = await upstreams(request).accounts.CreateInvitation(
        accounts_pb2.CreateInvitationRequest(
            workspace_id=principal.workspace_id, actor=principal.actor(), email=body.email, role=body.role
        )
    )
    i = created.invitation
    return reply(
        InvitationOut(
            id=i.id,
            email=i.email,
            role=i.role,
            created_at=views.iso(i.created_at),  # type: ignore[arg-type]
            expires_at=views.iso(i.expires_at),
        ),
        201,
    )


async def me(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    return reply(
        Me(
            workspace_id=principal.workspace_id,
            member_id=principal.member_id,
            role=principal.role.word,  # type: ignore[arg-type]
            via="session" if principal.session_id else "token",
            session_id=principal.session_id or None,
        )
    )


async def sign_out(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    await parse_body(request, Empty)
    if not principal.session_id:
        raise FailedPrecondition(
            "this request was not made with a session; revoke an API token instead", code="not_a_session"
        )
    await upstreams(request).accounts.RevokeSession(
        accounts_pb2.RevokeSessionRequest(
            workspace_id=principal.workspace_id, actor=principal.actor(), session_id=principal.session_id
        )
    )
    response = reply(SignedOut(signed_out=True))
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.del_cookie(name, path="/")
    return response


async def list_sessions(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    listed = await upstreams(request).accounts.ListSessions(
        accounts_pb2.ListSessionsRequest(workspace_id=principal.workspace_id, member_id=principal.member_id)
    )
    return reply(SessionList(sessions=[_session(s, principal.session_id) for s in listed.sessions]))


async def revoke_session(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    revoked = await upstreams(request).accounts.RevokeSession(
        accounts_pb2.RevokeSessionRequest(
            workspace_id=principal.workspace_id, actor=principal.actor(), session_id=request.match_info["session_id"]
        )
    )
    return reply(_session(revoked.session, principal.session_id))


async def revoke_member_sessions(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    revoked = await upstreams(request).accounts.RevokeMemberSessions(
        accounts_pb2.RevokeMemberSessionsRequest(
            workspace_id=principal.workspace_id, actor=principal.actor(), member_id=request.match_info["member_id"]
        )
    )
    request.app[PRINCIPALS].clear()
    return reply(RevokedSessions(revoked=revoked.revoked))


def _public(
    method: str,
    path: str,
    handler: Callable[[web.Request], Awaitable[web.Response]],
    summary: str,
    response: type[BaseModel],
    body: type[BaseModel],
    status: int = 200,
    errors: tuple[int, ...] = (400, 401, 429),
) -> Route:
    return Route(
        method, path, handler, summary, response, status=status, body=body, auth=False, errors=errors, tag="sign-in"
    )


SIGN_IN_ROUTES: tuple[Route, ...] = (
    _public(
        "POST",
        "/api/v1/sign-in",
        sign_in,
        "Sign in to the web UI with an email and a password: sets the session cookies. Five failures in 15 "
        "minutes for an address, or from a client address, answer 429 with Retry-After.",
        SignedInOut,
        SignIn,
    ),
    _public(
        "POST",
        "/api/v1/sign-in/link",
        send_sign_in_link,
        "Email a one-time sign-in link (one per workspace of the address). The answer is the same whether or "
        "not the address is a member.",
        EmailRequested,
        EmailOnly,
        status=202,
        errors=(400, 409, 429, 503),
    ),
    _public(
        "POST",
        "/api/v1/sign-in/link/redeem",
        sign_in_with_link,
        "Sign in with the token of an emailed link (it works once, and expires): sets the session cookies.",
        SignedInOut,
        RedeemLink,
        errors=(400, 401),
    ),
    _public(
        "POST",
        "/api/v1/password-reset",
        send_password_reset,
        "Email a one-time link to choose a new password. The answer is the same whether or not the address is "
        "a member.",
        EmailRequested,
        EmailOnly,
        status=202,
        errors=(400, 409, 429, 503),
    ),
    _public(
        "POST",
        "/api/v1/password-reset/complete",
        reset_password,
        "Set a new password with the token of an emailed reset link; every session of the member is revoked "
        "and a new one opened (cookies set).",
        SignedInOut,
        CompleteReset,
        errors=(400, 401),
    ),
    _public(
        "POST",
        "/api/v1/invitations/accept",
        accept_invitation,
        "Accept an emailed invitation: become a member with the invited role, optionally with a password; "
        "signs in (cookies set).",
        SignedInOut,
        AcceptInvitation,
        errors=(400, 401),
    ),
    Route(
        "POST",
        "/api/v1/invitations",
        create_invitation,
        "Invite a member by email with a role; the invitation, a one-time link, goes through the system SMTP "
        "server (409 mail_not_configured without one).",
        InvitationOut,
        status=201,
        body=Invite,
        errors=(400, 401, 403, 409, 503),
        tag="team",
        role=Role.ADMIN,
    ),
    Route(
        "GET",
        "/api/v1/me",
        me,
        "Who this request is made as: member, workspace, role, and how (session or token).",
        Me,
        errors=(401,),
        tag="sign-in",
        role=Role.VIEWER,
    ),
    Route(
        "POST",
        "/api/v1/sign-out",
        sign_out,
        "Sign out: revoke this request's session and clear its cookies (409 not_a_session with a bearer token).",
        SignedOut,
        body=Empty,
        errors=(400, 401, 409),
        tag="sign-in",
        role=Role.VIEWER,
    ),
    Route(
        "GET",
        "/api/v1/sessions",
        list_sessions,
        "The caller's open sessions, newest first.",
        SessionList,
        errors=(401,),
        tag="sign-in",
        role=Role.VIEWER,
    ),
    Route(
        "DELETE",
        "/api/v1/sessions/{session_id}",
        revoke_session,
        "Revoke a session: one's own, or (admin, owner) any member's of the workspace. It stops working at once.",
        SessionOut,
        errors=(401, 403, 404),
        tag="sign-in",
        role=Role.VIEWER,
    ),
    Route(
        "DELETE",
        "/api/v1/members/{member_id}/sessions",
        revoke_member_sessions,
        "Revoke every open session of a member (signed out everywhere); answers how many.",
        RevokedSessions,
        errors=(401, 403, 404),
        tag="team",
        role=Role.ADMIN,
    ),
)
