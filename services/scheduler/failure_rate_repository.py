"""SQL of each sender's failure rate over a sliding window (DESIGN S10, P7; the use case is `failure_rate.py`): the
attempts and failures counted, the alert state kept per sender, and the probation that restarts its sample.
Mixed into the repository's `Tx`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.scheduler.domain import FAILED_OUTCOMES_COUNTED, HARMLESS_REFUSALS, LOCAL_REFUSALS


class FailureRateTx:
    conn: asyncpg.Connection

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
