"""The scheduler's repository: `Repository` opens transactions, `Tx` is one of them. `Tx` holds the SQL of each
campaign's plan and holds (the scheduler's copy of what campaigns decides) and mixes in the rest, one module per
job: prospect plans, senders, failure rates, capacity and re-clamp, the dispatch claim and its attempts. The
bounce, voice, look-up, stats and warm-up modules wrap a `Tx` instead (`BounceTx(tx)`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg

from services.common import db, outbox
from services.scheduler.capacity_repository import CapacityTx
from services.scheduler.dispatch_repository import DispatchTx
from services.scheduler.domain import CampaignPlan, Event
from services.scheduler.failure_rate_repository import FailureRateTx
from services.scheduler.plan_rows_repository import WEEKDAY_NAME, campaign_plan_from_row
from services.scheduler.prospect_plan_repository import ProspectPlanTx
from services.scheduler.replan import Move, Waiting
from services.scheduler.sender_repository import SenderTx

# P6: per campaign asked about ($1), the lowest step an unfinished prospect is at (a prospect at step i has steps
# i.. ahead of it; one waiting for acceptance still has those after its invite). Shared by the two active-channel
# reads, which must agree.
_LOWEST_UNFINISHED_STEP = """lowest AS (
    SELECT campaign_id, min(step_index) AS step_index FROM scheduler.prospect_plans
     WHERE campaign_id = ANY($1::uuid[]) AND state IN ('scheduled', 'in_flight', 'waiting_acceptance', 'resolving')
     GROUP BY campaign_id)"""


class Tx(ProspectPlanTx, SenderTx, FailureRateTx, CapacityTx, DispatchTx):
    """Operations inside one transaction."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    # Campaign plans and holds

    async def upsert_plan(self, plan: CampaignPlan, now: datetime) -> tuple[bool, bool]:
        """Returns (applied, became_active)."""
        previous = await self.conn.fetchrow(
            "SELECT version, active FROM scheduler.campaign_plans WHERE campaign_id = $1 FOR UPDATE", plan.campaign_id
        )
        if previous is not None and previous["version"] >= plan.version:
            return False, False
        s = plan.schedule
        await self.conn.execute(
            """INSERT INTO scheduler.campaign_plans (campaign_id, workspace_id, version, days, window_start, window_end,
                   timezone, randomize, active, linkedin_account_ids, inbox_ids, updated_at, warmup, stop_on_reply)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
               ON CONFLICT (campaign_id) DO UPDATE SET version = $3, days = $4, window_start = $5, window_end = $6,
                   timezone = $7, randomize = $8, active = $9, linkedin_account_ids = $10, inbox_ids = $11,
                   updated_at = $12, warmup = $13, stop_on_reply = $14""",
            plan.campaign_id,
            plan.workspace_id,
            plan.version,
            [WEEKDAY_NAME[d] for d in sorted(s.days)],
            s.window_start,
            s.window_end,
            s.timezone,
            s.randomize_within_window,
            plan.active,
            list(plan.linkedin_account_ids),
            list(plan.inbox_ids),
            now,
            plan.warmup,
            plan.stop_on_reply,
        )
        await self.conn.execute("DELETE FROM scheduler.plan_steps WHERE campaign_id = $1", plan.campaign_id)
        await self.conn.executemany(
            "INSERT INTO scheduler.plan_steps (campaign_id, index, channel, action_type, delay_hours, text, subject,"
            " body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [
                (plan.campaign_id, st.index, st.channel, st.action_type, st.delay_hours, st.text, st.subject, st.body)
                for st in plan.steps
            ],
        )
        # Every campaign has a holds row, so a claim can lock it and a hold change waits for running claims.
        await self.conn.execute(
            "INSERT INTO scheduler.campaign_holds (campaign_id, version, held_scopes, updated_at)"
            " VALUES ($1, 0, '{}', $2) ON CONFLICT DO NOTHING",
            plan.campaign_id,
            now,
        )
        return True, plan.active and (previous is None or not previous["active"])

    async def plan(self, campaign_id: str) -> CampaignPlan | None:
        r = await self.conn.fetchrow("SELECT * FROM scheduler.campaign_plans WHERE campaign_id = $1", campaign_id)
        if r is None:
            return None
        steps = await self.conn.fetch(
            "SELECT * FROM scheduler.plan_steps WHERE campaign_id = $1 ORDER BY index", campaign_id
        )
        return campaign_plan_from_row(r, steps)

    async def campaign_plans(self, campaign_ids: Sequence[str]) -> dict[str, CampaignPlan]:
        """`plan` for many campaigns in two queries (a dispatch round spans many campaigns)."""
        ids = list(campaign_ids)
        rows = await self.conn.fetch("SELECT * FROM scheduler.campaign_plans WHERE campaign_id = ANY($1::uuid[])", ids)
        steps: dict[str, list[asyncpg.Record]] = {}
        for s in await self.conn.fetch(
            "SELECT * FROM scheduler.plan_steps WHERE campaign_id = ANY($1::uuid[]) ORDER BY campaign_id, index", ids
        ):
            steps.setdefault(str(s["campaign_id"]), []).append(s)
        return {str(r["campaign_id"]): campaign_plan_from_row(r, steps.get(str(r["campaign_id"]), [])) for r in rows}

    async def set_holds(self, campaign_id: str, version: int, scopes: list[str], now: datetime) -> list[str] | None:
        """Apply a newer hold state; returns the scopes it released, or None for a stale version."""
        row = await self.conn.fetchrow(
            "SELECT version, held_scopes FROM scheduler.campaign_holds WHERE campaign_id = $1 FOR UPDATE", campaign_id
        )
        if row is not None and row["version"] >= version:
            return None
        # changed_at is read after the row lock: every claim that saw the previous holds has committed.
        await self.conn.execute(
            """INSERT INTO scheduler.campaign_holds (campaign_id, version, held_scopes, updated_at, changed_at)
               VALUES ($1, $2, $3, $4, clock_timestamp())
               ON CONFLICT (campaign_id) DO UPDATE SET version = $2, held_scopes = $3, updated_at = $4,
                   changed_at = clock_timestamp()""",
            campaign_id,
            version,
            scopes,
            now,
        )
        before = set(row["held_scopes"]) if row is not None else set()
        return sorted(before - set(scopes))

    async def set_holds_many(self, holds: Sequence[tuple[str, int, list[str]]], now: datetime) -> dict[str, list[str]]:
        """`set_holds` for many campaigns in one statement: each (campaign, version, scopes) newer than what is
        stored is applied. Returns, per campaign applied, the scopes it released. Campaign ids in canonical form (as
        `parse_uuid` gives them: the rows come back keyed by PostgreSQL's text of the id); `scopes` lists are only read
        (a batch may share one among its campaigns)."""
        newest: dict[str, tuple[int, list[str]]] = {}
        get = newest.get
        for campaign_id, version, scopes in holds:
            seen = get(campaign_id)
            if seen is None or version > seen[0]:
                newest[campaign_id] = (version, scopes)
        # Rows are written (and locked) in id order, so two batches over the same campaigns cannot deadlock;
        # a row locked by a running claim (FOR SHARE) is waited for, as in set_holds. Only a row whose scopes lost
        # one comes back with those it held before: a pause only adds, and its thousands of rows cost nothing here.
        ids = sorted(newest)
        versions, texts = [], []
        for campaign_id in ids:
            version, scopes = newest[campaign_id]
            versions.append(version)
            texts.append(",".join(scopes))
        rows = await self.conn.fetch(
            """INSERT INTO scheduler.campaign_holds AS h (campaign_id, version, held_scopes, updated_at, changed_at)
               SELECT t.c, t.v, string_to_array(t.s, ','), $4, clock_timestamp()
                 FROM unnest($1::uuid[], $2::bigint[], $3::text[]) WITH ORDINALITY AS t(c, v, s, n) ORDER BY t.n
               ON CONFLICT (campaign_id) DO UPDATE SET version = EXCLUDED.version,
                   held_scopes = EXCLUDED.held_scopes, updated_at = EXCLUDED.updated_at,
                   changed_at = clock_timestamp()
                WHERE h.version < EXCLUDED.version
               RETURNING h.campaign_id::text,
                         CASE WHEN old.held_scopes <@ h.held_scopes THEN NULL ELSE old.held_scopes END AS before""",
            ids,
            versions,
            texts,
            now,
        )
        released: dict[str, list[str]] = {}
        for campaign_id, before in rows:
            released[campaign_id] = sorted(set(before) - set(newest[campaign_id][1])) if before else []
        return released

    async def held_scopes(self, campaign_id: str) -> list[str]:
        scopes = await self.conn.fetchval(
            "SELECT held_scopes FROM scheduler.campaign_holds WHERE campaign_id = $1", campaign_id
        )
        return list(scopes or [])

    async def with_overdue(self, campaign_ids: Sequence[str], now: datetime) -> list[str]:
        """Of these campaigns, those with an action that fell due (only they need a re-clamp on release)."""
        rows = await self.conn.fetch(
            """SELECT DISTINCT campaign_id FROM scheduler.prospect_plans
                WHERE campaign_id = ANY($1::uuid[]) AND state = 'scheduled' AND next_action_at <= $2""",
            list(campaign_ids),
            now,
        )
        return [str(r["campaign_id"]) for r in rows]

    async def in_flight_held(self, campaign_ids: Sequence[str], started_after: datetime) -> int:
        """Attempts of these campaigns still at the provider on a scope their holds now block."""
        return int(
            await self.conn.fetchval(
                """SELECT count(*) FROM scheduler.send_attempts a
                 JOIN scheduler.campaign_holds h ON h.campaign_id = a.campaign_id
                WHERE a.status = 'started' AND a.campaign_id = ANY($1::uuid[]) AND a.started_at > $2
                  AND h.held_scopes && ARRAY['campaign', a.channel]""",
                list(campaign_ids),
                started_after,
            )
        )

    async def in_flight(self, campaign_id: str, channels: Sequence[str], started_after: datetime) -> int:
        """Attempts of the campaign on these channels still at the provider (begun after `started_after`:
        older ones were cut off by a crash and belong to the reconciler)."""
        return int(
            await self.conn.fetchval(
                """SELECT count(*) FROM scheduler.send_attempts WHERE status = 'started' AND campaign_id = $1
                 AND channel = ANY($2::text[]) AND started_at > $3""",
                campaign_id,
                list(channels),
                started_after,
            )
        )

    async def waiting(self, campaign_id: str, lock: bool = False) -> list[Waiting]:
        """The campaign's scheduled prospects (a changed delay or window may move them)."""
        rows = await self.conn.fetch(
            "SELECT prospect_id, step_index, due_at, next_action_at FROM scheduler.prospect_plans"
            " WHERE campaign_id = $1 AND state = 'scheduled'" + (" FOR UPDATE" if lock else ""),
            campaign_id,
        )
        return [Waiting(str(r["prospect_id"]), r["step_index"], r["due_at"], r["next_action_at"]) for r in rows]

    async def move(self, campaign_id: str, moves: Sequence[Move], now: datetime) -> int:
        """Write re-planned times; a prospect that left 'scheduled' meanwhile is left alone. Set-based."""
        if not moves:
            return 0
        result = await self.conn.execute(
            """UPDATE scheduler.prospect_plans p SET next_action_at = t.after, due_at = COALESCE(t.due, p.due_at),
                   updated_at = $5
                 FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[]) AS t(id, after, due)
                WHERE p.prospect_id = t.id AND p.campaign_id = $1 AND p.state = 'scheduled'""",
            campaign_id,
            [m.prospect_id for m in moves],
            [m.after for m in moves],
            [m.due_at for m in moves],
            now,
        )
        return int(result.split()[-1])

    async def progress(self, campaign_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Per campaign: prospects enrolled, and those not yet done or stopped. One query."""
        rows = await self.conn.fetch(
            """SELECT campaign_id, count(*) AS enrolled,
                      count(*) FILTER (WHERE state NOT IN ('done', 'stopped')) AS unfinished
                 FROM scheduler.prospect_plans WHERE campaign_id = ANY($1::uuid[]) GROUP BY campaign_id""",
            list(campaign_ids),
        )
        return {str(r["campaign_id"]): (r["enrolled"], r["unfinished"]) for r in rows}

    async def active_channels(self, campaign_ids: Sequence[str]) -> dict[str, list[str]]:
        """P6: per campaign, the channels of the steps at least one unfinished prospect still has to perform
        (a prospect at step i has steps i.. ahead of it; one waiting for acceptance still has those after its
        invite). One query for every campaign."""
        rows = await self.conn.fetch(
            f"""WITH {_LOWEST_UNFINISHED_STEP}
               SELECT l.campaign_id, array_agg(DISTINCT s.channel) AS channels
                 FROM lowest l JOIN scheduler.plan_steps s ON s.campaign_id = l.campaign_id
                                                          AND s.index >= l.step_index
                GROUP BY l.campaign_id
               UNION ALL
               -- An active warm-up never runs out of emails to send: its queue is topped up as it goes.
               SELECT campaign_id, ARRAY['email'] FROM scheduler.campaign_plans
                WHERE campaign_id = ANY($1::uuid[]) AND warmup AND active""",
            list(campaign_ids),
        )
        found: dict[str, set[str]] = {}
        for r in rows:
            found.setdefault(str(r["campaign_id"]), set()).update(r["channels"])
        return {campaign_id: sorted(channels) for campaign_id, channels in found.items()}

    async def active_on_channel(self, campaign_ids: Sequence[str], channel: str) -> list[str]:
        """P6 for one channel: of these campaigns, those `active_channels` lists with `channel` (as PostgreSQL's
        text of their ids), gathered by the query into one array: a sender's thousands of campaigns (B4) are not
        read row by row."""
        return list(
            await self.conn.fetchval(
                f"""WITH {_LOWEST_UNFINISHED_STEP}
                   SELECT coalesce(array_agg(campaign_id::text), '{{}}') FROM (
                       SELECT l.campaign_id FROM lowest l
                        WHERE EXISTS (SELECT 1 FROM scheduler.plan_steps s WHERE s.campaign_id = l.campaign_id
                                         AND s.index >= l.step_index AND s.channel = $2)
                       UNION
                       SELECT campaign_id FROM scheduler.campaign_plans
                        WHERE $2 = 'email' AND campaign_id = ANY($1::uuid[]) AND warmup AND active) AS active""",
                list(campaign_ids),
                channel,
            )
        )

    # Incoming events and the outbox

    async def first_time(self, event_id: str, kind: str, now: datetime) -> bool:
        """Record an incoming event id; False when it was already processed."""
        return bool(
            await self.conn.fetchval(
                "INSERT INTO scheduler.processed_events (event_id, kind, processed_at) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING RETURNING true",
                event_id,
                kind,
                now,
            )
        )

    async def enqueue(self, event: Event) -> int:
        destination, key, payload = event
        return await outbox.enqueue(self.conn, "scheduler", destination, key, payload)

    def buffered(self) -> BufferedTx:
        """This transaction, with plan updates and attempt outcomes held back until `flush` (see BufferedTx)."""
        return BufferedTx(self.conn)


class BufferedTx(Tx):
    """A dispatch round's transaction: `update_plan` (through `write_plan`) and `finish_attempt` are held back and
    written by `flush` in one statement each (a round has hundreds), everything else goes straight through. Reads
    of plans or attempts see the held-back writes only after `flush`."""

    def __init__(self, conn: asyncpg.Connection):
        super().__init__(conn)
        self._plans: dict[str, tuple] = {}
        self._attempts: dict[str, tuple[str, str, str, str, str, datetime]] = {}

    async def write_plan(self, row: tuple) -> None:
        # Keyed by prospect: a later update of the same prospect wins, as it would written one by one.
        self._plans[row[0]] = row

    async def finish_attempt(
        self, attempt_id: str, status: str, outcome: str, provider_ref: str, detail: str, now: datetime
    ) -> None:
        self._attempts[attempt_id] = (attempt_id, status, outcome, provider_ref, detail, now)

    async def flush(self) -> None:
        await self.finish_attempts(list(self._attempts.values()))
        await self.update_plans(list(self._plans.values()))
        self._attempts.clear()
        self._plans.clear()


class Repository:
    def __init__(self, pool: asyncpg.Pool, committed: Callable[[], None] = lambda: None):
        self.pool = pool
        # Called after every commit: the outbox relay's kick. Triggers write outbox rows (the webhook events) in
        # transactions that do not know it, and each must leave now, not at the relay's next poll.
        self._committed = committed

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with db.transaction(self.pool, Tx) as tx:
            yield tx
        self._committed()
