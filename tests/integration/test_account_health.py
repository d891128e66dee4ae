"""LinkedIn account health (DESIGN A1-A3) and the workspace subscription (A6), through HTTP with real pieces:
the whole suite in-process on a manual clock, the Unipile sandbox on a free port (it calls our webhook for real),
signed billing webhooks, and the outbox rows accounts writes for the scheduler and for campaigns."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest

from holdfast.accounts.v1 import accounts_pb2, accounts_pb2_grpc
from holdfast.campaigns.v1 import campaigns_pb2
from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2
from sandbox.serving import serve
from sandbox.unipile import STATE, SandboxState
from sandbox.unipile import create_app as create_unipile
from services.accounts import main as accounts_main
from services.accounts.config import Settings as AccountsSettings
from services.accounts.health_domain import decide_linkedin_health
from services.accounts.service import AccountsService
from services.common import config, errors
from services.common.clock import ManualClock
from services.common.db import create_pool
from services.common.grpc_client import open_channel
from services.common.providers.unipile import UnipileClient
from services.gateway.webhooks import SIGNATURE_HEADER, sign
from tests.conftest import Suite, create_database, start_suite, suite_env

API_KEY = "sandbox-key"
UNIPILE_SECRET = "unipile-whsec-0123456789"
BILLING_SECRET = "billing-whsec-9876543210"
GRACE = timedelta(seconds=900)


# A copy of every row written to accounts.outbox, kept even after the relay delivers (and deletes) the row, so
# the tests check what accounts wrote whatever campaigns answers.
OUTBOX_LOG_SQL = """
CREATE TABLE public.outbox_log (id bigint, destination text, ordering_key text, payload bytea);
CREATE FUNCTION public.log_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.outbox_log VALUES (NEW.id, NEW.destination, NEW.ordering_key, NEW.payload);
    RETURN NEW;
END $$;
CREATE TRIGGER log_outbox AFTER INSERT ON accounts.outbox FOR EACH ROW EXECUTE FUNCTION public.log_outbox();
"""


@dataclass
class Health:
    suite: Suite
    clock: ManualClock
    unipile: SandboxState
    unipile_url: str
    db: asyncpg.Pool
    stub: accounts_pb2_grpc.AccountsServiceStub
    # A second accounts service on the same database, like another replica: runs the grace job on demand.
    replica: AccountsService

    async def account(self, status: str = "OK") -> Account:
        workspace_id, auth = await self.suite.new_workspace()
        unipile_id = f"acc-{uuid.uuid4().hex[:10]}"
        await self.sandbox("POST", "/_sandbox/accounts", {"id": unipile_id, "name": "Ana", "status": status})
        account_id = await self.suite.linkedin_account(auth, unipile_account_id=unipile_id)
        return Account(self, workspace_id, auth, account_id, unipile_id)

    async def sandbox(self, method: str, path: str, body: Any = None) -> Any:
        async with self.suite.http.request(method, f"{self.unipile_url}{path}", json=body) as r:
            assert r.status < 300, await r.text()
            return await r.json() if r.content_type == "application/json" else None

    async def unipile_webhook(self, unipile_id: str, message: str, headers: dict[str, str] | None = None) -> Any:
        payload = {"AccountStatus": {"account_id": unipile_id, "account_type": "LINKEDIN", "message": message}}
        return await self.suite.call(
            "POST",
            "/webhooks/unipile",
            {"Unipile-Auth": UNIPILE_SECRET} if headers is None else headers,
            json=payload,
        )

    async def billing(self, body: dict[str, Any], *, t: int | None = None, header: str | None = None) -> Any:
        raw = json.dumps(body).encode()
        t = int(time.time()) if t is None else t
        if header is None:
            header = f"t={t},v1={sign(BILLING_SECRET, t, raw)}"
        headers = {"Content-Type": "application/json"}
        if header:
            headers[SIGNATURE_HEADER] = header
        return await self.suite.call("POST", "/webhooks/billing", headers, data=raw)

    async def campaigns_events(self, subject_id: str) -> list[Any]:
        """The HealthEvents accounts wrote for campaigns about one sender or workspace, oldest first."""
        rows = await self.db.fetch(
            "SELECT destination, payload FROM public.outbox_log WHERE ordering_key = $1 ORDER BY id",
            f"campaigns:{subject_id}",
        )
        assert all(r["destination"] == "campaigns.ApplyHealthEvent" for r in rows)
        return [campaigns_pb2.ApplyHealthEventRequest.FromString(r["payload"]).event for r in rows]

    async def scheduler_states(self, sender_id: str) -> list[scheduler_pb2.SetSenderStateRequest]:
        rows = await self.db.fetch(
            "SELECT destination, payload FROM public.outbox_log WHERE ordering_key = $1 ORDER BY id", sender_id
        )
        assert all(r["destination"] == "scheduler.SetSenderState" for r in rows)
        return [scheduler_pb2.SetSenderStateRequest.FromString(r["payload"]) for r in rows]


@dataclass
class Account:
    h: Health
    workspace_id: str
    auth: dict[str, str]
    id: str
    unipile_id: str

    async def get(self) -> dict[str, Any]:
        status, body = await self.h.suite.call("GET", f"/api/v1/linkedin-accounts/{self.id}", self.auth)
        assert status == 200, body
        return body

    async def set_unipile(self, status: str, *, notify: bool = True) -> list[dict[str, Any]]:
        """Change the account's status at Unipile; with notify, Unipile calls our webhook (for real)."""
        answer = await self.h.sandbox(
            "POST", f"/_sandbox/accounts/{self.unipile_id}/status", {"status": status, "notify": notify}
        )
        return answer["deliveries"]

    async def history_sources(self) -> list[tuple[str, str]]:
        """(status, source) of every health change, oldest first, from the database."""
        rows = await self.h.db.fetch(
            "SELECT status, source FROM accounts.health_history WHERE sender_id = $1 ORDER BY id", uuid.UUID(self.id)
        )
        return [(r["status"], r["source"]) for r in rows]

    async def post(self, action: str, body: Any = None) -> tuple[int, Any]:
        return await self.h.suite.call("POST", f"/api/v1/linkedin-accounts/{self.id}/{action}", self.auth, json=body)


