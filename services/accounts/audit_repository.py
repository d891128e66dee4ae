"""SQL of the audit log (services/accounts/audit.py).

Part of the repository layer beside `repository.py`: every query runs on the connection of a `Tx`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.accounts.repository import Tx

# The member id of entries Holdfast itself wrote (an endpoint it disabled): no member has it.
SYSTEM_ACTOR = "00000000-0000-0000-0000-000000000000"
# The member id of entries whose actor is unknown (a refused sign-in: whoever typed the password).
UNKNOWN_ACTOR = "00000000-0000-0000-0000-000000000001"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    member_id: str
    member_email: str
    token_id: str
    action: str
    method: str
    path: str
    target: dict[str, Any]
    changes: dict[str, Any]
    status: int
    request_id: str


class AuditTx:
    def __init__(self, tx: Tx):
        self._conn = tx.conn

    async def record(
        self,
        workspace_id: str,
        at: datetime,
        member_id: str,
        token_id: str | None,
        action: str,
        method: str,
        path: str,
        target: dict[str, Any],
        changes: dict[str, Any],
        status: int,
        request_id: str,
    ) -> None:
        await self._conn.execute(
            "INSERT INTO accounts.audit_log (workspace_id, at, member_id, token_id, action, method, path, target,"
            " changes, status, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11)",
            workspace_id,
            at,
            member_id,
            token_id,
            action,
            method,
            path,
            json.dumps(target),
            json.dumps(changes),
            status,
            request_id,
        )

    async def page(
        self,
        workspace_id: str,
        before_id: int | None,
        limit: int,
        action: str | None,
        member_id: str | None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[AuditEntry]:
        """Newest first, older than `before_id`; filtered by action, member and time when given."""
        rows = await self._conn.fetch(
            """SELECT a.*, coalesce(m.email, '') AS member_email FROM accounts.audit_log a
                 LEFT JOIN accounts.members m ON m.id = a.member_id
                WHERE a.workspace_id = $1 AND ($2::bigint IS NULL OR a.id < $2)
                  AND ($4::text IS NULL OR a.action = $4) AND ($5::uuid IS NULL OR a.member_id = $5)
                  AND ($6::timestamptz IS NULL OR a.at >= $6) AND ($7::timestamptz IS NULL OR a.at < $7)
                ORDER BY a.id DESC LIMIT $3""",
            workspace_id,
            before_id,
            limit,
            action,
            member_id,
            since,
            until,
        )
        return [
            AuditEntry(
                id=r["id"],
                at=r["at"],
                member_id=str(r["member_id"]),
                member_email=r["member_email"],
                token_id=str(r["token_id"]) if r["token_id"] else "",
                action=r["action"],
                method=r["method"],
                path=r["path"],
                target=json.loads(r["target"]),
                changes=json.loads(r["changes"]),
                status=r["status"],
                request_id=r["request_id"],
            )
            for r in rows
        ]
