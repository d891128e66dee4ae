"""HTTP handlers of email inboxes: add one (both logins checked live first), list, read, reconnect with new
credentials, check now, and its sending limits. Passwords are accepted and never returned. `INBOX_ROUTES` joins
the gateway's route table through `SENDER_ROUTES`, as the inboxes' OAuth flow (`inbox_oauth_routes.py`) does."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from holdfast.accounts.v1 import accounts_pb2
from holdfast.common.v1 import types_pb2
from services.common.errors import DomainError, FailedPrecondition, InvalidArgument
from services.gateway import sender_models as sm
from services.gateway import sender_views as views
from services.gateway.api import SETTINGS, Empty, Route, authenticate, parse_body, reply, upstreams
from services.gateway.sender_limits import naming_limits, sending_limits, update_limits


def _server(server: sm.ServerIn) -> accounts_pb2.ServerSettings:
    return accounts_pb2.ServerSettings(
        host=server.host, port=server.port, security=server.security, username=server.username, password=server.password
    )


async def create_inbox(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, sm.CreateInbox)
    limits, actions = sending_limits(body.limits)
    try:
        created = await _create_inbox(request, principal, body, limits, actions)
    except FailedPrecondition as exc:
        if exc.code == "login_failed":
            raise LoginFailed(exc.message, details=exc.details) from None
        raise
    return reply(views.inbox(created.inbox), 201)


async def _create_inbox(
    request: web.Request, principal: Any, body: sm.CreateInbox, limits: Any, actions: Any
) -> accounts_pb2.CreateInboxResponse:
    return await naming_limits(
        upstreams(request).accounts.CreateInbox(
            accounts_pb2.CreateInboxRequest(
                workspace_id=principal.workspace_id,
                email=body.email,
                display_name=body.display_name,
                timezone=body.timezone,
                auth_kind=accounts_pb2.INBOX_AUTH_KIND_PASSWORD,
                smtp=_server(body.smtp),
                imap=_server(body.imap),
                limits=limits,
            ),
            timeout=live_login_deadline(request),
        ),
        actions,
        "limits.",
    )


async def list_inboxes(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    listed = await upstreams(request).accounts.ListInboxes(
        accounts_pb2.ListInboxesRequest(workspace_id=principal.workspace_id)
    )
    return reply(sm.InboxList(inboxes=[views.inbox(i) for i in listed.inboxes]))


async def get_inbox(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    got = await upstreams(request).accounts.GetInbox(
        accounts_pb2.GetInboxRequest(workspace_id=principal.workspace_id, inbox_id=request.match_info["inbox_id"])
    )
    return reply(views.inbox(got.inbox))


update_inbox_limits = update_limits(sm.InboxLimitsUpdate, types_pb2.SENDER_KIND_INBOX, "inbox_id", views.inbox_limits)


# Beyond the login budget: accounts' own work around the logins (decrypting, saving, publishing the change).
LIVE_LOGIN_MARGIN_S = 5.0


def live_login_deadline(request: web.Request) -> float:
    """The deadline of a call that logs in to an inbox's servers before it answers (SMTP and IMAP at once, each
    within HOLDFAST_INBOX_LOGIN_TIMEOUT_SECONDS): a slow refusal is answered as the 422 it is, never a 504."""
    return request.app[SETTINGS].inbox_login_timeout_seconds + LIVE_LOGIN_MARGIN_S


class LoginFailed(DomainError):
    """New inbox credentials did not log in; `details.failed` names the servers. Nothing was changed."""

    code = "login_failed"
    http_status = 422


def _credentials(server: sm.ServerCredentialsIn | None, app_password: str | None) -> accounts_pb2.ServerSettings:
    given = server or sm.ServerCredentialsIn()
    return accounts_pb2.ServerSettings(
        host=given.host or "",
        port=given.port or 0,
        security=given.security or "",
        username=given.username or "",
        password=app_password or given.password or "",
    )


async def update_inbox_credentials(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, sm.UpdateInboxCredentials)
    if body.app_password is not None:
        if not body.app_password:
            raise InvalidArgument("app_password must not be empty", field="app_password")
        for name in ("smtp", "imap"):
            given = getattr(body, name)
            if given is not None and given.password is not None:
                raise InvalidArgument(
                    f"give either app_password or {name}.password, not both", field=f"{name}.password"
                )
    elif body.smtp is None and body.imap is None:
        raise InvalidArgument("body: give smtp, imap or app_password", field="body")
    with_app = body.app_password
    send_smtp = body.smtp is not None or with_app is not None
    send_imap = body.imap is not None or with_app is not None
    message = accounts_pb2.UpdateInboxCredentialsRequest(
        workspace_id=principal.workspace_id, inbox_id=request.match_info["inbox_id"], actor=principal.actor()
    )
    if send_smtp:
        message.smtp.CopyFrom(_credentials(body.smtp, with_app))
    if send_imap:
        message.imap.CopyFrom(_credentials(body.imap, with_app))
    try:
        updated = await upstreams(request).accounts.UpdateInboxCredentials(
            message, timeout=live_login_deadline(request)
        )
    except FailedPrecondition as exc:
        if exc.code == "login_failed":
            raise LoginFailed(exc.message, details=exc.details) from None
        raise
    return reply(views.inbox(updated.inbox))


async def check_inbox(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    await parse_body(request, Empty)
    checked = await upstreams(request).accounts.CheckInbox(
        accounts_pb2.CheckInboxRequest(
            workspace_id=principal.workspace_id, inbox_id=request.match_info["inbox_id"], actor=principal.actor()
        ),
        timeout=live_login_deadline(request),
    )
    return reply(views.inbox(checked.inbox))


INBOX = "/api/v1/inboxes/{inbox_id}"
INBOX_ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/inboxes",
        create_inbox,
        "Add an email inbox by SMTP and IMAP login. Both logins are checked live first, as at a reconnect: if one "
        "fails the answer is 422 login_failed naming smtp and/or imap (details.reasons: refused, unreachable, "
        "tls_certificate, plaintext_refused) and nothing is saved. Passwords are stored encrypted, never returned.",
        sm.InboxOut,
        status=201,
        body=sm.CreateInbox,
        errors=(400, 401, 409, 422),
        tag="senders",
    ),
    Route(
        "GET",
        "/api/v1/inboxes",
        list_inboxes,
        "List this workspace's inboxes, oldest first.",
        sm.InboxList,
        errors=(401,),
        tag="senders",
    ),
    Route(
        "GET",
        INBOX,
        get_inbox,
        "One inbox with its status and limits (no password).",
        sm.InboxOut,
        errors=(401, 404),
        tag="senders",
    ),
    Route(
        "PUT",
        f"{INBOX}/credentials",
        update_inbox_credentials,
        "Reconnect an inbox with new SMTP and IMAP credentials (or one app_password for both). Both logins are "
        "checked live first: if one fails the answer is 422 login_failed with `details.failed` naming smtp and/or "
        "imap, and nothing changes. Else the passwords are stored encrypted and a disconnected inbox is connected "
        "again (its campaigns resume by themselves). Passwords are never returned.",
        sm.InboxOut,
        body=sm.UpdateInboxCredentials,
        errors=(400, 401, 404, 409, 422),
        tag="senders",
    ),
    Route(
        "POST",
        f"{INBOX}/check",
        check_inbox,
        "Check now: log in to the inbox's SMTP and IMAP servers at once with the stored credentials (a disconnected "
        "inbox is otherwise probed with back-off, and never again with a refused password that has not changed). "
        "Answers the inbox with its status after the check.",
        sm.InboxOut,
        body=Empty,
        errors=(400, 401, 404),
        tag="senders",
    ),
    Route(
        "PUT",
        f"{INBOX}/limits",
        update_inbox_limits,
        "Replace the email limits of the inbox.",
        sm.InboxLimitsOut,
        body=sm.InboxLimitsUpdate,
        errors=(400, 401, 404),
        tag="senders",
    ),
)