@pytest.fixture(scope="module")
async def h(pg_dsn: str) -> AsyncIterator[Health]:
    async with AsyncExitStack() as stack:
        clock = ManualClock(datetime.now(UTC))  # the sandbox checks link expiry against the real time
        unipile_app = create_unipile(API_KEY)
        unipile_url = await serve(unipile_app, stack)
        dsn = await create_database(pg_dsn)
        extra = {
            "HOLDFAST_UNIPILE_DSN": unipile_url,
            "HOLDFAST_UNIPILE_API_KEY": API_KEY,
            "HOLDFAST_UNIPILE_WEBHOOK_SECRET": UNIPILE_SECRET,
            "HOLDFAST_BILLING_WEBHOOK_SECRET": BILLING_SECRET,
            "HOLDFAST_ACCOUNT_GRACE_SECONDS": str(int(GRACE.total_seconds())),
        }
        suite = await start_suite(dsn, stack, clock, **extra)
        db = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
        stack.push_async_callback(db.close)
        await db.execute(OUTBOX_LOG_SQL)
        http = aiohttp.ClientSession()
        stack.push_async_callback(http.close)
        unipile = UnipileClient(unipile_url, API_KEY, http)
        await unipile.create_webhook(
            f"{suite.base_url}/webhooks/unipile", "account_status", {"Unipile-Auth": UNIPILE_SECRET}
        )
        channel = open_channel(f"127.0.0.1:{suite.ports['accounts']}")
        stack.push_async_callback(channel.close)
        settings = config.load(AccountsSettings, suite_env(dsn, **extra))
        pool = await create_pool(dsn, application_name="test-accounts-replica", max_size=2)
        stack.push_async_callback(pool.close)
        replica = accounts_main.build_service(settings, pool, clock, unipile=unipile)
        yield Health(
            suite, clock, unipile_app[STATE], unipile_url, db, accounts_pb2_grpc.AccountsServiceStub(channel), replica
        )


def assert_error(body: dict, code: str, field: str | None = None) -> None:
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    if field is not None:
        assert body["error"]["details"]["field"] == field, body


# The status model (A1, A2) as a table: what a fresh read of Unipile means for an account in each state.

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DECISIONS = [
    ("connected", "OK", 0, None),
    ("connected", "CREDENTIALS", 0, "disconnected"),
    ("connected", "PERMISSIONS", 0, "disconnected"),
    ("connected", "UNKNOWN", 0, "disconnected"),
    ("connected", "DELETED", 0, "disconnected"),
    ("connected", "SOMETHING_NEW", 0, "disconnected"),
    ("connected", "CONNECTING", 0, "degraded"),
    ("connected", "ERROR", 0, "degraded"),
    ("connected", "STOPPED", 0, "degraded"),
    ("degraded", "CONNECTING", 899, None),
    ("degraded", "ERROR", 900, "disconnected"),
    ("degraded", "OK", 10, "connected"),
    ("degraded", "CREDENTIALS", 10, "disconnected"),
    ("disconnected", "CONNECTING", 10_000, None),
    ("disconnected", "OK", 0, "connected"),
    ("restricted", "OK", 0, None),
    ("restricted", "CREDENTIALS", 0, None),
]


@pytest.mark.parametrize(("current", "unipile", "after_s", "expected"), DECISIONS)
def test_status_model(current: str, unipile: str, after_s: int, expected: str | None) -> None:
    decision = decide_linkedin_health(current, T0, unipile, T0 + timedelta(seconds=after_s), GRACE)
    assert (decision.status if decision else None) == expected
    if decision is not None:
        assert decision.detail
        assert decision.grace_expired == (current == "degraded" and unipile == "ERROR")


