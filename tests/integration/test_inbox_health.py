"""Inbox health (DESIGN A4) with real pieces: the whole suite in-process on a manual clock, a real SMTP server and
a real IMAP server on free ports, the login probe run on demand by a second accounts service on the same database
(like another replica), reconnect through HTTP, and the outbox rows accounts writes for the scheduler and for
campaigns."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from holdfast.campaigns.v1 import campaigns_pb2
from holdfast.common.v1 import types_pb2
from holdfast.scheduler.v1 import scheduler_pb2
from sandbox.imap import SandboxImap
from sandbox.smtp import SandboxSmtp
from services.accounts import main as accounts_main
from services.accounts.config import Settings as AccountsSettings
from services.accounts.domain import ServerLogin
from services.accounts.health_domain import LoginOutcome, decide_inbox_probe, next_probe_delay
from services.accounts.service import AccountsService
from services.common import config
from services.common.clock import ManualClock
from services.common.db import create_pool
from services.common.errors import InvalidArgument
from tests.conftest import Suite, create_database, start_suite, suite_env

# Longer than the largest jittered probe interval (300 s + 20 %): every inbox is due again after it.
STEP = timedelta(seconds=361)
GRACE = timedelta(seconds=900)

OUTBOX_LOG_SQL = """
CREATE TABLE public.outbox_log (id bigint, destination text, ordering_key text, payload bytea);
CREATE FUNCTION public.log_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.outbox_log VALUES (NEW.id, NEW.destination, NEW.ordering_key, NEW.payload);
    RETURN NEW;
