"""B7: a LinkedIn reply stops its prospect, per webhook, through the whole suite (real gRPC and HTTP, the Unipile
sandbox).

500 LinkedIn accounts each send for one started campaign with one prospect. Each prospect writes to its account
in the sandbox (quietly), then Unipile's `message_received` webhook for that message is posted to the gateway
at a steady rate. The webhook is only a trigger: the scheduler reads the message and its chat back from the
sandbox over HTTP, classifies it and writes the voice on the prospect's plan row. For each webhook we measure the
time from its POST to that write (`scheduler.prospect_plans.voice_changed_at`, taken after the row lock, read
from the database clock). Target: p99 <= 1 s at 50 webhooks/s.

Baseline, in the same run and at the same rate: the round trip of a bare GET /healthz to the gateway.

    .venv/bin/python -m bench.b7_replies [--accounts 500] [--rate 50]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench import summary
from bench.b3_propagation import paced, wait_rows
from bench.common import UNIPILE_WEBHOOK_SECRET, generate_campaigns, percentiles, running_suite
from services.common.providers.unipile import UnipileClient


def line(what: str, seconds: list[float], target_ms: float | None = None) -> str:
    p = percentiles(seconds)
    text = " ".join(f"{k} {v * 1000:7.1f}" for k, v in p.items())
    if target_ms is not None:
        text += f"  (target p99 <= {target_ms:,.0f} ms: {'met' if p['p99'] * 1000 <= target_ms else 'MISSED'})"
    return f"B7 {what:<40} ms: {text}"


async def run(accounts: int, rate: float) -> None:
    async with running_suite() as run:
        suite = run.suite
        await UnipileClient(run.unipile_url, "bench-key", suite.http).create_webhook(
            f"{suite.base_url}/webhooks/unipile", "messaging", {"Unipile-Auth": UNIPILE_WEBHOOK_SECRET}
        )
        workspace_id, auth = await suite.new_workspace("Replies")
        started = time.perf_counter()
        unipile_ids = [await run.unipile_account(f"Ana {i}") for i in range(accounts)]
        linkedin_ids = []
        for start in range(0, accounts, 20):
            linkedin_ids += await asyncio.gather(
                *(suite.linkedin_account(auth, unipile_account_id=u) for u in unipile_ids[start : start + 20])
            )
        campaign_ids = await generate_campaigns(run.db, workspace_id, linkedin_ids)
        await wait_rows(
            run,
            "SELECT count(*) FROM scheduler.sender_states WHERE sender_id = ANY($1) AND unipile_account_id <> ''",
            linkedin_ids,
        )
        rows = await run.db.fetch(
            "SELECT campaign_id, prospect_id, linkedin_provider_id FROM scheduler.prospect_plans"
            " WHERE campaign_id = ANY($1)",
            campaign_ids,
        )
        prospects = {str(r["campaign_id"]): (str(r["prospect_id"]), r["linkedin_provider_id"]) for r in rows}
        messages = []
        for account, campaign in zip(unipile_ids, campaign_ids, strict=True):
            written = await run.post(
                f"{run.unipile_url}/_sandbox/accounts/{account}/messages",
                json={"provider_id": prospects[campaign][1], "text": "Thanks, not now.", "notify": False},
            )
            messages.append(written["message_id"])
        print(
            f"B7 {accounts:,} accounts, campaigns and replies generated in {time.perf_counter() - started:.1f} s;"
            f" webhooks at {rate:g}/s",
            flush=True,
        )

        floor: list[float] = []

        async def healthz(_: int) -> None:
            began = time.time()
            async with suite.http.get(f"{suite.base_url}/healthz") as r:
                assert r.status == 200
                await r.read()
            floor.append(time.time() - began)

        await paced(accounts, rate, healthz)
        print(line("floor: GET /healthz round trip", floor), flush=True)

        answered: list[float] = [0.0] * accounts

        async def webhook(i: int) -> None:
            await run.post(
                f"{suite.base_url}/webhooks/unipile",
                headers={"Unipile-Auth": UNIPILE_WEBHOOK_SECRET},
                json={
                    "event": "message_received",
                    "account_id": unipile_ids[i],
                    "account_type": "LINKEDIN",
                    "message_id": messages[i],
                    "message": "Thanks, not now.",
                },
            )
            answered[i] = time.time()

        sent = await paced(accounts, rate, webhook)
        ids = [prospects[c][0] for c in campaign_ids]
        await wait_rows(
            run,
            "SELECT count(*) FROM scheduler.prospect_plans WHERE prospect_id = ANY($1::uuid[]) AND voice = 'replied'",
            ids,
        )
        stopped = {
            str(r["prospect_id"]): r["voice_changed_at"].timestamp()
            for r in await run.db.fetch(
                "SELECT prospect_id, voice_changed_at FROM scheduler.prospect_plans"
                " WHERE prospect_id = ANY($1::uuid[])",
                ids,
            )
        }
        print(line("webhook answered", [a - s for a, s in zip(answered, sent, strict=True)]))
        latency = [stopped[p] - s for p, s in zip(ids, sent, strict=True)]
        print(line("webhook -> prospect stopped", latency, 1000))
        p99, floor_p99 = percentiles(latency)["p99"], percentiles(floor)["p99"]
        summary.record(
            "B7",
            f"LinkedIn reply webhook -> prospect stopped, {accounts:,} at {rate:g}/s",
            f"p99 {p99 * 1000:.0f} ms",
            f"GET /healthz round trip p99 {floor_p99 * 1000:.1f} ms",
            None,
            "p99 <= 1 s",
            p99 <= 1.0,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=500, help="accounts, one reply webhook each")
    parser.add_argument("--rate", type=float, default=50, help="webhooks posted per second")
    args = parser.parse_args()
    asyncio.run(run(args.accounts, args.rate))


if __name__ == "__main__":
    main()
