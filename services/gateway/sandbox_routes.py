"""Sandbox-only controls: when HOLDFAST_SANDBOX_UNIPILE_URL names the local Unipile sandbox, these routes let a
member make one of their workspace's LinkedIn accounts disconnect, reconnect or fail its sends, so anyone can
watch auto-pause and auto-resume. Without the setting they answer 404 sandbox_disabled. `SANDBOX_ROUTES` joins
the gateway's route table."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from pydantic import Field

from holdfast.accounts.v1 import accounts_pb2
from services.common.errors import DomainError, Unavailable
from services.gateway import models
from services.gateway.api import SETTINGS, Empty, Route, authenticate, parse_body, reply, upstreams


class SandboxDisabled(DomainError):
    code = "sandbox_disabled"
    http_status = 404


class SandboxInfo(models.Response):
    enabled: bool


class FailSends(models.Request):
    count: models.Integer = Field(default=10, ge=1, le=1000)


class SandboxDone(models.Response):
    account_id: str
    unipile_account_id: str
    action: str


def _base(request: web.Request) -> str:
    url = request.app[SETTINGS].sandbox_unipile_url
    if not url:
        raise SandboxDisabled("the sandbox controls are off (HOLDFAST_SANDBOX_UNIPILE_URL is not set)")
    return url.rstrip("/")


async def _unipile_account(request: web.Request) -> tuple[str, str]:
    """The sandbox's base URL and the Unipile id of one of the caller's accounts (another workspace's: 404)."""
    principal = await authenticate(request)
    base = _base(request)
    got = await upstreams(request).accounts.GetLinkedInAccount(
        accounts_pb2.GetLinkedInAccountRequest(
            workspace_id=principal.workspace_id, account_id=request.match_info["account_id"]
        )
    )
    return base, got.account.unipile_account_id


async def _control(url: str, body: dict) -> None:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            async with http.post(url, json=body) as response:
                if response.status >= 300:
                    text = (await response.text())[:200]
                    raise Unavailable(f"the sandbox answered {response.status}: {text}")
    except aiohttp.ClientError as exc:
        raise Unavailable(f"the sandbox could not be reached: {exc}") from None


async def sandbox_info(request: web.Request) -> web.Response:
    await authenticate(request)
    return reply(SandboxInfo(enabled=bool(request.app[SETTINGS].sandbox_unipile_url)))


def _set_status(status: str, action: str):
    async def handler(request: web.Request) -> web.Response:
        base, unipile_id = await _unipile_account(request)
        await parse_body(request, Empty)
        await _control(f"{base}/_sandbox/accounts/{unipile_id}/status", {"status": status})
        return reply(
            SandboxDone(account_id=request.match_info["account_id"], unipile_account_id=unipile_id, action=action)
        )

    return handler


disconnect = _set_status("CREDENTIALS", "disconnect")
reconnect = _set_status("OK", "reconnect")


async def fail_sends(request: web.Request) -> web.Response:
    base, unipile_id = await _unipile_account(request)
    body = await parse_body(request, FailSends)
    # This account's invitations only: another workspace's sends are not this member's to break.
    await _control(
        f"{base}/_sandbox/failures",
        {
            "endpoint": "send_invite",
            "account_id": unipile_id,
            "status": 422,
            "type": "errors/invalid_recipient",
            "count": body.count,
        },
    )
    return reply(
        SandboxDone(account_id=request.match_info["account_id"], unipile_account_id=unipile_id, action="fail-sends")
    )


SANDBOX_ACCOUNT = "/api/v1/sandbox/linkedin-accounts/{account_id}"
SANDBOX_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/sandbox",
        sandbox_info,
        "Whether the local sandbox controls are on (HOLDFAST_SANDBOX_UNIPILE_URL set).",
        SandboxInfo,
        errors=(401,),
        tag="sandbox",
    ),
    Route(
        "POST",
        f"{SANDBOX_ACCOUNT}/disconnect",
        disconnect,
        "Sandbox only: the sandbox Unipile reports the account's session ended (CREDENTIALS), so its campaigns "
        "auto-pause. 404 sandbox_disabled outside the sandbox.",
        SandboxDone,
        body=Empty,
        errors=(400, 401, 404, 503),
        tag="sandbox",
    ),
    Route(
        "POST",
        f"{SANDBOX_ACCOUNT}/reconnect",
        reconnect,
        "Sandbox only: the sandbox Unipile reports the account OK again, so its campaigns auto-resume.",
        SandboxDone,
        body=Empty,
        errors=(400, 401, 404, 503),
        tag="sandbox",
    ),
    Route(
        "POST",
        f"{SANDBOX_ACCOUNT}/fail-sends",
        fail_sends,
        "Sandbox only: the next `count` invitations of this account (default 10) fail with 422 "
        "errors/invalid_recipient; other accounts are untouched.",
        SandboxDone,
        body=FailSends,
        errors=(400, 401, 404, 503),
        tag="sandbox",
    ),
)
