"""SQL shared by the health of every sender and subscription: the global change sequence, the history, the
failure reports of sends and the reconciliation feed campaigns reads (ListHealthEvents).

Part of the repository layer beside `repository.py`: every query runs on the connection of a `Tx`."""

from __future__ import annotations

from datetime import datetime

from services.accounts.health_domain import HealthEvent, SenderHealthEvent, SubscriptionHealthEvent
from services.accounts.repository import Tx


class HealthTx:
    """The change sequence, history rows and failure reports."""

    def __init__(self, tx: Tx):
        self._tx = tx
        self._conn = tx.conn

    async def next_health_sequence(self) -> int:
        """The next number of the global change sequence. The row stays locked until commit, so numbers are
        handed out in commit order (see migration 003)."""
        return await self._conn.fetchval("UPDATE accounts.health_sequence SET value = value + 1 RETURNING value")

    async def add_health_history(
        self,
        kind: str,
        sender_id: str,
        status: str,
        detail: str,
        source: str,
        actor: str,
        restriction_kind: str | None,
        version: int,
        at: datetime,
    ) -> None:
        await self._conn.execute(
            "INSERT INTO accounts.health_history (sender_kind, sender_id, status, detail, source, actor,"
            " restriction_kind, version, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            kind,
            sender_id,
            status,
            detail,
            source,
            actor[:200],
            restriction_kind,
            version,
            at,
        )

    async def claim_failure_report(self, attempt_id: str, sender_id: str, status: str, now: datetime) -> bool | None:
        """Record a failure report by its attempt id: None if it is new, else what the first report changed.
        A concurrent report of the same attempt waits here until the first one commits."""
        inserted = await self._conn.fetchval(
            "INSERT INTO accounts.account_failure_reports (attempt_id, sender_id, status, changed, received_at)"
            " VALUES ($1, $2, $3, false, $4) ON CONFLICT (attempt_id) DO NOTHING RETURNING true",
            attempt_id,
            sender_id,
            status,
            now,
        )
        if inserted:
            return None
        return await self._conn.fetchval(
            "SELECT changed FROM accounts.account_failure_reports WHERE attempt_id = $1", attempt_id
        )

    async def failure_report_of(self, attempt_id: str) -> bool | None:
        """What an earlier report of this attempt changed; None when there is none (read without waiting)."""
        return await self._conn.fetchval(
            "SELECT changed FROM accounts.account_failure_reports WHERE attempt_id = $1", attempt_id
        )

    async def set_failure_report_changed(self, attempt_id: str, changed: bool) -> None:
        await self._conn.execute(
            "UPDATE accounts.account_failure_reports SET changed = $2 WHERE attempt_id = $1", attempt_id, changed
        )

    async def health_after(self, after_sequence: int, limit: int) -> list[tuple[int, HealthEvent]]:
        """The current health of every sender and subscription changed after the sequence number, in order."""
        rows = await self._conn.fetch(
            """SELECT * FROM (
                 SELECT 'linkedin_account' AS kind, id, workspace_id, version, status_since AS at, status,
                        restriction_kind, restriction_verified, status_detail, health_sequence, health_event_id
                   FROM accounts.linkedin_accounts WHERE health_sequence > $1
                 UNION ALL
                 SELECT 'inbox', id, workspace_id, version, status_since, status, NULL, false, status_detail,
                        health_sequence, health_event_id
                   FROM accounts.inboxes WHERE health_sequence > $1
                 UNION ALL
                 SELECT 'workspace', id, id, subscription_version, subscription_since, subscription_status, NULL,
                        false, '', health_sequence, health_event_id
                   FROM accounts.workspaces WHERE health_sequence > $1) changed
               ORDER BY health_sequence LIMIT $2""",
            after_sequence,
            limit,
        )
        found: list[tuple[int, HealthEvent]] = []
        for r in rows:
            event: HealthEvent
            if r["kind"] == "workspace":
                event = SubscriptionHealthEvent(
                    event_id=str(r["health_event_id"]),
                    workspace_id=str(r["workspace_id"]),
                    version=r["version"],
                    occurred_at=r["at"],
                    status=r["status"],
                )
            else:
                event = SenderHealthEvent(
                    event_id=str(r["health_event_id"]),
                    workspace_id=str(r["workspace_id"]),
                    version=r["version"],
                    occurred_at=r["at"],
                    sender_kind=r["kind"],
                    sender_id=str(r["id"]),
                    status=r["status"],
                    restriction_kind=r["restriction_kind"],
                    restriction_verified=r["restriction_verified"],
                    detail=r["status_detail"],
                )
            found.append((r["health_sequence"], event))
        return found
