"""Domain errors across gRPC with the rich error model: `google.rpc.Status` carrying an `ErrorInfo`
(the stable code) and a `Struct` (structured details), so a refused resume reaches the gateway with
every blocking reason intact."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import any_pb2, json_format, struct_pb2
from google.rpc import error_details_pb2, status_pb2

from services.common import errors

DOMAIN = "holdfast"
_STATUS_KEY = "grpc-status-details-bin"

_TO_GRPC: dict[type[errors.DomainError], grpc.StatusCode] = {
    errors.InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    errors.Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    errors.PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    errors.NotFound: grpc.StatusCode.NOT_FOUND,
    errors.AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    errors.FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    errors.ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
    errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
    errors.DeadlineExceeded: grpc.StatusCode.DEADLINE_EXCEEDED,
    errors.NotImplementedYet: grpc.StatusCode.UNIMPLEMENTED,
    errors.DomainError: grpc.StatusCode.INTERNAL,
}
_FROM_GRPC: dict[grpc.StatusCode, type[errors.DomainError]] = {v: k for k, v in _TO_GRPC.items()}
_FROM_GRPC[grpc.StatusCode.ABORTED] = errors.FailedPrecondition
_FROM_GRPC[grpc.StatusCode.CANCELLED] = errors.Unavailable


def grpc_code(error: errors.DomainError) -> grpc.StatusCode:
    for cls in type(error).__mro__:
        if cls in _TO_GRPC:
            return _TO_GRPC[cls]
    return grpc.StatusCode.INTERNAL


def status_of(error: errors.DomainError) -> status_pb2.Status:
    """`error` as a google.rpc.Status: its gRPC code, message, ErrorInfo (the stable code) and details."""
    info = any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=error.code, domain=DOMAIN))
    details = any_pb2.Any()
    struct = struct_pb2.Struct()
    struct.update(error.details)
    details.Pack(struct)
    return status_pb2.Status(code=grpc_code(error).value[0], message=error.message, details=[info, details])


def to_status(error: errors.DomainError) -> tuple[grpc.StatusCode, str, tuple[tuple[str, bytes], ...]]:
    """The status code, message and trailing metadata that carry `error`."""
    return grpc_code(error), error.message, ((_STATUS_KEY, status_of(error).SerializeToString()),)


def from_rpc_error(exc: grpc.aio.AioRpcError) -> errors.DomainError:
    """Rebuild the domain error a server raised; plain gRPC failures map by status code."""
    status = next(
        (status_pb2.Status.FromString(value) for key, value in exc.trailing_metadata() or () if key == _STATUS_KEY),
        None,
    )
    return _domain_error(exc.code(), exc.details() or exc.code().name.lower(), status)


def from_status(raw: bytes) -> errors.DomainError:
    """Rebuild the domain error of a serialized google.rpc.Status (an error answered inside a message, as
    GetCampaigns answers each read)."""
    status = status_pb2.Status.FromString(raw)
    code = _BY_VALUE.get(status.code, grpc.StatusCode.UNKNOWN)
    return _domain_error(code, status.message or code.name.lower(), status)


_BY_VALUE = {code.value[0]: code for code in grpc.StatusCode}


def _domain_error(status_code: grpc.StatusCode, message: str, status: status_pb2.Status | None) -> errors.DomainError:
    cls = _FROM_GRPC.get(status_code, errors.DomainError)
    code: str | None = None
    details: dict[str, Any] = {}
    for packed in status.details if status is not None else ():
        info = error_details_pb2.ErrorInfo()
        struct = struct_pb2.Struct()
        if packed.Unpack(info):
            code = info.reason
        elif packed.Unpack(struct):
            details = json_format.MessageToDict(struct)
    if cls is errors.InvalidArgument:
        return errors.InvalidArgument(message, code=code, details=details, field=details.get("field"))
    if code is None and cls is errors.DomainError:
        # A failure that is not ours (e.g. the peer is down): say what gRPC said, no internals.
        return errors.Unavailable(f"upstream call failed: {status_code.name}")
    return cls(message, code=code, details=details)
