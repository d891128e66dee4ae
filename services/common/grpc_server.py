"""grpc.aio server bootstrap shared by the internal services.

Every server gets the standard health service (SERVING only once the service is ready), reflection (v1 and
v1alpha), and an interceptor that binds the request id and method into the log context and turns domain errors
into rich gRPC statuses. `serve_forever` waits for SIGTERM or SIGINT and then shuts down in order: health
NOT_SERVING, drain in-flight calls for the grace period, stop, then close the rest (pool, channels).
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
from typing import Any

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


class ContextInterceptor(grpc.aio.ServerInterceptor):
    """Binds request id and method to the log context; refuses a call below its role (services.common.roles);
    maps domain errors to statuses."""

    def __init__(self) -> None:
        # The wrapped handler of each unary method, built once: the request id is read per call, from the call's
        # own metadata, so the wrapper is the same for every call (building it per call was measurable, B5).
        self._wrapped: dict[str, Any] = {}

    async def intercept_service(
        self, continuation: Callable[..., Awaitable[Any]], details: grpc.HandlerCallDetails
    ) -> Any:
        wrapped = self._wrapped.get(details.method)
        if wrapped is not None:
            return wrapped
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        wrapped = self._wrap(details.method, handler)
        self._wrapped[details.method] = wrapped
        return wrapped

    def _wrap(self, method: str, handler: Any) -> Any:
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
                structlog.contextvars.unbind_contextvars("request_id", "rpc")

        return grpc.unary_unary_rpc_method_handler(
            unary_unary,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
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
        interceptors=[ContextInterceptor()],
        options=[
            ("grpc.so_reuseport", 0),
            # A 100,000-entry suppression upload (V6) passes in one call.
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = [r.full_name for r in registrations]
    for registration in registrations:
        registration.add(server)
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
