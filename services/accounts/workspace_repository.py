"""SQL of workspaces, their members and tokens, and their subscription (DESIGN A6).

Part of the repository layer beside `repository.py`: every query runs on the connection of a `Tx`."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.accounts.domain import Principal, Workspace
from services.accounts.repository import Tx


def _workspace(row: asyncpg.Record) -> Workspace:
    return Workspace(
        id=str(row["id"]),
        name=row["name"],
        subscription_status=row["subscription_status"],
        created_at=row["created_at"],
    )


class WorkspaceTx:
    """Workspaces, members, tokens and billing events."""

    def __init__(self, tx: Tx):
        self._tx = tx
        self._conn = tx.conn

    async def create_workspace(
        self, name: str, owner_email: str, token_hash: bytes, token_hint: str, now: datetime
    ) -> tuple[Workspace, str]:
        """The workspace, its owner and the owner's token (in the caller's transaction)."""
        row = await self._conn.fetchrow(
            "INSERT INTO accounts.workspaces (name, created_at, subscription_since) VALUES ($1, $2, $2) RETURNING *",
            name,
            now,
        )
        member_id = await self._conn.fetchval(
            "INSERT INTO accounts.members (workspace_id, email, role, created_at)"
            " VALUES ($1, $2, 'owner', $3) RETURNING id",
            row["id"],
            owner_email,
            now,
        )
        await self._conn.execute(
            "INSERT INTO accounts.api_tokens (member_id, workspace_id, token_hash, created_at, name, hint)"
            " VALUES ($1, $2, $3, $4, 'owner', $5)",
            member_id,
            row["id"],
            token_hash,
            now,
            token_hint,
        )
        return _workspace(row), str(member_id)

    async def principal_for(self, token_hash: bytes) -> Principal | None:
        row = await self._conn.fetchrow(
            "SELECT t.id, t.workspace_id, t.member_id, m.role, t.scopes FROM accounts.api_tokens t"
            " JOIN accounts.members m ON m.id = t.member_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
            token_hash,
        )
        if row is None:
            return None
        return Principal(
            workspace_id=str(row["workspace_id"]),
            member_id=str(row["member_id"]),
            role=row["role"],
            scopes=tuple(row["scopes"]),
            token_id=str(row["id"]),
        )

    async def get_workspace(self, workspace_id: str) -> Workspace | None:
        row = await self._conn.fetchrow("SELECT * FROM accounts.workspaces WHERE id = $1", workspace_id)
        return None if row is None else _workspace(row)

    async def record_billing_event(
        self, event_id: str, type_: str, workspace_id: str | None, occurred_at: datetime, now: datetime
    ) -> bool:
        """Remember a billing event; False if it was seen before (a replay). A concurrent replay waits here
        until the first one commits."""
        inserted = await self._conn.fetchval(
            "INSERT INTO accounts.billing_events (event_id, workspace_id, type, occurred_at, received_at, applied)"
            " VALUES ($1, $2, $3, $4, $5, false) ON CONFLICT (event_id) DO NOTHING RETURNING true",
            event_id,
            workspace_id,
            type_,
            occurred_at,
            now,
        )
        return bool(inserted)

    async def mark_billing_event_applied(self, event_id: str) -> None:
        await self._conn.execute("UPDATE accounts.billing_events SET applied = true WHERE event_id = $1", event_id)

    async def lock_workspace_subscription(self, workspace_id: str) -> asyncpg.Record | None:
        return await self._conn.fetchrow(
            "SELECT subscription_status, subscription_version, billing_event_at FROM accounts.workspaces"
            " WHERE id = $1 FOR UPDATE",
            workspace_id,
        )

    async def set_billing_event_at(self, workspace_id: str, occurred_at: datetime) -> None:
        await self._conn.execute(
            "UPDATE accounts.workspaces SET billing_event_at = $2 WHERE id = $1", workspace_id, occurred_at
        )

    async def set_subscription(
        self, workspace_id: str, status: str, now: datetime, sequence: int, event_id: str
    ) -> int:
        """Change the subscription status; returns its new version."""
        return await self._conn.fetchval(
            """UPDATE accounts.workspaces
                  SET subscription_status = $2, subscription_since = $3,
                      subscription_version = subscription_version + 1, health_sequence = $4, health_event_id = $5
                WHERE id = $1 RETURNING subscription_version""",
            workspace_id,
            status,
            now,
            sequence,
            event_id,
        )
