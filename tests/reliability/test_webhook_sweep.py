"""Webhooks under attack and disorder, many times over with seeded random interleavings: the Unipile and billing
webhooks forged (wrong, missing or partial secret; bad, tampered, stale or future signature), replayed, reordered,
duplicated and sent concurrently, against the whole suite in-process with the Unipile sandbox. After every round
the state Holdfast shows must be exactly what the provider's truth says; a mis-applied webhook is a violation.

The oracles are written here, independently of the services' code:
* Unipile (DESIGN A1): a webhook is only a trigger. After an authentic webhook about an account, its status is the
  provider's status at that moment mapped by: OK -> connected; CONNECTING, ERROR, STOPPED -> degraded if it was
  connected, else unchanged (the grace period never expires here: the clock stands still); anything else ->
  disconnected. Its health history gains exactly one entry per change. A forged webhook changes nothing.
* Billing (A6): a workspace's subscription is the type of the newest (by `created`) authentic event delivered so
  far; each event applies at most once, whatever the replays; a forged event never applies.

The existing one-case tests (tests/integration/test_account_health.py, tests/unit/test_billing_signature.py) pin
each rule; this sweep mixes them. HOLDFAST_SOAK_SECONDS runs each sweep for that long instead of its default
rounds; HOLDFAST_WEBHOOK_SEED replays a run."""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from holdfast.accounts.v1 import accounts_pb2, accounts_pb2_grpc
from holdfast.common.v1 import types_pb2
from sandbox.serving import serve
from sandbox.unipile import create_app as create_unipile
from services.common.clock import ManualClock
from services.common.grpc_client import open_channel
from services.common.providers.unipile import UnipileClient
from services.gateway.webhooks import SIGNATURE_HEADER, sign
from tests.conftest import Suite, create_database, start_suite

API_KEY = "sandbox-key"
UNIPILE_SECRET = "sweep-unipile-secret-0123456789"
BILLING_SECRET = "sweep-billing-secret-9876543210"
SEED = int(os.environ.get("HOLDFAST_WEBHOOK_SEED") or random.SystemRandom().randrange(2**32))
SOAK_SECONDS = float(os.environ.get("HOLDFAST_SOAK_SECONDS") or 0)
UNIPILE_ROUNDS = 150
BILLING_ROUNDS = 120
ACCOUNTS = 4
WORKSPACES = 3
TRANSIENT = ("CONNECTING", "ERROR", "STOPPED")
# What Unipile may say of an account (sources[].status), and what a webhook's message may claim.
TRUTHS = ("OK", "CREDENTIALS", "PERMISSIONS", *TRANSIENT)
MESSAGES = (*TRUTHS, "RECONNECTED", "SYNC_SUCCESS", "CREATION_SUCCESS", "DELETED")


def unipile_oracle(current: str, truth: str) -> str:
    if truth == "OK":
        return "connected"
    if truth in TRANSIENT:
        return "degraded" if current == "connected" else current
    return "disconnected"


@dataclass
class Swept:
    suite: Suite
    unipile_url: str
    accounts: accounts_pb2_grpc.AccountsServiceStub


@pytest.fixture(scope="module")
async def swept(pg_dsn: str) -> AsyncIterator[Swept]:
    async with AsyncExitStack() as stack:
        unipile_url = await serve(create_unipile(API_KEY), stack)
        suite = await start_suite(
            await create_database(pg_dsn),
            stack,
            ManualClock(datetime.now(UTC)),
            HOLDFAST_UNIPILE_DSN=unipile_url,
            HOLDFAST_UNIPILE_API_KEY=API_KEY,
            HOLDFAST_UNIPILE_WEBHOOK_SECRET=UNIPILE_SECRET,
            HOLDFAST_BILLING_WEBHOOK_SECRET=BILLING_SECRET,
        )
        async with aiohttp.ClientSession() as http:
            # Unipile itself calls our webhook when the sandbox's truth changes with notify.
            await UnipileClient(unipile_url, API_KEY, http).create_webhook(
                f"{suite.base_url}/webhooks/unipile", "account_status", {"Unipile-Auth": UNIPILE_SECRET}
            )
        channel = open_channel(f"127.0.0.1:{suite.ports['accounts']}")
        stack.push_async_callback(channel.close)
        yield Swept(suite, unipile_url, accounts_pb2_grpc.AccountsServiceStub(channel))


