"""SQL of sign-in: members' passwords, one-time links, sessions and sign-in attempts (rules: sign_in_domain.py).

Part of the repository layer beside `repository.py`: every query runs on the connection of a `Tx`."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.accounts.repository import Tx
from services.accounts.sign_in_domain import Invitation, Link, Session
from services.common.roles import Role


def _session(row: asyncpg.Record) -> Session:
    return Session(
        id=str(row["id"]),
        workspace_id=str(row["workspace_id"]),
        member_id=str(row["member_id"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        method=row["method"],
        address=row["address"],
        user_agent=row["user_agent"],
    )


def _invitation(row: asyncpg.Record) -> Invitation:
    return Invitation(
        id=str(row["id"]),
        email=row["email"],
        role=Role.parse(row["role"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
    )


class SignInTx:
    def __init__(self, tx: Tx):
        self._conn = tx.conn

    # Members' sign-in data.

    async def memberships(self, email: str) -> list[asyncpg.Record]:
        """Every membership of an address, oldest first, with its password hash and role."""
        return await self._conn.fetch(
            "SELECT id, workspace_id, email, role, password_hash FROM accounts.members WHERE email = $1"
            " ORDER BY created_at, id",
            email,
        )

    async def member(self, member_id: str) -> asyncpg.Record | None:
        return await self._conn.fetchrow(
            "SELECT id, workspace_id, email, role FROM accounts.members WHERE id = $1", member_id
        )

    async def set_password(self, member_id: str, password_hash: str) -> None:
        await self._conn.execute(
            "UPDATE accounts.members SET password_hash = $2 WHERE id = $1", member_id, password_hash
        )

    async def add_member(self, workspace_id: str, email: str, role: Role, now: datetime) -> str | None:
        """The new member's id; None when the address is a member already."""
        member_id = await self._conn.fetchval(
            "INSERT INTO accounts.members (workspace_id, email, role, created_at) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (workspace_id, email) DO NOTHING RETURNING id",
            workspace_id,
            email,
            role.word,
            now,
        )
        return None if member_id is None else str(member_id)

    # One-time links.

    async def create_link(
        self,
        token_hash: bytes,
        purpose: str,
        workspace_id: str,
        member_id: str | None,
        email: str,
        role: Role | None,
        invited_by: str | None,
        now: datetime,
        expires_at: datetime,
    ) -> Invitation:
        row = await self._conn.fetchrow(
            "INSERT INTO accounts.auth_links (token_hash, purpose, workspace_id, member_id, email, role, invited_by,"
            " created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            " RETURNING id, email, role, created_at, expires_at",
            token_hash,
            purpose,
            workspace_id,
            member_id,
            email,
            role.word if role else None,
            invited_by,
            now,
            expires_at,
        )
        return Invitation(
            id=str(row["id"]),
            email=row["email"],
            role=role or Role.VIEWER,
            created_at=row["created_at"],
            expires_at=row["expires_at"],
        )

    async def redeem_link(self, token_hash: bytes, purpose: str, now: datetime) -> Link | None:
        """Use a link once: None when unknown, of another purpose, used or expired (a concurrent second use waits
        for the first and finds it used)."""
        row = await self._conn.fetchrow(
            "UPDATE accounts.auth_links SET used_at = $3 WHERE token_hash = $1 AND purpose = $2"
            " AND used_at IS NULL AND expires_at > $3"
            " RETURNING id, purpose, workspace_id, member_id, email, role",
            token_hash,
            purpose,
            now,
        )
        if row is None:
            return None
        return Link(
            id=str(row["id"]),
            purpose=row["purpose"],
            workspace_id=str(row["workspace_id"]),
            member_id=str(row["member_id"]) if row["member_id"] else None,
            email=row["email"],
            role=Role.parse(row["role"]) if row["role"] else None,
        )

    async def pending_invitations(self, workspace_id: str, now: datetime) -> list[Invitation]:
        """Invitations sent and neither accepted, revoked nor expired, newest first."""
        rows = await self._conn.fetch(
            "SELECT id, email, role, created_at, expires_at FROM accounts.auth_links WHERE workspace_id = $1"
            " AND purpose = 'invitation' AND used_at IS NULL AND expires_at > $2 ORDER BY created_at DESC, id",
            workspace_id,
            now,
        )
        return [_invitation(r) for r in rows]

    async def revoke_invitation(self, workspace_id: str, invitation_id: str, now: datetime) -> Invitation | None:
        """Delete a pending invitation (its link stops working); None when unknown, used or expired."""
        row = await self._conn.fetchrow(
            "DELETE FROM accounts.auth_links WHERE workspace_id = $1 AND id = $2 AND purpose = 'invitation'"
            " AND used_at IS NULL AND expires_at > $3 RETURNING id, email, role, created_at, expires_at",
            workspace_id,
            invitation_id,
            now,
        )
        return None if row is None else _invitation(row)

    # Sessions.

    async def create_session(
        self,
        secret_hash: bytes,
        workspace_id: str,
        member_id: str,
        now: datetime,
        expires_at: datetime,
        method: str,
        address: str,
        user_agent: str,
    ) -> Session:
        row = await self._conn.fetchrow(
            "INSERT INTO accounts.sessions (secret_hash, workspace_id, member_id, created_at, expires_at, method,"
            " address, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
            secret_hash,
            workspace_id,
            member_id,
            now,
            expires_at,
            method,
            address,
            user_agent,
        )
        return _session(row)

    async def live_session(self, secret_hash: bytes, now: datetime) -> tuple[Session, Role] | None:
        row = await self._conn.fetchrow(
            "SELECT s.*, m.role FROM accounts.sessions s JOIN accounts.members m ON m.id = s.member_id"
            " WHERE s.secret_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2",
            secret_hash,
            now,
        )
        return None if row is None else (_session(row), Role.parse(row["role"]))

    async def list_sessions(self, workspace_id: str, member_id: str, now: datetime) -> list[Session]:
        """A member's sessions still open (not revoked, not expired), newest first."""
        rows = await self._conn.fetch(
            "SELECT * FROM accounts.sessions WHERE workspace_id = $1 AND member_id = $2 AND revoked_at IS NULL"
            " AND expires_at > $3 ORDER BY created_at DESC, id",
            workspace_id,
            member_id,
            now,
        )
        return [_session(r) for r in rows]

    async def get_session(self, workspace_id: str, session_id: str) -> Session | None:
        row = await self._conn.fetchrow(
            "SELECT * FROM accounts.sessions WHERE workspace_id = $1 AND id = $2", workspace_id, session_id
        )
        return None if row is None else _session(row)

    async def revoke_session(self, workspace_id: str, session_id: str, now: datetime) -> Session | None:
        """Revoke (once: a second revocation keeps the first time)."""
        row = await self._conn.fetchrow(
            "UPDATE accounts.sessions SET revoked_at = coalesce(revoked_at, $3) WHERE workspace_id = $1 AND id = $2"
            " RETURNING *",
            workspace_id,
            session_id,
            now,
        )
        return None if row is None else _session(row)

    async def revoke_member_sessions(self, workspace_id: str, member_id: str, now: datetime) -> int:
        done = await self._conn.fetch(
            "UPDATE accounts.sessions SET revoked_at = $3 WHERE workspace_id = $1 AND member_id = $2"
            " AND revoked_at IS NULL AND expires_at > $3 RETURNING id",
            workspace_id,
            member_id,
            now,
        )
        return len(done)

    # Attempts (the rate limit).

    async def attempts(
        self, kind: str, email: str, address: str, since: datetime
    ) -> tuple[list[datetime], list[datetime]]:
        """The times of this kind's attempts since `since`, by the email and by the address, oldest first."""
        rows = await self._conn.fetch(
            "SELECT at, email = $2 AS by_email, address = $3 AS by_address FROM accounts.sign_in_attempts"
            " WHERE kind = $1 AND (email = $2 OR address = $3) AND at > $4 ORDER BY at",
            kind,
            email,
            address,
            since,
        )
        return [r["at"] for r in rows if r["by_email"]], [r["at"] for r in rows if r["by_address"]]

    async def record_attempt(self, kind: str, email: str, address: str, now: datetime, forget_before: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO accounts.sign_in_attempts (kind, email, address, at) VALUES ($1, $2, $3, $4)",
            kind,
            email,
            address,
            now,
        )
        await self._conn.execute(
            "DELETE FROM accounts.sign_in_attempts WHERE (email = $1 OR address = $2) AND at <= $3",
            email,
            address,
            forget_before,
        )
