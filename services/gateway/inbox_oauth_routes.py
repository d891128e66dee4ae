"""HTTP handlers of the OAuth flow of inboxes (Google, Microsoft): the consent page's URL, and the callback the
provider sends the user back to. They join the gateway's route table through `SENDER_ROUTES`."""

from __future__ import annotations

from aiohttp import web

from holdfast.accounts.v1 import accounts_pb2
from services.common.errors import FailedPrecondition, InvalidArgument
from services.common.proto_enums import from_word
from services.gateway import sender_models as sm
from services.gateway import sender_views as views
from services.gateway.api import Route, authenticate, parse_body, parse_query, reply, upstreams


async def start_inbox_oauth(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, sm.StartInboxOAuth)
    started = await upstreams(request).accounts.StartInboxOAuth(
        accounts_pb2.StartInboxOAuthRequest(
            workspace_id=principal.workspace_id,
            inbox_id=request.match_info["inbox_id"],
            provider=from_word(accounts_pb2.InboxAuthKind, f"{body.provider}_oauth"),
            redirect_uri=body.redirect_uri or "",
        )
    )
    return reply(sm.OAuthStartOut(url=started.url))


async def oauth_callback(request: web.Request) -> web.Response:
    """The provider sends the user back here; the state (single use) names the inbox, so no token is needed."""
    query = parse_query(request, sm.OAuthCallbackQuery)
    if query.error:
        raise InvalidArgument(
            f"the provider did not authorize: {query.error[:64]}",
            code="oauth_denied",
            field="error",
            details={"error": query.error[:64]},
        )
    if not query.state or not query.code:
        raise InvalidArgument("state and code are required", field="state" if not query.state else "code")
    try:
        done = await upstreams(request).accounts.CompleteInboxOAuth(
            accounts_pb2.CompleteInboxOAuthRequest(state=query.state, code=query.code)
        )
    except FailedPrecondition as exc:
        if exc.code in ("oauth_state_invalid", "oauth_refused"):
            raise InvalidArgument(exc.message, code=exc.code, details={**exc.details, "field": "code"}) from None
        raise
    return reply(views.inbox(done.inbox))


INBOX_OAUTH_ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/inboxes/{inbox_id}/oauth/start",
        start_inbox_oauth,
        "Start connecting an inbox with Google or Microsoft OAuth (authorization code with PKCE): answers the URL of "
        "the provider's consent page. The provider then sends the user to redirect_uri (GET /oauth/callback), "
        "which stores the refresh token encrypted and connects the inbox. The request expires after 10 minutes.",
        sm.OAuthStartOut,
        body=sm.StartInboxOAuth,
        errors=(400, 401, 404, 409),
        tag="senders",
    ),
    Route(
        "GET",
        "/oauth/callback",
        oauth_callback,
        "Where Google or Microsoft send the user back (?code&state): the code is exchanged at the provider's token "
        "endpoint, the refresh token stored encrypted, the inbox connected (answers it). An unknown, used or expired "
        "state, a refused code or a declined consent answer 400 and change nothing.",
        sm.InboxOut,
        query=sm.OAuthCallbackQuery,
        auth=False,
        errors=(400, 404, 409, 503),
        tag="oauth",
    ),
)