@dataclass
class Figures:
    rounds: int = 0
    deliveries: Counter = field(default_factory=Counter)
    checks: int = 0
    violations: list[str] = field(default_factory=list)

    def line(self, name: str, elapsed: float) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(self.deliveries.items()))
        return (
            f"{name}: {self.rounds} rounds, {sum(self.deliveries.values())} deliveries ({kinds}), {self.checks}"
            f" state checks, {len(self.violations)} mis-applied, seed {SEED}, {elapsed:.1f} s"
        )


def keep_going(rounds_done: int, default_rounds: int, started: float) -> bool:
    if SOAK_SECONDS:
        return time.monotonic() - started < SOAK_SECONDS
    return rounds_done < default_rounds


# Unipile account status webhooks


@dataclass
class Account:
    id: str
    unipile_id: str
    truth: str = "OK"
    expected: str = "connected"
    changes: int = 0  # status changes the oracle saw: the length the health history must have


def unipile_headers(rng: random.Random) -> tuple[str, dict[str, str]]:
    """A delivery's headers: authentic, or one of the ways a forger gets the secret wrong."""
    kind = rng.choice(
        ["authentic"] * 5
        + ["no secret", "wrong secret", "secret prefix", "secret suffix", "secret case", "other header"]
    )
    value = {
        "authentic": UNIPILE_SECRET,
        "wrong secret": uuid.uuid4().hex,
        "secret prefix": UNIPILE_SECRET[:-1],
        "secret suffix": UNIPILE_SECRET + "x",
        "secret case": UNIPILE_SECRET.upper(),
    }.get(kind)
    headers = {"Content-Type": "application/json"}
    if value is not None:
        headers["Unipile-Auth"] = value
    elif kind == "other header":
        headers["X-Unipile-Auth"] = UNIPILE_SECRET
    return kind, headers


async def test_unipile_status_webhooks_never_mislead_the_account_state(swept: Swept) -> None:
    rng = random.Random(SEED)
    suite = swept.suite
    _, auth = await suite.new_workspace("Webhook sweep")
    accounts = []
    for _ in range(ACCOUNTS):
        unipile_id = f"acc-sweep-{uuid.uuid4().hex[:10]}"
        await sandbox(suite, swept.unipile_url, "/_sandbox/accounts", {"id": unipile_id, "name": "Ana"})
        accounts.append(Account(await suite.linkedin_account(auth, unipile_account_id=unipile_id), unipile_id))
    figures = Figures()
    started = time.monotonic()
    while keep_going(figures.rounds, UNIPILE_ROUNDS, started):
        figures.rounds += 1
        # The provider's truth changes: silently (its webhook lost, or late), or with Unipile's own webhook.
        if rng.random() < 0.6:
            account = rng.choice(accounts)
            account.truth = rng.choice(TRUTHS)
            notify = rng.random() < 0.4
            answer = await sandbox(
                suite,
                swept.unipile_url,
                f"/_sandbox/accounts/{account.unipile_id}/status",
                {"status": account.truth, "notify": notify},
            )
            if notify:
                assert [d["status"] for d in answer["deliveries"]] == [200], answer
                figures.deliveries["from the sandbox"] += 1
                observe(account)
        # A burst of deliveries, concurrent, in random order: stale or contradicting messages, duplicates,
        # forgeries, and accounts we do not know.
        batch = []
        for _ in range(rng.randint(1, 8)):
            kind, headers = unipile_headers(rng)
            target = rng.choice(accounts)
            unipile_id = target.unipile_id if rng.random() < 0.9 else f"acc-unknown-{uuid.uuid4().hex[:6]}"
            payload: dict[str, Any] = {
                "AccountStatus": {"account_id": unipile_id, "account_type": "LINKEDIN", "message": rng.choice(MESSAGES)}
            }
            if rng.random() < 0.1:  # an invitation "accepted" for a prospect no campaign has: advances nothing
                payload = {"event": "new_relation", "account_id": unipile_id, "user_provider_id": "ACoNobody"}
            copies = rng.choice([1, 1, 1, 2, 3])  # duplicated deliveries
            batch += [(kind, headers, payload, target if unipile_id == target.unipile_id else None)] * copies
        rng.shuffle(batch)
        answers = await asyncio.gather(
            *(
                deliver(suite, "/webhooks/unipile", headers, json.dumps(payload).encode(), jitter=rng.random() * 0.004)
                for _, headers, payload, _ in batch
            )
        )
        for (kind, _, payload, target), (status, body) in zip(batch, answers, strict=True):
            figures.deliveries[kind if target is not None or kind != "authentic" else "unknown account"] += 1
            if kind != "authentic":
                if status != 401 or body.get("error", {}).get("code") != "unauthenticated":
                    figures.violations.append(f"forged ({kind}) answered {status} {body}")
            elif "event" in payload:
                if (status, body) != (200, {"received": "new_relation", "prospects_advanced": 0}):
                    figures.violations.append(f"new_relation for nobody answered {status} {body}")
            elif status != 200 or body.get("received") != "account_status":
                figures.violations.append(f"authentic webhook answered {status} {body}")
            elif target is not None:
                observe(target)
            elif body.get("changed") is not False:
                figures.violations.append(f"a webhook for an unknown account changed something: {body}")
        # The state Holdfast shows, against the oracle.
        status, listed = await suite.call("GET", "/api/v1/linkedin-accounts", auth)
        assert status == 200, listed
        shown = {a["id"]: a for a in listed["linkedin_accounts"]}
        for account in accounts:
            figures.checks += 1
            got = shown[account.id]
            if got["status"] != account.expected or len(got["history"]) != account.changes:
                figures.violations.append(
                    f"round {figures.rounds}: {account.unipile_id} is {got['status']} with {len(got['history'])}"
                    f" changes, the provider's truth {account.truth} says {account.expected} ({account.changes})"
                )
    print("\n" + figures.line("unipile webhook sweep", time.monotonic() - started))
    assert not figures.violations, "\n".join(figures.violations[:20])
    assert figures.deliveries["authentic"] > 0 and sum(figures.deliveries.values()) > figures.deliveries["authentic"]


