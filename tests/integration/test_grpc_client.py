"""The client side of every gRPC hop (services/common/grpc_client.py), against a real grpc.aio server: each call
carries the channel's default deadline, the request id and the caller's role, and a refusal comes back as the
domain error the server raised."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import grpc
import pytest
import structlog

from services.common import errors
from services.common.grpc_client import open_channel
from services.common.grpc_errors import to_status
from services.common.grpc_server import REQUEST_ID_KEY
from services.common.roles import CALLER_ROLE, ROLE_KEY, Role


def _identity(value: bytes) -> bytes:
    return value


async def _echo(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    """Answers with the metadata it was sent and the time it had left; b"slow" sleeps past any short deadline,
    b"refuse" raises a domain error as the services do."""
    if request == b"slow":
        await asyncio.sleep(2)
    if request == b"refuse":
        status, message, trailers = to_status(errors.NotFound("no such thing", code="thing_not_found"))
        await context.abort(status, message, trailing_metadata=trailers)
    metadata = dict(context.invocation_metadata() or ())
    remaining = context.time_remaining()
    return json.dumps([metadata.get(REQUEST_ID_KEY), metadata.get(ROLE_KEY), remaining]).encode()


@pytest.fixture
async def target() -> AsyncIterator[str]:
    server = grpc.aio.server()
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "test.Echo",
                {"Echo": grpc.unary_unary_rpc_method_handler(_echo, _identity, _identity)},
            ),
        )
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


def _echo_method(channel: grpc.aio.Channel) -> grpc.aio.UnaryUnaryMultiCallable:
    return channel.unary_unary("/test.Echo/Echo", request_serializer=_identity, response_deserializer=_identity)


async def test_a_call_carries_the_request_id_the_role_and_the_default_deadline(target):
    channel = open_channel(target, default_timeout=3.0)
    structlog.contextvars.bind_contextvars(request_id="req-123")
    reset = CALLER_ROLE.set(Role.VIEWER)
    try:
        request_id, role, remaining = json.loads(await _echo_method(channel)(b"hi"))
    finally:
        CALLER_ROLE.reset(reset)
        structlog.contextvars.unbind_contextvars("request_id")
        await channel.close()
    assert (request_id, role) == ("req-123", "viewer")
    assert remaining is not None and 2.0 < remaining <= 3.1


async def test_no_request_or_role_is_sent_when_none_is_bound_and_a_callers_own_win(target):
    channel = open_channel(target, default_timeout=3.0)
    try:
        assert json.loads(await _echo_method(channel)(b"hi"))[:2] == [None, None]
        structlog.contextvars.bind_contextvars(request_id="bound")
        try:
            got = json.loads(await _echo_method(channel)(b"hi", metadata=((REQUEST_ID_KEY, "given"),), timeout=1.0))
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
    finally:
        await channel.close()
    assert got[0] == "given" and got[2] <= 1.1  # the timeout given, not the default (grpc rounds up)


async def test_the_default_deadline_stops_a_slow_call_as_a_domain_error(target):
    channel = open_channel(target, default_timeout=0.2)
    try:
        with pytest.raises(errors.DeadlineExceeded):
            await _echo_method(channel)(b"slow")
    finally:
        await channel.close()


async def test_a_refusal_comes_back_as_the_servers_domain_error(target):
    channel = open_channel(target, default_timeout=3.0)
    try:
        with pytest.raises(errors.NotFound) as refused:
            await _echo_method(channel)(b"refuse")
    finally:
        await channel.close()
    assert refused.value.code == "thing_not_found"
    assert refused.value.message == "no such thing"
