"""All SQL of the campaigns service."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, time

import asyncpg

from services.campaigns.domain import (
    ActiveReason,
    Actor,
    Campaign,
    HistoryEntry,
    Prospect,
    ProspectIn,
    Schedule,
    Senders,
    Step,
)
from services.common import db, outbox
from services.common.db import mark_session_state

# (destination, ordering key, serialized request): built by the gRPC edge, written here.
Event = tuple[str, str, bytes]

_COLUMNS = """c.id, c.workspace_id, c.name, c.kind, c.status, c.paused_reason, c.schedule_days,
              c.window_start, c.window_end, c.timezone, c.randomize_within_window, c.pause_version,
              c.created_at, c.updated_at, c.definition_version, c.last_auto_resumed_at, c.stop_on_reply,
              c.archived_at,
              COALESCE((SELECT json_agg(json_build_object('index', s.index, 'channel', s.channel, 'action', s.action,
                                 'delay_hours', s.delay_hours, 'text', s.text, 'subject', s.subject, 'body', s.body)
                                 ORDER BY s.index)
                        FROM campaigns.steps s WHERE s.campaign_id = c.id), '[]') AS steps,
              ARRAY(SELECT x.sender_id::text FROM campaigns.campaign_senders x
                     WHERE x.campaign_id = c.id AND x.sender_kind = 'linkedin_account' ORDER BY x.sender_id)
                  AS linkedin_account_ids,
              ARRAY(SELECT x.sender_id::text FROM campaigns.campaign_senders x
                     WHERE x.campaign_id = c.id AND x.sender_kind = 'inbox' ORDER BY x.sender_id) AS inbox_ids"""
# Reasons ride along as one array so a campaign and its pause state are read in one round trip.
_WITH_REASONS = f"""SELECT {_COLUMNS},
       COALESCE((SELECT array_agg(ROW(r.reason, r.scope, r.subject, r.since, r.detail, r.clear_pending,
                                      -- P9: when a clear waits for the cool-down, the reason's recent adds say why.
                                      CASE WHEN r.clear_pending THEN (
                                          SELECT string_agg(extract(epoch FROM h.at)::text, ',' ORDER BY h.at)
                                            FROM campaigns.pause_history h
                                           WHERE h.campaign_id = c.id AND h.reason = r.reason
                                             AND h.subject = r.subject AND h.action = 'added'
                                             AND h.at >= c.last_auto_resumed_at - interval '1 day') END)
                                  ORDER BY r.since, r.reason)
                 FROM campaigns.pause_reasons r WHERE r.campaign_id = c.id), '{{}}') AS reasons
  FROM campaigns.campaigns c"""


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def _campaign(row: asyncpg.Record) -> Campaign:
    return Campaign(
        id=str(row["id"]), workspace_id=str(row["workspace_id"]), name=row["name"], kind=row["kind"],
        status=row["status"], paused_reason=row["paused_reason"],
        schedule=Schedule(days=tuple(row["schedule_days"]), window_start=_hhmm(row["window_start"]),
                          window_end=_hhmm(row["window_end"]), timezone=row["timezone"],
                          randomize_within_window=row["randomize_within_window"]),
        created_at=row["created_at"], updated_at=row["updated_at"], pause_version=row["pause_version"],
        reasons=tuple(ActiveReason(reason=r[0], scope=r[1], subject=r[2], since=r[3], detail=r[4],
                                   clear_pending=r[5], recent_adds=_instants(r[6]))
                      for r in row["reasons"]),
        steps=tuple(Step(**s) for s in json.loads(row["steps"])),
        senders=Senders(tuple(row["linkedin_account_ids"]), tuple(row["inbox_ids"])),
        definition_version=row["definition_version"], last_auto_resumed_at=row["last_auto_resumed_at"],
        stop_on_reply=row["stop_on_reply"], archived_at=row["archived_at"],
    )


def _instants(epochs: str | None) -> tuple[datetime, ...]:
    # Sent as text: asyncpg decodes no array inside an anonymous record.
    return tuple(datetime.fromtimestamp(float(e), UTC) for e in epochs.split(",")) if epochs else ()


def _prospect(row: asyncpg.Record) -> Prospect:
    return Prospect(id=str(row["id"]), seq=row["seq"], created_at=row["created_at"], data=ProspectIn(
        linkedin_provider_id=row["linkedin_provider_id"], linkedin_public_identifier=row["linkedin_public_identifier"],
        email=row["email"], first_name=row["first_name"], last_name=row["last_name"], company=row["company"],
        fields=json.loads(row["fields"])))


class Transaction:
    """Repository operations bound to one connection inside one transaction."""

    def __init__(self, conn: asyncpg.Connection):
        self._conn = conn

    async def enqueue(self, event: Event) -> int:
        """Write an event for another service in this transaction (it leaves only if this commits)."""
        return await outbox.enqueue(self._conn, "campaigns", *event)

    async def bump_definition(self, campaign_id: str) -> None:
        await self._conn.execute(
            "UPDATE campaigns.campaigns SET definition_version = definition_version + 1 WHERE id = $1", campaign_id)

    async def add_prospects(self, campaign_id: str, prospects: list[ProspectIn], now: datetime) -> list[Prospect]:
        """Insert the new ones; a prospect already present under any identifier is skipped. Set-based."""
        rows = await self._conn.fetch(
            """INSERT INTO campaigns.prospects (campaign_id, linkedin_provider_id, linkedin_public_identifier, email,
                   first_name, last_name, company, fields, created_at)
               SELECT $1, t.pid, t.pub, t.email, t.first, t.last, t.company, t.fields, $9
                 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[])
                      WITH ORDINALITY AS t(pid, pub, email, first, last, company, fields, n)
                ORDER BY t.n
               ON CONFLICT DO NOTHING
               RETURNING id::text, seq, linkedin_provider_id, linkedin_public_identifier, email""",
            campaign_id, [p.linkedin_provider_id for p in prospects],
            [p.linkedin_public_identifier for p in prospects], [p.email for p in prospects],
            [p.first_name for p in prospects], [p.last_name for p in prospects], [p.company for p in prospects],
            [json.dumps(p.fields) for p in prospects], now)
        # Only what the database adds comes back: an inserted row's identifiers name its input (a later input with
        # the same ones conflicted), so its data is the input as given, not decoded again (an import of 10,000
        # spent more time decoding its own rows than inserting them).
        given: dict[tuple[str | None, str | None, str | None], ProspectIn] = {}
        for p in prospects:
            given.setdefault((p.linkedin_provider_id, p.linkedin_public_identifier, p.email), p)
        inserted = [Prospect(id=r[0], seq=r[1], created_at=now, data=given[(r[2], r[3], r[4])]) for r in rows]
        inserted.sort(key=lambda p: p.seq)
        return inserted

    async def update_definition(self, campaign: Campaign, name: str, schedule: Schedule, steps: list[Step],
                                senders: Senders, stop_on_reply: str, now: datetime) -> None:
        """Replace the campaign's definition (its row, steps and senders) and bump its definition version."""
        await self._conn.execute(
            """UPDATE campaigns.campaigns SET name = $2, schedule_days = $3, window_start = $4, window_end = $5,
                   timezone = $6, randomize_within_window = $7, stop_on_reply = $8, updated_at = $9,
                   definition_version = definition_version + 1
                WHERE id = $1""",
            campaign.id, name, list(schedule.days), time.fromisoformat(schedule.window_start),
            time.fromisoformat(schedule.window_end), schedule.timezone, schedule.randomize_within_window,
            stop_on_reply, now)
        await self._conn.execute("DELETE FROM campaigns.steps WHERE campaign_id = $1", campaign.id)
        await self._conn.executemany(
            "INSERT INTO campaigns.steps (campaign_id, index, channel, action, delay_hours, text, subject, body)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [(campaign.id, s.index, s.channel, s.action, s.delay_hours, s.text, s.subject, s.body) for s in steps])
        if senders != campaign.senders:
            await self._conn.execute("DELETE FROM campaigns.campaign_senders WHERE campaign_id = $1", campaign.id)
            await self._conn.executemany(
                "INSERT INTO campaigns.campaign_senders (campaign_id, sender_kind, sender_id) VALUES ($1, $2, $3)",
                [(campaign.id, "linkedin_account", x) for x in senders.linkedin_account_ids]
                + [(campaign.id, "inbox", x) for x in senders.inbox_ids])

    async def set_archived(self, campaign_id: str, archived_at: datetime | None, now: datetime) -> None:
        await self._conn.execute("UPDATE campaigns.campaigns SET archived_at = $2, updated_at = $3 WHERE id = $1",
                                 campaign_id, archived_at, now)

    async def prospect_counts(self, campaign_ids: Sequence[str]) -> dict[str, int]:
        rows = await self._conn.fetch(
            "SELECT campaign_id, count(*) AS n FROM campaigns.prospects WHERE campaign_id = ANY($1::uuid[])"
            " GROUP BY campaign_id", list(campaign_ids))
        return {str(r["campaign_id"]): r["n"] for r in rows}

    async def has_prospects(self, campaign_id: str) -> bool:
        return bool(await self._conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM campaigns.prospects WHERE campaign_id = $1)", campaign_id))

    async def lock_campaign(self, workspace_id: str, campaign_id: str) -> Campaign | None:
        """Lock the campaign row: pause-state changes of one campaign happen one at a time."""
        locked = await self._conn.fetchval(
            "SELECT id FROM campaigns.campaigns WHERE id = $1 AND workspace_id = $2 FOR UPDATE",
            campaign_id, workspace_id)
        if locked is None:
            return None
        return await self.get_campaign(workspace_id, campaign_id)

    async def get_campaign(self, workspace_id: str, campaign_id: str) -> Campaign | None:
        row = await self._conn.fetchrow(f"{_WITH_REASONS} WHERE c.id = $1 AND c.workspace_id = $2",
                                        campaign_id, workspace_id)
        return None if row is None else _campaign(row)

    async def add_reason(self, campaign_id: str, reason: str, scope: str, subject: str, detail: str,
                         now: datetime) -> bool:
        # The cause is back before a damped clear happened: the reason simply stays.
        await self._conn.execute(
            "UPDATE campaigns.pause_reasons SET clear_pending = false WHERE campaign_id = $1 AND reason = $2"
            " AND subject = $3 AND clear_pending", campaign_id, reason, subject)
        added = await self._conn.fetchval(
            "INSERT INTO campaigns.pause_reasons (campaign_id, reason, scope, subject, detail, since)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true",
            campaign_id, reason, scope, subject, detail, now)
        return bool(added)

    async def remove_reason(self, campaign_id: str, reason: str, subject: str) -> ActiveReason | None:
        row = await self._conn.fetchrow(
            "DELETE FROM campaigns.pause_reasons WHERE campaign_id = $1 AND reason = $2 AND subject = $3"
            " RETURNING reason, scope, subject, since, detail", campaign_id, reason, subject)
        return None if row is None else ActiveReason(**dict(row))

    async def mark_clear_pending(self, campaign_id: str, reason: str, subject: str) -> bool:
        return await self._conn.fetchval(
            "UPDATE campaigns.pause_reasons SET clear_pending = true WHERE campaign_id = $1 AND reason = $2"
            " AND subject = $3 RETURNING true", campaign_id, reason, subject) or False

    # The same pause-state writes for many campaigns at once (a subscription lapse, an account used by
    # thousands of campaigns): a few set-based statements instead of a transaction per campaign.

    async def lock_started_many(self, campaign_ids: Sequence[str]) -> dict[str, datetime | None]:
        """Lock the rows of those campaigns that are active or paused, in id order (no deadlock between two
        bulk changes or with a single one); returns each one's last auto-resume (P9)."""
        rows = await self._conn.fetch(
            "SELECT c.id, c.last_auto_resumed_at FROM unnest($1::uuid[]) AS t(id) JOIN campaigns.campaigns c"
            " ON c.id = t.id WHERE c.status IN ('active', 'paused') ORDER BY c.id FOR UPDATE OF c",
            list(campaign_ids))
        return {str(r["id"]): r["last_auto_resumed_at"] for r in rows}

    async def only_reason(self, campaign_ids: Sequence[str], reason: str, subject: str) -> list[str]:
        """Of these campaigns, those whose one active reason is this one."""
        rows = await self._conn.fetch(
            """SELECT r.campaign_id FROM unnest($1::uuid[]) AS t(id)
                 JOIN campaigns.pause_reasons r ON r.campaign_id = t.id
                GROUP BY r.campaign_id HAVING count(*) = 1 AND bool_and(r.reason = $2 AND r.subject = $3)""",
            list(campaign_ids), reason, subject)
        return [str(r["campaign_id"]) for r in rows]

    async def pause_many(self, campaign_ids: Sequence[str], reason: str, scope: str, subject: str, detail: str,
                         precedence: Sequence[str], now: datetime, actor: Actor) -> list[asyncpg.Record]:
        """`lock_started_many`, `add_reason` for each, `recompute_pause_states` and `record_histories` in one
        statement (B4): lock those of the campaigns that are started, in id order; add the reason to those that
        lack it (one that has it keeps it, a clear waiting for the cool-down is called off); recompute their status
        and displayed reason (P2: a campaign with a reason is paused; the first of its reasons in `precedence` is
        shown), bump their pause_version; write each one's history row with `actor` (its webhook event follows,
        written by the statement trigger of pause_history). Data-modifying CTEs share one snapshot, so the reasons
        after the change are those read plus the one added. Returns per campaign changed: id, status,
        status_before, pause_version and held (its reasons' scopes, sorted)."""
        return await self._conn.fetch(
            """WITH locked AS MATERIALIZED (
                   SELECT c.id, c.status FROM unnest($1::uuid[]) AS t(id) JOIN campaigns.campaigns c ON c.id = t.id
                    WHERE c.status IN ('active', 'paused') ORDER BY c.id FOR UPDATE OF c
               ), kept AS (
                   UPDATE campaigns.pause_reasons r SET clear_pending = false FROM locked l
                    WHERE r.campaign_id = l.id AND r.reason = $2 AND r.subject = $4 AND r.clear_pending
               ), added AS (
                   INSERT INTO campaigns.pause_reasons (campaign_id, reason, scope, subject, detail, since)
                   SELECT id, $2, $3, $4, $5, $6 FROM locked ORDER BY id
                   ON CONFLICT DO NOTHING RETURNING campaign_id
               ), reasons AS (
                   SELECT a.campaign_id, r.reason, r.scope FROM added a
                     JOIN campaigns.pause_reasons r ON r.campaign_id = a.campaign_id
                   UNION ALL
                   SELECT campaign_id, $2, $3 FROM added
               ), fresh AS (
                   SELECT campaign_id, (array_agg(reason ORDER BY array_position($7::text[], reason), reason))[1]
                          AS shown, array_agg(DISTINCT scope ORDER BY scope) AS held
                     FROM reasons GROUP BY campaign_id
               ), paused AS (
                   UPDATE campaigns.campaigns c SET status = 'paused', paused_reason = f.shown, updated_at = $6,
                          pause_version = c.pause_version + 1
                     FROM fresh f JOIN locked l ON l.id = f.campaign_id
                    WHERE c.id = f.campaign_id
                   RETURNING c.id, c.status, l.status AS status_before, c.pause_version, f.held
               ), history AS (
                   INSERT INTO campaigns.pause_history (campaign_id, action, reason, subject, scope, actor_kind,
                       actor_member_id, actor_source, actor_event_id, detail, status_after, at)
                   SELECT id, 'added', $2, $4, $3, $8, $9::uuid, $10, $11, $5, status, $6 FROM paused ORDER BY id)
               SELECT * FROM paused""",
            list(campaign_ids), reason, scope, subject, detail, now, list(precedence), actor.kind, actor.member_id,
            actor.source, actor.event_id)

    async def enqueue_many(self, events: Sequence[Event]) -> list[int]:
        """`enqueue` for many events in one statement; returns their ids, in order."""
        if len(events) == 1:
            return [await self.enqueue(events[0])]
        rows = await self._conn.fetch(
            """INSERT INTO campaigns.outbox (destination, ordering_key, payload)
               SELECT d, k, p FROM unnest($1::text[], $2::text[], $3::bytea[]) WITH ORDINALITY AS t(d, k, p, n)
                ORDER BY n RETURNING id""",
            [d for d, _, _ in events], [k for _, k, _ in events], [p for _, _, p in events])
        return sorted(int(r["id"]) for r in rows)

    async def remove_reasons(self, campaign_ids: Sequence[str], reason: str, subject: str) -> dict[str, ActiveReason]:
        rows = await self._conn.fetch(
            "DELETE FROM campaigns.pause_reasons r USING unnest($1::uuid[]) AS t(id) WHERE r.campaign_id = t.id"
            " AND r.reason = $2 AND r.subject = $3 RETURNING r.campaign_id, r.reason, r.scope, r.subject, r.since,"
            " r.detail", list(campaign_ids), reason, subject)
        return {str(r["campaign_id"]): ActiveReason(r["reason"], r["scope"], r["subject"], r["since"], r["detail"])
                for r in rows}

    async def mark_clears_pending(self, campaign_ids: Sequence[str], reason: str, subject: str) -> None:
        await self._conn.execute(
            "UPDATE campaigns.pause_reasons r SET clear_pending = true FROM unnest($1::uuid[]) AS t(id)"
            " WHERE r.campaign_id = t.id AND r.reason = $2 AND r.subject = $3", list(campaign_ids), reason, subject)

    async def recompute_pause_states(self, campaign_ids: Sequence[str], precedence: Sequence[str], now: datetime,
                                     *, auto_resumed: bool) -> list[asyncpg.Record]:
        """After their reasons changed, each campaign's status and displayed reason from the reasons it has now
        (P2, with the domain's precedence: paused exactly when one is active, the first of them in `precedence`
        shown), its pause_version bumped, and, with `auto_resumed`, the auto-resume mark on those that go from
        paused to active (P9). One statement. Returns per campaign: id, status, status_before, pause_version and
        held (its reasons' scopes, sorted)."""
        return await self._conn.fetch(
            # Aggregated once and joined (not a subquery per campaign): right whatever the planner's statistics
            # say of pause_reasons, which a bulk change has just grown by thousands of rows.
            """WITH reasons AS (
                   SELECT r.campaign_id, (array_agg(r.reason ORDER BY array_position($2::text[], r.reason),
                                                    r.reason))[1] AS shown,
                          array_agg(DISTINCT r.scope ORDER BY r.scope) AS held
                     FROM unnest($1::uuid[]) AS t(id) JOIN campaigns.pause_reasons r ON r.campaign_id = t.id
                    GROUP BY r.campaign_id
               ), fresh AS (
                   SELECT c.id, c.status AS status_before, r.shown, COALESCE(r.held, '{}') AS held
                     FROM unnest($1::uuid[]) AS t(id) JOIN campaigns.campaigns c ON c.id = t.id
                     LEFT JOIN reasons r ON r.campaign_id = c.id)
               UPDATE campaigns.campaigns c
                  SET status = CASE WHEN cardinality(f.held) > 0 THEN 'paused' ELSE 'active' END,
                      paused_reason = f.shown, updated_at = $3, pause_version = c.pause_version + 1,
                      last_auto_resumed_at = CASE WHEN $4 AND cardinality(f.held) = 0 AND f.status_before = 'paused'
                                                  THEN $3 ELSE c.last_auto_resumed_at END
                 FROM fresh f WHERE c.id = f.id
               RETURNING c.id, c.status, f.status_before, c.pause_version, f.held""",
            list(campaign_ids), list(precedence), now, auto_resumed)

    async def record_histories(self, entries: Sequence[tuple[str, ActiveReason, str]], action: str, actor: Actor,
                               now: datetime) -> None:
        """One history row per (campaign, reason, status after), all with the same actor."""
        await self._conn.execute(
            """INSERT INTO campaigns.pause_history (campaign_id, action, reason, subject, scope, actor_kind,
                   actor_member_id, actor_source, actor_event_id, detail, status_after, at)
               SELECT t.c, $6, t.reason, t.subject, t.scope, $7, $8, $9, $10, t.detail, t.status_after, $11
                 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $12::text[])
                      AS t(c, reason, subject, scope, detail, status_after)""",
            [c for c, _, _ in entries], [r.reason for _, r, _ in entries], [r.subject for _, r, _ in entries],
            [r.scope for _, r, _ in entries], [r.detail for _, r, _ in entries], action, actor.kind,
            actor.member_id, actor.source, actor.event_id, now, [s for _, _, s in entries])

    async def set_auto_resumed(self, campaign_id: str, now: datetime) -> None:
        await self._conn.execute("UPDATE campaigns.campaigns SET last_auto_resumed_at = $2 WHERE id = $1",
                                 campaign_id, now)

    async def seen_event(self, event_id: str, subject: str, version: int) -> bool:
        """True when this version of the subject (or a newer one) was applied already. The version decides:
        reconciliation re-sends a subject's current state under the id of its last pushed event."""
        current = await self._conn.fetchval(
            "SELECT version FROM campaigns.subject_versions WHERE subject = $1 FOR UPDATE", subject)
        if current is not None:
            return current >= version
        return bool(await self._conn.fetchval("SELECT true FROM campaigns.applied_events WHERE event_id = $1",
                                              event_id))

    async def record_event(self, event_id: str, subject: str, version: int, now: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO campaigns.applied_events (event_id, applied_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            event_id, now)
        await self._conn.execute(
            """INSERT INTO campaigns.subject_versions (subject, version) VALUES ($1, $2)
               ON CONFLICT (subject) DO UPDATE SET version = greatest(campaigns.subject_versions.version, $2)""",
            subject, version)

    async def set_status(self, campaign_id: str, status: str, paused_reason: str | None,
                         now: datetime, *, pause_changed: bool) -> None:
        await self._conn.execute(
            "UPDATE campaigns.campaigns SET status = $2, paused_reason = $3, updated_at = $4,"
            " pause_version = pause_version + $5::int WHERE id = $1",
            campaign_id, status, paused_reason, now, 1 if pause_changed else 0)

    async def record_history(self, campaign_id: str, action: str, reason: ActiveReason, actor: Actor,
                             status_after: str, now: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO campaigns.pause_history (campaign_id, action, reason, subject, scope, actor_kind,"
            " actor_member_id, actor_source, actor_event_id, detail, status_after, at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            campaign_id, action, reason.reason, reason.subject, reason.scope, actor.kind, actor.member_id,
            actor.source, actor.event_id, reason.detail, status_after, now)


class Repository:
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        return db.transaction(self._pool, Transaction)

    async def create_campaign(self, workspace_id: str, name: str, kind: str, schedule: Schedule, steps: list[Step],
                              senders: Senders, now: datetime, plan_event: Callable[[Campaign], Event],
                              stop_on_reply: str = "prospect") -> Campaign:
        async with self._pool.acquire() as conn, conn.transaction():
            campaign_id = await conn.fetchval(
                "INSERT INTO campaigns.campaigns (workspace_id, name, kind, schedule_days, window_start,"
                " window_end, timezone, randomize_within_window, created_at, updated_at, stop_on_reply)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) RETURNING id",
                workspace_id, name, kind, list(schedule.days), time.fromisoformat(schedule.window_start),
                time.fromisoformat(schedule.window_end), schedule.timezone,
                schedule.randomize_within_window, now, stop_on_reply)
            await conn.executemany(
                "INSERT INTO campaigns.steps (campaign_id, index, channel, action, delay_hours, text, subject, body)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                [(campaign_id, s.index, s.channel, s.action, s.delay_hours, s.text, s.subject, s.body) for s in steps])
            await conn.executemany(
                "INSERT INTO campaigns.campaign_senders (campaign_id, sender_kind, sender_id) VALUES ($1, $2, $3)",
                [(campaign_id, "linkedin_account", x) for x in senders.linkedin_account_ids]
                + [(campaign_id, "inbox", x) for x in senders.inbox_ids])
            tx = Transaction(conn)
            campaign = await tx.get_campaign(workspace_id, str(campaign_id))
            assert campaign is not None
            await tx.enqueue(plan_event(campaign))
            return campaign

    async def list_prospects(self, campaign_id: str, limit: int, after_seq: int,
                             only: Sequence[str] | None = None) -> list[Prospect]:
        rows = await self._pool.fetch(
            "SELECT * FROM campaigns.prospects WHERE campaign_id = $1 AND seq > $3"
            " AND ($4::uuid[] IS NULL OR id = ANY($4::uuid[])) ORDER BY seq LIMIT $2",
            campaign_id, limit, after_seq, None if only is None else list(only))
        return [_prospect(r) for r in rows]

    async def get_campaign(self, workspace_id: str, campaign_id: str) -> Campaign | None:
        async with self._pool.acquire() as conn:
            return await Transaction(conn).get_campaign(workspace_id, campaign_id)

    async def workspace_of(self, campaign_id: str) -> str | None:
        """The workspace a campaign belongs to (for another service's event that names only the campaign)."""
        found = await self._pool.fetchval("SELECT workspace_id FROM campaigns.campaigns WHERE id = $1", campaign_id)
        return None if found is None else str(found)

    async def started_campaigns(self, *, sender_id: str | None = None,
                                workspace_id: str | None = None) -> list[tuple[str, str]]:
        """(workspace id, campaign id) of active or paused campaigns using a sender, or of a workspace."""
        if sender_id is not None:
            rows = await self._pool.fetch(
                """SELECT c.workspace_id, c.id FROM campaigns.campaigns c
                     JOIN campaigns.campaign_senders s ON s.campaign_id = c.id
                    WHERE s.sender_id = $1 AND c.status IN ('active', 'paused') ORDER BY c.id""", sender_id)
        else:
            rows = await self._pool.fetch(
                "SELECT workspace_id, id FROM campaigns.campaigns WHERE workspace_id = $1"
                " AND status IN ('active', 'paused') ORDER BY id", workspace_id)
        return [(str(r[0]), str(r[1])) for r in rows]

    async def campaigns_with_reason(self, reason: str, subject: str) -> list[tuple[str, str]]:
        rows = await self._pool.fetch(
            """SELECT c.workspace_id, c.id FROM campaigns.pause_reasons r
                 JOIN campaigns.campaigns c ON c.id = r.campaign_id
                WHERE r.reason = $1 AND r.subject = $2 ORDER BY c.id""", reason, subject)
        return [(str(r[0]), str(r[1])) for r in rows]

    async def due_pending_clears(self, cooled_before: datetime) -> list[tuple[str, str, str, str]]:
        rows = await self._pool.fetch(
            """SELECT c.workspace_id, c.id, r.reason, r.subject FROM campaigns.pause_reasons r
                 JOIN campaigns.campaigns c ON c.id = r.campaign_id
                WHERE r.clear_pending AND (c.last_auto_resumed_at IS NULL OR c.last_auto_resumed_at <= $1)""",
            cooled_before)
        return [(str(r[0]), str(r[1]), r[2], r[3]) for r in rows]

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        """A session advisory lock: True for the one replica that holds it, False for the others."""
        key = int.from_bytes(hashlib.sha256(f"holdfast.campaigns.{name}".encode()).digest()[:8], "big", signed=True)
        async with self._pool.acquire() as conn:
            mark_session_state(conn)  # a lock a cancelled unlock left behind still ends at release
            held = await conn.fetchval("SELECT pg_try_advisory_lock($1)", key)
            try:
                yield bool(held)
            finally:
                if held:
                    await conn.execute("SELECT pg_advisory_unlock($1)", key)

    async def cursor(self, name: str) -> int:
        return await self._pool.fetchval("SELECT position FROM campaigns.sync_cursors WHERE name = $1", name) or 0

    async def set_cursor(self, name: str, position: int) -> None:
        await self._pool.execute(
            "INSERT INTO campaigns.sync_cursors (name, position) VALUES ($1, $2)"
            " ON CONFLICT (name) DO UPDATE SET position = $2", name, position)

    async def list_campaigns(self, workspace_id: str, limit: int,
                             after: tuple[datetime, str] | None, archived: str = "") -> list[Campaign]:
        """Keyset pagination on (created_at, id): stable under concurrent inserts. `archived`: "" leaves the
        archived out, "archived" lists only them, "all" both."""
        where = {"": " AND c.archived_at IS NULL", "archived": " AND c.archived_at IS NOT NULL", "all": ""}[archived]
        if after is None:
            rows = await self._pool.fetch(
                f"{_WITH_REASONS} WHERE c.workspace_id = $1{where} ORDER BY c.created_at, c.id LIMIT $2",
                workspace_id, limit)
        else:
            rows = await self._pool.fetch(
                f"{_WITH_REASONS} WHERE c.workspace_id = $1{where} AND (c.created_at, c.id) > ($3, $4::uuid)"
                " ORDER BY c.created_at, c.id LIMIT $2", workspace_id, limit, after[0], after[1])
        return [_campaign(r) for r in rows]

    async def prospect_counts(self, campaign_ids: Sequence[str]) -> dict[str, int]:
        async with self._pool.acquire() as conn:
            return await Transaction(conn).prospect_counts(campaign_ids)

    async def history(self, workspace_id: str, campaign_id: str, limit: int,
                      after_id: int) -> list[HistoryEntry]:
        rows = await self._pool.fetch(
            "SELECT h.* FROM campaigns.pause_history h JOIN campaigns.campaigns c ON c.id = h.campaign_id"
            " WHERE h.campaign_id = $1 AND c.workspace_id = $2 AND h.id > $3 ORDER BY h.id LIMIT $4",
            campaign_id, workspace_id, after_id, limit)
        return [HistoryEntry(
            id=r["id"], action=r["action"], reason=r["reason"], scope=r["scope"],
            actor=Actor(kind=r["actor_kind"],
                        member_id=None if r["actor_member_id"] is None else str(r["actor_member_id"]),
                        source=r["actor_source"], event_id=r["actor_event_id"]),
            detail=r["detail"], status_after=r["status_after"], at=r["at"]) for r in rows]
