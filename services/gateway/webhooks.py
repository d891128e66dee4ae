"""Webhooks from third parties. They answer fast (Unipile waits 30 s, then retries five times) and are
authenticated by a shared secret compared in constant time; a webhook is a trigger, never trusted as data
beyond naming what to look at."""

from __future__ import annotations

import hmac
import json

import structlog
from aiohttp import web

from holdfast.scheduler.v1 import scheduler_pb2
from services.common.errors import InvalidArgument, Unauthenticated, Unavailable
from services.gateway import models
from services.gateway.api import SETTINGS, Route, reply, upstreams

log = structlog.get_logger(__name__)


class WebhookAck(models.Response):
    received: str
    prospects_advanced: int | None = None


def _check_secret(request: web.Request) -> None:
    settings = request.app[SETTINGS]
    if not settings.unipile_webhook_secret:
        raise Unavailable("Unipile webhooks are not configured (HOLDFAST_UNIPILE_WEBHOOK_SECRET)",
                          code="webhooks_not_configured")
    given = request.headers.get(settings.unipile_webhook_header, "")
    if not hmac.compare_digest(given.encode(), settings.unipile_webhook_secret.encode()):
        raise Unauthenticated("missing or wrong webhook secret")


async def unipile_webhook(request: web.Request) -> web.Response:
    _check_secret(request)
    try:
        payload = json.loads(await request.read())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidArgument("the body is not valid JSON", code="malformed_json", field="body") from None
    if not isinstance(payload, dict):
        raise InvalidArgument("the body must be a JSON object", code="malformed_json", field="body")
    if payload.get("event") == "new_relation":
        account_id, provider_id = payload.get("account_id"), payload.get("user_provider_id")
        if not isinstance(account_id, str) or not isinstance(provider_id, str) or not account_id or not provider_id:
            raise InvalidArgument("new_relation needs account_id and user_provider_id", field="user_provider_id")
        answer = await upstreams(request).scheduler.RecordInviteAccepted(scheduler_pb2.RecordInviteAcceptedRequest(
            unipile_account_id=account_id, provider_id=provider_id,
            public_identifier=str(payload.get("user_public_identifier") or "")))
        return reply(WebhookAck(received="new_relation", prospects_advanced=answer.prospects_advanced))
    if "AccountStatus" in payload:
        # Account health arrives with its own issue; until then the status is only logged.
        log.warning("account status webhook not acted on yet", status=payload["AccountStatus"].get("message")
                    if isinstance(payload["AccountStatus"], dict) else None)
        return reply(WebhookAck(received="account_status"))
    return reply(WebhookAck(received="ignored"))


WEBHOOK_ROUTES: tuple[Route, ...] = (
    Route("POST", "/webhooks/unipile", unipile_webhook,
          "Unipile webhooks (users/new_relation: an invitation was accepted). Authenticated by a shared secret "
          "header.", WebhookAck, auth=False, errors=(400, 401, 503), tag="webhooks"),
)
