"""The SQL of a pause fanned out to many campaigns at once (one billing event, one account): set-based statements
that lock, add or clear a reason, recompute status and write history for a whole chunk (B4). Mixed into the
campaigns repository's `Transaction`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.campaigns.domain import ActiveReason, Actor

# (destination, ordering key, serialized request): built by the gRPC edge, written here.
Event = tuple[str, str, bytes]


class BulkPauseTx:
    _conn: asyncpg.Connection

    async def lock_started_many(self, campaign_ids: Sequence[str]) -> dict[str, datetime | None]:
        """Lock the rows of those campaigns that are active or paused, in id order (no deadlock between two
        bulk changes or with a single one); returns each one's last auto-resume (P9)."""
        rows = await self._conn.fetch(
            "SELECT c.id, c.last_auto_resumed_at FROM unnest($1::uuid[]) AS t(id) JOIN campaigns.campaigns c"
            " ON c.id = t.id WHERE c.status IN ('active', 'paused') ORDER BY c.id FOR UPDATE OF c",
            list(campaign_ids),
        )
        return {str(r["id"]): r["last_auto_resumed_at"] for r in rows}

    async def only_reason(self, campaign_ids: Sequence[str], reason: str, subject: str) -> list[str]:
        """Of these campaigns, those whose one active reason is this one."""
        rows = await self._conn.fetch(
            """SELECT r.campaign_id FROM unnest($1::uuid[]) AS t(id)
                 JOIN campaigns.pause_reasons r ON r.campaign_id = t.id
                GROUP BY r.campaign_id HAVING count(*) = 1 AND bool_and(r.reason = $2 AND r.subject = $3)""",
            list(campaign_ids),
            reason,
            subject,
        )
        return [str(r["campaign_id"]) for r in rows]

    async def pause_many(
        self,
        campaign_ids: Sequence[str],
        reason: str,
        scope: str,
        subject: str,
        detail: str,
        precedence: Sequence[str],
        now: datetime,
        actor: Actor,
    ) -> list[asyncpg.Record]:
        """`lock_started_many`, then `add_reason` for each, `recompute_pause_states` and `record_histories` in one
        statement (B4): lock those of the campaigns that are started, in id order (the first statement); add the
        reason to those that lack it (one that has it keeps it, a clear waiting for the cool-down is called off);
        recompute their status and displayed reason (P2: a campaign with a reason is paused; the first of its
        reasons in `precedence` is shown), bump their pause_version; write each one's history row with `actor` (its
        webhook event follows, written by the statement trigger of pause_history). Data-modifying CTEs share one
        snapshot, so the reasons after the change are those read (`others`: most campaigns have none, and take the
        added reason as it is, with no sort or aggregate of their own) plus the one added. Returns per campaign
        changed: id (as text: thousands of them go on as strings), status, status_before, pause_version and held
        (its reasons' scopes, sorted).

        The rows are locked first, by a statement of their own: a statement reads with the snapshot it took before
        waiting for a lock, so a single change that held a campaign's lock and committed meanwhile (a reason
        cleared) would be missed by the reasons read in the same statement, and its scope held again with the
        newest version (P5; found by the model-based test). The second statement's snapshot has it. It also has
        every reason the campaigns hold: whoever adds one holds the campaign's row lock, so none can appear while
        these are locked, and the reason is inserted where the snapshot lacks it (not ON CONFLICT DO NOTHING, whose
        speculative insertion per row was about a tenth of the statement)."""
        locked = await self.lock_started_many(campaign_ids)
        if not locked:
            return []
        return await self._conn.fetch(
            """WITH locked AS MATERIALIZED (
                   SELECT c.id, c.status FROM unnest($1::uuid[]) AS t(id) JOIN campaigns.campaigns c ON c.id = t.id
               ), kept AS (
                   UPDATE campaigns.pause_reasons r SET clear_pending = false FROM locked l
                    WHERE r.campaign_id = l.id AND r.reason = $2 AND r.subject = $4 AND r.clear_pending
               ), added AS (
                   INSERT INTO campaigns.pause_reasons (campaign_id, reason, scope, subject, detail, since)
                   SELECT l.id, $2, $3, $4, $5, $6 FROM locked l
                    WHERE NOT EXISTS (SELECT 1 FROM campaigns.pause_reasons r
                                       WHERE r.campaign_id = l.id AND r.reason = $2 AND r.subject = $4)
                    ORDER BY l.id
                   RETURNING campaign_id
               ), others AS (
                   SELECT r.campaign_id, array_agg(r.reason) AS reasons, array_agg(r.scope) AS scopes
                     FROM added a JOIN campaigns.pause_reasons r ON r.campaign_id = a.campaign_id
                    GROUP BY r.campaign_id
               ), fresh AS (
                   SELECT a.campaign_id,
                          CASE WHEN o.campaign_id IS NULL THEN $2 ELSE (
                              SELECT x FROM unnest(o.reasons || $2::text) AS x
                               ORDER BY array_position($7::text[], x), x LIMIT 1) END AS shown,
                          CASE WHEN o.campaign_id IS NULL THEN ARRAY[$3::text] ELSE ARRAY(
                              SELECT DISTINCT s FROM unnest(o.scopes || $3::text) AS s ORDER BY s) END AS held
                     FROM added a LEFT JOIN others o ON o.campaign_id = a.campaign_id
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
               SELECT id::text AS id, status, status_before, pause_version, held FROM paused""",
            list(locked),
            reason,
            scope,
            subject,
            detail,
            now,
            list(precedence),
            actor.kind,
            actor.member_id,
            actor.source,
            actor.event_id,
        )

    async def enqueue_many(self, events: Sequence[Event]) -> list[int]:
        """`enqueue` for many events in one statement; returns their ids, in order."""
        if len(events) == 1:
            return [await self.enqueue(events[0])]
        rows = await self._conn.fetch(
            """INSERT INTO campaigns.outbox (destination, ordering_key, payload)
               SELECT d, k, p FROM unnest($1::text[], $2::text[], $3::bytea[]) WITH ORDINALITY AS t(d, k, p, n)
                ORDER BY n RETURNING id""",
            [d for d, _, _ in events],
            [k for _, k, _ in events],
            [p for _, _, p in events],
        )
        return sorted(int(r["id"]) for r in rows)

    async def remove_reasons(self, campaign_ids: Sequence[str], reason: str, subject: str) -> dict[str, ActiveReason]:
        rows = await self._conn.fetch(
            "DELETE FROM campaigns.pause_reasons r USING unnest($1::uuid[]) AS t(id) WHERE r.campaign_id = t.id"
            " AND r.reason = $2 AND r.subject = $3 RETURNING r.campaign_id, r.reason, r.scope, r.subject, r.since,"
            " r.detail",
            list(campaign_ids),
            reason,
            subject,
        )
        return {
            str(r["campaign_id"]): ActiveReason(r["reason"], r["scope"], r["subject"], r["since"], r["detail"])
            for r in rows
        }

    async def mark_clears_pending(self, campaign_ids: Sequence[str], reason: str, subject: str) -> None:
        await self._conn.execute(
            "UPDATE campaigns.pause_reasons r SET clear_pending = true FROM unnest($1::uuid[]) AS t(id)"
            " WHERE r.campaign_id = t.id AND r.reason = $2 AND r.subject = $3",
            list(campaign_ids),
            reason,
            subject,
        )

    async def recompute_pause_states(
        self, campaign_ids: Sequence[str], precedence: Sequence[str], now: datetime, *, auto_resumed: bool
    ) -> list[asyncpg.Record]:
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
            list(campaign_ids),
            list(precedence),
            now,
            auto_resumed,
        )

    async def record_histories(
        self, entries: Sequence[tuple[str, ActiveReason, str]], action: str, actor: Actor, now: datetime
    ) -> None:
        """One history row per (campaign, reason, status after), all with the same actor."""
        await self._conn.execute(
            """INSERT INTO campaigns.pause_history (campaign_id, action, reason, subject, scope, actor_kind,
                   actor_member_id, actor_source, actor_event_id, detail, status_after, at)
               SELECT t.c, $6, t.reason, t.subject, t.scope, $7, $8, $9, $10, t.detail, t.status_after, $11
                 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $12::text[])
                      AS t(c, reason, subject, scope, detail, status_after)""",
            [c for c, _, _ in entries],
            [r.reason for _, r, _ in entries],
            [r.subject for _, r, _ in entries],
            [r.scope for _, r, _ in entries],
            [r.detail for _, r, _ in entries],
            action,
            actor.kind,
            actor.member_id,
            actor.source,
            actor.event_id,
            now,
            [s for _, _, s in entries],
        )