def test_the_grace_job_runs_every_quarter_grace_at_most_a_minute() -> None:
    env = suite_env("postgresql://x/y")
    assert accounts_main.grace_interval_seconds(config.load(AccountsSettings, env)) == 60.0
    short = config.load(AccountsSettings, {**env, "HOLDFAST_ACCOUNT_GRACE_SECONDS": "40"})
    assert accounts_main.grace_interval_seconds(short) == 10.0
    with pytest.raises(config.ConfigError):
        config.load(AccountsSettings, {**env, "HOLDFAST_ACCOUNT_GRACE_SECONDS": "0"})


# Webhooks are triggers: the account is re-read before anything changes.


async def test_credentials_webhook_disconnects_when_unipile_says_so(h: Health) -> None:
    a = await h.account()
    before = await a.get()
    assert (before["status"], before["history"], before["restriction_kind"]) == ("connected", [], None)
    [delivery] = await a.set_unipile("CREDENTIALS")  # Unipile calls our webhook
    assert delivery["status"] == 200
    assert delivery["payload"]["AccountStatus"]["message"] == "CREDENTIALS"
    after = await a.get()
    assert after["status"] == "disconnected"
    assert "CREDENTIALS" in after["status_detail"] and "reconnect" in after["status_detail"]
    assert datetime.fromisoformat(after["status_since"]) == h.clock.now()
    assert after["history"] == [
        {
            "status": "disconnected",
            "detail": after["status_detail"],
            "source": "unipile_webhook",
            "at": after["status_since"],
        }
    ]
    assert await a.history_sources() == [("disconnected", "unipile_webhook")]
    _, listed = await h.suite.call("GET", "/api/v1/linkedin-accounts", a.auth)
    assert listed["linkedin_accounts"] == [after]

    [event] = await h.campaigns_events(a.id)
    assert event.workspace_id == a.workspace_id and uuid.UUID(event.event_id)
    assert event.WhichOneof("subject") == "sender"
    assert (event.sender.kind, event.sender.sender_id, event.sender.status) == (
        types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT,
        a.id,
        types_pb2.SENDER_STATUS_DISCONNECTED,
    )
    assert event.sender.detail == after["status_detail"]
    assert event.version == 2, "the account's version: 1 at creation, bumped by the change"
    assert event.occurred_at.ToDatetime(tzinfo=UTC) == h.clock.now()
    states = await h.scheduler_states(a.id)
    assert [(s.version, s.status) for s in states] == [
        (1, types_pb2.SENDER_STATUS_CONNECTED),
        (2, types_pb2.SENDER_STATUS_DISCONNECTED),
    ]


async def test_a_forged_webhook_changes_nothing(h: Health) -> None:
    a = await h.account()
    before = await a.get()
    reads = h.unipile.calls["get_account"]
    status, body = await h.unipile_webhook(a.unipile_id, "CREDENTIALS")  # right secret, but Unipile says OK
    assert (status, body) == (200, {"received": "account_status", "changed": False})
    assert h.unipile.calls["get_account"] == reads + 1, "the account was re-read"
    assert await a.get() == before
    assert await a.history_sources() == []
    assert await h.campaigns_events(a.id) == []


@pytest.mark.parametrize(
    "headers",
    [{}, {"Unipile-Auth": "wrong"}, {"Unipile-Auth": UNIPILE_SECRET[:-1]}],
    ids=["missing", "wrong", "prefix"],
)
async def test_a_webhook_without_the_secret_is_401_and_changes_nothing(h: Health, headers: dict) -> None:
    a = await h.account()
    await a.set_unipile("CREDENTIALS", notify=False)
    before = await a.get()
    reads = h.unipile.calls["get_account"]
    status, body = await h.unipile_webhook(a.unipile_id, "CREDENTIALS", headers=headers)
    assert status == 401
    assert_error(body, "unauthenticated")
    assert h.unipile.calls["get_account"] == reads, "nothing was even read"
    assert await a.get() == before and before["status"] == "connected"
    assert await h.campaigns_events(a.id) == []


async def test_a_duplicated_webhook_changes_once(h: Health) -> None:
    a = await h.account()
    await a.set_unipile("CREDENTIALS", notify=False)
    answers = await asyncio.gather(*(h.unipile_webhook(a.unipile_id, "CREDENTIALS") for _ in range(3)))
    assert all(status == 200 for status, _ in answers)
    assert sorted(body["changed"] for _, body in answers) == [False, False, True]
    status, body = await h.unipile_webhook(a.unipile_id, "CREDENTIALS")
    assert (status, body["changed"]) == (200, False)
    assert await a.history_sources() == [("disconnected", "unipile_webhook")]
    assert len((await a.get())["history"]) == 1
    assert len(await h.campaigns_events(a.id)) == 1


