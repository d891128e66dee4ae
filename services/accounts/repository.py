from __future__ import annotations

from datetime import datetime

import asyncpg

from services.accounts.domain import Principal, Workspace


def _workspace(row: asyncpg.Record) -> Workspace:
    return Workspace(id=str(row["id"]), name=row["name"], subscription_status=row["subscription_status"],
                     created_at=row["created_at"])


class Repository:
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def create_workspace(self, name: str, owner_email: str, token_hash: bytes,
                               now: datetime) -> tuple[Workspace, str]:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "INSERT INTO accounts.workspaces (name, created_at) VALUES ($1, $2) RETURNING *", name, now)
            member_id = await conn.fetchval(
                "INSERT INTO accounts.members (workspace_id, email, role, created_at)"
                " VALUES ($1, $2, 'owner', $3) RETURNING id", row["id"], owner_email, now)
            await conn.execute(
                "INSERT INTO accounts.api_tokens (member_id, workspace_id, token_hash, created_at)"
                " VALUES ($1, $2, $3, $4)", member_id, row["id"], token_hash, now)
        return _workspace(row), str(member_id)

    async def principal_for(self, token_hash: bytes) -> Principal | None:
        row = await self._pool.fetchrow(
            "SELECT workspace_id, member_id FROM accounts.api_tokens"
            " WHERE token_hash = $1 AND revoked_at IS NULL", token_hash)
        if row is None:
            return None
        return Principal(workspace_id=str(row["workspace_id"]), member_id=str(row["member_id"]))

    async def get_workspace(self, workspace_id: str) -> Workspace | None:
        row = await self._pool.fetchrow("SELECT * FROM accounts.workspaces WHERE id = $1", workspace_id)
        return None if row is None else _workspace(row)
