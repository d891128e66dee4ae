"""The gateway's aiohttp application: the HTTP API under /api/v1, its OpenAPI document, and the web UI at /."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import structlog
from aiohttp import web

from services.common import request_ids
from services.common.errors import DomainError
from services.common.metrics import HTTP_LATENCY, HTTP_REQUESTS, Labelled
from services.common.roles import CALLER_ROLE
from services.common.unsubscribe import UnsubscribeTokens
from services.gateway import audit, openapi
from services.gateway.api import (
    CAMPAIGN_READS,
    OPENAPI,
    PRINCIPALS,
    ROUTE_ROLE,
    SETTINGS,
    UPSTREAMS,
    PrincipalCache,
    Route,
)
from services.gateway.campaign_reads import CampaignReads
from services.gateway.config import Settings
from services.gateway.routes import ROUTES
from services.gateway.unsubscribe_routes import TOKENS as UNSUBSCRIBE_TOKENS
from services.gateway.upstreams import Upstreams

log = structlog.get_logger(__name__)
# The standard logger structlog hands lines to (its level decides whether a debug line is written at all).
_stdlog = logging.getLogger(__name__)
_requests, _latency = Labelled(HTTP_REQUESTS), Labelled(HTTP_LATENCY)
REQUEST_ID_HEADER = "X-Request-Id"
UI_DIR = Path(__file__).parent / "ui"
SLOW_REQUEST_SECONDS = 1.0


def error_response(
    status: int, code: str, message: str, details: dict | None = None, request_id: str | None = None
) -> web.Response:
    response = web.json_response({"error": {"code": code, "message": message, "details": details or {}}}, status=status)
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type"}


@web.middleware
async def errors_and_context(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    """Every answer carries a request id; every failure has the {"error": {...}} shape."""
    request_id = request_ids.accept(request.headers.get(REQUEST_ID_HEADER))
    structlog.contextvars.bind_contextvars(request_id=request_id, http=f"{request.method} {request.path}")
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers[REQUEST_ID_HEADER] = request_id
        return response
    except DomainError as exc:
        status = exc.http_status
        response = error_response(status, exc.code, exc.message, exc.details, request_id)
        retry_after = exc.details.get("retry_after_seconds")
        if status == 429 and isinstance(retry_after, int | float):  # a rate limit says when to try again
            response.headers["Retry-After"] = str(max(1, int(retry_after)))
        return response
    except web.HTTPException as exc:
        status = exc.status
        code = _HTTP_CODES.get(exc.status, "http_error")
        message = "no such route" if exc.status == 404 else exc.reason
        response = error_response(status, code, message, {}, request_id)
        if "Allow" in exc.headers:  # a 405 says which methods the route takes (RFC 9110 §15.5.6)
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except Exception:
        log.exception("request failed")
        return error_response(500, "internal", "internal error", {}, request_id)
    finally:
        elapsed = time.perf_counter() - started
        # The route's pattern, not the path: ids must not explode the label space.
        route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
        _requests(route, str(status)).inc()
        _latency(route).observe(elapsed)
        # A quick successful read (the UI polls every two seconds) is in the metrics above; its line, at info,
        # was an eighth of the gateway's CPU time under load (B5). Writes, failures and slow reads stay at info.
        # A debug line below the level is not even built (structlog would build it, then drop it).
        quiet = request.method in ("GET", "HEAD") and status < 400 and elapsed < SLOW_REQUEST_SECONDS
        if not quiet:
            log.info("http", status=status, ms=round(elapsed * 1000, 2))
        elif _stdlog.isEnabledFor(logging.DEBUG):
            log.debug("http", status=status, ms=round(elapsed * 1000, 2))
        structlog.contextvars.unbind_contextvars("request_id", "http")


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[errors_and_context], client_max_size=settings.max_body_bytes)

    async def connect(app: web.Application) -> AsyncIterator[None]:
        app[UPSTREAMS] = Upstreams.connect(
            {
                "accounts": settings.accounts_target,
                "campaigns": settings.campaigns_target,
                "scheduler": settings.scheduler_target,
            },
            timeout=settings.rpc_timeout_seconds,
        )
        app[CAMPAIGN_READS] = CampaignReads(app[UPSTREAMS].campaigns)
        yield
        await app[UPSTREAMS].close()

    app.cleanup_ctx.append(connect)
    app[SETTINGS] = settings
    app[OPENAPI] = openapi.build()
    app[PRINCIPALS] = PrincipalCache(settings.auth_cache_seconds)
    app[UNSUBSCRIBE_TOKENS] = UnsubscribeTokens(settings.unsubscribe_key)
    for route in ROUTES:
        app.router.add_route(route.method, route.path, _with_role(route))
    # The web UI: static files, no build step (not API routes, so not in ROUTES nor the OpenAPI document).
    app.router.add_get("/", ui_index)
    app.router.add_get("/oauth/return", ui_index)  # Google / Microsoft send the browser back here (the UI finishes)
    app.router.add_get("/linkedin-accounts/{account_id}", ui_account_return)  # a hosted reconnect's way back
    app.router.add_get("/linkedin-accounts", ui_connected_return)  # a hosted connect's way back
    app.router.add_static("/ui/", UI_DIR, append_version=False)
    return app


def _with_role(route: Route) -> web.Handler:
    """The route's handler, told the least role it needs (authenticate() checks it); a change it made is written
    to the audit log (gateway/audit.py)."""
    role, handler = route.required_role, route.handler

    async def handle(request: web.Request) -> web.StreamResponse:
        request[ROUTE_ROLE] = role
        # Requests of one keep-alive connection share a task: no role may outlive its request.
        reset = CALLER_ROLE.set(None)
        try:
            response = await handler(request)
        finally:
            CALLER_ROLE.reset(reset)
        await audit.record(request, route, response)
        return response

    return handle


async def ui_account_return(request: web.Request) -> web.Response:
    """Unipile's hosted reconnect sends the browser back to /linkedin-accounts/{id}: the UI's accounts page."""
    account_id = request.match_info["account_id"]
    known = re.fullmatch(r"[0-9a-fA-F-]{1,64}", account_id)
    where = f"/#/accounts?reconnected={account_id}" if known else "/#/accounts"
    return web.Response(status=302, headers={"Location": where})


async def ui_connected_return(request: web.Request) -> web.Response:
    """Unipile's hosted connect (a new account) sends the browser back to /linkedin-accounts: the accounts page,
    which says the account is being added."""
    return web.Response(status=302, headers={"Location": "/#/accounts?connected=1"})


async def ui_index(request: web.Request) -> web.FileResponse:
    response = web.FileResponse(UI_DIR / "index.html")
    response.headers["Cache-Control"] = "no-cache"
    return response
