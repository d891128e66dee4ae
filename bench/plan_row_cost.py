"""What the dispatcher pays to map one claimed plan row (`plan_row` in services/scheduler/plan_rows_repository.py),
in microseconds per row: 500 real asyncpg records shaped as the claim's `SELECT p.*`, mapped 20 times, 7 runs,
median. With custom fields (two keys) and without ("{}", the common case).

    .venv/bin/python -m bench.plan_row_cost
"""

from __future__ import annotations

import asyncio
import statistics
import time

import asyncpg

from services.common import embedded_pg
from services.scheduler.plan_rows_repository import plan_row

ROWS = """SELECT gen_random_uuid() AS prospect_id, gen_random_uuid() AS campaign_id, 0 AS step_index,
       'scheduled'::text AS state, 'linkedin'::text AS channel, 'invite'::text AS action_type,
       gen_random_uuid() AS sender_id, now() AS due_at, now() AS next_action_at, 'ACoA1'::text AS linkedin_provider_id,
       NULL::text AS email, 'Ana'::text AS first_name, 'Silva'::text AS last_name, 'Acme'::text AS company,
       $1::jsonb AS fields, gen_random_uuid() AS linkedin_sender_id, NULL::uuid AS inbox_id, 0 AS failures,
       ''::text AS stop_reason, ''::text AS voice, NULL::timestamptz AS parked_until
  FROM generate_series(1, 500)"""


async def main() -> None:
    server, dsn = embedded_pg.start_throwaway()
    try:
        conn = await asyncpg.connect(dsn)
        try:
            for fields in ('{"title": "CEO", "city": "Paris"}', "{}"):
                rows = await conn.fetch(ROWS, fields)
                runs = []
                for _ in range(7):
                    started = time.perf_counter()
                    for _ in range(20):
                        for row in rows:
                            plan_row(row)
                    runs.append((time.perf_counter() - started) / (20 * len(rows)) * 1e6)
                print(
                    f"plan_row, fields {fields}: median {statistics.median(runs):.2f} us per row "
                    f"(min {min(runs):.2f}, max {max(runs):.2f})"
                )
        finally:
            await conn.close()
    finally:
        server.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    asyncio.run(main())
