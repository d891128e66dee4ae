"""All SQL of the campaigns service."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, time

import asyncpg

from services.campaigns.bulk_pause_repository import BulkPauseTx, Event
from services.campaigns.campaign_rows_repository import WITH_REASONS, campaign_from_row, prospect_from_row
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


class Transaction(BulkPauseTx):
    """Repository operations bound to one connection inside one transaction."""

    def __init__(self, conn: asyncpg.Connection):
        self._conn = conn

    async def enqueue(self, event: Event) -> int:
        """Write an event for another service in this transaction (it leaves only if this commits)."""
        return await outbox.enqueue(self._conn, "campaigns", *event)

    async def bump_definition(self, campaign_id: str) -> None:
        await self._conn.execute(
            "UPDATE campaigns.campaigns SET definition_version = definition_version + 1 WHERE id = $1", campaign_id
        )

    async def add_prospects(self, campaign_id: str, prospects: list[ProspectIn], now: datetime) -> list[Prospect]:
        """Insert the new ones; a prospect already present under any identifier is skipped. Set-based."""
        # The custom fields travel as one JSON array (one dumps in C, not one per row) and are cut back into rows
        # in the same order by the database.
        rows = await self._conn.fetch(
            """INSERT INTO campaigns.prospects (campaign_id, linkedin_provider_id, linkedin_public_identifier, email,
                   first_name, last_name, company, fields, created_at)
               SELECT $1, t.pid, t.pub, t.email, t.first, t.last, t.company, t.fields, $9
                 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                             ARRAY(SELECT f FROM jsonb_array_elements($8::jsonb) WITH ORDINALITY AS j(f, k) ORDER BY k))
                      WITH ORDINALITY AS t(pid, pub, email, first, last, company, fields, n)
                ORDER BY t.n
               ON CONFLICT DO NOTHING
               RETURNING id::text, seq, linkedin_provider_id, linkedin_public_identifier, email""",
            campaign_id,
            [p.linkedin_provider_id for p in prospects],
            [p.linkedin_public_identifier for p in prospects],
            [p.email for p in prospects],
            [p.first_name for p in prospects],
            [p.last_name for p in prospects],
            [p.company for p in prospects],
            json.dumps([p.fields for p in prospects]),
            now,
        )
        # Only what the database adds comes back: an inserted row's identifiers name its input (a later input with
        # the same ones conflicted), so its data is the input as given, not decoded again (an import of 10,000
        # spent more time decoding its own rows than inserting them).
        given: dict[tuple[str | None, str | None, str | None], ProspectIn] = {}
        for p in prospects:
            given.setdefault((p.linkedin_provider_id, p.linkedin_public_identifier, p.email), p)
        inserted = [Prospect(id=r[0], seq=r[1], created_at=now, data=given[(r[2], r[3], r[4])]) for r in rows]
        inserted.sort(key=lambda p: p.seq)
        return inserted

    async def update_definition(
        self,
        campaign: Campaign,
        name: str,
        schedule: Schedule,
        steps: list[Step],
        senders: Senders,
        stop_on_reply: str,
        now: datetime,
    ) -> None:
        """Replace the campaign's definition (its row, steps and senders) and bump its definition version."""
        await self._conn.execute(
            """UPDATE campaigns.campaigns SET name = $2, schedule_days = $3, window_start = $4, window_end = $5,
                   timezone = $6, randomize_within_window = $7, stop_on_reply = $8, updated_at = $9,
                   definition_version = definition_version + 1
                WHERE id = $1""",
            campaign.id,
            name,
            list(schedule.days),
            time.fromisoformat(schedule.window_start),
            time.fromisoformat(schedule.window_end),
            schedule.timezone,
            schedule.randomize_within_window,
            stop_on_reply,
            now,
        )
        await self._conn.execute("DELETE FROM campaigns.steps WHERE campaign_id = $1", campaign.id)
        await self._conn.executemany(
            "INSERT INTO campaigns.steps (campaign_id, index, channel, action, delay_hours, text, subject, body)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [(campaign.id, s.index, s.channel, s.action, s.delay_hours, s.text, s.subject, s.body) for s in steps],
        )
        if senders != campaign.senders:
            await self._conn.execute("DELETE FROM campaigns.campaign_senders WHERE campaign_id = $1", campaign.id)
            await self._conn.executemany(
                "INSERT INTO campaigns.campaign_senders (campaign_id, sender_kind, sender_id) VALUES ($1, $2, $3)",
                [(campaign.id, "linkedin_account", x) for x in senders.linkedin_account_ids]
                + [(campaign.id, "inbox", x) for x in senders.inbox_ids],
            )

    async def set_archived(self, campaign_id: str, archived_at: datetime | None, now: datetime) -> None:
        await self._conn.execute(
            "UPDATE campaigns.campaigns SET archived_at = $2, updated_at = $3 WHERE id = $1",
            campaign_id,
            archived_at,
            now,
        )

    async def prospect_counts(self, campaign_ids: Sequence[str]) -> dict[str, int]:
        rows = await self._conn.fetch(
            "SELECT campaign_id, count(*) AS n FROM campaigns.prospects WHERE campaign_id = ANY($1::uuid[])"
            " GROUP BY campaign_id",
            list(campaign_ids),
        )
        return {str(r["campaign_id"]): r["n"] for r in rows}

    async def has_prospects(self, campaign_id: str) -> bool:
        return bool(
            await self._conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM campaigns.prospects WHERE campaign_id = $1)", campaign_id
            )
        )

    async def lock_campaign(self, workspace_id: str, campaign_id: str) -> Campaign | None:
        """Lock the campaign row: pause-state changes of one campaign happen one at a time."""
        locked = await self._conn.fetchval(
            "SELECT id FROM campaigns.campaigns WHERE id = $1 AND workspace_id = $2 FOR UPDATE",
            campaign_id,
            workspace_id,
        )
        if locked is None:
            return None
        return await self.get_campaign(workspace_id, campaign_id)

    async def lock_campaign_as_read(self, campaign: Campaign) -> Campaign | None:
        """`lock_campaign` for a campaign the caller read before the lock: `campaign` itself when its row is as read,
        else read again (one read per resume, issue 12). Every write of a campaign moves its pause or definition
        version, `updated_at` or `archived_at`, but a clear marked pending (or unmarked) moves none: those are
        compared too."""
        row = await self._conn.fetchrow(
            """SELECT c.pause_version, c.definition_version, c.updated_at, c.archived_at,
                      ARRAY(SELECT ROW(r.reason, r.subject) FROM campaigns.pause_reasons r
                             WHERE r.campaign_id = c.id AND r.clear_pending) AS pending
                 FROM campaigns.campaigns c WHERE c.id = $1 AND c.workspace_id = $2 FOR UPDATE OF c""",
            campaign.id,
            campaign.workspace_id,
        )
        if row is None:
            return None
        as_read = (campaign.pause_version, campaign.definition_version, campaign.updated_at, campaign.archived_at)
        pending = sorted((r.reason, r.subject) for r in campaign.reasons if r.clear_pending)
        if tuple(row)[:4] == as_read and sorted(tuple(p) for p in row["pending"]) == pending:
            return campaign
        return await self.get_campaign(campaign.workspace_id, campaign.id)

    async def get_campaign(self, workspace_id: str, campaign_id: str) -> Campaign | None:
        row = await self._conn.fetchrow(
            f"{WITH_REASONS} WHERE c.id = $1 AND c.workspace_id = $2", campaign_id, workspace_id
        )
        return None if row is None else campaign_from_row(row)

    async def add_reason(
        self, campaign_id: str, reason: str, scope: str, subject: str, detail: str, now: datetime
    ) -> bool:
        # The cause is back before a damped clear happened: the reason simply stays.
        await self._conn.execute(
            "UPDATE campaigns.pause_reasons SET clear_pending = false WHERE campaign_id = $1 AND reason = $2"
            " AND subject = $3 AND clear_pending",
            campaign_id,
            reason,
            subject,
        )
        added = await self._conn.fetchval(
            "INSERT INTO campaigns.pause_reasons (campaign_id, reason, scope, subject, detail, since)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true",
            campaign_id,
            reason,
            scope,
            subject,
            detail,
            now,
        )
        return bool(added)

    async def remove_reason(self, campaign_id: str, reason: str, subject: str) -> ActiveReason | None:
        row = await self._conn.fetchrow(
            "DELETE FROM campaigns.pause_reasons WHERE campaign_id = $1 AND reason = $2 AND subject = $3"
            " RETURNING reason, scope, subject, since, detail",
            campaign_id,
            reason,
            subject,
        )
        return None if row is None else ActiveReason(**dict(row))

    async def mark_clear_pending(self, campaign_id: str, reason: str, subject: str) -> bool:
        return (
            await self._conn.fetchval(
                "UPDATE campaigns.pause_reasons SET clear_pending = true WHERE campaign_id = $1 AND reason = $2"
                " AND subject = $3 RETURNING true",
                campaign_id,
                reason,
                subject,
            )
            or False
        )

    # The same pause-state writes for many campaigns at once (a subscription lapse, an account used by
    # thousands of campaigns): a few set-based statements instead of a transaction per campaign.

    async def set_auto_resumed(self, campaign_id: str, now: datetime) -> None:
        await self._conn.execute(
            "UPDATE campaigns.campaigns SET last_auto_resumed_at = $2 WHERE id = $1", campaign_id, now
        )

    async def seen_event(self, event_id: str, subject: str, version: int) -> bool:
        """True when this version of the subject (or a newer one) was applied already. The version decides:
        reconciliation re-sends a subject's current state under the id of its last pushed event."""
        current = await self._conn.fetchval(
            "SELECT version FROM campaigns.subject_versions WHERE subject = $1 FOR UPDATE", subject
        )
        if current is not None:
            return current >= version
        return bool(
            await self._conn.fetchval("SELECT true FROM campaigns.applied_events WHERE event_id = $1", event_id)
        )

    async def record_event(self, event_id: str, subject: str, version: int, now: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO campaigns.applied_events (event_id, applied_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            event_id,
            now,
        )
        await self._conn.execute(
            """INSERT INTO campaigns.subject_versions (subject, version) VALUES ($1, $2)
               ON CONFLICT (subject) DO UPDATE SET version = greatest(campaigns.subject_versions.version, $2)""",
            subject,
            version,
        )

    async def set_status(
        self, campaign_id: str, status: str, paused_reason: str | None, now: datetime, *, pause_changed: bool
    ) -> None:
        await self._conn.execute(
            "UPDATE campaigns.campaigns SET status = $2, paused_reason = $3, updated_at = $4,"
            " pause_version = pause_version + $5::int WHERE id = $1",
            campaign_id,
            status,
            paused_reason,
            now,
            1 if pause_changed else 0,
        )

    async def record_history(
        self, campaign_id: str, action: str, reason: ActiveReason, actor: Actor, status_after: str, now: datetime
    ) -> None:
        await self._conn.execute(
            "INSERT INTO campaigns.pause_history (campaign_id, action, reason, subject, scope, actor_kind,"
            " actor_member_id, actor_source, actor_event_id, detail, status_after, at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            campaign_id,
            action,
            reason.reason,
            reason.subject,
            reason.scope,
            actor.kind,
            actor.member_id,
            actor.source,
            actor.event_id,
            reason.detail,
            status_after,
            now,
        )


class Repository:
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    def transaction(self) -> AbstractAsyncContextManager[Transaction]:
        return db.transaction(self._pool, Transaction)

    async def create_campaign(
        self,
        workspace_id: str,
        name: str,
        kind: str,
        schedule: Schedule,
        steps: list[Step],
        senders: Senders,
        now: datetime,
        plan_event: Callable[[Campaign], Event],
        stop_on_reply: str = "prospect",
    ) -> Campaign:
        async with self._pool.acquire() as conn, conn.transaction():
            campaign_id = await conn.fetchval(
                "INSERT INTO campaigns.campaigns (workspace_id, name, kind, schedule_days, window_start,"
                " window_end, timezone, randomize_within_window, created_at, updated_at, stop_on_reply)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) RETURNING id",
                workspace_id,
                name,
                kind,
                list(schedule.days),
                time.fromisoformat(schedule.window_start),
                time.fromisoformat(schedule.window_end),
                schedule.timezone,
                schedule.randomize_within_window,
                now,
                stop_on_reply,
            )
            await conn.executemany(
                "INSERT INTO campaigns.steps (campaign_id, index, channel, action, delay_hours, text, subject, body)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                [(campaign_id, s.index, s.channel, s.action, s.delay_hours, s.text, s.subject, s.body) for s in steps],
            )
            await conn.executemany(
                "INSERT INTO campaigns.campaign_senders (campaign_id, sender_kind, sender_id) VALUES ($1, $2, $3)",
                [(campaign_id, "linkedin_account", x) for x in senders.linkedin_account_ids]
                + [(campaign_id, "inbox", x) for x in senders.inbox_ids],
            )
            tx = Transaction(conn)
            campaign = await tx.get_campaign(workspace_id, str(campaign_id))
            assert campaign is not None
            await tx.enqueue(plan_event(campaign))
            return campaign

    async def list_prospects(
        self, campaign_id: str, limit: int, after_seq: int, only: Sequence[str] | None = None
    ) -> list[Prospect]:
        rows = await self._pool.fetch(
            "SELECT * FROM campaigns.prospects WHERE campaign_id = $1 AND seq > $3"
            " AND ($4::uuid[] IS NULL OR id = ANY($4::uuid[])) ORDER BY seq LIMIT $2",
            campaign_id,
            limit,
            after_seq,
            None if only is None else list(only),
        )
        return [prospect_from_row(r) for r in rows]

    async def get_campaign(self, workspace_id: str, campaign_id: str) -> Campaign | None:
        async with self._pool.acquire() as conn:
            return await Transaction(conn).get_campaign(workspace_id, campaign_id)

    async def get_campaigns(self, reads: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Campaign]:
        """The campaigns of several (workspace id, campaign id) reads in one statement, keyed by that pair: a
        campaign comes back only for a read naming its own workspace."""
        rows = await self._pool.fetch(
            f"{WITH_REASONS} WHERE (c.workspace_id, c.id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))",
            [w for w, _ in reads],
            [c for _, c in reads],
        )
        campaigns = (campaign_from_row(r) for r in rows)
        return {(c.workspace_id, c.id): c for c in campaigns}

    async def workspace_of(self, campaign_id: str) -> str | None:
        """The workspace a campaign belongs to (for another service's event that names only the campaign)."""
        found = await self._pool.fetchval("SELECT workspace_id FROM campaigns.campaigns WHERE id = $1", campaign_id)
        return None if found is None else str(found)

    async def started_campaigns(
        self, *, sender_id: str | None = None, workspace_id: str | None = None
    ) -> list[tuple[str, str]]:
        """(workspace id, campaign id) of active or paused campaigns using a sender, or of a workspace. The ids come
        as PostgreSQL's text of them (what str() of a UUID gives): thousands of them (B4) are not converted here."""
        if sender_id is not None:
            rows = await self._pool.fetch(
                """SELECT c.workspace_id::text, c.id::text FROM campaigns.campaigns c
                     JOIN campaigns.campaign_senders s ON s.campaign_id = c.id
                    WHERE s.sender_id = $1 AND c.status IN ('active', 'paused') ORDER BY c.id""",
                sender_id,
            )
        else:
            rows = await self._pool.fetch(
                "SELECT workspace_id::text, id::text FROM campaigns.campaigns WHERE workspace_id = $1"
                " AND status IN ('active', 'paused') ORDER BY id",
                workspace_id,
            )
        return [(r[0], r[1]) for r in rows]

    async def campaigns_with_reason(self, reason: str, subject: str) -> list[tuple[str, str]]:
        rows = await self._pool.fetch(
            """SELECT c.workspace_id, c.id FROM campaigns.pause_reasons r
                 JOIN campaigns.campaigns c ON c.id = r.campaign_id
                WHERE r.reason = $1 AND r.subject = $2 ORDER BY c.id""",
            reason,
            subject,
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def due_pending_clears(self, cooled_before: datetime) -> list[tuple[str, str, str, str]]:
        rows = await self._pool.fetch(
            """SELECT c.workspace_id, c.id, r.reason, r.subject FROM campaigns.pause_reasons r
                 JOIN campaigns.campaigns c ON c.id = r.campaign_id
                WHERE r.clear_pending AND (c.last_auto_resumed_at IS NULL OR c.last_auto_resumed_at <= $1)""",
            cooled_before,
        )
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
            " ON CONFLICT (name) DO UPDATE SET position = $2",
            name,
            position,
        )

    async def list_campaigns(
        self, workspace_id: str, limit: int, after: tuple[datetime, str] | None, archived: str = ""
    ) -> list[Campaign]:
        """Keyset pagination on (created_at, id): stable under concurrent inserts. `archived`: "" leaves the
        archived out, "archived" lists only them, "all" both."""
        where = {"": " AND c.archived_at IS NULL", "archived": " AND c.archived_at IS NOT NULL", "all": ""}[archived]
        if after is None:
            rows = await self._pool.fetch(
                f"{WITH_REASONS} WHERE c.workspace_id = $1{where} ORDER BY c.created_at, c.id LIMIT $2",
                workspace_id,
                limit,
            )
        else:
            rows = await self._pool.fetch(
                f"{WITH_REASONS} WHERE c.workspace_id = $1{where} AND (c.created_at, c.id) > ($3, $4::uuid)"
                " ORDER BY c.created_at, c.id LIMIT $2",
                workspace_id,
                limit,
                after[0],
                after[1],
            )
        return [campaign_from_row(r) for r in rows]

    async def prospect_counts(self, campaign_ids: Sequence[str]) -> dict[str, int]:
        async with self._pool.acquire() as conn:
            return await Transaction(conn).prospect_counts(campaign_ids)

    async def history(self, workspace_id: str, campaign_id: str, limit: int, after_id: int) -> list[HistoryEntry]:
        rows = await self._pool.fetch(
            "SELECT h.* FROM campaigns.pause_history h JOIN campaigns.campaigns c ON c.id = h.campaign_id"
            " WHERE h.campaign_id = $1 AND c.workspace_id = $2 AND h.id > $3 ORDER BY h.id LIMIT $4",
            campaign_id,
            workspace_id,
            after_id,
            limit,
        )
        return [
            HistoryEntry(
                id=r["id"],
                action=r["action"],
                reason=r["reason"],
                scope=r["scope"],
                actor=Actor(
                    kind=r["actor_kind"],
                    member_id=None if r["actor_member_id"] is None else str(r["actor_member_id"]),
                    source=r["actor_source"],
                    event_id=r["actor_event_id"],
                ),
                detail=r["detail"],
                status_after=r["status_after"],
                at=r["at"],
            )
            for r in rows
        ]