async def test_a_webhook_for_an_unknown_account_is_acknowledged(h: Health) -> None:
    reads = h.unipile.calls["get_account"]
    status, body = await h.unipile_webhook(f"acc-unknown-{uuid.uuid4().hex[:6]}", "CREDENTIALS")
    assert (status, body) == (200, {"received": "account_status", "changed": False})
    assert h.unipile.calls["get_account"] == reads
    status, body = await h.suite.call(
        "POST", "/webhooks/unipile", {"Unipile-Auth": UNIPILE_SECRET}, json={"AccountStatus": {"message": "OK"}}
    )
    assert status == 400
    assert_error(body, "invalid_argument", "AccountStatus.account_id")


async def test_reconnect_then_a_stale_credentials_webhook_keeps_it_connected(h: Health) -> None:
    a = await h.account()
    await a.set_unipile("CREDENTIALS")
    assert (await a.get())["status"] == "disconnected"

    status, first = await a.post("reconnect")
    assert status == 200, first
    status, second = await a.post("reconnect")
    assert status == 200
    assert first["url"] != second["url"], "a fresh link on every call (A3)"
    assert datetime.fromisoformat(first["expires_at"]) == h.clock.now() + timedelta(hours=24)
    links = [link for link in h.unipile.hosted_links.values() if link.account_id == a.unipile_id]
    assert len(links) == 2
    assert all(
        link.success_redirect_url == f"http://127.0.0.1:8080/linkedin-accounts/{a.id}?reconnected=1" for link in links
    )

    # The user completes the hosted page: Unipile says OK and sends RECONNECTED.
    async with h.suite.http.post(f"{second['url']}/complete", allow_redirects=False) as r:
        assert r.status == 303
    after = await a.get()
    assert after["status"] == "connected"
    assert [x["status"] for x in after["history"]] == ["connected", "disconnected"], "newest first"
    assert await a.history_sources() == [("disconnected", "unipile_webhook"), ("connected", "reconnect")]

    # The CREDENTIALS webhook of before arrives late (reordered): the re-read says OK, nothing changes.
    status, body = await h.unipile_webhook(a.unipile_id, "CREDENTIALS")
    assert (status, body["changed"]) == (200, False)
    assert await a.get() == after
    events = await h.campaigns_events(a.id)
    assert [e.sender.status for e in events] == [
        types_pb2.SENDER_STATUS_DISCONNECTED,
        types_pb2.SENDER_STATUS_CONNECTED,
    ]
    assert [e.version for e in events] == [2, 3], "in order, versions increasing"
    assert len({e.event_id for e in events}) == 2


async def test_reconnect_of_another_workspaces_account_is_not_found(h: Health) -> None:
    a = await h.account()
    _, other = await h.suite.new_workspace()
    links = len(h.unipile.hosted_links)
    for action in ("reconnect", "verify"):
        status, body = await h.suite.call("POST", f"/api/v1/linkedin-accounts/{a.id}/{action}", other)
        assert status == 404, body
        assert_error(body, "not_found")
    status, body = await h.suite.call(
        "POST", f"/api/v1/linkedin-accounts/{a.id}/restriction", other, json={"kind": "jail"}
    )
    assert status == 404
    assert len(h.unipile.hosted_links) == links
    assert (await a.get())["status"] == "connected"


async def test_reconnect_without_unipile_is_refused(suite: Suite) -> None:
    _, auth = await suite.new_workspace()
    account_id = await suite.linkedin_account(auth)
    status, body = await suite.call("POST", f"/api/v1/linkedin-accounts/{account_id}/reconnect", auth)
    assert status == 409
    assert_error(body, "unipile_not_configured")


# Grace period for transient states (A1).


async def test_connecting_degrades_then_disconnects_after_the_grace_period(h: Health) -> None:
    a = await h.account()
    await a.set_unipile("CONNECTING")
    degraded = await a.get()
    assert degraded["status"] == "degraded" and "CONNECTING" in degraded["status_detail"]
    states = await h.scheduler_states(a.id)
    assert states[-1].status == types_pb2.SENDER_STATUS_DEGRADED, "the scheduler keeps sending meanwhile"

    h.clock.advance(GRACE - timedelta(seconds=1))
    await h.replica.linkedin.expire_grace_once()
    assert (await a.get())["status"] == "degraded", "still inside the grace period"

    h.clock.advance(timedelta(seconds=2))
    await h.replica.linkedin.expire_grace_once()
    after = await a.get()
    assert after["status"] == "disconnected"
    assert "CONNECTING" in after["status_detail"] and "grace" in after["status_detail"]
    assert await a.history_sources() == [("degraded", "unipile_webhook"), ("disconnected", "grace_expired")]
    events = await h.campaigns_events(a.id)
    assert [e.sender.status for e in events] == [types_pb2.SENDER_STATUS_DEGRADED, types_pb2.SENDER_STATUS_DISCONNECTED]
    assert (await h.scheduler_states(a.id))[-1].status == types_pb2.SENDER_STATUS_DISCONNECTED
    assert await h.replica.linkedin.expire_grace_once() == 0, "nothing left to decide"


