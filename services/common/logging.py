"""structlog set-up: JSON lines when stdout is not a terminal, readable output on a terminal, request
context (request id, method) merged from contextvars, and secrets redacted before anything is written."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Keys whose values are never written, wherever they appear in an event.
_SECRET_KEY = re.compile(
    r"(pass(word)?|secret|token|api[_-]?key|authori[sz]ation|credential|refresh|cookie|signature|dsn)",
    re.IGNORECASE,
)
# Values that look like secrets even under an innocent key: our bearer tokens, URLs with a password.
_BEARER = re.compile(r"\bhf_[A-Za-z0-9_\-]{16,}")
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.\-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@", re.I)
REDACTED = "[REDACTED]"


def redact_text(text: str) -> str:
    text = _BEARER.sub(REDACTED, text)
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{REDACTED}@", text)


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: (REDACTED if isinstance(k, str) and _SECRET_KEY.search(k) else _redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact(v) for v in value)
    return value


def redact_secrets(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if _SECRET_KEY.search(key):
            event[key] = REDACTED
        else:
            event[key] = _redact(event[key])
    return event


def configure(service: str, *, level: str = "info", fmt: str = "auto") -> None:
    """Configure structlog and route the standard library's logging (asyncpg, aiohttp, grpc) through it."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stdout.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info if use_json else structlog.processors.StackInfoRenderer(),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())
    )
    # Redaction runs last before rendering, after exceptions were formatted into text.
    # A logger is cached on its first use (cache_logger_on_first_use) holding the chain it found then. Changing
    # that one chain in place, as structlog.testing.capture_logs does, keeps every cached logger on the current
    # configuration, however often logging is configured again (each service started in-process in the tests).
    chain = structlog.get_config()["processors"]
    # A call below the level is dropped before any other work (debug lines sit on hot paths: every RPC).
    chain[:] = [structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter]
    structlog.configure(
        processors=chain,
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, redact_secrets, renderer],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Library chatter stays at warning unless asked for.
    for noisy in ("asyncio", "aiohttp.access", "grpc"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    structlog.contextvars.bind_contextvars(service=service)
