"""A model-based test of the whole suite (issue 15): hypothesis drives the real services (real PostgreSQL, real
gRPC, real HTTP, the Unipile and SMTP sandboxes, one virtual clock) with random sequences of what members,
providers and billing do, and after every step checks the invariants of tests/model/invariants.py.

Each sequence is a fresh workspace with two LinkedIn accounts and two inboxes on one running suite (time only
goes forward across sequences). HOLDFAST_MODEL_SEQUENCES (default 200) and HOLDFAST_MODEL_STEPS (default 30)
size the run; HOLDFAST_MODEL_SEED=random explores (the seed is printed), any other value is the seed (default
fixed, so `make test` repeats itself). `make soak` runs it longer with a random seed."""

from __future__ import annotations

import asyncio
import functools
import os
import random
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from holdfast.scheduler.v1 import scheduler_pb2, scheduler_pb2_grpc
from services.common import timemath
from services.common.grpc_client import open_channel
from services.common.proto_time import to_timestamp
from services.scheduler.providers import message_id
from tests.e2e.conftest import PARIS, SCHEDULE, SENDER_PASSWORD, World
from tests.e2e.test_health_flow import signed
from tests.model import invariants
from tests.model.conftest import MODEL_ENV

SEQUENCES = int(os.environ.get("HOLDFAST_MODEL_SEQUENCES") or 200)
STEPS = int(os.environ.get("HOLDFAST_MODEL_STEPS") or 30)
_SEED = os.environ.get("HOLDFAST_MODEL_SEED") or "20261206"
SEED = random.randrange(2**32) if _SEED == "random" else int(_SEED)
# Shrinking a failing sequence replays it many times (minutes); `make soak` asks for it, `make test` reports the
# failing sequence as it ran.
SHRINK = os.environ.get("HOLDFAST_MODEL_SHRINK") == "1"
PACING = 60
LIMIT = {
    "daily_cap": 6,
    "weekly_cap": 30,
    "ramp_start": 6,
    "ramp_step": 0,
    "pacing_min_seconds": PACING,
    "pacing_max_seconds": PACING,
}
LIMITS = {t: (LIMIT["daily_cap"], PACING) for t in ("linkedin_invite", "linkedin_message", "email")}
STEPS_OF = {
    "linkedin": [{"channel": "linkedin", "action": "invite", "text": "Hi"}],
    "email": [{"channel": "email", "action": "email", "subject": "Hello", "body": "A note"}],
    "both": [
        {"channel": "linkedin", "action": "invite", "text": "Hi"},
        {"channel": "email", "action": "email", "subject": "Hello", "body": "A note", "delay": {"hours": 2}},
    ],
}
COOLDOWN = timedelta(seconds=float(MODEL_ENV["HOLDFAST_AUTO_RESUME_COOLDOWN_SECONDS"]))
TZ = ZoneInfo(SCHEDULE["timezone"])
TEXTS = {
    "reply": "Yes, Thursday 10:00 works for me.",
    "opt_out": "Please remove me from your list.",
    "out_of_office": "I am out of the office until next week, with limited access to email.",
}
EVENTS: Counter[str] = Counter()
SPENT: Counter[str] = Counter()  # real seconds per rule and for the invariants
LENGTHS: list[int] = []  # steps of each sequence run
DURATIONS: list[float] = []  # real seconds of each sequence


def timed(f):  # noqa: ANN001, ANN201
    @functools.wraps(f)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        started = time.monotonic()
        try:
            return f(*args, **kwargs)
        finally:
            SPENT[f.__name__] += time.monotonic() - started

    return wrapper


class Bridge:
    """Runs the suite's coroutines on its own event loop from hypothesis' thread."""

    def __init__(
        self, world: World, loop: asyncio.AbstractEventLoop, scheduler: scheduler_pb2_grpc.SchedulerServiceStub
    ):
        self.w = world
        self.loop = loop
        self.scheduler = scheduler  # what accounts calls with the bounces it finds
        self.sequences = 0

    def run(self, coro):  # noqa: ANN001, ANN201
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    def call(self, method: str, path: str, auth: dict[str, str] | None = None, **kwargs) -> tuple[int, dict]:  # noqa: ANN003
        return self.run(self.w.suite.call(method, path, auth, **kwargs))


BRIDGE: Bridge | None = None


DUE_CLEARS = """SELECT count(*) FROM campaigns.pause_reasons r JOIN campaigns.campaigns c ON c.id = r.campaign_id
                 WHERE r.clear_pending AND (c.last_auto_resumed_at IS NULL OR c.last_auto_resumed_at <= $1)"""