async def test_a_degraded_account_back_to_ok_is_connected_again(h: Health) -> None:
    a = await h.account()
    await a.set_unipile("ERROR")
    assert (await a.get())["status"] == "degraded"
    await a.set_unipile("OK", notify=False)  # the recovery's webhook is lost
    h.clock.advance(GRACE + timedelta(seconds=1))
    await h.replica.linkedin.expire_grace_once()
    assert (await a.get())["status"] == "connected"
    assert await a.history_sources() == [("degraded", "unipile_webhook"), ("connected", "grace_expired")]


async def test_the_grace_job_is_replica_safe(h: Health) -> None:
    accounts = [await h.account() for _ in range(3)]
    for a in accounts:
        await a.set_unipile("STOPPED")
    h.clock.advance(GRACE + timedelta(seconds=1))
    # The suite's own accounts service runs the job too, in the background: whoever claims an account decides.
    changed = await asyncio.gather(*(h.replica.linkedin.expire_grace_once() for _ in range(3)))
    assert sum(changed) <= 3
    for a in accounts:
        assert await a.history_sources() == [("degraded", "unipile_webhook"), ("disconnected", "grace_expired")]


# Restrictions (A2).


async def test_operator_restriction_holds_until_verified_with_unipile_ok(h: Health) -> None:
    a = await h.account()
    status, body = await a.post("restriction", {"kind": "banned"})
    assert status == 400
    assert_error(body, "invalid_argument", "kind")
    status, body = await a.post("restriction", {"kind": "jail", "detail": "x" * 501})
    assert status == 400
    assert_error(body, "invalid_argument", "detail")
    assert await a.history_sources() == []

    status, restricted = await a.post("restriction", {"kind": "jail", "detail": "LinkedIn jail for a week"})
    assert status == 200, restricted
    assert (restricted["status"], restricted["restriction_kind"], restricted["restriction_verified"]) == (
        "restricted",
        "jail",
        False,
    )
    assert "jail" in restricted["status_detail"] and "LinkedIn jail for a week" in restricted["status_detail"]
    assert restricted == await a.get()
    status, again = await a.post("restriction", {"kind": "jail"})
    assert status == 200 and again == restricted, "recording the same restriction again changes nothing"

    # Whatever Unipile says, a restricted account stays restricted.
    await a.set_unipile("CREDENTIALS")
    await a.set_unipile("OK")
    assert (await a.get()) == restricted

    await a.set_unipile("CONNECTING", notify=False)
    status, body = await a.post("verify")
    assert status == 409
    assert_error(body, "still_restricted")
    assert body["error"]["details"]["unipile_status"] == "CONNECTING"
    assert (await a.get()) == restricted

    await a.set_unipile("OK", notify=False)
    status, verified = await a.post("verify")
    assert status == 200, verified
    assert (verified["status"], verified["restriction_kind"], verified["restriction_verified"]) == (
        "connected",
        "jail",
        True,
    )
    assert [x["status"] for x in verified["history"]] == ["connected", "restricted"]
    status, body = await a.post("verify")
    assert status == 409
    assert_error(body, "not_restricted")

    assert await a.history_sources() == [("restricted", "operator"), ("connected", "operator")]
    actors = await h.db.fetch("SELECT actor FROM accounts.health_history WHERE sender_id = $1", uuid.UUID(a.id))
    assert all(r["actor"].startswith("member:") for r in actors)
    events = await h.campaigns_events(a.id)
    assert [(e.sender.status, e.sender.restriction_kind, e.sender.restriction_verified) for e in events] == [
        (types_pb2.SENDER_STATUS_RESTRICTED, "jail", False),
        (types_pb2.SENDER_STATUS_CONNECTED, "jail", True),
    ]
    assert (await h.scheduler_states(a.id))[-1].status == types_pb2.SENDER_STATUS_CONNECTED


