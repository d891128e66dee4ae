"""B3: pause propagation, per webhook, through the whole suite (real gRPC and HTTP, the Unipile sandbox).

1,000 LinkedIn accounts, each sending for one started campaign, go CREDENTIALS (disconnected): Unipile's
account-status webhook for each is posted to the gateway at a steady rate. For each webhook we measure the time
from its POST to the hold being in force in the scheduler: the campaign's row in `scheduler.campaign_holds`
(what the dispatcher's claim joins and locks) holding the LinkedIn scope, read from the row's own `changed_at`.
Then every account is OK again (a webhook each) and we measure, per webhook, the time to the campaign being
active again (its row in campaigns) and to the hold being lifted in the scheduler.
Targets: p99 <= 250 ms to the hold, p99 <= 2 s to active again.

Baseline, in the same run and at the same rate: the round trip of a bare GET /healthz to the gateway (the HTTP
floor every webhook pays: the same client, connection pool and server, no work behind it).

    .venv/bin/python -m bench.b3_propagation [--accounts 1000] [--rate 20]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench import summary
from bench.common import RunningSuite, generate_campaigns, percentiles, running_suite


def note(what: str, seconds: list[float], floor: list[float], target_ms: float) -> None:
    """The figure for the summary table: p99 against the floor's p99."""
    p99, floor_p99 = percentiles(seconds)["p99"] * 1000, percentiles(floor)["p99"] * 1000
    summary.record(
        "B3",
        what,
        f"p99 {p99:.1f} ms (p50 {percentiles(seconds)['p50'] * 1000:.1f})",
        f"GET /healthz p99 {floor_p99:.1f} ms",
        p99 / floor_p99,
        f"p99 <= {target_ms:,.0f} ms",
        p99 <= target_ms,
    )


def line(what: str, seconds: list[float], target_ms: float | None = None) -> str:
    p = percentiles(seconds)
    text = " ".join(f"{k} {v * 1000:7.1f}" for k, v in p.items())
    if target_ms is not None:
        text += f"  (target p99 <= {target_ms:,.0f} ms: {'met' if p['p99'] * 1000 <= target_ms else 'MISSED'})"
    return f"B3 {what:<44} ms: {text}"


async def paced(count: int, rate: float, one: object) -> list[float]:
    """Start `one(i)` for i in 0..count-1 at `rate` per second (not waiting for each); return each start time."""
    starts: list[float] = [0.0] * count
    tasks = []
    began = time.monotonic()
    for i in range(count):
        await asyncio.sleep(max(0.0, began + i / rate - time.monotonic()))
        starts[i] = time.time()
        tasks.append(asyncio.create_task(one(i)))  # type: ignore[operator]
    await asyncio.gather(*tasks)
    return starts


async def wait_rows(run: RunningSuite, sql: str, ids: list[str], within_s: float = 120.0) -> None:
    deadline = time.monotonic() + within_s
    while (done := await run.db.fetchval(sql, ids)) < len(ids):
        assert time.monotonic() < deadline, f"only {done} of {len(ids)} after {within_s} s"
        await asyncio.sleep(0.05)