async def quiet(w: World) -> bool:
    """Nothing due at this virtual instant is left undone: no send (P8: a campaign with no reason sends), no
    event in any outbox, no clear whose cool-down has ended (P9). One query, so polling it is cheap."""
    return bool(
        await w.db.fetchval(
            """SELECT NOT EXISTS (SELECT FROM scheduler.prospect_plans p
                  JOIN scheduler.sender_states s ON s.sender_id = p.sender_id
                  JOIN scheduler.campaign_holds h ON h.campaign_id = p.campaign_id
                  JOIN scheduler.campaign_plans c ON c.campaign_id = p.campaign_id AND c.active
                 WHERE (p.state = 'in_flight')
                    OR (p.state = 'scheduled' AND p.next_action_at <= $1 AND s.next_send_after <= $1
                        AND s.status = 'connected' AND NOT (h.held_scopes && ARRAY['campaign', p.channel])))
              AND NOT EXISTS (SELECT FROM campaigns.outbox) AND NOT EXISTS (SELECT FROM accounts.outbox)
              AND NOT EXISTS (SELECT FROM scheduler.outbox)
              AND NOT EXISTS (SELECT FROM campaigns.pause_reasons r JOIN campaigns.campaigns c ON c.id = r.campaign_id
                               WHERE r.clear_pending
                                 AND (c.last_auto_resumed_at IS NULL OR c.last_auto_resumed_at <= $2))""",
            w.clock.now(),
            w.clock.now() - COOLDOWN,
        )
    )


async def settle(w: World) -> None:
    """Wait (polling every 5 ms of real time) until the suite has done everything due at the current virtual
    instant; say what is left when it does not within 40 s."""
    deadline = time.monotonic() + 40
    while not await quiet(w):
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.005)
    else:
        return
    outbox = [
        dict(r)
        for schema in ("campaigns", "accounts", "scheduler")
        for r in await w.db.fetch(f"SELECT * FROM {schema}.outbox")
    ]
    pending = await w.db.fetch(
        """SELECT p.*, s.status AS sender_status, s.next_send_after, h.held_scopes FROM scheduler.prospect_plans p
             JOIN scheduler.sender_states s ON s.sender_id = p.sender_id
             JOIN scheduler.campaign_holds h ON h.campaign_id = p.campaign_id
             JOIN scheduler.campaign_plans c ON c.campaign_id = p.campaign_id AND c.active
            WHERE (p.state = 'in_flight')
               OR (p.state = 'scheduled' AND p.next_action_at <= $1 AND s.next_send_after <= $1
                   AND s.status = 'connected' AND NOT (h.held_scopes && ARRAY['campaign', p.channel]))""",
        w.clock.now(),
    )
    busy = await w.db.fetch(
        "SELECT state, wait_event_type, wait_event, left(query, 300) AS query FROM pg_stat_activity"
        " WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid()"
    )
    attempts = await w.db.fetch(
        "SELECT * FROM scheduler.send_attempts WHERE sender_id = ANY($1::uuid[]) ORDER BY started_at DESC LIMIT 5",
        [r["sender_id"] for r in pending],
    )
    clears = await w.db.fetchval(DUE_CLEARS, w.clock.now() - COOLDOWN)
    raise AssertionError(
        f"the suite did not settle at {w.clock.now()}: clears due {clears}, outbox {outbox}, "
        f"pending {[dict(r) for r in pending]}, busy {[dict(r) for r in busy]}, "
        f"attempts {[dict(r) for r in attempts]}"
    )


async def advance(w: World, end: datetime) -> None:
    """Jump from one instant the dispatcher may act at to the next (virtual time), letting it work. Unlike
    World.run_until it only ever moves forward, so an action that stays due (a draft's) cannot stall it."""
    await settle(w)
    while True:
        nxt = await w.db.fetchval(
            """SELECT min(greatest(p.next_action_at, s.next_send_after)) FROM scheduler.prospect_plans p
                 JOIN scheduler.sender_states s ON s.sender_id = p.sender_id
                 JOIN scheduler.campaign_holds h ON h.campaign_id = p.campaign_id
                 JOIN scheduler.campaign_plans c ON c.campaign_id = p.campaign_id AND c.active
                WHERE p.state = 'scheduled' AND s.status IN ('connected', 'degraded')
                  AND NOT (h.held_scopes && ARRAY['campaign', p.channel])
                  AND greatest(p.next_action_at, s.next_send_after) > $1""",
            w.clock.now(),
        )
        # P9: a clear waiting for its cool-down is due at the campaign's last auto-resume + the cool-down.
        cooled = await w.db.fetchval(
            """SELECT min(c.last_auto_resumed_at + $2::interval) FROM campaigns.pause_reasons r
                 JOIN campaigns.campaigns c ON c.id = r.campaign_id
                WHERE r.clear_pending AND c.last_auto_resumed_at + $2::interval > $1""",
            w.clock.now(),
            COOLDOWN,
        )
        if cooled is not None and cooled <= end and (nxt is None or cooled <= nxt):
            # Once the cool-down ends, the campaign resumes within 5 s of virtual time: the clock stands still
            # at its end while the sweeper works, then moves 5 s, and the clear must be done by then.
            w.clock.set(cooled)
            await settle(w)
            w.clock.set(cooled + timedelta(seconds=5))
            late = await w.db.fetchval(DUE_CLEARS, cooled - COOLDOWN)
            assert not late, f"{late} clears still waiting 5 s after their cool-down ended at {cooled}"
            EVENTS["cool-down ended -> resumed within 5 s"] += 1
            await settle(w)
            continue
        if nxt is None or nxt > end:
            w.clock.set(max(end, w.clock.now()))
            await settle(w)
            return
        w.clock.set(nxt)
        await settle(w)


class SuiteModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        assert BRIDGE is not None
        self.b = BRIDGE
        w = self.b.w
        self.b.sequences += 1
        change = next_dst_change(w.clock.now())
        if self.b.sequences % 3 == 0 and change - w.clock.now() < timedelta(days=120):
            # Days crossing a DST change: start this sequence a day and a half before the schedule's next one.
            # (The sequences before are quiet: teardown lapsed their subscriptions.)
            w.clock.set(max(w.clock.now(), change - timedelta(hours=36)))
            EVENTS["sequence started before a DST change"] += 1
        self.workspace, self.auth = self._new_workspace()
        self.accounts: dict[str, str] = {}  # our id -> Unipile id
        for _ in range(2):
            unipile_id = f"acc-{uuid.uuid4().hex[:10]}"
            self.b.run(self._post(f"{w.unipile_url}/_sandbox/accounts", {"id": unipile_id, "name": "Ana"}))
            limits = {"linkedin_invite": LIMIT, "linkedin_message": LIMIT}
            self.accounts[
                self.b.run(
                    w.suite.linkedin_account(
                        self.auth, unipile_account_id=unipile_id, timezone="Europe/Paris", limits=limits
                    )
                )
            ] = unipile_id
        self.inboxes: list[str] = []
        self.addresses: list[str] = []
        for _ in range(2):
            address = f"s{uuid.uuid4().hex[:8]}@acme.example"
            w.smtp.set_password(address, SENDER_PASSWORD)
            server = {
                "host": "127.0.0.1",
                "port": w.smtp_port,
                "security": "none",
                "username": address,
                "password": SENDER_PASSWORD,
            }
            status, inbox = self.b.call(
                "POST",
                "/api/v1/inboxes",
                self.auth,
                json={
                    "email": address,
                    "smtp": server,
                    "imap": {**server, "port": 1},
                    "timezone": "Europe/Paris",
                    "limits": {"email": LIMIT},
                },
            )
            assert status == 201, inbox
            self.inboxes.append(inbox["id"])
            self.addresses.append(address)
        self.campaigns: list[str] = []
        self.started: set[str] = set()
        self.prospects = 0
        self.billing_events = 0
        # What stops a prospect, as the model saw it acknowledged: prospect -> [(since, until or None)] (a reply,
        # an opt-out, a bounce; a re-classification as out-of-office ends it); and each suppressed value.
        self.stops: dict[str, list[tuple[datetime, datetime | None]]] = {}
        self.suppressed: list[tuple[str, str, datetime]] = []
        self.checks = 0  # steps run (the invariants run after each, the initialize rule's too)
        self.began = time.monotonic()

    def _new_workspace(self) -> tuple[str, dict[str, str]]:
        return self.b.run(self.b.w.suite.new_workspace())

    async def _post(self, url: str, body: dict) -> None:
        async with self.b.w.suite.http.post(url, json=body) as r:
            assert r.status < 300, await r.text()

    def settle(self) -> None:
        started = time.monotonic()
        self.b.run(settle(self.b.w))
        SPENT["settle (within the rules)"] += time.monotonic() - started

    # ------------------------------------------------------------------ members

    @initialize(
        channels=st.sampled_from(["both", "linkedin", "email"]), senders=st.integers(1, 2), prospects=st.integers(1, 4)
    )
    @timed
    def first_campaign(self, channels: str, senders: int, prospects: int) -> None:
        """Every sequence starts with a campaign that sends."""
        self.create_campaign(channels, senders, prospects, True)

    @rule(
        channels=st.sampled_from(["both", "linkedin", "email"]),
        senders=st.integers(1, 2),
        prospects=st.integers(0, 4),
        activate=st.booleans(),
    )
    @timed
    def create_campaign(self, channels: str, senders: int, prospects: int, activate: bool) -> None:
        EVENTS["create campaign"] += 1
        linkedin = list(self.accounts)[:senders] if channels != "email" else []
        inboxes = self.inboxes[:senders] if channels != "linkedin" else []
        status, c = self.b.call(
            "POST",
            "/api/v1/campaigns",
            self.auth,
            json={
                "name": f"C{len(self.campaigns)}",
                "schedule": SCHEDULE,
                "steps": STEPS_OF[channels],
                "senders": {"linkedin_account_ids": linkedin, "inbox_ids": inboxes},
            },
        )
        assert status == 201, c
        self.campaigns.append(c["id"])
        self._add(c["id"], prospects)
        if activate:
            self.activate(len(self.campaigns) - 1)

    def _add(self, cid: str, n: int) -> None:
        if n == 0:
            return
        people = [
            {
                "linkedin_provider_id": f"ACo{self.prospects + i:05d}{uuid.uuid4().hex[:4]}",
                "email": f"p{self.prospects + i}.{uuid.uuid4().hex[:6]}@prospect.example",
            }
            for i in range(n)
        ]
        self.prospects += n
        status, added = self.b.call("POST", f"/api/v1/campaigns/{cid}/prospects", self.auth, json={"prospects": people})
        assert status == 200 and added["added"] == n, added
        self.settle()

    @precondition(lambda self: self.campaigns)
    @rule(pick=st.integers(0, 99), n=st.integers(1, 4))
    @timed
    def add_prospects(self, pick: int, n: int) -> None:
        EVENTS["add prospects"] += 1
        self._add(self.campaigns[pick % len(self.campaigns)], n)

    @precondition(lambda self: self.campaigns)
    @rule(pick=st.integers(0, 99))
    @timed
    def activate(self, pick: int) -> None:
        cid = self.campaigns[pick % len(self.campaigns)]
        status, answer = self.b.call("POST", f"/api/v1/campaigns/{cid}/activate", self.auth)
        EVENTS[f"activate -> {answer['campaign']['status'] if status == 200 else status}"] += 1
        assert status in (200, 409), answer
        if status == 200:
            self.started.add(cid)
        self.settle()

    @precondition(lambda self: self.started)
    @rule(pick=st.integers(0, 99))
    @timed
    def pause(self, pick: int) -> None:
        EVENTS["manual pause"] += 1
        cid = sorted(self.started)[pick % len(self.started)]
        status, answer = self.b.call("POST", f"/api/v1/campaigns/{cid}/pause", self.auth)
        assert status == 200 and answer["campaign"]["status"] == "paused", answer

    @precondition(lambda self: self.started)
    @rule(pick=st.integers(0, 99), hours=st.sampled_from([20, 3, 50]), when_unblocked=st.booleans())
    @timed
    def pause_a_while_then_resume(self, pick: int, hours: int, when_unblocked: bool) -> None:
        """A member's pause over hours or days, then a resume that must do what its preview says."""
        self.pause(pick)
        self.time_passes(hours)
        self.resume(pick, when_unblocked)

    @precondition(lambda self: self.started)
    @rule(pick=st.integers(0, 99), when_unblocked=st.booleans())
    @timed
    def resume(self, pick: int, when_unblocked: bool) -> None:
        cid = sorted(self.started)[pick % len(self.started)]
        self.settle()
        _, before = self.b.call("GET", f"/api/v1/campaigns/{cid}", self.auth)
        _, preview = self.b.call("GET", f"/api/v1/campaigns/{cid}/resume-preview", self.auth)
        window_open = timemath.is_open(PARIS, self.b.w.clock.now())
        overdue = self._overdue(cid)
        body = {"when_unblocked": True} if when_unblocked else None
        status, answer = self.b.call("POST", f"/api/v1/campaigns/{cid}/resume", self.auth, json=body)
        EVENTS[f"resume{' when unblocked' if when_unblocked else ''} -> {status}"] += 1
        if status == 409:
            assert not when_unblocked, answer
            _, after = self.b.call("GET", f"/api/v1/campaigns/{cid}", self.auth)
            assert after == before, "a refused resume changes nothing"
            return
        assert status == 200, answer
        if answer["campaign"]["status"] == "active" and before["status"] == "paused" and not window_open:
            # Nothing was sent between the preview and the resume: the plan is what the preview said.
            moved = sorted(at for p, at in self._planned(cid) if p in overdue)
            assert len(moved) == preview["overdue"] == len(overdue), (preview, moved)
            if moved:
                assert datetime.fromisoformat(preview["first_at"]) == moved[0], (preview, moved)
                assert datetime.fromisoformat(preview["last_at"]) == moved[-1], (preview, moved)
            EVENTS["resume checked against its preview"] += 1

    def _planned(self, cid: str) -> list[tuple[str, datetime]]:
        rows = self.b.run(
            self.b.w.db.fetch(
                "SELECT prospect_id::text, next_action_at FROM scheduler.prospect_plans WHERE campaign_id = $1::uuid"
                " AND state = 'scheduled'",
                cid,
            )
        )
        return [(r[0], r[1]) for r in rows]

    def _overdue(self, cid: str) -> set[str]:
        now = self.b.w.clock.now()
        return {p for p, at in self._planned(cid) if at <= now}

    # ------------------------------------------------------------------ providers and billing

    @rule(pick=st.integers(0, 1), lost=st.booleans())
    @timed
    def disconnect_account(self, pick: int, lost: bool) -> None:
        self._account_status(pick, "disconnected", lost)

    @rule(pick=st.integers(0, 1), lost=st.booleans())
    @timed
    def reconnect_account(self, pick: int, lost: bool) -> None:
        self._account_status(pick, "connected", lost)

    def _account_status(self, pick: int, status: str, lost: bool) -> None:
        EVENTS[f"account {status}{' (lost webhook)' if lost else ''}"] += 1
        ours, unipile_id = list(self.accounts.items())[pick]
        if lost:
            self._lost_push("linkedin_accounts", ours, status)
        else:
            self.b.run(
                self._post(
                    f"{self.b.w.unipile_url}/_sandbox/accounts/{unipile_id}/status",
                    {"status": "CREDENTIALS" if status == "disconnected" else "OK"},
                )
            )
            self.settle()

    @rule(pick=st.integers(0, 1), minutes=st.sampled_from([0, 4, 20]))
    @timed
    def account_flaps(self, pick: int, minutes: int) -> None:
        """The account drops and comes back twice, `minutes` apart (P9: the second auto-resume waits for the
        cool-down, which time passing must end)."""
        EVENTS["account flaps"] += 1
        for _ in range(2):
            self._account_status(pick, "disconnected", False)
            self._account_status(pick, "connected", False)
            self.b.run(advance(self.b.w, self.b.w.clock.now() + timedelta(minutes=minutes)))

    @rule(pick=st.integers(0, 1))
    @timed
    def restrict_account(self, pick: int) -> None:
        EVENTS["account restricted"] += 1
        ours = list(self.accounts)[pick]
        status, _ = self.b.call(
            "POST", f"/api/v1/linkedin-accounts/{ours}/restriction", self.auth, json={"kind": "jail", "detail": "model"}
        )
        assert status in (200, 409)
        self.settle()

    @rule(pick=st.integers(0, 1))
    @timed
    def verify_account(self, pick: int) -> None:
        ours = list(self.accounts)[pick]
        status, _ = self.b.call("POST", f"/api/v1/linkedin-accounts/{ours}/verify", self.auth)
        EVENTS[f"account verified -> {status}"] += 1
        self.settle()

    @rule(pick=st.integers(0, 1), status=st.sampled_from(["disconnected", "connected"]))
    @timed
    def inbox_login(self, pick: int, status: str) -> None:
        """An inbox's login broken or repaired, found by accounts (the reconciliation carries it)."""
        EVENTS[f"inbox {status}"] += 1
        self._lost_push("inboxes", self.inboxes[pick], status)

    def _lost_push(self, table: str, sender_id: str, status: str) -> None:
        async def change() -> int:
            async with self.b.w.db.acquire() as conn, conn.transaction():
                seq = await conn.fetchval("UPDATE accounts.health_sequence SET value = value + 1 RETURNING value")
                changed = await conn.fetchval(
                    f"UPDATE accounts.{table} SET status = $2, version = version + 1, health_sequence = $3,"
                    " health_event_id = gen_random_uuid()"
                    " WHERE id = $1::uuid AND status IN ('connected', 'disconnected') AND status <> $2"
                    " RETURNING true",
                    sender_id,
                    status,
                    seq,
                )
                return seq if changed else 0

        seq = self.b.run(change())
        deadline = time.monotonic() + 10
        # The sweeper reconciles it: wait until its cursor has passed the change.
        while (
            seq
            and self.b.run(
                self.b.w.db.fetchval(
                    "SELECT coalesce(max(position), 0) FROM campaigns.sync_cursors WHERE name = 'accounts'"
                )
            )
            < seq
        ):
            assert time.monotonic() < deadline, "the sweeper never caught up"
            time.sleep(0.02)
        self.settle()

    @rule(cancel=st.booleans())
    @timed
    def billing(self, cancel: bool) -> None:
        EVENTS[f"billing {'canceled' if cancel else 'renewed'}"] += 1
        self._billing(cancel)

    def _billing(self, cancel: bool) -> None:
        self.billing_events += 1
        now = int(time.time())
        raw, headers = signed(
            {
                "id": f"evt_{uuid.uuid4().hex}",
                "type": "subscription.canceled" if cancel else "subscription.activated",
                "created": now - 100 + self.billing_events,
                "data": {"workspace_id": self.workspace},
            },
            now,
        )

        async def post() -> None:
            async with self.b.w.suite.http.post(
                f"{self.b.w.suite.base_url}/webhooks/billing", data=raw, headers=headers
            ) as r:
                assert r.status == 200, await r.text()

        self.b.run(post())
        self.settle()

    @rule(pick=st.integers(0, 1), n=st.integers(3, 6))
    @timed
    def failure_burst(self, pick: int, n: int) -> None:
        """The account's next n invites fail at the provider (S10: the failure rate pauses its campaigns)."""
        EVENTS["failure burst"] += 1
        unipile_id = list(self.accounts.values())[pick]
        self.b.run(
            self._post(
                f"{self.b.w.unipile_url}/_sandbox/failures",
                {
                    "endpoint": "send_invite",
                    "status": 422,
                    "type": "errors/invalid_recipient",
                    "account_id": unipile_id,
                    "count": n,
                },
            )
        )

    @rule(pick=st.integers(0, 1), share=st.sampled_from([1, 2]))
    @timed
    def bounce_burst(self, pick: int, share: int) -> None:
        """Hard bounces of the inbox's sent emails (every one, or every other), reported as accounts reports the
        delivery-status notifications it finds (T6)."""
        rows = self.b.run(
            self.b.w.db.fetch(
                """SELECT a.id::text, a.prospect_id::text, p.email FROM scheduler.send_attempts a
                 JOIN scheduler.prospect_plans p ON p.prospect_id = a.prospect_id
                WHERE a.sender_id = $1::uuid AND a.channel = 'email' AND a.status = 'succeeded'
                ORDER BY a.started_at""",
                self.inboxes[pick],
            )
        )[::share]
        EVENTS["bounce burst" if rows else "bounce burst (nothing sent yet)"] += 1
        if not rows:
            return
        now = self.b.w.clock.now()
        request = scheduler_pb2.RecordBouncesRequest(
            inbox_id=self.inboxes[pick],
            bounces=[
                scheduler_pb2.Bounce(
                    message_id=message_id(r[0], self.addresses[pick]),
                    recipient=r[2],
                    status="5.1.1",
                    diagnostic="550 5.1.1 no such user",
                    received_at=to_timestamp(now),
                )
                for r in rows
            ],
        )

        async def report() -> scheduler_pb2.RecordBouncesResponse:
            return await self.b.scheduler.RecordBounces(request)

        answer = self.b.run(report())
        EVENTS["bounces recorded"] += answer.recorded
        for r in rows:
            self._stop(r[1], now)
        self.settle()

    def _stop(self, prospect_id: str, at: datetime) -> None:
        spans = self.stops.setdefault(prospect_id, [])
        if not spans or spans[-1][1] is not None:
            spans.append((at, None))

    def _ours(self, where: str = "true") -> list:  # noqa: ANN401
        return self.b.run(
            self.b.w.db.fetch(
                f"""SELECT p.prospect_id::text, p.campaign_id::text, p.email, p.linkedin_provider_id, p.state, p.voice,
                       s.unipile_account_id FROM scheduler.prospect_plans p
                  LEFT JOIN scheduler.sender_states s ON s.sender_id = p.linkedin_sender_id
                 WHERE p.campaign_id = ANY($1::uuid[]) AND {where} ORDER BY p.prospect_id""",
                self.campaigns,
            )
        )

    @precondition(lambda self: self.campaigns)
    @rule(pick=st.integers(0, 999), kind=st.sampled_from(["reply", "opt_out", "out_of_office"]))
    @timed
    def prospect_writes(self, pick: int, kind: str) -> None:
        """A prospect writes on LinkedIn (V2): a reply or an opt-out stops it (V1, V5), an out-of-office parks it."""
        people = self._ours("s.unipile_account_id IS NOT NULL")
        if not people:
            EVENTS["prospect writes (nobody to write)"] += 1
            return
        who = people[pick % len(people)]

        async def write() -> None:
            async with self.b.w.suite.http.post(
                f"{self.b.w.unipile_url}/_sandbox/accounts/{who['unipile_account_id']}/messages",
                json={"provider_id": who["linkedin_provider_id"], "text": TEXTS[kind], "notify": True},
            ) as r:
                assert r.status == 201, await r.text()
                return [d["status"] for d in (await r.json())["deliveries"]]

        account = self.b.w.unipile.accounts[who["unipile_account_id"]]
        usable = account.status == "OK" and not account.restricted
        statuses = self.b.run(write())
        if statuses != [200]:
            # The scheduler reads the message again from Unipile before recording it (A1): with the account
            # disconnected or restricted there, it cannot, and says so (503: Unipile delivers it again later).
            assert statuses == [503] and not usable, (statuses, account)
            EVENTS[f"prospect writes {kind} -> not read yet (the account cannot be read)"] += 1
            return
        now = self.b.w.clock.now()
        voice = self.b.run(
            self.b.w.db.fetchval(
                "SELECT voice FROM scheduler.prospect_plans WHERE prospect_id = $1::uuid", who["prospect_id"]
            )
        )
        EVENTS[f"prospect writes {kind} -> {voice or 'nothing'}"] += 1
        if voice in ("replied", "opted_out"):
            self._stop(who["prospect_id"], now)
        self.settle()

    @precondition(lambda self: self.campaigns)
    @rule(pick=st.integers(0, 999), kind=st.sampled_from(["email", "linkedin"]))
    @timed
    def member_suppresses(self, pick: int, kind: str) -> None:
        """A member adds a prospect's address or profile to the workspace's suppression list (V6)."""
        people = self._ours()
        if not people:
            EVENTS["suppression (nobody to suppress)"] += 1
            return
        who = people[pick % len(people)]
        value = who["email"] if kind == "email" else who["linkedin_provider_id"]
        status, added = self.b.call(
            "POST", "/api/v1/suppressions", self.auth, json={"entries": [{"type": kind, "value": value}]}
        )
        assert status in (200, 201) and added["enforced"], added
        EVENTS[f"suppression of an {kind}"] += 1
        self.suppressed.append((kind, value.lower(), self.b.w.clock.now()))
        self.settle()

    @precondition(lambda self: self.campaigns)
    @rule(pick=st.integers(0, 999), hours=st.sampled_from([0, 2, 30]))
    @timed
    def member_says_it_was_out_of_office(self, pick: int, hours: int) -> None:
        """A member re-classifies a reply as an out-of-office (V3): the prospect goes back to where it was, so a
        step of the campaign may become active again (the gate check must follow it)."""
        replies = self.b.run(
            self.b.w.db.fetch(
                """SELECT v.id::text, v.prospect_id::text, v.campaign_id::text FROM scheduler.voice_events v
                 JOIN scheduler.prospect_plans p ON p.prospect_id = v.prospect_id
                WHERE v.campaign_id = ANY($1::uuid[]) AND v.voice = 'replied' AND p.voice = 'replied'
                ORDER BY v.id""",
                self.campaigns,
            )
        )
        if not replies:
            EVENTS["re-classification (no reply yet)"] += 1
            return
        reply_id, prospect_id, cid = replies[pick % len(replies)]
        now = self.b.w.clock.now()
        status, answer = self.b.call(
            "POST",
            f"/api/v1/campaigns/{cid}/prospects/{prospect_id}/replies/{reply_id}/classification",
            self.auth,
            json={"classification": "out_of_office", "until": (now + timedelta(hours=hours)).isoformat()},
        )
        assert status == 200, answer
        EVENTS[f"re-classified as out-of-office -> {'changed' if answer['changed'] else 'unchanged'}"] += 1
        if answer["changed"] and prospect_id in self.stops:
            since, _ = self.stops[prospect_id][-1]
            self.stops[prospect_id][-1] = (since, now)
        self.settle()

    # ------------------------------------------------------------------ time

    @rule(hours=st.sampled_from([1, 3, 8]))
    @timed
    def hours_pass(self, hours: int) -> None:
        """Time is what sends: it passes more often than anything else happens (two rules of the ~20)."""
        self.time_passes(hours)

    @rule(hours=st.sampled_from([1, 3, 8, 20, 50]))
    @timed
    def time_passes(self, hours: int) -> None:
        EVENTS["time passes"] += 1
        before = self.b.w.clock.now()
        self.b.run(advance(self.b.w, before + timedelta(hours=hours)))
        if before.astimezone(TZ).utcoffset() != self.b.w.clock.now().astimezone(TZ).utcoffset():
            EVENTS["time passes across a DST change"] += 1

    # ------------------------------------------------------------------ invariants

    def teardown(self) -> None:
        """Count what the sequence's campaigns went through, then quiet its workspace (its subscription lapses,
        every campaign holds), so the sequences after it run alone on the suite."""
        for r in self.b.run(
            self.b.w.db.fetch(
                """SELECT h.action, h.reason, count(*) FROM campaigns.pause_history h
                     JOIN campaigns.campaigns c ON c.id = h.campaign_id
                    WHERE c.workspace_id = $1::uuid GROUP BY 1, 2""",
                self.workspace,
            )
        ):
            EVENTS[f"reason {r[0]}: {r[1]}"] += r[2]
        for r in self.b.run(
            self.b.w.db.fetch(
                """SELECT a.action_type, a.status, count(*) FROM scheduler.send_attempts a
                     JOIN campaigns.campaigns c ON c.id = a.campaign_id
                    WHERE c.workspace_id = $1::uuid GROUP BY 1, 2""",
                self.workspace,
            )
        ):
            EVENTS[f"send {r[0]} {r[1]}"] += r[2]
        self._billing(cancel=True)
        LENGTHS.append(self.checks)
        DURATIONS.append(time.monotonic() - self.began)

    @invariant()
    @timed
    def the_promises_hold(self) -> None:
        self.checks += 1
        db = self.b.w.db

        async def check() -> list[str]:
            found = await asyncio.gather(
                invariants.pause_states(db, self.workspace),
                invariants.no_silent_active(db, self.workspace),
                invariants.sends(db, self.workspace, PARIS, LIMITS),
                invariants.stopped_and_suppressed(db, self.workspace, self.stops, self.suppressed),
            )
            return [v for vs in found for v in vs]

        async def holds() -> list[str]:
            # Checked on the settled suite: right after a step the holds of a change made in the background (a
            # sweeper's clear, a detector's pause) may still be on their way, or those of a pause or resume answered
            # late (after 5 s). Settling only when they differ keeps every other step's overlap with the next.
            differ = await invariants.holds_match_reasons(db, self.workspace)
            if differ and not await quiet(self.b.w):
                EVENTS["holds checked again once the suite settled"] += 1
                await settle(self.b.w)
                differ = await invariants.holds_match_reasons(db, self.workspace)
            return differ

        found = self.b.run(check()) + self.b.run(holds())
        assert not found, found


