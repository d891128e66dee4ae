"""No credential is ever written in plaintext (DESIGN A5): a full run in the e2e world (a campaign with a
LinkedIn account and an inbox, invites and emails sent, an accepted invitation through the Unipile webhook,
an inbox reconnect refused then accepted with a new app password, billing webhooks) while every log line the
services emit is captured at debug level; then every row of every table of every schema is dumped (as JSON,
and bytea columns also as hex and as escaped text) and searched for each credential used in the run."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import asyncpg
import pytest
import structlog

from sandbox.imap import SandboxImap
from tests.conftest import TEST_SECRET_KEYS
from tests.e2e.conftest import BILLING_SECRET, WEBHOOK_SECRET, World, setup_campaign

USER = "sender@acme.example"
OLD_PASSWORD = "app-password-1"  # the password setup_campaign gives the inbox
NEW_PASSWORD = "app-password-new-5d7f1c"
WRONG_PASSWORD = "wrong-password-8e02aa"
UNIPILE_API_KEY = "sandbox-key"  # the world's Unipile key
INVITE = {"channel": "linkedin", "action": "invite", "text": "Hi {{first_name}}"}
EMAIL = {
    "channel": "email",
    "action": "email",
    "subject": "Hello {{first_name}}",
    "body": "A note",
    "delay": {"days": 1},
}


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Every log line, rendered (and redacted) exactly as the services write it, at debug level."""
    root = logging.getLogger()
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    rendering = [h.formatter for h in root.handlers if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter)]
    assert rendering, "services.common.logging.configure ran (tests/conftest.py)"
    handler.setFormatter(rendering[0])
    handler.setLevel(logging.DEBUG)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
async def logged_world(logs: io.StringIO, world: World) -> AsyncIterator[World]:
    """The world, started only once log capture is on (fixtures start in argument order)."""
    yield world


@pytest.fixture
async def imap() -> AsyncIterator[SandboxImap]:
    sandbox = SandboxImap()
    await sandbox.start()
    sandbox.set_password(USER, NEW_PASSWORD)
    yield sandbox
    await sandbox.stop()


def variants(secret: str) -> dict[str, str]:
    """How a leaked secret could look in a dump: as is, hex (bytea), base64 (JSON of bytes)."""
    raw = secret.encode()
    return {
        "plain": secret,
        "hex": raw.hex(),
        "base64": base64.b64encode(raw).decode().rstrip("="),
        "base64url": base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }


async def dump_database(db: asyncpg.Pool) -> list[str]:
    """One text per row of every table of every schema: row_to_json, then each bytea column as hex and escaped."""
    texts: list[str] = []
    async with db.acquire() as conn:
        tables = await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
            " AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
        )
        assert {t["table_schema"] for t in tables} >= {"accounts", "campaigns", "scheduler"}
        for t in tables:
            name = f'"{t["table_schema"]}"."{t["table_name"]}"'
            byteas = [
                r["column_name"]
                for r in await conn.fetch(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2"
                    " AND data_type = 'bytea'",
                    t["table_schema"],
                    t["table_name"],
                )
            ]
            extra = "".join(f", encode(t.\"{c}\", 'hex'), encode(t.\"{c}\", 'escape')" for c in byteas)
            for row in await conn.fetch(f"SELECT row_to_json(t)::text{extra} FROM {name} t"):
                texts.append(f"{name} " + " ".join(str(v) for v in row.values()))
    return texts


