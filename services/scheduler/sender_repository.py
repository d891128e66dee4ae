"""SQL of the scheduler's copy of each sender (scheduler.sender_states and sender_limits): its state and limits as
accounts sends them, the blocks and waits a provider's answers put on it, and the LinkedIn relations polls it is
due. Mixed into the repository's `Tx`."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg

from services.scheduler.domain import Limits, Sender
from services.scheduler.plan_rows_repository import limits_from_rows, sender_from_row


class SenderTx:
    conn: asyncpg.Connection

    async def set_sender(
        self,
        kind: str,
        sender_id: str,
        version: int,
        status: str,
        timezone: str,
        workspace_id: str | None,
        unipile_account_id: str,
        email: str,
        limits: dict[str, Limits],
        now: datetime,
        *,
        credentials_renewed: bool = False,
    ) -> bool:
        current = await self.conn.fetchrow(
            "SELECT version, status FROM scheduler.sender_states WHERE sender_id = $1 FOR UPDATE", sender_id
        )
        if current is not None and current["version"] >= version:
            return False
        if status == "connected" and current is not None and (credentials_renewed or current["status"] != "connected"):
            # T8: new credentials (or a sender back from disconnected) lift every block a provider's refusal of
            # the old ones left, in the transaction that records the new state; the prospects those refusals
            # put back are due already, so the next round sends.
            await self.conn.execute(
                "UPDATE scheduler.sender_states SET next_send_after = least(next_send_after, $2), provider_block = ''"
                " WHERE sender_id = $1 AND provider_block <> ''",
                sender_id,
                now,
            )
        await self.conn.execute(
            """INSERT INTO scheduler.sender_states (sender_kind, sender_id, version, status, timezone, updated_at,
                   workspace_id, unipile_account_id, email)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT (sender_kind, sender_id) DO UPDATE SET version = $3, status = $4, timezone = $5,
                   updated_at = $6, workspace_id = $7, unipile_account_id = $8, email = $9""",
            kind,
            sender_id,
            version,
            status,
            timezone,
            now,
            workspace_id,
            unipile_account_id,
            email,
        )
        if limits:
            await self.conn.execute("DELETE FROM scheduler.sender_limits WHERE sender_id = $1", sender_id)
            await self.conn.executemany(
                "INSERT INTO scheduler.sender_limits VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                [
                    (
                        sender_id,
                        action,
                        lim.daily_cap,
                        lim.weekly_cap,
                        lim.ramp_start,
                        lim.ramp_step,
                        lim.pacing_min_seconds,
                        lim.pacing_max_seconds,
                    )
                    for action, lim in limits.items()
                ],
            )
        return True

    async def senders(self, sender_ids: Sequence[str]) -> dict[str, Sender]:
        rows = await self.conn.fetch(
            "SELECT * FROM scheduler.sender_states WHERE sender_id = ANY($1::uuid[])", list(sender_ids)
        )
        limits = limits_from_rows(
            await self.conn.fetch(
                "SELECT * FROM scheduler.sender_limits WHERE sender_id = ANY($1::uuid[])", list(sender_ids)
            )
        )
        return {str(r["sender_id"]): sender_from_row(r, limits.get(str(r["sender_id"]), {})) for r in rows}

    async def lock_senders(self, sender_ids: Sequence[str]) -> None:
        """Lock these senders' rows in id order, so transactions that each touch several senders cannot
        deadlock."""
        await self.conn.execute(
            """SELECT 1 FROM scheduler.sender_states WHERE sender_id = ANY($1::uuid[])
                ORDER BY sender_id FOR UPDATE""",
            list(sender_ids),
        )

    async def block_sender(self, sender_id: str, status: str, until: datetime) -> None:
        """A provider said the account cannot send: stop claiming for it at once, for a while. Accounts,
        told through the outbox, decides the account's real status; if it finds the account fine, sending
        simply resumes after the block instead of waiting for a change that may never come."""
        await self.conn.execute(
            "UPDATE scheduler.sender_states SET next_send_after = greatest(next_send_after, $3), provider_block = $2"
            " WHERE sender_id = $1",
            sender_id,
            status,
            until,
        )

    async def defer_sender(self, sender_id: str, until: datetime, reason: str = "") -> None:
        """The sender waits until `until`; `reason` (the provider's word) is what why-not-now shows meanwhile."""
        await self.conn.execute(
            "UPDATE scheduler.sender_states SET next_send_after = greatest(next_send_after, $2),"
            " provider_block = CASE WHEN $3 = '' THEN provider_block ELSE $3 END WHERE sender_id = $1",
            sender_id,
            until,
            reason,
        )

    async def record_invite_usage(self, sender_id: str, usage: int, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE scheduler.sender_states SET invite_usage = $2, invite_usage_at = $3 WHERE sender_id = $1",
            sender_id,
            max(0, min(usage, 100)),
            now,
        )

    async def claim_relation_polls(
        self, now: datetime, limit: int, interval_s: float, seed: str
    ) -> list[tuple[str, str, set[str]]]:
        """LinkedIn senders due a relations poll that have prospects waiting for acceptance, with those
        prospects' provider ids. Their next poll is set (jittered) before anyone reads Unipile, so replicas
        do not poll the same account twice."""
        rows = await self.conn.fetch(
            """SELECT s.sender_id, s.unipile_account_id FROM scheduler.sender_states s
                WHERE s.sender_kind = 'linkedin_account' AND s.status IN ('connected', 'degraded')
                  AND s.next_relations_poll_at <= $1
                  AND EXISTS (SELECT 1 FROM scheduler.prospect_plans p
                               WHERE p.linkedin_sender_id = s.sender_id AND p.state = 'waiting_acceptance')
                ORDER BY s.next_relations_poll_at LIMIT $2 FOR UPDATE OF s SKIP LOCKED""",
            now,
            limit,
        )
        out = []
        for r in rows:
            jitter = 0.75 + 0.5 * random.Random(f"{seed}:{r['sender_id']}").random()
            await self.conn.execute(
                "UPDATE scheduler.sender_states SET next_relations_poll_at = $2 WHERE sender_id = $1",
                r["sender_id"],
                now + timedelta(seconds=interval_s * jitter),
            )
            waiting = await self.conn.fetch(
                "SELECT linkedin_provider_id FROM scheduler.prospect_plans WHERE linkedin_sender_id = $1"
                " AND state = 'waiting_acceptance'",
                r["sender_id"],
            )
            out.append((str(r["sender_id"]), r["unipile_account_id"], {w[0] for w in waiting if w[0]}))
        return out
