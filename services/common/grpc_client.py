"""gRPC client channels: every call carries a deadline, the caller's request id and role (while a member's
request is served), and a failure comes back as the domain error the server raised."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
import structlog

from services.common.grpc_errors import from_rpc_error
from services.common.grpc_server import MAX_MESSAGE_BYTES, REQUEST_ID_KEY
from services.common.roles import CALLER_ROLE, ROLE_KEY


class _DeadlineInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    def __init__(self, default_timeout: float):
        self._default_timeout = default_timeout

    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        metadata = grpc.aio.Metadata(*(details.metadata or ()))
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id and REQUEST_ID_KEY not in metadata:
            metadata.add(REQUEST_ID_KEY, request_id)
        role = CALLER_ROLE.get()
        if role is not None and ROLE_KEY not in metadata:
            metadata.add(ROLE_KEY, role.word)
        details = grpc.aio.ClientCallDetails(
            method=details.method,
            timeout=details.timeout if details.timeout is not None else self._default_timeout,
            metadata=metadata,
            credentials=details.credentials,
            wait_for_ready=details.wait_for_ready,
        )
        call = await continuation(details, request)
        try:
            return await call
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None


def open_channel(target: str, *, default_timeout: float = 5.0) -> grpc.aio.Channel:
    """An insecure channel (in-cluster traffic; TLS terminates at the mesh or ingress)."""
    return grpc.aio.insecure_channel(
        target,
        interceptors=[_DeadlineInterceptor(default_timeout)],
        options=[
            ("grpc.keepalive_time_ms", 30_000),
            ("grpc.enable_retries", 1),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ],
    )
