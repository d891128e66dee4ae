"""SQL of members and their API tokens (roles and scopes: services/common/roles.py).

Part of the repository layer beside `repository.py`: every query runs on the connection of a `Tx`."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.accounts.members_domain import ApiToken, Member
from services.accounts.repository import Tx
from services.common.roles import Role


def _member(row: asyncpg.Record) -> Member:
    return Member(
        id=str(row["id"]),
        workspace_id=str(row["workspace_id"]),
        email=row["email"],
        role=Role.parse(row["role"]),
        created_at=row["created_at"],
    )


def _token(row: asyncpg.Record) -> ApiToken:
    return ApiToken(
        id=str(row["id"]),
        member_id=str(row["member_id"]),
        name=row["name"],
        scopes=tuple(row["scopes"]),
        hint=row["hint"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


class MemberTx:
    """Members and tokens of one workspace at a time: every query names the workspace."""

    def __init__(self, tx: Tx):
        self._conn = tx.conn

    async def list_members(self, workspace_id: str) -> list[Member]:
        rows = await self._conn.fetch(
            "SELECT * FROM accounts.members WHERE workspace_id = $1 ORDER BY created_at, id", workspace_id
        )
        return [_member(r) for r in rows]

    async def get_member(self, workspace_id: str, member_id: str, *, lock: bool = False) -> Member | None:
        row = await self._conn.fetchrow(
            "SELECT * FROM accounts.members WHERE workspace_id = $1 AND id = $2" + (" FOR UPDATE" if lock else ""),
            workspace_id,
            member_id,
        )
        return None if row is None else _member(row)

    async def add_member(self, workspace_id: str, email: str, role: Role, now: datetime) -> Member | None:
        """None when the email is already a member of the workspace."""
        row = await self._conn.fetchrow(
            "INSERT INTO accounts.members (workspace_id, email, role, created_at) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (workspace_id, email) DO NOTHING RETURNING *",
            workspace_id,
            email,
            role.word,
            now,
        )
        return None if row is None else _member(row)

    async def set_role(self, workspace_id: str, member_id: str, role: Role) -> Member:
        row = await self._conn.fetchrow(
            "UPDATE accounts.members SET role = $3 WHERE workspace_id = $1 AND id = $2 RETURNING *",
            workspace_id,
            member_id,
            role.word,
        )
        return _member(row)

    async def remove_member(self, workspace_id: str, member_id: str) -> None:
        # Its tokens go with it (ON DELETE CASCADE).
        await self._conn.execute(
            "DELETE FROM accounts.members WHERE workspace_id = $1 AND id = $2", workspace_id, member_id
        )

    async def list_tokens(self, workspace_id: str) -> list[ApiToken]:
        rows = await self._conn.fetch(
            "SELECT * FROM accounts.api_tokens WHERE workspace_id = $1 ORDER BY created_at, id", workspace_id
        )
        return [_token(r) for r in rows]

    async def create_token(
        self,
        workspace_id: str,
        member_id: str,
        name: str,
        scopes: tuple[str, ...],
        token_hash: bytes,
        hint: str,
        now: datetime,
    ) -> ApiToken:
        row = await self._conn.fetchrow(
            "INSERT INTO accounts.api_tokens (member_id, workspace_id, token_hash, created_at, name, scopes, hint)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
            member_id,
            workspace_id,
            token_hash,
            now,
            name,
            list(scopes),
            hint,
        )
        return _token(row)

    async def revoke_token(self, workspace_id: str, token_id: str, now: datetime) -> ApiToken | None:
        """Revoke once: a second revocation keeps the first time."""
        row = await self._conn.fetchrow(
            "UPDATE accounts.api_tokens SET revoked_at = coalesce(revoked_at, $3)"
            " WHERE workspace_id = $1 AND id = $2 RETURNING *",
            workspace_id,
            token_id,
            now,
        )
        return None if row is None else _token(row)
