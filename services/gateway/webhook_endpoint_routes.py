"""Outbound webhook endpoints over HTTP: create (the signing secret is shown once), list, update, delete, rotate
the secret, list deliveries and replay one. Admin only. Events and signatures: docs/API.md. `ENDPOINT_ROUTES`
joins the gateway's route table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from aiohttp import web
from pydantic import Field

from holdfast.accounts.v1 import accounts_pb2
from services.common.errors import DomainError, FailedPrecondition
from services.common.roles import Role
from services.common.webhook_events import WebhookEventType
from services.gateway import models, views
from services.gateway.api import Empty, Route, authenticate, parse_body, parse_query, reply, upstreams

# What validate_url (accounts) takes, written so a URL valid per the document is valid there too: a host name or
# IPv4 address (no IPv6 literal), an optional port, no credentials, no whitespace or control characters.
URL_PATTERN = r"^https?://[^\s/?#@:\[\]\x00-\x1f\x7f-\x9f]+(:[0-9]{1,5})?([/?#][^\s\x00-\x1f\x7f-\x9f]*)?$"


class UrlRefused(DomainError):
    """The URL's host does not resolve, or resolves to a loopback or private address (SSRF): a live check."""

    http_status = 422


EventType = WebhookEventType


class CreateEndpoint(models.Request):
    url: str = Field(max_length=2000, pattern=URL_PATTERN, examples=["https://hooks.example.com/holdfast"])
    events: list[EventType] = Field(min_length=1, max_length=20, examples=[["campaign.paused", "campaign.resumed"]])


class UpdateEndpoint(models.Request):
    url: str | None = Field(None, max_length=2000, pattern=URL_PATTERN)
    events: list[EventType] | None = Field(None, min_length=1, max_length=20)
    enabled: bool | None = Field(None, description="true re-enables an endpoint disabled by a 410 or failures")


class DeliveryQuery(models.Request):
    limit: int = Field(50, ge=0, le=100)


class EndpointOut(models.Response):
    id: str
    url: str
    events: list[str]
    enabled: bool
    disabled_reason: str
    created_at: str


class EndpointList(models.Response):
    endpoints: list[EndpointOut]


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="whsec_…: the signing secret; shown only once")


class DeliveryOut(models.Response):
    id: str
    event_id: str
    webhook_id: str = Field(description="the webhook-id header of every attempt")
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: str | None
    last_status: int | None
    last_error: str
    delivered_at: str | None
    created_at: str


class DeliveryList(models.Response):
    deliveries: list[DeliveryOut]


def _endpoint(e: accounts_pb2.WebhookEndpoint) -> EndpointOut:
    return EndpointOut(
        id=e.id,
        url=e.url,
        events=list(e.events),
        enabled=e.enabled,
        disabled_reason=e.disabled_reason,
        created_at=views.iso(e.created_at),
    )


def _with_secret(e: accounts_pb2.WebhookEndpoint, secret: str) -> EndpointWithSecret:
    return EndpointWithSecret(**_endpoint(e).model_dump(), secret=secret)


def _delivery(d: accounts_pb2.WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        event_id=d.event_id,
        webhook_id="msg_" + d.event_id.replace("-", ""),
        event_type=d.event_type,
        status=d.status,
        attempts=d.attempts,  # type: ignore[arg-type]
        next_attempt_at=views.iso(d.next_attempt_at) if d.HasField("next_attempt_at") else None,
        last_status=d.last_status or None,
        last_error=d.last_error,
        delivered_at=views.iso(d.delivered_at) if d.HasField("delivered_at") else None,
        created_at=views.iso(d.created_at),
    )


@contextmanager
def _url_refusals() -> Iterator[None]:
    try:
        yield
    except FailedPrecondition as exc:
        if exc.code in ("url_not_public", "url_unresolvable"):
            raise UrlRefused(exc.message, code=exc.code, details=exc.details) from None
        raise


async def create_endpoint(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, CreateEndpoint)
    with _url_refusals():
        created = await upstreams(request).accounts.CreateWebhookEndpoint(
            accounts_pb2.CreateWebhookEndpointRequest(
                workspace_id=principal.workspace_id, url=body.url, events=body.events
            )
        )
    return reply(_with_secret(created.endpoint, created.secret), 201)


