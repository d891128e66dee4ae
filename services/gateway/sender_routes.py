"""HTTP handlers of LinkedIn accounts: add (read from Unipile first), connect and reconnect links, list, read,
restrictions and their verification, and sending limits. `SENDER_ROUTES` joins them, the email inboxes'
(`inbox_routes.py`) and the inboxes' OAuth flow (`inbox_oauth_routes.py`) to the gateway's route table."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from aiohttp import web

from holdfast.accounts.v1 import accounts_pb2
from holdfast.common.v1 import types_pb2
from services.common.errors import DomainError, FailedPrecondition
from services.gateway import sender_models as sm
from services.gateway import sender_views as views
from services.gateway.api import Empty, Route, authenticate, parse_body, reply, upstreams
from services.gateway.inbox_oauth_routes import INBOX_OAUTH_ROUTES
from services.gateway.inbox_routes import INBOX_ROUTES
from services.gateway.sender_limits import naming_limits, sending_limits, update_limits

T = TypeVar("T")


async def create_linkedin_account(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, sm.CreateLinkedInAccount)
    limits, actions = sending_limits(body.limits)
    created = await _unprocessable_account(
        naming_limits(
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
        )
    )
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


update_linkedin_account_limits = update_limits(
    sm.LinkedInLimitsUpdate, types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT, "account_id", views.linkedin_limits
)


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
        accounts_pb2.CreateConnectLinkRequest(
            workspace_id=principal.workspace_id, name=body.name, timezone=body.timezone
        )
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


ACCOUNT = "/api/v1/linkedin-accounts/{account_id}"

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
    *INBOX_ROUTES,
    *INBOX_OAUTH_ROUTES,
)
