"""Use cases of the audit log: record what a member or an integration changed (the gateway writes one entry per
successful change it served, secrets redacted there), and read it back newest first, paged and filtered."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from services.accounts.audit_repository import AuditEntry, AuditTx
from services.accounts.repository import Repository
from services.common.clock import Clock
from services.common.errors import InvalidArgument
from services.common.ids import parse_uuid

MAX_PAGE = 200


def _object(raw: str, field: str) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        raise InvalidArgument(f"{field} must be a JSON object", field=field) from None
    if not isinstance(value, dict):
        raise InvalidArgument(f"{field} must be a JSON object", field=field)
    return value


class AuditService:
    def __init__(self, repository: Repository, clock: Clock):
        self._repo = repository
        self._clock = clock

    async def record(
        self,
        workspace_id: str,
        member_id: str,
        token_id: str,
        action: str,
        method: str,
        path: str,
        target_json: str,
        changes_json: str,
        status: int,
        request_id: str,
    ) -> None:
        if not action or not method or not path:
            raise InvalidArgument("action, method and path are needed", field="action")
        await AuditTx(self._repo.pool_tx()).record(
            parse_uuid(workspace_id, "workspace_id"),
            self._clock.now(),
            parse_uuid(member_id, "member_id"),
            parse_uuid(token_id, "token_id") if token_id else None,
            action[:100],
            method[:10],
            path[:500],
            _object(target_json, "target_json"),
            _object(changes_json, "changes_json"),
            status,
            request_id[:64],
        )

    async def list(
        self,
        workspace_id: str,
        page_size: int,
        page_token: str,
        action: str,
        member_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[list[AuditEntry], str]:
        """A page, newest first, and the token of the next one ("" at the end)."""
        if page_size < 0:
            raise InvalidArgument("page_size must not be negative", field="page_size")
        size = min(page_size or 50, MAX_PAGE)
        before: int | None = None
        if page_token:
            # ASCII digits only: str.isdigit() also takes "¹" and other digits int() refuses (found by the fuzzer).
            if not (page_token.isascii() and page_token.isdigit()) or len(page_token) > 18:
                raise InvalidArgument("page_token is not one this API gave", field="page_token")
            before = int(page_token)
        member: str | None = None
        if member_id:
            try:
                member = parse_uuid(member_id, "member_id")
            except InvalidArgument:
                return [], ""  # a filter no member matches
        entries = await AuditTx(self._repo.pool_tx()).page(
            parse_uuid(workspace_id, "workspace_id"), before, size + 1, action or None, member, since, until
        )
        more = len(entries) > size
        entries = entries[:size]
        return entries, str(entries[-1].id) if more else ""
