"""SQL of what each sender has used and has planned against its caps (S4, S5): the counts a dispatch checks,
and the reads and the set-based write of a re-clamp, which moves a campaign's overdue actions to the instants
placed for them. Mixed into the repository's `Tx`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import asyncpg

from services.scheduler.domain import COUNTED
from services.scheduler.plan_rows_repository import aware


class CapacityTx:
    conn: asyncpg.Connection

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
        return {str(r["sender_id"]): [aware(at) for at in r["at"]] for r in rows}

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