async def run(accounts: int, rate: float) -> None:
    async with running_suite() as run:
        suite = run.suite
        workspace_id, auth = await suite.new_workspace("Propagation")
        started = time.perf_counter()
        unipile_ids = [await run.unipile_account(f"Ana {i}") for i in range(accounts)]
        linkedin_ids = []
        for start in range(0, accounts, 20):  # through the API, a few at a time
            linkedin_ids += await asyncio.gather(
                *(suite.linkedin_account(auth, unipile_account_id=u) for u in unipile_ids[start : start + 20])
            )
        campaign_ids = await generate_campaigns(run.db, workspace_id, linkedin_ids)
        print(
            f"B3 {accounts:,} accounts (through the API) and their campaigns generated in "
            f"{time.perf_counter() - started:.1f} s; webhooks at {rate:g}/s",
            flush=True,
        )

        async def healthz(_: int) -> float:
            started = time.time()
            async with suite.http.get(f"{suite.base_url}/healthz") as r:
                assert r.status == 200
                await r.read()
            return time.time() - started

        floor: list[float] = []

        async def timed_healthz(i: int) -> None:
            floor.append(await healthz(i))

        await paced(accounts, rate, timed_healthz)
        print(line("floor: GET /healthz round trip", floor), flush=True)

        for u in unipile_ids:  # Unipile's own state changes first; the webhook only says so (DESIGN A1)
            await run.post(
                f"{run.unipile_url}/_sandbox/accounts/{u}/status", json={"status": "CREDENTIALS", "notify": False}
            )
        answered: list[float] = [0.0] * accounts

        async def disconnect(i: int) -> None:
            await run.account_status_webhook(unipile_ids[i], "CREDENTIALS")
            answered[i] = time.time()

        sent = await paced(accounts, rate, disconnect)
        await wait_rows(
            run,
            "SELECT count(*) FROM scheduler.campaign_holds WHERE campaign_id = ANY($1) AND held_scopes = '{linkedin}'",
            campaign_ids,
        )
        held = {
            str(r["campaign_id"]): r["changed_at"].timestamp()
            for r in await run.db.fetch(
                "SELECT campaign_id, changed_at FROM scheduler.campaign_holds WHERE campaign_id = ANY($1)", campaign_ids
            )
        }
        print(line("disconnect: webhook answered", [a - s for a, s in zip(answered, sent, strict=True)]))
        hold_in_force = [held[c] - s for c, s in zip(campaign_ids, sent, strict=True)]
        print(line("disconnect: webhook -> hold in force", hold_in_force, 250))
        note(f"{accounts:,} disconnect webhooks -> hold in force", hold_in_force, floor, 250)

        for u in unipile_ids:
            await run.post(f"{run.unipile_url}/_sandbox/accounts/{u}/status", json={"status": "OK", "notify": False})

        async def reconnect(i: int) -> None:
            await run.account_status_webhook(unipile_ids[i], "OK")

        sent = await paced(accounts, rate, reconnect)
        await wait_rows(
            run,
            "SELECT count(*) FROM scheduler.campaign_holds WHERE campaign_id = ANY($1) AND held_scopes = '{}'",
            campaign_ids,
        )
        await wait_rows(
            run, "SELECT count(*) FROM campaigns.campaigns WHERE id = ANY($1) AND status = 'active'", campaign_ids
        )
        rows = await run.db.fetch(
            """SELECT c.id, c.updated_at, h.changed_at FROM campaigns.campaigns c
                 JOIN scheduler.campaign_holds h ON h.campaign_id = c.id WHERE c.id = ANY($1)""",
            campaign_ids,
        )
        active = {str(r["id"]): r["updated_at"].timestamp() for r in rows}
        released = {str(r["id"]): r["changed_at"].timestamp() for r in rows}
        back_active = [active[c] - s for c, s in zip(campaign_ids, sent, strict=True)]
        print(line("reconnect: webhook -> campaign active", back_active, 2000))
        note(f"{accounts:,} reconnect webhooks -> campaign active", back_active, floor, 2000)
        print(
            line(
                "reconnect: webhook -> hold lifted",
                [released[c] - s for c, s in zip(campaign_ids, sent, strict=True)],
                2000,
            )
        )
        history = await run.db.fetchval(
            "SELECT count(*) FROM campaigns.pause_history WHERE campaign_id = ANY($1)", campaign_ids
        )
        assert history == 2 * accounts, history


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1000, help="accounts, one webhook each way")
    parser.add_argument("--rate", type=float, default=20, help="webhooks posted per second")
    args = parser.parse_args()
    asyncio.run(run(args.accounts, args.rate))


if __name__ == "__main__":
    main()
