"""Unsubscribe links of campaign emails (DESIGN V5, RFC 8058). `GET /u/{token}` shows a page with a button and
changes nothing (mail scanners follow links); `POST /u/{token}` (the page's button, or a mail client's one-click
`List-Unsubscribe=One-Click`) records the opt-out at once, idempotently. No authentication: the token, signed
per (workspace, prospect), is the credential; an invalid or altered one answers 404 and records nothing."""

from __future__ import annotations

import html

import structlog
from aiohttp import web

from holdfast.campaigns.v1 import campaigns_pb2
from services.common.errors import NotFound
from services.common.unsubscribe import UnsubscribeTokens
from services.gateway.api import Route, upstreams

log = structlog.get_logger(__name__)
TOKENS = web.AppKey("unsubscribe_tokens", UnsubscribeTokens)

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}}
button{{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:1px solid #1a1a1a;background:#1a1a1a;
color:#fff;cursor:pointer}}button:focus-visible{{outline:3px solid #f0b400;outline-offset:2px}}</style>
</head><body><main><h1>{title}</h1>{content}</main></body></html>"""


def _read(request: web.Request) -> tuple[str, str]:
    found = request.app[TOKENS].read(request.match_info["token"])
    if found is None:
        log.warning("unsubscribe token refused")  # the token itself is never logged
        raise NotFound("no such unsubscribe link")
    return found


def _page(title: str, content: str) -> web.Response:
    return web.Response(
        text=_PAGE.format(title=html.escape(title), content=content),
        content_type="text/html",
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


async def unsubscribe_page(request: web.Request) -> web.Response:
    """Shows the button; records nothing (a link scanner's GET must not opt anyone out)."""
    _read(request)
    action = html.escape(f"/u/{request.match_info['token']}", quote=True)
    return _page(
        "Unsubscribe",
        "<p>Stop receiving these emails?</p>"
        f'<form method="post" action="{action}"><input type="hidden" name="List-Unsubscribe" '
        'value="One-Click"><button type="submit">Unsubscribe</button></form>',
    )


async def unsubscribe(request: web.Request) -> web.Response:
    # The body (List-Unsubscribe=One-Click, or the page's form) says nothing the token does not; it is read all the
    # same, so an oversized one is refused (413) like on every route.
    await request.read()
    workspace_id, prospect_id = _read(request)
    await upstreams(request).campaigns.RecordOptOut(
        campaigns_pb2.RecordOptOutRequest(
            workspace_id=workspace_id, prospect_id=prospect_id, source="unsubscribe_link"
        ),
        timeout=30,
    )
    return _page("Unsubscribed", "<p>You will not receive these emails any more.</p>")


UNSUBSCRIBE_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/u/{token}",
        unsubscribe_page,
        "An unsubscribe link: a page with a confirm button (changes nothing).",
        None,
        auth=False,
        errors=(404,),
        tag="unsubscribe",
    ),
    Route(
        "POST",
        "/u/{token}",
        unsubscribe,
        "One-click unsubscribe (RFC 8058): records the opt-out at once, idempotently.",
        None,
        auth=False,
        errors=(404,),
        tag="unsubscribe",
    ),
)
