"""SQL of the read-only figures the UI shows: a sender's counts against its caps, and what a campaign's sends came
to per step and per day. Part of the repository layer beside `repository.py`; runs on a `Tx`'s connection."""

from __future__ import annotations

from datetime import date

import asyncpg

from services.scheduler.domain import COUNTED
from services.scheduler.repository import Tx

SENT = ("succeeded", "reconciled_sent")
FAILED = ("failed", "refused", "abandoned")


class StatsTx:
    def __init__(self, tx: Tx):
        self._conn: asyncpg.Connection = tx.conn

    async def counted_between(self, sender_id: str, since: date, until: date) -> int:
        """Actions of every type that count against the sender's caps, on its local days since..until."""
        return int(
            await self._conn.fetchval(
                """SELECT count(*) FROM scheduler.send_attempts WHERE sender_id = $1
                 AND sender_local_date BETWEEN $2 AND $3 AND status = ANY($4::text[])""",
                sender_id,
                since,
                until,
                list(COUNTED),
            )
        )

    async def sender_rates(self, sender_id: str) -> asyncpg.Record | None:
        return await self._conn.fetchrow(
            "SELECT failure_rate, failure_sample, bounce_rate, bounce_sample FROM scheduler.sender_states"
            " WHERE sender_id = $1",
            sender_id,
        )

    async def campaign_timezone(self, campaign_id: str) -> str | None:
        return await self._conn.fetchval(
            "SELECT timezone FROM scheduler.campaign_plans WHERE campaign_id = $1", campaign_id
        )

    async def prospect_states(self, campaign_id: str) -> dict[str, int]:
        rows = await self._conn.fetch(
            "SELECT state, count(*) AS n FROM scheduler.prospect_plans WHERE campaign_id = $1 GROUP BY state",
            campaign_id,
        )
        return {r["state"]: int(r["n"]) for r in rows}

    async def voices(self, campaign_id: str) -> dict[str, int]:
        rows = await self._conn.fetch(
            "SELECT voice, count(*) AS n FROM scheduler.prospect_plans WHERE campaign_id = $1 AND voice <> ''"
            " GROUP BY voice",
            campaign_id,
        )
        return {r["voice"]: int(r["n"]) for r in rows}

    async def steps(self, campaign_id: str) -> list[asyncpg.Record]:
        """Per step: who reached it, sends, failures, bounces and (invitations) acceptances."""
        return await self._conn.fetch(
            """WITH attempts AS (
                   SELECT a.step_index,
                          count(DISTINCT a.prospect_id) FILTER (WHERE a.status = ANY($2::text[])) AS sent,
                          count(*) FILTER (WHERE a.status = ANY($3::text[])) AS failed,
                          count(b.attempt_id) AS bounced,
                          count(DISTINCT a.prospect_id) FILTER (
                              WHERE a.action_type = 'linkedin_invite' AND a.status = ANY($2::text[])
                                AND p.step_index > a.step_index) AS accepted
                     FROM scheduler.send_attempts a
                     LEFT JOIN scheduler.bounces b ON b.attempt_id = a.id
                     LEFT JOIN scheduler.prospect_plans p ON p.prospect_id = a.prospect_id
                    WHERE a.campaign_id = $1
                    GROUP BY a.step_index)
               SELECT s.index AS step_index,
                      (SELECT count(*) FROM scheduler.prospect_plans p
                        WHERE p.campaign_id = $1 AND p.step_index >= s.index) AS reached,
                      coalesce(t.sent, 0) AS sent, coalesce(t.failed, 0) AS failed,
                      coalesce(t.bounced, 0) AS bounced, coalesce(t.accepted, 0) AS accepted
                 FROM scheduler.plan_steps s LEFT JOIN attempts t ON t.step_index = s.index
                WHERE s.campaign_id = $1 ORDER BY s.index""",
            campaign_id,
            list(SENT),
            list(FAILED),
        )

    async def days(self, campaign_id: str, timezone: str) -> list[asyncpg.Record]:
        """Sends, failures and bounces per local day of the campaign (the day each attempt started)."""
        return await self._conn.fetch(
            """SELECT (a.started_at AT TIME ZONE $2)::date AS day,
                      count(*) FILTER (WHERE a.status = ANY($3::text[])) AS sent,
                      count(*) FILTER (WHERE a.status = ANY($4::text[])) AS failed,
                      count(b.attempt_id) AS bounced
                 FROM scheduler.send_attempts a LEFT JOIN scheduler.bounces b ON b.attempt_id = a.id
                WHERE a.campaign_id = $1 AND a.status <> 'started'
                GROUP BY 1 ORDER BY 1""",
            campaign_id,
            timezone,
            list(SENT),
            list(FAILED),
        )
