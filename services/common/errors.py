"""Domain errors: raised by use cases, mapped to gRPC status codes at the server edge and back to the
same classes at the client edge, then to HTTP statuses by the gateway. One table, three protocols."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A failure the caller can act on. `code` is a stable machine-readable string."""

    code = "internal"
    http_status = 500

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details or {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InvalidArgument(DomainError):
    code = "invalid_argument"
    http_status = 400

    def __init__(
        self, message: str, *, field: str | None = None, code: str | None = None, details: dict[str, Any] | None = None
    ):
        merged = dict(details or {})
        if field is not None:
            merged.setdefault("field", field)
        super().__init__(message, code=code, details=merged)
        self.field = field


class Unauthenticated(DomainError):
    code = "unauthenticated"
    http_status = 401


class PermissionDenied(DomainError):
    code = "permission_denied"
    http_status = 403


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class AlreadyExists(DomainError):
    code = "already_exists"
    http_status = 409


class FailedPrecondition(DomainError):
    """The request is valid but the current state refuses it (e.g. a blocked resume)."""

    code = "failed_precondition"
    http_status = 409


class ResourceExhausted(DomainError):
    code = "resource_exhausted"
    http_status = 429


class Unavailable(DomainError):
    code = "unavailable"
    http_status = 503


class DeadlineExceeded(DomainError):
    code = "deadline_exceeded"
    http_status = 504


class NotImplementedYet(DomainError):
    code = "unimplemented"
    http_status = 501