async def test_no_credential_appears_in_plaintext_in_logs_or_database(
    logged_world: World, logs: io.StringIO, imap: SandboxImap, capfd: pytest.CaptureFixture[str]
) -> None:
    w = logged_world
    s = await setup_campaign(w, 3, [INVITE, EMAIL])
    token = s.auth["Authorization"].removeprefix("Bearer ")
    rows: list[str] = await dump_database(w.db)

    # Invites go out; one is accepted through the sandbox (which calls our webhook with its secret header), one
    # by a webhook we post ourselves; the emails go out through SMTP with the stored (decrypted) password.
    await w.run_until(w.clock.now() + timedelta(hours=6))
    assert len(w.unipile.invitations) == 3
    async with w.suite.http.post(
        f"{w.unipile_url}/_sandbox/accounts/{s.unipile_account_id}/accept", json={"provider_id": "ACo0000"}
    ) as r:
        assert r.status < 300, await r.text()
    async with w.suite.http.post(
        f"{w.suite.base_url}/webhooks/unipile",
        headers={"Unipile-Auth": WEBHOOK_SECRET},
        json={"event": "new_relation", "account_id": s.unipile_account_id, "user_provider_id": "ACo0001"},
    ) as r:
        assert r.status == 200, await r.text()
    async with w.suite.http.post(
        f"{w.suite.base_url}/webhooks/unipile",
        headers={"Unipile-Auth": WEBHOOK_SECRET},
        json={"AccountStatus": {"account_id": s.unipile_account_id, "message": "OK", "account_type": "LINKEDIN"}},
    ) as r:
        assert r.status == 200, await r.text()
    async with w.suite.http.post(
        f"{w.suite.base_url}/webhooks/unipile", headers={"Unipile-Auth": "not-it"}, json={"event": "new_relation"}
    ) as r:
        assert r.status == 401
    await w.run_until(w.clock.now() + timedelta(days=2))
    assert len(w.smtp.messages) >= 1
    rows += await dump_database(w.db)

    # Reconnect the inbox: a wrong password is refused, then a new app password (SMTP and IMAP) is stored.
    w.smtp.set_password(USER, NEW_PASSWORD)
    imap_port = imap._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    status, refused = await w.suite.call(
        "PUT",
        f"/api/v1/inboxes/{s.inbox_id}/credentials",
        s.auth,
        json={"app_password": WRONG_PASSWORD, "imap": {"port": imap_port}},
    )
    assert status == 422, refused
    status, reconnected = await w.suite.call(
        "PUT",
        f"/api/v1/inboxes/{s.inbox_id}/credentials",
        s.auth,
        json={"app_password": NEW_PASSWORD, "imap": {"port": imap_port}},
    )
    assert status == 200, reconnected
    for response in (refused, reconnected):
        assert all(v not in json.dumps(response) for v in (WRONG_PASSWORD, NEW_PASSWORD, OLD_PASSWORD))

    # Billing webhooks: signed with the billing secret (canceled, then activated again).
    workspace_id = await w.db.fetchval(
        "SELECT workspace_id::text FROM campaigns.campaigns WHERE id = $1", uuid.UUID(s.campaign_id)
    )
    now = int(time.time())
    for number, kind in enumerate(("subscription.canceled", "subscription.activated")):
        raw = json.dumps(
            {
                "id": f"evt_{uuid.uuid4().hex[:8]}",
                "type": kind,
                "created": now - 10 + number,
                "data": {"workspace_id": workspace_id},
            }
        ).encode()
        digest = hmac.new(BILLING_SECRET.encode(), f"{now}.".encode() + raw, hashlib.sha256).hexdigest()
        async with w.suite.http.post(
            f"{w.suite.base_url}/webhooks/billing",
            data=raw,
            headers={"Holdfast-Signature": f"t={now},v1={digest}", "Content-Type": "application/json"},
        ) as r:
            assert r.status == 200, await r.text()
    await w.run_until(w.clock.now() + timedelta(days=1))
    rows += await dump_database(w.db)

    secrets = {
        "smtp/imap password": OLD_PASSWORD,
        "new app password": NEW_PASSWORD,
        "refused password": WRONG_PASSWORD,
        "Unipile API key": UNIPILE_API_KEY,
        "Unipile webhook secret": WEBHOOK_SECRET,
        "billing webhook secret": BILLING_SECRET,
        "bearer token": token,
        "secret key": TEST_SECRET_KEYS.partition(":")[2],
    }
    captured = capfd.readouterr()
    lines = logs.getvalue().splitlines() + captured.out.splitlines() + captured.err.splitlines()
    levels = {json.loads(x).get("level") for x in logs.getvalue().splitlines() if x.startswith("{")}
    print(f"\nlog levels seen: {sorted(levels)}")  # noqa: T201
    log_lines = len(logs.getvalue().splitlines())
    summary = f"scanned {log_lines} log lines (+{len(lines) - log_lines} lines of stdout/stderr)"
    print(f"\n{summary} and {len(rows)} database rows (3 dumps) for {len(secrets)} credentials")  # noqa: T201
    assert log_lines > 100, "the run logged (debug level)"
    leaks = []
    for label, secret in secrets.items():
        for form, text in variants(secret).items():
            leaks += [f"{label} ({form}) in a log line: {line[:300]}" for line in lines if text in line]
            leaks += [f"{label} ({form}) in a row: {row[:300]}" for row in rows if text in row]
    assert not leaks, "\n".join(leaks[:20])