def observe(account: Account) -> None:
    """An authentic webhook made Holdfast re-read the account: it must now show what the truth says."""
    after = unipile_oracle(account.expected, account.truth)
    account.changes += after != account.expected
    account.expected = after


# Billing webhooks


@dataclass
class Event:
    workspace_id: str
    id: str
    type: str
    created: int
    raw: bytes = b""
    applied: int = 0  # answers that said applied=true: at most one


def billing_headers(rng: random.Random, event: Event, now: int) -> tuple[str, dict[str, str], bytes]:
    """One delivery of an event: authentic (possibly a replay of a capture), or forged."""
    raw = event.raw
    kind = rng.choice(
        ["authentic"] * 6
        + ["unsigned", "wrong secret", "tampered body", "stale", "future", "timestamp moved", "malformed"]
    )
    t = now
    if kind == "stale":
        t = now - 301 - rng.randrange(0, 86400)  # a capture replayed too late
    elif kind == "future":
        t = now + 301 + rng.randrange(0, 86400)
    secret = "not-the-secret" if kind == "wrong secret" else BILLING_SECRET
    header = f"t={t},v1={sign(secret, t, raw)}"
    if kind == "tampered body":  # signed as sent, then the type flipped on the way
        flipped = "subscription.activated" if event.type == "subscription.canceled" else "subscription.canceled"
        raw = raw.replace(event.type.encode(), flipped.encode())
    elif kind == "timestamp moved":
        header = f"t={t + 1},v1={sign(secret, t, raw)}"
    elif kind == "malformed":
        header = rng.choice(["v1=abc", f"t={t}", f"t=soon,v1={sign(secret, t, raw)}", "garbage"])
    headers = {"Content-Type": "application/json"}
    if kind != "unsigned":
        headers[SIGNATURE_HEADER] = header
    return kind, headers, raw


