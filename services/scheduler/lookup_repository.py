"""SQL of the profile look-ups (issue 13, migration 008): prospects given by LinkedIn profile URL or public
identifier wait in state `resolving` until their sender has looked up the provider id an invite needs.

Part of the repository layer, beside `repository.py`: every query runs on the connection of a `Tx`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import asyncpg

from services.scheduler.repository import Tx


@dataclass(frozen=True, slots=True)
class Lookup:
    prospect_id: str
    campaign_id: str
    step_index: int
    sender_id: str
    unipile_account_id: str
    identifier: str


class LookupTx:
    def __init__(self, tx: Tx):
        self._conn: asyncpg.Connection = tx.conn

    async def claim(
        self, now: datetime, today: date, daily_cap: int, gap: timedelta, jitter: float, limit: int
    ) -> list[Lookup]:
        """Up to `limit` senders whose next look-up is due and whose daily cap is not reached, each with one
        resolving prospect of an active, unheld campaign. The senders are locked (SKIP LOCKED: replicas share
        the work) and their next look-up is moved on at once, so a look-up is paced even if it then fails."""
        rows = await self._conn.fetch(
            """WITH due AS (
                   SELECT s.sender_id, s.unipile_account_id FROM scheduler.sender_states s
                    WHERE s.sender_kind = 'linkedin_account' AND s.status IN ('connected', 'degraded')
                      AND s.next_lookup_at <= $1 AND s.next_send_after <= $1
                      AND (s.lookup_day IS DISTINCT FROM $2 OR s.lookups_on_day < $3)
                      AND EXISTS (SELECT 1 FROM scheduler.prospect_plans p
                                   WHERE p.linkedin_sender_id = s.sender_id AND p.state = 'resolving')
                    ORDER BY s.next_lookup_at LIMIT $4
                    FOR UPDATE OF s SKIP LOCKED)
               SELECT due.sender_id, due.unipile_account_id, p.prospect_id, p.campaign_id, p.step_index,
                      p.linkedin_public_identifier
                 FROM due CROSS JOIN LATERAL (
                      SELECT p.* FROM scheduler.prospect_plans p
                        JOIN scheduler.campaign_plans c ON c.campaign_id = p.campaign_id AND c.active
                        JOIN scheduler.campaign_holds h ON h.campaign_id = p.campaign_id
                       WHERE p.linkedin_sender_id = due.sender_id AND p.state = 'resolving'
                         AND NOT (h.held_scopes && ARRAY['campaign', 'linkedin'])
                       ORDER BY p.updated_at, p.prospect_id LIMIT 1
                       FOR UPDATE OF p SKIP LOCKED) p""",
            now,
            today,
            daily_cap,
            limit,
        )
        if rows:
            await self._conn.execute(
                """UPDATE scheduler.sender_states
                      SET next_lookup_at = $2,
                          lookups_on_day = CASE WHEN lookup_day = $3 THEN lookups_on_day + 1 ELSE 1 END,
                          lookup_day = $3
                    WHERE sender_id = ANY($1::uuid[])""",
                [r["sender_id"] for r in rows],
                now + gap * jitter,
                today,
            )
        return [
            Lookup(
                str(r["prospect_id"]),
                str(r["campaign_id"]),
                r["step_index"],
                str(r["sender_id"]),
                r["unipile_account_id"],
                r["linkedin_public_identifier"],
            )
            for r in rows
        ]

    async def resolved(self, prospect_id: str, provider_id: str, next_action_at: datetime, now: datetime) -> bool:
        """The prospect is planned from where it stands, its provider id known."""
        return bool(
            await self._conn.fetchval(
                """UPDATE scheduler.prospect_plans SET linkedin_provider_id = $2, state = 'scheduled', due_at = $4,
                   next_action_at = $3, stop_reason = '', updated_at = $4
                WHERE prospect_id = $1 AND state = 'resolving' RETURNING true""",
                prospect_id,
                provider_id,
                next_action_at,
                now,
            )
        )

    async def not_found(self, prospect_id: str, reason: str, now: datetime) -> bool:
        return bool(
            await self._conn.fetchval(
                """UPDATE scheduler.prospect_plans SET state = 'not_found', next_action_at = NULL, stop_reason = $2,
                   updated_at = $3
                WHERE prospect_id = $1 AND state = 'resolving' RETURNING true""",
                prospect_id,
                reason[:200],
                now,
            )
        )

    async def postpone(self, sender_id: str, until: datetime) -> None:
        await self._conn.execute(
            "UPDATE scheduler.sender_states SET next_lookup_at = greatest(next_lookup_at, $2) WHERE sender_id = $1",
            sender_id,
            until,
        )