async def test_scheduler_reports_restriction_and_disconnection_idempotently(h: Health) -> None:
    a = await h.account()
    report = accounts_pb2.ReportAccountFailureRequest(
        sender_kind=types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT,
        sender_id=a.id,
        status=types_pb2.SENDER_STATUS_RESTRICTED,
        detail="errors/account_restricted",
        attempt_id=f"attempt-{uuid.uuid4()}",
    )
    assert (await h.stub.ReportAccountFailure(report)).changed is True
    assert (await h.stub.ReportAccountFailure(report)).changed is True, "the same attempt: the same answer"
    got = await a.get()
    assert (got["status"], got["restriction_kind"], got["restriction_verified"]) == ("restricted", "warning", False)
    assert await a.history_sources() == [("restricted", "send_failure")]
    assert len(await h.campaigns_events(a.id)) == 1

    with pytest.raises(errors.InvalidArgument) as exc:
        await h.stub.ReportAccountFailure(
            accounts_pb2.ReportAccountFailureRequest(
                sender_kind=types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT,
                sender_id=a.id,
                status=types_pb2.SENDER_STATUS_RESTRICTED,
                restriction_kind="banned",
                attempt_id="a-bad-kind",
            )
        )
    assert exc.value.field == "restriction_kind"
    with pytest.raises(errors.NotFound):
        await h.stub.ReportAccountFailure(
            accounts_pb2.ReportAccountFailureRequest(
                sender_kind=types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT,
                sender_id=str(uuid.uuid4()),
                status=types_pb2.SENDER_STATUS_DISCONNECTED,
                attempt_id=f"attempt-{uuid.uuid4()}",
            )
        )


async def test_a_reported_disconnection_is_checked_with_unipile(h: Health) -> None:
    a = await h.account()

    def report(attempt: str) -> accounts_pb2.ReportAccountFailureRequest:
        return accounts_pb2.ReportAccountFailureRequest(
            sender_kind=types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT,
            sender_id=a.id,
            status=types_pb2.SENDER_STATUS_DISCONNECTED,
            detail="errors/disconnected_account",
            attempt_id=attempt,
        )

    # Unipile says OK: nothing is recorded.
    assert (await h.stub.ReportAccountFailure(report("attempt-1-" + a.id))).changed is False
    assert (await a.get())["status"] == "connected" and await a.history_sources() == []

    await a.set_unipile("CREDENTIALS", notify=False)
    assert (await h.stub.ReportAccountFailure(report("attempt-2-" + a.id))).changed is True
    got = await a.get()
    assert got["status"] == "disconnected" and "errors/disconnected_account" in got["status_detail"]
    assert await a.history_sources() == [("disconnected", "send_failure")]
    assert (await h.stub.ReportAccountFailure(report("attempt-3-" + a.id))).changed is False
    assert len(await h.campaigns_events(a.id)) == 1


# The subscription, from signed billing webhooks (A6).


def billing_event(workspace_id: str, type_: str, created: int, event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "type": type_,
        "created": created,
        "data": {"workspace_id": workspace_id},
    }


async def subscription(h: Health, workspace_id: str) -> tuple[str, int]:
    got = await h.stub.GetWorkspace(accounts_pb2.GetWorkspaceRequest(workspace_id=workspace_id))
    version = await h.db.fetchval(
        "SELECT subscription_version FROM accounts.workspaces WHERE id = $1", uuid.UUID(workspace_id)
    )
    return types_pb2.SubscriptionStatus.Name(got.workspace.subscription_status), version


async def test_a_signed_billing_event_applies_once_and_in_order(h: Health) -> None:
    workspace_id, _ = await h.suite.new_workspace()
    now = int(time.time())
    cancel = billing_event(workspace_id, "subscription.canceled", now - 60)
    status, body = await h.billing(cancel)
    assert (status, body) == (200, {"received": "subscription.canceled", "applied": True})
    assert await subscription(h, workspace_id) == ("SUBSCRIPTION_STATUS_CANCELED", 2)

    status, body = await h.billing(cancel)  # a replay of the same event
    assert (status, body) == (200, {"received": "subscription.canceled", "applied": False})
    assert await subscription(h, workspace_id) == ("SUBSCRIPTION_STATUS_CANCELED", 2)

    status, body = await h.billing(billing_event(workspace_id, "subscription.activated", now - 30))
    assert (status, body["applied"]) == (200, True)
    assert await subscription(h, workspace_id) == ("SUBSCRIPTION_STATUS_ACTIVE", 3)

    # A cancellation that happened before the activation arrives late (reordered): ignored.
    status, body = await h.billing(billing_event(workspace_id, "subscription.canceled", now - 45))
    assert (status, body["applied"]) == (200, False)
    assert await subscription(h, workspace_id) == ("SUBSCRIPTION_STATUS_ACTIVE", 3)

    events = await h.campaigns_events(workspace_id)
    assert [(e.WhichOneof("subject"), e.subscription.status, e.version) for e in events] == [
        ("subscription", types_pb2.SUBSCRIPTION_STATUS_CANCELED, 2),
        ("subscription", types_pb2.SUBSCRIPTION_STATUS_ACTIVE, 3),
    ]
    assert all(e.workspace_id == workspace_id for e in events)
    seen = await h.db.fetch(
        "SELECT applied FROM accounts.billing_events WHERE workspace_id = $1 ORDER BY received_at",
        uuid.UUID(workspace_id),
    )
    assert sorted(r["applied"] for r in seen) == [False, True, True]


