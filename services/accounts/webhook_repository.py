"""SQL of outbound webhooks: endpoints, events and their deliveries (services/accounts/webhook_domain.py).

Part of the repository layer beside `repository.py`: every query runs on the connection of a `Tx`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

from services.accounts.repository import Tx
from services.accounts.webhook_domain import Delivery, Endpoint


def _endpoint(row: asyncpg.Record) -> Endpoint:
    return Endpoint(
        id=str(row["id"]),
        workspace_id=str(row["workspace_id"]),
        url=row["url"],
        events=tuple(row["events"]),
        enabled=row["enabled"],
        disabled_reason=row["disabled_reason"],
        created_at=row["created_at"],
    )


def _delivery(row: asyncpg.Record) -> Delivery:
    return Delivery(
        id=str(row["id"]),
        endpoint_id=str(row["endpoint_id"]),
        event_id=str(row["event_id"]),
        event_type=row["type"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        delivered_at=row["delivered_at"],
        created_at=row["created_at"],
    )


class WebhookTx:
    def __init__(self, tx: Tx):
        self._conn = tx.conn

    async def create_endpoint(
        self, workspace_id: str, url: str, events: tuple[str, ...], secret: bytes, now: datetime
    ) -> Endpoint:
        row = await self._conn.fetchrow(
            "INSERT INTO accounts.webhook_endpoints (workspace_id, url, events, secret, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $5) RETURNING *",
            workspace_id,
            url,
            list(events),
            secret,
            now,
        )
        return _endpoint(row)

    async def list_endpoints(self, workspace_id: str) -> list[Endpoint]:
        rows = await self._conn.fetch(
            "SELECT * FROM accounts.webhook_endpoints WHERE workspace_id = $1 ORDER BY created_at, id", workspace_id
        )
        return [_endpoint(r) for r in rows]

    async def get_endpoint(self, workspace_id: str, endpoint_id: str) -> Endpoint | None:
        row = await self._conn.fetchrow(
            "SELECT * FROM accounts.webhook_endpoints WHERE workspace_id = $1 AND id = $2", workspace_id, endpoint_id
        )
        return None if row is None else _endpoint(row)

    async def update_endpoint(
        self,
        workspace_id: str,
        endpoint_id: str,
        *,
        url: str | None,
        events: tuple[str, ...] | None,
        enabled: bool | None,
        now: datetime,
    ) -> Endpoint | None:
        """Only the fields given change; enabling clears the reason it was disabled."""
        row = await self._conn.fetchrow(
            """UPDATE accounts.webhook_endpoints
                  SET url = coalesce($3, url), events = coalesce($4, events), enabled = coalesce($5, enabled),
                      disabled_reason = CASE WHEN $5 THEN '' ELSE disabled_reason END, updated_at = $6
                WHERE workspace_id = $1 AND id = $2 RETURNING *""",
            workspace_id,
            endpoint_id,
            url,
            None if events is None else list(events),
            enabled,
            now,
        )
        return None if row is None else _endpoint(row)

    async def set_secret(self, workspace_id: str, endpoint_id: str, secret: bytes, now: datetime) -> Endpoint | None:
        row = await self._conn.fetchrow(
            "UPDATE accounts.webhook_endpoints SET secret = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2"
            " RETURNING *",
            workspace_id,
            endpoint_id,
            secret,
            now,
        )
        return None if row is None else _endpoint(row)

    async def delete_endpoint(self, workspace_id: str, endpoint_id: str) -> Endpoint | None:
        row = await self._conn.fetchrow(
            "DELETE FROM accounts.webhook_endpoints WHERE workspace_id = $1 AND id = $2 RETURNING *",
            workspace_id,
            endpoint_id,
        )
        return None if row is None else _endpoint(row)

    async def disable_endpoint(self, endpoint_id: str, reason: str, now: datetime) -> tuple[str, str] | None:
        """Disable an enabled endpoint; its workspace and URL, or None if it was disabled already."""
        row = await self._conn.fetchrow(
            "UPDATE accounts.webhook_endpoints SET enabled = false, disabled_reason = $2, updated_at = $3"
            " WHERE id = $1 AND enabled RETURNING workspace_id, url",
            endpoint_id,
            reason,
            now,
        )
        return (str(row["workspace_id"]), row["url"]) if row else None

    async def record_event(
        self, event_id: str, workspace_id: str, type_: str, occurred_at: datetime, data: dict[str, Any], now: datetime
    ) -> int:
        """The event and a pending delivery to each enabled endpoint of the workspace that wants it; nothing if
        the event was recorded before. Returns the number of deliveries."""
        inserted = await self._conn.fetchval(
            "INSERT INTO accounts.webhook_events (id, workspace_id, type, occurred_at, data, created_at)"
            " SELECT $1, $2, $3, $4, $5::jsonb, $6 WHERE EXISTS (SELECT 1 FROM accounts.workspaces WHERE id = $2)"
            " ON CONFLICT (id) DO NOTHING RETURNING true",
            event_id,
            workspace_id,
            type_,
            occurred_at,
            json.dumps(data),
            now,
        )
        if not inserted:
            return 0
        status = await self._conn.execute(
            "INSERT INTO accounts.webhook_deliveries (endpoint_id, event_id, next_attempt_at, created_at)"
            " SELECT id, $1, $3, $3 FROM accounts.webhook_endpoints"
            " WHERE workspace_id = $2 AND enabled AND $4 = ANY (events)",
            event_id,
            workspace_id,
            now,
            type_,
        )
        return int(status.split()[-1])

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[asyncpg.Record]:
        """Due pending deliveries of enabled endpoints, each put off until `lease_until` so no other replica
        takes it while this one sends (no lock is held across the call)."""
        return await self._conn.fetch(
            """WITH due AS (
                 SELECT d.id FROM accounts.webhook_deliveries d
                   JOIN accounts.webhook_endpoints e ON e.id = d.endpoint_id
                  WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND e.enabled
                  ORDER BY d.next_attempt_at LIMIT $3 FOR UPDATE OF d SKIP LOCKED)
               UPDATE accounts.webhook_deliveries d SET next_attempt_at = $2 FROM due, accounts.webhook_events v,
                      accounts.webhook_endpoints e
                WHERE d.id = due.id AND v.id = d.event_id AND e.id = d.endpoint_id
            RETURNING d.id, d.endpoint_id, e.workspace_id, d.event_id, d.attempts, d.created_at, e.url, e.secret,
                      v.type, v.occurred_at, v.data""",
            now,
            lease_until,
            limit,
        )

    async def record_attempt(
        self,
        delivery_id: str,
        *,
        status: str,
        next_attempt_at: datetime | None,
        http_status: int | None,
        error: str,
        now: datetime,
    ) -> None:
        await self._conn.execute(
            """UPDATE accounts.webhook_deliveries
                  SET status = $2, next_attempt_at = $3, last_status = $4, last_error = $5, attempts = attempts + 1,
                      delivered_at = CASE WHEN $2 = 'delivered' THEN $6 ELSE delivered_at END
                WHERE id = $1""",
            delivery_id,
            status,
            next_attempt_at,
            http_status,
            error[:500],
            now,
        )

    async def list_deliveries(self, workspace_id: str, endpoint_id: str, limit: int) -> list[Delivery]:
        rows = await self._conn.fetch(
            """SELECT d.*, v.type FROM accounts.webhook_deliveries d
                 JOIN accounts.webhook_endpoints e ON e.id = d.endpoint_id
                 JOIN accounts.webhook_events v ON v.id = d.event_id
                WHERE e.workspace_id = $1 AND e.id = $2 ORDER BY d.created_at DESC, d.id LIMIT $3""",
            workspace_id,
            endpoint_id,
            limit,
        )
        return [_delivery(r) for r in rows]

    async def replay(self, workspace_id: str, endpoint_id: str, delivery_id: str, now: datetime) -> Delivery | None:
        """Send a delivery again (same webhook-id), whatever its state: due now."""
        row = await self._conn.fetchrow(
            """UPDATE accounts.webhook_deliveries d SET status = 'pending', next_attempt_at = $4
                 FROM accounts.webhook_endpoints e, accounts.webhook_events v
                WHERE d.id = $3 AND d.endpoint_id = $2 AND e.id = d.endpoint_id AND e.workspace_id = $1
                  AND v.id = d.event_id
            RETURNING d.*, v.type""",
            workspace_id,
            endpoint_id,
            delivery_id,
            now,
        )
        return None if row is None else _delivery(row)
