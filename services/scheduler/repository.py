"""All SQL of the scheduler."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg

from services.common import db, outbox
from services.common.timemath import Schedule
from services.scheduler.domain import (
    COUNTED,
    FAILED_OUTCOMES_COUNTED,
    HARMLESS_REFUSALS,
    LOCAL_REFUSALS,
    CampaignPlan,
    Event,
    Limits,
    Sender,
    Step,
)
from services.scheduler.replan import Move, Waiting

WEEKDAY_NUMBER = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
WEEKDAY_NAME = {v: k for k, v in WEEKDAY_NUMBER.items()}

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


@dataclass(frozen=True, slots=True)
class Enrollee:
    prospect_id: str
    linkedin_provider_id: str | None
    email: str | None
    first_name: str
    last_name: str
    company: str
    fields: dict[str, str]
    # Issue 13: resolved into linkedin_provider_id in the background when that is missing.
    linkedin_public_identifier: str | None = None


@dataclass(frozen=True, slots=True)
class PlanRow:
    prospect_id: str
    campaign_id: str
    step_index: int
    state: str
    channel: str | None
    action_type: str | None
    sender_id: str | None
    due_at: datetime | None
    next_action_at: datetime | None
    linkedin_provider_id: str | None
    email: str | None
    first_name: str
    last_name: str
    company: str
    fields: dict[str, str]
    linkedin_sender_id: str | None
    inbox_id: str | None
    failures: int
    stop_reason: str
    # V1/V3: what the prospect said ("" for nothing yet) and, for an out-of-office, until when it is parked.
    voice: str = ""
    parked_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """An action claimed for sending, with its attempt already recorded."""

    attempt_id: str
    plan: PlanRow
    sender: Sender


def _plan_row(r: asyncpg.Record) -> PlanRow:
    def s(v: object) -> str | None:
        return None if v is None else str(v)

    fields = r["fields"]
    return PlanRow(
        prospect_id=str(r["prospect_id"]),
        campaign_id=str(r["campaign_id"]),
        step_index=r["step_index"],
        state=r["state"],
        channel=r["channel"],
        action_type=r["action_type"],
        sender_id=s(r["sender_id"]),
        due_at=r["due_at"],
        next_action_at=r["next_action_at"],
        linkedin_provider_id=r["linkedin_provider_id"],
        email=r["email"],
        first_name=r["first_name"],
        last_name=r["last_name"],
        company=r["company"],
        fields=json.loads(fields) if isinstance(fields, str) else dict(fields),
        linkedin_sender_id=s(r["linkedin_sender_id"]),
        inbox_id=s(r["inbox_id"]),
        failures=r["failures"],
        stop_reason=r["stop_reason"],
        voice=r["voice"],
        parked_until=r["parked_until"],
    )


def _aware(value: datetime) -> datetime:
    # asyncpg returns PostgreSQL's -infinity/infinity as naive datetime.min/max.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _sender(r: asyncpg.Record, limits: dict[str, Limits]) -> Sender:
    return Sender(
        sender_id=str(r["sender_id"]),
        kind=r["sender_kind"],
        status=r["status"],
        timezone=r["timezone"],
        unipile_account_id=r["unipile_account_id"],
        email=r["email"],
        ramp_day=r["ramp_day"],
        last_sent_local_date=r["last_sent_local_date"],
        next_send_after=_aware(r["next_send_after"]),
        limits=limits,
        provider_block=r["provider_block"],
        invite_usage=r["invite_usage"],
        invite_usage_at=r["invite_usage_at"],
        version=r["version"],
    )


def _campaign_plan(r: asyncpg.Record, steps: Sequence[asyncpg.Record]) -> CampaignPlan:
    return CampaignPlan(
        campaign_id=str(r["campaign_id"]),
        workspace_id=str(r["workspace_id"]),
        version=r["version"],
        schedule=Schedule(
            days=frozenset(WEEKDAY_NUMBER[d] for d in r["days"]),
            window_start=r["window_start"],
            window_end=r["window_end"],
            timezone=r["timezone"],
            randomize_within_window=r["randomize"],
        ),
        active=r["active"],
        linkedin_account_ids=tuple(str(x) for x in r["linkedin_account_ids"]),
        inbox_ids=tuple(str(x) for x in r["inbox_ids"]),
        steps=tuple(
            Step(s["index"], s["channel"], s["action_type"], s["delay_hours"], s["text"], s["subject"], s["body"])
            for s in steps
        ),
        warmup=r["warmup"],
        stop_on_reply=r["stop_on_reply"],
    )


def _limits(rows: Sequence[asyncpg.Record]) -> dict[str, dict[str, Limits]]:
    out: dict[str, dict[str, Limits]] = {}
    for r in rows:
        out.setdefault(str(r["sender_id"]), {})[r["action_type"]] = Limits(
            r["daily_cap"],
            r["weekly_cap"],
            r["ramp_start"],
            r["ramp_step"],
            r["pacing_min_seconds"],
            r["pacing_max_seconds"],
        )
    return out


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


class Tx:
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
        return _campaign_plan(r, steps)

    async def campaign_plans(self, campaign_ids: Sequence[str]) -> dict[str, CampaignPlan]:
        """`plan` for many campaigns in two queries (a dispatch round spans many campaigns)."""
        ids = list(campaign_ids)
        rows = await self.conn.fetch("SELECT * FROM scheduler.campaign_plans WHERE campaign_id = ANY($1::uuid[])", ids)
        steps: dict[str, list[asyncpg.Record]] = {}
        for s in await self.conn.fetch(
            "SELECT * FROM scheduler.plan_steps WHERE campaign_id = ANY($1::uuid[]) ORDER BY campaign_id, index", ids
        ):
            steps.setdefault(str(s["campaign_id"]), []).append(s)
        return {str(r["campaign_id"]): _campaign_plan(r, steps.get(str(r["campaign_id"]), [])) for r in rows}

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
        stored is applied. Returns, per campaign applied, the scopes it released."""
        newest: dict[str, tuple[int, list[str]]] = {}
        for campaign_id, version, scopes in holds:
            if campaign_id not in newest or version > newest[campaign_id][0]:
                newest[campaign_id] = (version, scopes)
        # Rows are written (and locked) in id order, so two batches over the same campaigns cannot deadlock;
        # a row locked by a running claim (FOR SHARE) is waited for, as in set_holds.
        ids = sorted(newest)
        rows = await self.conn.fetch(
            """INSERT INTO scheduler.campaign_holds AS h (campaign_id, version, held_scopes, updated_at, changed_at)
               SELECT t.c, t.v, string_to_array(t.s, ','), $4, clock_timestamp()
                 FROM unnest($1::uuid[], $2::bigint[], $3::text[]) WITH ORDINALITY AS t(c, v, s, n) ORDER BY t.n
               ON CONFLICT (campaign_id) DO UPDATE SET version = EXCLUDED.version,
                   held_scopes = EXCLUDED.held_scopes, updated_at = EXCLUDED.updated_at,
                   changed_at = clock_timestamp()
                WHERE h.version < EXCLUDED.version
               RETURNING h.campaign_id, old.held_scopes AS before""",
            ids,
            [newest[c][0] for c in ids],
            [",".join(newest[c][1]) for c in ids],
            now,
        )
        return {
            str(r["campaign_id"]): sorted(set(r["before"] or ()) - set(newest[str(r["campaign_id"])][1])) for r in rows
        }

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
            """WITH lowest AS (
                   SELECT campaign_id, min(step_index) AS step_index FROM scheduler.prospect_plans
                    WHERE campaign_id = ANY($1::uuid[])
                      AND state IN ('scheduled', 'in_flight', 'waiting_acceptance', 'resolving')
                    GROUP BY campaign_id)
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

    async def held_scopes(self, campaign_id: str) -> list[str]:
        scopes = await self.conn.fetchval(
            "SELECT held_scopes FROM scheduler.campaign_holds WHERE campaign_id = $1", campaign_id
        )
        return list(scopes or [])

    # Senders

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
        limits = _limits(
            await self.conn.fetch(
                "SELECT * FROM scheduler.sender_limits WHERE sender_id = ANY($1::uuid[])", list(sender_ids)
            )
        )
        return {str(r["sender_id"]): _sender(r, limits.get(str(r["sender_id"]), {})) for r in rows}

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

    async def start_probation(self, sender_ids: Sequence[str], until: datetime, now: datetime) -> list[str]:
        """P7: the senders' failure sample starts afresh now, and until `until` a smaller one suffices."""
        rows = await self.conn.fetch(
            """UPDATE scheduler.sender_states
                  SET probation_until = greatest(coalesce(probation_until, $2), $2), failure_window_start = $3
                WHERE sender_id = ANY($1::uuid[]) RETURNING sender_id""",
            list(sender_ids),
            until,
            now,
        )
        return [str(r["sender_id"]) for r in rows]

    async def lock_failure_states(self, sender_ids: Sequence[str], kinds: Sequence[str]) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT sender_id, sender_kind, failure_alert, probation_until, failure_window_start
                 FROM scheduler.sender_states WHERE sender_id = ANY($1::uuid[]) AND sender_kind = ANY($2::text[])
                ORDER BY sender_id FOR UPDATE""",
            list(sender_ids),
            list(kinds),
        )

    async def claim_failure_evaluations(
        self, now: datetime, evaluated_before: datetime, finished_after: datetime, kinds: Sequence[str], limit: int
    ) -> list[asyncpg.Record]:
        """Senders whose failure rate may have changed with time alone (the window slid): those in alert, and
        those with outcomes recent enough to still be in the window, not evaluated lately. Locked SKIP LOCKED,
        so replicas share the work."""
        return await self.conn.fetch(
            """SELECT s.sender_id, s.sender_kind, s.failure_alert, s.probation_until, s.failure_window_start
                 FROM scheduler.sender_states s
                WHERE s.sender_kind = ANY($4::text[]) AND s.failure_evaluated_at <= $2
                  AND (s.failure_alert OR EXISTS (
                       SELECT 1 FROM scheduler.send_attempts a
                        WHERE a.sender_id = s.sender_id AND a.finished_at > $3 AND a.finished_at <= $1))
                ORDER BY s.failure_evaluated_at LIMIT $5
                FOR UPDATE OF s SKIP LOCKED""",
            now,
            evaluated_before,
            finished_after,
            list(kinds),
            limit,
        )

    async def failure_counts(
        self, sender_ids: Sequence[str], window_start: datetime, now: datetime
    ) -> dict[str, tuple[int, int]]:
        """Per sender, (attempts, failures) over (window_start, now], none before its failure_window_start."""
        rows = await self.conn.fetch(
            """SELECT s.sender_id,
                      count(*) FILTER (WHERE a.status = 'succeeded'
                                          OR (a.status = 'refused' AND a.outcome <> ALL($4::text[]))
                                          OR (a.status = 'failed' AND a.outcome = ANY($6::text[]))) AS attempts,
                      count(*) FILTER (WHERE (a.status = 'refused' AND a.outcome <> ALL($4::text[])
                                                                  AND a.outcome <> ALL($5::text[]))
                                          OR (a.status = 'failed' AND a.outcome = ANY($6::text[]))) AS failures
                 FROM scheduler.sender_states s
                 JOIN scheduler.send_attempts a ON a.sender_id = s.sender_id
                      AND a.finished_at > $2 AND a.finished_at >= s.failure_window_start AND a.finished_at <= $3
                WHERE s.sender_id = ANY($1::uuid[])
                GROUP BY s.sender_id""",
            list(sender_ids),
            window_start,
            now,
            list(LOCAL_REFUSALS),
            list(HARMLESS_REFUSALS),
            list(FAILED_OUTCOMES_COUNTED),
        )
        return {str(r["sender_id"]): (int(r["attempts"]), int(r["failures"])) for r in rows}

    async def save_failure_states(self, rows: Sequence[tuple[str, bool, float, int, bool]], now: datetime) -> None:
        """rows: (sender_id, alert, rate, sample, changed). One statement for all (a dispatch round saves hundreds)."""
        if not rows:
            return
        columns = [list(c) for c in zip(*rows, strict=True)]
        await self.conn.execute(
            """UPDATE scheduler.sender_states s SET failure_alert = t.alert, failure_rate = t.rate,
                   failure_sample = t.sample, failure_evaluated_at = $6,
                   failure_alert_changed_at = CASE WHEN t.changed THEN $6 ELSE s.failure_alert_changed_at END
                 FROM unnest($1::uuid[], $2::bool[], $3::float8[], $4::int[], $5::bool[])
                      AS t(sender_id, alert, rate, sample, changed)
                WHERE s.sender_id = t.sender_id""",
            *columns,
            now,
        )

    async def enqueue(self, event: Event) -> int:
        destination, key, payload = event
        return await outbox.enqueue(self.conn, "scheduler", destination, key, payload)

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

    async def attempt_history(self, prospect_ids: Sequence[str]) -> dict[str, list[asyncpg.Record]]:
        """Every attempt of these prospects, oldest first: what was tried, what the provider said, and any
        choice made without its answer."""
        rows = await self.conn.fetch(
            """SELECT prospect_id, step_index, action_type, status, outcome, detail, started_at, finished_at
                 FROM scheduler.send_attempts WHERE prospect_id = ANY($1::uuid[]) ORDER BY started_at, id""",
            list(prospect_ids),
        )
        out: dict[str, list[asyncpg.Record]] = {}
        for r in rows:
            out.setdefault(str(r["prospect_id"]), []).append(r)
        return out

    # Prospects

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
        return [_plan_row(r) for r in rows]

    async def lock_plan(self, prospect_id: str) -> PlanRow | None:
        r = await self.conn.fetchrow(
            "SELECT * FROM scheduler.prospect_plans WHERE prospect_id = $1 FOR UPDATE", prospect_id
        )
        return None if r is None else _plan_row(r)

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
        await self.conn.execute(
            f"""UPDATE scheduler.prospect_plans p SET state = {_VOICE_STATE.format(s="$2")}, step_index = $3,
                   channel = $4, action_type = $5, sender_id = $6, due_at = $7,
                   next_action_at = {_VOICE_NEXT.format(s="$2", n="$8")}, failures = $9,
                   stop_reason = {_VOICE_REASON.format(s="$2", r="$10")}, updated_at = $11 WHERE prospect_id = $1""",
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

    async def awaiting_acceptance(self, unipile_account_id: str, provider_id: str) -> list[PlanRow]:
        rows = await self.conn.fetch(
            """SELECT p.* FROM scheduler.prospect_plans p
                 JOIN scheduler.sender_states s ON s.sender_id = p.linkedin_sender_id
                WHERE s.unipile_account_id = $1 AND p.linkedin_provider_id = $2 AND p.state = 'waiting_acceptance'
                FOR UPDATE OF p""",
            unipile_account_id,
            provider_id,
        )
        return [_plan_row(r) for r in rows]

    # Capacity

    async def used_per_day(
        self, keys: Sequence[tuple[str, str]], now: datetime, exclude_overdue_of: str | None = None
    ) -> dict[tuple[str, str], dict[date, int]]:
        """For each (sender, action type), per local date of the sender from a week ago on: attempts that
        counted plus actions already planned, leaving out the overdue actions of `exclude_overdue_of`, which
        are the ones being re-planned. One query for all senders."""
        if not keys:
            return {}
        rows = await self.conn.fetch(
            """WITH k AS (
                   SELECT k.sender_id, k.action_type, coalesce(s.timezone, 'UTC') AS tz
                     FROM unnest($1::uuid[], $2::text[]) AS k(sender_id, action_type)
                     LEFT JOIN scheduler.sender_states s ON s.sender_id = k.sender_id)
               SELECT a.sender_id, a.action_type, a.sender_local_date AS d, count(*) AS n
                 FROM scheduler.send_attempts a JOIN k ON k.sender_id = a.sender_id AND k.action_type = a.action_type
                WHERE a.sender_local_date >= ($3::timestamptz AT TIME ZONE k.tz)::date - 6
                  AND a.status = ANY($4::text[])
                GROUP BY 1, 2, 3
               UNION ALL
               SELECT p.sender_id, p.action_type, (p.next_action_at AT TIME ZONE k.tz)::date, count(*)
                 FROM scheduler.prospect_plans p JOIN k ON k.sender_id = p.sender_id AND k.action_type = p.action_type
                WHERE p.state = 'scheduled' AND p.next_action_at >= $3::timestamptz - interval '7 days'
                  AND NOT (p.campaign_id IS NOT DISTINCT FROM $5::uuid AND p.next_action_at <= $3)
                GROUP BY 1, 2, 3""",
            [k[0] for k in keys],
            [k[1] for k in keys],
            now,
            list(COUNTED),
            exclude_overdue_of,
        )
        used: dict[tuple[str, str], dict[date, int]] = {key: {} for key in keys}
        for row in rows:
            per_day = used.setdefault((str(row["sender_id"]), row["action_type"]), {})
            per_day[row["d"]] = per_day.get(row["d"], 0) + row["n"]
        return used

    async def overdue_groups(self, campaign_id: str, channels: Sequence[str], now: datetime) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT sender_id, action_type, count(*) AS n FROM scheduler.prospect_plans
                WHERE campaign_id = $1 AND state = 'scheduled' AND next_action_at <= $2 AND channel = ANY($3::text[])
                GROUP BY 1, 2""",
            campaign_id,
            now,
            list(channels),
        )

    async def planned_instants(
        self, sender_ids: Sequence[str], now: datetime, exclude_overdue_of: str | None = None
    ) -> dict[str, list[datetime]]:
        """Per sender, sorted: the instants of every action planned for it, whatever the campaign, from a day
        ago on, leaving out the overdue actions of `exclude_overdue_of` (the ones being re-planned)."""
        rows = await self.conn.fetch(
            """SELECT sender_id, array_agg(next_action_at ORDER BY next_action_at) AS at
                 FROM scheduler.prospect_plans
                WHERE sender_id = ANY($1::uuid[]) AND state = 'scheduled'
                  AND next_action_at >= $2::timestamptz - interval '1 day'
                  AND NOT (campaign_id IS NOT DISTINCT FROM $3::uuid AND next_action_at <= $2)
                GROUP BY sender_id""",
            list(sender_ids),
            now,
            exclude_overdue_of,
        )
        return {str(r["sender_id"]): [_aware(at) for at in r["at"]] for r in rows}

    async def reclamp(
        self, campaign_id: str, channels: Sequence[str], now: datetime, placed: list[tuple[str, str, int, datetime]]
    ) -> int:
        """S4, set-based: the k-th overdue action of a sender and action type, in the order it was originally
        due, goes to the k-th instant placed for them; those with no instant stay overdue."""
        if not placed:
            return 0
        columns = [list(c) for c in zip(*placed, strict=True)]
        return int(
            await self.conn.fetchval(
                """WITH overdue AS (
                   SELECT prospect_id, sender_id, action_type,
                          row_number() OVER (PARTITION BY sender_id, action_type ORDER BY due_at, prospect_id) - 1 AS k
                     FROM scheduler.prospect_plans
                    WHERE campaign_id = $1 AND state = 'scheduled' AND next_action_at <= $2
                      AND channel = ANY($3::text[])
               ), placed AS (
                   SELECT * FROM unnest($4::uuid[], $5::text[], $6::bigint[], $7::timestamptz[])
                                 AS s(sender_id, action_type, k, at)
               ), moved AS (
                   UPDATE scheduler.prospect_plans p SET next_action_at = s.at, updated_at = $2
                     FROM overdue o
                     JOIN placed s ON s.sender_id = o.sender_id AND s.action_type = o.action_type AND s.k = o.k
                    -- Re-checked on the row itself: one the dispatcher claimed meanwhile is no longer ours to move.
                    WHERE p.prospect_id = o.prospect_id AND p.state = 'scheduled' AND p.next_action_at <= $2
                   RETURNING 1)
               SELECT count(*) FROM moved""",
                campaign_id,
                now,
                list(channels),
                *columns,
            )
        )

    async def overdue_count(self, campaign_id: str, now: datetime) -> int:
        return int(
            await self.conn.fetchval(
                "SELECT count(*) FROM scheduler.prospect_plans WHERE campaign_id = $1 AND state = 'scheduled'"
                " AND next_action_at <= $2",
                campaign_id,
                now,
            )
        )

    async def next_sends(self, campaign_id: str) -> dict[str, datetime]:
        rows = await self.conn.fetch(
            "SELECT channel, min(next_action_at) AS at FROM scheduler.prospect_plans WHERE campaign_id = $1"
            " AND state = 'scheduled' GROUP BY channel",
            campaign_id,
        )
        return {r["channel"]: r["at"] for r in rows}

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
        limits = _limits(
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
        by_id = {str(r["sender_id"]): _sender(r, limits.get(str(r["sender_id"]), {})) for r in senders}
        return [(plan, by_id[plan.sender_id]) for plan in map(_plan_row, rows)]  # type: ignore[index]

    async def day_and_week_counts(
        self,
        keys: Sequence[tuple[str, str, date]],
    ) -> dict[tuple[str, str], tuple[int, int]]:
        """For each (sender, action type, local day): attempts that counted that day and in the 7 days to it."""
        if not keys:
            return {}
        rows = await self.conn.fetch(
            """SELECT k.sender_id, k.action_type,
                      count(*) FILTER (WHERE a.sender_local_date = k.day) AS today, count(a.id) AS week
                 FROM unnest($1::uuid[], $2::text[], $3::date[]) AS k(sender_id, action_type, day)
                 LEFT JOIN scheduler.send_attempts a
                   ON a.sender_id = k.sender_id AND a.action_type = k.action_type
                  AND a.sender_local_date BETWEEN k.day - 6 AND k.day AND a.status = ANY($4::text[])
                GROUP BY 1, 2""",
            [k[0] for k in keys],
            [k[1] for k in keys],
            [k[2] for k in keys],
            list(COUNTED),
        )
        return {(str(r["sender_id"]), r["action_type"]): (r["today"], r["week"]) for r in rows}

    async def counted(self, sender_id: str, action_type: str, since: date, until: date) -> int:
        return int(
            await self.conn.fetchval(
                """SELECT count(*) FROM scheduler.send_attempts WHERE sender_id = $1 AND action_type = $2
                 AND sender_local_date BETWEEN $3 AND $4 AND status = ANY($5::text[])""",
                sender_id,
                action_type,
                since,
                until,
                list(COUNTED),
            )
        )

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

    async def lock_senders(self, sender_ids: Sequence[str]) -> None:
        """Lock these senders' rows in id order, so transactions that each touch several senders cannot
        deadlock."""
        await self.conn.execute(
            """SELECT 1 FROM scheduler.sender_states WHERE sender_id = ANY($1::uuid[])
                ORDER BY sender_id FOR UPDATE""",
            list(sender_ids),
        )

    def buffered(self) -> BufferedTx:
        """This transaction, with plan updates and attempt outcomes held back until `flush` (see BufferedTx)."""
        return BufferedTx(self.conn)

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

    async def stale_attempts(self, older_than: datetime, limit: int) -> list[asyncpg.Record]:
        return await self.conn.fetch(
            """SELECT a.*, s.unipile_account_id FROM scheduler.send_attempts a
                 JOIN scheduler.sender_states s ON s.sender_id = a.sender_id
                WHERE a.status = 'started' AND a.started_at < $1 ORDER BY a.started_at LIMIT $2
                FOR UPDATE OF a SKIP LOCKED""",
            older_than,
            limit,
        )


class BufferedTx(Tx):
    """A dispatch round's transaction: `update_plan` and `finish_attempt` are held back and written by `flush`
    in one statement each (a round has hundreds), everything else goes straight through. Reads of plans or
    attempts see the held-back writes only after `flush`."""

    def __init__(self, conn: asyncpg.Connection):
        super().__init__(conn)
        self._plans: dict[str, tuple] = {}
        self._attempts: dict[str, tuple[str, str, str, str, str, datetime]] = {}

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
        # Keyed by prospect: a later update of the same prospect wins, as it would written one by one.
        self._plans[prospect_id] = (
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
    def __init__(self, pool: asyncpg.Pool):
        self.pool = pool
        # Called after every commit: the outbox relay's kick, once it exists. Triggers write outbox rows (the
        # webhook events) in transactions that do not know it, and each must leave now, not at the next poll.
        self.committed: Callable[[], None] = lambda: None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with db.transaction(self.pool, Tx) as tx:
            yield tx
        self.committed()
