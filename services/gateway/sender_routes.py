"""HTTP handlers of the senders: LinkedIn accounts and email inboxes, with their sending limits. Passwords
are accepted on creation and never returned. `SENDER_ROUTES` joins the gateway's route table."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel

from holdfast.accounts.v1 import accounts_pb2
from holdfast.common.v1 import types_pb2
from services.common.errors import DomainError, FailedPrecondition, InvalidArgument
from services.common.proto_enums import from_word
from services.gateway import sender_models as sm
from services.gateway import sender_views as views
from services.gateway.api import SETTINGS, Empty, Route, authenticate, parse_body, reply, upstreams
from services.gateway.inbox_oauth_routes import INBOX_OAUTH_ROUTES

T = TypeVar("T")
_INDEXED = re.compile(r"\blimits\.(\d+)\.")


def _limits(given: BaseModel | None) -> tuple[list[types_pb2.SendingLimit], list[str]]:
    """The action types given in a limits map, as the gRPC list, and the action type at each index."""
    if given is None:
        return [], []
    actions = [name for name in type(given).model_fields if getattr(given, name) is not None]
    return [
        types_pb2.SendingLimit(
            action_type=from_word(types_pb2.ActionType, action), **getattr(given, action).model_dump()
        )
        for action in actions
    ], actions


async def _naming_limits(call: Awaitable[T], actions: list[str], prefix: str) -> T:
    """The accounts service names a limit by its index in the list ("limits.0.weekly_cap"); the HTTP API
    names it by its key in the map ("limits.linkedin_invite.weekly_cap")."""
    try:
        return await call
    except InvalidArgument as exc:

        def rename(text: str) -> str:
            return _INDEXED.sub(lambda m: f"{prefix}{actions[int(m[1])]}." if int(m[1]) < len(actions) else m[0], text)

        details = dict(exc.details)
        if isinstance(details.get("field"), str):
            details["field"] = rename(details["field"])
        if isinstance(details.get("errors"), list):
            details["errors"] = [
                {k: rename(v) if isinstance(v, str) else v for k, v in e.items()} if isinstance(e, dict) else e
                for e in details["errors"]
            ]
        raise InvalidArgument(rename(exc.message), code=exc.code, details=details) from None


def _at_least_one(actions: list[str]) -> None:
    if not actions:
        raise InvalidArgument("body: give the limits of at least one action type", field="body")


# LinkedIn accounts


async def create_linkedin_account(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, sm.CreateLinkedInAccount)
    limits, actions = _limits(body.limits)
    created = await _unprocessable_account(_naming_limits(
        upstreams(request).accounts.CreateLinkedInAccount(
            accounts_pb2.CreateLinkedInAccountRequest(
                workspace_id=principal.workspace_id,
                unipile_account_id=body.unipile_account_id,
                name=body.name,
                timezone=body.timezone,
                limits=limits,
            )
        ),
        actions,
        "limits.",
    ))
    return reply(views.linkedin_account(created.account), 201)


async def list_linkedin_accounts(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    listed = await upstreams(request).accounts.ListLinkedInAccounts(
        accounts_pb2.ListLinkedInAccountsRequest(workspace_id=principal.workspace_id)
    )
    return reply(sm.LinkedInAccountList(linkedin_accounts=[views.linkedin_account(a) for a in listed.accounts]))


async def get_linkedin_account(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    got = await upstreams(request).accounts.GetLinkedInAccount(
        accounts_pb2.GetLinkedInAccountRequest(
            workspace_id=principal.workspace_id, account_id=request.match_info["account_id"]
        )
    )
    return reply(views.linkedin_account(got.account))


def _update_limits(model: type[BaseModel], kind: int, id_key: str,
                   view: Callable[[Any], BaseModel]) -> Callable[[web.Request], Awaitable[web.Response]]:
    """PUT …/limits of one kind of sender: partial (only the action types given), fields named on error."""

    async def handler(request: web.Request) -> web.Response:
        principal = await authenticate(request)
        limits, actions = _limits(await parse_body(request, model))
        _at_least_one(actions)
        updated = await _naming_limits(
            upstreams(request).accounts.UpdateSendingLimits(accounts_pb2.UpdateSendingLimitsRequest(
                workspace_id=principal.workspace_id, sender_kind=kind, sender_id=request.match_info[id_key],
                limits=limits)),
            actions,
            "",
        )
        return reply(view(updated.limits))

    handler.__name__ = f"update_{id_key.removesuffix('_id')}_limits"  # the OpenAPI operationId
    return handler


update_linkedin_account_limits = _update_limits(sm.LinkedInLimitsUpdate, types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT,
                                                "account_id", views.linkedin_limits)


# LinkedIn account health (DESIGN A1-A3)


async def reconnect_linkedin_account(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    await parse_body(request, Empty)
    link = await upstreams(request).accounts.CreateReconnectLink(
        accounts_pb2.CreateReconnectLinkRequest(
            workspace_id=principal.workspace_id, account_id=request.match_info["account_id"]
        )
    )
    return reply(sm.ReconnectLinkOut(url=link.url, expires_at=views.iso(link.expires_at)))


async def connect_linkedin_account(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, sm.CreateConnectLink)
    link = await upstreams(request).accounts.CreateConnectLink(
        accounts_pb2.CreateConnectLinkRequest(workspace_id=principal.workspace_id, name=body.name,
                                              timezone=body.timezone)
    )
    return reply(sm.ConnectLinkOut(url=link.url, expires_at=views.iso(link.expires_at)), 201)


async def record_linkedin_restriction(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, sm.RecordRestriction)
    recorded = await upstreams(request).accounts.RecordRestriction(
        accounts_pb2.RecordRestrictionRequest(
            workspace_id=principal.workspace_id,
            account_id=request.match_info["account_id"],
            kind=body.kind,
            detail=body.detail,
            actor=principal.actor(),
        )
    )
    return reply(views.linkedin_account(recorded.account))


async def verify_linkedin_account(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    await parse_body(request, Empty)
    verified = await upstreams(request).accounts.VerifyLinkedInAccount(
        accounts_pb2.VerifyLinkedInAccountRequest(
            workspace_id=principal.workspace_id, account_id=request.match_info["account_id"], actor=principal.actor()
        )
    )
    return reply(views.linkedin_account(verified.account))


# Email inboxes


def _server(server: sm.ServerIn) -> accounts_pb2.ServerSettings:
    return accounts_pb2.ServerSettings(
        host=server.host, port=server.port, security=server.security, username=server.username, password=server.password
    )


async def create_inbox(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, sm.CreateInbox)
    limits, actions = _limits(body.limits)
    try:
        created = await _create_inbox(request, principal, body, limits, actions)
    except FailedPrecondition as exc:
        if exc.code == "login_failed":
            raise LoginFailed(exc.message, details=exc.details) from None
        raise
    return reply(views.inbox(created.inbox), 201)


async def _create_inbox(request: web.Request, principal: Any, body: sm.CreateInbox, limits: Any,
                        actions: Any) -> accounts_pb2.CreateInboxResponse:
    return await _naming_limits(
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


update_inbox_limits = _update_limits(sm.InboxLimitsUpdate, types_pb2.SENDER_KIND_INBOX, "inbox_id",
                                     views.inbox_limits)


# Beyond the login budget: accounts' own work around the logins (decrypting, saving, publishing the change).
LIVE_LOGIN_MARGIN_S = 5.0


def live_login_deadline(request: web.Request) -> float:
    """The deadline of a call that logs in to an inbox's servers before it answers (SMTP and IMAP at once, each
    within HOLDFAST_INBOX_LOGIN_TIMEOUT_SECONDS): a slow refusal is answered as the 422 it is, never a 504."""
    return request.app[SETTINGS].inbox_login_timeout_seconds + LIVE_LOGIN_MARGIN_S


class UnipileAccountRefused(DomainError):
    """The Unipile account id names no LinkedIn account Unipile knows (issue 13); nothing was written."""

    code = "unipile_account_refused"
    http_status = 422


async def _unprocessable_account(call: Awaitable[T]) -> T:
    try:
        return await call
    except FailedPrecondition as exc:
        if exc.code in ("unipile_account_unknown", "not_a_linkedin_account"):
            raise UnipileAccountRefused(exc.message, code=exc.code, details=exc.details) from None
        raise


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
            message, timeout=live_login_deadline(request))
    except FailedPrecondition as exc:
        if exc.code == "login_failed":
            raise LoginFailed(exc.message, details=exc.details) from None
        raise
    return reply(views.inbox(updated.inbox))


async def check_inbox(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    await parse_body(request, Empty)
    checked = await upstreams(request).accounts.CheckInbox(
        accounts_pb2.CheckInboxRequest(workspace_id=principal.workspace_id, inbox_id=request.match_info["inbox_id"],
                                       actor=principal.actor()),
        timeout=live_login_deadline(request))
    return reply(views.inbox(checked.inbox))


ACCOUNT = "/api/v1/linkedin-accounts/{account_id}"


INBOX = "/api/v1/inboxes/{inbox_id}"
SENDER_ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/linkedin-accounts",
        create_linkedin_account,
        "Add a LinkedIn account connected through Unipile; limits left out get the defaults. The account is read "
        "from Unipile first: an id Unipile does not know, or not a LinkedIn account, is refused (422) and nothing "
        "is written; its health starts from what Unipile reports.",
        sm.LinkedInAccountOut,
        status=201,
        body=sm.CreateLinkedInAccount,
        errors=(400, 401, 409, 422, 503),
        tag="senders",
    ),
    Route(
        "POST",
        "/api/v1/linkedin-connect-links",
        connect_linkedin_account,
        "A Unipile hosted-auth link that connects a new LinkedIn account (a new one on every call; it expires in "
        "24 hours, or at Unipile's daily restart). Once the user has signed in, Unipile notifies Holdfast and the "
        "account is added to this workspace, read from Unipile first: nobody copies a Unipile id by hand.",
        sm.ConnectLinkOut,
        status=201,
        body=sm.CreateConnectLink,
        errors=(400, 401, 409, 503),
        tag="senders",
    ),
    Route(
        "GET",
        "/api/v1/linkedin-accounts",
        list_linkedin_accounts,
        "List this workspace's LinkedIn accounts, oldest first, each with its status, since when and why, and "
        "its health history.",
        sm.LinkedInAccountList,
        errors=(401,),
        tag="senders",
    ),
    Route(
        "GET",
        ACCOUNT,
        get_linkedin_account,
        "One LinkedIn account with its status (since when and why), health history and limits.",
        sm.LinkedInAccountOut,
        errors=(401, 404),
        tag="senders",
    ),
    Route(
        "PUT",
        f"{ACCOUNT}/limits",
        update_linkedin_account_limits,
        "Replace the limits of the action types given; the others are kept.",
        sm.LinkedInLimitsOut,
        body=sm.LinkedInLimitsUpdate,
        errors=(400, 401, 404),
        tag="senders",
    ),
    Route(
        "POST",
        f"{ACCOUNT}/reconnect",
        reconnect_linkedin_account,
        "A fresh Unipile hosted-auth link that reconnects the account (a new one on every call; it expires in "
        "24 hours).",
        sm.ReconnectLinkOut,
        body=Empty,
        errors=(400, 401, 404, 409, 503),
        tag="senders",
    ),
    Route(
        "POST",
        f"{ACCOUNT}/restriction",
        record_linkedin_restriction,
        "Record a LinkedIn restriction (warning, jail or partial): the account sends nothing until it is verified "
        "after the restriction lifts.",
        sm.LinkedInAccountOut,
        body=sm.RecordRestriction,
        errors=(400, 401, 404),
        tag="senders",
    ),
    Route(
        "POST",
        f"{ACCOUNT}/verify",
        verify_linkedin_account,
        "Mark a restricted account verified once the restriction has lifted; refused (409 still_restricted) "
        "unless Unipile reports the account OK now.",
        sm.LinkedInAccountOut,
        body=Empty,
        errors=(400, 401, 404, 409, 503),
        tag="senders",
    ),
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
    *INBOX_OAUTH_ROUTES,
)