BAD_SIGNATURES = [
    ("unsigned", lambda t, raw: ""),
    ("wrong secret", lambda t, raw: f"t={t},v1={sign('not-the-secret', t, raw)}"),
    ("signed another body", lambda t, raw: f"t={t},v1={sign(BILLING_SECRET, t, raw + b' ')}"),
    ("timestamp changed", lambda t, raw: f"t={t + 1},v1={sign(BILLING_SECRET, t, raw)}"),
    ("stale", lambda t, raw: f"t={t - 301},v1={sign(BILLING_SECRET, t - 301, raw)}"),
    ("from the future", lambda t, raw: f"t={t + 301},v1={sign(BILLING_SECRET, t + 301, raw)}"),
    ("malformed", lambda t, raw: "v1=abc,t=soon"),
]


@pytest.mark.parametrize(("case", "header"), BAD_SIGNATURES, ids=[c[0] for c in BAD_SIGNATURES])
async def test_a_billing_webhook_without_a_valid_signature_is_401_and_changes_nothing(h: Health, case, header):
    workspace_id, _ = await h.suite.new_workspace()
    event = billing_event(workspace_id, "subscription.canceled", int(time.time()))
    raw = json.dumps(event).encode()
    t = int(time.time())
    status, body = await h.billing(event, header=header(t, raw) or "")
    assert status == 401, body
    assert_error(body, "unauthenticated")
    assert body["error"]["details"]["reason"] in ("missing", "malformed", "mismatch", "stale")
    assert await subscription(h, workspace_id) == ("SUBSCRIPTION_STATUS_ACTIVE", 1)
    assert await h.db.fetchval("SELECT count(*) FROM accounts.billing_events WHERE event_id = $1", event["id"]) == 0
    # The same event, rightly signed, is then applied: the refusal did not burn its id.
    status, body = await h.billing(event)
    assert (status, body["applied"]) == (200, True)


async def test_billing_events_of_other_types_or_malformed_are_not_applied(h: Health) -> None:
    workspace_id, _ = await h.suite.new_workspace()
    status, body = await h.billing(billing_event(workspace_id, "invoice.paid", int(time.time())))
    assert (status, body) == (200, {"received": "ignored"})
    status, body = await h.billing(
        {"id": "evt_x", "type": "subscription.canceled", "created": "yesterday", "data": {"workspace_id": workspace_id}}
    )
    assert status == 400
    assert_error(body, "invalid_argument", "created")
    status, body = await h.billing(billing_event("not-a-uuid", "subscription.canceled", int(time.time())))
    assert status == 400
    assert_error(body, "invalid_argument", "data.workspace_id")
    status, body = await h.billing(billing_event(str(uuid.uuid4()), "subscription.canceled", int(time.time())))
    assert (status, body["applied"]) == (200, False), "an unknown workspace: acknowledged, nothing applied"
    assert await subscription(h, workspace_id) == ("SUBSCRIPTION_STATUS_ACTIVE", 1)


# Reconciliation: ListHealthEvents gives the current health of everything that changed after a sequence number.


async def test_list_health_events_gives_current_state_after_a_sequence(h: Health) -> None:
    start = await h.stub.ListHealthEvents(accounts_pb2.ListHealthEventsRequest(after_sequence=0, limit=1000))
    mark = start.last_sequence
    while True:  # page to the end
        page = await h.stub.ListHealthEvents(accounts_pb2.ListHealthEventsRequest(after_sequence=mark, limit=1000))
        if not page.events:
            break
        mark = page.last_sequence
    a = await h.account()
    await a.set_unipile("CREDENTIALS")
    await a.set_unipile("OK")
    status, body = await h.billing(billing_event(a.workspace_id, "subscription.canceled", int(time.time())))
    assert body["applied"] is True

    page = await h.stub.ListHealthEvents(accounts_pb2.ListHealthEventsRequest(after_sequence=mark, limit=100))
    mine = [e for e in page.events if a.workspace_id == e.workspace_id]  # other tests' accounts may change too
    subjects = [(e.WhichOneof("subject"), e.sender.sender_id or e.workspace_id) for e in mine]
    assert subjects == [("sender", a.id), ("subscription", a.workspace_id)], "each subject once, current state"
    sender, sub = mine
    assert sender.sender.status == types_pb2.SENDER_STATUS_CONNECTED and sender.version == 3
    assert sender.event_id == (await h.campaigns_events(a.id))[-1].event_id
    assert sub.subscription.status == types_pb2.SUBSCRIPTION_STATUS_CANCELED
    assert page.last_sequence > mark
    later = await h.stub.ListHealthEvents(
        accounts_pb2.ListHealthEventsRequest(after_sequence=page.last_sequence, limit=10)
    )
    assert list(later.events) == [] and later.last_sequence == page.last_sequence
    one = await h.stub.ListHealthEvents(accounts_pb2.ListHealthEventsRequest(after_sequence=mark, limit=1))
    assert len(one.events) == 1 and mark < one.last_sequence < page.last_sequence
    with pytest.raises(errors.InvalidArgument):
        await h.stub.ListHealthEvents(accounts_pb2.ListHealthEventsRequest(after_sequence=-1))


