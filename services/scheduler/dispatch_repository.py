"""SQL of a dispatch: the claim of due actions through the senders' ready queue (B11), and the send attempts
recorded before a provider is called and settled after. Mixed into the repository's `Tx`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import asyncpg

from services.common.attempts import Attempt
from services.scheduler.domain import Sender
from services.scheduler.plan_rows_repository import (
    PlanRow,
    attempt_row,
    limits_from_rows,
    plan_row,
    sender_from_row,
)

# A sender the ready queue named with nothing to claim moves on to its earliest claimable action (or never), unless
# a plan, hold or campaign write touched its row since the walk read it (its version moved: that writer lowered
# due_at, or is lowering it; a row it holds locked is skipped). $1: the idle senders, $2: their versions read.
_REQUEUE = """
    UPDATE scheduler.sender_due q SET due_at = coalesce((
        SELECT min(p.next_action_at) FROM scheduler.prospect_plans p
          JOIN scheduler.campaign_plans c ON c.campaign_id = p.campaign_id AND c.active
          JOIN scheduler.campaign_holds h ON h.campaign_id = p.campaign_id
         WHERE p.sender_id = q.sender_id AND p.state = 'scheduled'
           AND NOT (h.held_scopes && ARRAY['campaign', p.channel])), 'infinity')
      FROM (SELECT q.sender_id FROM unnest($1::uuid[], $2::bigint[]) AS t(sender_id, version)
              JOIN scheduler.sender_due q ON q.sender_id = t.sender_id AND q.version = t.version
             ORDER BY q.sender_id FOR UPDATE OF q SKIP LOCKED) idle
     WHERE q.sender_id = idle.sender_id
    RETURNING q.sender_id"""
# Walks of the ready queue per claim: each corrects the senders it found with nothing to claim.
_CLAIM_WALKS = 8


class DispatchTx:
    conn: asyncpg.Connection

    async def claim(self, now: datetime, batch: int) -> list[tuple[PlanRow, Sender]]:
        """Lock up to `batch` senders that may act now, each with its earliest due, unheld action. Holds are
        read FOR SHARE, so a hold being set waits for this claim, and a claim after it sees it."""
        # Senders come from the ready queue (scheduler.sender_due, migration 013): walked in the order they became
        # ready, stopping at the batch, so a round costs the same at 2,000 senders or 50,000 (B11). The queue may
        # name a sender early, never late: one named with nothing to claim (all its due actions held, its campaigns
        # inactive, or sent already) is moved on to its next claimable action and the walk goes on, so it takes no
        # place in the batch. sender_states is checked and locked here, the hold again (FOR SHARE) below.
        senders: list[asyncpg.Record] = []
        idle: list[asyncpg.Record] = []
        rows: list[asyncpg.Record] = []
        walked: list[object] = []  # the senders' ids, as asyncpg returns them
        for _ in range(_CLAIM_WALKS):
            wanted = batch - len(rows)
            found = await self.conn.fetch(
                """SELECT s.*, q.version AS due_version FROM scheduler.sender_due q
                     JOIN scheduler.sender_states s ON s.sender_id = q.sender_id
                    WHERE q.ready_at <= $1 AND s.status IN ('connected', 'degraded') AND s.next_send_after <= $1
                      AND q.sender_id <> ALL($3::uuid[])
                    ORDER BY q.ready_at, q.send_after LIMIT $2
                    FOR UPDATE OF s SKIP LOCKED""",
                now,
                wanted,
                walked,
            )
            if not found:
                break
            walked += [r["sender_id"] for r in found]
            # The earliest due, unheld action of each.
            due = await self.conn.fetch(
                """SELECT p.* FROM unnest($1::uuid[]) AS s(sender_id)
                   CROSS JOIN LATERAL (
                       SELECT p.* FROM scheduler.prospect_plans p
                         JOIN scheduler.campaign_plans c ON c.campaign_id = p.campaign_id AND c.active
                         JOIN scheduler.campaign_holds h ON h.campaign_id = p.campaign_id
                        WHERE p.sender_id = s.sender_id AND p.state = 'scheduled' AND p.next_action_at <= $2
                          AND NOT (h.held_scopes && ARRAY['campaign', p.channel])
                        ORDER BY p.next_action_at LIMIT 1
                        FOR UPDATE OF p SKIP LOCKED FOR SHARE OF h) p""",
                [r["sender_id"] for r in found],
                now,
            )
            claimed = {r["sender_id"] for r in due}
            idle += [r for r in found if r["sender_id"] not in claimed]
            senders += [r for r in found if r["sender_id"] in claimed]
            rows += due
            if len(rows) >= batch or len(found) < wanted:  # full, or no one else is ready
                break
        if not walked:
            return []
        # The senders' limits; in the same statement, those walked with nothing to claim are requeued. Last, once:
        # after taking queue rows the claim waits for no lock (a plan or hold writer lowering a row it holds
        # waits for it, so the two can never wait for each other).
        limits = limits_from_rows(
            await self.conn.fetch(
                f"""WITH requeued AS ({_REQUEUE})
                SELECT * FROM scheduler.sender_limits WHERE sender_id = ANY($3::uuid[])""",
                [r["sender_id"] for r in idle],
                [r["due_version"] for r in idle],
                [r["sender_id"] for r in senders],
            )
        )
        if not rows:
            return []
        by_id = {str(r["sender_id"]): sender_from_row(r, limits.get(str(r["sender_id"]), {})) for r in senders}
        return [(plan, by_id[plan.sender_id]) for plan in map(plan_row, rows)]  # type: ignore[index]

    async def start_attempt(
        self, plan: PlanRow, sender: Sender, local_day: date, now: datetime, next_send_after: datetime
    ) -> str:
        """One attempt (the dispatcher records a round's at once with `start_attempts`)."""
        return (await self.start_attempts([(plan, sender, local_day, next_send_after)], now))[plan.prospect_id]

    async def start_attempts(
        self, starts: Sequence[tuple[PlanRow, Sender, date, datetime]], now: datetime
    ) -> dict[str, str]:
        """A round's attempts in one statement: starts are (plan, sender, sender's local day, its next
        send after), at most one per sender and per prospect. Returns the attempt id of each prospect."""
        if not starts:
            return {}
        rows = await self.conn.fetch(
            """WITH t AS (
                   SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::uuid[], $5::text[], $6::text[],
                                        $7::date[], $8::timestamptz[])
                            AS t(prospect_id, campaign_id, step_index, sender_id, channel, action_type, day, next_at)
               ), attempts AS (
                   INSERT INTO scheduler.send_attempts (prospect_id, campaign_id, step_index, sender_id, channel,
                       action_type, status, started_at, sender_local_date)
                   SELECT prospect_id, campaign_id, step_index, sender_id, channel, action_type, 'started', $9, day
                     FROM t
                   RETURNING id, prospect_id
               ), plans AS (
                   UPDATE scheduler.prospect_plans p SET state = 'in_flight', next_action_at = NULL, updated_at = $9
                     FROM t WHERE p.prospect_id = t.prospect_id
               ), senders AS (
                   -- S6: a new sending day moves the ramp on by one; S7: the next action waits its paced gap.
                   UPDATE scheduler.sender_states s SET
                       ramp_day = s.ramp_day + CASE WHEN s.last_sent_local_date IS NOT NULL
                                                     AND s.last_sent_local_date < t.day THEN 1 ELSE 0 END,
                       last_sent_local_date = greatest(coalesce(s.last_sent_local_date, t.day), t.day),
                       next_send_after = t.next_at, provider_block = ''
                     FROM t WHERE s.sender_id = t.sender_id
               )
               SELECT prospect_id, id FROM attempts""",
            [p.prospect_id for p, _, _, _ in starts],
            [p.campaign_id for p, _, _, _ in starts],
            [p.step_index for p, _, _, _ in starts],
            [s.sender_id for _, s, _, _ in starts],
            [p.channel for p, _, _, _ in starts],
            [p.action_type for p, _, _, _ in starts],
            [d for _, _, d, _ in starts],
            [n for _, _, _, n in starts],
            now,
        )
        return {str(r["prospect_id"]): str(r["id"]) for r in rows}

    async def finish_attempt(
        self, attempt_id: str, status: str, outcome: str, provider_ref: str, detail: str, now: datetime
    ) -> None:
        await self.conn.execute(
            """UPDATE scheduler.send_attempts SET status = $2, outcome = $3, provider_ref = $4, detail = $5,
                   finished_at = $6, settled_at = clock_timestamp() WHERE id = $1""",
            attempt_id,
            status,
            outcome,
            provider_ref,
            detail[:500],
            now,
        )

    async def finish_attempts(self, rows: Sequence[tuple[str, str, str, str, str, datetime]]) -> None:
        """`finish_attempt` for many: rows are (attempt id, status, outcome, provider ref, detail, now)."""
        if not rows:
            return
        columns = [list(c) for c in zip(*rows, strict=True)]
        await self.conn.execute(
            """UPDATE scheduler.send_attempts a SET status = t.status, outcome = t.outcome,
                   provider_ref = t.provider_ref, detail = left(t.detail, 500), finished_at = t.finished_at,
                   settled_at = clock_timestamp()
                 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
                      AS t(id, status, outcome, provider_ref, detail, finished_at)
                WHERE a.id = t.id""",
            *columns,
        )

    async def stale_attempts(self, older_than: datetime, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT a.*, s.unipile_account_id FROM scheduler.send_attempts a
                 JOIN scheduler.sender_states s ON s.sender_id = a.sender_id
                WHERE a.status = 'started' AND a.started_at < $1 ORDER BY a.started_at LIMIT $2
                FOR UPDATE OF a SKIP LOCKED""",
            older_than,
            limit,
        )

    async def attempt_history(self, prospect_ids: Sequence[str]) -> dict[str, list[Attempt]]:
        """Every attempt of these prospects, oldest first: what was tried, what the provider said, and any
        choice made without its answer."""
        rows = await self.conn.fetch(
            """SELECT prospect_id, step_index, action_type, status, outcome, detail, started_at, finished_at
                 FROM scheduler.send_attempts WHERE prospect_id = ANY($1::uuid[]) ORDER BY started_at, id""",
            list(prospect_ids),
        )
        out: dict[str, list[Attempt]] = {}
        for r in rows:
            out.setdefault(str(r["prospect_id"]), []).append(attempt_row(r))
        return out