END $$;
CREATE TRIGGER log_outbox AFTER INSERT ON accounts.outbox FOR EACH ROW EXECUTE FUNCTION public.log_outbox();
"""


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class World:
    suite: Suite
    clock: ManualClock
    smtp: SandboxSmtp
    smtp_port: int
    imap: SandboxImap
    imap_port: int
    db: asyncpg.Pool
    # Two more accounts services on the database, like other replicas: they run the probe on demand.
    replica: AccountsService
    replica2: AccountsService

    async def inbox(self, *, imap_port: int | None = None, smtp_port: int | None = None) -> Inbox:
        workspace_id, auth = await self.suite.new_workspace()
        user = f"u{uuid.uuid4().hex[:8]}@acme.example"
        password = f"pw-{uuid.uuid4().hex[:12]}"
        self.smtp.set_password(user, password)
        self.imap.set_password(user, password)
        smtp = {
            "host": "127.0.0.1",
            "port": smtp_port or self.smtp_port,
            "security": "none",
            "username": user,
            "password": password,
        }
        imap = {**smtp, "port": imap_port or self.imap_port}
        status, body = await self.suite.call(
            "POST", "/api/v1/inboxes", auth, json={"email": user, "smtp": smtp, "imap": imap}
        )
        assert status == 201, body
        return Inbox(self, workspace_id, auth, body["id"], user, password)

    async def probe(self) -> int:
        """Advance the clock past the probe interval and run the probe once."""
        self.clock.advance(STEP)
        return await self.replica.inboxes.probe_inboxes_once(batch=1000)


@dataclass
class Inbox:
    w: World
    workspace_id: str
    auth: dict[str, str]
    id: str
    user: str
    password: str

    def set_server_password(self, password: str) -> None:
        self.w.smtp.set_password(self.user, password)
        self.w.imap.set_password(self.user, password)

    async def row(self) -> asyncpg.Record:
        return await self.w.db.fetchrow(
            "SELECT status, status_detail, version, health_sequence, auth_failures, network_failing_since,"
            " last_probe_error, smtp_password, imap_password, next_probe_at FROM accounts.inboxes WHERE id = $1",
            uuid.UUID(self.id),
        )

    async def history(self) -> list[tuple[str, str]]:
        rows = await self.w.db.fetch(
            "SELECT status, source FROM accounts.health_history WHERE sender_id = $1 ORDER BY id", uuid.UUID(self.id)
        )
        return [(r["status"], r["source"]) for r in rows]

    async def campaigns_events(self) -> list[Any]:
        rows = await self.w.db.fetch(
            "SELECT destination, payload FROM public.outbox_log WHERE ordering_key = $1 ORDER BY id",
            f"campaigns:{self.id}",
        )
        assert all(r["destination"] == "campaigns.ApplyHealthEvent" for r in rows)
        return [campaigns_pb2.ApplyHealthEventRequest.FromString(r["payload"]).event for r in rows]

    async def scheduler_states(self) -> list[Any]:
        rows = await self.w.db.fetch(
            "SELECT destination, payload FROM public.outbox_log WHERE ordering_key = $1 ORDER BY id", self.id
        )
        assert all(r["destination"] == "scheduler.SetSenderState" for r in rows)
        return [scheduler_pb2.SetSenderStateRequest.FromString(r["payload"]) for r in rows]

    async def put_credentials(self, body: dict[str, Any]) -> tuple[int, Any]:
        return await self.w.suite.call("PUT", f"/api/v1/inboxes/{self.id}/credentials", self.auth, json=body)

    async def get(self) -> dict[str, Any]:
        status, body = await self.w.suite.call("GET", f"/api/v1/inboxes/{self.id}", self.auth)
        assert status == 200, body
        return body


@pytest.fixture(scope="module")
async def w(pg_dsn: str) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        clock = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
        smtp = SandboxSmtp()
        smtp_port = await smtp.start()
        stack.push_async_callback(smtp.stop)
        imap = SandboxImap()
        imap_port = await imap.start()
        stack.push_async_callback(imap.stop)
        dsn = await create_database(pg_dsn)
        # The suite's own probe loop is off: the tests run the probe when they mean to.
        extra = {"HOLDFAST_INBOX_PROBES_ENABLED": "false"}
        suite = await start_suite(dsn, stack, clock, **extra)
        db = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
        stack.push_async_callback(db.close)
        await db.execute(OUTBOX_LOG_SQL)
        settings = config.load(AccountsSettings, suite_env(dsn, **extra))
        replicas = []
        for _ in range(2):
            pool = await create_pool(dsn, application_name="test-accounts-replica", max_size=4)
            stack.push_async_callback(pool.close)
            replicas.append(accounts_main.build_service(settings, pool, clock, unipile=None))
        yield World(suite, clock, smtp, smtp_port, imap, imap_port, db, *replicas)


# The decision of one probe, as a table.

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
OK = (LoginOutcome("smtp"), LoginOutcome("imap"))
REFUSED = (LoginOutcome("smtp", "auth", "535 bad credentials"), LoginOutcome("imap"))
UNREACHABLE = (LoginOutcome("smtp"), LoginOutcome("imap", "network", "connect: refused"))


@pytest.mark.parametrize(
    ("status", "failures", "since_s", "outcomes", "expected"),
    [
        ("connected", 0, None, OK, (0, None, None)),
        ("connected", 2, 100, OK, (0, None, None)),
        ("disconnected", 3, None, OK, (0, None, "connected")),
        ("connected", 0, None, REFUSED, (1, None, None)),
        ("connected", 1, None, REFUSED, (2, None, None)),
        ("connected", 2, None, REFUSED, (3, None, "disconnected")),
        ("disconnected", 3, None, REFUSED, (4, None, None)),
        ("connected", 2, None, UNREACHABLE, (2, 0, None)),  # a network failure neither counts nor resets
        ("connected", 0, 899, UNREACHABLE, (0, 899, None)),
        ("connected", 0, 900, UNREACHABLE, (0, 900, "disconnected")),
        ("connected", 1, 300, REFUSED, (2, None, None)),  # the server answers again: the network clock stops
        # Disconnected for a refused sender address: logins that work say nothing about it (T3, T8).
        ("disconnected:sender_refused", 0, None, OK, (0, None, None)),
        ("connected:sender_refused", 2, None, REFUSED, (3, None, "disconnected")),
    ],
)
def test_probe_decision(status, failures, since_s, outcomes, expected) -> None:
    since = None if since_s is None else T0 - timedelta(seconds=since_s)
    status, _, refused = status.partition(":")
    decision = decide_inbox_probe(
        status, failures, since, outcomes, T0, 3, GRACE, sender_refused=refused == "sender_refused"
    )
    got_since = None if decision.network_failing_since is None else (T0 - decision.network_failing_since).seconds
    assert (decision.auth_failures, got_since, decision.status) == expected
    assert bool(decision.error) == any(o.failure for o in outcomes)


# The probe job


async def test_refused_logins_disconnect_after_three_probes_in_a_row(w: World) -> None:
    inbox = await w.inbox()
    await w.probe()
    assert (await inbox.row())["last_probe_error"] == ""
    inbox.set_server_password("changed-by-the-provider")
    for expected in (1, 2):
        await w.probe()
        row = await inbox.row()
        assert (row["status"], row["auth_failures"]) == ("connected", expected)
        assert "AUTHENTICATIONFAILED" in row["last_probe_error"] and "535" in row["last_probe_error"]
    assert await inbox.history() == []
    await w.probe()
    row = await inbox.row()
    assert (row["status"], row["auth_failures"], row["version"]) == ("disconnected", 3, 2)
    assert row["health_sequence"] > 0
    assert "refused the login 3 probes in a row" in row["status_detail"]
    assert inbox.password not in row["status_detail"] and "changed-by" not in row["status_detail"]
    assert await inbox.history() == [("disconnected", "probe")]
    events = await inbox.campaigns_events()
    assert len(events) == 1
    assert events[0].sender.kind == types_pb2.SENDER_KIND_INBOX
    assert events[0].sender.status == types_pb2.SENDER_STATUS_DISCONNECTED
    assert events[0].version == 2 and events[0].workspace_id == inbox.workspace_id
    states = await inbox.scheduler_states()
    assert [(s.version, s.status) for s in states] == [
        (1, types_pb2.SENDER_STATUS_CONNECTED),
        (2, types_pb2.SENDER_STATUS_DISCONNECTED),
    ]
    assert states[-1].kind == types_pb2.SENDER_KIND_INBOX
    # T7: not probed again with the refused password: nothing more is counted, no new change.
    await w.probe()
    assert (await inbox.row())["auth_failures"] == 3
    assert await inbox.history() == [("disconnected", "probe")]
    got = await inbox.get()
    assert got["status"] == "disconnected" and inbox.password not in str(got)


async def test_a_success_resets_the_count(w: World) -> None:
    inbox = await w.inbox()
    inbox.set_server_password("wrong-for-a-while")
    await w.probe()
    await w.probe()
    assert (await inbox.row())["auth_failures"] == 2
    inbox.set_server_password(inbox.password)
    await w.probe()
    row = await inbox.row()
    assert (row["auth_failures"], row["last_probe_error"]) == (0, "")
    inbox.set_server_password("wrong-again")
    await w.probe()
    await w.probe()
    row = await inbox.row()
    assert (row["status"], row["auth_failures"]) == ("connected", 2)


async def test_unreachable_servers_disconnect_only_after_the_grace_period(w: World) -> None:
    inbox = await w.inbox(imap_port=_closed_port())
    await w.probe()
    first = (await inbox.row())["network_failing_since"]
    assert first == w.clock.now()
    await w.probe()  # 361 s
    await w.probe()  # 722 s
    row = await inbox.row()
    assert (row["status"], row["auth_failures"], row["network_failing_since"]) == ("connected", 0, first)
    assert row["last_probe_error"].startswith("IMAP connect:")
    await w.probe()  # 1083 s >= 900 s
    row = await inbox.row()
    assert row["status"] == "disconnected"
    assert "IMAP server could not be reached for 18 minutes" in row["status_detail"]
    assert await inbox.history() == [("disconnected", "probe")]


async def test_a_network_blip_shorter_than_the_grace_changes_nothing(w: World) -> None:
    inbox = await w.inbox()
    # The IMAP server's account stays; only the SMTP port is wrong for a while, then right again.
    await w.db.execute("UPDATE accounts.inboxes SET smtp_port = $2 WHERE id = $1", uuid.UUID(inbox.id), _closed_port())
    await w.probe()
    await w.probe()
    assert (await inbox.row())["network_failing_since"] is not None
    await w.db.execute("UPDATE accounts.inboxes SET smtp_port = $2 WHERE id = $1", uuid.UUID(inbox.id), w.smtp_port)
    await w.probe()
    row = await inbox.row()
    assert (row["status"], row["network_failing_since"]) == ("connected", None)
    await w.db.execute("UPDATE accounts.inboxes SET smtp_port = $2 WHERE id = $1", uuid.UUID(inbox.id), _closed_port())
    await w.probe()
    await w.probe()
    assert (await inbox.row())["status"] == "connected", "the grace period starts over after a success"
    assert await inbox.history() == []


async def test_a_disconnected_inbox_whose_credentials_work_again_is_connected(w: World) -> None:
    inbox = await w.inbox()
    inbox.set_server_password("temporarily-wrong")
    for _ in range(3):
        await w.probe()
    assert (await inbox.row())["status"] == "disconnected"
    inbox.set_server_password(inbox.password)
    # T7: the refused password is not tried again by itself; a member's check-now tries it.
    status, checked = await w.suite.call("POST", f"/api/v1/inboxes/{inbox.id}/check", inbox.auth)
    assert status == 200 and checked["status"] == "connected", checked
    row = await inbox.row()
    assert (row["status"], row["auth_failures"], row["version"]) == ("connected", 0, 3)
    assert await inbox.history() == [("disconnected", "probe"), ("connected", "probe")]
    events = await inbox.campaigns_events()
    assert [(e.version, e.sender.status) for e in events] == [
        (2, types_pb2.SENDER_STATUS_DISCONNECTED),
        (3, types_pb2.SENDER_STATUS_CONNECTED),
    ]


async def test_two_probe_runs_at_once_probe_an_inbox_once(w: World) -> None:
    await w.probe()  # everything created earlier is probed now and not due for a while
    inbox = await w.inbox()
    w.imap.clear()
    w.clock.advance(timedelta(seconds=1))
    probed = await asyncio.gather(
        w.replica.inboxes.probe_inboxes_once(batch=1000),
        w.replica2.inboxes.probe_inboxes_once(batch=1000),
        w.replica.inboxes.probe_inboxes_once(batch=1000),
    )
    assert sum(probed) == 1, probed
    assert [a.user for a in w.imap.login_attempts] == [inbox.user]
    row = await inbox.row()
    assert w.clock.now() + timedelta(seconds=240) <= row["next_probe_at"] <= w.clock.now() + timedelta(seconds=360)
    assert await w.replica.inboxes.probe_inboxes_once() == 0, "not due again before its next probe time"


async def test_probe_times_are_jittered(w: World) -> None:
    await w.probe()
    inboxes = [await w.inbox() for _ in range(8)]
    w.clock.advance(timedelta(seconds=1))
    await w.replica.inboxes.probe_inboxes_once(batch=1000)
    offsets = {((await i.row())["next_probe_at"] - w.clock.now()).total_seconds() for i in inboxes}
    assert len(offsets) > 1 and all(240 <= s <= 360 for s in offsets), offsets


async def test_a_probe_outdated_by_a_reconnect_is_ignored(w: World) -> None:
    inbox = await w.inbox()
    inbox.set_server_password("rotated-1")
    for _ in range(2):
        await w.probe()
    assert (await inbox.row())["auth_failures"] == 2
    # A probe with the old credentials is at the servers while the user reconnects with the new password.
    release = asyncio.Event()
    started = asyncio.Event()
    from services.accounts.clients import LOGIN_CHECKS

    async def slow_imap(login: ServerLogin, timeout_s: float) -> None:
        started.set()
        await release.wait()
        await LOGIN_CHECKS["imap"](login, timeout_s)

    slow = AccountsService(
        w.replica._repo,
        w.clock,
        keyring=w.replica._keyring,
        sender_state=w.replica._sender_state,
        health_event=w.replica._health_event,
        login_checks={"imap": slow_imap},
    )
    w.clock.advance(STEP)
    probing = asyncio.create_task(slow.inboxes.probe_inboxes_once(batch=1000))
    await asyncio.wait_for(started.wait(), 5)
    status, body = await inbox.put_credentials({"app_password": "rotated-1"})
    assert status == 200, body
    release.set()
    await probing
    row = await inbox.row()
    assert (row["status"], row["auth_failures"]) == ("connected", 0), "the stale refusal was not counted"


# Reconnect by new credentials


async def test_reconnect_with_a_wrong_password_names_the_login_and_changes_nothing(w: World) -> None:
    inbox = await w.inbox()
    inbox.set_server_password("new-app-password")
    for _ in range(3):
        await w.probe()
    before = await inbox.row()
    assert before["status"] == "disconnected"
    history = await inbox.history()

    status, body = await inbox.put_credentials({"app_password": "still-wrong-pw"})
    assert status == 422, body
    assert body["error"]["code"] == "login_failed"
    assert body["error"]["details"]["failed"] == ["smtp", "imap"]
    assert body["error"]["details"]["reasons"] == {"smtp": "refused", "imap": "refused"}
    assert "still-wrong-pw" not in str(body)

    # Only the IMAP password is wrong: only IMAP is named.
    status, body = await inbox.put_credentials(
        {"smtp": {"password": "new-app-password"}, "imap": {"password": "nope-nope"}}
    )
    assert status == 422 and body["error"]["details"]["failed"] == ["imap"], body

    # An unreachable server is a failed login too.
    status, body = await inbox.put_credentials({"app_password": "new-app-password", "imap": {"port": _closed_port()}})
    assert status == 422 and body["error"]["details"] == {
        **body["error"]["details"],
        "failed": ["imap"],
        "reasons": {"imap": "unreachable"},
    }, body

    after = await inbox.row()
    for column in ("status", "version", "health_sequence", "smtp_password", "imap_password", "auth_failures"):
        assert after[column] == before[column], column
    assert await inbox.history() == history


async def test_reconnect_with_the_new_password_connects_and_reencrypts(w: World) -> None:
    inbox = await w.inbox()
    inbox.set_server_password("new-app-password-2")
    for _ in range(3):
        await w.probe()
    before = await inbox.row()
    assert before["status"] == "disconnected"
    status, body = await inbox.put_credentials({"app_password": "new-app-password-2"})
    assert status == 200, body
    assert body["status"] == "connected" and body["id"] == inbox.id
    assert "new-app-password-2" not in str(body)
    assert "password" not in body["smtp"] and "password" not in body["imap"]
    row = await inbox.row()
    assert (row["status"], row["auth_failures"], row["version"]) == ("connected", 0, before["version"] + 1)
    assert row["smtp_password"] != before["smtp_password"] and row["imap_password"] != before["imap_password"]
    assert b"new-app-password-2" not in row["smtp_password"] + row["imap_password"]
    assert await inbox.history() == [("disconnected", "probe"), ("connected", "reconnect")]
    actor = await w.db.fetchval(
        "SELECT actor FROM accounts.health_history WHERE sender_id = $1 ORDER BY id DESC LIMIT 1",
        uuid.UUID(inbox.id),
    )
    assert actor.startswith("member:")
    events = await inbox.campaigns_events()
    assert events[-1].sender.status == types_pb2.SENDER_STATUS_CONNECTED and events[-1].version == row["version"]
    assert (await inbox.scheduler_states())[-1].status == types_pb2.SENDER_STATUS_CONNECTED
    # The stored credentials are the new ones: the next probes succeed, and sending uses them.
    await w.probe()
    assert (await inbox.row())["last_probe_error"] == ""
    creds = await w.replica.senders.sender_credentials("inbox", inbox.id)
    assert creds.smtp is not None and creds.smtp.password == "new-app-password-2"


async def test_reconnect_of_a_connected_inbox_only_replaces_the_credentials(w: World) -> None:
    inbox = await w.inbox()
    inbox.set_server_password("rotated-early")
    status, body = await inbox.put_credentials(
        {"smtp": {"password": "rotated-early"}, "imap": {"password": "rotated-early", "username": inbox.user}}
    )
    assert status == 200 and body["status"] == "connected", body
    row = await inbox.row()
    # No health change (no history), but a new version of its state: the scheduler lifts any block the old
    # credentials caused (T8).
    assert row["version"] == 2 and await inbox.history() == []


async def test_reconnect_input_errors(w: World) -> None:
    inbox = await w.inbox()
    status, body = await inbox.put_credentials({})
    assert status == 400 and body["error"]["details"]["field"] == "body", body
    status, body = await inbox.put_credentials({"app_password": "x", "smtp": {"password": "y"}})
    assert status == 400 and body["error"]["details"]["field"] == "smtp.password", body
    status, body = await inbox.put_credentials({"smtp": {"port": 70000, "password": "x"}})
    assert status == 400 and body["error"]["details"]["field"] == "smtp.port", body
    _, other_auth = await w.suite.new_workspace()
    status, body = await w.suite.call(
        "PUT", f"/api/v1/inboxes/{inbox.id}/credentials", other_auth, json={"app_password": inbox.password}
    )
    assert status == 404, body
    status, body = await w.suite.call(
        "PUT", f"/api/v1/inboxes/{uuid.uuid4()}/credentials", inbox.auth, json={"app_password": "x"}
    )
    assert status == 404, body


async def test_a_refused_send_makes_the_inbox_due_for_a_probe_now(w: World) -> None:
    inbox = await w.inbox()
    await w.probe()
    assert (await inbox.row())["next_probe_at"] > w.clock.now()
    inbox.set_server_password("changed-mid-send")
    attempt = f"att-{uuid.uuid4().hex[:8]}"
    assert (
        await w.replica.senders.report_account_failure("inbox", inbox.id, "disconnected", "", "535 refused", attempt)
        is False
    )
    assert (await inbox.row())["next_probe_at"] == w.clock.now()
    # The same report again changes nothing more.
    assert (
        await w.replica.senders.report_account_failure("inbox", inbox.id, "disconnected", "", "535 refused", attempt)
        is False
    )
    assert await w.replica.inboxes.probe_inboxes_once(batch=1000) >= 1  # no time passed: it was due at once
    row = await inbox.row()
    assert (row["status"], row["auth_failures"]) == ("connected", 1), "one refusal counts once; the probe decides"


async def test_a_refused_sender_address_disconnects_at_once_and_only_new_credentials_connect_again(w: World) -> None:
    """T3/T5: the mail server refused the inbox's sender address though its logins work. Recorded at once (no probe
    can see it), naming the address; probes and check-now leave it; a reconnect lifts it (T8)."""
    inbox = await w.inbox()
    attempt = f"att-{uuid.uuid4().hex[:8]}"
    answer = "rcpt: 553 5.7.1 <x@acme.example>: Sender address rejected: not owned by user"
    assert (
        await w.replica.senders.report_account_failure(
            "inbox", inbox.id, "disconnected", "", answer, attempt, sender_refused=True
        )
        is True
    )
    row = await inbox.row()
    assert row["status"] == "disconnected" and inbox.user in row["status_detail"], row
    assert "Sender address rejected" in row["status_detail"]
    assert await inbox.history() == [("disconnected", "send_failure")]
    assert (await inbox.campaigns_events())[-1].sender.status == types_pb2.SENDER_STATUS_DISCONNECTED
    # The same report again changes nothing more.
    assert (
        await w.replica.senders.report_account_failure(
            "inbox", inbox.id, "disconnected", "", answer, attempt, sender_refused=True
        )
        is True
    )
    assert len(await inbox.history()) == 1
    status, checked = await w.suite.call("POST", f"/api/v1/inboxes/{inbox.id}/check", inbox.auth)
    assert status == 200 and checked["status"] == "disconnected", checked
    status, body = await inbox.put_credentials({"app_password": inbox.password})
    assert status == 200 and body["status"] == "connected", body
    assert await inbox.history() == [("disconnected", "send_failure"), ("connected", "reconnect")]
    # Cleared with the new credentials: a later disconnect by refused logins recovers by a probe again.
    assert (
        await w.db.fetchval("SELECT sender_refused FROM accounts.inboxes WHERE id = $1", uuid.UUID(inbox.id)) is False
    )
    # A refusal of a send made with the replaced credentials (an older version of the inbox) changes nothing.
    version = (await inbox.row())["version"]
    assert (
        await w.replica.senders.report_account_failure(
            "inbox",
            inbox.id,
            "disconnected",
            "",
            answer,
            f"att-{uuid.uuid4().hex[:8]}",
            sender_refused=True,
            sender_version=version - 1,
        )
        is False
    )
    assert (await inbox.row())["status"] == "connected"
    assert (
        await w.replica.senders.report_account_failure(
            "inbox",
            inbox.id,
            "disconnected",
            "",
            answer,
            f"att-{uuid.uuid4().hex[:8]}",
            sender_refused=True,
            sender_version=version,
        )
        is True
    )
    assert (await inbox.row())["status"] == "disconnected"
    with pytest.raises(InvalidArgument):
        await w.replica.senders.report_account_failure(
            "linkedin_account", inbox.id, "disconnected", "", answer, f"att-{uuid.uuid4().hex[:8]}", sender_refused=True
        )


async def test_passwords_never_reach_a_log_line(w: World) -> None:
    import structlog

    inbox = await w.inbox()
    inbox.set_server_password("secret-new-pw-77")
    with structlog.testing.capture_logs() as logs:
        for _ in range(3):
            await w.probe()
        status, _ = await inbox.put_credentials({"app_password": "secret-wrong-pw-66"})
        assert status == 422
        status, _ = await inbox.put_credentials({"app_password": "secret-new-pw-77"})
        assert status == 200
    text = repr(logs)
    assert any(entry["event"] == "sender health changed" and entry.get("kind") == "inbox" for entry in logs), logs
    for secret in (inbox.password, "secret-new-pw-77", "secret-wrong-pw-66"):
        assert secret not in text


# T7: a disconnected inbox is left alone.

INSECURE = (
    LoginOutcome("smtp", "tls", "tls_certificate: the certificate of mx could not be verified", "tls_certificate"),
    LoginOutcome("imap"),
)


def test_a_certificate_problem_disconnects_at_once_naming_it() -> None:
    decision = decide_inbox_probe("connected", 0, None, INSECURE, T0, 3, GRACE)
    assert decision.status == "disconnected" and decision.auth_failures == 0
    assert decision.detail.startswith("tls_certificate: the SMTP connection is not secure")
    assert decide_inbox_probe("disconnected", 0, None, INSECURE, T0, 3, GRACE).status is None


@pytest.mark.parametrize(
    ("status", "failing_for_s", "expected_s"),
    [
        ("connected", 600, None),  # within the grace: the usual interval
        ("disconnected", None, None),  # disconnected for another reason
        ("disconnected", 900, 900),
        ("disconnected", 1800, 1800),  # each wait as long as the outage so far: they double
        ("disconnected", 60, 300),  # never below one interval
        ("disconnected", 86400, 21600),  # never above the cap
    ],
)
def test_an_unreachable_disconnected_inbox_is_probed_with_back_off(status, failing_for_s, expected_s) -> None:
    since = None if failing_for_s is None else T0 - timedelta(seconds=failing_for_s)
    delay = next_probe_delay(status, since, T0, timedelta(seconds=300), timedelta(hours=6))
    assert (None if delay is None else delay.total_seconds()) == expected_s


async def test_a_refused_password_is_not_tried_again_until_it_changes_or_a_member_checks(w: World) -> None:
    inbox = await w.inbox()
    inbox.set_server_password("changed-at-the-provider")
    for _ in range(3):
        await w.probe()
    assert (await inbox.row())["status"] == "disconnected"
    got = await inbox.get()
    assert got["next_probe_at"] is None, "not probed again with the refused password"
    tried = len([a for a in w.imap.login_attempts if a.user == inbox.user])
    for _ in range(5):
        await w.probe()
    assert len([a for a in w.imap.login_attempts if a.user == inbox.user]) == tried

    # A member checks now: one login with the stored password, still refused, still disconnected.
    status, checked = await w.suite.call("POST", f"/api/v1/inboxes/{inbox.id}/check", inbox.auth)
    assert status == 200 and checked["status"] == "disconnected", checked
    assert len([a for a in w.imap.login_attempts if a.user == inbox.user]) == tried + 1
    # The provider takes the old password back; a check-now connects the inbox again.
    inbox.set_server_password(inbox.password)
    status, checked = await w.suite.call("POST", f"/api/v1/inboxes/{inbox.id}/check", inbox.auth)
    assert status == 200 and checked["status"] == "connected", checked
    assert checked["next_probe_at"] is not None
    _, other = await w.suite.new_workspace()
    status, body = await w.suite.call("POST", f"/api/v1/inboxes/{inbox.id}/check", other)
    assert status == 404, body


async def test_a_disconnected_unreachable_inbox_backs_off(w: World) -> None:
    inbox = await w.inbox(imap_port=_closed_port())
    waits = []
    for _ in range(12):
        await w.probe()
        row = await inbox.row()
        if row["status"] == "disconnected":
            waits.append((row["next_probe_at"] - w.clock.now()).total_seconds())
            w.clock.set(row["next_probe_at"] - STEP)  # the next w.probe() lands when it is due
    assert len(waits) >= 3 and waits == sorted(waits) and waits[-1] > 2 * waits[0], waits