async def test_the_scheduler_learns_every_health_change(h: Health) -> None:
    a = await h.account()
    await a.set_unipile("CREDENTIALS")
    await a.set_unipile("OK")
    deadline = time.monotonic() + 10
    # The scheduler's copy gets every change even while campaigns' rows wait for campaigns (or are delivered).
    while await h.db.fetchval("SELECT count(*) FROM accounts.outbox WHERE ordering_key = $1", a.id):
        assert time.monotonic() < deadline, "the scheduler's rows were not delivered"
        await asyncio.sleep(0.05)
    row = await h.db.fetchrow(
        "SELECT status, version FROM scheduler.sender_states WHERE sender_id = $1", uuid.UUID(a.id)
    )
    assert (row["status"], row["version"]) == ("connected", 3)


# The lock policy (docs/DECISIONS.md, Locks): no row lock is held while Unipile answers; a decision whose account
# changed meanwhile asks Unipile again.


async def _slow_unipile_reads(h: Health, ms: int) -> None:
    await h.sandbox("POST", "/_sandbox/latency", {"endpoint": "get_account", "ms": ms})


async def _until_reads(h: Health, count: int) -> None:
    """Wait until Unipile has received `count` account reads in all (the last one may still be answering)."""
    for _ in range(500):
        if h.unipile.calls["get_account"] >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"Unipile was not read {count} times")


@pytest.mark.parametrize("trigger", ["webhook", "send failure"])
async def test_no_row_lock_is_held_while_unipile_answers(h: Health, trigger: str) -> None:
    a = await h.account()
    await a.set_unipile("CREDENTIALS", notify=False)
    reads = h.unipile.calls["get_account"]
    await _slow_unipile_reads(h, 1500)

    async def decide() -> bool:
        if trigger == "webhook":
            status, body = await h.unipile_webhook(a.unipile_id, "CREDENTIALS")
            assert status == 200, body
            return body["changed"]
        report = accounts_pb2.ReportAccountFailureRequest(
            sender_kind=types_pb2.SENDER_KIND_LINKEDIN_ACCOUNT,
            sender_id=a.id,
            status=types_pb2.SENDER_STATUS_DISCONNECTED,
            detail="errors/disconnected_account",
            attempt_id=f"attempt-{uuid.uuid4()}",
        )
        return (await h.stub.ReportAccountFailure(report)).changed

    decision = asyncio.create_task(decide())
    try:
        await _until_reads(h, reads + 1)
        assert not decision.done(), "the decision waits for Unipile's answer"
        async with h.db.acquire() as conn, conn.transaction():
            # NOWAIT fails at once if any transaction holds the account's row lock.
            locked = await conn.fetchval(
                "SELECT id FROM accounts.linkedin_accounts WHERE id = $1 FOR UPDATE NOWAIT", uuid.UUID(a.id)
            )
        assert str(locked) == a.id
    finally:
        await _slow_unipile_reads(h, 0)
        await asyncio.wait([decision])
    assert decision.result() is True
    assert (await a.get())["status"] == "disconnected"


async def test_a_change_while_unipile_answers_makes_the_decision_read_unipile_again(h: Health) -> None:
    a = await h.account()
    await a.set_unipile("CREDENTIALS", notify=False)
    reads = h.unipile.calls["get_account"]
    await _slow_unipile_reads(h, 1000)
    webhook = asyncio.create_task(h.unipile_webhook(a.unipile_id, "CREDENTIALS"))
    try:
        await _until_reads(h, reads + 1)
        # A member changes the account's limits meanwhile: not held up by the webhook, and the account's version
        # moves on, so the read in flight no longer decides.
        status, limits = await h.suite.call(
            "PUT",
            f"/api/v1/linkedin-accounts/{a.id}/limits",
            a.auth,
            json={
                "linkedin_invite": {
                    "daily_cap": 7,
                    "weekly_cap": 30,
                    "ramp_start": 7,
                    "ramp_step": 0,
                    "pacing_min_seconds": 60,
                    "pacing_max_seconds": 120,
                }
            },
        )
        assert status == 200, limits
        assert not webhook.done(), "the limits changed while Unipile was still answering"
        status, body = await webhook
    finally:
        await _slow_unipile_reads(h, 0)
        await asyncio.wait([webhook])
    assert status == 200 and body["changed"] is True, body
    assert h.unipile.calls["get_account"] == reads + 2, "Unipile was asked again after the change"
    got = await a.get()
    assert got["status"] == "disconnected" and got["limits"]["linkedin_invite"]["daily_cap"] == 7
    assert await a.history_sources() == [("disconnected", "unipile_webhook")]
