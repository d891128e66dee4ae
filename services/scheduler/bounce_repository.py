"""SQL of the bounce ledger and of each inbox's bounce-rate state (schema scheduler, migration 006).

Part of the repository layer, in its own module beside `repository.py`: every query runs on the connection of
a `Tx`, so bounces, the prospect they stop and the signal they raise commit together."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.scheduler.repository import Tx

# Attempts whose email left: the denominator of the bounce rate, and the only ones that can bounce.
SENT = ("succeeded", "reconciled_sent")


class BounceTx:
    def __init__(self, tx: Tx):
        self._conn: asyncpg.Connection = tx.conn

    async def inbox_domains(self, inbox_id: str) -> list[str]:
        """The domain of the inbox's address: the Message-IDs of its emails end with it."""
        address = await self._conn.fetchval("SELECT email FROM scheduler.sender_states WHERE sender_id = $1", inbox_id)
        return [address.rpartition("@")[2]] if address and "@" in address else []

    async def sent_to(self, attempt_id: str, inbox_id: str) -> str | None:
        """The address an email this inbox sent went to; None when the attempt is no sent email of this inbox."""
        return await self._conn.fetchval(
            """SELECT p.email FROM scheduler.send_attempts a
                 JOIN scheduler.prospect_plans p ON p.prospect_id = a.prospect_id
                WHERE a.id = $1 AND a.sender_id = $2 AND a.channel = 'email' AND a.status = ANY($3::text[])""",
            attempt_id,
            inbox_id,
            list(SENT),
        )

    async def record_bounce(
        self,
        attempt_id: str,
        inbox_id: str,
        recipient: str,
        status: str,
        diagnostic: str,
        received_at: datetime,
        now: datetime,
    ) -> str | None:
        """Record a hard bounce of an email the inbox sent; returns the prospect's id the first time, None for
        a bounce seen before or one of no email this inbox sent (another inbox's, a LinkedIn action...)."""
        row = await self._conn.fetchrow(
            """INSERT INTO scheduler.bounces (attempt_id, sender_id, recipient, status, diagnostic, received_at,
                                               recorded_at)
               SELECT a.id, a.sender_id, $3, $4, $5, $6, $7 FROM scheduler.send_attempts a
                WHERE a.id = $1 AND a.sender_id = $2 AND a.channel = 'email' AND a.status = ANY($8::text[])
               ON CONFLICT (attempt_id) DO NOTHING
               RETURNING (SELECT prospect_id FROM scheduler.send_attempts WHERE id = $1) AS prospect_id""",
            attempt_id,
            inbox_id,
            recipient[:320],
            status[:20],
            diagnostic[:500],
            received_at,
            now,
            list(SENT),
        )
        return str(row["prospect_id"]) if row else None

    async def stop_prospect(self, prospect_id: str, reason: str, now: datetime) -> bool:
        """S10: the address is invalid, the prospect gets nothing more (like a refusal for this prospect). A
        prospect already done or stopped keeps its state."""
        return (
            await self._conn.fetchval(
                """UPDATE scheduler.prospect_plans SET state = 'stopped', channel = NULL, action_type = NULL,
                      sender_id = NULL, due_at = NULL, next_action_at = NULL, stop_reason = $2, updated_at = $3
                WHERE prospect_id = $1 AND state NOT IN ('done', 'stopped') RETURNING true""",
                prospect_id,
                reason,
                now,
            )
            is not None
        )

    async def lock_states(self, sender_ids: Sequence[str]) -> list[asyncpg.Record]:
        return await self._conn.fetch(
            """SELECT sender_id, bounce_alert, bounce_window_start FROM scheduler.sender_states
                WHERE sender_id = ANY($1::uuid[]) AND sender_kind = 'inbox' ORDER BY sender_id FOR UPDATE""",
            list(sender_ids),
        )

    async def claim_evaluations(
        self, evaluated_before: datetime, bounced_after: datetime, limit: int
    ) -> list[asyncpg.Record]:
        """Inboxes whose bounce rate may have changed with time alone: those in alert, and those with a bounce
        recent enough to matter. Skips rows another replica holds."""
        return await self._conn.fetch(
            """SELECT s.sender_id, s.bounce_alert, s.bounce_window_start FROM scheduler.sender_states s
                WHERE s.sender_kind = 'inbox' AND s.bounce_evaluated_at <= $1
                  AND (s.bounce_alert OR EXISTS (SELECT 1 FROM scheduler.bounces b
                                                  WHERE b.sender_id = s.sender_id AND b.received_at > $2))
                ORDER BY s.bounce_evaluated_at LIMIT $3 FOR UPDATE OF s SKIP LOCKED""",
            evaluated_before,
            bounced_after,
            limit,
        )

    async def counts(
        self, sender_ids: Sequence[str], window_start: datetime, now: datetime
    ) -> dict[str, tuple[int, int]]:
        """Per inbox, (emails sent, of which bounced) over (window_start, now], none before its
        bounce_window_start."""
        rows = await self._conn.fetch(
            """SELECT a.sender_id, count(*) AS sent, count(b.attempt_id) AS bounced
                 FROM scheduler.send_attempts a
                 JOIN scheduler.sender_states s ON s.sender_id = a.sender_id
                 LEFT JOIN scheduler.bounces b ON b.attempt_id = a.id
                WHERE a.sender_id = ANY($1::uuid[]) AND a.channel = 'email' AND a.status = ANY($4::text[])
                  AND a.finished_at > $2 AND a.finished_at >= s.bounce_window_start AND a.finished_at <= $3
                GROUP BY a.sender_id""",
            list(sender_ids),
            window_start,
            now,
            list(SENT),
        )
        return {str(r["sender_id"]): (int(r["sent"]), int(r["bounced"])) for r in rows}

    async def save_states(self, rows: Sequence[tuple[str, bool, float, int, bool]], now: datetime) -> None:
        """rows: (sender_id, alert, rate, sample, changed)."""
        await self._conn.executemany(
            """UPDATE scheduler.sender_states SET bounce_alert = $2, bounce_rate = $3, bounce_sample = $4,
                   bounce_evaluated_at = $6,
                   bounce_alert_changed_at = CASE WHEN $5 THEN $6 ELSE bounce_alert_changed_at END
                WHERE sender_id = $1""",
            [(*r, now) for r in rows],
        )

    async def restart_sample(self, sender_ids: Sequence[str], now: datetime) -> list[str]:
        """Emails sent before now no longer count for these inboxes (a member resumed: the cause is fixed)."""
        rows = await self._conn.fetch(
            """UPDATE scheduler.sender_states SET bounce_window_start = $2
                WHERE sender_id = ANY($1::uuid[]) AND sender_kind = 'inbox' RETURNING sender_id""",
            list(sender_ids),
            now,
        )
        return [str(r["sender_id"]) for r in rows]
