"""gRPC client channels: every call carries a deadline, the caller's request id and role (while a member's
request is served), and a failure comes back as the domain error the server raised.

That is done by wrapping each unary-unary method of the channel, not by a grpc.aio client interceptor: an
interceptor runs every call in a task of its own around the call's task, and builds a Metadata object and call
details per call; on the gateway's hot read that was the largest piece of our own Python left (B5,
docs/BENCHMARKS.md). Other call shapes are the channel's own (no service uses them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import grpc
import structlog

from services.common.grpc_errors import from_rpc_error
from services.common.grpc_server import MAX_MESSAGE_BYTES, REQUEST_ID_KEY
from services.common.roles import CALLER_ROLE, ROLE_KEY

# The request id bound by the gateway's middleware or the server interceptor (structlog's context variable).
_CONTEXT = structlog.contextvars.get_contextvars


class _UnaryUnary:
    """One unary-unary method: `await method(request, timeout=..., metadata=...)` as on a grpc.aio stub."""

    __slots__ = ("_inner", "_default_timeout")

    def __init__(self, inner: grpc.aio.UnaryUnaryMultiCallable, default_timeout: float):
        self._inner = inner
        self._default_timeout = default_timeout

    async def __call__(
        self,
        request: Any,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - grpc.aio's own call signature
        metadata: Sequence[tuple[str, str | bytes]] | None = None,
        credentials: grpc.CallCredentials | None = None,
        wait_for_ready: bool | None = None,
        compression: grpc.Compression | None = None,
    ) -> Any:
        pairs = list(metadata or ())
        keys = {key for key, _ in pairs}
        request_id = _CONTEXT().get("request_id")
        if request_id and REQUEST_ID_KEY not in keys:
            pairs.append((REQUEST_ID_KEY, request_id))
        role = CALLER_ROLE.get()
        if role is not None and ROLE_KEY not in keys:
            pairs.append((ROLE_KEY, role.word))
        try:
            return await self._inner(
                request,
                timeout=self._default_timeout if timeout is None else timeout,
                metadata=tuple(pairs),
                credentials=credentials,
                wait_for_ready=wait_for_ready,
                compression=compression,
            )
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc) from None


class Channel(grpc.aio.Channel):
    """A grpc.aio channel whose unary-unary methods carry deadline, request id and role, and raise domain errors."""

    def __init__(self, inner: grpc.aio.Channel, default_timeout: float):
        self._inner = inner
        self._default_timeout = default_timeout

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _UnaryUnary(self._inner.unary_unary(method, *args, **kwargs), self._default_timeout)

    def unary_stream(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._inner.unary_stream(method, *args, **kwargs)

    def stream_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._inner.stream_unary(method, *args, **kwargs)

    def stream_stream(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._inner.stream_stream(method, *args, **kwargs)

    async def __aenter__(self) -> Channel:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._inner.close()

    async def close(self, grace: float | None = None) -> None:
        await self._inner.close(grace)

    def get_state(self, try_to_connect: bool = False) -> grpc.ChannelConnectivity:
        return self._inner.get_state(try_to_connect)

    async def wait_for_state_change(self, last_observed_state: grpc.ChannelConnectivity) -> None:
        await self._inner.wait_for_state_change(last_observed_state)

    async def channel_ready(self) -> None:
        await self._inner.channel_ready()


def open_channel(target: str, *, default_timeout: float = 5.0) -> grpc.aio.Channel:
    """An insecure channel (in-cluster traffic; TLS terminates at the mesh or ingress)."""
    return Channel(
        grpc.aio.insecure_channel(
            target,
            options=[
                ("grpc.keepalive_time_ms", 30_000),
                ("grpc.enable_retries", 1),
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ],
        ),
        default_timeout,
    )
