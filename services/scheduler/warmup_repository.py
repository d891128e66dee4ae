"""SQL of the warm-up feeder: each warm-up campaign's queue, its pool of recipient inboxes and what it sent.

Part of the repository layer, beside `repository.py` (like `bounce_repository.py`): every query runs on the
connection of a `Tx`, so the state read and the emails queued from it commit together."""

from __future__ import annotations

import asyncpg

from services.scheduler.repository import Tx

# One replica feeds at a time (DESIGN §1: work done once is claimed in Postgres, never with a flag).
_FEED_LOCK = "scheduler.warmup_feed"

# Per warm-up campaign: its inbox, the emails still queued, all it was ever fed, and the workspace's other inboxes
# (the recipients), by address.
_STATE = """
SELECT c.campaign_id, c.inbox_ids[1] AS inbox_id,
       (SELECT count(*) FROM scheduler.prospect_plans p
         WHERE p.campaign_id = c.campaign_id AND p.state IN ('scheduled', 'in_flight')) AS queued,
       (SELECT count(*) FROM scheduler.prospect_plans p WHERE p.campaign_id = c.campaign_id) AS fed,
       ARRAY(SELECT o.email FROM scheduler.sender_states o
              WHERE o.sender_kind = 'inbox' AND o.workspace_id = c.workspace_id AND o.email <> ''
                AND o.sender_id <> c.inbox_ids[1] ORDER BY o.email) AS pool
  FROM scheduler.campaign_plans c
 WHERE c.warmup"""


class WarmupTx:
    def __init__(self, tx: Tx):
        self._conn: asyncpg.Connection = tx.conn

    async def take_feed_turn(self) -> bool:
        """This transaction's turn to feed, unless another replica is feeding now (then False)."""
        return bool(await self._conn.fetchval("SELECT pg_try_advisory_xact_lock(hashtext($1))", _FEED_LOCK))

    async def feedable(self, campaign_id: str | None) -> list[asyncpg.Record]:
        """The state of every active warm-up (or only `campaign_id`) that no hold stops from sending email."""
        return list(
            await self._conn.fetch(
                _STATE
                + """ AND c.active AND ($1::uuid IS NULL OR c.campaign_id = $1) AND NOT EXISTS (
                SELECT 1 FROM scheduler.campaign_holds h
                 WHERE h.campaign_id = c.campaign_id AND h.held_scopes && ARRAY['campaign', 'email'])""",
                campaign_id,
            )
        )

    async def state(self, campaign_id: str) -> asyncpg.Record | None:
        """One warm-up campaign's state, active or not; None if it is no warm-up (or unknown)."""
        row: asyncpg.Record | None = await self._conn.fetchrow(_STATE + " AND c.campaign_id = $1", campaign_id)
        return row

    async def sent_total(self, campaign_id: str) -> int:
        return int(
            await self._conn.fetchval(
                "SELECT count(*) FROM scheduler.send_attempts WHERE campaign_id = $1"
                " AND status IN ('succeeded', 'reconciled_sent')",
                campaign_id,
            )
        )