def next_dst_change(after: datetime) -> datetime:
    """The schedule timezone's next change of UTC offset after `after` (to the hour)."""
    offset = after.astimezone(TZ).utcoffset()
    day = after
    while (day + timedelta(days=1)).astimezone(TZ).utcoffset() == offset:
        day += timedelta(days=1)
        if day - after > timedelta(days=400):
            return datetime.max.replace(tzinfo=UTC)
    while day.astimezone(TZ).utcoffset() == offset:
        day += timedelta(hours=1)
    return day.replace(minute=0, second=0, microsecond=0)


def tenths(values: list[float]) -> list[float]:
    n = len(values)
    parts = [values[i * n // 10 : (i + 1) * n // 10] for i in range(10)]
    return [round(sum(p) / len(p), 2) for p in parts if p]


async def test_the_suite_keeps_its_promises_through_random_sequences(world: World) -> None:
    global BRIDGE
    channel = open_channel(f"127.0.0.1:{world.suite.ports['scheduler']}")
    BRIDGE = Bridge(world, asyncio.get_running_loop(), scheduler_pb2_grpc.SchedulerServiceStub(channel))
    started = time.monotonic()
    machine = hypothesis_seed(SEED)(SuiteModel)
    phases = [Phase.explicit, Phase.reuse, Phase.generate, *([Phase.shrink] if SHRINK else [])]
    options = settings(
        max_examples=SEQUENCES,
        stateful_step_count=STEPS,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=phases,
    )
    try:
        # _min_steps: every sequence runs its STEPS steps (else hypothesis ends some early, at random or when
        # its choice buffer fills).
        await asyncio.to_thread(run_state_machine_as_test, machine, settings=options, _min_steps=STEPS)
    finally:
        await channel.close()
        print(
            f"\nmodel: seed {SEED}, {len(LENGTHS)} sequences ({sum(n >= STEPS for n in LENGTHS)} of {STEPS} steps, "  # noqa: T201
            f"{sum(LENGTHS)} steps in all) in {time.monotonic() - started:.0f} s; "
            f"events: {dict(sorted(EVENTS.items()))}; real seconds per sequence, by tenths of the run: "
            f"{tenths(DURATIONS)}; "
            f"real seconds spent: "
            f"{ {k: round(v, 1) for k, v in SPENT.most_common()} }"
        )