async def test_billing_webhooks_apply_the_providers_newest_event_once(swept: Swept) -> None:
    rng = random.Random(SEED + 1)
    suite = swept.suite
    workspaces = [(await suite.new_workspace(f"Billing {i}"))[0] for i in range(WORKSPACES)]
    newest: dict[str, Event | None] = dict.fromkeys(workspaces)
    sent: list[Event] = []  # every event the provider has emitted so far (and may send again)
    created = int(time.time()) - 100_000
    figures = Figures()
    started = time.monotonic()
    while keep_going(figures.rounds, BILLING_ROUNDS, started):
        figures.rounds += 1
        # The provider emits a new event now and then; `created` grows strictly per workspace (its truth).
        for _ in range(rng.choice([0, 1, 1, 2])):
            created += rng.randint(1, 50)
            workspace_id = rng.choice(workspaces)
            event = Event(
                workspace_id,
                f"evt_{uuid.uuid4().hex}",
                rng.choice(["subscription.canceled", "subscription.activated"]),
                created,
            )
            event.raw = json.dumps(
                {"id": event.id, "type": event.type, "created": event.created, "data": {"workspace_id": workspace_id}}
            ).encode()
            sent.append(event)
        if not sent:
            continue
        # Deliveries: new and old events (reordered, replayed, duplicated), some forged; sent concurrently.
        now = int(time.time())
        batch = [
            (event, *billing_headers(rng, event, now))
            for event in rng.choices(sent[-12:] + rng.sample(sent, min(3, len(sent))), k=rng.randint(1, 8))
        ]
        # A forger's own event, newer than everything, for a workspace it wants canceled.
        if rng.random() < 0.3:
            created += 1
            forged = Event(rng.choice(workspaces), f"evt_{uuid.uuid4().hex}", "subscription.canceled", created)
            forged.raw = json.dumps(
                {
                    "id": forged.id,
                    "type": forged.type,
                    "created": forged.created,
                    "data": {"workspace_id": forged.workspace_id},
                }
            ).encode()
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: f"t={now},v1={sign('guessed-secret', now, forged.raw)}",
            }
            batch.append((forged, "forged event", headers, forged.raw))
        rng.shuffle(batch)
        answers = await asyncio.gather(
            *(
                deliver(suite, "/webhooks/billing", headers, raw, jitter=rng.random() * 0.004)
                for _, _, headers, raw in batch
            )
        )
        for (event, kind, _, _), (status, body) in zip(batch, answers, strict=True):
            figures.deliveries[kind] += 1
            if kind != "authentic":
                if status != 401 or body.get("error", {}).get("code") != "unauthenticated":
                    figures.violations.append(f"forged ({kind}) answered {status} {body}")
                continue
            if status != 200 or body.get("received") != event.type:
                figures.violations.append(f"authentic event answered {status} {body}")
                continue
            event.applied += body["applied"] is True
            current = newest[event.workspace_id]
            if current is None or event.created > current.created:
                newest[event.workspace_id] = event
        for event in sent:
            if event.applied > 1:
                figures.violations.append(f"{event.id} applied {event.applied} times")
        for workspace_id, event in newest.items():
            figures.checks += 1
            got = await swept.accounts.GetWorkspace(accounts_pb2.GetWorkspaceRequest(workspace_id=workspace_id))
            shown = types_pb2.SubscriptionStatus.Name(got.workspace.subscription_status)
            truth = (
                "SUBSCRIPTION_STATUS_ACTIVE"
                if event is None or event.type.endswith("activated")
                else "SUBSCRIPTION_STATUS_CANCELED"
            )
            if shown != truth:
                figures.violations.append(
                    f"round {figures.rounds}: {workspace_id} is {shown}, the provider's"
                    f" newest event delivered says {truth}"
                )
    print("\n" + figures.line("billing webhook sweep", time.monotonic() - started))
    assert not figures.violations, "\n".join(figures.violations[:20])
    assert figures.deliveries["authentic"] > 0 and sum(figures.deliveries.values()) > figures.deliveries["authentic"]


# Helpers


async def deliver(suite: Suite, path: str, headers: dict[str, str], raw: bytes, jitter: float) -> tuple[int, Any]:
    await asyncio.sleep(jitter)
    async with suite.http.post(f"{suite.base_url}{path}", headers=headers, data=raw) as r:
        return r.status, await r.json()


async def sandbox(suite: Suite, unipile_url: str, path: str, body: Any) -> Any:
    async with suite.http.post(f"{unipile_url}{path}", json=body) as r:
        assert r.status < 300, await r.text()
        return await r.json()
