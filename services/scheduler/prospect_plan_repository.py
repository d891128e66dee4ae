"""SQL of each prospect's plan (scheduler.prospect_plans): enrolling prospects, reading and locking their plans,
and writing how a plan moves, one by one or a dispatch round's at once. Mixed into the repository's `Tx`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.scheduler.plan_rows_repository import PlanRow, plan_row

# V1/V8: a plan update written after the prospect spoke (the outcome of a send claimed before, an acceptance)
# never revives it: a stopping voice turns any unfinished state into 'stopped', and a park keeps the next
# action at or after parked_until. Format with s = the new state, n = the new next_action_at, r = the reason.
_STOPPING = "p.voice IN ('replied', 'suppressed', 'opted_out')"
_UNFINISHED = "IN ('scheduled', 'waiting_acceptance', 'in_flight')"
_VOICE_STATE = "CASE WHEN " + _STOPPING + " AND {s} " + _UNFINISHED + " THEN 'stopped' ELSE {s} END"
_VOICE_NEXT = (
    "CASE WHEN " + _STOPPING + " AND {s} " + _UNFINISHED + " THEN NULL"
    " WHEN p.parked_until > {n} THEN p.parked_until ELSE {n} END"
)
_VOICE_REASON = "CASE WHEN " + _STOPPING + " AND {s} " + _UNFINISHED + " THEN p.voice ELSE {r} END"


class ProspectPlanTx:
    conn: asyncpg.Connection

    async def enroll(self, rows: list[tuple], now: datetime) -> int:
        """rows: (prospect_id, campaign_id, provider_id, email, first, last, company, fields_json,
        linkedin_sender_id, inbox_id, state, channel, action_type, sender_id, due_at, next_action_at,
        public_identifier)."""
        if not rows:
            return 0
        columns = list(zip(*rows, strict=True))
        inserted = await self.conn.fetchval(
            """WITH ins AS (
                 INSERT INTO scheduler.prospect_plans (prospect_id, campaign_id, linkedin_provider_id, email,
                     first_name, last_name, company, fields, linkedin_sender_id, inbox_id, state, channel,
                     action_type, sender_id, due_at, next_action_at, linkedin_public_identifier, updated_at)
                 SELECT t.*, $18::timestamptz FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
                     $6::text[], $7::text[], $8::jsonb[], $9::uuid[], $10::uuid[], $11::text[], $12::text[],
                     $13::text[], $14::uuid[], $15::timestamptz[], $16::timestamptz[], $17::text[]) AS t
                 ON CONFLICT (prospect_id) DO NOTHING RETURNING 1)
               SELECT count(*) FROM ins""",
            *[list(c) for c in columns],
            now,
        )
        return int(inserted)

    async def plans(self, prospect_ids: Sequence[str]) -> list[PlanRow]:
        rows = await self.conn.fetch(
            "SELECT * FROM scheduler.prospect_plans WHERE prospect_id = ANY($1::uuid[])", list(prospect_ids)
        )
        return [plan_row(r) for r in rows]

    async def lock_plans(self, prospect_ids: Sequence[str]) -> None:
        """Lock these plan rows in id order, the order every writer of several takes them in (a prospect's voice,
        a suppression: VoiceTx.lock_targets), so that two such transactions cannot deadlock."""
        await self.conn.execute(
            "SELECT 1 FROM scheduler.prospect_plans WHERE prospect_id = ANY($1::uuid[]) ORDER BY prospect_id"
            " FOR UPDATE",
            sorted(prospect_ids),
        )

    async def lock_plan(self, prospect_id: str) -> PlanRow | None:
        r = await self.conn.fetchrow(
            "SELECT * FROM scheduler.prospect_plans WHERE prospect_id = $1 FOR UPDATE", prospect_id
        )
        return None if r is None else plan_row(r)

    async def update_plan(
        self,
        prospect_id: str,
        *,
        state: str,
        step_index: int,
        channel: str | None,
        action_type: str | None,
        sender_id: str | None,
        due_at: datetime | None,
        next_action_at: datetime | None,
        failures: int,
        stop_reason: str,
        now: datetime,
    ) -> None:
        """How a plan moved, written by `write_plan` (which a dispatch round's BufferedTx holds back)."""
        await self.write_plan(
            (
                prospect_id,
                state,
                step_index,
                channel,
                action_type,
                sender_id,
                due_at,
                next_action_at,
                failures,
                stop_reason,
                now,
            )
        )

    async def write_plan(self, row: tuple) -> None:
        """One row of `update_plans`, written now."""
        await self.conn.execute(
            f"""UPDATE scheduler.prospect_plans p SET state = {_VOICE_STATE.format(s="$2")}, step_index = $3,
                   channel = $4, action_type = $5, sender_id = $6, due_at = $7,
                   next_action_at = {_VOICE_NEXT.format(s="$2", n="$8")}, failures = $9,
                   stop_reason = {_VOICE_REASON.format(s="$2", r="$10")}, updated_at = $11 WHERE prospect_id = $1""",
            *row,
        )

    async def update_plans(self, rows: Sequence[tuple]) -> None:
        """`update_plan` for many: rows are (prospect id, state, step index, channel, action type, sender id,
        due at, next action at, failures, stop reason, now)."""
        if not rows:
            return
        columns = [list(c) for c in zip(*rows, strict=True)]
        await self.conn.execute(
            f"""UPDATE scheduler.prospect_plans p SET state = {_VOICE_STATE.format(s="t.state")},
                   step_index = t.step_index, channel = t.channel, action_type = t.action_type,
                   sender_id = t.sender_id, due_at = t.due_at,
                   next_action_at = {_VOICE_NEXT.format(s="t.state", n="t.next_action_at")}, failures = t.failures,
                   stop_reason = {_VOICE_REASON.format(s="t.state", r="t.stop_reason")}, updated_at = t.updated_at
                 FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::text[], $6::uuid[],
                             $7::timestamptz[], $8::timestamptz[], $9::int[], $10::text[], $11::timestamptz[])
                      AS t(prospect_id, state, step_index, channel, action_type, sender_id, due_at, next_action_at,
                           failures, stop_reason, updated_at)
                WHERE p.prospect_id = t.prospect_id""",
            *columns,
        )

    async def awaiting_acceptance(self, unipile_account_id: str, provider_id: str) -> list[PlanRow]:
        rows = await self.conn.fetch(
            """SELECT p.* FROM scheduler.prospect_plans p
                 JOIN scheduler.sender_states s ON s.sender_id = p.linkedin_sender_id
                WHERE s.unipile_account_id = $1 AND p.linkedin_provider_id = $2 AND p.state = 'waiting_acceptance'
                FOR UPDATE OF p""",
            unipile_account_id,
            provider_id,
        )
        return [plan_row(r) for r in rows]
