"""SQL of LinkedIn accounts and their health (DESIGN A1-A3).

Part of the repository layer beside `repository.py`, as the scheduler's `BounceTx(tx)`: every query runs on the
connection of a `Tx`, so a health change and the outbox rows it enqueues commit together."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from services.accounts.domain import LinkedInAccount
from services.accounts.repository import LINKEDIN_SELECT, Tx, linkedin_account_row, refusing_duplicates


class LinkedInTx:
    """LinkedIn accounts: their rows, their health state and the grace-period claims."""

    def __init__(self, tx: Tx):
        self._tx = tx
        self._conn = tx.conn

    async def insert_linkedin_account(
        self, workspace_id: str, unipile_account_id: str, name: str, timezone: str, now: datetime
    ) -> str:
        async with refusing_duplicates():
            account_id = await self._conn.fetchval(
                "INSERT INTO accounts.linkedin_accounts (workspace_id, unipile_account_id, name, timezone,"
                " status_since, created_at) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                workspace_id,
                unipile_account_id,
                name,
                timezone,
                now,
            )
        return str(account_id)

    async def list_linkedin_accounts(self, workspace_id: str) -> list[LinkedInAccount]:
        rows = await self._conn.fetch(
            f"{LINKEDIN_SELECT} WHERE s.workspace_id = $1 ORDER BY s.created_at, s.id", workspace_id
        )
        return [linkedin_account_row(r) for r in rows]

    async def unipile_account_of(self, account_id: str) -> str | None:
        return await self._conn.fetchval(
            "SELECT unipile_account_id FROM accounts.linkedin_accounts WHERE id = $1", account_id
        )

    async def linkedin_account_by_unipile(self, unipile_account_id: str) -> str | None:
        """Our id of the LinkedIn account connected as this Unipile account (any workspace)."""
        found = await self._conn.fetchval(
            "SELECT id FROM accounts.linkedin_accounts WHERE unipile_account_id = $1", unipile_account_id
        )
        return None if found is None else str(found)

    async def degraded_before(self, instant: datetime, limit: int) -> list[str]:
        """Accounts degraded since before the instant (their grace period is over), oldest first."""
        rows = await self._conn.fetch(
            "SELECT id FROM accounts.linkedin_accounts WHERE status = 'degraded' AND status_since <= $1"
            " ORDER BY status_since LIMIT $2",
            instant,
            limit,
        )
        return [str(r["id"]) for r in rows]

    async def insert_connect_link(
        self, token_sha256: bytes, workspace_id: str, name: str, timezone: str, now: datetime, expires_at: datetime
    ) -> None:
        async with refusing_duplicates():
            await self._conn.execute(
                "INSERT INTO accounts.linkedin_connect_links (token_sha256, workspace_id, name, timezone, created_at,"
                " expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                token_sha256,
                workspace_id,
                name,
                timezone,
                now,
                expires_at,
            )

    async def find_connect_link(self, token_sha256: bytes) -> asyncpg.Record | None:
        """Read without a lock: completing a link reads Unipile, and no row lock is held across that call."""
        return await self._conn.fetchrow(
            "SELECT workspace_id, name, timezone, expires_at, account_id FROM accounts.linkedin_connect_links"
            " WHERE token_sha256 = $1",
            token_sha256,
        )

    async def set_connect_link_account(self, token_sha256: bytes, account_id: str) -> None:
        await self._conn.execute(
            "UPDATE accounts.linkedin_connect_links SET account_id = $2 WHERE token_sha256 = $1 AND account_id IS NULL",
            token_sha256,
            account_id,
        )

    async def claim_rechecks(self, now: datetime, interval: timedelta, limit: int) -> list[str]:
        """Accounts not OK whose re-read is due, locked SKIP LOCKED, their next re-read set now (interval +-25 %,
        jittered per account and round so replicas and accounts spread out)."""
        rows = await self._conn.fetch(
            """WITH due AS (
                   SELECT id FROM accounts.linkedin_accounts
                    WHERE status IN ('disconnected', 'degraded') AND next_recheck_at <= $1
                    ORDER BY next_recheck_at LIMIT $3 FOR UPDATE SKIP LOCKED)
               UPDATE accounts.linkedin_accounts a
                  SET next_recheck_at = $1 + $2::interval * (0.75 + 0.5 * random())
                 FROM due WHERE a.id = due.id RETURNING a.id""",
            now,
            interval,
            limit,
        )
        return [str(r["id"]) for r in rows]

    async def find_linkedin_account(self, account_id: str, workspace_id: str | None = None) -> LinkedInAccount | None:
        """An account read without a lock (any workspace when None): what a decision asks Unipile about before it
        locks the row and checks the account is still at this version."""
        row = await self._conn.fetchrow(
            f"{LINKEDIN_SELECT} WHERE s.id = $1 AND ($2::uuid IS NULL OR s.workspace_id = $2::uuid)",
            account_id,
            workspace_id,
        )
        return None if row is None else linkedin_account_row(row)

    async def lock_linkedin_account(self, account_id: str, workspace_id: str | None = None) -> LinkedInAccount | None:
        """Lock an account's row (its health changes one at a time) and read it; any workspace when None."""
        found = await self._conn.fetchval(
            "SELECT workspace_id FROM accounts.linkedin_accounts WHERE id = $1"
            " AND ($2::uuid IS NULL OR workspace_id = $2::uuid) FOR UPDATE",
            account_id,
            workspace_id,
        )
        if found is None:
            return None
        return await self._tx.get_linkedin_account(str(found), account_id)

    async def claim_degraded(self, account_id: str, degraded_before: datetime) -> LinkedInAccount | None:
        """Claim an account still degraded since before the instant, unless another replica holds it."""
        found = await self._conn.fetchval(
            "SELECT workspace_id FROM accounts.linkedin_accounts WHERE id = $1 AND status = 'degraded'"
            " AND status_since <= $2 FOR UPDATE SKIP LOCKED",
            account_id,
            degraded_before,
        )
        if found is None:
            return None
        return await self._tx.get_linkedin_account(str(found), account_id)

    async def set_linkedin_health(
        self,
        account_id: str,
        status: str,
        detail: str,
        restriction_kind: str | None,
        restriction_verified: bool,
        now: datetime,
        sequence: int,
        event_id: str,
    ) -> int:
        """Write a health change (status_since moves only when the status does); returns the new version."""
        return await self._conn.fetchval(
            """UPDATE accounts.linkedin_accounts
                  SET status_since = CASE WHEN status = $2 THEN status_since ELSE $6 END, status = $2,
                      status_detail = $3, restriction_kind = $4, restriction_verified = $5, version = version + 1,
                      health_sequence = $7, health_event_id = $8
                WHERE id = $1 RETURNING version""",
            account_id,
            status,
            detail,
            restriction_kind,
            restriction_verified,
            now,
            sequence,
            event_id,
        )
