"""The audit log at the gateway: every change a member or an integration made through the API (a successful
request other than a read) is written to accounts' audit log, with the ids its path names and its body's fields,
secrets redacted; `GET /api/v1/audit` reads it back. `AUDIT_ROUTES` joins the gateway's route table."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import structlog
from aiohttp import web
from pydantic import Field

from holdfast.accounts.v1 import accounts_pb2
from services.common.errors import DomainError, InvalidArgument
from services.common.proto_time import to_timestamp
from services.common.roles import Role
from services.gateway import models, views
from services.gateway.api import PARSED_BODY, PRINCIPAL, Route, authenticate, parse_query, reply, upstreams

log = structlog.get_logger(__name__)
# Field names whose values never reach the log (passwords, secrets, tokens, keys).
_SECRET_FIELD = re.compile(r"pass|secret|token|key|credential", re.IGNORECASE)
REDACTED = "[redacted]"


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: REDACTED if _SECRET_FIELD.search(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


# A list longer than this is written as its length (an import of 10,000 prospects is "10000 items", not 8 MB), and
# an entry's fields larger than MAX_CHANGES_BYTES as their size alone.
MAX_LIST_ITEMS = 10
MAX_CHANGES_BYTES = 16 * 1024


def summarize(changes: dict[str, Any]) -> dict[str, Any]:
    """What a request changed, small enough to keep: secrets redacted, long lists counted, huge bodies sized."""

    def shrink(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: shrink(v) for k, v in value.items()}
        if isinstance(value, list):
            return f"{len(value)} items" if len(value) > MAX_LIST_ITEMS else [shrink(v) for v in value]
        return value

    # Long lists are counted first: a 5,000-prospect body is never walked whole (redacting what is left is the same).
    small = redact(shrink(changes))
    size = len(json.dumps(small))
    return small if size <= MAX_CHANGES_BYTES else {"truncated": True, "bytes": size}


def action_of(route: Route) -> str:
    """The route's operation name, as in the OpenAPI document (campaign transitions share one handler)."""
    name = route.handler.__name__
    return name if name != "handler" else route.path.rsplit("/", 1)[-1] + "_campaign"


async def record(request: web.Request, route: Route, response: web.StreamResponse) -> None:
    """Write the audit entry of a successful change (called once the request is served)."""
    principal = request.get(PRINCIPAL)
    if principal is None or route.method in ("GET", "HEAD") or not route.audited or not 200 <= response.status < 300:
        return
    changes: Any = {}
    if PARSED_BODY in request:  # parsed once by the handler (parse_body)
        changes = request[PARSED_BODY]
    elif request.body_exists:  # read before by the handler; aiohttp keeps the bytes
        try:
            changes = json.loads(await request.read() or b"{}")
        except ValueError:
            changes = {}
    entry = accounts_pb2.RecordAuditEntryRequest(
        workspace_id=principal.workspace_id,
        member_id=principal.member_id,
        token_id=principal.token_id,
        action=action_of(route),
        method=route.method,
        path=request.path,
        target_json=json.dumps(dict(request.match_info)),
        changes_json=json.dumps(summarize(changes) if isinstance(changes, dict) else {}),
        status=response.status,
        request_id=structlog.contextvars.get_contextvars().get("request_id", ""),
    )
    try:
        await upstreams(request).accounts.RecordAuditEntry(entry)
    except DomainError as exc:
        # The change is made; the entry is not. Said loudly: an operator must know the log has a gap.
        log.error("audit entry not recorded", action=entry.action, path=entry.path, error=exc.message)


class AuditQuery(models.Request):
    page_size: int = Field(50, ge=0, le=200)
    page_token: str = Field("", max_length=20)
    action: str = Field("", max_length=100, description="only this operation, e.g. pause_campaign")
    member_id: str = Field("", max_length=64, description="only this member's changes (an unknown id: none)")
    since: str | None = Field(
        None, max_length=40, description="only changes at or after this instant (ISO 8601 with an offset)"
    )
    until: str | None = Field(
        None, max_length=40, description="only changes before this instant (ISO 8601 with an offset)"
    )


def _instant(raw: str | None, field: str) -> datetime | None:
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidArgument(f"{field} must be an ISO 8601 date and time", field=field) from None
    if value.tzinfo is None:
        raise InvalidArgument(f"{field} needs a timezone offset", field=field)
    return value


class AuditEntryOut(models.Response):
    id: str = Field(description="the entry's id; entries are listed newest first")
    at: str = Field(description="when the change was made (ISO 8601, UTC)")
    member_id: str = Field(
        description="who made it (00000000-0000-0000-0000-000000000000: Holdfast itself; "
        "00000000-0000-0000-0000-000000000001: unknown, a refused sign-in)"
    )
    member_email: str = Field(description="their email address when the entry was written")
    token_id: str | None = Field(description="the API token used, or null for a signed-in member")
    action: str = Field(description="the operation, as in this document, e.g. pause_campaign")
    method: str = Field(description="the HTTP method")
    path: str = Field(description="the path called")
    target: dict[str, Any] = Field(description="the path's ids, e.g. campaign_id")
    changes: dict[str, Any] = Field(description="the request body, secrets redacted, lists of over 10 items counted")
    status: int = Field(description="the HTTP status answered")
    request_id: str = Field(description="the request's X-Request-Id, to find its log lines")


class AuditPage(models.Response):
    entries: list[AuditEntryOut]
    next_page_token: str | None


async def list_audit(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    query = parse_query(request, AuditQuery)
    listed = await upstreams(request).accounts.ListAuditEntries(
        accounts_pb2.ListAuditEntriesRequest(
            workspace_id=principal.workspace_id,
            page_size=query.page_size,
            page_token=query.page_token,
            action=query.action,
            member_id=query.member_id,
            since=to_timestamp(_instant(query.since, "since")),
            until=to_timestamp(_instant(query.until, "until")),
        )
    )
    return reply(
        AuditPage(
            entries=[
                AuditEntryOut(
                    id=e.id,
                    at=views.iso(e.at),
                    member_id=e.member_id,
                    member_email=e.member_email,
                    token_id=e.token_id or None,
                    action=e.action,
                    method=e.method,
                    path=e.path,
                    target=json.loads(e.target_json),
                    changes=json.loads(e.changes_json),
                    status=e.status,
                    request_id=e.request_id,
                )
                for e in listed.entries
            ],
            next_page_token=listed.next_page_token or None,
        )
    )


AUDIT_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/audit",
        list_audit,
        "Who changed what: every change a member or an integration made through the API, newest first; "
        "filter by action or member.",
        AuditPage,
        query=AuditQuery,
        errors=(400, 401, 403),
        tag="team",
        role=Role.ADMIN,
    ),
)
