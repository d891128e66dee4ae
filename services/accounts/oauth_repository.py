"""SQL of OAuth inboxes (DESIGN A4): pending authorization requests, refresh tokens and cached access tokens.

Part of the repository layer beside `repository.py`: every query runs on the connection of a `Tx`."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.accounts.repository import Tx


class OAuthTx:
    """OAuth state of inboxes."""

    def __init__(self, tx: Tx):
        self._tx = tx
        self._conn = tx.conn

    async def insert_oauth_state(
        self,
        state_hash: bytes,
        inbox_id: str,
        workspace_id: str,
        provider: str,
        redirect_uri: str,
        code_verifier: bytes,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        await self._conn.execute("DELETE FROM accounts.oauth_states WHERE expires_at <= $1", now)
        await self._conn.execute(
            "INSERT INTO accounts.oauth_states (state_hash, inbox_id, workspace_id, provider, redirect_uri,"
            " code_verifier, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            state_hash,
            inbox_id,
            workspace_id,
            provider,
            redirect_uri,
            code_verifier,
            now,
            expires_at,
        )

    async def take_oauth_state(self, state_hash: bytes) -> asyncpg.Record | None:
        """Remove and return a pending authorization request (single use), expired or not."""
        return await self._conn.fetchrow(
            "DELETE FROM accounts.oauth_states WHERE state_hash = $1"
            " RETURNING inbox_id::text, workspace_id::text, provider, redirect_uri, code_verifier, expires_at",
            state_hash,
        )

    async def set_inbox_oauth(
        self, inbox_id: str, auth_kind: str, refresh_token: bytes, now: datetime, interval_s: float
    ) -> None:
        """Store a refresh token that just worked: the probe counters start over, the next probe an interval away."""
        await self._conn.execute(
            """UPDATE accounts.inboxes
                  SET auth_kind = $2, oauth_refresh_token = $3,
                      oauth_access_token = NULL, oauth_access_expires_at = NULL, sender_refused = false,
                      auth_failures = 0, network_failing_since = NULL, last_probe_error = '',
                      last_probe_at = $4::timestamptz,
                      next_probe_at = $4::timestamptz + make_interval(secs => $5 * (0.8 + 0.4 * random()))
                WHERE id = $1""",
            inbox_id,
            auth_kind,
            refresh_token,
            now,
            interval_s,
        )

    async def claim_due_oauth_inboxes(
        self, now: datetime, interval_s: float, limit: int
    ) -> list[tuple[str, str, str, bytes]]:
        """Like claim_due_inboxes, for OAuth inboxes: (id, workspace id, auth kind, encrypted refresh token)."""
        rows = await self._conn.fetch(
            """UPDATE accounts.inboxes i
                  SET next_probe_at = $1::timestamptz + make_interval(secs => $2 * (0.8 + 0.4 * random())),
                      last_probe_at = $1
                WHERE i.id IN (SELECT id FROM accounts.inboxes
                                WHERE auth_kind <> 'password' AND (next_probe_at IS NULL OR next_probe_at <= $1)
                                ORDER BY next_probe_at NULLS FIRST, id LIMIT $3 FOR UPDATE SKIP LOCKED)
            RETURNING i.id::text, i.workspace_id::text, i.auth_kind, i.oauth_refresh_token""",
            now,
            interval_s,
            limit,
        )
        return [(r["id"], r["workspace_id"], r["auth_kind"], r["oauth_refresh_token"]) for r in rows]

    async def lock_inbox_oauth(self, inbox_id: str) -> asyncpg.Record | None:
        """Lock an inbox's row and read its probe counters and refresh token."""
        return await self._conn.fetchrow(
            "SELECT status, auth_failures, network_failing_since, auth_kind, oauth_refresh_token, sender_refused"
            " FROM accounts.inboxes WHERE id = $1 FOR UPDATE",
            inbox_id,
        )

    async def replace_oauth_refresh_token(self, inbox_id: str, refresh_token: bytes) -> None:
        await self._conn.execute(
            "UPDATE accounts.inboxes SET oauth_refresh_token = $2 WHERE id = $1", inbox_id, refresh_token
        )

    async def lock_oauth_access(self, inbox_id: str) -> asyncpg.Record | None:
        """Lock an inbox's row (its access token is refreshed once at a time) and read its encrypted refresh token
        and cached access token with the latter's expiry."""
        return await self._conn.fetchrow(
            "SELECT oauth_refresh_token, oauth_access_token, oauth_access_expires_at"
            " FROM accounts.inboxes WHERE id = $1 FOR UPDATE",
            inbox_id,
        )

    async def store_oauth_access(
        self, inbox_id: str, access_token: bytes, expires_at: datetime, refresh_token: bytes | None
    ) -> None:
        """Cache a fresh (encrypted) access token; a new refresh token (Microsoft rotates them) replaces the old."""
        await self._conn.execute(
            "UPDATE accounts.inboxes SET oauth_access_token = $2, oauth_access_expires_at = $3,"
            " oauth_refresh_token = COALESCE($4, oauth_refresh_token) WHERE id = $1",
            inbox_id,
            access_token,
            expires_at,
            refresh_token,
        )

    async def forget_oauth_access(self, inbox_id: str) -> None:
        await self._conn.execute(
            "UPDATE accounts.inboxes SET oauth_access_token = NULL, oauth_access_expires_at = NULL WHERE id = $1",
            inbox_id,
        )

    async def oauth_access(self, inbox_id: str) -> asyncpg.Record | None:
        """An inbox's cached (encrypted) OAuth access token and its expiry, read without a lock."""
        return await self._conn.fetchrow(
            "SELECT oauth_access_token, oauth_access_expires_at FROM accounts.inboxes WHERE id = $1", inbox_id
        )
