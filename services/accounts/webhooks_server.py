"""The outbound webhook RPCs of the accounts servicer (mixed into AccountsServicer): protobuf ⇄ domain."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import grpc

from holdfast.accounts.v1 import accounts_pb2 as pb
from services.accounts.webhook_domain import Delivery, Endpoint
from services.common.errors import InvalidArgument
from services.common.proto_time import from_timestamp, to_timestamp

if TYPE_CHECKING:
    from services.accounts.service import AccountsService


def endpoint_pb(e: Endpoint) -> pb.WebhookEndpoint:
    return pb.WebhookEndpoint(
        id=e.id,
        url=e.url,
        events=e.events,
        enabled=e.enabled,
        disabled_reason=e.disabled_reason,
        created_at=to_timestamp(e.created_at),
    )


def delivery_pb(d: Delivery) -> pb.WebhookDelivery:
    out = pb.WebhookDelivery(
        id=d.id,
        event_id=d.event_id,
        event_type=d.event_type,
        status=d.status,
        attempts=d.attempts,
        last_status=d.last_status or 0,
        last_error=d.last_error,
        created_at=to_timestamp(d.created_at),
    )
    if d.next_attempt_at is not None:
        out.next_attempt_at.CopyFrom(to_timestamp(d.next_attempt_at))
    if d.delivered_at is not None:
        out.delivered_at.CopyFrom(to_timestamp(d.delivered_at))
    return out


class WebhooksRpcs:
    _service: AccountsService

    async def CreateWebhookEndpoint(
        self, request: pb.CreateWebhookEndpointRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateWebhookEndpointResponse:
        endpoint, secret = await self._service.webhooks.create_endpoint(
            request.workspace_id, request.url, list(request.events)
        )
        return pb.CreateWebhookEndpointResponse(endpoint=endpoint_pb(endpoint), secret=secret)

    async def ListWebhookEndpoints(
        self, request: pb.ListWebhookEndpointsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListWebhookEndpointsResponse:
        endpoints = await self._service.webhooks.list_endpoints(request.workspace_id)
        return pb.ListWebhookEndpointsResponse(endpoints=[endpoint_pb(e) for e in endpoints])

    async def UpdateWebhookEndpoint(
        self, request: pb.UpdateWebhookEndpointRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateWebhookEndpointResponse:
        endpoint = await self._service.webhooks.update_endpoint(
            request.workspace_id,
            request.endpoint_id,
            url=request.url if request.HasField("url") else None,
            events=list(request.events) if request.events_set else None,
            enabled=request.enabled if request.HasField("enabled") else None,
        )
        return pb.UpdateWebhookEndpointResponse(endpoint=endpoint_pb(endpoint))

    async def DeleteWebhookEndpoint(
        self, request: pb.DeleteWebhookEndpointRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteWebhookEndpointResponse:
        endpoint = await self._service.webhooks.delete_endpoint(request.workspace_id, request.endpoint_id)
        return pb.DeleteWebhookEndpointResponse(endpoint=endpoint_pb(endpoint))

    async def RotateWebhookSecret(
        self, request: pb.RotateWebhookSecretRequest, context: grpc.aio.ServicerContext
    ) -> pb.RotateWebhookSecretResponse:
        endpoint, secret = await self._service.webhooks.rotate_secret(request.workspace_id, request.endpoint_id)
        return pb.RotateWebhookSecretResponse(endpoint=endpoint_pb(endpoint), secret=secret)

    async def ListWebhookDeliveries(
        self, request: pb.ListWebhookDeliveriesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListWebhookDeliveriesResponse:
        deliveries = await self._service.webhooks.list_deliveries(
            request.workspace_id, request.endpoint_id, request.limit
        )
        return pb.ListWebhookDeliveriesResponse(deliveries=[delivery_pb(d) for d in deliveries])

    async def ReplayWebhookDelivery(
        self, request: pb.ReplayWebhookDeliveryRequest, context: grpc.aio.ServicerContext
    ) -> pb.ReplayWebhookDeliveryResponse:
        delivery = await self._service.webhooks.replay(request.workspace_id, request.endpoint_id, request.delivery_id)
        return pb.ReplayWebhookDeliveryResponse(delivery=delivery_pb(delivery))

    async def RecordWebhookEvent(
        self, request: pb.RecordWebhookEventRequest, context: grpc.aio.ServicerContext
    ) -> pb.RecordWebhookEventResponse:
        try:
            data = json.loads(request.data_json or "{}")
        except ValueError:
            raise InvalidArgument("data_json must be a JSON object", field="data_json") from None
        if not isinstance(data, dict) or not request.HasField("occurred_at"):
            raise InvalidArgument("data_json must be a JSON object and occurred_at set", field="data_json")
        count = await self._service.webhooks.record_event(
            request.event_id, request.workspace_id, request.type, from_timestamp(request.occurred_at), data
        )
        return pb.RecordWebhookEventResponse(deliveries=count)
