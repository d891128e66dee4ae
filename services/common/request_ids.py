"""The request id that follows one request through the gateway and every gRPC hop into each log line.

A caller may send its own (X-Request-Id, or x-request-id metadata) to trace a request; it is written into every
log line, so it is bounded: at most 64 characters, printable ASCII without spaces. Longer ids are cut to 64; an
id with anything else in it is replaced by a fresh one (never logged)."""

from __future__ import annotations

import re
import uuid

MAX_CHARS = 64
_PRINTABLE = re.compile(r"[!-~]+")


def accept(given: str | None) -> str:
    """The caller's id, bounded, or a new one when it is missing or unusable."""
    bounded = (given or "")[:MAX_CHARS]
    return bounded if _PRINTABLE.fullmatch(bounded) else uuid.uuid4().hex
