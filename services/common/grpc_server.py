"""grpc.aio server bootstrap shared by the internal services.

Every server gets the standard health service (SERVING only once the service is ready), reflection (v1 and
v1alpha), and every unary method wrapped (once, as it is registered) to bind the request id and method into the log
context, check the caller's role, count the call and turn domain errors into rich gRPC statuses. `serve_forever`
waits for SIGTERM or SIGINT and then shuts down in order: health NOT_SERVING, drain in-flight calls for the grace
period, stop, then close the rest (pool, channels).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, cast

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from services.common import errors, reflection, request_ids
from services.common.db import is_unreachable
from services.common.grpc_errors import to_status
from services.common.metrics import GRPC_LATENCY, GRPC_REQUESTS, Labelled
from services.common.roles import ROLE_KEY, check_call

log = structlog.get_logger(__name__)
# The standard logger structlog hands lines to: a per-call debug line below its level is not even built.
_stdlog = logging.getLogger(__name__)
_requests, _latency = Labelled(GRPC_REQUESTS), Labelled(GRPC_LATENCY)

# Largest gRPC message between the services (the gateway takes JSON bodies up to 8 MiB).
MAX_MESSAGE_BYTES = 16 * 1024 * 1024

REQUEST_ID_KEY = "x-request-id"
# The health name for liveness probes: SERVING once started, whatever the database says (a restart would not bring
# the database back). "" and the service names are readiness: NOT_SERVING while the database is unreachable.
LIVENESS = "liveness"


def _in_context(method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """`handler` (a unary method) made to bind request id and method to the log context, refuse a call below its
    role (services.common.roles), count it in the metrics and map domain errors to statuses. Other shapes as they
    are (no service serves one but health's Watch and reflection)."""
    if handler.unary_unary is None:
        return handler
    inner = handler.unary_unary

    async def unary_unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
        metadata = dict(context.invocation_metadata() or ())
        request_id = request_ids.accept(metadata.get(REQUEST_ID_KEY))
        structlog.contextvars.bind_contextvars(request_id=request_id, rpc=method)
        started = time.perf_counter()
        code = "OK"
        try:
            check_call(method, metadata.get(ROLE_KEY))  # roles are enforced here, not only at the gateway
            return await inner(request, context)
        except errors.DomainError as exc:
            status, message, trailers = to_status(exc)
            code = status.name
            log.info("rpc refused", code=exc.code, status=code)
            await context.abort(status, message, trailing_metadata=trailers)
        except asyncio.CancelledError:
            raise
        except NotImplementedError:
            # The generated base servicer's answer for an RPC that is in the contract but not built yet.
            code = "UNIMPLEMENTED"
            status, message, trailers = to_status(errors.NotImplementedYet(f"{method} is not implemented yet"))
            await context.abort(status, message, trailing_metadata=trailers)
        except Exception as exc:
            if isinstance(exc, grpc.aio.AbortError):
                raise
            if is_unreachable(exc):
                # The database is down or restarting: the caller may retry later (a 503, not a 500).
                code = "UNAVAILABLE"
                log.warning("rpc failed: database unreachable", error=repr(exc))
                status, message, trailers = to_status(
                    errors.Unavailable("the database is unreachable; retry later", code="database_unavailable")
                )
                await context.abort(status, message, trailing_metadata=trailers)
            log.exception("rpc failed")
            code = "INTERNAL"
            status, message, trailers = to_status(errors.DomainError("internal error"))
            await context.abort(status, message, trailing_metadata=trailers)
        finally:
            elapsed = time.perf_counter() - started
            _requests(method, code).inc()
            _latency(method).observe(elapsed)
            if _stdlog.isEnabledFor(logging.DEBUG):
                log.debug("rpc done", ms=round(elapsed * 1000, 2))
            # request_ids: the requests a call serves together (campaigns' GetCampaigns binds them).
            structlog.contextvars.unbind_contextvars("request_id", "rpc", "request_ids")

    return grpc.unary_unary_rpc_method_handler(
        unary_unary,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


class _InContext(grpc.GenericRpcHandler):
    """A generic handler whose methods are wrapped by `_in_context`, each once."""

    def __init__(self, inner: grpc.GenericRpcHandler):
        self._inner = inner
        self._wrapped: dict[str, grpc.RpcMethodHandler] = {}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        method = handler_call_details.method
        wrapped = self._wrapped.get(method)
        if wrapped is None:
            found = self._inner.service(handler_call_details)
            if found is None:  # not this service's method: not remembered (a caller may make up any name)
                return None
            wrapped = self._wrapped[method] = _in_context(method, found)
        return wrapped


class _Registrar:
    """The server as the generated `add_*Servicer_to_server` functions see it: every method handler they register
    is wrapped by `_in_context` once, at registration. (A grpc.aio server interceptor did the same per call: a
    coroutine and a lookup on every call, measurable on the hot read, B5 in docs/BENCHMARKS.md.)"""

    def __init__(self, server: grpc.aio.Server):
        self._server = server

    def add_generic_rpc_handlers(self, generic_rpc_handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self._server.add_generic_rpc_handlers([_InContext(h) for h in generic_rpc_handlers])

    def add_registered_method_handlers(self, service_name: str, method_handlers: dict[str, Any]) -> None:
        self._server.add_registered_method_handlers(
            service_name,
            {name: _in_context(f"/{service_name}/{name}", h) for name, h in method_handlers.items()},
        )


@dataclass(frozen=True)
class Registration:
    """One gRPC service to serve: its full name (for health and reflection) and how to add it."""

    full_name: str
    add: Callable[[grpc.aio.Server], None]


class RunningServer:
    def __init__(
        self, server: grpc.aio.Server, port: int, health_servicer: health.aio.HealthServicer, names: Sequence[str]
    ):
        self.server = server
        self.port = port
        self.health = health_servicer
        self.names = list(names)
        self._started = False
        self._dependency_up = True
        self._follower: asyncio.Task[None] | None = None

    async def mark_serving(self) -> None:
        self._started = True
        await self._publish()

    def follow(self, answers: Callable[[], Awaitable[bool]], every_s: float = 1.0) -> None:
        """Keep health in step with a dependency (the database): NOT_SERVING while `answers()` says no,
        SERVING again by itself once it says yes, so load balancers and the gateway's /readyz see an outage."""
        self._follower = asyncio.create_task(self._follow(answers, every_s))

    async def _follow(self, answers: Callable[[], Awaitable[bool]], every_s: float) -> None:
        while True:
            up = await answers()
            if up != self._dependency_up:
                self._dependency_up = up
                if up:
                    log.info("database answers again; serving")
                else:
                    log.warning("database unreachable; not serving")
                await self._publish()
            await asyncio.sleep(every_s)

    async def _publish(self) -> None:
        serving, not_serving = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING
        ready = self._started and self._dependency_up
        # Ignored once graceful shutdown has begun (everything is NOT_SERVING then).
        await self.health.set(LIVENESS, serving if self._started else not_serving)
        for name in ["", *self.names]:
            await self.health.set(name, serving if ready else not_serving)

    async def stop(self, grace: float) -> None:
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)


async def start_server(listen: str, registrations: Sequence[Registration]) -> RunningServer:
    """Start serving on `listen` (host:port; port 0 picks a free one). Health stays NOT_SERVING until
    `mark_serving` is called by the caller once everything the service needs is ready."""
    server = grpc.aio.server(
        options=[
            ("grpc.so_reuseport", 0),
            # A 100,000-entry suppression upload (V6) passes in one call.
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    health_servicer = health.aio.HealthServicer()
    # What the generated functions register goes through _Registrar; it passes for the server they expect.
    registrar = cast(grpc.aio.Server, _Registrar(server))
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, registrar)
    names = [r.full_name for r in registrations]
    for registration in registrations:
        registration.add(registrar)
    reflection.enable(server, [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name])
    for name in ["", LIVENESS, *names]:
        await health_servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
    port = server.add_insecure_port(listen)
    if port == 0:
        raise RuntimeError(f"cannot listen on {listen}")
    await server.start()
    return RunningServer(server, port, health_servicer, names)


Starter = Callable[[AsyncExitStack], Awaitable[RunningServer]]


async def serve_forever(start: Starter, *, grace: float) -> None:
    """Run until SIGTERM/SIGINT, then shut down gracefully. `start` registers on the exit stack it is
    given everything to close, in order: the server's stop first, then channels and the pool."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncExitStack() as stack:
        running = await start(stack)
        await running.mark_serving()
        log.info("serving", port=running.port, services=running.names)
        await stop.wait()
        log.info("shutting down", grace_seconds=grace)
    log.info("stopped")