async def list_endpoints(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    listed = await upstreams(request).accounts.ListWebhookEndpoints(
        accounts_pb2.ListWebhookEndpointsRequest(workspace_id=principal.workspace_id)
    )
    return reply(EndpointList(endpoints=[_endpoint(e) for e in listed.endpoints]))


async def update_endpoint(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse_body(request, UpdateEndpoint)
    update = accounts_pb2.UpdateWebhookEndpointRequest(
        workspace_id=principal.workspace_id,
        endpoint_id=request.match_info["endpoint_id"],
        events=body.events or [],
        events_set=body.events is not None,
    )
    if body.url is not None:
        update.url = body.url
    if body.enabled is not None:
        update.enabled = body.enabled
    with _url_refusals():
        updated = await upstreams(request).accounts.UpdateWebhookEndpoint(update)
    return reply(_endpoint(updated.endpoint))


async def delete_endpoint(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    deleted = await upstreams(request).accounts.DeleteWebhookEndpoint(
        accounts_pb2.DeleteWebhookEndpointRequest(
            workspace_id=principal.workspace_id, endpoint_id=request.match_info["endpoint_id"]
        )
    )
    return reply(_endpoint(deleted.endpoint))


async def rotate_secret(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    await parse_body(request, Empty)
    rotated = await upstreams(request).accounts.RotateWebhookSecret(
        accounts_pb2.RotateWebhookSecretRequest(
            workspace_id=principal.workspace_id, endpoint_id=request.match_info["endpoint_id"]
        )
    )
    return reply(_with_secret(rotated.endpoint, rotated.secret))


async def list_deliveries(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    query = parse_query(request, DeliveryQuery)
    listed = await upstreams(request).accounts.ListWebhookDeliveries(
        accounts_pb2.ListWebhookDeliveriesRequest(
            workspace_id=principal.workspace_id, endpoint_id=request.match_info["endpoint_id"], limit=query.limit
        )
    )
    return reply(DeliveryList(deliveries=[_delivery(d) for d in listed.deliveries]))


async def replay_delivery(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    await parse_body(request, Empty)
    replayed = await upstreams(request).accounts.ReplayWebhookDelivery(
        accounts_pb2.ReplayWebhookDeliveryRequest(
            workspace_id=principal.workspace_id,
            endpoint_id=request.match_info["endpoint_id"],
            delivery_id=request.match_info["delivery_id"],
        )
    )
    return reply(_delivery(replayed.delivery))


ENDPOINTS = "/api/v1/webhook-endpoints"
ENDPOINT = ENDPOINTS + "/{endpoint_id}"
_ADMIN = {"tag": "webhook-endpoints", "role": Role.ADMIN}
ENDPOINT_ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        ENDPOINTS,
        create_endpoint,
        "Send these events to a URL, signed (Standard Webhooks); answers the secret once. A host that does not "
        "resolve, or resolves to a loopback or private address, is refused 422.",
        EndpointWithSecret,
        status=201,
        body=CreateEndpoint,
        errors=(400, 401, 403, 422),
        **_ADMIN,
    ),
    Route(
        "GET",
        ENDPOINTS,
        list_endpoints,
        "The workspace's webhook endpoints (never their secrets).",
        EndpointList,
        errors=(401, 403),
        **_ADMIN,
    ),
    Route(
        "PATCH",
        ENDPOINT,
        update_endpoint,
        "Change the URL or events, or enable or disable the endpoint.",
        EndpointOut,
        body=UpdateEndpoint,
        errors=(400, 401, 403, 404, 422),
        **_ADMIN,
    ),
    Route(
        "DELETE",
        ENDPOINT,
        delete_endpoint,
        "Delete the endpoint and its pending deliveries.",
        EndpointOut,
        errors=(401, 403, 404),
        **_ADMIN,
    ),
    Route(
        "POST",
        f"{ENDPOINT}/rotate-secret",
        rotate_secret,
        "A new signing secret, shown once; the old one stops signing at once.",
        EndpointWithSecret,
        body=Empty,
        errors=(400, 401, 403, 404),
        **_ADMIN,
    ),
    Route(
        "GET",
        f"{ENDPOINT}/deliveries",
        list_deliveries,
        "The endpoint's deliveries, newest first.",
        DeliveryList,
        query=DeliveryQuery,
        errors=(400, 401, 403, 404),
        **_ADMIN,
    ),
    Route(
        "POST",
        f"{ENDPOINT}/deliveries/{{delivery_id}}/replay",
        replay_delivery,
        "Send a delivery again now, with the same webhook-id.",
        DeliveryOut,
        body=Empty,
        errors=(400, 401, 403, 404),
        **_ADMIN,
    ),
)
